"""`wattprint run`, `validate` and `suites` end to end, on the real tasks, zoo and meter."""

from __future__ import annotations

import json

import pytest

from wattprint.cli import main
from wattprint.harness.plan import load_suite, shipped_suites
from wattprint.results.store import ResultStore
from wattprint.tasks.base import TASK_IDS

TINY_TC = "zoo:distilbert-sst2@tiny"


def test_suites_lists_smoke_and_study(capsys):
    assert main(["suites"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith("smoke") or "smoke" in out
    assert "study" in out


@pytest.mark.parametrize("name", sorted(shipped_suites()))
def test_every_shipped_suite_validates(name, capsys):
    assert main(["validate", name]) == 0
    assert f"valid suite {name!r}" in capsys.readouterr().out


def test_smoke_suite_validates_and_covers_all_ten_tasks(capsys):
    assert main(["validate", "smoke", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert sorted({j["task"] for j in data["expanded"]}) == sorted(TASK_IDS)
    assert all(j["model"].startswith("zoo:") for j in data["expanded"])


def test_validate_here_runs_the_preflight_of_run(capsys):
    """`validate --here` also checks this machine as `run` would; smoke runs anywhere."""
    assert main(["validate", "smoke", "--here", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["checked_here"] is True
    assert main(["validate", "smoke", "--here"]) == 0
    assert "it can run here (pre-flight passed)" in capsys.readouterr().out


def test_study_suite_validates_offline_with_88_models_on_30_datasets():
    jobs = load_suite("study").expand(hardware_id="validate")
    task_specific = {(j.task, j.model) for j in jobs if j.mode == "task-specific"}
    zero_shot = {j.model for j in jobs if j.mode == "zero-shot"}
    assert len({j.model for j in jobs}) == 88
    assert len(task_specific) == 80 and len(zero_shot) == 8
    assert len({(j.task, j.dataset) for j in jobs}) == 30
    assert len({(j.task, j.dataset) for j in jobs if j.mode == "zero-shot"}) == 9
    assert {(j.settings.n, j.settings.repeat, j.settings.batch_size, j.settings.device) for j in jobs} == {(1000, 10, 1, "cuda")}
    # the study's zero-shot generation: BLOOMz gets 1 new token on sentiment, 65 on XSum
    by = {(j.model, j.dataset): j for j in jobs if j.mode == "zero-shot"}
    assert by[("bigscience/bloomz-560m", "imdb")].settings.generation["max_new_tokens"] == 1
    assert by[("bigscience/bloomz-560m", "xsum")].settings.generation["max_new_tokens"] == 65


def test_study_suite_matches_the_tasks_study_grid():
    from wattprint.tasks.study import study_jobs

    ours = {(j.task, j.model, j.dataset, j.mode, tuple(sorted(j.settings.generation.items())))
            for j in load_suite("study").expand(hardware_id="validate")}
    theirs = {(s.task, s.model, s.dataset, s.mode, tuple(sorted(s.generation.items())))
              for s in study_jobs()}
    assert len(ours) == 312
    assert ours == theirs


def test_shipped_study_suite_is_generated_from_the_current_tables():
    from importlib import resources

    from wattprint.harness.study_suite import study_suite_yaml

    shipped = (resources.files("wattprint.harness.suites") / "study.yaml").read_text()
    assert shipped == study_suite_yaml()


def test_validate_reports_a_typo_with_file_line_and_suggestion(tmp_path, capsys):
    f = tmp_path / "s.yaml"
    f.write_text("name: s\njobs:\n  - task: text-classification\n    datset: imdb\n")
    assert main(["validate", str(f)]) == 2
    err = capsys.readouterr().err
    assert f"{f}:4: jobs[0].datset: unknown key 'datset' (did you mean 'dataset'" in err


def test_run_unknown_task_is_a_clear_error(capsys):
    assert main(["run", "--task", "text-clasification", "--no-store"]) == 2
    assert "did you mean 'text-classification'" in capsys.readouterr().err


def test_adhoc_run_writes_jsonl_and_store_then_resumes(tmp_path, capsys):
    out, db = tmp_path / "x.jsonl", tmp_path / "r.db"
    argv = ["run", "--task", "text-classification", "--model", TINY_TC, "-n", "3", "--repeat", "1",
            "--idle", "0.2", "--out", str(out), "--store", str(db), "--json"]
    assert main(argv) == 0
    first = json.loads(capsys.readouterr().out)
    (line,) = [json.loads(x) for x in out.read_text().splitlines()]
    assert (line["task"], line["model"], line["dataset"], line["n"], line["status"]) == (
        "text-classification", TINY_TC, "builtin", 3, "ok")
    assert line["duration_s"] > 0 and line["domains"]
    assert {"name", "energy_j", "provenance"} <= set(line["domains"][0])
    assert line["weights"] == "random" and set(line["phases"]) == {"load", "idle"}
    assert first["ran"] == 1 and first["summary"][0]["status"] == "ok"
    # second invocation: nothing left to run, summary still reports the stored result
    assert main(argv) == 0
    second = json.loads(capsys.readouterr().out)
    assert (second["ran"], second["skipped"]) == (0, 1)
    assert second["summary"][0]["ok"] == 1
    with ResultStore(db) as store:
        assert len(store.results()) == 1
    # a dry run sees the stored repetition and would run nothing
    assert main([*argv[:-5], "--store", str(db), "--dry-run", "--json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert plan["repetitions_to_run"] == 0 and plan["jobs"][0]["to_run"] == 0
    assert main([*argv[:-5], "--repeat", "3", "--store", str(db), "--dry-run", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["repetitions_to_run"] == 2


def test_adhoc_run_on_a_local_checkpoint_folder(tmp_path, capsys):
    from wattprint.backends.zoo import resolve_model

    folder, _ = resolve_model(TINY_TC)
    assert main(["run", "--task", "text-classification", "--model", folder, "-n", "2",
                 "--repeat", "1", "--idle", "0", "--no-store", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [r["status"] for r in data["results"]] == ["ok"]
    assert data["results"][0]["model"] == folder


def test_a_failing_model_is_recorded_and_the_exit_code_says_so(tmp_path, capsys):
    argv = ["run", "--task", "text-classification", "--model", "callable:harness_fakes:boom",
            "-n", "2", "--repeat", "2", "--idle", "0", "--no-store", "--json"]
    assert main(argv) == 1
    data = json.loads(capsys.readouterr().out)
    assert [r["status"] for r in data["results"]] == ["failed", "failed"]
    assert data["results"][0]["error"].startswith("RuntimeError: boom")


@pytest.mark.slow
def test_smoke_suite_acceptance(tmp_path, capsys):
    """The acceptance test: `wattprint run` (smoke) gives ok results for all ten tasks."""
    out = tmp_path / "smoke.jsonl"
    assert main(["run", "--store", str(tmp_path / "s.db"), "--out", str(out)]) == 0
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    assert {x["task"] for x in lines if x["status"] == "ok"} == set(TASK_IDS)
    assert all(x["status"] == "ok" for x in lines)
    assert "smoke" in capsys.readouterr().out


@pytest.mark.gpu
def test_run_on_a_gpu_measures_the_gpu_counter(tmp_path, capsys):
    """On a GPU machine: the query window carries gpu:0 energy from NVML's counter."""
    assert main(["run", "--task", "text-classification", "--model", TINY_TC, "--device", "cuda",
                 "-n", "20", "--repeat", "2", "--idle", "1", "--no-store", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    for r in data["results"]:
        gpu = [d for d in r["domains"] if d["name"].startswith("gpu:")]
        assert gpu and gpu[0]["provenance"] == "measured" and gpu[0]["energy_j"] > 0
        assert r["device"].startswith("cuda")
        assert r["environment"]["gpu"]["available"] is True


def test_run_records_the_grid_intensity_with_every_result(tmp_path, capsys):
    argv = ["run", "--task", "text-classification", "--model", "callable:harness_fakes:always_one",
            "-n", "2", "--repeat", "2", "--idle", "0", "--no-store", "--json"]
    assert main([*argv, "--intensity", "138.75", "--pue", "1.2"]) == 0
    results = json.loads(capsys.readouterr().out)["results"]
    assert len(results) == 2
    for r in results:
        assert r["carbon"]["intensity_g_per_kwh"] == 138.75 and r["carbon"]["pue"] == 1.2
        assert r["carbon"]["intensity_defaulted"] is False
    assert main(argv) == 0  # nothing given: the world average, and the record says so
    carbon = json.loads(capsys.readouterr().out)["results"][0]["carbon"]
    assert carbon["intensity_defaulted"] is True and "world average" in carbon["intensity_source"]


def test_run_rejects_a_bad_carbon_flag_before_running(capsys):
    assert main(["run", "--task", "text-classification", "--model", "callable:harness_fakes:boom",
                 "--no-store", "--country", "Atlantis"]) == 2
    assert "unknown" in capsys.readouterr().err.lower()
