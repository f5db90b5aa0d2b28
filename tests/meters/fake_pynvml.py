"""A test double of the nvidia-ml-py (``pynvml``) functions wattprint calls, with the real names.

Only the vendor boundary is simulated: the real meter code runs unchanged on top of it.
"""

from __future__ import annotations

import types
from dataclasses import dataclass
from typing import Any

NVML_SUCCESS = 0
NVML_ERROR_NOT_SUPPORTED = 3
NVML_ERROR_DRIVER_NOT_LOADED = 9
NVML_ERROR_LIBRARY_NOT_FOUND = 12
NVML_ERROR_GPU_IS_LOST = 15

_STRINGS = {NVML_ERROR_NOT_SUPPORTED: "Not Supported", NVML_ERROR_DRIVER_NOT_LOADED: "Driver Not Loaded",
            NVML_ERROR_LIBRARY_NOT_FOUND: "NVML Shared Library Not Found",
            NVML_ERROR_GPU_IS_LOST: "GPU is lost"}


class NVMLError(Exception):
    def __init__(self, value: int) -> None:
        super().__init__(value)
        self.value = value

    def __str__(self) -> str:
        return _STRINGS.get(self.value, f"NVML error {self.value}")


@dataclass
class FakeGpu:
    name: str
    uuid: str
    energy_mj: int | None = 0        # None: no energy counter (pre-Volta)
    power_mw: int = 100_000
    fail: int | None = None          # an NVML error code every read raises
    cc: tuple[int, int] = (8, 0)     # CUDA compute capability
    mig: int = 0                     # current MIG mode (1 = enabled)
    pids: Any = ()                   # processes with a compute context (or a callable)
    temperature_c: int = 40
    sm_clock_mhz: int = 1410
    util_gpu: int = 0                # percent
    throttle: int = 0                # nvmlClocksThrottleReason bitmask
    power_limits_mw: tuple[int, int] = (100_000, 400_000)


def make(gpus: list[FakeGpu], init_error: int | None = None) -> types.ModuleType:
    """Build a fake ``pynvml`` module over ``gpus``; ``mod.calls`` counts calls by name."""
    mod = types.ModuleType("pynvml")
    mod.NVMLError = NVMLError
    mod.NVML_ERROR_NOT_SUPPORTED = NVML_ERROR_NOT_SUPPORTED
    mod.NVML_ERROR_GPU_IS_LOST = NVML_ERROR_GPU_IS_LOST
    mod.gpus = gpus
    mod.calls = {}
    mod.initialised = 0

    def count(name):
        mod.calls[name] = mod.calls.get(name, 0) + 1

    def nvmlInit():
        count("nvmlInit")
        if init_error is not None:
            raise NVMLError(init_error)
        mod.initialised += 1

    def nvmlShutdown():
        count("nvmlShutdown")
        mod.initialised -= 1

    def nvmlDeviceGetCount():
        return len(gpus)

    def nvmlDeviceGetHandleByIndex(i):
        if not 0 <= i < len(gpus):
            raise NVMLError(2)
        return gpus[i]

    def nvmlDeviceGetName(h):
        return h.name

    def nvmlDeviceGetUUID(h):
        return h.uuid

    def nvmlDeviceGetTotalEnergyConsumption(h):
        count("nvmlDeviceGetTotalEnergyConsumption")
        if h.fail is not None:
            raise NVMLError(h.fail)
        if h.energy_mj is None:
            raise NVMLError(NVML_ERROR_NOT_SUPPORTED)
        return h.energy_mj

    def nvmlDeviceGetPowerUsage(h):
        count("nvmlDeviceGetPowerUsage")
        if h.fail is not None:
            raise NVMLError(h.fail)
        return h.power_mw

    def nvmlDeviceGetCudaComputeCapability(h):
        return h.cc

    def nvmlDeviceGetMigMode(h):
        return (h.mig, h.mig)

    def nvmlDeviceGetComputeRunningProcesses(h):
        pids = h.pids() if callable(h.pids) else h.pids
        return [types.SimpleNamespace(pid=p, usedGpuMemory=0) for p in pids]

    def nvmlDeviceGetGraphicsRunningProcesses(h):
        return []

    def nvmlDeviceGetTemperature(h, sensor):
        return h.temperature_c

    def nvmlDeviceGetClockInfo(h, clock):
        return h.sm_clock_mhz

    def nvmlDeviceGetUtilizationRates(h):
        return types.SimpleNamespace(gpu=h.util_gpu, memory=0)

    def nvmlDeviceGetCurrentClocksThrottleReasons(h):
        return h.throttle

    def nvmlDeviceGetPowerManagementLimitConstraints(h):
        return h.power_limits_mw

    mod.NVML_TEMPERATURE_GPU = 0
    mod.NVML_CLOCK_SM = 1
    for f in (nvmlInit, nvmlShutdown, nvmlDeviceGetCount, nvmlDeviceGetHandleByIndex,
              nvmlDeviceGetName, nvmlDeviceGetUUID, nvmlDeviceGetTotalEnergyConsumption,
              nvmlDeviceGetPowerUsage, nvmlDeviceGetCudaComputeCapability, nvmlDeviceGetMigMode,
              nvmlDeviceGetComputeRunningProcesses, nvmlDeviceGetGraphicsRunningProcesses,
              nvmlDeviceGetTemperature, nvmlDeviceGetClockInfo, nvmlDeviceGetUtilizationRates,
              nvmlDeviceGetCurrentClocksThrottleReasons,
              nvmlDeviceGetPowerManagementLimitConstraints):
        setattr(mod, f.__name__, f)
    return mod
