import json
import threading
import time
from pathlib import Path

import pytest

from wattprint.backends import zoo
from wattprint.backends.zoo.corpus import generate_corpus
from wattprint.backends.zoo.specs import Built, ZooSpec
from wattprint.backends.zoo.tokenizers import train_tokenizer
from wattprint.errors import BackendError, ConfigError
from wattprint.tasks.base import TASK_IDS


def test_every_task_has_a_default_zoo_model_of_its_own_task():
    assert set(zoo.DEFAULT_ZOO_MODELS) == set(TASK_IDS)
    for task, ref in zoo.DEFAULT_ZOO_MODELS.items():
        name, size = zoo.parse_ref(ref)
        assert size == "tiny" and zoo.get_spec(name).task == task
    assert {zoo.parse_ref(r)[0] for r in zoo.ZERO_SHOT_ZOO_MODELS.values()} == {"flan-t5", "bloomz"}


def test_parse_ref_defaults_to_tiny_and_names_valid_choices():
    assert zoo.parse_ref("zoo:distilgpt2") == ("distilgpt2", "tiny")
    assert zoo.parse_ref("zoo:distilgpt2@real-size") == ("distilgpt2", "real-size")
    with pytest.raises(ConfigError, match=r"unknown zoo model 'distilgpt' \(did you mean 'distilgpt2'"):
        zoo.parse_ref("zoo:distilgpt")
    with pytest.raises(ConfigError, match="valid: real-size, tiny"):
        zoo.parse_ref("zoo:distilgpt2@huge")
    assert zoo.resolve_model("gpt2") == ("gpt2", False)


def test_cache_dir_follows_wattprint_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("WATTPRINT_CACHE", str(tmp_path))
    assert zoo.default_cache_dir() == tmp_path / "zoo"
    assert zoo.model_dir("distilgpt2", "tiny").parent.parent == tmp_path / "zoo"
    monkeypatch.delenv("WATTPRINT_CACHE")
    assert zoo.default_cache_dir() == Path.home() / ".cache" / "wattprint" / "zoo"


def test_build_writes_random_marker_and_is_reused(zoo_cache, monkeypatch):
    path = zoo.build("distilbert-sst2", "tiny", zoo_cache)
    marker = json.loads((path / zoo.MARKER).read_text())
    assert marker["weights"] == "random"
    assert marker["architecture"] == "DistilBertForSequenceClassification"
    assert marker["size"] == "tiny" and marker["task"] == "text-classification"
    assert "transformers" in marker["built_with"]
    assert (path / "config.json").is_file() and (path / "tokenizer.json").is_file()

    def boom(size):   # a second build must not run the builder again
        raise AssertionError("rebuilt")
    spec = zoo.SPECS["distilbert-sst2"]
    monkeypatch.setitem(zoo.SPECS, "distilbert-sst2", ZooSpec(spec.name, spec.task, spec.study_model, spec.library, boom))
    assert zoo.build("distilbert-sst2", "tiny", zoo_cache) == path
    assert zoo.resolve_model("zoo:distilbert-sst2@tiny", zoo_cache) == (str(path), True)


class _SlowPart:
    def __init__(self, calls):
        self.calls = calls

    def save_pretrained(self, folder):
        self.calls.append(threading.get_ident())
        time.sleep(0.2)
        (Path(folder) / "config.json").write_text("{}")


def test_concurrent_builds_end_with_one_complete_folder(tmp_path, monkeypatch):
    calls: list[int] = []
    spec = ZooSpec("fake", "text-classification", "none", "transformers",
                   lambda size: Built([_SlowPart(calls)], "FakeModel"))
    monkeypatch.setitem(zoo.SPECS, "fake", spec)
    results: list[Path] = []
    threads = [threading.Thread(target=lambda: results.append(zoo.build("fake", "tiny", tmp_path))) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 2 and len(set(results)) == 1   # both built, one folder won, both use it
    folder = results[0]
    assert json.loads((folder / zoo.MARKER).read_text())["architecture"] == "FakeModel"
    assert [p.name for p in folder.parent.iterdir()] == [folder.name]   # no temporary folder left


def test_failed_build_leaves_nothing_behind(tmp_path, monkeypatch):
    def broken(size):
        raise RuntimeError("config rejected")
    monkeypatch.setitem(zoo.SPECS, "bad", ZooSpec("bad", "text-classification", "none", "transformers", broken))
    with pytest.raises(BackendError, match="building zoo model 'bad' \\(tiny\\) failed: RuntimeError: config rejected"):
        zoo.build("bad", "tiny", tmp_path)
    assert list(zoo.model_dir("bad", "tiny", tmp_path).parent.iterdir()) == []


def test_folder_without_marker_is_rebuilt(tmp_path, monkeypatch):
    calls: list[int] = []
    monkeypatch.setitem(zoo.SPECS, "fake", ZooSpec("fake", "text-classification", "none", "transformers",
                                                   lambda size: Built([_SlowPart(calls)], "FakeModel")))
    target = zoo.model_dir("fake", "tiny", tmp_path)
    target.mkdir(parents=True)
    (target / "junk").write_text("half written")
    assert zoo.build("fake", "tiny", tmp_path) == target
    assert (target / zoo.MARKER).is_file() and not (target / "junk").exists()


def test_corpus_is_generated_deterministically():
    a, b = list(generate_corpus(50, seed=3)), list(generate_corpus(50, seed=3))
    assert a == b and a != list(generate_corpus(50, seed=4))
    assert sum(map(len, generate_corpus())) > 200_000


def test_trained_tokenizers_have_their_family_specials():
    wp = train_tokenizer("wordpiece-uncased")
    ids = wp("Alice went to Paris")["input_ids"]
    assert ids[0] == wp.cls_token_id and ids[-1] == wp.sep_token_id and wp.mask_token == "[MASK]"
    assert 1000 < len(wp) <= 4000
    t5 = train_tokenizer("t5")
    assert t5("Alice went")["input_ids"][-1] == t5.eos_token_id
    with pytest.raises(ConfigError, match="unknown tokenizer flavour"):
        train_tokenizer("sentencepiece")



def test_stale_temporary_folders_of_killed_builds_are_removed(tmp_path, monkeypatch):
    import os

    calls: list[int] = []
    monkeypatch.setitem(zoo.SPECS, "fake", ZooSpec("fake", "text-classification", "none", "transformers",
                                                   lambda size: Built([_SlowPart(calls)], "FakeModel")))
    target = zoo.model_dir("fake", "tiny", tmp_path)
    target.parent.mkdir(parents=True)
    stale, fresh = target.parent / ".fake-tiny.tmp-old", target.parent / ".fake-tiny.tmp-new"
    stale.mkdir()
    fresh.mkdir()   # maybe another process building right now: must be left alone
    two_days_ago = time.time() - 2 * 24 * 3600
    os.utime(stale, (two_days_ago, two_days_ago))
    zoo.build("fake", "tiny", tmp_path)
    assert not stale.exists() and fresh.exists()


def test_builds_are_reproducible(tmp_path):
    import hashlib

    a = zoo.build("distilbert-mlm", "tiny", tmp_path / "a")
    b = zoo.build("distilbert-mlm", "tiny", tmp_path / "b")
    for name in ("model.safetensors", "tokenizer.json"):
        assert hashlib.sha256((a / name).read_bytes()).digest() == hashlib.sha256((b / name).read_bytes()).digest()
    assert json.loads((a / zoo.MARKER).read_text())["seed"] == json.loads((b / zoo.MARKER).read_text())["seed"]
