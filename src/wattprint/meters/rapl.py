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
is the same counter and is counted once; a package left with one die is ``cpu:N``. Counters are in µJ and wrap at ``max_energy_range_uj``; one wrap between reads is
unwrapped, and the meter asks to be polled often enough (``poll_interval_s``, a quarter of the
shortest wrap period at the zone's maximum plausible power) that no second wrap is missed.
A counter that moves backwards by more than a plausible wrap, or forward faster than any CPU
can draw, raises :class:`~wattprint.errors.CounterError`.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from wattprint.errors import CounterError, MeterError
from wattprint.meters.base import DomainSpec, Meter, Provenance, Reading
from wattprint.meters.gates import powercap
from wattprint.meters.probe import ProbeOptions, Unavailable

MAX_PLAUSIBLE_POWER_W: float = 2000.0
"""No CPU package or DRAM zone draws more (the largest server CPUs are ~500 W TDP)."""

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
    """

    path: str
    zone_id: str
    name: str
    max_energy_range_uj: int
    domain: str | None
    reason: str = ""


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
    return zones


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


class _Counter:
    """Unwraps one µJ counter. Not thread-safe by itself (the meter holds a lock)."""

    def __init__(self, zone: RaplZone, t_s: float) -> None:
        self.zone = zone
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

    def update(self, raw: int, t_s: float) -> None:
        self._check_range(raw)
        dt = max(t_s - self.last_t, 0.0)
        delta = raw - self.last_raw
        wrapped = delta < 0
        if wrapped:
            delta += self.zone.max_energy_range_uj
        # Allow 1 s of slack so that sub-millisecond reads never trip on clock granularity.
        limit_uj = MAX_PLAUSIBLE_POWER_W * (dt + 1.0) * 1e6
        if delta > limit_uj:
            what = (f"went backwards from {self.last_raw} to {raw} µJ (a wrap would mean "
                    f"{delta / 1e6:.6g} J in {dt:.3g} s)") if wrapped else (
                    f"jumped by {delta / 1e6:.6g} J in {dt:.3g} s")
            raise CounterError(f"{self.file} {what}: more than {MAX_PLAUSIBLE_POWER_W:g} W is "
                               "impossible for a RAPL zone; the counter is faulty or was reset")
        self.total_uj += delta
        self.last_raw = raw
        self.last_t = t_s


class RaplMeter(Meter):
    """Cumulative package and DRAM energy (J, measured) from powercap RAPL.

    Args:
        powercap_root: The powercap class directory.
        components: Which of ``cpu`` and ``dram`` to report.
        clock: Monotonic clock, seconds (tests inject one).

    Raises:
        MeterError: No zone, no readable zone (with the permission fix), nothing to report.
    """

    name = "rapl"
    update_period_s = 0.001  # RAPL updates about every millisecond

    def __init__(self, powercap_root: str = "/sys/class/powercap", *,
                 components: Sequence[str] = ("cpu", "dram"),
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.powercap_root = powercap_root
        self._clock = clock
        self.zones = discover_zones(powercap_root)
        want = {"cpu", "dram"} & set(components)
        chosen = [z for z in self.zones if z.domain and z.domain.split(":")[0] in want]
        if not chosen:
            raise MeterError(f"no RAPL {'/'.join(sorted(want))} zone under {powercap_root}")
        t = clock()
        self._counters: list[_Counter] = []
        try:
            for z in chosen:
                self._counters.append(_Counter(z, t))
        except MeterError:
            self.close()
            raise
        self._lock = threading.Lock()
        wrap_s = min(z.max_energy_range_uj / 1e6 / MAX_PLAUSIBLE_POWER_W for z in chosen)
        self.wrap_period_s = wrap_s
        self.poll_interval_s: float | None = wrap_s / 4.0
        self._specs = [
            DomainSpec(c.zone.domain, c.zone.domain.split(":")[0],  # type: ignore[arg-type, union-attr]
                       f"RAPL {c.zone.name} zone ({'CPU package' if c.zone.domain.startswith('cpu') else 'DRAM'})",  # type: ignore[union-attr]
                       Provenance.MEASURED, f"rapl:{c.file}", scope="device")
            for c in self._counters]

    def domains(self) -> Sequence[DomainSpec]:
        """One domain per readable RAPL zone."""
        return list(self._specs)

    def describe(self) -> str:
        """One line saying what this meter reads and how (see :meth:`Meter.describe`)."""
        skipped = [f"{z.zone_id} ({z.name}): {z.reason}" for z in self.zones if z.domain is None]
        names = ", ".join(s.name for s in self._specs)
        return (f"RAPL counters at {self.powercap_root}: {names} (measured)"
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
        """Cumulative energy per zone (J), one counter wrap between reads unwrapped."""
        t = self._update_all()
        return Reading(t, {c.zone.domain: c.total_uj / 1e6 for c in self._counters})  # type: ignore[misc]

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
        return RaplMeter(root, components=comps)
    except MeterError as err:
        return Unavailable(str(err))
