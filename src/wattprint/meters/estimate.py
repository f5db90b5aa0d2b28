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

* TDP comes from ``data/cpu_tdp.csv`` (vendor spec pages, one row per model, with the number of
  threads of one socket). An unknown model uses ``DEFAULT_W_PER_THREAD`` × logical CPUs and a
  larger uncertainty; the model's ``source`` says so.
* ``idle_fraction`` = 0.2: the Cloud Carbon Footprint coefficients derived from
  SPECpower_ssj2008 give a minimum/maximum watts-per-vCPU ratio of 0.16–0.24 across Intel
  Broadwell, Skylake, Cascade Lake and AMD EPYC Milan (github.com/cloud-carbon-footprint/
  ccf-coefficients; cloudcarbonfootprint.org/docs/methodology).
* Uncertainty 0.5 for a known model (TDP is a thermal design limit, not a measured power; the
  linear utilisation model ignores frequency scaling and memory-bound stalls; peer trackers'
  estimates for the same 2-vCPU workload spanned >10×), 1.0 for an unknown model.

**RAM model** (``ram-per-gb``): ``P = 0.3725 W/GB × installed GB``, the constant of Green
Algorithms (Lannelongue, Grealey, Inouye, Adv. Sci. 2021), also the order CodeCarbon used
before 2.x (3 W per 8 GB). Wall-meter checks found installed-but-idle RAM drawing much less
(GreenAlgorithms/green-algorithms-tool#14), so the uncertainty is 0.75.
"""

from __future__ import annotations

import csv
import os
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from wattprint.errors import MeterError
from wattprint.meters.base import DomainSpec, EstimateModel, Meter, Provenance, Reading
from wattprint.meters.probe import ProbeOptions, Unavailable

IDLE_FRACTION: float = 0.2
DEFAULT_W_PER_THREAD: float = 4.0
KNOWN_CPU_UNCERTAINTY: float = 0.5
UNKNOWN_CPU_UNCERTAINTY: float = 1.0
RAM_W_PER_GB: float = 0.3725
RAM_UNCERTAINTY: float = 0.75
SHIPPED_TDP_TABLE: str = os.path.join(os.path.dirname(__file__), "data", "cpu_tdp.csv")
CPU_TIME_RESOLUTION_S: float = 0.01  # /proc/stat and times() count in USER_HZ ticks (100 Hz)

IDLE_SOURCE = ("idle_fraction 0.2: min/max watts per vCPU of the Cloud Carbon Footprint "
               "coefficients from SPECpower_ssj2008 (0.16-0.24 for Intel Broadwell..Cascade Lake, "
               "AMD EPYC Milan), github.com/cloud-carbon-footprint/ccf-coefficients")
RAM_SOURCE = ("0.3725 W/GB of installed RAM: Green Algorithms (Lannelongue et al., Adv. Sci. 2021); "
              "contested by wall-meter checks (GreenAlgorithms/green-algorithms-tool#14), hence "
              "uncertainty 0.75")


@dataclass(frozen=True)
class TdpEntry:
    """One row of the shipped CPU table.

    Attributes:
        pattern: Regular expression matched (case-insensitive) against the CPU model name.
        tdp_w: Thermal design power of one socket, W.
        cores: Physical cores per socket.
        threads: Hardware threads per socket.
        source: Where the TDP comes from.
        year: Launch year.
    """

    pattern: str
    tdp_w: float
    cores: int
    threads: int
    source: str
    year: int


@dataclass(frozen=True)
class CpuPowerModel:
    """The resolved CPU power model for this machine.

    Attributes:
        cpu_name: The CPU model name as the OS reports it.
        logical_cpus: Logical CPUs this machine (or VM) has.
        tdp_eff_w: TDP of the machine's share of the socket(s), W.
        idle_fraction: P_idle / TDP_eff.
        known: Whether the CPU matched a table row.
        uncertainty: Relative uncertainty of the estimate.
        source: Where TDP, share and idle fraction come from, in words.
        entry: The matched table row, if any.
    """

    cpu_name: str
    logical_cpus: int
    tdp_eff_w: float
    idle_fraction: float
    known: bool
    uncertainty: float
    source: str
    entry: TdpEntry | None = None

    @property
    def idle_power_w(self) -> float:
        """P_idle of the machine's share, W."""
        return self.idle_fraction * self.tdp_eff_w

    @property
    def w_per_busy_cpu(self) -> float:
        """Dynamic power of one fully busy logical CPU, W (``k`` in the module docstring)."""
        return (self.tdp_eff_w - self.idle_power_w) / self.logical_cpus

    def estimate_model(self) -> EstimateModel:
        """The model stated in full, for the domain spec."""
        consts = {"tdp_eff_w": self.tdp_eff_w, "idle_fraction": self.idle_fraction,
                  "idle_power_w": self.idle_power_w, "logical_cpus": self.logical_cpus,
                  "w_per_busy_cpu": self.w_per_busy_cpu, "cpu_name": self.cpu_name}
        if self.entry is not None:
            consts.update({"tdp_socket_w": self.entry.tdp_w, "socket_threads": self.entry.threads})
        else:
            consts["default_w_per_thread"] = DEFAULT_W_PER_THREAD
        return EstimateModel(
            name="cpu-linear-tdp",
            formula="P = P_idle + (TDP_eff - P_idle) * u; TDP_eff = TDP * logical_cpus / "
                    "socket_threads; P_idle = idle_fraction * TDP_eff; u from cumulative CPU times",
            constants=consts, source=self.source)


def load_tdp_table(path: str | os.PathLike[str] | None = None) -> list[TdpEntry]:
    """Read the CPU TDP table.

    Args:
        path: A CSV with columns model_pattern,tdp_w,cores,threads,source,year; the shipped
            ``data/cpu_tdp.csv`` when None.

    Raises:
        MeterError: A row is malformed (names the file and line).
    """
    name = str(path) if path is not None else SHIPPED_TDP_TABLE
    try:
        with open(name, encoding="utf-8") as f:
            text = f.read()
    except OSError as err:
        raise MeterError(f"cannot read CPU TDP table {name}: {err.strerror or err}") from err
    rows = []
    for lineno, row in enumerate(csv.DictReader(text.splitlines()), start=2):
        try:
            rows.append(TdpEntry(row["model_pattern"], float(row["tdp_w"]), int(row["cores"]),
                                 int(row["threads"]), row["source"], int(row["year"])))
        except (KeyError, TypeError, ValueError) as err:
            raise MeterError(f"{name}:{lineno}: bad CPU TDP row {row!r}: {err}") from err
    return rows


def cpu_model_name() -> str:
    """The CPU model name (``/proc/cpuinfo`` "model name" on Linux, else ``platform.processor()``)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    import platform

    return platform.processor() or "unknown"


def resolve_cpu_model(cpu_name: str, logical_cpus: int,
                      table: Sequence[TdpEntry] | None = None) -> CpuPowerModel:
    """Match the CPU against the table and scale to this machine's share of the socket.

    Args:
        cpu_name: CPU model name as reported by the OS.
        logical_cpus: Logical CPUs visible to this machine (a VM sees a share of the host).
        table: TDP rows; the shipped table when None.

    Returns:
        The model; unknown CPUs use ``DEFAULT_W_PER_THREAD`` per logical CPU.
    """
    if logical_cpus < 1:
        raise MeterError(f"cannot estimate CPU power for {logical_cpus} logical CPUs")
    rows = load_tdp_table() if table is None else table
    lowered = cpu_name.lower()
    for entry in rows:
        # cheap literal pre-filter so that start-up does not compile every pattern
        literal = entry.pattern.replace("\\b", "").replace("\\", "").lower()
        if literal not in lowered:
            continue
        if re.search(entry.pattern, cpu_name, flags=re.IGNORECASE):
            share = logical_cpus / entry.threads
            source = (f"TDP {entry.tdp_w:g} W per socket of {entry.threads} threads for "
                      f"{cpu_name!r} ({entry.source}, {entry.year}); this machine's share = "
                      f"{logical_cpus} logical CPUs / {entry.threads} socket threads = "
                      f"{share:.4g}; {IDLE_SOURCE}")
            return CpuPowerModel(cpu_name, logical_cpus, entry.tdp_w * share, IDLE_FRACTION, True,
                                 KNOWN_CPU_UNCERTAINTY, source, entry)
    source = (f"CPU {cpu_name!r} is not in the TDP table: stated default of "
              f"{DEFAULT_W_PER_THREAD:g} W per logical CPU (CodeCarbon's default; about the "
              f"TDP per thread of recent server CPUs in the table) x {logical_cpus}; {IDLE_SOURCE}")
    return CpuPowerModel(cpu_name, logical_cpus, DEFAULT_W_PER_THREAD * logical_cpus,
                         IDLE_FRACTION, False, UNKNOWN_CPU_UNCERTAINTY, source, None)


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
    """Estimated CPU energy: ``cpu:machine`` (scope machine) and ``cpu:process`` (scope process).

    Args:
        model: The CPU power model; resolved from this machine when None.
        process: Also report ``cpu:process``.
        busy_s: Returns cumulative busy CPU-seconds of the machine (for tests).
        process_cpu_s: Returns cumulative CPU-seconds of this process + reaped children.
        clock: Monotonic clock, seconds.
    """

    name = "estimate-cpu"
    update_period_s = 10 * CPU_TIME_RESOLUTION_S

    def __init__(self, model: CpuPowerModel | None = None, *, process: bool = True,
                 busy_s: Callable[[], float] | None = None,
                 process_cpu_s: Callable[[], float] = _process_cpu_s,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if model is None:
            model = resolve_cpu_model(cpu_model_name(), os.cpu_count() or 1)
        self.model = model
        self._own_busy = ProcStatBusy() if busy_s is None else None
        busy_s = self._own_busy if busy_s is None else busy_s
        self._busy_s, self._proc_s, self._clock = busy_s, process_cpu_s, clock
        self._process = process
        em = model.estimate_model()
        self._specs = [DomainSpec(
            "cpu:machine", "cpu",
            f"whole CPU of this machine ({model.logical_cpus} logical CPUs, {model.cpu_name})",
            Provenance.ESTIMATED, "estimate:cpu-linear-tdp (/proc/stat busy CPU time)",
            uncertainty=model.uncertainty, model=em, scope="machine")]
        if process:
            self._specs.append(DomainSpec(
                "cpu:process", "cpu",
                "dynamic CPU energy of this process and its reaped children (own CPU time x "
                "w_per_busy_cpu; no share of idle power)",
                Provenance.ESTIMATED, "estimate:cpu-linear-tdp (getrusage self+children)",
                uncertainty=model.uncertainty, model=em, scope="process"))
        self._t0 = clock()
        self._busy0 = busy_s()
        self._proc0 = process_cpu_s() if process else 0.0

    def domains(self) -> Sequence[DomainSpec]:
        """The estimated CPU domains (machine, and process when asked for)."""
        return list(self._specs)

    def describe(self) -> str:
        """One line saying what this meter reads and how (see :meth:`Meter.describe`)."""
        m = self.model
        return (f"no CPU energy counter; estimated: {m.estimate_model().formula}; {m.source}; "
                f"uncertainty ±{m.uncertainty:.0%}")

    def read(self) -> Reading:
        """Estimated cumulative CPU energy (J) since the meter was opened."""
        t = self._clock()
        busy = self._busy_s() - self._busy0
        m = self.model
        energy = {"cpu:machine": m.idle_power_w * (t - self._t0) + m.w_per_busy_cpu * busy}
        if self._process:
            energy["cpu:process"] = m.w_per_busy_cpu * (self._proc_s() - self._proc0)
        return Reading(t, energy)

    def close(self) -> None:
        """Release the busy-time reader this meter opened, if any."""
        if self._own_busy is not None:
            self._own_busy.close()


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

    Args:
        ram_gb: Installed RAM, GB; read from the machine when None.
        clock: Monotonic clock, seconds.
    """

    name = "estimate-ram"
    update_period_s = 0.0

    def __init__(self, ram_gb: float | None = None, *,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.ram_gb = installed_ram_gb() if ram_gb is None else float(ram_gb)
        self.power_w = RAM_W_PER_GB * self.ram_gb
        self._clock = clock
        model = EstimateModel("ram-per-gb", "P = w_per_gb * installed_gb",
                              {"w_per_gb": RAM_W_PER_GB, "installed_gb": self.ram_gb,
                               "power_w": self.power_w}, RAM_SOURCE)
        self._spec = DomainSpec("ram:machine", "ram",
                                f"installed RAM of this machine ({self.ram_gb:.3g} GB)",
                                Provenance.ESTIMATED, "estimate:ram-per-gb (installed RAM from sysconf)",
                                uncertainty=RAM_UNCERTAINTY, model=model, scope="machine")
        self._t0 = clock()

    def domains(self) -> Sequence[DomainSpec]:
        """The single estimated RAM domain."""
        return [self._spec]

    def describe(self) -> str:
        """One line saying what this meter reads and how (see :meth:`Meter.describe`)."""
        return (f"no DRAM energy counter; estimated: {self.power_w:.3g} W ({self.ram_gb:.3g} GB "
                f"installed); {RAM_SOURCE}; uncertainty ±{RAM_UNCERTAINTY:.0%}")

    def read(self) -> Reading:
        """Estimated cumulative RAM energy (J): constant power (W) times elapsed time (s)."""
        t = self._clock()
        return Reading(t, {"ram:machine": self.power_w * (t - self._t0)})


def probe_gpu(options: ProbeOptions) -> Meter | Unavailable:
    """Detection entry: there is no GPU power model, on purpose."""
    return Unavailable("no GPU power model: GPU energy is reported only when a GPU counter or "
                       "power reading is available, never invented")


def probe_cpu(options: ProbeOptions) -> Meter | Unavailable:
    """Detection entry: the CPU estimate (always available)."""
    return CpuEstimateMeter()


def probe_ram(options: ProbeOptions) -> Meter | Unavailable:
    """Detection entry: the RAM estimate (always available)."""
    return RamEstimateMeter()
