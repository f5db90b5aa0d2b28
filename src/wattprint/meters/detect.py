"""Pick the best energy source per component by walking one ordered table of sources.

**Adding a meter** is one module plus one line in :data:`SOURCES`:

1. Write ``wattprint/meters/<name>.py`` with a :class:`~wattprint.meters.base.Meter` subclass
   and a function ``probe(options: ProbeOptions) -> Meter | Unavailable`` (see
   :mod:`wattprint.meters.probe`). ``probe`` opens the source or returns
   ``Unavailable("why not, and how to fix it")``; it imports vendor libraries lazily.
   Override ``Meter.describe()`` to say what was opened (shown by ``wattprint meters``).
2. Add ``Source("<name>", "<component>", ("<slot>", ...), "wattprint.meters.<name>:probe")``
   to :data:`SOURCES` at its rank: sources earlier in the table are preferred. When a cheap
   check (a device file, the platform, an option) can say the source cannot apply, name it
   as the row's gate (:mod:`wattprint.meters.gates`): the module is then imported only where
   the source might work, which keeps ``EnergyMeter()`` fast to start.

Detection walks the table in order. A source is *skipped* when none of its slots was asked
for, and *not probed* when every slot it fills that was asked for is already filled by an
earlier source (its status says which). Slots are what a source can stand for: ``gpu``,
``cpu`` (package energy), ``cpu-process`` (the measured process's CPU share) and ``memory``
(``dram`` counters and the ``ram`` estimate cover the same DIMMs, so one slot); any other
component is its own slot (``node`` ...). Which slots a chosen meter fills is read from its
domains, so a RAPL tree with only DRAM zones leaves ``cpu`` to the next source.

Preference today (most trustworthy first):

* gpu: NVML energy counter (measured) > NVML power sampling (integrated) > nothing — GPU
  energy is not invented where no GPU can be read.
* cpu: RAPL package counters (measured, ``cpu:<i>``, plus ``cpu:process`` attributed by CPU-time
  share) > the CPU estimate (``cpu:machine`` + ``cpu:process``).
* dram/ram: RAPL DRAM counters (measured) > the RAM estimate (``ram:machine``).
* gpu beyond NVIDIA: amdsmi, Intel xe/i915 hwmon, Gaudi hwmon, Apple IOReport/powermetrics
  (which also gives cpu and dram), a Prometheus endpoint (DCGM or wattprint exporter; opt-in).
* module: Jetson INA3221/INA238 (``VDD_IN``) > Grace ACPI module power meters.
* node (whole machine at the wall; opt-in): Redfish > IPMI DCMI.
  See docs/hardware.md.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from wattprint.errors import MeterError, unknown_choice
from wattprint.meters import gates
from wattprint.meters.base import Meter, SourceStatus
from wattprint.meters.gates import Gate
from wattprint.meters.probe import HardwareOptions, ProbeOptions, Unavailable

COMPONENTS: tuple[str, ...] = ("gpu", "cpu", "dram", "ram", "module", "node")

_SLOTS_OF_COMPONENT: dict[str, tuple[str, ...]] = {
    "gpu": ("gpu",), "cpu": ("cpu", "cpu-process"), "dram": ("memory",), "ram": ("memory",)}
_SLOT_WORDS: dict[str, str] = {"memory": "memory (the same DIMMs are not counted twice)",
                               "cpu-process": "this process's CPU share"}


@dataclass(frozen=True)
class Source:
    """One row of the detection table.

    Attributes:
        name: Short source name shown in statuses (``nvml``, ``rapl``, ``estimate`` ...).
        component: The component its status is filed under (``gpu``, ``cpu``, ``ram`` ...).
        slots: What it can stand for (see the module docstring).
        probe: ``"module:function"``, imported only when the source is probed.
        gate: A cheap precondition (:mod:`wattprint.meters.gates`) asked first: when it
            gives a reason, the source is not applicable and its module is not imported.
    """

    name: str
    component: str
    slots: tuple[str, ...]
    probe: str
    gate: Gate | None = None

    def load(self) -> Callable[[ProbeOptions], Meter | Unavailable]:
        """Import and return the probe function."""
        module, _, fn = self.probe.partition(":")
        return getattr(importlib.import_module(module), fn)  # type: ignore[no-any-return]


SOURCES: tuple[Source, ...] = (
    Source("nvml", "gpu", ("gpu",), "wattprint.meters.nvml:probe", gates.nvidia),
    Source("amdsmi", "gpu", ("gpu",), "wattprint.meters.amd:probe", gates.amd),
    Source("intel-gpu", "gpu", ("gpu",), "wattprint.meters.intel_gpu:probe", gates.hwmon),
    Source("gaudi", "gpu", ("gpu",), "wattprint.meters.gaudi:probe", gates.hwmon),
    Source("apple", "gpu", ("gpu", "cpu", "memory"), "wattprint.meters.apple:probe", gates.macos),
    Source("prometheus", "gpu", ("gpu",), "wattprint.meters.prometheus_source:probe",
           gates.prometheus_url),
    Source("estimate", "gpu", ("gpu",), "wattprint.meters.estimate:probe_gpu"),
    Source("rapl", "cpu", ("cpu", "memory"), "wattprint.meters.rapl:probe", gates.powercap),
    Source("rapl-share", "cpu", ("cpu-process",), "wattprint.meters.attribution:probe",
           gates.measured_cpu),
    Source("estimate", "cpu", ("cpu", "cpu-process"), "wattprint.meters.estimate:probe_cpu"),
    Source("estimate", "ram", ("memory",), "wattprint.meters.estimate:probe_ram"),
    Source("jetson", "module", ("module",), "wattprint.meters.jetson:probe", gates.hwmon),
    Source("grace", "module", ("module",), "wattprint.meters.grace:probe", gates.hwmon),
    Source("redfish", "node", ("node",), "wattprint.meters.redfish:probe", gates.redfish_url),
    Source("ipmi", "node", ("node",), "wattprint.meters.ipmi:probe", gates.ipmi_asked),
)
"""Every energy source, most preferred first. One line per source."""


def wanted_slots(components: Sequence[str]) -> set[str]:
    """The slots a list of components asks for (unknown components are their own slot)."""
    return {s for c in components for s in _SLOTS_OF_COMPONENT.get(c, (c,))}


def filled_slots(meter: Meter) -> set[str]:
    """The slots a chosen meter fills, read from its domains."""
    out: set[str] = set()
    for d in meter.domains():
        if d.component == "cpu":
            out.add("cpu-process" if d.scope == "process" else "cpu")
        else:
            out.update(_SLOTS_OF_COMPONENT.get(d.component, (d.component,)))
    return out


def detect(*, components: Sequence[str] = COMPONENTS, gpus: list[int] | None = None,
           powercap_root: str = "/sys/class/powercap", interval_s: float = 0.1,
           cgroup_root: str = "/sys/fs/cgroup", proc_root: str = "/proc",
           sources: Sequence[Source] = SOURCES,
           hardware: HardwareOptions | None = None) -> tuple[list[Meter], list[SourceStatus]]:
    """Open the best meter for each requested component.

    Args:
        components: Any of ``gpu``, ``cpu``, ``dram``, ``ram``, ``module``, ``node``.
        gpus: Visible GPU indices; all when None. An explicit list makes a GPU source failure
            an error instead of a skipped source.
        powercap_root: The powercap class directory (RAPL).
        interval_s: Power-sampling interval, seconds.
        cgroup_root: The cgroup mount (containers and CPU affinity scope).
        proc_root: The procfs mount.
        sources: The detection table (tests may pass their own).
        hardware: Where the hardware sources outside the default paths are (the CLI's
            hardware flags; None: the ``WATTPRINT_*`` environment and the defaults).

    Returns:
        (meters to read, one status per source in the table that was relevant).

    Raises:
        ConfigError: An unknown component.
        MeterError: ``gpus`` was given explicitly and no GPU source can measure them.
    """
    for c in components:
        if c not in COMPONENTS:
            raise unknown_choice("component", c, COMPONENTS)
    wanted = wanted_slots(components)
    filled: dict[str, str] = {}  # slot -> name of the source that filled it
    meters: list[Meter] = []
    status: list[SourceStatus] = []
    for src in sources:
        mine = wanted & set(src.slots)
        if not mine:
            continue
        comp = src.component if src.component in components else next(
            (c for c in components if set(_SLOTS_OF_COMPONENT.get(c, (c,))) & mine), src.component)
        if mine <= filled.keys():
            by = ", ".join(sorted({f"{filled[s]} measures {_SLOT_WORDS.get(s, s)}" for s in mine}))
            status.append(SourceStatus(comp, src.name, False, False, f"not probed: {by}"))
            continue
        opts = ProbeOptions(frozenset(components), None if gpus is None else tuple(gpus),
                            powercap_root, cgroup_root, proc_root, interval_s, tuple(meters),
                            hardware=hardware or HardwareOptions())
        why = src.gate(opts) if src.gate is not None else None
        if why:
            status.append(SourceStatus(comp, src.name, False, False, why))
            continue
        try:
            found = src.load()(opts)
        except BaseException:
            _close(meters)
            raise
        if isinstance(found, Unavailable):
            status.append(SourceStatus(comp, src.name, False, False, found.reason))
            continue
        got = filled_slots(found) & wanted
        for s in got:
            filled.setdefault(s, src.name)
        meters.append(found)
        status.append(SourceStatus(comp, src.name, True, True, found.describe()))
    if gpus is not None and "gpu" in wanted and "gpu" not in filled:
        _close(meters)
        why = "; ".join(f"{s.source}: {s.reason}" for s in status if s.component == "gpu")
        raise MeterError(f"GPUs {gpus} were asked for explicitly but cannot be measured ({why})")
    return meters, status


def _close(meters: Sequence[Meter]) -> None:
    for m in meters:
        try:
            m.close()
        except Exception:  # noqa: BLE001 - closing must not mask the caller's error
            pass
