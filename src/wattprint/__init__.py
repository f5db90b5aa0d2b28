"""wattprint: the energy and carbon of AI inference, with the boundary and provenance of every number.

The public API is imported lazily so that ``import wattprint`` stays cheap (no torch, no numpy).
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

_LAZY = {
    "EnergyMeter": ("wattprint.meters.energy_meter", "EnergyMeter"),
    "EnergyResult": ("wattprint.meters.base", "EnergyResult"),
    "DomainEnergy": ("wattprint.meters.base", "DomainEnergy"),
    "Provenance": ("wattprint.meters.base", "Provenance"),
    "JobResult": ("wattprint.results.schema", "JobResult"),
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        return getattr(importlib.import_module(module), attr)
    raise AttributeError(f"module 'wattprint' has no attribute {name!r}")
