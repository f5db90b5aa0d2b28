"""wattprint's own Hugging Face cache: real-weight models and data sets in the hub layout.

The real-weights zoo (:mod:`wattprint.backends.weights`) lays out what it builds exactly as
``huggingface_hub`` caches a download::

    <local_hub_dir()>/models--wattprint-zoo--smollm2-135m-instruct/
        refs/main                      (the snapshot's commit)
        snapshots/<commit>/config.json, model.safetensors, ...
    <local_hub_dir()>/datasets--wattprint-zoo--fortunes4/snapshots/<commit>/data/*.jsonl

so ``from_pretrained("wattprint-zoo/smollm2-135m-instruct", cache_dir=local_hub_dir())``
with ``HF_HUB_OFFLINE=1`` resolves through ``huggingface_hub`` as a download would, and the
run records the snapshot commit. Ids under :data:`LOCAL_ORG` live only here: they are never
asked of the Hub (a Hub account of that name is not ours).

The commit of a snapshot is a content hash (SHA-1 over each file's path and SHA-256), so the
same bytes always give the same commit.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

LOCAL_ORG = "wattprint-zoo"
"""The organisation of every id served from wattprint's own cache (never the Hub)."""

LAYOUT_VERSION = "1"
"""Bump when a builder changes what it builds, so stale caches are not reused."""

RepoType = Literal["model", "dataset"]


def is_local_id(repo_id: str) -> bool:
    """True for ``wattprint-zoo/<name>`` ids (served from :func:`local_hub_dir` only)."""
    org, sep, name = repo_id.partition("/")
    return bool(sep) and org == LOCAL_ORG and bool(name) and "/" not in name


def local_hub_dir() -> Path:
    """The cache root: ``$WATTPRINT_CACHE/hub-v<N>-transformers<major>`` (default
    ``~/.cache/wattprint``). One root per transformers major version: tokenizers saved by
    transformers 5 cannot be read by 4.x."""
    root = os.environ.get("WATTPRINT_CACHE")
    base = Path(root) if root else Path.home() / ".cache" / "wattprint"
    try:
        import transformers

        major = transformers.__version__.split(".")[0]
    except ImportError:
        major = "none"
    return base / f"hub-v{LAYOUT_VERSION}-transformers{major}"


def repo_folder(repo_id: str, repo_type: RepoType = "model", cache_dir: Path | None = None) -> Path:
    """``<cache>/models--org--name`` (or ``datasets--org--name``) of a repository."""
    prefix = "models" if repo_type == "model" else "datasets"
    return Path(cache_dir or local_hub_dir()) / f"{prefix}--{repo_id.replace('/', '--')}"


@dataclass(frozen=True)
class Snapshot:
    """A resolved snapshot.

    Attributes:
        repo_id: ``org/name``.
        repo_type: ``model`` or ``dataset``.
        commit: The 40-hex commit ``refs/main`` points at.
        path: The snapshot folder.
    """

    repo_id: str
    repo_type: RepoType
    commit: str
    path: Path


def resolve(repo_id: str, repo_type: RepoType = "model", cache_dir: Path | None = None
            ) -> Snapshot | None:
    """Resolve ``repo_id`` at ``main`` through ``huggingface_hub`` in the cache, offline.

    Uses ``snapshot_download(..., local_files_only=True)``: the same resolution a download
    leaves behind, without any request. None when the cache does not hold it.
    """
    from huggingface_hub import snapshot_download

    cache = Path(cache_dir or local_hub_dir())
    try:
        path = Path(snapshot_download(repo_id, repo_type=repo_type, cache_dir=str(cache),
                                      local_files_only=True))
    except Exception:   # LocalEntryNotFoundError and friends: not (completely) cached
        return None
    return Snapshot(repo_id, repo_type, path.name, path)


def content_commit(folder: Path) -> str:
    """A 40-hex commit id from the folder's files (relative path + SHA-256 of each)."""
    h = hashlib.sha1(f"wattprint-zoo layout v{LAYOUT_VERSION}\n".encode())
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        h.update(f"{path.relative_to(folder).as_posix()} {file_sha256(path)}\n".encode())
    return h.hexdigest()


def file_sha256(path: Path) -> str:
    """SHA-256 of a file, read in 1 MiB blocks."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def publish(folder: Path, repo_id: str, repo_type: RepoType = "model",
            cache_dir: Path | None = None) -> Snapshot:
    """Move a finished build folder into the hub layout as a new snapshot of ``main``.

    The snapshot folder is renamed into place whole and ``refs/main`` written last (through
    a rename), so a reader sees either the old snapshot or the complete new one.

    Args:
        folder: The build (it is moved, not copied).
        repo_id: ``wattprint-zoo/<name>``.
        repo_type: ``model`` or ``dataset``.
        cache_dir: Cache root (default :func:`local_hub_dir`).

    Returns:
        The published snapshot.
    """
    if not is_local_id(repo_id):
        raise ValueError(f"{repo_id!r} is not a {LOCAL_ORG}/<name> id")
    commit = content_commit(folder)
    repo = repo_folder(repo_id, repo_type, cache_dir)
    target = repo / "snapshots" / commit
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        try:
            folder.rename(target)
        except OSError:
            if not target.exists():   # not a lost race with another builder: a real failure
                raise
    (repo / "refs").mkdir(exist_ok=True)
    tmp = repo / "refs" / f".main.{os.getpid()}"
    tmp.write_text(commit, encoding="utf-8")
    tmp.replace(repo / "refs" / "main")
    return Snapshot(repo_id, repo_type, commit, target)
