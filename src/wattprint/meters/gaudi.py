"""Intel Gaudi accelerators through the ``habanalabs`` driver's hwmon sensors.

The driver registers one hwmon device per Gaudi (``name`` = ``habanalabs``). Where it exposes
an energy counter (``energyN_input``, µJ) it is read as ``measured``; otherwise the card power
(``power1_input``, µW, as ``hl-smi -Q power.draw`` shows it) is sampled and integrated →
``integrated``. Domains are ``gpu:hpu<i>`` (component ``gpu``: the accelerator slot) in
PCI-address order, ``i`` as in ``torch.device("hpu:<i>")``.
The total-energy query of the driver's ioctl (``HL_INFO_TOTAL_ENERGY``) is not used: it needs
the device opened, which would compete with the workload for it.
"""

from __future__ import annotations

from typing import Any

from wattprint.errors import MeterError
from wattprint.meters.base import DomainSpec, Provenance
from wattprint.meters.hwmon import (
    HWMON_ROOT,
    Channel,
    HwmonMeter,
    hwmon_root,
    list_devices,
)
from wattprint.meters.hwprobe import ProbeResult, guarded, option

SOURCE = "gaudi"
DRIVER = "habanalabs"


def discover(hwmon_root: str = HWMON_ROOT) -> list[Channel]:
    """One channel per Gaudi: its energy counter, else its power sensor.

    Raises:
        MeterError: The hwmon root cannot be listed, or a Gaudi has neither sensor.
    """
    channels: list[Channel] = []
    for dev in sorted((d for d in list_devices(hwmon_root) if d.name == DRIVER),
                      key=lambda d: d.device):
        i = len(channels)
        where = f"Gaudi {dev.device or dev.path}"
        if dev.has("energy1_input"):
            f = dev.file("energy1_input")
            spec = DomainSpec(f"gpu:hpu{i}", "gpu", f"{where}: whole card energy",
                              Provenance.MEASURED, f"hwmon:{f}")
            channels.append(Channel(spec, "energy", (f,)))
        elif dev.has("power1_input"):
            f = dev.file("power1_input")
            spec = DomainSpec(f"gpu:hpu{i}", "gpu", f"{where}: whole card power",
                              Provenance.INTEGRATED, f"hwmon:{f} (trapezoid)")
            channels.append(Channel(spec, "power", (f,)))
        else:
            raise MeterError(f"{dev.path} ({DRIVER}): neither energy1_input nor power1_input")
    return channels


class GaudiMeter(HwmonMeter):
    """Energy of Gaudi accelerators (J): counter where exposed, else integrated power.

    Args:
        hwmon_root: The hwmon class directory.
        **kwargs: Passed to :class:`HwmonMeter` (``interval_s``, ``clock``).

    Raises:
        MeterError: No Gaudi, or its sensors cannot be read.
    """

    def __init__(self, hwmon_root: str = HWMON_ROOT, **kwargs: Any) -> None:
        channels = discover(hwmon_root)
        if not channels:
            raise MeterError(f"no Gaudi ({DRIVER} hwmon device) under {hwmon_root}")
        super().__init__(SOURCE, channels, **kwargs)


def probe(options: Any = None) -> ProbeResult:
    """A :class:`GaudiMeter` over ``options.hwmon_root``, or why there is none."""
    root = hwmon_root(options)
    interval_s = float(option(options, "interval_s", 0.1))
    return guarded(lambda: GaudiMeter(root, interval_s=interval_s))
