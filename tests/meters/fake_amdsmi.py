"""A test double of the ``amdsmi`` (ROCm) Python functions wattprint calls, with the real names,
return shapes and error codes (amdsmi.h ``amdsmi_status_t``; ``AmdSmiLibraryException`` with
``get_error_code()``).

Only the vendor boundary is simulated: the real meter code runs unchanged on top of it.
"""

from __future__ import annotations

import types
from dataclasses import dataclass, field

AMDSMI_STATUS_SUCCESS = 0
AMDSMI_STATUS_INVAL = 1
AMDSMI_STATUS_NOT_SUPPORTED = 2
AMDSMI_STATUS_NO_PERM = 10
AMDSMI_STATUS_INIT_ERROR = 18

_INFO = {AMDSMI_STATUS_INVAL: "AMDSMI_STATUS_INVAL - Invalid parameters",
         AMDSMI_STATUS_NOT_SUPPORTED: "AMDSMI_STATUS_NOT_SUPPORTED - Feature not supported",
         AMDSMI_STATUS_NO_PERM: "AMDSMI_STATUS_NO_PERM - Permission Denied",
         AMDSMI_STATUS_INIT_ERROR: "AMDSMI_STATUS_INIT_ERROR - Initialization error"}


class AmdSmiException(Exception):
    """Base smi exception class"""


class AmdSmiLibraryException(AmdSmiException):
    def __init__(self, err_code: int) -> None:
        err_code = abs(err_code)
        super().__init__(err_code)
        self.err_code = err_code
        self.err_info = _INFO.get(err_code, "AMDSMI_STATUS_UNKNOWN_ERROR - An unknown error occurred")

    def __str__(self) -> str:
        return f"An error occured with code: {self.err_code}({self.err_info})"

    def get_error_info(self) -> str:
        return self.err_info

    def get_error_code(self) -> int:
        return self.err_code


@dataclass
class FakeAmdGpu:
    market_name: str = "AMD Instinct MI300X"
    uuid: str = "00ff74a1-0000-1000-80c0-b9b37e5b3f4e"
    bdf: str = "0000:05:00.0"
    ticks: int | None = 1_000_000          # None: NOT_SUPPORTED (no accumulator)
    resolution_uj: float = 15.259
    energy_key: str = "energy_accumulator"  # "power" in ROCm 6.0-6.2
    power: dict = field(default_factory=lambda: {"socket_power": "N/A", "current_socket_power": 300,
                                                 "average_socket_power": "N/A", "power_limit": 750})
    hip_id: int | None = None               # amdsmi_get_gpu_enumeration_info; None: absent
    fail: int | None = None                 # an error code every energy/power read raises


def make(gpus: list[FakeAmdGpu], init_error: int | None = None,
         enumeration: bool = True) -> types.ModuleType:
    """Build a fake ``amdsmi`` module over ``gpus``; ``mod.calls`` counts calls by name."""
    mod = types.ModuleType("amdsmi")
    mod.AmdSmiException = AmdSmiException
    mod.AmdSmiLibraryException = AmdSmiLibraryException
    mod.gpus = gpus
    mod.calls = {}
    mod.initialised = 0

    def count(name):
        mod.calls[name] = mod.calls.get(name, 0) + 1

    def amdsmi_init(flags=None):
        count("amdsmi_init")
        if init_error is not None:
            raise AmdSmiLibraryException(init_error)
        mod.initialised += 1

    def amdsmi_shut_down():
        count("amdsmi_shut_down")
        mod.initialised -= 1

    def amdsmi_get_processor_handles():
        return list(gpus)

    def amdsmi_get_gpu_device_uuid(h):
        return h.uuid

    def amdsmi_get_gpu_device_bdf(h):
        return h.bdf

    def amdsmi_get_gpu_asic_info(h):
        return {"market_name": h.market_name, "vendor_id": "0x1002", "device_id": "0x74a1"}

    def amdsmi_get_gpu_enumeration_info(h):
        if h.hip_id is None:
            raise AmdSmiLibraryException(AMDSMI_STATUS_NOT_SUPPORTED)
        return {"drm_card": 0, "drm_render": 128, "hsa_id": 2, "hip_id": h.hip_id,
                "hip_uuid": "GPU-" + h.uuid[:16]}

    def amdsmi_get_energy_count(h):
        count("amdsmi_get_energy_count")
        if h.fail is not None:
            raise AmdSmiLibraryException(h.fail)
        if h.ticks is None:
            raise AmdSmiLibraryException(AMDSMI_STATUS_NOT_SUPPORTED)
        return {h.energy_key: h.ticks, "counter_resolution": h.resolution_uj,
                "timestamp": 1_700_000_000_000_000_000}

    def amdsmi_get_power_info(h):
        count("amdsmi_get_power_info")
        if h.fail is not None:
            raise AmdSmiLibraryException(h.fail)
        return dict(h.power)

    fns = [amdsmi_init, amdsmi_shut_down, amdsmi_get_processor_handles, amdsmi_get_gpu_device_uuid,
           amdsmi_get_gpu_device_bdf, amdsmi_get_gpu_asic_info, amdsmi_get_energy_count,
           amdsmi_get_power_info]
    if enumeration:
        fns.append(amdsmi_get_gpu_enumeration_info)
    for f in fns:
        setattr(mod, f.__name__, f)
    return mod
