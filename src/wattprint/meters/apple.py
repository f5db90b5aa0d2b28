"""Apple silicon CPU, GPU, ANE and DRAM energy: IOReport's energy model, or ``powermetrics``.

**IOReport** (``/usr/lib/libIOReport.dylib``, a private framework read through ctypes; no sudo):
the ``Energy Model`` group has one cumulative energy channel per block — ``CPU Energy``,
``GPU Energy``, ``ANE…``, ``DRAM…`` (prefixed ``DIE_<n>_`` per die on Ultra chips; the dies are
added) — in the unit the channel states (``mJ``, ``uJ``, ``nJ``; it varies by chip). A window
is the delta of two samples (``IOReportCreateSamplesDelta``) → provenance ``measured``. The
numbers are the SoC's own energy accounting (digital power estimation from activity counters,
like RAPL on AMD CPUs), not a current sense resistor; the boundary says so.

**powermetrics** (``/usr/bin/powermetrics``, root only) is the fallback: it is started once with
``-f plist`` and streams one plist per interval (NUL-separated). ``processor.cpu_energy``,
``gpu_energy``, ``ane_energy`` (mJ over the sample, from the same energy model) are added up
→ ``measured``; where a macOS version gives only ``cpu_power``/``gpu_power``/``ane_power``
(mW averaged over ``elapsed_ns``), power × elapsed is added → ``integrated``. Readings lag by
up to one powermetrics interval. Text output (``CPU Power: 1234 mW``) is parsed by
:func:`parse_powermetrics_text` for recorded logs.

Domains: ``cpu:0`` (all CPU clusters), ``gpu:0`` (the GPU ``torch.device("mps")`` uses),
``ane:0`` (Neural Engine), ``dram:0`` (where the chip reports it).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from wattprint.errors import MeterError
from wattprint.meters.base import DomainSpec, Meter, Provenance, Reading
from wattprint.meters.gates import macos
from wattprint.meters.hwprobe import ProbeResult, Unavailable, option

SOURCE = "apple"
IOREPORT_PATH = "/usr/lib/libIOReport.dylib"
UNIT_J = {"mJ": 1e-3, "uJ": 1e-6, "µJ": 1e-6, "nJ": 1e-9}
BOUNDARY = {
    "cpu:0": "Apple silicon CPU clusters (E + P cores), the SoC's energy model",
    "gpu:0": "Apple silicon GPU, the SoC's energy model",
    "ane:0": "Apple Neural Engine, the SoC's energy model",
    "dram:0": "DRAM as the SoC's energy model accounts it",
}
PLATFORM: str = sys.platform
"""The platform, read once (a plain variable, so that type checkers check the macOS paths too)."""
COMPONENT = {"cpu:0": "cpu", "gpu:0": "gpu", "ane:0": "ane", "dram:0": "dram"}


@dataclass(frozen=True)
class ChannelValue:
    """One IOReport simple channel's value.

    Attributes:
        group: ``IOReportChannelGetGroup`` (``Energy Model``).
        subgroup: ``IOReportChannelGetSubGroup``.
        name: ``IOReportChannelGetChannelName`` (``CPU Energy``, ``GPU Energy``, ``ANE0`` ...).
        unit: ``IOReportChannelGetUnitLabel`` (``mJ``, ``uJ``, ``nJ``).
        value: ``IOReportSimpleGetIntegerValue`` in that unit.
    """

    group: str
    subgroup: str
    name: str
    unit: str
    value: int


def domain_of(name: str) -> str | None:
    """The wattprint domain of an ``Energy Model`` channel name, None for those not reported
    (per-cluster/per-core channels such as ``ECPU0``/``PCPU3``, which are inside ``CPU Energy``)."""
    base = re.sub(r"^DIE_\d+_", "", name)
    if base == "CPU Energy":
        return "cpu:0"
    if base == "GPU Energy":
        return "gpu:0"
    if base.startswith("ANE"):
        return "ane:0"
    if base.startswith("DRAM"):
        return "dram:0"
    return None


def energy_by_domain(channels: Iterable[ChannelValue]) -> dict[str, float]:
    """Joules per domain from ``Energy Model`` channel values (dies added).

    Raises:
        MeterError: A reported channel has a unit wattprint does not know.
    """
    out: dict[str, float] = {}
    for ch in channels:
        if ch.group != "Energy Model":
            continue
        dom = domain_of(ch.name)
        if dom is None:
            continue
        if ch.unit not in UNIT_J:
            raise MeterError(f"IOReport channel {ch.name!r} is in {ch.unit!r}; known units: "
                             f"{', '.join(UNIT_J)}")
        out[dom] = out.get(dom, 0.0) + ch.value * UNIT_J[ch.unit]
    return out


class _CF:
    """The CoreFoundation and IOReport calls the IOReport meter needs (macOS only)."""

    def __init__(self) -> None:
        import ctypes
        import ctypes.util

        self.c = ctypes
        try:
            cf = ctypes.CDLL(ctypes.util.find_library("CoreFoundation") or
                             "/System/Library/Frameworks/CoreFoundation.framework/CoreFoundation")
            io = ctypes.CDLL(IOREPORT_PATH)
        except OSError as err:
            raise MeterError(f"IOReport unavailable: {err}") from err
        vp, u64 = ctypes.c_void_p, ctypes.c_uint64
        self.cf, self.io = cf, io
        table: tuple[tuple[Any, Any, list[Any]], ...] = (
            (cf.CFStringCreateWithCString, vp, [vp, ctypes.c_char_p, ctypes.c_uint32]),
            (cf.CFStringGetCString, ctypes.c_bool, [vp, ctypes.c_char_p, ctypes.c_long, ctypes.c_uint32]),
            (cf.CFDictionaryGetValue, vp, [vp, vp]),
            (cf.CFArrayGetCount, ctypes.c_long, [vp]),
            (cf.CFArrayGetValueAtIndex, vp, [vp, ctypes.c_long]),
            (cf.CFRelease, None, [vp]),
            (io.IOReportCopyChannelsInGroup, vp, [vp, vp, u64, u64, u64]),
            (io.IOReportCreateSubscription, vp, [vp, vp, ctypes.POINTER(vp), u64, vp]),
            (io.IOReportCreateSamples, vp, [vp, vp, vp]),
            (io.IOReportCreateSamplesDelta, vp, [vp, vp, vp]),
            (io.IOReportChannelGetGroup, vp, [vp]),
            (io.IOReportChannelGetSubGroup, vp, [vp]),
            (io.IOReportChannelGetChannelName, vp, [vp]),
            (io.IOReportChannelGetUnitLabel, vp, [vp]),
            (io.IOReportSimpleGetIntegerValue, ctypes.c_int64, [vp, ctypes.c_int32]),
        )
        for fn, res, args in table:
            fn.restype, fn.argtypes = res, args

    def string(self, text: str) -> Any:
        return self.cf.CFStringCreateWithCString(None, text.encode(), 0x08000100)  # UTF-8

    def text(self, ref: Any) -> str:
        if not ref:
            return ""
        buf = self.c.create_string_buffer(256)
        return buf.value.decode() if self.cf.CFStringGetCString(ref, buf, 256, 0x08000100) else ""

    def channels(self, sample: Any) -> list[ChannelValue]:
        key = self.string("IOReportChannels")
        try:
            arr = self.cf.CFDictionaryGetValue(sample, key)
        finally:
            self.cf.CFRelease(key)
        out = []
        for i in range(self.cf.CFArrayGetCount(arr) if arr else 0):
            ch = self.cf.CFArrayGetValueAtIndex(arr, i)
            io = self.io
            out.append(ChannelValue(self.text(io.IOReportChannelGetGroup(ch)),
                                    self.text(io.IOReportChannelGetSubGroup(ch)),
                                    self.text(io.IOReportChannelGetChannelName(ch)),
                                    self.text(io.IOReportChannelGetUnitLabel(ch)),
                                    int(io.IOReportSimpleGetIntegerValue(ch, 0))))
        return out


class IOReportMeter(Meter):
    """Apple silicon energy from IOReport's ``Energy Model`` counters (J, measured; macOS only).

    Raises:
        MeterError: Not macOS, IOReport cannot be loaded or subscribed, or has no energy channel.
    """

    name = "ioreport"
    update_period_s = 0.001

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        if PLATFORM != "darwin":
            raise MeterError("IOReport exists only on macOS")
        self._clock = clock
        self._lock = threading.Lock()
        self._cf = cf = _CF()
        group = cf.string("Energy Model")
        try:
            chans = cf.io.IOReportCopyChannelsInGroup(group, None, 0, 0, 0)
        finally:
            cf.cf.CFRelease(group)
        if not chans:
            raise MeterError("IOReport has no 'Energy Model' group on this Mac (Intel Mac?)")
        subbed = cf.c.c_void_p()
        self._sub = cf.io.IOReportCreateSubscription(None, chans, cf.c.byref(subbed), 0, None)
        cf.cf.CFRelease(chans)
        if not self._sub:
            raise MeterError("IOReportCreateSubscription failed for 'Energy Model'")
        self._subbed = subbed
        self._first = cf.io.IOReportCreateSamples(self._sub, self._subbed, None)
        doms = energy_by_domain(cf.channels(self._first))
        if not doms:
            raise MeterError("IOReport 'Energy Model' has no CPU/GPU/ANE/DRAM energy channel")
        self._specs = [DomainSpec(d, COMPONENT[d], BOUNDARY[d], Provenance.MEASURED,
                                  "ioreport:Energy Model") for d in sorted(doms)]

    def domains(self) -> Sequence[DomainSpec]:
        """The domains this meter reports."""
        return list(self._specs)

    def read(self) -> Reading:
        """Cumulative energy per domain (J) since the meter was opened."""
        cf = self._cf
        with self._lock:
            if not self._first:
                raise MeterError("IOReport meter is closed")
            t = self._clock()
            now = cf.io.IOReportCreateSamples(self._sub, self._subbed, None)
            if not now:
                raise MeterError("IOReportCreateSamples failed")
            delta = cf.io.IOReportCreateSamplesDelta(self._first, now, None)
            cf.cf.CFRelease(now)
            try:
                got = energy_by_domain(cf.channels(delta))
            finally:
                cf.cf.CFRelease(delta)
        return Reading(t, {s.name: got.get(s.name, 0.0) for s in self._specs})

    def close(self) -> None:
        """Release resources. Idempotent."""
        with self._lock:
            if self._first:
                self._cf.cf.CFRelease(self._first)
                self._first = None


# --------------------------------------------------------------------------- powermetrics
ENERGY_KEYS = {"cpu_energy": "cpu:0", "gpu_energy": "gpu:0", "ane_energy": "ane:0"}
POWER_KEYS = {"cpu_power": "cpu:0", "gpu_power": "gpu:0", "ane_power": "ane:0"}


def split_plists(stream: bytes) -> tuple[list[dict[str, Any]], bytes]:
    """Complete powermetrics plist samples in ``stream`` and the unfinished rest.

    Raises:
        MeterError: A complete sample is not a valid plist.
    """
    import plistlib  # lazily: detection imports this module on every platform

    *done, rest = stream.split(b"\0")
    out = []
    for chunk in done:
        chunk = chunk.strip()
        if not chunk:
            continue
        try:
            out.append(plistlib.loads(chunk))
        except Exception as err:  # plistlib raises several types on bad input
            raise MeterError(f"powermetrics produced an unreadable plist sample: {err}") from err
    return out, rest


def sample_energy(sample: Mapping[str, Any]) -> tuple[dict[str, float], Provenance]:
    """Joules per domain in one powermetrics plist sample, and how they were obtained.

    Raises:
        MeterError: The sample has neither energy nor power for the processor.
    """
    proc = sample.get("processor") or {}
    energies = {d: float(proc[k]) * 1e-3 for k, d in ENERGY_KEYS.items()
                if isinstance(proc.get(k), (int, float))}
    if energies:
        return energies, Provenance.MEASURED
    elapsed_s = float(sample.get("elapsed_ns", 0)) / 1e9
    powers = {d: float(proc[k]) * 1e-3 * elapsed_s for k, d in POWER_KEYS.items()
              if isinstance(proc.get(k), (int, float))}
    if powers and elapsed_s > 0:
        return powers, Provenance.INTEGRATED
    raise MeterError("powermetrics sample has no processor cpu_energy/cpu_power (run it with "
                     "--samplers cpu_power,gpu_power,ane_power)")


_TEXT_POWER = re.compile(r"^(CPU|GPU|ANE) Power:\s*([\d.]+)\s*mW", re.MULTILINE)
_TEXT_ELAPSED = re.compile(r"\(([\d.]+)ms elapsed\)")


def parse_powermetrics_text(text: str) -> list[tuple[float, dict[str, float]]]:
    """(elapsed s, power W per domain) for each sample of powermetrics' text output."""
    out = []
    for block in re.split(r"^\*\*\* Sampled system activity", text, flags=re.MULTILINE)[1:]:
        m = _TEXT_ELAPSED.search(block)
        if not m:
            continue
        powers = {f"{k.lower()}:0": float(v) / 1e3 for k, v in _TEXT_POWER.findall(block)}
        out.append((float(m.group(1)) / 1e3, powers))
    return out


class PowermetricsMeter(Meter):
    """Apple silicon energy from a running ``powermetrics -f plist`` (root only).

    Args:
        interval_s: powermetrics' sampling interval, seconds.
        argv: The command (tests pass a stub); ``powermetrics`` with the samplers by default.
        clock: Monotonic clock, seconds.

    Raises:
        MeterError: powermetrics cannot start, exits, or its first sample has no energy.
    """

    name = "powermetrics"

    def __init__(self, interval_s: float = 0.5, *, argv: Sequence[str] | None = None,
                 clock: Callable[[], float] = time.monotonic, first_sample_timeout_s: float = 10.0) -> None:
        ms = max(int(interval_s * 1000), 10)
        self._argv = list(argv) if argv is not None else [
            "powermetrics", "--samplers", "cpu_power,gpu_power,ane_power", "-i", str(ms), "-f", "plist"]
        self._clock = clock
        self.update_period_s = interval_s
        self._lock = threading.Lock()
        self._energy: dict[str, float] = {}
        self._provenance: Provenance | None = None
        self._error: MeterError | None = None
        self._first = threading.Event()
        try:
            self._proc = subprocess.Popen(self._argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        except OSError as err:
            raise MeterError(f"cannot start {self._argv[0]}: {err.strerror or err}") from err
        self._thread = threading.Thread(target=self._pump, name="wattprint-powermetrics", daemon=True)
        self._thread.start()
        prov = self._provenance_after(first_sample_timeout_s)
        if prov is None:
            self.close()
            raise self._error or MeterError(f"powermetrics gave no sample in {first_sample_timeout_s:g} s")
        how = ("*_energy (mJ per sample)" if prov is Provenance.MEASURED
               else "*_power × elapsed_ns (mW)")
        self._specs = [DomainSpec(d, COMPONENT[d], BOUNDARY[d], prov, "powermetrics:processor." + how)
                       for d in sorted(self._energy)]

    def _provenance_after(self, timeout_s: float) -> Provenance | None:
        """Wait for the first sample; its provenance, or None when none came."""
        self._first.wait(timeout_s)
        with self._lock:
            return self._provenance

    def _pump(self) -> None:
        buf = b""
        assert self._proc.stdout is not None
        while True:
            chunk = self._proc.stdout.read1(65536)  # type: ignore[attr-defined]
            if not chunk:
                err = (self._proc.stderr.read() if self._proc.stderr else b"").decode(errors="replace").strip()
                with self._lock:
                    self._error = self._error or MeterError(
                        f"powermetrics exited ({err.splitlines()[-1] if err else 'no message'}; it needs root)")
                self._first.set()
                return
            buf += chunk
            try:
                samples, buf = split_plists(buf)
                with self._lock:
                    for s in samples:
                        got, prov = sample_energy(s)
                        if self._provenance is None:
                            self._provenance = prov
                            self._energy = {d: 0.0 for d in got}
                        elif prov is not self._provenance:
                            raise MeterError("powermetrics switched between energy and power fields")
                        for d, j in got.items():
                            if d in self._energy:
                                self._energy[d] += j
            except MeterError as err:
                with self._lock:
                    self._error = err
                self._first.set()
                return
            if self._provenance is not None:
                self._first.set()

    def domains(self) -> Sequence[DomainSpec]:
        """The domains this meter reports."""
        return list(self._specs)

    def read(self) -> Reading:
        """Cumulative energy per domain (J) since the meter was opened."""
        with self._lock:
            if self._error is not None:
                raise self._error
            return Reading(self._clock(), dict(self._energy))

    def close(self) -> None:
        """Release resources. Idempotent."""
        if self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        self._thread.join(timeout=5)


def probe(options: Any = None) -> ProbeResult:
    """IOReport on Apple silicon (no sudo), else powermetrics when root, else why neither."""
    if why := macos(options):
        return Unavailable(why)
    try:
        return IOReportMeter()
    except MeterError as io_err:
        why = str(io_err)
    if os.geteuid() != 0:
        return Unavailable(f"{why}; powermetrics fallback needs root (sudo)")
    if shutil.which("powermetrics") is None:
        return Unavailable(f"{why}; powermetrics not found")
    try:
        return PowermetricsMeter(float(option(options, "apple_interval_s", 0.5)))
    except MeterError as err:
        return Unavailable(f"{why}; powermetrics: {err}")
