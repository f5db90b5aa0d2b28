"""Estimated CPU and RAM energy for machines with no energy counter.

Nothing here is a measurement: every domain is labelled ``estimated`` and carries its model,
its constants and a relative uncertainty.

**CPU model** (``cpu-linear-tdp``)::

    P(t) = P_idle + (P_full - P_idle) * u(t)           u = busy CPU-seconds / (n_logical * dt)
    TDP_eff = TDP * n_logical / socket_threads         (the machine's share of the socket(s))
    P_idle  = idle_fraction * TDP_eff                  idle_fraction      = 0.11
    P_full  = full_load_fraction * TDP_eff             full_load_fraction = 0.73

Integrated exactly over a window, using cumulative CPU times (``psutil.cpu_times``), so reads
need no thread::

    E_machine = P_idle * dt + k * d(busy CPU-seconds)      k = (P_full - P_idle) / n_logical
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
  family (EPYC, Xeon, Ryzen, Core, Arm server ...) or vendor in the curated table; the model's
  ``source`` says which.
* **Sockets.** ``TDP_eff`` counts every socket the logical CPUs span: the threads per socket
  come from the curated table, the OS on bare metal, the vendor tables
  (``data/cpu_threads_codecarbon.csv``), an ``N-Core`` name, or last the TDP over the
  family's TDP per thread (:func:`socket_threads_of`); 128 vCPUs of a 64-thread Xeon 8375C
  are two sockets (600 W of TDP), never one.
* **Levels** (:data:`IDLE_FRACTION`, :data:`FULL_LOAD_FRACTION`), fitted on the 1,019
  published SPECpower_ssj2008 servers of known CPUs (``bench/cpu_estimate.py``): a CPU is part
  of its server and never draws more than the server's wall power, so each level is the 1st
  percentile of wall power / ``TDP_eff`` (at active idle and at 100 %), the largest fraction
  under the wall of 99 % of the servers. Held out by year: 1.2 % (idle) and 1.3 % (100 %) of
  the held-out servers exceed their wall; by vendor 4.6 % / 1.2 %. Over all 1,088 servers
  (unknown CPUs too) the estimate exceeds the wall for 1.1 % at idle and 1.4 % at 100 %
  (20-27 % with the former 0.2 × TDP idle and TDP at full load).
* **Band**: multiplicative, ``[P/(1+u), P*(1+u)]`` (a ± band with u >= 1 reached 0 W).
  u = 1.25 when the CPU's TDP and threads per socket are known, 2.0 when its threads are only
  implied by its TDP or the CPU is in no table. Scored on CodeCarbon's published RAPL load
  profiles of four real CPUs (106 steps from idle to 100 %, all and some cores): the band
  covers 91 % of the measured package powers (u = 0.75 covered 68 %: a few busy cores draw
  far more than their linear share, as turbo clocks and the uncore are shared).

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
from typing import Any

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
    threads_lookup,
)
from wattprint.meters.probe import ProbeOptions, Unavailable

IDLE_FRACTION: float = 0.11
"""P_idle / TDP_eff: fitted on SPECpower_ssj2008 (``bench/results/cpu_estimate.json``)."""
FULL_LOAD_FRACTION: float = 0.73
"""P_full / TDP_eff: fitted on SPECpower_ssj2008 (``bench/results/cpu_estimate.json``)."""
KNOWN_CPU_UNCERTAINTY: float = 1.25
"""u when the TDP and the threads per socket are known (91 % of RAPL profile steps covered)."""
TDP_ONLY_UNCERTAINTY: float = 2.0
"""u when the TDP is known but the threads per socket are only implied by it."""
UNKNOWN_CPU_UNCERTAINTY: float = 2.0
RAM_W_PER_GB: float = 0.3725
RAM_UNCERTAINTY: float = 0.75
DEFAULT_W_PER_THREAD: float = GLOBAL_W_PER_THREAD
SHIPPED_TDP_TABLE: str = CURATED_TABLE
CPU_TIME_RESOLUTION_S: float = 0.01  # /proc/stat and times() count in USER_HZ ticks (100 Hz)
MAX_LOGICAL_CPUS: int = 8192
"""Most logical CPUs one machine can have: Linux's largest ``NR_CPUS`` (x86-64 ``MAXSMP``)."""

IDLE_SOURCE = (f"idle_fraction {IDLE_FRACTION:g} and full_load_fraction {FULL_LOAD_FRACTION:g} "
               "of TDP_eff: the 1st percentile of wall power / TDP_eff over 1,019 published "
               "SPECpower_ssj2008 servers, so the CPU estimate stays under the whole server's "
               "wall power for 99 % of them (held out by year: 1.2 % / 1.3 % above; "
               "bench/cpu_estimate.py)")
BAND_SOURCE = ("band: multiplicative, [P/(1+u), P*(1+u)]; u = 1.25 covers 91 % of CodeCarbon's "
               "published RAPL load-profile steps of 4 CPUs (bench/cpu_estimate.py)")
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
        socket_threads: Hardware threads per physical socket used for the share, if known.
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
    socket_threads: int | None = None
    full_load_fraction: float = FULL_LOAD_FRACTION

    @property
    def sockets(self) -> float | None:
        """Physical sockets the share spans (fractional for a part of one), when known."""
        return None if not self.socket_threads else self.logical_cpus / self.socket_threads

    @property
    def idle_power_w(self) -> float:
        """P_idle of the share, W."""
        return self.idle_fraction * self.tdp_eff_w

    @property
    def full_power_w(self) -> float:
        """P_full of the share (every CPU of the share busy), W."""
        return self.full_load_fraction * self.tdp_eff_w

    @property
    def w_per_busy_cpu(self) -> float:
        """Dynamic power of one fully busy logical CPU, W (``k`` in the module docstring)."""
        return (self.full_power_w - self.idle_power_w) / self.logical_cpus

    def power_w(self, utilisation: float) -> float:
        """Estimated power at utilisation ``u`` in [0, 1] of the share, W."""
        return self.idle_power_w + (self.full_power_w - self.idle_power_w) * utilisation

    def estimate_model(self) -> EstimateModel:
        """The model stated in full, for the domain spec."""
        consts: dict[str, object] = {
            "tdp_eff_w": self.tdp_eff_w, "idle_fraction": self.idle_fraction,
            "full_load_fraction": self.full_load_fraction, "full_power_w": self.full_power_w,
            "idle_power_w": self.idle_power_w, "logical_cpus": self.logical_cpus,
            "w_per_busy_cpu": self.w_per_busy_cpu, "cpu_name": self.cpu_name,
            "scope": self.scope, "band_factor": 1.0 + self.uncertainty}
        if self.match is not None:
            consts["tdp_socket_w"] = self.match.tdp_w
        if self.socket_threads:
            consts.update({"socket_threads": self.socket_threads, "sockets": self.sockets})
        return EstimateModel(
            name="cpu-linear-tdp",
            formula="P = P_idle + (P_full - P_idle) * u; TDP_eff = TDP * logical_cpus / "
                    "socket_threads; P_idle = idle_fraction * TDP_eff; P_full = "
                    "full_load_fraction * TDP_eff; u from cumulative CPU times of the share; "
                    "band [P/(1+u_est), P*(1+u_est)]",
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
        threads, how, threads_known = socket_threads_of(cpu_name, match, socket_threads, table)
        share = n / threads
        sockets = f"{math.ceil(share - 1e-9)} sockets" if share > 1 else "one socket"
        tdp_eff = match.tdp_w * share
        source = (f"TDP {match.tdp_w:g} W per socket of {threads} threads for {cpu_name!r} "
                  f"({match.source}; socket threads: {how}); this share = {n:g} logical CPUs / "
                  f"{threads} socket threads = {share:.4g} ({sockets}); {IDLE_SOURCE}; "
                  f"{BAND_SOURCE}")
        unc = KNOWN_CPU_UNCERTAINTY if threads_known else TDP_ONLY_UNCERTAINTY
        return CpuPowerModel(cpu_name, n, tdp_eff, IDLE_FRACTION, True, unc, source,
                             match.entry, scope, match, threads)
    fam = family_default(cpu_name, table)
    source = (f"CPU {cpu_name!r} is not in the TDP tables: {fam.label} default of "
              f"{fam.w_per_thread:.3g} W per logical CPU ({fam.source}) x {n:g}; "
              f"{IDLE_SOURCE}; {BAND_SOURCE}")
    return CpuPowerModel(cpu_name, n, fam.w_per_thread * n, IDLE_FRACTION, False,
                         UNKNOWN_CPU_UNCERTAINTY, source, None, scope, None)


def socket_threads_of(cpu_name: str, match: TdpMatch, socket_threads: int | None = None,
                      table: Sequence[TdpEntry] | None = None) -> tuple[int, str, bool]:
    """Hardware threads per physical socket of a CPU known by its TDP, how it is known, and
    whether it is known (False: only implied by the TDP).

    In order: the curated table; the OS (``socket_threads``, bare metal); the vendor tables
    (:func:`~wattprint.meters.cpu_tdp.threads_lookup`, with the shipped tables only); an
    ``N-Core`` model name (x2, SMT assumed); last, the TDP divided by the family's TDP per
    thread. The machine's sockets are then its logical CPUs / these threads, so a 128-vCPU
    host of a 64-thread CPU counts two sockets, never one.
    """
    if match.threads:
        return match.threads, "from the curated table", True
    if socket_threads:
        return socket_threads, "from the OS (/proc/cpuinfo siblings on bare metal)", True
    if table is None and (t := threads_lookup(cpu_name)) is not None:
        return t.threads, f"{t.cores} cores, {t.threads} threads ({t.source})", True
    if cores := _cores_in_name(cpu_name):
        return 2 * cores, f"{cores} cores in the CPU name x 2 (SMT assumed)", True
    fam = family_default(cpu_name, table)
    implied = max(1, round(match.tdp_w / fam.w_per_thread))
    return implied, (f"unknown, implied by the TDP / {fam.w_per_thread:.3g} W per thread "
                     f"({fam.source}) = {implied}"), False


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
    check_cpu_name(cpu_name)
    check_logical_cpus(logical_cpus)
    m = resolve_cpu_model(cpu_name, logical_cpus, socket_threads=socket_threads)
    p = m.power_w(utilisation)
    lo, hi = band(p, m.uncertainty)
    return CpuWhatIf(p, lo, hi, m.estimate_model(),
                     tuple(x.strip() for x in m.source.split("; ") if x.strip()))


def check_cpu_name(cpu_name: str) -> str:
    """The CPU model name, stripped; MeterError when it is empty.

    Raises:
        MeterError: Nothing but blanks (an empty name would silently fall to a default).
    """
    name = cpu_name.strip() if isinstance(cpu_name, str) else ""
    if not name:
        raise MeterError(f"CPU model name is empty ({cpu_name!r}); give the name the OS or "
                         "the cloud provider reports, e.g. 'AMD EPYC 7763'")
    return name


def check_logical_cpus(logical_cpus: float) -> float:
    """The logical CPU count if it is a finite number in ``(0, MAX_LOGICAL_CPUS]``.

    Raises:
        MeterError: Out of range, naming the valid range.
    """
    n = float(logical_cpus)
    if not (math.isfinite(n) and 0.0 < n <= MAX_LOGICAL_CPUS):
        raise MeterError(f"logical CPUs must be more than 0 and at most {MAX_LOGICAL_CPUS} "
                         f"(Linux's largest NR_CPUS), got {logical_cpus!r}")
    return n


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
    """Estimated RAM energy ``ram:machine`` = RAM_W_PER_GB × the job's GB × time.

    The job is charged its share, never the whole host beside a share of its CPU:

    * in a container whose cgroup sets a memory limit (``memory.max`` /
      ``memory.limit_in_bytes``) below the installed RAM, the limit (scope ``container``);
    * with no memory limit but a CPU share (an affinity mask, a cgroup quota or cpuset), the
      installed RAM × the share's CPUs / the host's CPUs (the share's scope, ``affinity`` or
      ``container``), stated in the model's constants (``cpu_share``);
    * otherwise the installed RAM (scope ``host``).

    Args:
        ram_gb: RAM to charge, GB; read from the machine (and the cgroup limit) when None.
        clock: Monotonic clock, seconds.
        share: The process's share (its memory limit and CPUs are used); read when None and
            ram_gb is None.
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
        cpu_fraction: float | None = None
        what = f"installed RAM of this machine ({self.ram_gb:.3g} GB)"
        if ram_gb is None:
            share = share if share is not None else cpu_share()
            lim = share.memory_limit_bytes
            if lim is not None and lim / 1e9 < self.installed_gb:
                self.ram_gb, self.scope = lim / 1e9, "container"
                what = (f"this container's memory limit ({self.ram_gb:.3g} GB of "
                        f"{self.installed_gb:.3g} GB installed)")
            elif share.scope != "host" and share.host_cpus > 0:
                cpu_fraction = min(share.cpus / share.host_cpus, 1.0)
                self.ram_gb, self.scope = self.installed_gb * cpu_fraction, share.scope
                what = (f"this job's share of the installed RAM: no memory limit, so "
                        f"{self.installed_gb:.3g} GB x its CPU share {share.cpus:g}/"
                        f"{share.host_cpus} = {self.ram_gb:.3g} GB ({share.reason})")
        self.power_w = RAM_W_PER_GB * self.ram_gb
        self._clock = clock
        consts: dict[str, Any] = {"w_per_gb": RAM_W_PER_GB, "installed_gb": self.ram_gb,
                                  "power_w": self.power_w}
        formula = "P = w_per_gb * installed_gb"
        if cpu_fraction is not None:
            consts.update({"host_installed_gb": self.installed_gb, "cpu_share": cpu_fraction})
            formula = "P = w_per_gb * host_installed_gb * cpu_share"
        model = EstimateModel("ram-per-gb", formula, consts, RAM_SOURCE)
        self._spec = DomainSpec("ram:machine", "ram", what, Provenance.ESTIMATED,
                                "estimate:ram-per-gb (installed RAM from sysconf, cgroup limit, "
                                "CPU share)",
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
