"""Export: lossless JSON, flat CSV/Parquet with energy kept apart by provenance and domain."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from wattprint.errors import ConfigError
from wattprint.meters.base import DomainEnergy, DomainSpec, EnergyResult, EstimateModel, Provenance
from wattprint.results.export import export, flatten, to_frame
from wattprint.results.schema import JobResult


def _rec(job: str = "j1", settings: dict | None = None) -> JobResult:
    gpu = DomainEnergy.from_spec(DomainSpec("gpu:0", "gpu", "GPU 0", Provenance.MEASURED, "nvml"),
                                 7200.0, 10.0, idle_power_w=100.0)
    cpu = DomainEnergy.from_spec(
        DomainSpec("cpu:0", "cpu", "package", Provenance.ESTIMATED, "est", uncertainty=0.5,
                   model=EstimateModel("m", "f", {}, "s")), 360.0, 10.0)
    load = EnergyResult("load", 0.0, 2.0, (gpu,))
    return JobResult(job, 0, "text-classification", "m", "imdb", n=1000, status="ok",
                     duration_s=10.0, domains=(gpu, cpu), phases={"load": load},
                     quality={"accuracy": 0.9}, settings=settings or {"max_new_tokens": 10},
                     carbon={"emissions_g": 1.0, "intensity_g_per_kwh": 500.0,
                             "intensity_source": "x", "pue": 1.1})


def test_flatten_keeps_provenances_and_domains_apart() -> None:
    row = flatten(_rec())
    assert row["energy_measured_j"] == 7200.0 and row["energy_estimated_j"] == 360.0
    assert row["energy_integrated_j"] is None
    # 7200 J per 1000 inferences -> per 1,000 = 7200 J = 0.002 kWh
    assert row["kwh_per_1k_measured"] == pytest.approx(0.002)
    assert row["uncertainty_estimated_j"] == pytest.approx(180.0)
    assert row["domain.gpu:0.energy_j"] == 7200.0 and row["domain.gpu:0.provenance"] == "measured"
    assert row["domain.gpu:0.dynamic_energy_j"] == pytest.approx(7200.0 - 100.0 * 10.0)
    assert row["phase.load.energy_measured_j"] == 7200.0
    assert row["quality.accuracy"] == 0.9 and row["setting.max_new_tokens"] == 10
    assert row["carbon_g"] == 1.0 and row["pue"] == 1.1
    assert row["job_id"] == "j1" and row["repetition"] == 0


def test_json_csv_parquet(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    recs = [_rec("a"), _rec("b", settings={"max_new_tokens": [1, 2]})]
    export(recs, "json")
    back = json.loads(capsys.readouterr().out)
    assert [JobResult.from_dict(d) for d in back] == recs
    export(recs, "csv", tmp_path / "r.csv")
    df = pd.read_csv(tmp_path / "r.csv")
    assert list(df["job_id"]) == ["a", "b"] and df["energy_measured_j"].tolist() == [7200.0, 7200.0]
    export(recs, "parquet", tmp_path / "r.parquet")
    pq = pd.read_parquet(tmp_path / "r.parquet")
    assert len(pq) == 2 and pq["kwh_per_1k_measured"].tolist() == pytest.approx([0.002, 0.002])
    with pytest.raises(ConfigError, match="--out"):
        export(recs, "parquet")
    with pytest.raises(ConfigError, match="unknown export format 'xml'"):
        export(recs, "xml")
    assert list(to_frame([]).columns)[:2] == ["job_id", "repetition"]


def test_exports_carry_the_four_boundaries(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    row = flatten(_rec(), idle_share=0.5)
    assert row["boundary.accelerator.energy_measured_j"] == 7200.0
    # idle share 0.5: one idle unit per active one, at the GPU's 100 W idle × 10 s = 1000 J;
    # the estimated CPU has no baseline, so the idle level is missing and says why
    assert row["boundary.idle.note"] == "no idle baseline for cpu:0"
    assert row["boundary.ratio"] is None
    export([_rec()], "json", idle_share=0.0)
    (doc,) = json.loads(capsys.readouterr().out)
    levels = {lv["level"]: lv for lv in doc["boundaries"]["levels"]}
    assert levels["facility"]["parts"][0]["energy_j"] == pytest.approx(7200.0 * 1.1)
    assert levels["host"]["energy_j"] is None  # measured GPU + estimated CPU: not summed


def test_cli_export_takes_the_boundary_flags(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from wattprint.cli import main
    from wattprint.results.store import ResultStore

    db = tmp_path / "r.db"
    with ResultStore(db) as s:
        s.begin_run("r", None, {}, {})
        s.write_many([_rec()])
    out = tmp_path / "x.csv"
    assert main(["export", "--store", str(db), "--format", "csv", "--out", str(out),
                 "--idle-share", "0.2"]) == 0
    row = pd.read_csv(out).iloc[0]
    assert row["boundary.idle_share"] == 0.2 and row["boundary.pue"] == 1.1
    with pytest.raises(SystemExit) as exc:
        main(["export", "--store", str(db), "--idle-share", "1"])
    assert exc.value.code == 2 and "--idle-share" in capsys.readouterr().err
