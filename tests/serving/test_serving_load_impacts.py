"""`wattprint load` stores the impact factors with each point, and `export --kind serving`
shows the impacts (JSON and CSV)."""

from __future__ import annotations

import csv
import io
import json

import pytest
from serving_fakes import MODEL, fake_server

from wattprint.cli import main
from wattprint.results.serving_store import read_points
from wattprint.results.store import ResultStore


def _load(url, store, *extra):
    return main(["load", "--endpoint", url, "--model", MODEL, "--concurrency", "2",
                 "--requests", "4", "--output-len", "4", "--idle", "0", "--max-lag", "5",
                 "--timeout", "5", "--store", str(store), *extra])


def test_load_stores_the_factors_and_export_shows_the_impacts(tmp_path, capsys):
    """Before: `load` printed impacts and stored none; `export --kind serving` had no impacts
    and refused CSV."""
    store = tmp_path / "s.db"
    with fake_server("vllm") as (url, _):
        rc = _load(url, store, "--intensity", "50", "--wue", "0.4", "--water-intensity", "3")
    assert rc == 0, capsys.readouterr().err
    out = capsys.readouterr().out
    assert "water per request" in out and "carbon per 1,000 requests" in out
    with ResultStore(store, read_only=True) as s:
        (p,) = read_points(s)
    assert p.carbon is not None and p.carbon.intensity_g_per_kwh == 50.0
    assert p.carbon.impacts.wue.value == 0.4 and p.carbon.impacts.water_intensity.value == 3.0

    assert main(["export", "--kind", "serving", "--store", str(store)]) == 0
    (d,) = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert d["carbon"]["impacts"]["wue"]["value"] == 0.4
    per = d["impacts"]["per"]
    kwh = p.energy_j / 3.6e6
    n = p.energy_j / p.j_per_request
    assert per["request"]["water"]["value"] == pytest.approx(kwh * (0.4 + 1.0 * 3.0) / n)
    assert per["request"]["water"]["parts"][0]["name"] == "on-site"
    assert d["impacts"]["carbon"]["factors"][0]["value"] == 50.0

    assert main(["export", "--kind", "serving", "--format", "csv", "--store", str(store)]) == 0
    (row,) = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert float(row["impact.water_l.per_request"]) == pytest.approx(kwh * 3.4 / n)
    assert float(row["impact.carbon_operational_g.per_1k_requests"]) == pytest.approx(
        kwh * 50.0 / n * 1000)
    assert row["requests_ok"] == "4" and row["valid"] in ("True", "False")
    # a CPU-only machine: no embodied factor, said so, never a zero
    assert row["impact.carbon_embodied_g.per_request"] == ""
    assert "no GPU was measured" in row["impact.note"]




def test_a_serving_suite_records_the_run_flags_factors_with_every_point(tmp_path, capsys):
    """`wattprint run` of a serving suite stores each point with the factors of its carbon
    flags, as `load` does; a time series is refused before any endpoint is asked."""
    f, db = tmp_path / "s.yaml", tmp_path / "r.db"
    with fake_server() as (url, _):
        f.write_text(f"name: s\nkind: serving\njobs:\n  - name: j\n    endpoint: {url}\n"
                     f"    model: {MODEL}\n    requests: 2\n    idle_s: 0\n    output_len: \"2\"\n"
                     "    max_lag_s: 5\n    loads:\n      - concurrency: 1\n")
        csv_path = tmp_path / "grid.csv"
        csv_path.write_text("timestamp,carbon_intensity\n2025-01-01T00:00:00Z,100\n")
        assert main(["run", str(f), "--store", str(db), "--intensity-csv", str(csv_path)]) == 2
        err = capsys.readouterr().err
        assert "--intensity-csv: a time series is applied per window" in err
        assert "each load point" in err and "Traceback" not in err
        assert not db.exists() or not _points(db)
        assert main(["run", str(f), "--store", str(db), "--intensity", "50", "--pue", "1.5",
                     "--wue", "0.4"]) in (0, 1)
    capsys.readouterr()
    (p,) = _points(db)
    assert p.carbon is not None and p.carbon.intensity_g_per_kwh == 50.0 and p.carbon.pue == 1.5
    assert p.carbon.impacts.wue.value == 0.4


def _points(db):
    with ResultStore(db, read_only=True) as s:
        return read_points(s)
