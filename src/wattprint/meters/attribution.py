"""Attribute measured CPU package energy to the measured process by its share of CPU time.

Where RAPL measures the packages, ``cpu:process`` is the package energy multiplied by the
share of the machine's busy CPU time that this process and its reaped children used, summed
read by read::

    E_process += dE_packages * min(1, d(process CPU-s) / d(machine busy CPU-s))

This is the attribution Scaphandre uses for per-process power (host power × the process's share
of CPU time). It is a model applied to a measurement, so it is labelled ``estimated``, scope
``process``, and is never added to the measured ``cpu:<i>`` domains. Uncertainty 0.3: CPU time
does not capture frequency, vector-unit or memory-stall differences between processes, and the
process is charged its share of idle/uncore power too.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

from wattprint.meters.base import DomainSpec, EstimateModel, Meter, Provenance, Reading
from wattprint.meters.gates import measured_cpu, measured_packages
from wattprint.meters.probe import ProbeOptions, Unavailable

SHARE_UNCERTAINTY: float = 0.3


class ProcessShareMeter(Meter):
    """``cpu:process`` from a measured CPU meter and CPU-time shares.

    Args:
        source: The meter measuring the packages (e.g. a RaplMeter).
        domains: Which of its domains to attribute (``cpu:0``, ``cpu:1`` ...).
        busy_s: Cumulative busy CPU-seconds of the machine.
        process_cpu_s: Cumulative CPU-seconds of this process and its reaped children.
    """

    name = "rapl-process-share"
    update_period_s = 0.01

    def __init__(self, source: Meter, domains: Sequence[str], *,
                 busy_s: Callable[[], float] | None = None,
                 process_cpu_s: Callable[[], float] | None = None) -> None:
        from wattprint.meters.estimate import ProcStatBusy, _process_cpu_s

        self._source = source
        self._doms = list(domains)
        self._own_busy: ProcStatBusy | None = None
        if busy_s is None:
            self._own_busy = busy_s = ProcStatBusy()
        self._busy_s: Callable[[], float] = busy_s
        self._proc_s = _process_cpu_s if process_cpu_s is None else process_cpu_s
        self._lock = threading.Lock()
        self._energy_j = 0.0
        r = source.read()
        self._last = (sum(r.energy_j[d] for d in self._doms), self._busy_s(), self._proc_s())
        model = EstimateModel(
            "rapl-cpu-time-share",
            "E_process += dE_packages * min(1, d(process CPU-s) / d(machine busy CPU-s))",
            {"package_domains": ",".join(self._doms)},
            "measured RAPL package energy attributed by CPU-time share (as Scaphandre does); "
            "uncertainty 0.3: CPU time ignores frequency/IPC differences and charges idle power "
            "by share")
        self._spec = DomainSpec(
            "cpu:process", "cpu",
            "share of the measured CPU package energy attributed to this process and its reaped "
            "children by CPU time", Provenance.ESTIMATED,
            f"attribution:{getattr(source, 'name', 'meter')} x cpu-time share",
            uncertainty=SHARE_UNCERTAINTY, model=model, scope="process")

    def domains(self) -> Sequence[DomainSpec]:
        """The single attributed domain this meter reports."""
        return [self._spec]

    def describe(self) -> str:
        """One line saying what this meter reads and how (see :meth:`Meter.describe`)."""
        return (f"cpu:process = measured {'+'.join(self._doms)} energy x this process's share "
                f"of busy CPU time (estimated attribution, ±{SHARE_UNCERTAINTY:.0%})")

    def read(self) -> Reading:
        """This process's attributed share (J) of the source domains' cumulative energy."""
        with self._lock:
            r = self._source.read()
            e = sum(r.energy_j[d] for d in self._doms)
            busy, proc = self._busy_s(), self._proc_s()
            e0, busy0, proc0 = self._last
            d_busy, d_proc = busy - busy0, proc - proc0
            share = min(1.0, d_proc / d_busy) if d_busy > 0 and d_proc > 0 else 0.0
            self._energy_j += max(e - e0, 0.0) * share
            self._last = (e, busy, proc)
            return Reading(r.t_s, {"cpu:process": self._energy_j})

    def close(self) -> None:
        """Release the busy-time reader this meter opened, if any."""
        if self._own_busy is not None:
            self._own_busy.close()


def probe(options: ProbeOptions) -> Meter | Unavailable:
    """Detection entry: attribute a chosen meter's measured CPU package energy by CPU time."""
    if why := measured_cpu(options):
        return Unavailable(why)
    meter, pkgs = next((m, p) for m in options.chosen if (p := measured_packages(m)))
    return ProcessShareMeter(meter, pkgs)
