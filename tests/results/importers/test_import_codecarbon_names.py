"""Imported logs keep their names, and older or partial logs import with honest labels
(issue 10, item 7). The fixtures in tests/data/codecarbon are small files written for these
tests in the formats of CodeCarbon's own example and test CSVs (mlco2/codecarbon:
examples/emissions.csv for 1.x, tests/test_data/emissions_valid_headers.csv for 2.x)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from wattprint.analysis.frame import results_frame
from wattprint.cli import main
from wattprint.meters.base import Provenance
from wattprint.results.importers.codecarbon import read_file
from wattprint.results.names import display_model

DATA = Path(__file__).resolve().parents[2] / "data" / "codecarbon"
KWH = 3.6e6


def test_a_1x_log_imports_as_a_total_whose_split_is_unknown() -> None:
    rep = read_file(DATA / "legacy_1x.csv")
    assert rep.errors == [] and len(rep.results) == 3
    r = rep.results[0]
    (d,) = r.domains
    assert d.component == "total" and d.provenance is Provenance.ESTIMATED
    assert "split between components is unknown" in d.boundary
    assert d.model is not None and d.model.name == "codecarbon-1x-total"
    assert d.energy_j == pytest.approx(0.0021 * KWH)
    assert r.carbon.emissions_g == pytest.approx(0.81)
    # no run_id column: each row is its own run, told apart by its line
    assert len({x.job_id for x in rep.results}) == 3
    assert rep.results[2].carbon.emissions_g is None  # empty emissions: unknown, not 0
    assert display_model(r) == "sentiment-finetune"


def test_a_bad_pue_in_a_1x_log_is_a_row_error(tmp_path: Path) -> None:
    """A 1.x row's pue was parsed only when its carbon record was built, outside the row's
    error handling: a bad value stopped the import with a traceback."""
    lines = (DATA / "legacy_1x.csv").read_text().splitlines()
    lines[0] += ",pue"
    lines[1:] = [line + (",abc" if i == 1 else ",1.2") for i, line in enumerate(lines[1:])]
    f = tmp_path / "pue.csv"
    f.write_text("\n".join(lines) + "\n")
    rep = read_file(f)
    assert [str(e) for e in rep.errors] == [f"{f}:3: column 'pue' is not a number: 'abc'"]
    assert len(rep.results) == 2 and rep.results[0].carbon.pue == 1.2


def test_rows_with_an_empty_run_id_or_emissions_are_imported_and_say_so() -> None:
    rep = read_file(DATA / "partial_rows.csv")
    assert rep.errors == [] and len(rep.results) == 2
    no_run, no_emissions = rep.results
    assert no_run.extra["codecarbon_run_id"] is None and "run_id empty" in no_run.extra["note"]
    assert no_emissions.carbon.emissions_g is None
    assert no_emissions.carbon.intensity_g_per_kwh is None
    assert "emissions column empty" in no_emissions.carbon.intensity_source
    assert no_emissions.energy_j("estimated") == pytest.approx(0.00039 * KWH)


def test_apple_silicon_gpu_energy_is_not_labelled_an_nvml_counter() -> None:
    (r,) = read_file(DATA / "apple_silicon.csv").results
    dom = {d.component: d for d in r.domains}
    assert dom["gpu"].provenance is Provenance.INTEGRATED
    assert "powermetrics" in dom["gpu"].source and "nvml" not in dom["gpu"].source.lower()
    assert "Apple silicon GPU" in dom["gpu"].boundary
    assert dom["cpu"].provenance is Provenance.INTEGRATED  # powermetrics too, not RAPL
    assert r.energy_j("measured") is None


def test_project_and_task_names_are_shown_where_the_model_goes(tmp_path: Path, capsys) -> None:
    store = str(tmp_path / "s.db")
    assert main(["import", "codecarbon", str(DATA / "task_mode_names.csv"), "--store", store,
                 "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["stored"] == 2
    name = "<b>ranker</b> [/] v2"
    # leaderboard frame: no "unknown" rows
    from wattprint.results.store import ResultStore

    with ResultStore(store, read_only=True) as s:
        rs = s.results()
    assert {r.model for r in rs} == {"unknown"}
    assert set(results_frame(rs)["model"]) == {f"{name} · load model", f"{name} · rerank batch"}
    # exports: the label column, and --model filters by the shown name
    assert main(["export", "--store", store, "--format", "csv",
                 "--model", f"{name} · rerank batch"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [r["model_label"] for r in rows] == [f"{name} · rerank batch"]
    assert main(["export", "--store", store]) == 0
    assert {o["model_label"] for o in json.loads(capsys.readouterr().out)} == {
        f"{name} · load model", f"{name} · rerank batch"}
    # the report escapes it like any name
    out = tmp_path / "report"
    assert main(["report", "--store", store, "--out", str(out)]) == 0
    html = (out / "index.html").read_text()
    assert "&lt;b&gt;ranker&lt;/b&gt; [/] v2" in html and "<b>ranker</b>" not in html
    assert 'class="model" data-v="unknown"' not in html  # no model cell says "unknown"
