"""NVIDIA GPU energy through NVML (``nvidia-ml-py``, imported as ``pynvml``).

Per GPU: the total-energy counter (``nvmlDeviceGetTotalEnergyConsumption``, mJ since driver
load, Volta and newer) → provenance ``measured``; where the GPU has none (NVML answers
``NVML_ERROR_NOT_SUPPORTED``), instantaneous power (``nvmlDeviceGetPowerUsage``, mW) sampled on
the EnergyMeter's sampler thread and integrated (trapezoid) → provenance ``integrated``.

GPU numbering follows CUDA, and GPUs are matched **by UUID**: domain ``gpu:<i>`` is the GPU
``torch.device("cuda:<i>")`` uses. CUDA numbers devices fastest-first unless
``CUDA_DEVICE_ORDER=PCI_BUS_ID`` (NVML numbers them in PCI order), so position alone is wrong on
mixed machines. The CUDA order is taken, most exact first, from: torch's device UUIDs when torch
has already initialised CUDA in this process; ``CUDA_DEVICE_ORDER=PCI_BUS_ID`` (NVML order);
identical GPU models (the orders agree); else CUDA's fastest-first heuristic is reproduced from
NVML (compute capability, then SM count/clock), and the boundary says it is a guess.
``CUDA_VISIBLE_DEVICES`` (integers in that order, or ``GPU-<uuid>`` prefixes; the list stops at
the first entry that names no device) is applied on top.

Per window the meter also reports (``window_report``): a power/temperature/SM-clock/
utilisation timeline sampled at >= 10 Hz (power from energy-counter deltas where there is a
counter); ML.ENERGY-style validity flags (power within the card's limits, temperature below its
slowdown threshold, no throttling, no other process on the GPU); warnings for MIG mode and for
other processes on a measured GPU (a shared or partitioned GPU's counter is not the job's
energy); and each window's uncertainty: NVIDIA's stated ±5 W board-power accuracy × duration
plus one counter update period (100 ms) of average power, with a warning below 20 update
periods.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from wattprint.errors import CounterError, MeterError
from wattprint.meters.base import DomainSpec, Meter, Provenance, Reading, TimelineSample
from wattprint.meters.gates import nvidia_driver_absent as driver_absent
from wattprint.meters.probe import ProbeOptions, Unavailable
from wattprint.meters.sampled import PowerIntegrator

COUNTER_UPDATE_PERIOD_S: float = 0.1
"""The NVML energy counter moves in steps of ~10-100 ms depending on the GPU."""
SENSOR_ACCURACY_W: float = 5.0
"""NVIDIA's stated board-power accuracy (nvidia-smi: "+/- 5 W" on recent data-centre GPUs)."""
MIN_UPDATE_PERIODS: int = 20
"""Windows shorter than this many counter update periods get a warning."""
TIMELINE_INTERVAL_S: float = 0.1
"""Timeline sampling interval (10 Hz)."""
TIMELINE_MAX: int = 36_000
"""Samples kept per GPU (one hour at 10 Hz)."""
SLOWDOWN_TEMPERATURE_C: float = 85.0
"""Fallback temperature limit when NVML gives no slowdown threshold."""
_THROTTLE_BITS: dict[int, str] = {0x4: "sw_power_cap", 0x8: "hw_slowdown", 0x20: "sw_thermal",
                                  0x40: "hw_thermal", 0x80: "hw_power_brake"}


def load_pynvml() -> ModuleType:
    """Import ``pynvml`` (from nvidia-ml-py) or raise MeterError saying how to get it."""
    import importlib

    try:
        module: ModuleType = importlib.import_module("pynvml")
    except ImportError as err:
        raise MeterError("NVML unavailable: the nvidia-ml-py package is not installed "
                         "(pip install nvidia-ml-py)") from err
    return module


def _text(x: Any) -> str:
    return x.decode() if isinstance(x, bytes) else str(x)


def visible_devices(nvml: ModuleType, count: int, env: str | None,
                    order: Sequence[int] | None = None) -> tuple[list[int], str]:
    """Map visible GPU indices to physical NVML indices, as CUDA does.

    Args:
        nvml: The pynvml module (initialised).
        count: Number of physical devices NVML reports.
        env: The value of ``CUDA_VISIBLE_DEVICES`` (None when unset).
        order: NVML indices in CUDA's enumeration order (:func:`cuda_order`); PCI when None.

    Returns:
        (physical index of each visible index, a note about ignored entries or "").

    Raises:
        MeterError: An entry is a MIG instance (not supported).
    """
    order = list(range(count)) if order is None else list(order)
    if env is None:
        return order, ""
    uuids: list[str] | None = None
    out: list[int] = []
    for pos, token in enumerate(t.strip() for t in env.split(",")):
        if token == "":
            continue
        phys: int | None = None
        if token.lstrip("-").isdigit():
            i = int(token)
            phys = order[i] if 0 <= i < count else None
        elif token.startswith("MIG-"):
            raise MeterError(f"CUDA_VISIBLE_DEVICES entry {token!r} is a MIG instance; "
                             "per-MIG energy is not supported by NVML counters")
        else:
            if uuids is None:
                uuids = [_text(nvml.nvmlDeviceGetUUID(nvml.nvmlDeviceGetHandleByIndex(i)))
                         for i in range(count)]
            want = token if token.startswith("GPU-") else "GPU-" + token
            matches = [i for i, u in enumerate(uuids) if u.startswith(want)]
            phys = matches[0] if len(matches) == 1 else None
        if phys is None or phys in out:
            rest = env.split(",")[pos:]
            return out, (f"CUDA_VISIBLE_DEVICES={env!r}: entry {token!r} names no (new) device; "
                         f"as in CUDA, it and the entries after it are ignored ({rest})")
        out.append(phys)
    return out, ""


def torch_cuda_uuids() -> list[str] | None:
    """UUIDs of the visible CUDA devices in CUDA order, from torch, only when torch is already
    imported and has initialised CUDA in this process (never imports torch)."""
    torch = sys.modules.get("torch")
    try:
        if torch is None or not torch.cuda.is_initialized():
            return None
        out = []
        for i in range(torch.cuda.device_count()):
            u = str(torch.cuda.get_device_properties(i).uuid)
            out.append(u if u.startswith("GPU-") else "GPU-" + u)
        return out
    except Exception:  # noqa: BLE001 - an old torch without .uuid: fall back to NVML
        return None


def cuda_order(nvml: ModuleType, count: int, environ: Any) -> tuple[list[int], str]:
    """NVML indices in CUDA's enumeration order (before ``CUDA_VISIBLE_DEVICES``), and how.

    Args:
        nvml: The pynvml module (initialised).
        count: Number of physical devices NVML reports.
        environ: The environment (``CUDA_DEVICE_ORDER``).
    """
    pci = list(range(count))
    order_env = environ.get("CUDA_DEVICE_ORDER", "FASTEST_FIRST")
    if order_env == "PCI_BUS_ID":
        return pci, "CUDA order = PCI bus order (CUDA_DEVICE_ORDER=PCI_BUS_ID), as NVML's"
    handles = [nvml.nvmlDeviceGetHandleByIndex(i) for i in pci]
    names = [_text(nvml.nvmlDeviceGetName(h)) for h in handles]
    if len(set(names)) <= 1:
        return pci, "CUDA order = PCI order (all GPUs are the same model)"

    def speed(i: int) -> tuple[float, ...]:
        h = handles[i]
        try:
            major, minor = nvml.nvmlDeviceGetCudaComputeCapability(h)
        except Exception:  # noqa: BLE001 - unknown capability sorts last
            major, minor = 0, 0
        try:
            cores = float(nvml.nvmlDeviceGetNumGpuCores(h))
        except Exception:  # noqa: BLE001 - not in older NVML
            cores = 0.0
        try:
            clock = float(nvml.nvmlDeviceGetMaxClockInfo(h, getattr(nvml, "NVML_CLOCK_SM", 1)))
        except Exception:  # noqa: BLE001
            clock = 0.0
        return (-(major * 10 + minor), -cores * clock, i)

    order = sorted(pci, key=speed)
    return order, ("CUDA order GUESSED as fastest-first from NVML (CUDA_DEVICE_ORDER unset, GPU "
                   f"models differ: {', '.join(names)}); set CUDA_DEVICE_ORDER=PCI_BUS_ID to make "
                   "it exact")


@dataclass
class _Gpu:
    visible: int
    physical: int
    handle: Any
    name: str
    uuid: str
    counter0_mj: int | None
    integrator: PowerIntegrator | None
    last_mj: int | None = None
    mig: bool = False
    max_power_w: float | None = None
    slowdown_c: float | None = None
    timeline: deque[tuple[float, float | None, float | None, float | None, float | None, int]] = field(
        default_factory=lambda: deque(maxlen=TIMELINE_MAX))
    procs: deque[tuple[float, frozenset[int]]] = field(default_factory=lambda: deque(maxlen=4096))
    last_sample: tuple[float, int] | None = None


class NvmlMeter(Meter):
    """Energy of NVIDIA GPUs, one domain ``gpu:<visible index>`` per GPU.

    Args:
        gpus: Visible indices to measure; all visible GPUs when None.
        interval_s: Power-sampling interval for GPUs without an energy counter, seconds.
        nvml: The pynvml module (tests pass a double); imported when None.
        clock: Monotonic clock, seconds.
        environ: Environment to read ``CUDA_VISIBLE_DEVICES`` from (``os.environ`` when None).
        cuda_uuids: Returns the visible CUDA devices' UUIDs in CUDA order, or None when unknown
            (default: torch's, only if torch already initialised CUDA).
        timeline: Sample power/temperature/clocks at 10 Hz on the sampler thread.

    Raises:
        MeterError: NVML missing or failing, no GPU, an index that is not visible.
    """

    name = "nvml"

    def __init__(self, gpus: Sequence[int] | None = None, *, interval_s: float = 0.1,
                 nvml: ModuleType | None = None, clock: Callable[[], float] = time.monotonic,
                 environ: dict[str, str] | None = None,
                 cuda_uuids: Callable[[], list[str] | None] | None = torch_cuda_uuids,
                 timeline: bool = True) -> None:
        if nvml is None and (why := driver_absent()):
            raise MeterError(f"NVML unavailable: {why}")
        self._nvml = nv = load_pynvml() if nvml is None else nvml
        self._clock = clock
        self._interval_s = interval_s
        self._lock = threading.Lock()
        self._closed = False
        self.note = ""
        self.order_note = ""
        self._cuda_uuids = cuda_uuids
        self._own_pids: Callable[[], set[int]] = _own_pids
        try:
            nv.nvmlInit()
        except nv.NVMLError as err:
            raise MeterError(f"NVML could not initialise: {err} (no NVIDIA driver, or no "
                             "GPU visible to this container)") from err
        try:
            self._gpus = self._open(gpus, interval_s, os.environ if environ is None else environ)
        except BaseException:
            self._shutdown()
            raise
        integrated = [g for g in self._gpus if g.integrator is not None]
        self._timeline = timeline
        self._polls = 0
        self.poll_interval_s: float | None = (
            min(interval_s, TIMELINE_INTERVAL_S) if timeline else interval_s if integrated else None)
        self.update_period_s = (max(COUNTER_UPDATE_PERIOD_S, 2 * interval_s) if integrated
                                else COUNTER_UPDATE_PERIOD_S)
        self._specs = [self._spec(g) for g in self._gpus]

    def _call(self, what: str, fn: Callable[..., Any], *args: Any) -> Any:
        try:
            return fn(*args)
        except self._nvml.NVMLError as err:
            raise MeterError(f"NVML {what} failed: {err}") from err

    def _open(self, gpus: Sequence[int] | None, interval_s: float, environ: Any) -> list[_Gpu]:
        nv = self._nvml
        count = int(self._call("nvmlDeviceGetCount", nv.nvmlDeviceGetCount))
        cuda = self._cuda_uuids() if self._cuda_uuids is not None else None
        if cuda:
            nvml_uuids = [_text(self._call("nvmlDeviceGetUUID", nv.nvmlDeviceGetUUID,
                                           nv.nvmlDeviceGetHandleByIndex(i))) for i in range(count)]
            phys = [nvml_uuids.index(u) for u in cuda if u in nvml_uuids]
            self.order_note = "cuda:N mapped to NVML by the UUIDs CUDA reports (torch)"
        else:
            order, self.order_note = self._call("device order", cuda_order, nv, count, environ)
            phys, self.note = visible_devices(nv, count, environ.get("CUDA_VISIBLE_DEVICES"), order)
        if not phys:
            raise MeterError(f"no NVIDIA GPU visible (NVML sees {count}; "
                             f"CUDA_VISIBLE_DEVICES={environ.get('CUDA_VISIBLE_DEVICES')!r})")
        wanted = list(range(len(phys))) if gpus is None else list(dict.fromkeys(gpus))
        for i in wanted:
            if not 0 <= i < len(phys):
                raise MeterError(f"GPU index {i} is not visible; visible indices: "
                                 f"{list(range(len(phys)))} (numbering follows CUDA_VISIBLE_DEVICES)")
        out = []
        for i in wanted:
            h = self._call(f"nvmlDeviceGetHandleByIndex({phys[i]})", nv.nvmlDeviceGetHandleByIndex,
                           phys[i])
            name = _text(self._call("nvmlDeviceGetName", nv.nvmlDeviceGetName, h))
            uuid = _text(self._call("nvmlDeviceGetUUID", nv.nvmlDeviceGetUUID, h))
            counter: int | None = None
            integ: PowerIntegrator | None = None
            try:
                counter = int(nv.nvmlDeviceGetTotalEnergyConsumption(h))
            except nv.NVMLError as err:
                if getattr(err, "value", None) != nv.NVML_ERROR_NOT_SUPPORTED:
                    raise MeterError(f"NVML energy counter of gpu:{i} ({name}) failed: {err}") from err
                integ = PowerIntegrator(self._power_fn(h, i, name), self._clock)
            out.append(_Gpu(i, phys[i], h, name, uuid, counter, integ, mig=_mig_enabled(nv, h),
                            max_power_w=_max_power_w(nv, h), slowdown_c=_slowdown_c(nv, h)))
        return out

    def _power_fn(self, handle: Any, i: int, name: str) -> Callable[[], float]:
        nv = self._nvml

        def power_w() -> float:
            try:
                return float(nv.nvmlDeviceGetPowerUsage(handle)) / 1e3
            except nv.NVMLError as err:
                raise MeterError(f"NVML power of gpu:{i} ({name}) failed: {err}") from err

        return power_w

    def _spec(self, g: _Gpu) -> DomainSpec:
        boundary = (f"whole GPU {g.name} (visible index {g.visible}, NVML index {g.physical}, "
                    f"{g.uuid}; {self.order_note}): board power as NVML reports it"
                    + ("; MIG mode is on: the counter covers every MIG instance of the GPU, not "
                       "one job's" if g.mig else ""))
        if g.integrator is None:
            return DomainSpec(f"gpu:{g.visible}", "gpu", boundary, Provenance.MEASURED,
                              "nvml:nvmlDeviceGetTotalEnergyConsumption")
        return DomainSpec(f"gpu:{g.visible}", "gpu", boundary, Provenance.INTEGRATED,
                          "nvml:nvmlDeviceGetPowerUsage (trapezoid)")

    def domains(self) -> Sequence[DomainSpec]:
        """One domain per GPU."""
        return list(self._specs)

    def describe(self) -> str:
        """One line saying what this meter reads and how (see :meth:`Meter.describe`)."""
        parts = [f"{s.name}: " + ("energy counter" if s.provenance is Provenance.MEASURED else
                                  f"power sampled every {self._interval_s:g}s, integrated")
                 + f" ({s.provenance})" for s in self._specs]
        return "; ".join(parts) + (f"; {self.note}" if self.note else "")

    def poll(self) -> None:
        """Sampler-thread entry: one power sample per GPU without an energy counter, and one
        timeline sample per GPU (processes every 10th poll)."""
        for g in self._gpus:
            if g.integrator is not None:
                g.integrator.poll()
        if not self._timeline or self._closed:
            return
        self._polls += 1
        for g in self._gpus:
            self._sample(g, procs=self._polls % 10 == 1)

    def _sample(self, g: _Gpu, procs: bool = False) -> None:
        nv = self._nvml
        t = self._clock()
        power: float | None = None
        if g.integrator is None:
            mj = _try(getattr(nv, "nvmlDeviceGetTotalEnergyConsumption", None), g.handle)
            if mj is not None:
                if g.last_sample is not None and t > g.last_sample[0] and mj >= g.last_sample[1]:
                    power = (mj - g.last_sample[1]) / 1e3 / (t - g.last_sample[0])
                g.last_sample = (t, int(mj))
        else:
            mw = _try(getattr(nv, "nvmlDeviceGetPowerUsage", None), g.handle)
            power = None if mw is None else mw / 1e3
        temp = _try(getattr(nv, "nvmlDeviceGetTemperature", None), g.handle, getattr(nv, "NVML_TEMPERATURE_GPU", 0))
        clk = _try(getattr(nv, "nvmlDeviceGetClockInfo", None), g.handle, getattr(nv, "NVML_CLOCK_SM", 1))
        util = _try(getattr(nv, "nvmlDeviceGetUtilizationRates", None), g.handle)
        thr = _try(getattr(nv, "nvmlDeviceGetCurrentClocksThrottleReasons", None), g.handle)
        g.timeline.append((t, power, None if temp is None else float(temp),
                           None if clk is None else float(clk),
                           None if util is None else float(util.gpu) / 100.0, int(thr or 0)))
        if procs:
            g.procs.append((t, self.gpu_pids(g)))

    def gpu_pids(self, g: _Gpu) -> frozenset[int]:
        """PIDs with a compute or graphics context on GPU ``g`` now (empty when NVML cannot say)."""
        nv = self._nvml
        pids: set[int] = set()
        for fn in ("nvmlDeviceGetComputeRunningProcesses", "nvmlDeviceGetGraphicsRunningProcesses"):
            got = _try(getattr(nv, fn, None), g.handle)
            pids.update(int(p.pid) for p in (got or ()))
        return frozenset(pids)

    def processes(self) -> dict[str, frozenset[int]]:
        """Domain → PIDs using that GPU now (NVML's per-process list)."""
        return {f"gpu:{g.visible}": self.gpu_pids(g) for g in self._gpus}

    def activity(self) -> dict[str, dict[str, float]]:
        """Domain → current utilisation (0-1) and SM clock (MHz), for idle-baseline checks."""
        nv = self._nvml
        out: dict[str, dict[str, float]] = {}
        for g in self._gpus:
            d: dict[str, float] = {}
            if (u := _try(getattr(nv, "nvmlDeviceGetUtilizationRates", None), g.handle)) is not None:
                d["utilisation"] = float(u.gpu) / 100.0
            if (c := _try(getattr(nv, "nvmlDeviceGetClockInfo", None), g.handle, getattr(nv, "NVML_CLOCK_SM", 1))) is not None:
                d["sm_clock_mhz"] = float(c)
            d["other_processes"] = float(len(self.gpu_pids(g) - self._own_pids()))
            out[f"gpu:{g.visible}"] = d
        return out

    def window_uncertainty(self, spec: DomainSpec, energy_j: float, duration_s: float) -> float | None:
        """±5 W × duration plus one update period of average power, relative to the energy."""
        if energy_j <= 0 or duration_s <= 0:
            return None
        period = self.update_period_s
        return (SENSOR_ACCURACY_W * duration_s + energy_j / duration_s * period) / energy_j

    def window_report(self, t0_s: float, t1_s: float
                      ) -> tuple[list[TimelineSample], dict[str, dict[str, bool]], list[str]]:
        """Timeline, validity flags and warnings (MIG, shared GPU, throttling, short window)."""
        samples: list[TimelineSample] = []
        flags: dict[str, dict[str, bool]] = {}
        notes: list[str] = []
        duration = t1_s - t0_s
        if duration < MIN_UPDATE_PERIODS * self.update_period_s:
            notes.append(f"GPU window of {duration:.3g} s is shorter than {MIN_UPDATE_PERIODS} "
                         f"counter update periods ({MIN_UPDATE_PERIODS * self.update_period_s:.3g} s):"
                         " the counter's step dominates its uncertainty")
        own = self._own_pids()
        for g in self._gpus:
            dom = f"gpu:{g.visible}"
            rows = [r for r in list(g.timeline) if t0_s <= r[0] <= t1_s]
            samples.extend(TimelineSample(r[0] - t0_s, dom, r[1], r[2], r[3], r[4],
                                          _throttle_names(r[5])) for r in rows)
            foreign = set().union(*(p for t, p in list(g.procs) if t0_s <= t <= t1_s)) - own
            f: dict[str, bool] = {"exclusive": not foreign and not g.mig}
            powers = [r[1] for r in rows if r[1] is not None]
            temps = [r[2] for r in rows if r[2] is not None]
            if powers and g.max_power_w:
                f["power_within_limits"] = max(powers) <= g.max_power_w * 1.05
            if temps:
                f["temperature_ok"] = max(temps) < (g.slowdown_c or SLOWDOWN_TEMPERATURE_C)
            if rows:
                thr = {n for r in rows for n in _throttle_names(r[5]).split(",") if n}
                f["not_throttled"] = not thr
                if thr:
                    notes.append(f"{dom} throttled during the window ({', '.join(sorted(thr))})")
            flags[dom] = f
            if g.mig:
                notes.append(f"{dom} ({g.name}) is in MIG mode: its counter covers all MIG "
                             "instances, so it is not this job's energy by counter alone")
            if foreign:
                notes.append(f"{dom} ({g.name}) was shared: other processes ({sorted(foreign)[:8]}) "
                             "used it during the window, so its counter is not this job's energy "
                             "alone (in a container, NVML reports host PIDs)")
        return samples, flags, notes

    def read(self) -> Reading:
        """Cumulative energy per GPU (J): the counter where there is one, else integrated samples."""
        if self._closed:
            raise MeterError("NVML meter is closed")
        nv = self._nvml
        energy: dict[str, float] = {}
        t = self._clock()
        for g in self._gpus:
            dom = f"gpu:{g.visible}"
            if g.integrator is not None:
                t_i, e = g.integrator.energy_j()
                energy[dom] = e
                continue
            try:
                mj = int(nv.nvmlDeviceGetTotalEnergyConsumption(g.handle))
            except nv.NVMLError as err:
                raise MeterError(f"NVML energy counter of {dom} ({g.name}) failed: {err}") from err
            last = g.counter0_mj if g.last_mj is None else g.last_mj
            if mj < last:  # type: ignore[operator]
                raise CounterError(f"NVML energy counter of {dom} ({g.name}) went backwards "
                                   f"from {last} to {mj} mJ (driver reloaded or GPU reset?)")
            g.last_mj = mj
            energy[dom] = (mj - g.counter0_mj) / 1e3  # type: ignore[operator]
        return Reading(t, energy)

    def _shutdown(self) -> None:
        try:
            self._nvml.nvmlShutdown()
        except Exception:  # noqa: BLE001 - shutdown failures are not actionable
            pass

    def close(self) -> None:
        """Shut NVML down. Idempotent."""
        with self._lock:
            if not self._closed:
                self._closed = True
                self._shutdown()


def _try(fn: Callable[..., Any] | None, *args: Any) -> Any:
    """Call an optional NVML query; None when it is missing or unsupported on this GPU."""
    if fn is None:
        return None
    try:
        return fn(*args)
    except Exception:  # noqa: BLE001 - NVMLError (not supported, no permission) or no function
        return None


def _mig_enabled(nv: ModuleType, h: Any) -> bool:
    mode = _try(getattr(nv, "nvmlDeviceGetMigMode", None), h)
    return bool(mode and int(mode[0]) == 1)


def _max_power_w(nv: ModuleType, h: Any) -> float | None:
    lim = _try(getattr(nv, "nvmlDeviceGetPowerManagementLimitConstraints", None), h)
    return None if not lim else float(lim[1]) / 1e3


def _slowdown_c(nv: ModuleType, h: Any) -> float | None:
    t = _try(getattr(nv, "nvmlDeviceGetTemperatureThreshold", None), h,
             getattr(nv, "NVML_TEMPERATURE_THRESHOLD_SLOWDOWN", 1))
    return None if t is None else float(t)


def _throttle_names(bits: int) -> str:
    return ",".join(name for bit, name in _THROTTLE_BITS.items() if bits & bit)


def _own_pids() -> set[int]:
    """This process and its descendants."""
    pids = {os.getpid()}
    try:
        import psutil

        pids.update(p.pid for p in psutil.Process().children(recursive=True))
    except Exception:  # noqa: BLE001 - psutil missing or a child vanished
        pass
    return pids


def probe(options: ProbeOptions) -> Meter | Unavailable:
    """Detection entry (see :mod:`wattprint.meters.detect`): NVIDIA GPUs through NVML."""
    try:
        return NvmlMeter(options.gpus, interval_s=options.interval_s)
    except MeterError as err:
        return Unavailable(str(err))
