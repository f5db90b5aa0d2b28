import dataclasses
import sqlite3

import pytest
from serving_fakes import free_port

from wattprint.cli import main
from wattprint.results import migrations
from wattprint.results.serving_energy import PhaseEnergy, PointCheck, TokenWeights
from wattprint.results.serving_record import ServingPoint
from wattprint.results.serving_store import read_points, stored_point_ids, write_points
from wattprint.results.store import ResultStore


def _point(pid="p1", **kw):
    base = dict(point_id=pid, run_id="r1", endpoint="http://x", model="m", arrivals="poisson 1 req/s",
                offered_rps=1.0, achieved_rps=0.9, requests_ok=9, requests_failed=1,
                output_tokens=90, output_token_source="usage", j_per_request=2.0,
                j_per_output_token=0.2, p50_ttft_s=0.1, p95_ttft_s=0.2, p50_itl_s=0.01,
                p95_itl_s=0.02, steady_window_s=25.0, whole_window_s=30.0, energy_window="steady",
                energy_j=50.0, avg_power_w=2.0, idle_power_w=1.0, energy_provenance="estimated",
                energy_domains=("cpu:machine",), attribution_residual=0.001,
                flags=("failed_requests",), power_timeline=((0.0, 1.5), (0.1, 2.5)))
    base.update(kw)
    return ServingPoint(**base)


def test_points_round_trip_and_resume_keys(tmp_path):
    with ResultStore(tmp_path / "s.db") as s:
        assert write_points(s, [_point("a"), _point("b")]) == 2
        assert write_points(s, [_point("a", achieved_rps=5.0)]) == 0   # stored points are kept
        pts = read_points(s)
        assert [p.point_id for p in pts] == ["a", "b"] and pts[0].achieved_rps == 0.9
        assert pts[0] == _point("a", created_at=pts[0].created_at)
        assert stored_point_ids(s, "r1") == {"a", "b"} and stored_point_ids(s, "other") == set()
    d = pts[0].to_dict()
    assert d["kind"] == "serving" and not pts[0].valid


def test_v2_fields_round_trip_and_v1_records_still_read(tmp_path):
    v2 = _point("v2", attribution_model="phase-occupancy-v2", phase_source="step-boundary",
                phase_energy=PhaseEnergy(50.0, 30.0, 0.5, 4.0, 15.0, 0.5, 3.0, 1.0, 9.0),
                weights=TokenWeights(0.02, 0.25, "measured", (0.019, 0.021), (0.24, 0.26),
                                     0.1, 120, 2),
                checks=(PointCheck("meter_vs_timeline", True, 0.001, 0.03, "x"),),
                attributed_j_by_status={"ok": 18.0, "timeout": 1.0}, p50_attributed_j=2.0,
                p90_attributed_j=3.0, p99_attributed_j=3.5, whole_j_per_request=5.5,
                prompt_tokens=900, prompt_token_source="usage")
    with ResultStore(tmp_path / "s.db") as s:
        write_points(s, [v2])
        back = read_points(s)[0]
    assert back == dataclasses.replace(v2, created_at=back.created_at)
    assert back.phase_energy.parts_j == pytest.approx(50.0) and back.weights.prefill_weight == \
        pytest.approx(0.08)
    # a record stored before these fields existed reads as a v1 point with no phases
    old = {k: v for k, v in _point("old").to_dict().items()
           if k not in {f.name for f in dataclasses.fields(ServingPoint)[-12:]}}
    assert "attribution_model" not in old and "checks" not in old
    p = ServingPoint.from_dict(old)
    assert p.attribution_model == "token-occupancy-v1" and p.phase_energy is None
    assert p.checks == () and p.weights is None and "checks: none stored" in p.summary_line()


def test_old_store_gains_the_serving_table(tmp_path):
    path = tmp_path / "old.db"
    con = sqlite3.connect(path)
    for stmt in migrations.DDL_V1:
        con.execute(stmt)
    con.execute("PRAGMA user_version = 1")
    con.commit()
    con.close()
    with ResultStore(path) as s:
        assert s.schema_version == migrations.SCHEMA_VERSION
        assert write_points(s, [_point()]) == 1


def test_cli_refuses_a_down_endpoint_before_measuring(tmp_path, capsys):
    rc = main(["load", "--endpoint", f"http://127.0.0.1:{free_port()}", "--model", "m",
               "--rate", "1", "--idle", "0", "--store", str(tmp_path / "s.db")])
    assert rc == 2
    assert "cannot connect" in capsys.readouterr().err


@pytest.mark.parametrize("argv,msg", [
    (["--rate", "1", "--sweep"], "give --rate"),
    (["--rate", "1", "--output-len", "x"], "--output-len"),
    (["--rate", "0"], "--rate: expected a number > 0"),
    (["--rate", "inf"], "--rate: expected a finite number"),
    (["--rate", "1", "--timeout", "nan"], "--timeout: expected a finite number"),
    (["--rate", "1", "--timeout", "-1"], "--timeout: expected a number > 0"),
    (["--rate", "1", "--idle", "nan"], "--idle: expected a finite number"),
    (["--rate", "1", "--max-lag", "nan"], "--max-lag: expected a finite number"),
    (["--rate", "1", "--interval", "0"], "--interval: expected a number > 0"),
    (["--rate", "1", "--slo-ttft", "inf"], "--slo-ttft: expected a finite number"),
    (["--rate", "1e9"], "--rate: expected at most 1e+06"),
    (["--rate", "1", "--burstiness", "nan"], "--burstiness: expected a finite number"),
    (["--concurrency", "0"], "--concurrency: expected a whole number >= 1"),
    (["--sweep", "--sweep-start", "nan"], "--sweep-start: expected a finite number"),
    (["--sweep", "--sweep-max-points", "1000"], "--sweep-max-points: expected a whole number <= 20"),
    (["--trace", "t.csv", "--trace-speedup", "-2"], "--trace-speedup: expected a number > 0"),
    (["--rate", "1", "--requests", "100000000"], "--requests: expected a whole number <= 100000"),
    (["--rate", "1", "--requests", "1e8"], "--requests: expected a whole number"),
    (["--rate", "1", "--extra-body", "{temperature: 0}"], "--extra-body: not JSON"),
    (["--rate", "1", "--extra-body", "[1, 2]"], "--extra-body: expected a JSON object"),
    (["--rate", "1", "--extra-body", '{"stream": false}'], "'stream' is set by wattprint"),
    (["--rate", "1", "--engine", "vlm"], "unknown engine 'vlm'"),
    (["--rate", "1", "--endpoint", "http://127.0.0.1:{port}"], "needs --launch"),
])
def test_cli_bad_flags_exit_2(tmp_path, capsys, argv, msg):
    try:
        rc = main(["load", "--endpoint", "http://127.0.0.1:1", "--model", "m", *argv,
                   "--store", str(tmp_path / "s.db")])
    except SystemExit as stop:   # argparse refuses a flag's value itself
        rc = stop.code
    err = capsys.readouterr().err
    assert rc == 2 and msg in err, err
    assert "Traceback" not in err


def test_summary_line_and_failed_sum_checks(capsys):
    """One formatter for a point's line; a point whose attribution does not add up is named
    on stderr and makes `load` and serving suites exit 1."""
    from wattprint.cli.load_cmd import _failed_sum_checks

    line = _point().summary_line()
    assert line == ("poisson 1 req/s: 9 ok, 1 failed, 0 truncated, 0.90 req/s, 0.2 J/output "
                    "token (estimated), p95 TTFT 0.2 s, J/request n/a attributed (p50) / n/a whole "
                    "window, checks: none stored, flags: failed_requests")
    checked = _point(p50_attributed_j=1.25, whole_j_per_request=5.5, checks=(
        PointCheck("meter_vs_timeline", True, 0.004, 0.03, "x"),
        PointCheck("tokens_vs_engine", False, 0.2, 0.01, "y"),
        PointCheck("phases_vs_engine", None, None, 0.1, "z")))
    assert ("J/request 1.25 attributed (p50) / 5.5 whole window, checks: meter_vs_timeline "
            "0.4% ok; tokens_vs_engine 20% FAILED (> 1%); phases_vs_engine n/a") in \
        checked.summary_line()
    assert "n/a J/output token" in _point(j_per_output_token=None).summary_line()
    good, bad = _point("a"), _point("b", attribution_residual=0.05, arrivals="closed 8",
                                    flags=("attribution_residual_over_1pct",))
    # a window with no counter advance has no energy to split: infinite residual, no sum check
    empty = _point("c", attribution_residual=float("inf"), flags=("no_energy_change_in_window",))
    assert _failed_sum_checks([good, bad, empty]) == [bad]
    err = capsys.readouterr().err
    assert "closed 8: the per-request energies do not add up" in err and "5.00e-02" in err
