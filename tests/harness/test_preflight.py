"""The pre-flight pass: one clear error with the fix before any job starts."""

from __future__ import annotations

import dataclasses

import pytest
from harness_fakes import make_job

from wattprint.cli import main
from wattprint.harness.preflight import (
    DEFAULT_PROBES,
    INSTALL_HUB,
    PreflightError,
    check_plan,
    preflight,
)


def _probes(**kw):
    return dataclasses.replace(DEFAULT_PROBES, **kw)


def _jobs(count, **settings):
    return [dataclasses.replace(make_job("zoo:distilbert-sst2@tiny", job_id=f"j{i}"),
                                dataset=f"d{i}").with_settings(**settings) for i in range(count)]


def test_missing_hub_extra_is_one_problem_for_all_jobs_with_the_install_command():
    probes = _probes(has_module=lambda name: name != "datasets", hub_dataset=lambda t, d: True)
    with pytest.raises(PreflightError) as err:
        preflight(_jobs(480), probes=probes)
    msg = str(err.value)
    assert msg.count("fix:") == 1 and INSTALL_HUB in msg and "every job" in msg


def test_cuda_without_a_gpu_and_a_too_high_index():
    none = _probes(cuda_devices=lambda: 0)
    (p,) = check_plan(_jobs(2, device="cuda"), probes=none)
    assert "no CUDA GPU" in p.what and "--device cpu" in p.fix
    two = _probes(cuda_devices=lambda: 2)
    (p,) = check_plan(_jobs(1, device="cuda:3"), probes=two)
    assert "only 2 CUDA device(s)" in p.what and "cuda:1" in p.fix
    assert check_plan(_jobs(1, device="cuda:1"), probes=two) == []
    assert check_plan(_jobs(1, device="cuda"), probes=none, check_devices=False) == []


def test_missing_model_folder_and_folder_without_config(tmp_path):
    jobs = [dataclasses.replace(make_job(str(tmp_path / "gone")), dataset="builtin")]
    (p,) = check_plan(jobs)
    assert "does not exist" in p.what
    (tmp_path / "empty").mkdir()
    jobs = [dataclasses.replace(make_job(str(tmp_path / "empty")), dataset="builtin")]
    (p,) = check_plan(jobs)
    assert "no config.json" in p.what


def _run(tmp_path, model, *extra):
    return main(["run", "--task", "text-classification", "--model", model, "-n", "2",
                 "--repeat", "1", "--idle", "0", "--warmup", "0", "--executor", "inprocess",
                 "--store", str(tmp_path / "s.db"), *extra])


def test_unimportable_callable_stops_the_run_before_anything_is_stored(tmp_path, monkeypatch,
                                                                         capsys):
    monkeypatch.chdir(tmp_path)
    assert _run(tmp_path, "callable:pf_absent_mod:f") == 2
    err = capsys.readouterr().err
    assert "pf_absent_mod" in err and "fix:" in err and "Traceback" not in err
    assert not (tmp_path / "s.db").exists()


def test_module_that_raises_on_import_is_reported_not_a_traceback(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pf_broken_mod.py").write_text("def f(x:\n")
    assert _run(tmp_path, "callable:pf_broken_mod:f") == 2
    assert "SyntaxError" in capsys.readouterr().err


def test_callable_module_in_the_current_directory_is_found_like_python_m(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pf_here_mod.py").write_text("def f(text):\n    return 1\n")
    assert _run(tmp_path, "callable:pf_here_mod:f") == 0


def _bad_datasets(tmp_path):
    """A file or folder per way a local dataset can be unreadable, with what names it."""
    (tmp_path / "garbage.jsonl").write_bytes(bytes(range(255, -1, -1)) * 8)
    (tmp_path / "garbage.bin").write_bytes(bytes(range(256)))
    (tmp_path / "folder").mkdir()
    (tmp_path / "empty.jsonl").write_bytes(b"")
    (tmp_path / "latin1.csv").write_bytes("text,label\nfine,1\ncaf\u00e9,0\n".encode("latin-1"))
    (tmp_path / "broken.jsonl").write_text('{"text": "a"}\n{"text": "b",}\n{"text": "c"}\n')
    return {"garbage.jsonl": "garbage.jsonl:1: not UTF-8",
            "garbage.bin": "unsupported file type '.bin'; valid: .jsonl",
            "folder": "is a folder; text-classification reads a file",
            "empty.jsonl": "the file is empty; expected a .jsonl file",
            "latin1.csv": "latin1.csv:3: not UTF-8 text",
            "broken.jsonl": "broken.jsonl:2: invalid JSON"}


@pytest.mark.parametrize("model", ["zoo:distilbert-sst2@tiny", "callable:pf_any_mod:f"])
def test_bad_local_datasets_are_named_with_file_and_line(tmp_path, model):
    importable = _probes(import_callable=lambda target: None)
    for name, message in _bad_datasets(tmp_path).items():
        job = dataclasses.replace(make_job(model, n=3), dataset=str(tmp_path / name))
        with pytest.raises(PreflightError) as err:
            preflight([job], probes=importable)
        msg = str(err.value)
        assert message in msg and "fix: give --dataset a UTF-8" in msg, msg
        assert "at least 3 records" in msg


def test_a_suite_dataset_fix_names_the_suite_file_and_entry(tmp_path):
    (tmp_path / "empty.csv").write_bytes(b"")
    job = dataclasses.replace(make_job("zoo:distilbert-sst2@tiny"), entry="jobs[2]",
                              dataset=str(tmp_path / "empty.csv"))
    (p,) = check_plan([job], source="my-suite.yaml")
    assert "empty.csv: the file is empty" in p.what
    assert p.fix.startswith("in my-suite.yaml, point jobs[2].dataset at a UTF-8")


def test_each_dataset_is_read_once_as_far_as_its_largest_n():
    asked = []
    probes = _probes(local_dataset=lambda task, dataset, n: asked.append((task, dataset, n)))
    jobs = [dataclasses.replace(make_job("zoo:distilbert-sst2@tiny", n=n, job_id=f"j{n}"),
                                dataset="./data.jsonl") for n in (5, 50, 7)]
    assert check_plan(jobs, probes=probes) == []
    assert asked == [("text-classification", "./data.jsonl", 50)]


def test_builtin_study_and_hub_datasets_are_not_read(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # nothing here could be read as a file of those names
    jobs = [dataclasses.replace(make_job("zoo:distilbert-sst2@tiny", job_id=d), dataset=d)
            for d in ("builtin", "imdb", "hf:owner/name")]
    assert check_plan(jobs, probes=_probes(has_module=lambda name: True)) == []


def test_bad_dataset_flag_stops_the_run_before_anything_is_stored(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    _bad_datasets(tmp_path)
    assert _run(tmp_path, "zoo:distilbert-sst2@tiny", "--dataset", "./latin1.csv") == 2
    err = capsys.readouterr().err
    assert "latin1.csv:3: not UTF-8 text" in err and "Traceback" not in err
    assert not (tmp_path / "s.db").exists()
