"""CodeCarbon importer: real logs from the study, CodeCarbon 3.x rows, malformed copies."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from wattprint.meters.base import Provenance
from wattprint.results.importers.codecarbon import ImportOptions, read_file, read_paths

DATA = Path(__file__).resolve().parents[2] / "data" / "co2_inference"
TC = DATA / "emissions_base_000f2a61-6c23-4644-af23-5dee6c40c537.csv"
TTI = DATA / "emissions_base_00a7db5b-0f31-4061-94ef-78bb783c5049.csv"
COMPLETE = DATA / "text_classif_imdb_head.csv"
KWH = 3.6e6


def test_task_mode_file_becomes_one_record_with_load_phase() -> None:
    rep = read_file(TC, ImportOptions(project_as_model=True, n=1000, task="text-classification"))
    assert rep.errors == [] and rep.rows == 2 and len(rep.results) == 1
    r = rep.results[0]
    assert r.model == "cardiffnlp/twitter-xlm-roberta-base-sentiment"
    assert r.task == "text-classification" and r.n == 1000
    assert r.source == "codecarbon" and r.backend == "codecarbon-import"
    assert r.source_file == str(TC) and r.source_line == 3  # the 'query model' row
    assert r.duration_s == pytest.approx(8.44609022140503)
    dom = {d.component: d for d in r.domains}
    # values typed from the CSV's query row (kWh) × 3.6e6 J/kWh
    assert dom["gpu"].energy_j == pytest.approx(0.0012696679601447158 * KWH)
    assert dom["cpu"].energy_j == pytest.approx(9.989655233091777e-05 * KWH)
    assert dom["ram"].energy_j == pytest.approx(0.0009733678085267544 * KWH)
    assert dom["gpu"].provenance is Provenance.MEASURED
    assert "all 8 GPUs" in dom["gpu"].boundary
    assert dom["cpu"].provenance is Provenance.ESTIMATED
    assert dom["cpu"].model.constants["power_w"] == 42.5
    assert dom["ram"].provenance is Provenance.ESTIMATED
    assert dom["ram"].model.constants["power_w"] == pytest.approx(3 * 1148.738 / 8)
    # the paper's query-phase figure is the sum of the three (per 1,000 queries)
    total_kwh = sum(d.energy_j for d in r.domains) / KWH
    assert total_kwh == pytest.approx(0.0023429323210023877)
    assert r.energy_j("measured") == pytest.approx(0.0012696679601447158 * KWH)
    assert r.carbon["emissions_g"] == pytest.approx(0.3250814463668792)
    assert r.carbon["intensity_g_per_kwh"] == pytest.approx(138.75, abs=1e-3)
    assert "2.3.1" in r.carbon["intensity_source"] and "oregon" in r.carbon["intensity_source"]
    load = r.phases["load"]
    assert load.duration_s == pytest.approx(14.397873640060425)
    assert sum(d.energy_j for d in load.domains) / KWH == pytest.approx(0.00394636230584313)
    assert r.environment["gpu_count"] == "8" and r.environment["codecarbon_version"] == "2.3.1"


def test_transfer_phase_and_default_labels() -> None:
    r = read_file(TTI).results[0]
    assert set(r.phases) == {"load", "transfer"}
    assert r.model == "unknown" and r.task == "unknown" and r.n == 0
    assert r.extra["project_name"] == "SG161222/Realistic_Vision_V1.4"
    assert r.per_1k_kwh("measured") is None  # n unknown: no per-inference figure is invented


def test_per_run_rows_each_become_a_record() -> None:
    rep = read_file(COMPLETE, ImportOptions(model="x"))
    assert rep.errors == [] and len(rep.results) == 3
    assert [r.source_line for r in rep.results] == [2, 3, 4]
    assert rep.results[0].carbon["pue"] == 1.0
    assert len({r.job_id for r in rep.results}) == 3


def test_job_ids_are_stable_across_imports_and_locations(tmp_path: Path) -> None:
    copy = tmp_path / "elsewhere" / TC.name
    copy.parent.mkdir()
    shutil.copy(TC, copy)
    a = read_file(TC).results[0].job_id
    assert read_file(TC).results[0].job_id == a
    assert read_file(copy).results[0].job_id == a


def test_folders_are_searched_recursively(tmp_path: Path) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    shutil.copy(TC, tmp_path / "a" / TC.name)
    shutil.copy(TTI, tmp_path / "a" / "b" / TTI.name)
    rep = read_paths([tmp_path, tmp_path / "missing.csv"])
    assert rep.files == 2 and len(rep.results) == 2
    assert [str(e) for e in rep.errors] == [f"{tmp_path / 'missing.csv'}: no such file or folder"]


HEADER_3X = ("timestamp,project_name,run_id,experiment_id,duration,emissions,emissions_rate,"
             "cpu_power,gpu_power,ram_power,cpu_energy,gpu_energy,ram_energy,energy_consumed,"
             "water_consumed,country_name,country_iso_code,region,cloud_provider,cloud_region,os,"
             "python_version,codecarbon_version,cpu_count,cpu_model,gpu_count,gpu_model,longitude,"
             "latitude,ram_total_size,tracking_mode,on_cloud,pue,wue,cpu_utilization_percent,"
             "gpu_utilization_percent,ram_utilization_percent,ram_used_gb")


def _row3(run: str, cpu_w: float, gpu_model: str = "1 x NVIDIA H100 80GB HBM3") -> str:
    # cpu 0.001 + gpu 0.002 + ram 0.0005 = 0.0035 kWh; emissions 0.0007 kg -> 200 g/kWh
    return (f"2025-06-01T10:00:00,proj,{run},exp,36.0,0.0007,1.9e-05,{cpu_w},200.0,50.0,0.001,"
            f"0.002,0.0005,0.0035,0.0,France,FRA,ile-de-france,,,Linux,3.12.0,3.0.4,32,"
            f"AMD EPYC 9654,1,{gpu_model},2.3,48.8,64.0,machine,N,1.0,0.0,12.5,80.0,40.0,25.6")


def test_codecarbon_3x_rows(tmp_path: Path) -> None:
    f = tmp_path / "emissions.csv"
    f.write_text("\n".join([HEADER_3X, _row3("r1", 61.0), _row3("r2", 75.5),
                            _row3("r3", 70.0, "1 x Tesla P100-PCIE-16GB")]) + "\n")
    rep = read_file(f)
    assert rep.errors == [] and len(rep.results) == 3
    r1, _, r3 = rep.results
    dom = {d.component: d for d in r1.domains}
    assert dom["gpu"].provenance is Provenance.MEASURED and dom["gpu"].energy_j == pytest.approx(0.002 * KWH)
    # varying cpu_power: RAPL or cpu_load model, the CSV cannot tell -> estimated, said so
    assert dom["cpu"].provenance is Provenance.ESTIMATED
    assert "does not say" in dom["cpu"].model.formula
    # 50 W is not 3 W/8 GB x 64 GB (= 24 W): another RAM model, still an estimate
    assert dom["ram"].provenance is Provenance.ESTIMATED and dom["ram"].model.name == "codecarbon-ram-model"
    assert r1.carbon["intensity_g_per_kwh"] == pytest.approx(0.7 / 0.0035)
    assert r1.extra["water_consumed"] == "0.0" and r1.extra["cpu_utilization_percent"] == "12.5"
    # pre-Volta GPU: no energy counter, CodeCarbon integrates power
    assert {d.component: d for d in r3.domains}["gpu"].provenance is Provenance.INTEGRATED
    measured = read_file(f, ImportOptions(cpu_measured=True)).results[0]
    assert {d.component: d for d in measured.domains}["cpu"].provenance is Provenance.MEASURED


def test_constant_cpu_power_across_a_file_is_an_estimate(tmp_path: Path) -> None:
    f = tmp_path / "emissions.csv"
    f.write_text("\n".join([HEADER_3X, _row3("r1", 102.5), _row3("r2", 102.5)]) + "\n")
    d = {x.component: x for x in read_file(f).results[0].domains}["cpu"]
    assert d.provenance is Provenance.ESTIMATED and d.model.constants["tdp_w"] == 205.0


# ---- malformed copies ---------------------------------------------------------------------

def _copy_with(tmp_path: Path, src: Path, edit) -> Path:
    lines = src.read_text().splitlines()
    edit(lines)
    out = tmp_path / src.name
    out.write_text("\n".join(lines) + "\n")
    return out


def _set(lines: list[str], line_no: int, col: str, value: str) -> None:
    header = lines[0].split(",")
    cells = lines[line_no - 1].split(",")
    cells[header.index(col)] = value
    lines[line_no - 1] = ",".join(cells)


def test_bad_number_names_file_and_line_and_keeps_the_rest(tmp_path: Path) -> None:
    f = _copy_with(tmp_path, COMPLETE, lambda ls: _set(ls, 3, "gpu_energy", "abc"))
    rep = read_file(f)
    assert len(rep.results) == 2
    assert [str(e) for e in rep.errors] == [f"{f}:3: column 'gpu_energy' is not a number: 'abc'"]


def test_units_that_do_not_add_up(tmp_path: Path) -> None:
    f = _copy_with(tmp_path, COMPLETE, lambda ls: _set(ls, 4, "energy_consumed", "0.01"))
    rep = read_file(f)
    assert len(rep.results) == 2 and len(rep.errors) == 1
    e = rep.errors[0]
    assert e.file == str(f) and e.line == 4 and "do not add up" in e.message


def test_short_row_and_negative_energy(tmp_path: Path) -> None:
    def edit(ls: list[str]) -> None:
        ls[1] = ",".join(ls[1].split(",")[:5])
        _set(ls, 3, "cpu_energy", "-0.1")
    f = _copy_with(tmp_path, COMPLETE, edit)
    rep = read_file(f)
    assert len(rep.results) == 1
    msgs = {e.line: e.message for e in rep.errors}
    assert "too few fields" in msgs[2] and "negative" in msgs[3]


def test_missing_columns_and_not_codecarbon(tmp_path: Path) -> None:
    f = _copy_with(tmp_path, COMPLETE, lambda ls: ls.__setitem__(
        0, ls[0].replace("gpu_energy", "gpu_nrg")))
    rep = read_file(f)
    assert rep.results == [] and len(rep.errors) == 1
    assert rep.errors[0].line == 1 and "missing column(s) gpu_energy" in rep.errors[0].message
    other = tmp_path / "lengths.csv"
    other.write_text("Input,Output,model,dataset\n54,14,m,cnn\n")
    e = read_file(other).errors[0]
    assert str(e).startswith(f"{other}:1: not a CodeCarbon emissions log")
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    assert "empty file" in read_file(empty).errors[0].message


def test_malformed_query_row_in_task_mode_keeps_the_other_rows(tmp_path: Path) -> None:
    f = _copy_with(tmp_path, TC, lambda ls: _set(ls, 3, "duration", ""))
    rep = read_file(f)
    assert [(e.line, e.message) for e in rep.errors] == [(3, "column 'duration' is empty")]
    # the load row is kept, as its own record (no query row left in the run)
    assert len(rep.results) == 1 and rep.results[0].extra["task_name"] == "load model"


def test_real_files_from_the_reference_folder(study_dir: Path) -> None:
    base = sorted((study_dir / "data" / "emissions" / "base").glob("*.csv"))[:25]
    rep = read_paths(base)
    assert rep.errors == [] and len(rep.results) == 25
    for r in rep.results:
        assert {d.component for d in r.domains} == {"gpu", "cpu", "ram"}
        assert "load" in r.phases


CC_EXAMPLE = Path(__file__).resolve().parents[2] / "data" / "codecarbon" / "codecarbon_examples_emissions.csv"
"""CodeCarbon's own ``examples/emissions.csv`` (mlco2/codecarbon @ b05965e, MIT)."""


def test_partial_rows_import_with_their_domains_and_an_unknown_total(tmp_path: Path) -> None:
    from wattprint.results.store import ResultStore

    rep = read_file(CC_EXAMPLE)
    assert rep.errors == [] and len(rep.results) == 28
    partial = [r for r in rep.results if r.extra.get("missing_columns")]
    assert [r.source_line for r in partial] == [6, 7]
    for r in partial:
        assert {d.component for d in r.domains} == {"gpu", "ram"}  # no CPU domain invented
        assert r.extra["energy_consumed_kwh"] is None  # the total is unknown, not gpu + ram
        assert r.extra["missing_columns"] == ["cpu_energy"]
        assert any("cpu_energy empty" in w and "total is unknown" in w for w in r.warnings)
        assert r.carbon.emissions_g is None and r.carbon.intensity_g_per_kwh is None
    line6 = partial[0]
    assert {d.component: d.energy_j for d in line6.domains} == pytest.approx(
        {"gpu": 5.41164398111679e-07 * KWH, "ram": 5.236769318580628e-05 * KWH})
    with ResultStore(tmp_path / "s.db") as store:  # stored and read back as imported
        store.write_many(rep.results)
        back = {r.source_line: r for r in store.results()}
    assert back[6].warnings == line6.warnings and back[6].extra["missing_columns"] == ["cpu_energy"]


def test_row_with_every_component_empty_is_refused(tmp_path: Path) -> None:
    def edit(ls: list[str]) -> None:
        for col in ("cpu_energy", "gpu_energy", "ram_energy", "energy_consumed"):
            _set(ls, 3, col, "")
    f = _copy_with(tmp_path, COMPLETE, edit)
    rep = read_file(f)
    assert len(rep.results) == 2 and [e.line for e in rep.errors] == [3]
    assert "all empty" in rep.errors[0].message
