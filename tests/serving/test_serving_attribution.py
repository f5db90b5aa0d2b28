"""phase-occupancy-v2 against cases whose answer is known by construction: the timeline is
built from a stated schedule of prefill and decode power, and every request's energy follows."""

import numpy as np
import pytest

from wattprint.meters.base import Provenance
from wattprint.results.serving_energy import TokenWeights
from wattprint.serving import attribution_v1
from wattprint.serving.attribution import attribute
from wattprint.serving.phases import build_phases
from wattprint.serving.records import RequestRecord, Status, TokenSource

IDLE_W = 10.0
W = TokenWeights(0.1, 0.5, "measured")          # J per prompt / decoded token
DT = 0.05


def _rec(i, sent, times, *, inp=100, ok=True, end=None):
    return RequestRecord(index=i, scheduled_s=sent, sent_s=sent,
                         first_token_s=times[0] if times else None, token_times_s=list(times),
                         end_s=end if end is not None else times[-1],
                         status=Status.OK if ok else Status.TIMEOUT, input_tokens=inp,
                         input_token_source=TokenSource.USAGE,
                         output_tokens=len(times) if ok else 0, chunks=len(times))


def _timeline(t_end, busy):
    """Cumulative J at every DT: idle plus dynamic power ``busy`` [(start, end, W)]."""
    ts = np.round(np.arange(0.0, t_end + 1e-9, DT), 6)
    es = IDLE_W * ts
    for s, e, p in busy:
        es = es + p * np.clip(ts - s, 0.0, e - s)
    return ts.tolist(), es.tolist()


def _serial_case():
    # A: prefill 0.0-0.2 (100 tokens, 10 J), 10 decode steps of 0.05 s to 0.7 (0.5 J each).
    # B: sent at 0.1, queued behind A until 0.7, then the same. C: sent 0.3, times out at
    # 0.6 queued, no work. Truth: A and B 10 J prefill + 5 J decode each, C 0.
    a = _rec(0, 0.0, [round(0.2 + DT * k, 3) for k in range(11)])
    b = _rec(1, 0.1, [round(0.9 + DT * k, 3) for k in range(11)])
    c = _rec(2, 0.3, [], ok=False, end=0.6)
    ts, es = _timeline(1.6, [(0.0, 0.2, 50.0), (0.2, 0.7, 10.0), (0.7, 0.9, 50.0),
                             (0.9, 1.4, 10.0)])
    return [a, b, c], ts, es


def _v2(recs, ts, es, weights=W):
    return attribute(build_phases(recs), ts, es, idle_power_w=IDLE_W, window_j=es[-1] - es[0],
                     basis_provenance=Provenance.MEASURED, basis_domains=("cpu:0",),
                     weights=weights)


def test_queued_time_does_no_work_and_every_request_gets_its_own_energy():
    recs, ts, es = _serial_case()
    a = _v2(recs, ts, es)
    sa, sb, sc = a.shares
    assert (sa.prefill_j, sa.decode_j) == (pytest.approx(10.0), pytest.approx(5.0))
    assert (sb.prefill_j, sb.decode_j) == (pytest.approx(10.0), pytest.approx(5.0))
    assert sc.energy_j == 0.0 and sc.status == "timeout"
    assert a.idle_j == pytest.approx(16.0) and a.queued_j == pytest.approx(0.0, abs=1e-9)
    assert a.unattributed_j == pytest.approx(0.0, abs=1e-9) and a.residual < 1e-9 and a.passed
    assert a.by_status() == {"ok": pytest.approx(30.0), "timeout": 0.0}
    pe = a.phase_energy(build_phases(recs))
    assert pe.parts_j == pytest.approx(pe.window_j) and pe.prefill_j == pytest.approx(20.0)
    assert pe.queued_s == pytest.approx(0.6 + 0.3) and pe.prefill_s == pytest.approx(0.4)
    assert a.model["name"] == "phase-occupancy-v2"
    assert a.model["inputs"]["phase_sources"] == {"step-boundary": 2, "none": 1}


def test_v1_bills_the_queue_as_prefill_on_the_same_case():
    """The defect this model replaces (issue 19): v1 spreads B's prompt over its queue wait,
    taking A's decode energy, and gives the request that did nothing a share."""
    recs, ts, es = _serial_case()
    v1 = attribution_v1.attribute(recs, ts, es, idle_power_w=IDLE_W, window_j=es[-1] - es[0],
                                  basis_provenance=Provenance.MEASURED, basis_domains=("cpu:0",))
    sa, sb, sc = v1.shares
    assert sb.prefill_j > 12.0 and sa.decode_j < 4.0 and sc.energy_j > 1.0


def test_a_truncated_request_keeps_its_work_and_its_neighbour_only_its_own():
    """A stream cut short (``truncated``) did real work: it gets its prefill and decode shares,
    so its energy is not pushed onto the request batched with it (v1 gave it no decode share).
    Batched: A and B prefill 100 tokens each together over 0.0-0.2 (10 J each), then decode
    in 0.05 s steps of 0.5 J per token; A's stream is cut after 6 chunks at 0.45, B runs to
    0.7. Truth: A 10 + 2.5 J, B 10 + 5 J."""
    a = _rec(0, 0.0, [round(0.2 + DT * k, 3) for k in range(6)])
    a.status, a.requested_output_tokens = Status.TRUNCATED, 11
    b = _rec(1, 0.0, [round(0.2 + DT * k, 3) for k in range(11)])
    ts, es = _timeline(1.0, [(0.0, 0.2, 100.0), (0.2, 0.45, 20.0), (0.45, 0.7, 10.0)])
    v2 = _v2([a, b], ts, es)
    sa, sb = v2.shares
    assert sa.status == "truncated" and not sa.ok
    assert (sa.prefill_j, sa.decode_j) == (pytest.approx(10.0), pytest.approx(2.5))
    assert (sb.prefill_j, sb.decode_j) == (pytest.approx(10.0), pytest.approx(5.0))
    assert v2.by_status() == {"ok": pytest.approx(15.0), "truncated": pytest.approx(12.5)}
    assert sum(v2.by_status().values()) == pytest.approx(v2.attributed_j) and v2.passed
    v1 = attribution_v1.attribute([a, b], ts, es, idle_power_w=IDLE_W, window_j=es[-1] - es[0],
                                  basis_provenance=Provenance.MEASURED, basis_domains=("cpu:0",))
    assert v1.shares[1].decode_j > 7.0   # A's decode energy pushed onto B


def test_concurrent_work_is_split_by_the_measured_weights():
    # one slice-aligned step 0.0-0.2 runs A's prefill (100 tokens) and B's decode (4 tokens):
    # 100 * 0.1 + 4 * 0.5 = 12 J; A's share 10 J, B's 2 J only with the right weights
    a = _rec(0, 0.0, [0.2])
    b = _rec(1, -1.0, [-0.8, 0.0, 0.2], inp=10)
    b.output_tokens = 9   # 8 decoded tokens over two gaps: 4 in the step
    ts, es = _timeline(0.2, [(0.0, 0.2, 60.0)])
    sa, sb = _v2([a, b], ts, es).shares
    assert sa.prefill_j == pytest.approx(10.0) and sb.decode_j == pytest.approx(2.0)
    # with every token weighing the same (the labelled fallback) A would get 100/104
    flat = _v2([a, b], ts, es, TokenWeights(0.1, 0.1, "fallback", reason="test"))
    assert flat.shares[0].prefill_j == pytest.approx(12.0 * 100 / 104)


def test_dynamic_energy_with_no_visible_work_is_queued_or_unattributed():
    # 0.0-0.5: the engine works for a client that left (invisible) while D waits; 0.5-1.0:
    # it works with nobody in the system
    d = _rec(0, 0.0, [], ok=False, end=0.5)
    ts, es = _timeline(1.0, [(0.0, 1.0, 20.0)])
    a = _v2([d], ts, es)
    assert a.queued_j == pytest.approx(10.0) and a.unattributed_j == pytest.approx(10.0)
    assert a.attributed_j == 0.0 and a.residual < 1e-9


def test_residual_against_an_independent_window_reading():
    recs, ts, es = _serial_case()
    a = attribute(build_phases(recs), ts, es, idle_power_w=IDLE_W, window_j=es[-1] + 1.0,
                  basis_provenance=Provenance.MEASURED, basis_domains=("cpu:0",), weights=W)
    assert a.residual == pytest.approx(1.0 / (es[-1] + 1.0)) and not a.passed
