"""wattprint's own hub-layout cache: ids, content commits, publish and resolve."""

from pathlib import Path

import pytest

from wattprint.tasks.local_hub import (
    LOCAL_ORG,
    content_commit,
    is_local_id,
    publish,
    repo_folder,
    resolve,
)


def _folder(root: Path, text: str) -> Path:
    d = root / "build"
    d.mkdir(parents=True)
    (d / "config.json").write_text(text)
    (d / "sub").mkdir()
    (d / "sub" / "w.bin").write_bytes(b"\x00\x01")
    return d


def test_local_ids_are_only_the_reserved_org():
    assert is_local_id(f"{LOCAL_ORG}/smollm2-135m-instruct")
    for other in ("HuggingFaceTB/SmolLM2-135M-Instruct", LOCAL_ORG, f"{LOCAL_ORG}/", "zoo:x",
                  f"./{LOCAL_ORG}/x", f"{LOCAL_ORG}/a/b"):
        assert not is_local_id(other)


def test_commit_is_a_content_hash(tmp_path):
    a, b = _folder(tmp_path / "a", '{"x": 1}'), _folder(tmp_path / "b", '{"x": 1}')
    c = _folder(tmp_path / "c", '{"x": 2}')
    assert content_commit(a) == content_commit(b) != content_commit(c)
    assert len(content_commit(a)) == 40


def test_published_snapshot_resolves_through_huggingface_hub_offline(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    cache = tmp_path / "cache"
    snap = publish(_folder(tmp_path, '{"x": 1}'), f"{LOCAL_ORG}/thing", cache_dir=cache)
    repo = repo_folder(f"{LOCAL_ORG}/thing", cache_dir=cache)
    assert (repo / "refs" / "main").read_text() == snap.commit
    assert snap.path == repo / "snapshots" / snap.commit
    found = resolve(f"{LOCAL_ORG}/thing", cache_dir=cache)
    assert found is not None and found.commit == snap.commit
    assert (found.path / "sub" / "w.bin").read_bytes() == b"\x00\x01"
    assert resolve(f"{LOCAL_ORG}/absent", cache_dir=cache) is None
    assert resolve(f"{LOCAL_ORG}/thing", "dataset", cache_dir=cache) is None


def test_publish_refuses_other_ids(tmp_path):
    with pytest.raises(ValueError, match=LOCAL_ORG):
        publish(_folder(tmp_path, "{}"), "someone/else", cache_dir=tmp_path / "c")
