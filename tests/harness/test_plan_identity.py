"""Resume keys on what was measured: a local model's job id follows its fingerprint."""

from __future__ import annotations

import json

import pytest

from wattprint.harness.plan import make_plan


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("WATTPRINT_CACHE", str(tmp_path / "cache"))


def _write(folder, arch):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text(json.dumps({"architectures": [arch]}))
    (folder / "model.safetensors").write_bytes(arch.encode() * 10)


def _job(model):
    _, (job,) = make_plan(None, tasks=["text-classification"], models=[model], hardware_id="hw")
    return job


def test_relative_and_absolute_spellings_are_one_job(tmp_path, monkeypatch):
    _write(tmp_path / "my-checkpoint", "BertForSequenceClassification")
    monkeypatch.chdir(tmp_path)
    rel, absolute = _job("./my-checkpoint"), _job(str(tmp_path / "my-checkpoint"))
    assert rel.job_id == absolute.job_id
    assert rel.model_fingerprint == absolute.model_fingerprint
    assert rel.model == "./my-checkpoint"  # what the user typed is still what is shown


def test_an_overwritten_folder_is_a_new_job(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _write(tmp_path / "my-checkpoint", "BertForSequenceClassification")
    before = _job("./my-checkpoint")
    _write(tmp_path / "my-checkpoint", "RobertaForSequenceClassification")
    after = _job("./my-checkpoint")
    assert before.job_id != after.job_id


def test_two_folders_with_the_same_name_stay_apart(tmp_path, monkeypatch):
    _write(tmp_path / "a" / "my-checkpoint", "BertForSequenceClassification")
    _write(tmp_path / "b" / "my-checkpoint", "DistilBertForSequenceClassification")
    monkeypatch.chdir(tmp_path / "a")
    first = _job("./my-checkpoint")
    monkeypatch.chdir(tmp_path / "b")
    second = _job("./my-checkpoint")
    assert first.job_id != second.job_id
    assert first.model_fingerprint != second.model_fingerprint
