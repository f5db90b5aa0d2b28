"""``wattprint export --kind serving``: one flat row per load point (CSV, Parquet) with the cost
stack, the checks, the per-token weights and the impacts; JSON lines that read back as the
points. Figures are checked against hand computations from the points' own fields."""

from __future__ import annotations

import csv
import io
import json
import sqlite3

import pytest
from test_serving_impacts import CARBON, _point

from wattprint.cli import main
from wattprint.errors import ConfigError
from wattprint.results.serving_energy import PhaseEnergy, PointCheck, TokenWeights
from wattprint.results.serving_export import export_points, flatten_point, points_json_lines
from wattprint.results.serving_impacts import NOT_RECORDED
from wattprint.results.serving_store import read_points, write_points
from wattprint.results.store import ResultStore

# the whole window: 200 J = idle 150 + queued 2 + prefill 10 + decode 36 + unattributed 2
PHASES = PhaseEnergy(200.0, 150.0, 2.0, 10.0, 36.0, 2.0)
CHECKS = (PointCheck("meter_vs_timeline", True, 0.004, 0.03, "timeline 100 J, meter 100.4 J"),
          PointCheck("tokens_vs_engine", False, 0.05, 0.01, "output: engine 1000, client 950"),
          PointCheck("phases_vs_engine", None, None, 0.1, "the engine reports no phase times"))
WEIGHTS = TokenWeights(0.031, 0.248, "measured", (0.029, 0.033), (0.241, 0.255), 0.08, 400, 3)


def _v2(**kw):
    return _point(**{**dict(attribution_model="phase-occupancy-v2", phase_source="timings",
                            phase_energy=PHASES, checks=CHECKS, weights=WEIGHTS,
                            output_tokens=400, attributed_j_by_status={"ok": 40.0,
                                                                       "truncated": 6.0},
                            engine={"name": "llamacpp", "version": "b4000"},
                            flags=("truncated_requests",), requests_truncated=2), **kw})


def test_a_row_has_the_cost_stack_checks_weights_and_impacts():
    row = flatten_point(_v2())
    # each part of the whole window over the 400 output tokens of the ok requests
    for part, j in (("idle", 150.0), ("queued", 2.0), ("prefill", 10.0), ("decode", 36.0),
                    ("unattributed", 2.0)):
        assert row[f"cost.{part}_j"] == pytest.approx(j)
        assert row[f"cost.{part}.j_per_output_token"] == pytest.approx(j / 400)
        assert row[f"cost.{part}.share"] == pytest.approx(j / 200)
    assert row["cost.whole_window_j_per_output_token"] == pytest.approx(200 / 400)
    assert row["cost.model"] == "phase-occupancy-v2" and row["cost.note"] is None
    # the checks as stored: a failed one stays failed, one with nothing to compare is None
    assert (row["check.meter_vs_timeline.passed"], row["check.meter_vs_timeline.value"],
            row["check.meter_vs_timeline.tolerance"]) == (True, 0.004, 0.03)
    assert row["check.tokens_vs_engine.passed"] is False
    assert row["check.phases_vs_engine.passed"] is None
    assert row["check.phases_vs_engine.value"] is None
    assert (row["weights.source"], row["weights.prefill_j_per_token"],
            row["weights.decode_j_per_token"]) == ("measured", 0.031, 0.248)
    assert (row["weights.decode_ci_low_j"], row["weights.decode_ci_high_j"]) == (0.241, 0.255)
    assert row["weights.points"] == 3 and row["weights.reason"] is None
    assert row["attributed_j.ok"] == 40.0 and row["attributed_j.truncated"] == 6.0
    assert (row["engine"], row["engine_version"]) == ("llamacpp", "b4000")
    assert row["flags"] == "truncated_requests" and row["valid"] is False
    assert row["requests_truncated"] == 2 and row["phase_source"] == "timings"
    # the impacts of the same point, from its recorded factors (20 request-equivalents)
    assert row["impact.water_l.per_request"] == pytest.approx(0.001 * (0.5 + 1.2 * 2.0) / 20)


def test_a_v1_point_and_a_point_without_a_stack_say_what_they_have():
    v1 = flatten_point(_point(attribution={"window_j": 60.0, "idle_j": 42.0,
                                           "attributed_j": 15.0, "unattributed_j": 3.0},
                              output_tokens=300))
    assert v1["cost.model"] == "token-occupancy-v1"
    assert v1["cost.attributed.j_per_output_token"] == pytest.approx(15.0 / 300)
    assert v1["cost.idle.share"] == pytest.approx(0.7)
    assert "cost.prefill_j" not in v1 and "weights.source" not in v1
    bare = flatten_point(_point())  # no phase decomposition, no v1 totals
    assert bare["cost.note"] == "no phase decomposition stored with this point"
    assert not any(k.startswith("cost.") and k != "cost.note" for k in bare)
    none_ok = flatten_point(_v2(output_tokens=0))
    assert none_ok["cost.note"] == "no output token from a request that ended ok"
    assert "cost.idle_j" not in none_ok


def test_json_lines_read_back_as_the_points_with_their_impacts():
    points = [_v2(), _point(point_id="old", carbon=None)]
    lines = points_json_lines(points).splitlines()
    assert len(lines) == 2
    for p, line in zip(points, lines, strict=True):
        d = json.loads(line)
        impacts = d.pop("impacts")
        assert d == json.loads(json.dumps(p.to_dict(), default=str))
        assert d["kind"] == "serving"
        if p.carbon is None:
            assert impacts == {"note": NOT_RECORDED}
        else:
            assert impacts["note"] is None
            assert impacts["per"]["1,000 requests"]["water"]["value"] == pytest.approx(
                0.001 * 2.9 / 20 * 1000)


def test_csv_has_the_union_of_the_points_columns_and_an_empty_store_a_header(tmp_path,
                                                                             capsys):
    out = tmp_path / "p.csv"
    export_points([_v2(), _point(point_id="b")], "csv", out)
    a, b = list(csv.DictReader(out.open(encoding="utf-8")))
    assert a["check.tokens_vs_engine.passed"] == "False" and b["check.tokens_vs_engine.passed"] == ""
    assert float(a["cost.decode.j_per_output_token"]) == pytest.approx(36 / 400)
    assert b["cost.note"] == "no phase decomposition stored with this point"
    export_points([], "csv")
    header = capsys.readouterr().out.strip().split(",")
    assert header[:3] == ["point_id", "run_id", "suite"] and "energy_j" in header


def test_parquet_keeps_numbers_as_numbers(tmp_path):
    pytest.importorskip("pyarrow")
    import pandas as pd

    out = tmp_path / "p.parquet"
    export_points([_v2(), _point(point_id="b", carbon=None)], "parquet", out)
    df = pd.read_parquet(out)
    assert list(df["point_id"]) == ["p", "b"]
    assert df["cost.idle.share"][0] == pytest.approx(0.75) and pd.isna(df["cost.idle.share"][1])
    assert df["weights.prefill_ci_low_j"][0] == pytest.approx(0.029)
    assert df["impact.note"][1] == NOT_RECORDED


def test_bad_format_and_parquet_to_stdout_are_refused_by_name():
    with pytest.raises(ConfigError, match="unknown export format 'xml'.*valid: csv, json, parquet"):
        export_points([_point()], "xml")
    with pytest.raises(ConfigError, match="give --out FILE.parquet"):
        export_points([_point()], "parquet")


def test_cli_bad_kind_and_parquet_without_out_exit_2_and_write_nothing(tmp_path, capsys):
    db = tmp_path / "s.db"
    with ResultStore(db) as s:
        write_points(s, [_point()])
    before = db.read_bytes()
    with pytest.raises(SystemExit) as e:
        main(["export", "--kind", "servings", "--store", str(db)])
    err = capsys.readouterr().err
    assert e.value.code == 2 and "--kind: invalid choice: 'servings'" in err
    assert "'jobs', 'serving'" in err
    assert main(["export", "--kind", "serving", "--format", "parquet", "--store", str(db)]) == 2
    err = capsys.readouterr().err
    assert "give --out FILE.parquet" in err and "Traceback" not in err
    assert db.read_bytes() == before


def test_a_point_stored_before_points_recorded_factors_exports_and_says_why(tmp_path, capsys):
    """A row written by an older wattprint (its JSON has no ``carbon`` key at all) reads, and
    its export says why it has no impacts: never a zero."""
    db = tmp_path / "s.db"
    with ResultStore(db) as s:
        write_points(s, [_point(point_id="new")])
    old = _point(point_id="old").to_dict()
    del old["carbon"]
    con = sqlite3.connect(db)
    con.execute("INSERT INTO serving_points (run_id, point_id, suite, endpoint, model, "
                "offered_rps, achieved_rps, j_per_output_token, attribution_residual, valid, "
                "stored_at, record_json) VALUES ('r', 'old', NULL, 'http://x', 'm', 2, 2, 2.8, "
                "0, 1, '2025-01-01T00:00:00Z', ?)", (json.dumps(old),))
    con.commit()
    con.close()
    with ResultStore(db, read_only=True) as s:
        new, back = read_points(s)
    assert back.point_id == "old" and back.carbon is None and new.carbon == CARBON
    assert main(["export", "--kind", "serving", "--format", "csv", "--store", str(db)]) == 0
    rows = {r["point_id"]: r for r in csv.DictReader(io.StringIO(capsys.readouterr().out))}
    assert rows["old"]["impact.note"] == NOT_RECORDED
    assert rows["old"]["impact.carbon_g.per_request"] == ""
    assert rows["old"]["impact.water_l.window"] == ""
    assert float(rows["new"]["impact.carbon_g.per_request"]) > 0
    assert main(["export", "--kind", "serving", "--store", str(db)]) == 0
    by_id = {d["point_id"]: d for d in map(json.loads, capsys.readouterr().out.splitlines())}
    assert by_id["old"]["carbon"] is None and by_id["old"]["impacts"] == {"note": NOT_RECORDED}



def test_parquet_keeps_a_check_that_some_points_lack_as_true_false_or_empty(tmp_path):
    """A check column is empty where a point has no such check: never the text "nan"."""
    pytest.importorskip("pyarrow")
    import pandas as pd

    out = tmp_path / "p.parquet"
    export_points([_v2(), _point(point_id="b")], "parquet", out)
    df = pd.read_parquet(out)
    tokens = df["check.tokens_vs_engine.passed"]
    assert str(tokens.dtype) == "boolean"
    assert not bool(tokens[0]) and pd.isna(tokens[1])
    assert bool(df["check.meter_vs_timeline.passed"][0])
    assert df["check.phases_vs_engine.passed"].isna().all()  # not compared, or no such check
