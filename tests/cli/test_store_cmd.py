"""CLI: wattprint store / import codecarbon / export."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from wattprint.cli import main

DATA = Path(__file__).resolve().parents[1] / "data" / "co2_inference"


def test_import_export_round(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "r.db")
    src = tmp_path / "logs"
    shutil.copytree(DATA, src)
    (src / "LICENSE").unlink()
    (src / "README.md").unlink()
    rc = main(["import", "codecarbon", str(src), "--store", db, "--project-as-model",
               "--task", "text-classification", "--n", "1000", "--json"])
    summary = json.loads(capsys.readouterr().out)
    assert rc == 0 and summary["stored"] == 5 and summary["errors"] == []
    rc = main(["import", "codecarbon", str(src), "--store", db, "--project-as-model", "--json"])
    again = json.loads(capsys.readouterr().out)
    assert rc == 0 and again["stored"] == 0 and again["already_stored"] == 5  # no duplicates
    assert main(["export", "--format", "json", "--store", db,
                 "--model", "cardiffnlp/twitter-xlm-roberta-base-sentiment"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert len(out) == 1 and out[0]["job_id"] and out[0]["repetition"] == 0
    assert out[0]["source"] == "codecarbon" and out[0]["per_inference"]["measured"]["kwh_per_1k"] > 0
    assert main(["export", "--format", "csv", "--store", db, "--out", str(tmp_path / "x.csv")]) == 0
    assert (tmp_path / "x.csv").read_text().count("\n") == 6
    assert main(["store", "--store", db, "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["results"] == 5 and info["runs"] == 2  # one per import invocation


def test_import_errors_exit_1_and_name_file_and_line(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.csv"
    lines = (DATA / "text_classif_imdb_head.csv").read_text().splitlines()
    cells = lines[2].split(",")
    cells[lines[0].split(",").index("energy_consumed")] = "zzz"
    lines[2] = ",".join(cells)
    bad.write_text("\n".join(lines) + "\n")
    rc = main(["import", "codecarbon", str(bad), "--store", str(tmp_path / "r.db")])
    cap = capsys.readouterr()
    assert rc == 1
    assert f"{bad}:3: column 'energy_consumed' is not a number: 'zzz'" in cap.err
    assert "stored 2 new" in cap.out


def test_bad_task_and_missing_store(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["import", "codecarbon", str(DATA), "--task", "text-clasification",
                 "--store", str(tmp_path / "r.db")]) == 2
    assert "did you mean 'text-classification'" in capsys.readouterr().err
    assert main(["export", "--store", str(tmp_path / "none.db")]) == 2
    assert "no results store" in capsys.readouterr().err
