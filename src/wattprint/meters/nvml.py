"""NVIDIA GPU energy through NVML (``nvidia-ml-py``, imported as ``pynvml``).

Per GPU: the total-energy counter (``nvmlDeviceGetTotalEnergyConsumption``, mJ since driver
load, Volta and newer) → provenance ``measured``; where the GPU has none (NVML answers
``NVML_ERROR_NOT_SUPPORTED``), instantaneous power (``nvmlDeviceGetPowerUsage``, mW) sampled on
the EnergyMeter's sampler thread and integrated (trapezoid) → provenance ``integrated``.

GPU numbering follows ``CUDA_VISIBLE_DEVICES`` (integers or ``GPU-<uuid>`` prefixes, as CUDA
reads it: the list stops at the first entry that names no device): domain ``gpu:<i>`` is the
i-th visible GPU, the one ``torch.device("cuda:<i>")`` uses.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from wattprint.errors import CounterError, MeterError
from wattprint.meters.base import DomainSpec, Meter, Provenance, Reading
from wattprint.meters.probe import ProbeOptions, Unavailable
from wattprint.meters.sampled import PowerIntegrator

COUNTER_UPDATE_PERIOD_S: float = 0.1
"""The NVML energy counter moves in steps of ~10-100 ms depending on the GPU."""


def driver_absent() -> str:
    """Why NVML cannot work here without importing it (cheap), or "" when it might.

    On Linux the NVIDIA driver exposes ``/dev/nvidiactl`` (also inside containers run with the
    NVIDIA runtime) and ``/proc/driver/nvidia``; WSL2 exposes ``/dev/dxg``. When none exists,
    importing pynvml (~15 ms) and loading libnvidia-ml would only fail.
    """
    if not sys.platform.startswith("linux") or "pynvml" in sys.modules:
        return ""
    if any(os.path.exists(p) for p in ("/dev/nvidiactl", "/proc/driver/nvidia", "/dev/dxg")):
        return ""
    return "no NVIDIA driver loaded (/dev/nvidiactl and /proc/driver/nvidia are absent)"


def load_pynvml() -> ModuleType:
    """Import ``pynvml`` (from nvidia-ml-py) or raise MeterError saying how to get it."""
    try:
        import pynvml
    except ImportError as err:
        raise MeterError("NVML unavailable: the nvidia-ml-py package is not installed "
                         "(pip install nvidia-ml-py)") from err
    return pynvml


def _text(x: Any) -> str:
    return x.decode() if isinstance(x, bytes) else str(x)


def visible_devices(nvml: ModuleType, count: int, env: str | None) -> tuple[list[int], str]:
    """Map visible GPU indices to physical NVML indices, as CUDA does.

    Args:
        nvml: The pynvml module (initialised).
        count: Number of physical devices NVML reports.
        env: The value of ``CUDA_VISIBLE_DEVICES`` (None when unset).

    Returns:
        (physical index of each visible index, a note about ignored entries or "").

    Raises:
        MeterError: An entry is a MIG instance (not supported).
    """
    if env is None:
        return list(range(count)), ""
    uuids: list[str] | None = None
    out: list[int] = []
    for pos, token in enumerate(t.strip() for t in env.split(",")):
        if token == "":
            continue
        phys: int | None = None
        if token.lstrip("-").isdigit():
            i = int(token)
            phys = i if 0 <= i < count else None
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


class NvmlMeter(Meter):
    """Energy of NVIDIA GPUs, one domain ``gpu:<visible index>`` per GPU.

    Args:
        gpus: Visible indices to measure; all visible GPUs when None.
        interval_s: Power-sampling interval for GPUs without an energy counter, seconds.
        nvml: The pynvml module (tests pass a double); imported when None.
        clock: Monotonic clock, seconds.
        environ: Environment to read ``CUDA_VISIBLE_DEVICES`` from (``os.environ`` when None).

    Raises:
        MeterError: NVML missing or failing, no GPU, an index that is not visible.
    """

    name = "nvml"

    def __init__(self, gpus: Sequence[int] | None = None, *, interval_s: float = 0.1,
                 nvml: ModuleType | None = None, clock: Callable[[], float] = time.monotonic,
                 environ: dict[str, str] | None = None) -> None:
        if nvml is None and (why := driver_absent()):
            raise MeterError(f"NVML unavailable: {why}")
        self._nvml = nv = load_pynvml() if nvml is None else nvml
        self._clock = clock
        self._interval_s = interval_s
        self._lock = threading.Lock()
        self._closed = False
        self.note = ""
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
        self.poll_interval_s: float | None = interval_s if integrated else None
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
        phys, self.note = visible_devices(nv, count, environ.get("CUDA_VISIBLE_DEVICES"))
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
            out.append(_Gpu(i, phys[i], h, name, uuid, counter, integ))
        return out

    def _power_fn(self, handle: Any, i: int, name: str) -> Callable[[], float]:
        nv = self._nvml

        def power_w() -> float:
            try:
                return nv.nvmlDeviceGetPowerUsage(handle) / 1e3
            except nv.NVMLError as err:
                raise MeterError(f"NVML power of gpu:{i} ({name}) failed: {err}") from err

        return power_w

    def _spec(self, g: _Gpu) -> DomainSpec:
        boundary = (f"whole GPU {g.name} (visible index {g.visible}, NVML index {g.physical}, "
                    f"{g.uuid}): board power as NVML reports it")
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
        """Sampler-thread entry: one power sample per GPU without an energy counter."""
        for g in self._gpus:
            if g.integrator is not None:
                g.integrator.poll()

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


def probe(options: ProbeOptions) -> Meter | Unavailable:
    """Detection entry (see :mod:`wattprint.meters.detect`): NVIDIA GPUs through NVML."""
    try:
        return NvmlMeter(options.gpus, interval_s=options.interval_s)
    except MeterError as err:
        return Unavailable(str(err))
