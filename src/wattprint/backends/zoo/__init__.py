"""The offline model zoo: models of the study's real architectures with random weights.

Reference syntax used everywhere a model is named: ``zoo:<name>`` or ``zoo:<name>@<size>``
(size ``tiny``, the default, or ``real-size``), e.g. ``zoo:distilbert-sst2@tiny``.
Random weights measure compute cost, not quality; every folder says so in ``wattprint_zoo.json``.
"""

from __future__ import annotations

from pathlib import Path

from wattprint.backends.model_ref import ZOO_PREFIX
from wattprint.backends.zoo.cache import (
    MARKER,
    ZOO_VERSION,
    build,
    check_size,
    default_cache_dir,
    get_spec,
    model_dir,
    read_marker,
)
from wattprint.backends.zoo.specs import SIZES, SPECS, ZooSpec
from wattprint.errors import ConfigError

PREFIX = ZOO_PREFIX

DEFAULT_ZOO_MODELS: dict[str, str] = {
    spec.task: f"{PREFIX}{spec.name}@tiny" for spec in SPECS.values() if spec.default
}
"""Task id -> tiny zoo reference of the model with the study's smallest model's architecture."""

ZERO_SHOT_ZOO_MODELS: dict[str, str] = {
    "seq2seq": f"{PREFIX}flan-t5@tiny",
    "causal": f"{PREFIX}bloomz@tiny",
}
"""Multi-purpose model family -> tiny zoo reference (Flan-T5 and BLOOMz architectures)."""


def list_models() -> list[ZooSpec]:
    """Every zoo model, task-specific ones first, in the study's task order."""
    return list(SPECS.values())


def is_zoo_ref(ref: str) -> bool:
    """True for ``zoo:...`` references."""
    return ref.startswith(PREFIX)


def parse_ref(ref: str) -> tuple[str, str]:
    """Split ``zoo:<name>[@<size>]`` into ``(name, size)``, checking both.

    Raises:
        ConfigError: not a zoo reference, or unknown name or size.
    """
    if not is_zoo_ref(ref):
        raise ConfigError(f"{ref!r} is not a zoo reference (expected 'zoo:<name>' or 'zoo:<name>@<size>')")
    name, _, size = ref[len(PREFIX):].partition("@")
    get_spec(name)
    return name, check_size(size or "tiny")


def resolve_model(ref: str, cache_dir: Path | None = None) -> tuple[str, bool]:
    """Turn a model reference into something ``from_pretrained`` takes.

    Args:
        ref: ``zoo:<name>[@size]``, a local folder or a hub id.
        cache_dir: Zoo cache root (default :func:`default_cache_dir`).

    Returns:
        ``(path_or_id, is_zoo)``: for zoo references the built folder (built now if needed).
    """
    if not is_zoo_ref(ref):
        return ref, False
    name, size = parse_ref(ref)
    return str(build(name, size, cache_dir)), True


__all__ = [
    "DEFAULT_ZOO_MODELS", "MARKER", "PREFIX", "SIZES", "SPECS", "ZERO_SHOT_ZOO_MODELS", "ZOO_VERSION", "ZooSpec",
    "build", "check_size", "default_cache_dir", "get_spec", "is_zoo_ref", "list_models", "model_dir",
    "parse_ref", "read_marker", "resolve_model",
]
