import pytest

from wattprint.meters.base import EnergyResult, Provenance
from wattprint.serving.accounting import MeterWindow, account
from wattprint.serving.arrivals import Arrivals
from wattprint.serving.generator import LoadRun
from wattprint.serving.records import RequestRecord, Status, TokenSource
from wattprint.serving.summary import build_point
from wattprint.serving.windows import Window


def _r(i, sent, times, ok=True):
    return RequestRecord(index=i, scheduled_s=sent, sent_s=sent, first_token_s=times[0],
                         token_times_s=times, end_s=times[-1],
                         status=Status.OK if ok else Status.TIMEOUT, input_tokens=4,
                         output_tokens=len(times) if ok else 0,
                         output_token_source=TokenSource.USAGE if ok else TokenSource.NONE)


def test_per_token_and_per_request_count_only_work_inside_the_window():
    recs = [_r(0, 0.0, [1.0, 2.0, 3.0, 4.0]), _r(1, 2.0, [3.0, 5.0, 7.0, 9.0]),
            _r(2, 3.0, [4.0], ok=False)]
    run = LoadRun(Arrivals("poisson", rate_rps=1.0), recs, 0.0, 9.0, 0.05)
    whole, steady = Window("whole", 0.0, 9.0), Window("steady", 2.5, 6.0)
    acc = account(recs, {}, [0.0, 9.0], [0.0, 90.0], idle_power_w=5.0,
                  basis_provenance=Provenance.ESTIMATED, basis_domains=("cpu:machine",),
                  meter=MeterWindow(None, 9.0), interval_s=0.1)
    p = build_point(point_id="x", run_id="r", suite=None, endpoint="e", model="m", run=run,
                    whole=whole, steady=steady, energy_j=35.0, idle_power_w=5.0,
                    account=acc, domains=EnergyResult("w", 0.0, 9.0, ()),
                    power_timeline=[(4.5, 10.0)], engine={}, environment={}, flags=[],
                    slo={"ttft_s": 1.5}, use_steady=True)
    # tokens arriving in [2.5, 6]: request 0 -> 3.0, 4.0 (2 of 4); request 1 -> 3.0, 5.0 (2 of 4)
    assert p.j_per_output_token == pytest.approx(35.0 / 4)
    assert p.j_per_request == pytest.approx(35.0 / 1.0)       # 0.5 + 0.5 request-equivalents
    assert p.achieved_rps == pytest.approx(2 / 9.0)
    assert (p.requests_ok, p.requests_failed, p.output_tokens) == (2, 1, 8)
    assert p.p50_ttft_s == pytest.approx(1.0) and p.p95_itl_s == pytest.approx(2.0)
    assert p.goodput_rps == pytest.approx(1 / 3.5)   # request 0 meets it in the window; 1 ends after
    assert p.energy_window == "steady" and p.avg_power_w == pytest.approx(10.0)
    assert p.provenance == "attributed" and p.energy_provenance == "estimated"
    # every status's share is kept; the percentiles cover the ok requests only
    by = p.attributed_j_by_status
    assert set(by) == {"ok", "timeout"} and by["timeout"] > 0
    assert sum(by.values()) == pytest.approx(acc.attribution.attributed_j)
    ok = sorted(s.energy_j for s in acc.attribution.shares if s.ok)
    assert p.p99_attributed_j <= ok[-1] and p.p50_attributed_j == pytest.approx(sum(ok) / 2)
    assert by["ok"] == pytest.approx(sum(ok))
    assert p.whole_j_per_request == pytest.approx(90.0 / 2)
    assert p.attribution_model == "phase-occupancy-v2" and p.phase_energy.window_j == 90.0
    assert p.phase_energy.parts_j == pytest.approx(90.0)


def test_a_truncated_request_keeps_its_share_but_stays_out_of_the_ok_figures():
    # two requests stream side by side over 1-4 s; request 1's stream is cut after 2 tokens
    ok = _r(0, 0.0, [1.0, 2.0, 3.0, 4.0])
    cut = _r(1, 0.0, [1.0, 2.0])
    cut.status, cut.error, cut.requested_output_tokens = Status.TRUNCATED, "no finish_reason", 4
    cut.output_tokens = 2
    run = LoadRun(Arrivals("poisson", rate_rps=1.0), [ok, cut], 0.0, 4.0, 0.05)
    whole = Window("whole", 0.0, 4.0)
    acc = account([ok, cut], {}, [0.0, 1.0, 2.0, 3.0, 4.0], [0.0, 20.0, 40.0, 50.0, 60.0],
                  idle_power_w=5.0, basis_provenance=Provenance.MEASURED,
                  basis_domains=("cpu:0",), meter=MeterWindow(None, 4.0), interval_s=0.1)
    p = build_point(point_id="x", run_id="r", suite=None, endpoint="e", model="m", run=run,
                    whole=whole, steady=None, energy_j=60.0, idle_power_w=5.0,
                    account=acc, domains=EnergyResult("w", 0.0, 4.0, ()),
                    power_timeline=[], engine={}, environment={}, flags=[], slo={},
                    use_steady=False)
    assert (p.requests_ok, p.requests_truncated, p.requests_failed) == (1, 1, 0)
    assert p.output_tokens == 4 and p.j_per_output_token == pytest.approx(60.0 / 4)
    by = p.attributed_j_by_status
    assert set(by) == {"ok", "truncated"} and by["truncated"] > 0
    assert sum(by.values()) == pytest.approx(acc.attribution.attributed_j)
    share = {s.index: s.energy_j for s in acc.attribution.shares}
    assert p.p50_attributed_j == pytest.approx(share[0]) == pytest.approx(by["ok"])
    assert [f.status for f in p.failures] == ["truncated"]
    assert "1 ok, 0 failed, 1 truncated" in p.summary_line()
