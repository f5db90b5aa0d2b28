"""Estimated CPU and RAM energy for machines with no energy counter.

Nothing here is a measurement: every domain is labelled ``estimated`` and carries its model,
its constants and a relative uncertainty.

**CPU model** (``cpu-linear-tdp``)::

    P(t) = P_idle + (TDP_eff - P_idle) * u(t)          u = busy CPU-seconds / (n_logical * dt)
    TDP_eff = TDP * n_logical / socket_threads         (the machine's share of the socket(s))
    P_idle  = idle_fraction * TDP_eff

Integrated exactly over a window, using cumulative CPU times (``psutil.cpu_times``), so reads
need no thread::

    E_machine = P_idle * dt + k * d(busy CPU-seconds)      k = (TDP_eff - P_idle) / n_logical
    E_process = k * d(CPU-seconds of this process and its reaped children)   (``getrusage``)

``k`` is the dynamic power of one busy logical CPU, in W. ``cpu:process`` is the dynamic energy
the measured process's own CPU time adds (no share of idle power): it is the attribution, not
a part of ``cpu:machine`` to add to it.

The share is the CPUs this process may use (:mod:`wattprint.meters.cgroup`: cgroup quota or
cpuset, or the affinity mask), named by the domain's scope (``host``, ``container``,
``affinity``); busy time is read for that share only. Busy time credited to a window is capped
at ``cpus × elapsed``, and the 10 ms CPU-time tick is added to each window's uncertainty.

* TDP comes from the curated ``data/cpu_tdp.csv`` (with threads per socket), then from
  CodeCarbon's ~4,900-model ``data/cpu_power_codecarbon.csv`` (see
  :mod:`wattprint.meters.cpu_tdp`). An unknown model uses the median TDP per thread of its
  family (EPYC, Xeon, Ryzen, Core ...) or vendor in the curated table; the model's
  ``source`` says which.
* ``idle_fraction`` = 0.2: the Cloud Carbon Footprint coefficients derived from
  SPECpower_ssj2008 give a minimum/maximum watts-per-vCPU ratio of 0.16–0.24 across Intel
  Broadwell, Skylake, Cascade Lake and AMD EPYC Milan (github.com/cloud-carbon-footprint/
  ccf-coefficients; cloudcarbonfootprint.org/docs/methodology).
* **Band**: multiplicative, ``[P/(1+u), P*(1+u)]`` (a ± band with u >= 1 reached 0 W).
  u = 0.5 for a curated model, 0.75 for a TDP without thread count, 2.0 for an unknown CPU.
  Calibrated on the 1,088 published SPECpower_ssj2008 results (``bench/cpu_estimate.py``):
  the servers' wall dynamic range P(100 %) - P(idle) falls inside the band for 99 % of curated
  and TDP-only rows (u = 0.34 / 0.42 would already cover 90 %; the wider u leaves room for the
  idle share, which wall data cannot separate from the rest of the server); for CPUs in no
  table (mostly 2008-2013 Opterons and Ampere Altra) the family default is off by a median
  factor of ~2.5, hence u = 2 (band x/÷3).

**RAM model** (``ram-per-gb``): ``P = 0.3725 W/GB × installed GB``, the constant of Green
Algorithms (Lannelongue, Grealey, Inouye, Adv. Sci. 2021), also the order CodeCarbon used
before 2.x (3 W per 8 GB). Wall-meter checks found installed-but-idle RAM drawing much less
(GreenAlgorithms/green-algorithms-tool#14), so the uncertainty is 0.75.
"""

from __future__ import annotations

import math
import os
import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from wattprint.errors import MeterError
from wattprint.meters.base import DomainSpec, EstimateModel, Meter, Provenance, Reading
from wattprint.meters.cgroup import CpuShare, cpu_share
from wattprint.meters.cpu_tdp import (
    CODECARBON_TABLE,
    CURATED_TABLE,
    GLOBAL_W_PER_THREAD,
    TdpEntry,
    TdpMatch,
    family_default,
    load_tdp_table,  # noqa: F401 - re-exported: wattprint.meters.estimate.load_tdp_table
    lookup,
)
from wattprint.meters.probe import ProbeOptions, Unavailable

IDLE_FRACTION: float = 0.2
KNOWN_CPU_UNCERTAINTY: float = 0.5
TDP_ONLY_UNCERTAINTY: float = 0.75
UNKNOWN_CPU_UNCERTAINTY: float = 2.0
RAM_W_PER_GB: float = 0.3725
RAM_UNCERTAINTY: float = 0.75
DEFAULT_W_PER_THREAD: float = GLOBAL_W_PER_THREAD
SHIPPED_TDP_TABLE: str = CURATED_TABLE
CPU_TIME_RESOLUTION_S: float = 0.01  # /proc/stat and times() count in USER_HZ ticks (100 Hz)

IDLE_SOURCE = ("idle_fraction 0.2: min/max watts per vCPU of the Cloud Carbon Footprint "
               "coefficients from SPECpower_ssj2008 (0.16-0.24 for Intel Broadwell..Cascade Lake, "
               "AMD EPYC Milan), github.com/cloud-carbon-footprint/ccf-coefficients")
BAND_SOURCE = ("band: multiplicative, [P/(1+u), P*(1+u)], u calibrated against SPECpower_ssj2008 "
               "published results (see bench/cpu_estimate.py and docs/methodology.md)")
RAM_SOURCE = ("0.3725 W/GB of installed RAM: Green Algorithms (Lannelongue et al., Adv. Sci. 2021); "
              "contested by wall-meter checks (GreenAlgorithms/green-algorithms-tool#14), hence "
              "uncertainty 0.75")


def band(value: float, uncertainty: float) -> tuple[float, float]:
    """The multiplicative band of an estimate: ``(value/(1+u), value*(1+u))``.

    Unlike ``value ± u*value``, the lower bound never reaches 0 for ``u >= 1``.
    """
    f = 1.0 + uncertainty
    return value / f, value * f


@dataclass(frozen=True)
class CpuPowerModel:
    """The resolved CPU power model for a share of a machine.

    Attributes:
        cpu_name: The CPU model name as the OS reports it.
        logical_cpus: Logical CPUs of the share (may be fractional under a cgroup quota).
        tdp_eff_w: TDP of the share, W.
        idle_fraction: P_idle / TDP_eff.
        known: Whether the CPU matched a table row.
        uncertainty: Relative uncertainty u; the band is ``[P/(1+u), P*(1+u)]``.
        source: Where TDP, share and idle fraction come from, in words.
        entry: The matched curated row, if any.
        scope: ``host``, ``container`` or ``affinity`` (see :mod:`wattprint.meters.cgroup`).
        match: The table row that matched (curated or CodeCarbon), if any.
    """

    cpu_name: str
    logical_cpus: float
    tdp_eff_w: float
    idle_fraction: float
    known: bool
    uncertainty: float
    source: str
    entry: TdpEntry | None = None
    scope: str = "host"
    match: TdpMatch | None = None

    @property
    def idle_power_w(self) -> float:
        """P_idle of the share, W."""
        return self.idle_fraction * self.tdp_eff_w

    @property
    def w_per_busy_cpu(self) -> float:
        """Dynamic power of one fully busy logical CPU, W (``k`` in the module docstring)."""
        return (self.tdp_eff_w - self.idle_power_w) / self.logical_cpus

    def power_w(self, utilisation: float) -> float:
        """Estimated power at utilisation ``u`` in [0, 1] of the share, W."""
        return self.idle_power_w + (self.tdp_eff_w - self.idle_power_w) * utilisation

    def estimate_model(self) -> EstimateModel:
        """The model stated in full, for the domain spec."""
        consts: dict[str, object] = {
            "tdp_eff_w": self.tdp_eff_w, "idle_fraction": self.idle_fraction,
            "idle_power_w": self.idle_power_w, "logical_cpus": self.logical_cpus,
            "w_per_busy_cpu": self.w_per_busy_cpu, "cpu_name": self.cpu_name,
            "scope": self.scope, "band_factor": 1.0 + self.uncertainty}
        if self.entry is not None:
            consts.update({"tdp_socket_w": self.entry.tdp_w, "socket_threads": self.entry.threads})
        elif self.match is not None:
            consts["tdp_socket_w"] = self.match.tdp_w
        return EstimateModel(
            name="cpu-linear-tdp",
            formula="P = P_idle + (TDP_eff - P_idle) * u; TDP_eff = TDP * logical_cpus / "
                    "socket_threads; P_idle = idle_fraction * TDP_eff; u from cumulative CPU times "
                    "of the share; band [P/(1+u_est), P*(1+u_est)]",
            constants=consts, source=self.source)


def cpu_model_name(proc_root: str = "/proc") -> str:
    """The CPU model name (``/proc/cpuinfo`` "model name" on Linux, else ``platform.processor()``)."""
    try:
        with open(os.path.join(proc_root, "cpuinfo"), encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    import platform

    return platform.processor() or "unknown"


def _cores_in_name(cpu_name: str) -> int | None:
    m = re.search(r"(\d+)-Core", cpu_name, re.IGNORECASE)
    return int(m.group(1)) if m else None


def resolve_cpu_model(cpu_name: str, logical_cpus: float,
                      table: Sequence[TdpEntry] | None = None, *, scope: str = "host",
                      socket_threads: int | None = None) -> CpuPowerModel:
    """Match the CPU against the tables and scale to the share of the socket(s) in use.

    Args:
        cpu_name: CPU model name as reported by the OS.
        logical_cpus: Logical CPUs of the share (a VM, container or affinity mask sees a part
            of the host).
        table: Curated TDP rows; the shipped curated table and CodeCarbon's table when None
            (an explicit table is used alone).
        scope: The share's scope, recorded in the model.
        socket_threads: Threads per socket when known from the OS (bare metal); used for
            tables that give no thread count.

    Returns:
        The model. Unknown CPUs use the family/vendor TDP per thread.
    """
    if not logical_cpus > 0:
        raise MeterError(f"cannot estimate CPU power for {logical_cpus} logical CPUs")
    n = float(logical_cpus)
    match = lookup(cpu_name, table, CODECARBON_TABLE if table is None else None)
    if match is not None:
        threads = match.threads or socket_threads
        how = "socket threads from the table"
        if threads is None and (cores := _cores_in_name(cpu_name)):
            threads, how = 2 * cores, f"{cores} cores in the CPU name x 2 (SMT assumed)"
        elif match.threads is None and socket_threads:
            how = "socket threads from the OS (/proc/cpuinfo siblings)"
        if threads:
            share = n / threads
            tdp_eff = match.tdp_w * share
            source = (f"TDP {match.tdp_w:g} W per socket of {threads} threads for {cpu_name!r} "
                      f"({match.source}, {how}); this share = {n:g} logical CPUs / {threads} "
                      f"socket threads = {share:.4g}; {IDLE_SOURCE}; {BAND_SOURCE}")
            unc = KNOWN_CPU_UNCERTAINTY if match.threads else TDP_ONLY_UNCERTAINTY
        else:
            fam = family_default(cpu_name, table)
            tdp_eff = min(match.tdp_w, fam.w_per_thread * n)
            source = (f"TDP {match.tdp_w:g} W per socket for {cpu_name!r} ({match.source}) with "
                      f"no thread count: min(TDP, {fam.w_per_thread:.3g} W per logical CPU "
                      f"({fam.source}) x {n:g}); {IDLE_SOURCE}; {BAND_SOURCE}")
            unc = TDP_ONLY_UNCERTAINTY
        return CpuPowerModel(cpu_name, n, tdp_eff, IDLE_FRACTION, True, unc, source,
                             match.entry, scope, match)
    fam = family_default(cpu_name, table)
    source = (f"CPU {cpu_name!r} is not in the TDP tables: {fam.label} default of "
              f"{fam.w_per_thread:.3g} W per logical CPU ({fam.source}) x {n:g}; "
              f"{IDLE_SOURCE}; {BAND_SOURCE}")
    return CpuPowerModel(cpu_name, n, fam.w_per_thread * n, IDLE_FRACTION, False,
                         UNKNOWN_CPU_UNCERTAINTY, source, None, scope, None)


@dataclass(frozen=True)
class CpuWhatIf:
    """The estimated power of a CPU share at a given utilisation (``wattprint estimate cpu``).

    Attributes:
        power_w: Estimated power, W.
        low_w: Lower end of the band, W (``power_w / (1+u)``).
        high_w: Upper end of the band, W (``power_w * (1+u)``).
        model: The model with its constants.
        sources: Where each constant comes from.
    """

    power_w: float
    low_w: float
    high_w: float
    model: EstimateModel
    sources: tuple[str, ...]

    def to_dict(self) -> dict[str, object]:
        """Exactly the keys ``power_w``, ``low_w``, ``high_w``, ``model``, ``sources``."""
        m = self.model.to_dict()
        m.pop("source", None)
        return {"power_w": self.power_w, "low_w": self.low_w, "high_w": self.high_w,
                "model": m, "sources": list(self.sources)}


def cpu_what_if(cpu_name: str, logical_cpus: float, utilisation: float,
                socket_threads: int | None = None) -> CpuWhatIf:
    """Estimate the power of ``logical_cpus`` of a ``cpu_name`` machine at ``utilisation``.

    Args:
        cpu_name: CPU model name (as ``/proc/cpuinfo`` or a cloud provider names it).
        logical_cpus: Logical CPUs (vCPUs) of the machine or share, > 0.
        utilisation: Average busy fraction of those CPUs, 0 to 1.
        socket_threads: Threads per physical socket when known (else from the tables).

    Raises:
        MeterError: A value out of range.
    """
    if not 0.0 <= utilisation <= 1.0:
        raise MeterError(f"utilisation must be between 0 and 1 (a fraction), got {utilisation!r}")
    m = resolve_cpu_model(cpu_name, logical_cpus, socket_threads=socket_threads)
    p = m.power_w(utilisation)
    lo, hi = band(p, m.uncertainty)
    return CpuWhatIf(p, lo, hi, m.estimate_model(),
                     tuple(x.strip() for x in m.source.split("; ") if x.strip()))


def _psutil_busy_s() -> float:
    """Busy CPU-seconds summed over all CPUs since boot (user+nice+system+irq+softirq)."""
    import psutil

    t = psutil.cpu_times()
    busy = t.user + t.system
    for extra in ("nice", "irq", "softirq"):
        busy += getattr(t, extra, 0.0)
    return busy


class ProcStatBusy:
    """Busy CPU-seconds from the first line of ``/proc/stat``, the same fields psutil sums.

    ``psutil.cpu_times()`` re-reads and parses the whole file (per-CPU lines, interrupts) in
    ~7-15 µs; this keeps the file open and ``pread``s its first line in ~2 µs, so that a
    window open + close stays far under 50 µs. Falls back to psutil off Linux.
    """

    def __init__(self, path: str = "/proc/stat") -> None:
        self._fd: int | None = None
        try:
            self._fd = os.open(path, os.O_RDONLY)
            self._tick_s = 1.0 / os.sysconf("SC_CLK_TCK")
            self()
        except (OSError, ValueError, IndexError):
            self.close()

    def __call__(self) -> float:
        """Cumulative busy CPU time of the machine (s, summed over CPUs)."""
        if self._fd is None:
            return _psutil_busy_s()
        f = os.pread(self._fd, 1024, 0).split(b"\n", 1)[0].split()
        if f[0] != b"cpu":
            raise ValueError("unexpected /proc/stat layout")
        # cpu user nice system idle iowait irq softirq steal guest guest_nice (guest is in user)
        return (int(f[1]) + int(f[2]) + int(f[3]) + int(f[6]) + int(f[7])) * self._tick_s

    def close(self) -> None:
        """Close ``/proc/stat``. Idempotent."""
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)


def _process_cpu_s() -> float:
    """CPU-seconds of this process and its reaped (waited-for) children.

    ``getrusage`` (µs resolution) where available; ``os.times`` (10 ms ticks) otherwise.
    """
    try:
        import resource
    except ImportError:  # Windows
        t = os.times()
        return t.user + t.system + t.children_user + t.children_system
    s = resource.getrusage(resource.RUSAGE_SELF)
    c = resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime


class CpuEstimateMeter(Meter):
    """Estimated CPU energy of the share in use (``cpu:machine``) and of this process (``cpu:process``).

    ``cpu:machine`` covers the CPUs this process may use — the whole host, a container's cgroup
    quota/cpuset, or an affinity mask (:mod:`wattprint.meters.cgroup`); its scope says which.
    Busy CPU time comes from the share's own counter (the cgroup's ``cpu.stat``, or the
    allowed CPUs' lines of ``/proc/stat``). Busy time credited to a window is capped at
    ``cpus × elapsed`` (ticks arrive in 10 ms steps, so a 2 ms window could otherwise see a
    whole tick); the excess is credited to later reads, so nothing is lost over time.

    Args:
        model: The CPU power model; resolved for ``share`` when None.
        share: The CPU share; read from cgroups/affinity when None and ``model`` is None.
        process: Also report ``cpu:process``.
        busy_s: Returns cumulative busy CPU-seconds of the share (for tests).
        process_cpu_s: Returns cumulative CPU-seconds of this process + reaped children.
        clock: Monotonic clock, seconds.
        cgroup_root: The cgroup mount, when the share is read here.
        proc_root: The procfs mount, when the share is read here.
    """

    name = "estimate-cpu"
    update_period_s = 10 * CPU_TIME_RESOLUTION_S

    def __init__(self, model: CpuPowerModel | None = None, *, share: CpuShare | None = None,
                 process: bool = True, busy_s: Callable[[], float] | None = None,
                 process_cpu_s: Callable[[], float] = _process_cpu_s,
                 clock: Callable[[], float] = time.monotonic,
                 cgroup_root: str = "/sys/fs/cgroup", proc_root: str = "/proc") -> None:
        if model is None:
            share = share if share is not None else cpu_share(cgroup_root, proc_root)
            model = resolve_cpu_model(cpu_model_name(proc_root), share.cpus, scope=share.scope,
                                      socket_threads=_socket_threads(proc_root))
        self.model = model
        self.share = share
        self._own_busy: ProcStatBusy | None = None
        if busy_s is None:
            if share is not None and share.scope != "host":
                busy_s = share.busy_s_reader(proc_root)
            else:
                self._own_busy = ProcStatBusy(os.path.join(proc_root, "stat"))
                busy_s = self._own_busy
        self._busy_s, self._proc_s, self._clock = busy_s, process_cpu_s, clock
        self._process = process
        em = model.estimate_model()
        what = {"host": "whole CPU of this machine", "container": "this container's CPU share",
                "affinity": "the CPUs this process may run on (affinity)"}.get(model.scope, model.scope)
        self._specs = [DomainSpec(
            "cpu:machine", "cpu",
            f"{what} ({model.logical_cpus:g} logical CPUs, {model.cpu_name})"
            + (f"; {share.reason}" if share is not None else ""),
            Provenance.ESTIMATED, "estimate:cpu-linear-tdp (busy CPU time of the share)",
            uncertainty=model.uncertainty, model=em, scope=model.scope)]
        if process:
            self._specs.append(DomainSpec(
                "cpu:process", "cpu",
                "dynamic CPU energy of this process and its reaped children (own CPU time x "
                "w_per_busy_cpu; no share of idle power)",
                Provenance.ESTIMATED, "estimate:cpu-linear-tdp (getrusage self+children)",
                uncertainty=model.uncertainty, model=em, scope="process"))
        self._t0 = self._t_last = clock()
        self._busy0 = busy_s()
        self._credited = 0.0
        self._lock = threading.Lock()
        self._proc0 = process_cpu_s() if process else 0.0

    def domains(self) -> Sequence[DomainSpec]:
        """The estimated CPU domains (machine, and process when asked for)."""
        return list(self._specs)

    def describe(self) -> str:
        """One line saying what this meter reads and how (see :meth:`Meter.describe`)."""
        m = self.model
        return (f"no CPU energy counter; estimated for scope {m.scope}: "
                f"{m.estimate_model().formula}; {m.source}; uncertainty u={m.uncertainty:g} "
                f"(band x/÷{1 + m.uncertainty:.3g})")

    def window_uncertainty(self, spec: DomainSpec, energy_j: float, duration_s: float) -> float | None:
        """The model's u plus the CPU-time tick (10 ms per CPU at each end of the window) for
        the share's busy time; ``cpu:process`` reads ``getrusage`` (µs), so no tick there."""
        if spec.uncertainty is None or energy_j <= 0 or spec.scope == "process":
            return spec.uncertainty
        cpus = math.ceil(self.model.logical_cpus)
        tick_j = self.model.w_per_busy_cpu * 2 * CPU_TIME_RESOLUTION_S * cpus
        return spec.uncertainty + tick_j / energy_j

    def read(self) -> Reading:
        """Estimated cumulative CPU energy (J) since the meter was opened."""
        with self._lock:
            t = self._clock()
            busy = self._busy_s() - self._busy0
            m = self.model
            # never credit more busy time than the share's CPUs could run since the last read
            self._credited = min(busy, self._credited + m.logical_cpus * max(t - self._t_last, 0.0))
            self._t_last = t
            energy = {"cpu:machine": m.idle_power_w * (t - self._t0) + m.w_per_busy_cpu * self._credited}
            if self._process:
                energy["cpu:process"] = m.w_per_busy_cpu * (self._proc_s() - self._proc0)
            return Reading(t, energy)

    def close(self) -> None:
        """Release the busy-time reader this meter opened, if any."""
        if self._own_busy is not None:
            self._own_busy.close()


def _socket_threads(proc_root: str = "/proc") -> int | None:
    """Threads per socket from ``cpuinfo`` ("siblings") on bare metal; None in a VM (the
    hypervisor flag is set), where it describes the virtual socket, not the physical one."""
    try:
        with open(os.path.join(proc_root, "cpuinfo"), encoding="utf-8", errors="replace") as f:
            text = f.read(65536)
    except OSError:
        return None
    flags = re.search(r"^flags\s*:(.*)$", text, re.MULTILINE)
    if flags and " hypervisor" in flags.group(1):
        return None
    sib = re.search(r"^siblings\s*:\s*(\d+)", text, re.MULTILINE)
    return int(sib.group(1)) if sib else None


def installed_ram_gb() -> float:
    """Installed RAM visible to this machine, GB (10^9 bytes).

    ``sysconf`` on POSIX (what ``psutil.virtual_memory().total`` reports, without importing
    psutil at start-up); psutil elsewhere.
    """
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1e9
    except (AttributeError, ValueError, OSError):
        import psutil

        return psutil.virtual_memory().total / 1e9


class RamEstimateMeter(Meter):
    """Estimated RAM energy ``ram:machine`` = RAM_W_PER_GB × installed GB × time.

    In a container whose cgroup sets a memory limit (``memory.max`` / ``memory.limit_in_bytes``)
    below the installed RAM, the limit is charged instead and the scope is ``container``;
    otherwise the scope is ``host``.

    Args:
        ram_gb: RAM to charge, GB; read from the machine (and the cgroup limit) when None.
        clock: Monotonic clock, seconds.
        share: The process's share (its memory limit is used); read when None and ram_gb is None.
        scope: The scope to record when ``ram_gb`` is given.
    """

    name = "estimate-ram"
    update_period_s = 0.0

    def __init__(self, ram_gb: float | None = None, *,
                 clock: Callable[[], float] = time.monotonic, share: CpuShare | None = None,
                 scope: str = "host") -> None:
        self.scope = scope
        self.installed_gb = installed_ram_gb() if ram_gb is None else float(ram_gb)
        self.ram_gb = self.installed_gb
        if ram_gb is None:
            share = share if share is not None else cpu_share()
            lim = share.memory_limit_bytes
            if lim is not None and lim / 1e9 < self.installed_gb:
                self.ram_gb, self.scope = lim / 1e9, "container"
        self.power_w = RAM_W_PER_GB * self.ram_gb
        self._clock = clock
        model = EstimateModel("ram-per-gb", "P = w_per_gb * installed_gb",
                              {"w_per_gb": RAM_W_PER_GB, "installed_gb": self.ram_gb,
                               "power_w": self.power_w}, RAM_SOURCE)
        what = (f"installed RAM of this machine ({self.ram_gb:.3g} GB)" if self.scope != "container"
                else f"this container's memory limit ({self.ram_gb:.3g} GB of "
                     f"{self.installed_gb:.3g} GB installed)")
        self._spec = DomainSpec("ram:machine", "ram", what, Provenance.ESTIMATED,
                                "estimate:ram-per-gb (installed RAM from sysconf, cgroup limit)",
                                uncertainty=RAM_UNCERTAINTY, model=model, scope=self.scope)
        self._t0 = clock()

    def domains(self) -> Sequence[DomainSpec]:
        """The single estimated RAM domain."""
        return [self._spec]

    def describe(self) -> str:
        """One line saying what this meter reads and how (see :meth:`Meter.describe`)."""
        return (f"no DRAM energy counter; estimated for scope {self.scope}: {self.power_w:.3g} W "
                f"({self.ram_gb:.3g} GB); {RAM_SOURCE}; uncertainty u={RAM_UNCERTAINTY:g} "
                f"(band x/÷{1 + RAM_UNCERTAINTY:.3g})")

    def read(self) -> Reading:
        """Estimated cumulative RAM energy (J): constant power (W) times elapsed time (s)."""
        t = self._clock()
        return Reading(t, {"ram:machine": self.power_w * (t - self._t0)})


def probe_gpu(options: ProbeOptions) -> Meter | Unavailable:
    """Detection entry: there is no GPU power model, on purpose."""
    return Unavailable("no GPU power model: GPU energy is reported only when a GPU counter or "
                       "power reading is available, never invented")


def probe_cpu(options: ProbeOptions) -> Meter | Unavailable:
    """Detection entry: the CPU estimate for this process's share (always available)."""
    return CpuEstimateMeter(cgroup_root=options.cgroup_root, proc_root=options.proc_root)


def probe_ram(options: ProbeOptions) -> Meter | Unavailable:
    """Detection entry: the RAM estimate, within a cgroup memory limit (always available)."""
    return RamEstimateMeter(share=cpu_share(options.cgroup_root, options.proc_root))
