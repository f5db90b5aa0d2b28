import sqlite3

import pytest
from serving_fakes import free_port

from wattprint.cli import main
from wattprint.results import migrations
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
    assert line == ("poisson 1 req/s: 9 ok, 1 failed, 0 truncated, 0.90 req/s, 0.2 J/output token "
                    "(estimated), p95 TTFT 0.2 s, residual 1.00e-03, flags: failed_requests")
    assert "n/a J/output token" in _point(j_per_output_token=None).summary_line()
    good, bad = _point("a"), _point("b", attribution_residual=0.05, arrivals="closed 8",
                                    flags=("attribution_residual_over_1pct",))
    # a window with no counter advance has no energy to split: infinite residual, no sum check
    empty = _point("c", attribution_residual=float("inf"), flags=("no_energy_change_in_window",))
    assert _failed_sum_checks([good, bad, empty]) == [bad]
    err = capsys.readouterr().err
    assert "closed 8: the per-request energies do not add up" in err and "5.00e-02" in err
