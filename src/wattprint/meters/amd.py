"""AMD GPUs through ``amdsmi`` (the ROCm Python library): energy accumulator or integrated power.

Per GPU: the energy accumulator (``amdsmi_get_energy_count``, MI200/MI300 and newer) → provenance
``measured``; where the GPU has none, socket power (``amdsmi_get_power_info``, W) sampled on the
EnergyMeter's sampler thread and integrated (trapezoid) → ``integrated``.

Quirks handled (each seen in released ROCm versions):

* The accumulator is in *ticks*: joules = ticks × ``counter_resolution`` (µJ per tick,
  15.259 µJ on MI200/MI300) × 1e-6. The key holding the ticks was ``power`` in ROCm 6.0-6.2
  and is ``energy_accumulator`` since; both are read.
* A GPU without a working accumulator answers ``AMDSMI_STATUS_NOT_SUPPORTED`` (2) or returns 0
  (a powered GPU's accumulator has always moved since boot): both mean "no counter here",
  and the GPU falls back to power.
* Power keys differ across versions and products: ``socket_power`` (ROCm 7), else
  ``current_socket_power`` (instantaneous, MI300), else ``average_socket_power`` (averaged
  by the SMU, MI200 and Radeon); ``"N/A"`` means absent. The field read is in the source.
* Some SMU firmware keeps a 32-bit accumulator: a counter that goes backwards from below
  2^32 ticks is unwrapped at 2^32 when the implied power is plausible (≤ 3 kW); any other
  backwards step raises :class:`~wattprint.errors.CounterError` (a GPU reset or driver reload).
* The accumulator counts since the driver loaded, like NVML's; only differences are used.

Numbering follows ROCm: ``ROCR_VISIBLE_DEVICES`` (indices or ``GPU-<uuid>``) filters first,
then ``HIP_VISIBLE_DEVICES`` indexes what remains; domain ``gpu:<i>`` is
``torch.device("cuda:<i>")`` on a ROCm build of torch. The physical order is HIP's
(``amdsmi_get_gpu_enumeration_info()["hip_id"]`` where the library has it, else amdsmi's own
order, which is PCI order like HIP's).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from wattprint.errors import CounterError, MeterError
from wattprint.meters.base import DomainSpec, Meter, Provenance, Reading
from wattprint.meters.gates import amd_driver_absent as driver_absent
from wattprint.meters.hwprobe import (
    MonotonicCounter,
    ProbeResult,
    Unavailable,
    environ_of,
    option,
)
from wattprint.meters.sampled import PowerIntegrator

SOURCE = "amdsmi"
STATUS_NOT_SUPPORTED = 2
"""``AMDSMI_STATUS_NOT_SUPPORTED`` in amdsmi.h."""
MAX_PLAUSIBLE_POWER_W = 3000.0
COUNTER_UPDATE_PERIOD_S = 0.001
POWER_KEYS = ("socket_power", "current_socket_power", "average_socket_power")


def load_amdsmi() -> ModuleType:
    """Import ``amdsmi`` or raise MeterError saying how to get it."""
    try:
        import amdsmi  # type: ignore[import-not-found]
    except ImportError as err:
        raise MeterError("amdsmi unavailable: the ROCm Python package is not installed "
                         "(pip install amdsmi matching your ROCm, or use /opt/rocm/share/amd_smi)") from err
    except OSError as err:  # the package is there but libamd_smi.so is not
        raise MeterError(f"amdsmi unavailable: {err}") from err
    module: ModuleType = amdsmi
    return module


def _code(err: BaseException) -> int | None:
    get = getattr(err, "get_error_code", None)
    code = get() if callable(get) else getattr(err, "err_code", None)
    return int(code) if isinstance(code, int) else None


def visible_physical(count: int, uuids: Sequence[str], environ: Mapping[str, str]) -> list[int]:
    """Physical (HIP-ordered) indices of the visible GPUs, in visible order.

    Args:
        count: Number of AMD GPUs amdsmi reports.
        uuids: Their UUIDs, in the same order.
        environ: Where ``ROCR_VISIBLE_DEVICES`` and ``HIP_VISIBLE_DEVICES`` are read.

    Raises:
        MeterError: An entry names no device (ROCm refuses to start then too).
    """
    phys = list(range(count))
    for var in ("ROCR_VISIBLE_DEVICES", "HIP_VISIBLE_DEVICES"):
        value = environ.get(var)
        if value is None:
            continue
        picked: list[int] = []
        for token in (t.strip() for t in value.split(",")):
            if not token:
                continue
            if token.isdigit() and int(token) < len(phys):
                picked.append(phys[int(token)])
                continue
            if var == "ROCR_VISIBLE_DEVICES" and token.startswith("GPU-"):
                want = token[4:].lower()
                match = [p for p in phys if uuids[p].lower().removeprefix("gpu-").startswith(want)]
                if len(match) == 1:
                    picked.append(match[0])
                    continue
            raise MeterError(f"{var}={value!r}: entry {token!r} names no visible AMD GPU "
                             f"({len(phys)} visible at that point)")
        phys = list(dict.fromkeys(picked))
    return phys


@dataclass
class _Gpu:
    visible: int
    handle: Any
    name: str
    uuid: str
    bdf: str
    resolution_uj: float | None
    counter: MonotonicCounter | None
    integrator: PowerIntegrator | None
    power_key: str = ""
    last_t: float = 0.0


class AmdSmiMeter(Meter):
    """Energy of AMD GPUs, one domain ``gpu:<visible index>`` per GPU.

    Args:
        gpus: Visible indices to measure; all visible GPUs when None.
        interval_s: Power-sampling interval for GPUs without an accumulator, seconds.
        amdsmi: The amdsmi module (tests pass a double); imported when None.
        clock: Monotonic clock, seconds.
        environ: Environment for ``ROCR_VISIBLE_DEVICES``/``HIP_VISIBLE_DEVICES``.

    Raises:
        MeterError: amdsmi missing or failing, no GPU, an index that is not visible.
    """

    name = SOURCE

    def __init__(self, gpus: Sequence[int] | None = None, *, interval_s: float = 0.1,
                 amdsmi: ModuleType | None = None, clock: Callable[[], float] = time.monotonic,
                 environ: Mapping[str, str] | None = None) -> None:
        if amdsmi is None and (why := driver_absent()):
            raise MeterError(f"amdsmi unavailable: {why}")
        self._smi = smi = load_amdsmi() if amdsmi is None else amdsmi
        self._clock = clock
        self._lock = threading.Lock()
        self._closed = False
        self.notes: list[str] = []
        self._call("amdsmi_init", smi.amdsmi_init)
        try:
            self._gpus = self._open(gpus, interval_s, os.environ if environ is None else environ)
        except BaseException:
            self._shutdown()
            raise
        integrated = any(g.integrator is not None for g in self._gpus)
        self.poll_interval_s: float | None = interval_s if integrated else None
        self.update_period_s = max(COUNTER_UPDATE_PERIOD_S, 2 * interval_s) if integrated \
            else COUNTER_UPDATE_PERIOD_S
        self._specs = [self._spec(g) for g in self._gpus]

    def _call(self, what: str, fn: Callable[..., Any], *args: Any) -> Any:
        try:
            return fn(*args)
        except self._smi.AmdSmiException as err:
            raise MeterError(f"amdsmi {what} failed: {err}") from err

    def _hip_order(self, handles: list[Any]) -> list[Any]:
        enum = getattr(self._smi, "amdsmi_get_gpu_enumeration_info", None)
        if enum is None:
            return handles
        try:
            ids = [int(enum(h)["hip_id"]) for h in handles]
        except (self._smi.AmdSmiException, KeyError, TypeError, ValueError):
            return handles
        return [h for _, h in sorted(zip(ids, handles), key=lambda x: x[0])]

    def _open(self, gpus: Sequence[int] | None, interval_s: float,
              environ: Mapping[str, str]) -> list[_Gpu]:
        smi = self._smi
        handles = self._hip_order(list(self._call("amdsmi_get_processor_handles",
                                                  smi.amdsmi_get_processor_handles)))
        uuids = [str(self._call("amdsmi_get_gpu_device_uuid", smi.amdsmi_get_gpu_device_uuid, h))
                 for h in handles]
        phys = visible_physical(len(handles), uuids, environ)
        if not phys:
            raise MeterError(f"no AMD GPU visible (amdsmi sees {len(handles)}; "
                             f"ROCR_VISIBLE_DEVICES={environ.get('ROCR_VISIBLE_DEVICES')!r}, "
                             f"HIP_VISIBLE_DEVICES={environ.get('HIP_VISIBLE_DEVICES')!r})")
        wanted = list(range(len(phys))) if gpus is None else list(dict.fromkeys(gpus))
        for i in wanted:
            if not 0 <= i < len(phys):
                raise MeterError(f"AMD GPU index {i} is not visible; visible indices: "
                                 f"{list(range(len(phys)))}")
        out = []
        for i in wanted:
            h = handles[phys[i]]
            asic = self._call("amdsmi_get_gpu_asic_info", smi.amdsmi_get_gpu_asic_info, h)
            bdf = str(self._call("amdsmi_get_gpu_device_bdf", smi.amdsmi_get_gpu_device_bdf, h))
            g = _Gpu(i, h, str(asic.get("market_name", "AMD GPU")), uuids[phys[i]], bdf,
                     None, None, None)
            self._open_energy(g, interval_s)
            out.append(g)
        return out

    def _energy_ticks(self, g: _Gpu) -> tuple[int, float]:
        got = self._smi.amdsmi_get_energy_count(g.handle)
        ticks = got.get("energy_accumulator", got.get("power"))
        res = got.get("counter_resolution")
        if not isinstance(ticks, int) or not isinstance(res, (int, float)) or res <= 0:
            raise MeterError(f"amdsmi_get_energy_count of gpu:{g.visible} ({g.name}) returned "
                             f"{got!r}: no accumulator and resolution")
        return ticks, float(res)

    def _open_energy(self, g: _Gpu, interval_s: float) -> None:
        smi = self._smi
        try:
            ticks, res = self._energy_ticks(g)
        except smi.AmdSmiException as err:
            if _code(err) != STATUS_NOT_SUPPORTED:
                raise MeterError(f"amdsmi energy counter of gpu:{g.visible} ({g.name}) failed: "
                                 f"{err}") from err
            why = "amdsmi_get_energy_count: AMDSMI_STATUS_NOT_SUPPORTED"
        else:
            if ticks > 0:
                g.resolution_uj = res
                g.counter = MonotonicCounter(f"amdsmi energy accumulator of gpu:{g.visible}", ticks)
                g.last_t = self._clock()
                return
            why = "amdsmi_get_energy_count returned 0 ticks (accumulator not running)"
        g.power_key = self._power_key(g)
        g.integrator = PowerIntegrator(self._power_fn(g), self._clock)
        self.notes.append(f"gpu:{g.visible} ({g.name}): {why}; power ({g.power_key}) integrated")

    def _power_key(self, g: _Gpu) -> str:
        info = self._call(f"amdsmi_get_power_info(gpu:{g.visible})", self._smi.amdsmi_get_power_info,
                          g.handle)
        for k in POWER_KEYS:
            if isinstance(info.get(k), (int, float)):
                return k
        raise MeterError(f"gpu:{g.visible} ({g.name}) has neither an energy accumulator nor a "
                         f"power reading (amdsmi_get_power_info: {info!r})")

    def _power_fn(self, g: _Gpu) -> Callable[[], float]:
        smi = self._smi

        def power_w() -> float:
            try:
                value = smi.amdsmi_get_power_info(g.handle).get(g.power_key)
            except smi.AmdSmiException as err:
                raise MeterError(f"amdsmi power of gpu:{g.visible} ({g.name}) failed: {err}") from err
            if not isinstance(value, (int, float)):
                raise MeterError(f"amdsmi power of gpu:{g.visible} ({g.name}): {g.power_key} is "
                                 f"{value!r}")
            return float(value)

        return power_w

    def _spec(self, g: _Gpu) -> DomainSpec:
        boundary = (f"whole GPU {g.name} (visible index {g.visible}, PCI {g.bdf}, {g.uuid}): "
                    "socket power as the SMU reports it")
        if g.counter is not None:
            return DomainSpec(f"gpu:{g.visible}", "gpu", boundary, Provenance.MEASURED,
                              f"amdsmi:amdsmi_get_energy_count (×{g.resolution_uj:g} µJ/tick)")
        return DomainSpec(f"gpu:{g.visible}", "gpu", boundary, Provenance.INTEGRATED,
                          f"amdsmi:amdsmi_get_power_info[{g.power_key}] (trapezoid)")

    def describe(self) -> str:
        """What this meter reports and how, with its notes (fallbacks, counters not used)."""
        return super().describe() + (f"; {'; '.join(self.notes)}" if self.notes else "")

    def domains(self) -> Sequence[DomainSpec]:
        """The domains this meter reports."""
        return list(self._specs)

    def poll(self) -> None:
        """Sampler-thread entry: one power sample per GPU without an accumulator."""
        for g in self._gpus:
            if g.integrator is not None:
                g.integrator.poll()

    def _unwrap(self, g: _Gpu, ticks: int, t: float) -> float:
        c = g.counter
        assert c is not None and g.resolution_uj is not None
        if ticks < c.last_raw < 2**32:
            wrapped_j = (ticks + 2**32 - c.last_raw) * g.resolution_uj / 1e6
            # 1 s of slack so that reads close together never trip on clock granularity
            if wrapped_j <= MAX_PLAUSIBLE_POWER_W * (t - g.last_t + 1.0):
                c.wrap_at = float(2**32)
        try:
            total = c.update(ticks)
        except CounterError as err:
            raise CounterError(f"{err}; gpu:{g.visible} ({g.name})") from None
        finally:
            c.wrap_at = None
        g.last_t = t
        return total * g.resolution_uj / 1e6

    def read(self) -> Reading:
        """Cumulative energy per domain (J) since the meter was opened."""
        if self._closed:
            raise MeterError("amdsmi meter is closed")
        energy: dict[str, float] = {}
        with self._lock:
            t = self._clock()
            for g in self._gpus:
                dom = f"gpu:{g.visible}"
                if g.integrator is not None:
                    energy[dom] = g.integrator.energy_j()[1]
                    continue
                try:
                    ticks, _ = self._energy_ticks(g)
                except self._smi.AmdSmiException as err:
                    raise MeterError(f"amdsmi energy counter of {dom} ({g.name}) failed: {err}") from err
                energy[dom] = self._unwrap(g, ticks, t)
        return Reading(t, energy)

    def _shutdown(self) -> None:
        try:
            self._smi.amdsmi_shut_down()
        except Exception:  # noqa: BLE001 - shutdown failures are not actionable
            pass

    def close(self) -> None:
        """Release resources. Idempotent."""
        with self._lock:
            if not self._closed:
                self._closed = True
                self._shutdown()


def probe(options: Any = None) -> ProbeResult:
    """An :class:`AmdSmiMeter` over the visible AMD GPUs, or why there is none.

    Reads ``options.gpus``, ``options.interval_s``, ``options.environ`` and
    ``options.amdsmi`` (a module double for tests).
    """
    try:
        return AmdSmiMeter(option(options, "gpus", None),
                           interval_s=float(option(options, "interval_s", 0.1)),
                           amdsmi=option(options, "amdsmi", None), environ=environ_of(options))
    except MeterError as err:
        return Unavailable(str(err))
