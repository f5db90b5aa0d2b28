"""wattprint.meters: energy meters behind one interface, and the measurement API.

Modules: ``base`` (data model, ``Meter``), ``energy_meter`` (``EnergyMeter``), ``nvml`` (NVIDIA
GPUs), ``rapl`` (CPU package / DRAM counters), ``estimate`` (CPU/RAM models where there is no
counter), ``sampled`` (power integration, the one sampler thread), ``replay`` (recorded traces),
``probe`` (the plug-in contract: ``probe(options) -> Meter | Unavailable``), ``detect``
(the ordered table of sources; add a meter there), ``command`` (measure an external command).

Names are exported lazily so that ``import wattprint.meters`` stays cheap.
"""

from __future__ import annotations

from typing import Any

_LAZY = {
    "EnergyMeter": "wattprint.meters.energy_meter",
    "measure_command": "wattprint.meters.command",
    "CommandError": "wattprint.meters.command",
    "detect": "wattprint.meters.detect",
    "ReplayMeter": "wattprint.meters.replay",
    "NvmlMeter": "wattprint.meters.nvml",
    "RaplMeter": "wattprint.meters.rapl",
    "CpuEstimateMeter": "wattprint.meters.estimate",
    "RamEstimateMeter": "wattprint.meters.estimate",
}

__all__ = list(_LAZY)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'wattprint.meters' has no attribute {name!r}")
