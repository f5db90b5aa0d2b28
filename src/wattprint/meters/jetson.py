"""NVIDIA Jetson module power from its INA3221 / INA238 rail monitors (hwmon), integrated.

Layout (JetPack 5/6 kernels; ``hwmon_root`` settable)::

    hwmonN/name = ina3221      in<k>_label = VDD_IN | VDD_CPU_GPU_CV | VDD_SOC | NC ...
                               in<k>_input mV (bus voltage), curr<k>_input mA
    hwmonN/name = ina238       power1_input µW, label (from the device tree) when present

Rail power is voltage × current (INA3221) or the monitor's own power (INA238), sampled and
integrated → ``integrated``. ``VDD_IN`` (or ``VIN``) is the whole module's input, and the other
rails are inside it, so when an input rail exists it alone is reported (``module:0``, boundary:
the whole Jetson module, CPU + GPU + SoC + memory) and the sub-rails are listed as not added.
Without an input rail (AGX Orin's first monitor carries ``VDD_GPU_SOC``, ``VDD_CPU_CV`` and
``VIN_SYS_5V0``) each connected rail is reported as ``rail:<label>``. Rails labelled ``NC`` are
not connected. The L4T 32 ``ina3221x`` IIO interface (``in_power0_input``) is not read.
"""

from __future__ import annotations

import re
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
    optional_text,
)
from wattprint.meters.hwprobe import ProbeResult, guarded, option

SOURCE = "jetson"
INPUT_RAILS = ("VDD_IN", "VIN")
SENSOR_UPDATE_S = 0.14
"""The INA3221 default conversion time × averaging (1.1 ms × 128 samples) ~ 0.14 s."""


def _rails(dev: HwmonDevice) -> list[tuple[str, str, tuple[str, ...]]]:
    """(label, kind, files) of every connected rail of one monitor."""
    out: list[tuple[str, str, tuple[str, ...]]] = []
    if dev.name == "ina3221":
        for f in sorted(dev.files):
            m = re.fullmatch(r"in(\d+)_label", f)
            if not m:
                continue
            k = m.group(1)
            label = dev.label(f"in{k}")
            if not label or label.upper() == "NC":
                continue
            if dev.has(f"in{k}_input") and dev.has(f"curr{k}_input"):
                out.append((label, "vi", (dev.file(f"in{k}_input"), dev.file(f"curr{k}_input"))))
    elif dev.name == "ina238" and dev.has("power1_input"):
        label = optional_text(dev.file("label")) or f"ina238@{dev.device or dev.path}"
        out.append((label, "power", (dev.file("power1_input"),)))
    return out


def discover(hwmon_root: str = HWMON_ROOT) -> tuple[list[Channel], list[str]]:
    """The rails to report and notes on those not added.

    Raises:
        MeterError: The hwmon root cannot be listed.
    """
    rails = [(dev, *r) for dev in list_devices(hwmon_root) if dev.name in ("ina3221", "ina238")
             for r in _rails(dev)]
    inputs = [r for r in rails if r[1].upper() in INPUT_RAILS]
    notes: list[str] = []
    channels: list[Channel] = []
    if inputs:
        dev, label, kind, files = inputs[0]
        spec = DomainSpec("module:0", "module",
                          f"whole Jetson module ({label} input rail: CPU + GPU + SoC + memory)",
                          Provenance.INTEGRATED, f"hwmon:{dev.name}:{label}:{'*'.join(files)} (trapezoid)")
        channels.append(Channel(spec, kind, files))
        rest = [r[1] for r in rails if r is not inputs[0]]
        if rest:
            notes.append(f"rails {', '.join(rest)} are inside {label}: not added")
        return channels, notes
    for dev, label, kind, files in rails:
        name = re.sub(r"[^a-z0-9_]+", "_", label.lower())
        spec = DomainSpec(f"rail:{name}", "rail", f"Jetson {label} rail ({dev.name} {dev.device})",
                          Provenance.INTEGRATED, f"hwmon:{dev.name}:{label}:{'*'.join(files)} (trapezoid)")
        channels.append(Channel(spec, kind, files))
    return channels, notes


class JetsonMeter(HwmonMeter):
    """Jetson module (or rail) energy from INA3221/INA238 power, integrated (J).

    Args:
        hwmon_root: The hwmon class directory.
        **kwargs: Passed to :class:`HwmonMeter` (``interval_s``, ``clock``).

    Raises:
        MeterError: No INA3221/INA238 rail, or a sensor cannot be read.
    """

    def __init__(self, hwmon_root: str = HWMON_ROOT, **kwargs: Any) -> None:
        channels, self.notes = discover(hwmon_root)
        if not channels:
            raise MeterError(f"no Jetson power monitor (ina3221/ina238 hwmon with a connected "
                             f"rail) under {hwmon_root}")
        super().__init__(SOURCE, channels, update_period_s=SENSOR_UPDATE_S, **kwargs)


def probe(options: Any = None) -> ProbeResult:
    """A :class:`JetsonMeter` over ``options.hwmon_root``, or why there is none."""
    root = hwmon_root(options)
    interval_s = float(option(options, "interval_s", 0.1))
    return guarded(lambda: JetsonMeter(root, interval_s=interval_s))
