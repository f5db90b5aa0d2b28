import pytest

from wattprint.serving.checks import (
    failed_flags,
    meter_vs_timeline,
    phases_vs_engine,
    tokens_vs_engine,
)
from wattprint.serving.engine_report import EnginePhaseTotals
from wattprint.serving.phases import build_phases
from wattprint.serving.records import EngineTimings, RequestRecord, Status, TokenSource


def _r(i, sent, times, ok=True, timings=None):
    return RequestRecord(index=i, scheduled_s=sent, sent_s=sent, first_token_s=times[0],
                         token_times_s=list(times), end_s=times[-1],
                         status=Status.OK if ok else Status.DISCONNECTED, input_tokens=50,
                         input_token_source=TokenSource.USAGE,
                         output_tokens=len(times) if ok else 0, chunks=len(times),
                         engine_timings=timings)


def _serial():
    return [_r(0, 0.0, [0.2, 0.3, 0.4, 0.5]), _r(1, 0.1, [0.7, 0.8, 0.9, 1.0])]


def test_meter_vs_timeline_allows_the_edges_only():
    ok = meter_vs_timeline(99.0, 100.0, timeline_s=9.9, meter_s=10.0, interval_s=0.1)
    assert ok.passed and ok.value == pytest.approx(0.01) and ok.tolerance == pytest.approx(0.04)
    bad = meter_vs_timeline(90.0, 100.0, timeline_s=9.99, meter_s=10.0, interval_s=0.1)
    assert bad.passed is False and "FAILED" in bad.short()
    assert meter_vs_timeline(5.0, None, timeline_s=1, meter_s=1, interval_s=0.1).passed is None
    assert failed_flags([ok, bad]) == ["meter_vs_timeline_check_failed"]


def test_tokens_vs_engine_counters_and_timings():
    recs = _serial()
    phases = build_phases(recs)
    same = EnginePhaseTotals("p", None, None, None, 2, 100, 8)
    assert tokens_vs_engine(recs, phases, same).passed is True
    # the engine generated 6 tokens more than the client read (a client that left)
    more = EnginePhaseTotals("p", None, None, None, 2, 100, 14)
    c = tokens_vs_engine(recs, phases, more)
    assert c.passed is False and c.value == pytest.approx(6 / 14) and "engine 14, client 8" in c.detail
    t = [_r(0, 0.0, [0.2, 0.3], timings=EngineTimings(50, 150.0, 5, 90.0))]
    c = tokens_vs_engine(t, build_phases(t), None)
    assert c.passed is False and "generated (timings): engine 5, client 2" in c.detail
    assert tokens_vs_engine(recs, phases, None).passed is None


def test_phases_vs_engine_histograms_and_timings():
    recs = _serial()
    phases = build_phases(recs)  # queued 0 + 0.4, prefill 0.2 + 0.2, decode 0.3 + 0.3
    right = EnginePhaseTotals("p", 0.41, 0.39, 0.6, 2, None, None)
    c = phases_vs_engine(recs, phases, right)
    assert c.passed is True and c.value == pytest.approx(0.01 / 0.39)
    # the engine says twice the prefill time: the client model placed the queue wrongly
    wrong = EnginePhaseTotals("p", 0.0, 0.8, 0.6, 2, None, None)
    assert phases_vs_engine(recs, phases, wrong).passed is False
    t = [_r(0, 0.0, [0.2, 0.3, 0.4], timings=EngineTimings(50, 200.0, 3, 200.0))]
    assert phases_vs_engine(t, build_phases(t), None).passed is True
    t = [_r(0, 0.0, [0.2, 0.3, 0.4], timings=EngineTimings(50, 200.0, 3, 500.0))]
    c = phases_vs_engine(t, build_phases(t), None)
    assert c.passed is False and "decode (timings): engine 0.5 s, model 0.2 s" in c.detail
    assert phases_vs_engine(recs, phases, None).short() == "phases_vs_engine n/a"
