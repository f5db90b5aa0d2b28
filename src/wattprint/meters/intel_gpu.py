"""Intel data-centre and Arc GPUs: the ``xe`` / ``i915`` hwmon energy counters (``measured``).

Layout (one hwmon device per discrete GPU, ``name`` = ``xe`` or ``i915``)::

    hwmonN/energy1_input   µJ   label "card" on xe: the whole card (board power)
    hwmonN/energy2_input   µJ   label "pkg"  on xe: the GPU package, inside the card
    hwmonN/energy1_input   µJ   i915 (no label): the GPU package

The card counter is reported when it exists (the package is inside it and is not added);
otherwise the package counter. Integrated GPUs expose no energy counter here (their energy is
in the CPU package's RAPL counter). Domains are ``gpu:xpu<i>``, ``i`` counting GPUs with a
counter in PCI-address order, which is how Level Zero (``torch.device("xpu:<i>")``) numbers
them when ``ZE_AFFINITY_MASK`` is unset.
"""

from __future__ import annotations

from typing import Any

from wattprint.errors import MeterError
from wattprint.meters.base import DomainSpec, Provenance
from wattprint.meters.hwmon import (
    HWMON_ROOT,
    Channel,
    HwmonDevice,
    HwmonMeter,
    hwmon_root,
    list_devices,
)
from wattprint.meters.hwprobe import ProbeResult, guarded

SOURCE = "intel-gpu"
DRIVERS = ("xe", "i915")


def _energy_channels(dev: HwmonDevice) -> list[tuple[int, str]]:
    """(channel number, label) of every ``energyN_input`` of ``dev``."""
    out = []
    for f in dev.files:
        if f.startswith("energy") and f.endswith("_input") and f[6:-6].isdigit():
            n = int(f[6:-6])
            out.append((n, dev.label(f"energy{n}")))
    return sorted(out)


def discover(hwmon_root: str = HWMON_ROOT) -> tuple[list[Channel], list[str]]:
    """The card-energy channel of every Intel discrete GPU, and notes on what was skipped.

    Raises:
        MeterError: The hwmon root cannot be listed.
    """
    channels: list[Channel] = []
    notes: list[str] = []
    gpus = sorted((d for d in list_devices(hwmon_root) if d.name in DRIVERS),
                  key=lambda d: d.device)
    for dev in gpus:
        energies = _energy_channels(dev)
        if not energies:
            notes.append(f"{dev.path} ({dev.name}, {dev.device or 'no device link'}): no energy "
                         "counter (integrated GPU, or a kernel without xe/i915 hwmon energy)")
            continue
        card = [e for e in energies if e[1] == "card"]
        n, label = card[0] if card else energies[0]
        if len(energies) > 1:
            notes.append(f"{dev.path}: energy{n} ({label or 'unlabelled'}) reported; "
                         + ", ".join(f"energy{m} ({lab or 'unlabelled'})" for m, lab in energies if m != n)
                         + " inside it: not added")
        i = len(channels)
        what = "whole card" if label == "card" else "GPU package"
        spec = DomainSpec(f"gpu:xpu{i}", "gpu",
                          f"Intel GPU {dev.device or dev.path} ({dev.name} driver): {what} energy",
                          Provenance.MEASURED, f"hwmon:{dev.file(f'energy{n}_input')}")
        channels.append(Channel(spec, "energy", (dev.file(f"energy{n}_input"),)))
    return channels, notes


class IntelGpuMeter(HwmonMeter):
    """Energy of Intel discrete GPUs from their hwmon counters (J, measured).

    Args:
        hwmon_root: The hwmon class directory.
        **kwargs: Passed to :class:`HwmonMeter` (``clock``).

    Raises:
        MeterError: No Intel GPU with an energy counter.
    """

    def __init__(self, hwmon_root: str = HWMON_ROOT, **kwargs: Any) -> None:
        channels, self.notes = discover(hwmon_root)
        if not channels:
            raise MeterError(f"no Intel GPU energy counter (xe/i915 hwmon) under {hwmon_root}"
                             + (f"; {'; '.join(self.notes)}" if self.notes else ""))
        super().__init__(SOURCE, channels, update_period_s=0.01, **kwargs)


def probe(options: Any = None) -> ProbeResult:
    """An :class:`IntelGpuMeter` over ``options.hwmon_root``, or why there is none."""
    root = hwmon_root(options)
    return guarded(lambda: IntelGpuMeter(root))
