"""What a model reference really points at, as a short stable string: its fingerprint.

Resume and the report key on the fingerprint, not on the text typed, so

* the same folder typed as ``./ckpt`` or ``/home/me/ckpt`` is the same model;
* a folder overwritten with another model is a new model (its results are not reused);
* two different folders both called ``./ckpt`` stay apart.

Fingerprints by kind:

* local folder — ``files:<hash>`` over the config files (``config.json``,
  ``model_index.json``, ``generation_config.json``, weight index files, hashed whole) and
  the weight files (``*.safetensors``, ``*.bin``, ``*.pt`` ...). A weight file of up to
  :data:`FULL_HASH_BYTES` is hashed whole; a larger one by its size, its safetensors header
  (tensor names, shapes, offsets) and three 1 MiB samples of its data (start, middle, end),
  so a multi-GB checkpoint costs a few ms. Each file's digest is cached by (path, size,
  mtime) in ``$WATTPRINT_CACHE/fingerprints.json`` (default ``~/.cache/wattprint``).
* hub id — ``commit:<sha>``, the snapshot commit the revision resolves to: from the local
  Hugging Face cache, else asked from the Hub when ``network`` is allowed; None when neither
  knows (the id and revision alone then identify the job).
* zoo model — ``zoo-v<ZOO_VERSION>:<name>@<size>`` (the zoo builds the same model from the
  same version).
* callable — ``source:<hash>`` of the module's source file, found without importing it.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import struct
import tempfile
from pathlib import Path
from typing import Any

from wattprint.backends.model_ref import ModelRef
from wattprint.tasks.imports import cwd_on_path

FULL_HASH_BYTES = 16 * 1024 * 1024
"""Weight files up to this size (bytes) are hashed whole; larger ones are sampled."""

SAMPLE_BYTES = 1024 * 1024
"""Bytes read at each of the three sample points of a large weight file."""

CONFIG_NAMES = ("config.json", "model_index.json", "generation_config.json",
                "preprocessor_config.json", "scheduler_config.json")
WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".ckpt", ".h5", ".msgpack", ".gguf",
                   ".onnx")
INDEX_SUFFIXES = (".safetensors.index.json", ".bin.index.json")
MAX_DEPTH = 3
"""Folder levels searched (diffusers pipelines keep weights in ``unet/``, ``vae/`` ...)."""

_NETWORK_FAILED = False


def cache_file() -> Path:
    """Where per-file digests are cached: ``$WATTPRINT_CACHE/fingerprints.json``."""
    root = os.environ.get("WATTPRINT_CACHE")
    return (Path(root) if root else Path.home() / ".cache" / "wattprint") / "fingerprints.json"


def model_fingerprint(ref: ModelRef, *, revision: str | None = None,
                      network: bool = False) -> str | None:
    """The fingerprint of what ``ref`` points at (see the module docstring), or None.

    Args:
        ref: The parsed reference.
        revision: Hub revision asked for (None: ``main``).
        network: May ask the Hub for a hub id's commit when the local cache does not know it.
    """
    if ref.kind == "zoo":
        from wattprint.backends.zoo import ZOO_VERSION

        return f"zoo-v{ZOO_VERSION}:{ref.name}@{ref.size}"
    if ref.kind == "callable":
        return _callable_fingerprint(ref.module)
    if ref.kind == "local":
        return folder_fingerprint(ref.path)
    return hub_commit_of(ref.name, revision, network=network)


def folder_fingerprint(folder: Path) -> str | None:
    """``files:<16 hex>`` over a model folder's config and weight files; None when it has none."""
    if not folder.is_dir():
        return None
    files = sorted(_model_files(folder, folder, 0))
    if not files:
        return None
    cache = _load_cache()
    h = hashlib.sha256()
    changed = False
    for rel in files:
        path = folder / rel
        st = path.stat()
        key = str(path.resolve())
        stamp = [st.st_size, st.st_mtime_ns]
        hit = cache.get(key)
        if isinstance(hit, dict) and hit.get("stamp") == stamp and isinstance(hit.get("digest"), str):
            digest = hit["digest"]
        else:
            digest = file_digest(path, st.st_size)
            cache[key] = {"stamp": stamp, "digest": digest}
            changed = True
        h.update(f"{rel}\0{digest}\n".encode())
    if changed:
        _save_cache(cache)
    return "files:" + h.hexdigest()[:16]


def file_digest(path: Path, size: int | None = None) -> str:
    """A file's digest: whole-file sha256, or size + safetensors header + samples if large."""
    size = path.stat().st_size if size is None else size
    h = hashlib.sha256()
    with path.open("rb") as f:
        if size <= FULL_HASH_BYTES or path.name.endswith(".json"):
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
            return h.hexdigest()
        h.update(f"size={size}\n".encode())
        if path.suffix == ".safetensors":
            head = f.read(8)
            if len(head) == 8:
                (n,) = struct.unpack("<Q", head)
                if n < size:
                    h.update(f.read(n))
        for offset in (0, size // 2 - SAMPLE_BYTES // 2, size - SAMPLE_BYTES):
            f.seek(max(0, offset))
            h.update(f.read(SAMPLE_BYTES))
    return "sampled:" + h.hexdigest()


def _model_files(root: Path, folder: Path, depth: int) -> list[str]:
    out: list[str] = []
    try:
        entries = sorted(folder.iterdir())
    except OSError:
        return out
    for p in entries:
        if p.is_dir() and depth < MAX_DEPTH and not p.name.startswith("."):
            out.extend(_model_files(root, p, depth + 1))
        elif p.is_file() and (p.name in CONFIG_NAMES or p.name.endswith(INDEX_SUFFIXES)
                              or p.suffix in WEIGHT_SUFFIXES):
            out.append(p.relative_to(root).as_posix())
    return out


def _load_cache() -> dict[str, Any]:
    try:
        data = json.loads(cache_file().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _save_cache(cache: dict[str, Any]) -> None:
    """Write the cache atomically; a cache that cannot be written only costs time later."""
    target = cache_file()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".fingerprints-")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(cache, f)
        os.replace(tmp, target)
    except OSError:
        pass


def _callable_fingerprint(module: str) -> str | None:
    """``source:<16 hex>`` of a module's source file, located as ``python -m`` would."""
    with cwd_on_path():
        try:
            spec = importlib.util.find_spec(module)
        except (ImportError, ValueError):
            return None
    origin = getattr(spec, "origin", None)
    if not origin or not os.path.isfile(origin):
        return None
    return "source:" + file_digest(Path(origin))[-16:]


def hub_commit_of(repo_id: str, revision: str | None = None, *, network: bool = False) -> str | None:
    """``commit:<sha>`` of the snapshot ``repo_id@revision`` resolves to, or None.

    The local Hugging Face cache is asked first (no network); then, when ``network`` is
    allowed and ``HF_HUB_OFFLINE`` is not set, the Hub itself (5 s timeout; after one failure
    in a process the Hub is not asked again, so an offline plan does not wait per model).
    """
    global _NETWORK_FAILED
    try:
        from huggingface_hub import constants
    except ImportError:
        return None
    if revision and len(revision) == 40 and all(c in "0123456789abcdef" for c in revision):
        return f"commit:{revision}"
    from wattprint.tasks.local_hub import is_local_id, repo_folder

    if is_local_id(repo_id):   # wattprint's own cache only, never the Hub
        try:
            ref_file = repo_folder(repo_id, "model") / "refs" / (revision or "main")
            return "commit:" + ref_file.read_text(encoding="utf-8").strip()
        except OSError:
            return None
    folder = Path(constants.HF_HUB_CACHE) / ("models--" + repo_id.replace("/", "--"))
    ref = folder / "refs" / (revision or "main")
    try:
        return "commit:" + ref.read_text(encoding="utf-8").strip()
    except OSError:
        pass
    if not network or _NETWORK_FAILED or constants.HF_HUB_OFFLINE:
        return None
    try:
        from huggingface_hub import HfApi

        sha = HfApi().model_info(repo_id, revision=revision, timeout=5).sha
    except Exception:  # offline, unknown id, rate limit: the commit stays unknown
        _NETWORK_FAILED = True
        return None
    return f"commit:{sha}" if sha else None
