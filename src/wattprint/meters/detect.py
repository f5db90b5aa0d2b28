"""Pick the best energy source per component and say why each other source was not used.

Preference (most trustworthy first):

* gpu: NVML energy counter (measured) > NVML power sampling (integrated) > nothing — GPU
  energy is not invented where no GPU can be read.
* cpu: RAPL package counters (measured, ``cpu:<i>``, plus ``cpu:process`` attributed by CPU-time
  share) > the CPU estimate (``cpu:machine`` + ``cpu:process``).
* dram/ram: RAPL DRAM counters (measured) > the RAM estimate (``ram:machine``). The two cover
  the same DIMMs, so only one is used.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from wattprint.errors import MeterError, unknown_choice
from wattprint.meters.base import Meter, Provenance, SourceStatus

COMPONENTS: tuple[str, ...] = ("gpu", "cpu", "dram", "ram")


def detect(*, components: Sequence[str] = COMPONENTS, gpus: list[int] | None = None,
           powercap_root: str = "/sys/class/powercap", interval_s: float = 0.1
           ) -> tuple[list[Meter], list[SourceStatus]]:
    """Open the best meter for each requested component.

    Args:
        components: Any of ``gpu``, ``cpu``, ``dram``, ``ram``.
        gpus: Visible GPU indices; all when None. An explicit list makes an NVML failure an
            error instead of a skipped source.
        powercap_root: The powercap class directory (RAPL).
        interval_s: Power-sampling interval, seconds.

    Returns:
        (meters to read, one status per candidate source).

    Raises:
        ConfigError: An unknown component.
        MeterError: ``gpus`` was given explicitly and NVML cannot measure them.
    """
    for c in components:
        if c not in COMPONENTS:
            raise unknown_choice("component", c, COMPONENTS)
    comps = set(components)
    meters: list[Meter] = []
    status: list[SourceStatus] = []

    if "gpu" in comps:
        try:
            from wattprint.meters.nvml import NvmlMeter

            nv = NvmlMeter(gpus, interval_s=interval_s)
        except MeterError as err:
            if gpus is not None:
                raise
            status.append(SourceStatus("gpu", "nvml", False, False, str(err)))
        else:
            meters.append(nv)
            parts = [f"{s.name}: {'energy counter' if s.provenance is Provenance.MEASURED else 'power sampled every %gs, integrated' % interval_s} ({s.provenance})"
                     for s in nv.domains()]
            status.append(SourceStatus("gpu", "nvml", True, True,
                                       "; ".join(parts) + (f"; {nv.note}" if nv.note else "")))
        status.append(SourceStatus("gpu", "estimate", False, False,
                                   "no GPU power model: GPU energy is reported only when NVML "
                                   "can read it, never invented"))

    rapl = None
    rapl_reason = ""
    want_rapl = comps & {"cpu", "dram", "ram"}
    if want_rapl and not os.path.isdir(powercap_root):  # skip importing the RAPL module
        rapl_reason = (f"no powercap directory at {powercap_root} (no RAPL on this machine, or "
                       "it is not mounted in this container; see --powercap-root)")
    elif want_rapl:
        try:
            from wattprint.meters.rapl import RaplMeter

            rapl_comps = [c for c in ("cpu", "dram") if c in comps or (c == "dram" and "ram" in comps)]
            rapl = RaplMeter(powercap_root, components=rapl_comps)
        except MeterError as err:
            rapl_reason = str(err)
    rapl_doms = {s.name.split(":")[0] for s in rapl.domains()} if rapl else set()
    if rapl is not None:
        meters.append(rapl)
        skipped = [f"{z.zone_id} ({z.name}): {z.reason}" for z in rapl.zones if z.domain is None]
        names = ", ".join(s.name for s in rapl.domains())
        status.append(SourceStatus(
            "cpu" if "cpu" in rapl_doms else "dram", "rapl", True, True,
            f"RAPL counters at {powercap_root}: {names} (measured)"
            + (f"; not reported: {'; '.join(skipped)}" if skipped else "")))

    if "cpu" in comps:
        if "cpu" in rapl_doms:
            from wattprint.meters.attribution import ProcessShareMeter

            assert rapl is not None
            pkgs = [s.name for s in rapl.domains() if s.component == "cpu"]
            meters.append(ProcessShareMeter(rapl, pkgs))
            status.append(SourceStatus(
                "cpu", "rapl-share", True, True,
                f"cpu:process = measured {'+'.join(pkgs)} energy x this process's share of busy "
                "CPU time (estimated attribution, ±30%)"))
            status.append(SourceStatus("cpu", "estimate", True, False,
                                       "RAPL package counters are used instead of a model"))
        else:
            from wattprint.meters.estimate import CpuEstimateMeter

            cpu = CpuEstimateMeter()
            meters.append(cpu)
            why = rapl_reason or "RAPL has no package zone here"
            if rapl is None:
                status.append(SourceStatus("cpu", "rapl", False, False, why))
            status.append(SourceStatus(
                "cpu", "estimate", True, True,
                f"no CPU energy counter ({why}); estimated: {cpu.model.estimate_model().formula}; "
                f"{cpu.model.source}; uncertainty ±{cpu.model.uncertainty:.0%}"))

    if comps & {"dram", "ram"}:
        if "dram" in rapl_doms:
            status.append(SourceStatus("ram", "estimate", True, False,
                                       "RAPL DRAM counters measure the same DIMMs: not used"))
        else:
            from wattprint.meters.estimate import RamEstimateMeter

            ram = RamEstimateMeter()
            meters.append(ram)
            why = ("RAPL has no dram zone here" if rapl is not None
                   else rapl_reason or "RAPL not available")
            status.append(SourceStatus("dram", "rapl", False, False, why))
            status.append(SourceStatus(
                "ram", "estimate", True, True,
                f"no DRAM energy counter; estimated: {ram.power_w:.3g} W "
                f"({ram.ram_gb:.3g} GB installed); {ram.domains()[0].model.source}; "  # type: ignore[union-attr]
                f"uncertainty ±{ram.domains()[0].uncertainty:.0%}"))
    return meters, status
