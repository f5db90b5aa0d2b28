"""CPU package and DRAM energy from Linux powercap RAPL counters (Intel and AMD).

Layout read (``powercap_root``, default ``/sys/class/powercap``)::

    intel-rapl:0/            name = package-0, energy_uj, max_energy_range_uj
    intel-rapl:0:0/          name = core     (inside the package: never added to it, not reported)
    intel-rapl:0:1/          name = uncore   (idem)
    intel-rapl:0:2/          name = dram     -> dram:0
    intel-rapl:1/            name = psys     (whole platform, overlaps packages: not reported)
    intel-rapl-mmio:0/       name = package-0 (MMIO mirror of the MSR zone: not reported)
    amd-rapl:0/              name = package-0 (AMD kernels that name the control type so)

Package zones become ``cpu:<package index>``, their ``dram`` sub-zones ``dram:<package index>``.
A package seen twice (MSR + MMIO interfaces) is counted once.

Multi-die CPUs (Threadripper, EPYC Zen 1-2, Cascade Lake-AP) name their zones
``package-N-die-M``. Some give each die its own counter (distinct dies: each becomes
``cpu:N-die-M`` and all are reported); others show the same package counter under every die
(mirrored dies). Mirrors are recognised by reading the dies' counters side by side: a die whose
``energy_uj`` equals an already-kept die of the same package in one of three back-to-back reads
is the same counter and is counted once; a package left with one die is ``cpu:N``.

**Wraps and poll gaps.** Counters are in µJ and wrap at ``max_energy_range_uj``. Each zone has
a maximum power: the largest ``constraint_*_max_power_uw`` of the zone × 2 (the short-term
limit PL2 reaches about twice the long-term one on recent parts: i9-13900K 253 W against
125 W), else 2 × the TDP of the CPU model for a package, else 2000 W (no RAPL zone draws
more). The meter asks to be polled every quarter of the shortest wrap period at that power
(``poll_interval_s``). When the time since the last read (a late poll: the process was
stopped, suspended or starved) is long enough for the counter to have wrapped more than the
once it shows, the candidates are ``E = d + k × range`` for ``k = 0 .. k_max`` (``k_max``:
what the maximum power allows). The elapsed time × the zone's power over its recent reads
(within ×/÷ :data:`GAP_POWER_TOLERANCE`) decides: when exactly one candidate fits, its wraps are
added, the windows spanning the gap say so and their uncertainty grows by that tolerance of the
gap's energy; otherwise the candidate nearest the recent power (``k = 0`` without one) is
kept, the windows spanning the gap are flagged (validity ``no_missed_wrap`` False, a warning)
and their uncertainty covers every candidate up to ``k_max``. The inference assumes the power
over the gap stayed near its recent level: a larger change that lands on another candidate
cannot be seen in the counter (the warning names the assumption).
A counter that moves backwards by more than a plausible wrap, or forward faster than any CPU
can draw, raises :class:`~wattprint.errors.CounterError`.

**Uncertainty.** RAPL is a power model on Intel before Haswell and on AMD Zen, and measured at
the voltage regulators on Haswell-EP and later servers (Hackenberg et al., "An Energy
Efficiency Feature Survey of the Intel Haswell Processor", 2015; DRAM RAPL is offset by a
system-dependent amount: Desrochers, Paradis and Weaver, MEMSYS 2016). wattprint has not
calibrated it: each window carries a stated relative uncertainty of
:data:`PACKAGE_UNCERTAINTY` (package) or :data:`DRAM_UNCERTAINTY` (DRAM), plus one update period
(1 ms) of its average power at each end, plus the energy a poll gap leaves ambiguous.
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from wattprint.errors import CounterError, MeterError
from wattprint.meters.base import DomainSpec, Meter, Provenance, Reading, TimelineSample
from wattprint.meters.gates import powercap
from wattprint.meters.probe import ProbeOptions, Unavailable

MAX_PLAUSIBLE_POWER_W: float = 2000.0
"""No CPU package or DRAM zone draws more (the largest server CPUs are ~500 W TDP)."""
MAX_POWER_HEADROOM: float = 2.0
"""A zone's maximum power is its largest power-limit constraint (or TDP) times this."""
GAP_POWER_TOLERANCE: float = 1.25
"""Over a poll gap the zone's power is taken to stay within ×/÷ this of its recent power."""
RECENT_READS: int = 8
"""Reads whose span gives a zone's recent power."""
MAX_GAP_EVENTS: int = 1000
"""Poll gaps remembered per zone (for the windows that span them)."""
PACKAGE_UNCERTAINTY: float = 0.10
"""Stated relative uncertainty of a package zone (not calibrated by wattprint; see the module)."""
DRAM_UNCERTAINTY: float = 0.20
"""Stated relative uncertainty of a DRAM zone (its offset varies by system; see the module)."""
UNCERTAINTY_SOURCE: str = (
    "RAPL: a power model on Intel before Haswell and on AMD Zen, measured at the voltage "
    "regulators on Haswell-EP and later (Hackenberg et al. 2015; Desrochers, Paradis and "
    "Weaver, MEMSYS 2016); not calibrated by wattprint: stated 10 % (package), 20 % (DRAM) "
    "plus 1 ms of average power at each end of a window")

PERMISSION_HELP = (
    "RAPL energy counters are readable only by root on Linux kernels patched for PLATYPUS "
    "(CVE-2020-8694, since November 2020). Run as root, or grant read access: "
    "`sudo chmod o+r {root}/*/energy_uj` (lost at reboot; persist it with a udev rule or "
    "systemd-tmpfiles)"
)

_TOP = re.compile(r"^(intel-rapl|amd-rapl|intel-rapl-mmio):(\d+)$")
_SUB = re.compile(r"^(intel-rapl|amd-rapl|intel-rapl-mmio):(\d+):(\d+)$")
_PACKAGE = re.compile(r"^package-(\d+)$")
_DIE = re.compile(r"^package-(\d+)-die-(\d+)$")
MIRROR_READS: int = 3


@dataclass(frozen=True)
class RaplZone:
    """One zone directory.

    Attributes:
        path: The zone directory.
        zone_id: Its directory name (``intel-rapl:0:2``).
        name: Its ``name`` file (``package-0``, ``dram``, ``core``, ``psys`` ...).
        max_energy_range_uj: Counter range; the counter wraps to 0 there.
        domain: The wattprint domain (``cpu:0``, ``dram:0``) or None when not reported.
        reason: Why a zone is not reported.
        max_power_w: The largest ``constraint_*_max_power_uw`` of the zone, W, or None when
            it states none.
    """

    path: str
    zone_id: str
    name: str
    max_energy_range_uj: int
    domain: str | None
    reason: str = ""
    max_power_w: float | None = None


def _unreadable(path: str, err: OSError) -> MeterError:
    """The error for a powercap file that cannot be read, with the fix for permissions."""
    if isinstance(err, PermissionError):
        root = os.path.dirname(os.path.dirname(path))
        return MeterError(f"cannot read {path}: permission denied. " + PERMISSION_HELP.format(root=root))
    return MeterError(f"cannot read {path}: {err.strerror or err}")


def _read_text(path: str) -> str:
    try:
        with open(path, encoding="ascii") as f:
            return f.read().strip()
    except OSError as err:
        raise _unreadable(path, err) from err


def _read_int(path: str) -> int:
    text = _read_text(path)
    try:
        return int(text)
    except ValueError as err:
        raise MeterError(f"{path}: expected an integer, got {text!r}") from err


def constraint_max_power_w(zone_dir: str) -> float | None:
    """The largest ``constraint_<n>_max_power_uw`` of a zone, W; None when none is readable
    and above 0 (many zones state only some limits, or 0 for "none")."""
    try:
        names = os.listdir(zone_dir)
    except OSError:
        return None
    best = 0
    for n in names:
        if n.startswith("constraint_") and n.endswith("_max_power_uw"):
            try:
                with open(os.path.join(zone_dir, n), encoding="ascii") as f:
                    best = max(best, int(f.read().strip()))
            except (OSError, ValueError):
                continue
    return best / 1e6 if best > 0 else None


def discover_zones(powercap_root: str = "/sys/class/powercap") -> list[RaplZone]:
    """List RAPL zones under ``powercap_root`` and decide which to report.

    Args:
        powercap_root: The powercap class directory.

    Returns:
        Every RAPL zone found, reported or not (with the reason).

    Raises:
        MeterError: The root is missing or holds no RAPL zone, or a file is unreadable.
    """
    try:
        entries = sorted(os.listdir(powercap_root))
    except FileNotFoundError as err:
        raise MeterError(f"no powercap directory at {powercap_root} (no RAPL on this machine, "
                         "or it is not mounted in this container; see --powercap-root)") from err
    except OSError as err:
        raise MeterError(f"cannot list {powercap_root}: {err.strerror or err}") from err
    top: list[tuple[str, str, int]] = []  # (kind, id, index)
    subs: list[tuple[str, str, int]] = []
    for e in entries:
        if m := _TOP.match(e):
            top.append((m.group(1), e, int(m.group(2))))
        elif m := _SUB.match(e):
            subs.append((m.group(1), e, int(m.group(2))))
    if not top:
        raise MeterError(f"no RAPL zone (intel-rapl:N or amd-rapl:N) under {powercap_root}")
    # MSR interfaces first so that an MMIO mirror of the same package is the one skipped.
    top.sort(key=lambda x: (x[0] == "intel-rapl-mmio", x[2]))
    zones: list[RaplZone] = []
    pkg_of_top: dict[str, str] = {}
    seen_pkg: dict[int, str] = {}
    dies: dict[int, list[tuple[int, str, str, int]]] = {}  # pkg -> (die, zone id, path, range)
    for kind, zid, _idx in top:
        path = os.path.join(powercap_root, zid)
        name = _read_text(os.path.join(path, "name"))
        rng = _read_int(os.path.join(path, "max_energy_range_uj"))
        if pm := _PACKAGE.match(name):
            pkg = int(pm.group(1))
            if pkg in seen_pkg:
                zones.append(RaplZone(path, zid, name, rng, None,
                                      f"duplicate of {seen_pkg[pkg]} (same package via another "
                                      "interface or a mirrored die): counted once"))
                continue
            seen_pkg[pkg] = zid
            pkg_of_top[zid] = str(pkg)
            zones.append(RaplZone(path, zid, name, rng, f"cpu:{pkg}"))
        elif dm := _DIE.match(name):
            dies.setdefault(int(dm.group(1)), []).append((int(dm.group(2)), zid, path, rng))
        elif name == "psys":
            zones.append(RaplZone(path, zid, name, rng, None,
                                  "psys covers the whole platform and overlaps the packages: "
                                  "not added"))
        elif name == "dram":  # a top-level dram zone (some platforms)
            zones.append(RaplZone(path, zid, name, rng, f"dram:{_idx}"))
        else:
            zones.append(RaplZone(path, zid, name, rng, None, f"unknown zone kind {name!r}"))
    for pkg, members in sorted(dies.items()):
        zones.extend(_die_zones(pkg, sorted(members), seen_pkg, pkg_of_top))
    seen_dram: set[str] = {z.domain for z in zones if z.domain and z.domain.startswith("dram:")}
    for _kind, zid, _idx in sorted(subs, key=lambda x: x[1]):
        parent = zid.rsplit(":", 1)[0]
        path = os.path.join(powercap_root, zid)
        name = _read_text(os.path.join(path, "name"))
        rng = _read_int(os.path.join(path, "max_energy_range_uj"))
        if parent not in pkg_of_top:
            zones.append(RaplZone(path, zid, name, rng, None,
                                  f"sub-zone of {parent}, which is not reported"))
        elif name == "dram":
            dom = f"dram:{pkg_of_top[parent]}"
            if dom in seen_dram:
                zones.append(RaplZone(path, zid, name, rng, None, f"duplicate {dom}"))
                continue
            seen_dram.add(dom)
            zones.append(RaplZone(path, zid, name, rng, dom))
        else:
            zones.append(RaplZone(path, zid, name, rng, None,
                                  f"{name} is inside package {parent}: never added to it"))
    return [dataclasses.replace(z, max_power_w=constraint_max_power_w(z.path)) if z.domain else z
            for z in zones]


def _die_zones(pkg: int, members: list[tuple[int, str, str, int]], seen_pkg: dict[int, str],
               pkg_of_top: dict[str, str]) -> list[RaplZone]:
    """Zones for the dies of one package: mirrors of a kept die counted once, distinct dies each."""
    if pkg in seen_pkg:  # the package also has a package-N zone: its dies are inside it
        return [RaplZone(path, zid, f"package-{pkg}-die-{die}", rng, None,
                         f"die of package-{pkg} ({seen_pkg[pkg]}), which is counted whole")
                for die, zid, path, rng in members]
    kept: list[tuple[int, str, str, int]] = []
    out: list[tuple[int, str, str, int, str]] = []  # (die, zid, path, range, mirror-of or "")
    for die, zid, path, rng in members:
        same = next((k for k in kept if k[3] == rng and _same_counter(k[2], path)), None)
        if same is None:
            kept.append((die, zid, path, rng))
        out.append((die, zid, path, rng, "" if same is None else same[1]))
    zones = []
    for die, zid, path, rng, mirror_of in out:
        name = f"package-{pkg}-die-{die}"
        if mirror_of:
            zones.append(RaplZone(path, zid, name, rng, None,
                                  f"mirror of {mirror_of} (same counter value): counted once"))
            continue
        suffix = str(pkg) if len(kept) == 1 else f"{pkg}-die-{die}"
        pkg_of_top[zid] = suffix
        zones.append(RaplZone(path, zid, name, rng, f"cpu:{suffix}"))
    return zones


def _same_counter(a: str, b: str) -> bool:
    """Whether two zones show one counter: equal ``energy_uj`` in any of a few paired reads."""
    for _ in range(MIRROR_READS):
        if _read_int(os.path.join(a, "energy_uj")) == _read_int(os.path.join(b, "energy_uj")):
            return True
    return False


def _open_counter(path: str) -> int:
    """Open ``energy_uj`` once; reads then ``pread`` it at offset 0 (sysfs re-renders it)."""
    try:
        return os.open(path, os.O_RDONLY)
    except OSError as err:
        raise _unreadable(path, err) from err


def _pread_int(fd: int, path: str) -> int:
    try:
        text = os.pread(fd, 64, 0)
    except OSError as err:
        raise MeterError(f"cannot read {path}: {err.strerror or err}") from err
    try:
        return int(text)
    except ValueError as err:
        raise MeterError(f"{path}: expected an integer, got {text!r}") from err


@dataclass(frozen=True)
class PollGap:
    """A read that came so late that the counter may have wrapped more often than it shows.

    Attributes:
        t0_s, t1_s: Monotonic times of the reads around the gap.
        shown_j: The energy the counter shows over the gap (at most one wrap), J.
        wraps_added: Wraps added beyond the one shown (from the zone's recent power).
        max_wraps: The most wraps the zone's maximum power allows beyond the one shown.
        ambiguous: Whether the recent power left more than one candidate (or none).
        uncertainty_j: Energy the gap leaves uncertain, J (0 when resolved unambiguously).
        note: What was decided, in words.
    """

    t0_s: float
    t1_s: float
    shown_j: float
    wraps_added: int
    max_wraps: int
    ambiguous: bool
    uncertainty_j: float
    note: str


class _Counter:
    """Unwraps one µJ counter. Not thread-safe by itself (the meter holds a lock)."""

    def __init__(self, zone: RaplZone, t_s: float, max_power_w: float) -> None:
        self.zone = zone
        self.max_power_w = max_power_w
        self.file = os.path.join(zone.path, "energy_uj")
        self.fd = _open_counter(self.file)
        try:
            raw = self.read_raw()
        except MeterError:
            os.close(self.fd)
            raise
        self.last_raw = raw
        self.last_t = t_s
        self.total_uj = 0
        self.recent: deque[tuple[float, int]] = deque([(t_s, 0)], maxlen=RECENT_READS)
        self.gaps: deque[PollGap] = deque(maxlen=MAX_GAP_EVENTS)
        self._check_range(raw)

    def read_raw(self) -> int:
        return _pread_int(self.fd, self.file)

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def _check_range(self, raw: int) -> None:
        if raw < 0 or raw > self.zone.max_energy_range_uj:
            raise CounterError(f"{self.file}: value {raw} µJ is outside its range "
                               f"[0, {self.zone.max_energy_range_uj}]")

    def recent_power_w(self) -> float | None:
        """Average power over the recent reads (none of them a gap), W; None without any."""
        (t0, e0), (t1, e1) = self.recent[0], self.recent[-1]
        return (e1 - e0) / 1e6 / (t1 - t0) if t1 > t0 else None

    def update(self, raw: int, t_s: float) -> None:
        self._check_range(raw)
        dt = max(t_s - self.last_t, 0.0)
        rng = self.zone.max_energy_range_uj
        delta = raw - self.last_raw
        wrapped = delta < 0
        if wrapped:
            delta += rng
        # Allow 1 s of slack so that sub-millisecond reads never trip on clock granularity.
        limit_uj = MAX_PLAUSIBLE_POWER_W * (dt + 1.0) * 1e6
        if delta > limit_uj:
            what = (f"went backwards from {self.last_raw} to {raw} µJ (a wrap would mean "
                    f"{delta / 1e6:.6g} J in {dt:.3g} s)") if wrapped else (
                    f"jumped by {delta / 1e6:.6g} J in {dt:.3g} s")
            raise CounterError(f"{self.file} {what}: more than {MAX_PLAUSIBLE_POWER_W:g} W is "
                               "impossible for a RAPL zone; the counter is faulty or was reset")
        max_wraps = math.floor((self.max_power_w * dt * 1e6 - delta) / rng)
        gap = None
        if max_wraps >= 1:
            gap = self._resolve_gap(delta, dt, max_wraps, t_s)
            delta += gap.wraps_added * rng
            self.gaps.append(gap)
        self.total_uj += delta
        self.last_raw = raw
        self.last_t = t_s
        if gap is not None and gap.ambiguous:
            self.recent.clear()  # the power over the gap is not known: start afresh
        self.recent.append((t_s, self.total_uj))

    def _resolve_gap(self, delta_uj: int, dt: float, max_wraps: int, t_s: float) -> PollGap:
        """The wraps to add over a late read: those the recent power implies when exactly one
        candidate fits, else the least that fits (0 without recent power), flagged."""
        rng = self.zone.max_energy_range_uj
        power = self.recent_power_w()
        fits: list[int] = []
        if power is not None and power > 0:
            lo, hi = power * dt / GAP_POWER_TOLERANCE * 1e6, power * dt * GAP_POWER_TOLERANCE * 1e6
            fits = [k for k in range(max_wraps + 1) if lo <= delta_uj + k * rng <= hi]
        shown_j = delta_uj / 1e6
        how = (f"{self.zone.domain}: a read came {dt:.3g} s after the last (the process was "
               f"stopped or starved); at this zone's maximum {self.max_power_w:.4g} W the "
               f"counter ({rng / 1e6:.6g} J range) could have wrapped up to {max_wraps} more "
               f"time(s) than it shows ({shown_j:.6g} J)")
        if len(fits) == 1:
            k = fits[0]
            e_j = (delta_uj + k * rng) / 1e6
            return PollGap(self.last_t, t_s, shown_j, k, max_wraps, False,
                           e_j * (GAP_POWER_TOLERANCE - 1.0),
                           f"{how}; its recent power {power:.4g} W over {dt:.3g} s implies "
                           f"{k} more wrap(s): {k * rng / 1e6:.6g} J added (assuming its power "
                           f"stayed within x/÷{GAP_POWER_TOLERANCE:g} of that over the gap)")
        k = 0
        if power is not None and power > 0:  # the candidate nearest the recent power
            expect = max(power * dt * 1e6, 1.0)
            k = min(range(max_wraps + 1),
                    key=lambda j: abs(math.log(max(delta_uj + j * rng, 1) / expect)))
        e = delta_uj + k * rng
        unc_j = max(e - delta_uj, delta_uj + max_wraps * rng - e) / 1e6
        why = ("no recent power to tell" if power is None or power <= 0 else
               f"its recent power {power:.4g} W fits {len(fits)} of the candidates")
        return PollGap(self.last_t, t_s, shown_j, k, max_wraps, True, unc_j,
                       f"{how}; {why}: kept {e / 1e6:.6g} J, uncertain by ±{unc_j:.6g} J")


def zone_max_power_w(zone: RaplZone, cpu_tdp_w: float | None) -> tuple[float, str]:
    """The power bound of a zone over a poll gap, W, and where it comes from."""
    if zone.max_power_w:
        return (zone.max_power_w * MAX_POWER_HEADROOM,
                f"{MAX_POWER_HEADROOM:g} x the zone's largest constraint_*_max_power_uw "
                f"({zone.max_power_w:.4g} W)")
    if cpu_tdp_w and zone.domain and zone.domain.startswith("cpu"):
        return (cpu_tdp_w * MAX_POWER_HEADROOM,
                f"{MAX_POWER_HEADROOM:g} x the CPU model's TDP ({cpu_tdp_w:.4g} W)")
    return MAX_PLAUSIBLE_POWER_W, f"no power limit stated: {MAX_PLAUSIBLE_POWER_W:g} W"


def _cpu_tdp_w(proc_root: str) -> float | None:
    """TDP of one socket of this machine's CPU model from the tables, W (None: unknown)."""
    from wattprint.meters.cpu_tdp import lookup
    from wattprint.meters.estimate import cpu_model_name

    try:
        m = lookup(cpu_model_name(proc_root))
    except MeterError:
        return None
    return None if m is None else m.tdp_w


class RaplMeter(Meter):
    """Cumulative package and DRAM energy (J, measured) from powercap RAPL.

    Args:
        powercap_root: The powercap class directory.
        components: Which of ``cpu`` and ``dram`` to report.
        clock: Monotonic clock, seconds (tests inject one).
        cpu_tdp_w: TDP of one socket, W, bounding package zones that state no power limit;
            looked up for this machine's CPU model when None (give 0 to skip).
        proc_root: The procfs mount (the CPU model name is read there).

    Raises:
        MeterError: No zone, no readable zone (with the permission fix), nothing to report.
    """

    name = "rapl"
    update_period_s = 0.001  # RAPL updates about every millisecond

    def __init__(self, powercap_root: str = "/sys/class/powercap", *,
                 components: Sequence[str] = ("cpu", "dram"),
                 clock: Callable[[], float] = time.monotonic,
                 cpu_tdp_w: float | None = None, proc_root: str = "/proc") -> None:
        self.powercap_root = powercap_root
        self._clock = clock
        self.zones = discover_zones(powercap_root)
        want = {"cpu", "dram"} & set(components)
        chosen = [z for z in self.zones if z.domain and z.domain.split(":")[0] in want]
        if not chosen:
            raise MeterError(f"no RAPL {'/'.join(sorted(want))} zone under {powercap_root}")
        if cpu_tdp_w is None and any(not z.max_power_w for z in chosen):
            cpu_tdp_w = _cpu_tdp_w(proc_root)
        bounds = {z.zone_id: zone_max_power_w(z, cpu_tdp_w) for z in chosen}
        t = clock()
        self._counters: list[_Counter] = []
        try:
            for z in chosen:
                self._counters.append(_Counter(z, t, bounds[z.zone_id][0]))
        except MeterError:
            self.close()
            raise
        self._lock = threading.Lock()
        self.max_power_sources = {z.domain: bounds[z.zone_id][1] for z in chosen}
        wrap_s = min(c.zone.max_energy_range_uj / 1e6 / c.max_power_w for c in self._counters)
        self.wrap_period_s = wrap_s
        self.poll_interval_s: float | None = wrap_s / 4.0
        self._specs = [
            DomainSpec(c.zone.domain, c.zone.domain.split(":")[0],  # type: ignore[arg-type, union-attr]
                       f"RAPL {c.zone.name} zone ({'CPU package' if c.zone.domain.startswith('cpu') else 'DRAM'})",  # type: ignore[union-attr]
                       Provenance.MEASURED, f"rapl:{c.file}",
                       uncertainty=(PACKAGE_UNCERTAINTY if c.zone.domain.startswith("cpu")  # type: ignore[union-attr]
                                    else DRAM_UNCERTAINTY), scope="device")
            for c in self._counters]

    def domains(self) -> Sequence[DomainSpec]:
        """One domain per readable RAPL zone."""
        return list(self._specs)

    def describe(self) -> str:
        """One line saying what this meter reads and how (see :meth:`Meter.describe`)."""
        skipped = [f"{z.zone_id} ({z.name}): {z.reason}" for z in self.zones if z.domain is None]
        names = ", ".join(s.name for s in self._specs)
        bounds = "; ".join(f"{d} max {c.max_power_w:.4g} W ({self.max_power_sources[d]})"
                           for c in self._counters if (d := c.zone.domain))
        return (f"RAPL counters at {self.powercap_root}: {names} (measured; {UNCERTAINTY_SOURCE}); "
                f"poll every {self.poll_interval_s:.3g} s; {bounds}"
                + (f"; not reported: {'; '.join(skipped)}" if skipped else ""))

    def _update_all(self) -> float:
        with self._lock:
            t = self._clock()
            for c in self._counters:
                if c.fd < 0:
                    raise MeterError("RAPL meter is closed")
                c.update(c.read_raw(), t)
            return t

    def poll(self) -> None:
        """Sampler-thread entry: read every counter so that no wrap is missed."""
        try:
            self._update_all()
        except MeterError:
            pass  # the next read() raises it to the caller

    def read(self) -> Reading:
        """Cumulative energy per zone (J); wraps unwrapped, poll gaps resolved (module doc)."""
        t = self._update_all()
        return Reading(t, {c.zone.domain: c.total_uj / 1e6 for c in self._counters})  # type: ignore[misc]

    def _gaps(self, domain: str, t0_s: float, t1_s: float) -> list[PollGap]:
        """The poll gaps of ``domain`` that lie inside the window (t0_s, t1_s]."""
        with self._lock:
            for c in self._counters:
                if c.zone.domain == domain:
                    return [g for g in c.gaps if t0_s < g.t1_s <= t1_s]
        return []

    def window_uncertainty_between(self, spec: DomainSpec, energy_j: float, t0_s: float,
                                   t1_s: float) -> float | None:
        """The zone's stated u, plus 1 ms of average power at each end, plus the energy the
        window's ambiguous poll gaps leave uncertain, relative to the window's energy."""
        if spec.uncertainty is None or energy_j <= 0:
            return spec.uncertainty
        duration = t1_s - t0_s
        ends = 2 * self.update_period_s / duration if duration > 0 else 0.0
        gaps_j = sum(g.uncertainty_j for g in self._gaps(spec.name, t0_s, t1_s))
        return spec.uncertainty + ends + gaps_j / energy_j

    def window_report(self, t0_s: float, t1_s: float
                      ) -> tuple[list[TimelineSample], dict[str, dict[str, bool]], list[str]]:
        """Warnings for the poll gaps inside the window, and ``no_missed_wrap`` per zone
        (False when a gap left the number of wraps ambiguous)."""
        flags: dict[str, dict[str, bool]] = {}
        notes: list[str] = []
        for spec in self._specs:
            gaps = self._gaps(spec.name, t0_s, t1_s)
            flags[spec.name] = {"no_missed_wrap": not any(g.ambiguous for g in gaps)}
            notes.extend(g.note for g in gaps)
        return [], flags, notes

    def close(self) -> None:
        """Close the powercap files. Idempotent."""
        with getattr(self, "_lock", threading.Lock()):
            for c in getattr(self, "_counters", []):
                c.close()


def probe(options: ProbeOptions) -> Meter | Unavailable:
    """Detection entry (see :mod:`wattprint.meters.detect`): CPU package and DRAM counters."""
    if why := powercap(options):
        return Unavailable(why)
    root = options.powercap_root
    comps = [c for c in ("cpu", "dram") if options.wants(c) or (c == "dram" and options.wants("ram"))]
    try:
        return RaplMeter(root, components=comps, proc_root=options.proc_root)
    except MeterError as err:
        return Unavailable(str(err))
