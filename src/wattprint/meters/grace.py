"""Grace Hopper / Grace Blackwell superchip power from the ACPI power meter (hwmon), integrated.

Each socket exposes ACPI power meters (hwmon ``name`` = ``power_meter``) telling what they cover
in ``device/power1_oem_info``: ``Module Power Socket <s>`` (the whole superchip: Grace CPU,
Hopper/Blackwell GPU, LPDDR5X and HBM), ``Grace Power Socket <s>`` (the Grace CPU module),
``CPU Power Socket <s>`` and ``SysIO Power Socket <s>`` (inside it). ``power1_average`` (µW) is
the firmware's average over ``power1_average_interval`` (ms); it is sampled and integrated →
``integrated``, and the averaging interval is recorded in the domain's source.

Module power is reported as ``module:<s>``; the other meters are inside a module and are listed
as not added (adding them would count the CPU twice). Where there is no module meter, ``Grace
Power`` is reported as ``cpu:grace<s>``.
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

SOURCE = "grace"
_OEM = re.compile(r"^(Module|Grace|CPU|SysIO) Power Socket (\d+)$", re.IGNORECASE)


def _meter_info(dev: HwmonDevice) -> tuple[str, int] | None:
    m = _OEM.match(optional_text(dev.file("device/power1_oem_info")))
    return (m.group(1).lower(), int(m.group(2))) if m else None


def discover(hwmon_root: str = HWMON_ROOT) -> tuple[list[Channel], list[str]]:
    """The power meters to report and notes on those not added.

    Raises:
        MeterError: The hwmon root cannot be listed.
    """
    meters = []
    for dev in list_devices(hwmon_root):
        if dev.name == "power_meter" and dev.has("power1_average"):
            info = _meter_info(dev)
            if info is not None:
                meters.append((info[0], info[1], dev))
    modules = {s for kind, s, _ in meters if kind == "module"}
    channels: list[Channel] = []
    notes: list[str] = []
    for kind, sock, dev in sorted(meters, key=lambda x: (x[1], x[0])):
        interval = optional_text(dev.file("power1_average_interval"))
        avg = f"averaged over {interval} ms by the firmware" if interval else "averaging interval not exposed"
        src = f"hwmon:{dev.file('power1_average')} ({avg}; trapezoid)"
        f = (dev.file("power1_average"),)
        if kind == "module":
            spec = DomainSpec(f"module:{sock}", "module",
                              f"Grace superchip socket {sock}, whole module (CPU + GPU + memory)",
                              Provenance.INTEGRATED, src)
        elif kind == "grace" and sock not in modules:
            spec = DomainSpec(f"cpu:grace{sock}", "cpu",
                              f"Grace CPU module socket {sock} (CPU + LPDDR5X + SysIO)",
                              Provenance.INTEGRATED, src)
        else:
            notes.append(f"{kind} power socket {sock} ({dev.path}) is inside "
                         f"{'the module' if sock in modules else 'Grace power'}: not added")
            continue
        channels.append(Channel(spec, "power", f))
    return channels, notes


class GraceMeter(HwmonMeter):
    """Grace superchip module energy from the ACPI power meters, integrated (J).

    Args:
        hwmon_root: The hwmon class directory.
        **kwargs: Passed to :class:`HwmonMeter` (``interval_s``, ``clock``).

    Raises:
        MeterError: No Grace power meter, or one cannot be read.
    """

    def __init__(self, hwmon_root: str = HWMON_ROOT, **kwargs: Any) -> None:
        channels, self.notes = discover(hwmon_root)
        if not channels:
            raise MeterError(f"no Grace module power meter (power_meter hwmon with "
                             f"power1_oem_info 'Module Power Socket N') under {hwmon_root}")
        super().__init__(SOURCE, channels, update_period_s=0.05, **kwargs)


def probe(options: Any = None) -> ProbeResult:
    """A :class:`GraceMeter` over ``options.hwmon_root``, or why there is none."""
    root = hwmon_root(options)
    interval_s = float(option(options, "interval_s", 0.1))
    return guarded(lambda: GraceMeter(root, interval_s=interval_s))
