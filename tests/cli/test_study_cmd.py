"""CLI: wattprint study reproduce."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from wattprint.cli import main
from wattprint.results.store import ResultStore


@pytest.fixture(scope="module")
def study_dir() -> Path:
    """The study's logs (shared/reference/co2_inference); skipped where absent."""
    import os

    env = os.environ.get("WATTPRINT_STUDY_DIR")
    cands = [Path(env)] if env else [p / "shared" / "reference" / "co2_inference"
                                     for p in Path(__file__).resolve().parents]
    for c in cands:
        if (c / "data" / "emissions" / "base").is_dir():
            return c
    pytest.skip("the study's logs are not here; set WATTPRINT_STUDY_DIR")


def test_study_reproduce_json_and_store(study_dir: Path, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "r.db"
    assert main(["study", "reproduce", str(study_dir), "--json", "--store", str(db)]) == 0
    out = json.loads(capsys.readouterr().out)
    t2 = out["table2"]["text-to-image"]
    assert set(t2) >= {"mean_kwh", "std_kwh", "min_kwh", "max_kwh", "n_models"}
    assert round(t2["mean_kwh"], 3) == 2.907
    assert set(out["table3"]["google/flan-t5-xxl"]) >= {"kwh", "g_co2eq"}
    assert out["store"]["new"] == 6513
    with ResultStore(db) as s:
        assert s.count(task="text-to-image") == 300  # 10 models x 3 datasets x 10 runs
        assert s.integrity_check() == []


def test_study_reproduce_human_output(study_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["study", "reproduce", str(study_dir), "--no-store"]) == 0
    text = capsys.readouterr().out
    assert "Table 2" in text and "Table 5" in text and "138.75" in text
