"""Build zoo models into an on-disk cache, atomically and at most once.

Layout: ``<cache_dir>/<ZOO_FORMAT>/<name>-<size>/`` holding ``save_pretrained`` output plus
``wattprint_zoo.json`` (the marker that says the weights are random). The default ``cache_dir``
is ``$WATTPRINT_CACHE/zoo`` or ``~/.cache/wattprint/zoo``.

A build writes into a private temporary folder next to the target and renames it into place
only when complete, so a crash never leaves a half-written model where a reader would take it,
and two processes building the same model at once both end up using one complete folder.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
import zlib
from pathlib import Path
from typing import Any

from wattprint.backends.zoo.specs import SIZES, SPECS, ZooSpec
from wattprint.errors import BackendError, ConfigError, unknown_choice

MARKER = "wattprint_zoo.json"
"""File name of the marker each zoo folder carries."""

ZOO_VERSION = "2"
"""Bump when any builder changes what it builds, so stale caches are not reused."""


def _format_dir() -> str:
    # Tokenizers saved by transformers 5 cannot be read by 4.x: keep one cache per major version.
    import transformers

    return f"v{ZOO_VERSION}-transformers{transformers.__version__.split('.')[0]}"


def default_cache_dir() -> Path:
    """``$WATTPRINT_CACHE/zoo`` when that variable is set, else ``~/.cache/wattprint/zoo``."""
    root = os.environ.get("WATTPRINT_CACHE")
    return (Path(root) if root else Path.home() / ".cache" / "wattprint") / "zoo"


def get_spec(name: str) -> ZooSpec:
    """Look up a zoo model by name.

    Raises:
        ConfigError: unknown name (with close matches and all valid names).
    """
    if name not in SPECS:
        raise unknown_choice("zoo model", name, SPECS)
    return SPECS[name]


def check_size(size: str) -> str:
    """Return ``size`` if it is a valid zoo size, else raise :class:`ConfigError`."""
    if size not in SIZES:
        raise unknown_choice("zoo size", size, SIZES)
    return size


def model_dir(name: str, size: str = "tiny", cache_dir: Path | None = None) -> Path:
    """Where ``build(name, size, cache_dir)`` puts (or has put) the model; builds nothing."""
    get_spec(name)
    check_size(size)
    return Path(cache_dir or default_cache_dir()) / _format_dir() / f"{name}-{size}"


def read_marker(folder: Path | str) -> dict[str, Any] | None:
    """The ``wattprint_zoo.json`` marker of a model folder, or None when it has none.

    Raises:
        BackendError: the marker exists but is not valid JSON.
    """
    path = Path(folder) / MARKER
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as err:
        raise BackendError(f"{path}: unreadable zoo marker: {err}") from err
    if not isinstance(data, dict):
        raise BackendError(f"{path}: zoo marker must be a JSON object")
    return data


def build(name: str, size: str = "tiny", cache_dir: Path | None = None) -> Path:
    """Build zoo model ``name`` at ``size`` (or reuse the cached build) and return its folder.

    Args:
        name: Zoo model name (see :func:`wattprint.backends.zoo.list_models`).
        size: ``tiny`` or ``real-size``.
        cache_dir: Cache root; default :func:`default_cache_dir`.

    Returns:
        The folder, loadable with ``from_pretrained`` and carrying ``wattprint_zoo.json``.

    Raises:
        ConfigError: unknown name or size.
        BackendError: the build failed (the reason is in the message).
    """
    spec = get_spec(name)
    target = model_dir(name, size, cache_dir)
    if (target / MARKER).is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_tmp(target)
    if target.exists():   # a folder without marker is not ours or is broken: move it aside
        shutil.rmtree(target.rename(target.with_name(f".{target.name}.broken-{os.getpid()}-{time.time_ns()}")),
                      ignore_errors=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    try:
        started = time.perf_counter()
        built = _build_into(spec, size, tmp)
        marker = {
            "weights": "random",
            "name": name,
            "size": size,
            "task": spec.task,
            "architecture": built.architecture,
            "study_model": spec.study_model,
            "library": spec.library,
            "zero_shot": spec.zero_shot,
            "seed": _seed(name, size),
            "zoo_version": ZOO_VERSION,
            "built_with": _versions(),
            "build_duration_s": round(time.perf_counter() - started, 3),
            **built.notes,
        }
        (tmp / MARKER).write_text(json.dumps(marker, indent=2, sort_keys=True) + "\n")
        try:
            tmp.rename(target)
        except OSError:
            if not (target / MARKER).is_file():   # not a lost race: a real failure
                raise
        return target
    except (ConfigError, BackendError):
        raise
    except Exception as err:
        raise BackendError(f"building zoo model {name!r} ({size}) failed: {type(err).__name__}: {err}") from err
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


STALE_TMP_S = 24 * 3600.0
"""A temporary build folder untouched this long (seconds) was left by a killed process."""


def _remove_stale_tmp(target: Path) -> None:
    for tmp in target.parent.glob(f".{target.name}.tmp-*"):
        try:
            if time.time() - tmp.stat().st_mtime > STALE_TMP_S:
                shutil.rmtree(tmp, ignore_errors=True)
        except OSError:
            pass


def _seed(name: str, size: str) -> int:
    return zlib.crc32(f"{name}@{size}".encode())


def _build_into(spec: ZooSpec, size: str, folder: Path) -> Any:
    import torch
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(_seed(spec.name, size))
        built = spec.build(size)
    for part in built.parts:
        part.save_pretrained(folder)
    return built


def _versions() -> dict[str, str]:
    import importlib.metadata as md

    out = {}
    for pkg in ("torch", "transformers", "diffusers", "tokenizers"):
        try:
            out[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            pass
    return out
