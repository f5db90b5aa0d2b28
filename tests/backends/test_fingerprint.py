"""Model fingerprints: what a reference points at, not the text typed."""

from __future__ import annotations

import json
import os

import pytest

from wattprint.backends import fingerprint as fp
from wattprint.backends.fingerprint import folder_fingerprint, model_fingerprint
from wattprint.backends.model_ref import ModelRef


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("WATTPRINT_CACHE", str(tmp_path / "cache"))


def _checkpoint(folder, config, weights):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text(json.dumps(config))
    (folder / "model.safetensors").write_bytes(weights)
    (folder / "README.md").write_text("not part of the model")
    return folder


def test_same_folder_same_fingerprint_whatever_the_spelling(tmp_path, monkeypatch):
    _checkpoint(tmp_path / "ckpt", {"model_type": "bert"}, b"w" * 100)
    monkeypatch.chdir(tmp_path)
    rel = model_fingerprint(ModelRef.parse("./ckpt"))
    absolute = model_fingerprint(ModelRef.parse(str(tmp_path / "ckpt")))
    assert rel == absolute and rel.startswith("files:")


def test_changed_weights_or_config_change_it_other_files_do_not(tmp_path):
    folder = _checkpoint(tmp_path / "ckpt", {"model_type": "bert"}, b"w" * 100)
    first = folder_fingerprint(folder)
    (folder / "README.md").write_text("edited")
    assert folder_fingerprint(folder) == first
    (folder / "model.safetensors").write_bytes(b"v" * 100)
    second = folder_fingerprint(folder)
    assert second != first
    (folder / "config.json").write_text(json.dumps({"model_type": "gpt2"}))
    assert folder_fingerprint(folder) not in (first, second)


def test_digests_are_cached_by_size_and_mtime(tmp_path, monkeypatch):
    folder = _checkpoint(tmp_path / "ckpt", {"a": 1}, b"w" * 100)
    first = folder_fingerprint(folder)
    calls = []
    real = fp.file_digest
    monkeypatch.setattr(fp, "file_digest", lambda p, s=None: calls.append(p) or real(p, s))
    assert folder_fingerprint(folder) == first
    assert calls == []
    os.utime(folder / "config.json", ns=(1, 1))
    folder_fingerprint(folder)
    assert [p.name for p in calls] == ["config.json"]


def test_large_weight_files_are_sampled_and_still_see_a_change_in_the_middle(tmp_path, monkeypatch):
    monkeypatch.setattr(fp, "FULL_HASH_BYTES", 1000)
    monkeypatch.setattr(fp, "SAMPLE_BYTES", 100)
    path = tmp_path / "w.bin"
    data = bytearray(b"x" * 5000)
    path.write_bytes(bytes(data))
    before = fp.file_digest(path)
    data[2500] = ord("y")
    path.write_bytes(bytes(data))
    after = fp.file_digest(path)
    assert before.startswith("sampled:") and before != after


def test_a_folder_without_model_files_has_no_fingerprint(tmp_path):
    (tmp_path / "empty").mkdir()
    assert folder_fingerprint(tmp_path / "empty") is None


def test_zoo_and_callable_and_unknown_hub(tmp_path, monkeypatch):
    from wattprint.backends.zoo import ZOO_VERSION

    assert model_fingerprint(ModelRef.parse("zoo:bert")) == f"zoo-v{ZOO_VERSION}:bert@tiny"
    monkeypatch.chdir(tmp_path)
    (tmp_path / "fpmod_here.py").write_text("def f(x):\n    return x\n")
    first = model_fingerprint(ModelRef.parse("callable:fpmod_here:f"))
    assert first and first.startswith("source:")
    (tmp_path / "fpmod_here.py").write_text("def f(x):\n    return 2 * x\n")
    assert model_fingerprint(ModelRef.parse("callable:fpmod_here:f")) != first
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_CACHE", str(tmp_path / "hub"))
    assert model_fingerprint(ModelRef.parse("owner/never-cached"), network=False) is None


def test_hub_commit_comes_from_the_local_cache(tmp_path, monkeypatch):
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_CACHE", str(tmp_path))
    refs = tmp_path / "models--owner--name" / "refs"
    refs.mkdir(parents=True)
    (refs / "main").write_text("a" * 40)
    assert model_fingerprint(ModelRef.parse("owner/name")) == "commit:" + "a" * 40
    assert model_fingerprint(ModelRef.parse("owner/name"), revision="b" * 40) == "commit:" + "b" * 40
