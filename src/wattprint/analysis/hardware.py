"""Readable hardware names for hardware ids, from the environment stored with each result."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from wattprint.results.schema import JobResult


def describe_environment(env: Mapping[str, Any]) -> str | None:
    """A short hardware description from one environment fingerprint, or None.

    Understands wattprint's fingerprint (``gpu.devices[].name``, ``cpu_model``) and imported
    CodeCarbon environments (``gpu_model``, ``gpu_count``, ``cpu_model``).
    """
    parts: list[str] = []
    gpu = env.get("gpu")
    names: list[str] = []
    if isinstance(gpu, Mapping):
        names = [str(d.get("name")) for d in gpu.get("devices") or [] if isinstance(d, Mapping)
                 and d.get("name")]
    if names:
        distinct = sorted(set(names))
        parts.append(" + ".join(f"{names.count(n)} x {n}" for n in distinct))
    elif env.get("gpu_model"):
        count = env.get("gpu_count")
        model = str(env["gpu_model"])
        parts.append(model if not count or str(count) in model else f"{count} x {model}")
    cpu = env.get("cpu_model")
    if cpu:
        parts.append(str(cpu))
    return ", ".join(parts) or None


def hardware_names(results: Iterable[JobResult]) -> dict[str, str]:
    """Hardware id → readable description (first environment that says), for ids that have one."""
    out: dict[str, str] = {}
    for r in results:
        hid = r.hardware_id or "unknown"
        if hid in out or not r.environment:
            continue
        name = describe_environment(r.environment)
        if name:
            out[hid] = name
    return out


def hardware_label(hardware_id: str, names: Mapping[str, str]) -> str:
    """``"<description> [<id>]"`` when described, else the id."""
    name = names.get(hardware_id)
    return f"{name} [{hardware_id}]" if name else hardware_id
