"""The environment fingerprint recorded with every result, and the hardware id.

The fingerprint says what machine and software produced a number: CPU model and cores, RAM,
GPUs and driver (through NVML when available), OS, Python, library versions and wattprint's
git commit. The *hardware id* hashes only the hardware (CPU model, GPU models, RAM), so the
same job on the same kind of machine gets the same job id anywhere.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import json
import os
import platform
import socket
import subprocess
from pathlib import Path
from typing import Any

LIBRARIES: tuple[str, ...] = ("torch", "transformers", "diffusers", "tokenizers", "numpy",
                              "nvidia-ml-py", "wattprint")


def cpu_model() -> str:
    """The CPU's model name (``/proc/cpuinfo`` on Linux, ``platform.processor()`` elsewhere)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def ram_bytes() -> int | None:
    """Total physical memory in bytes, or None when it cannot be read."""
    try:
        import psutil

        return int(psutil.virtual_memory().total)
    except Exception:  # psutil missing or unsupported platform
        return None


def gpus() -> dict[str, Any]:
    """GPU names, memory and driver via NVML; ``{"available": False, "reason": ...}`` without."""
    try:
        import pynvml
    except ImportError as err:
        return {"available": False, "reason": f"nvidia-ml-py not installed ({err})"}
    try:
        pynvml.nvmlInit()
    except Exception as err:  # NVMLError: no driver / no device
        return {"available": False, "reason": f"NVML unavailable: {err}"}
    try:
        driver = pynvml.nvmlSystemGetDriverVersion()
        devices = []
        for i in range(pynvml.nvmlDeviceGetCount()):
            h = pynvml.nvmlDeviceGetHandleByIndex(i)
            name = pynvml.nvmlDeviceGetName(h)
            mem = pynvml.nvmlDeviceGetMemoryInfo(h).total
            devices.append({"index": i, "name": name.decode() if isinstance(name, bytes) else name,
                            "memory_bytes": int(mem)})
        return {"available": True, "driver": driver.decode() if isinstance(driver, bytes) else driver,
                "devices": devices}
    except Exception as err:
        return {"available": False, "reason": f"NVML query failed: {err}"}
    finally:
        try:
            pynvml.nvmlShutdown()
        except Exception:
            pass


def library_versions() -> dict[str, str | None]:
    """Installed versions of the libraries that change results (None when not installed)."""
    out: dict[str, str | None] = {}
    for name in LIBRARIES:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = None
    return out


def wattprint_commit() -> str:
    """wattprint's git commit (with ``-dirty`` when the checkout has changes), else its version."""
    here = Path(__file__).resolve().parent
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True,
                                text=True, timeout=5, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=here,
                               capture_output=True, text=True, timeout=5).stdout.strip()
        return commit + ("-dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        try:
            return "version:" + importlib.metadata.version("wattprint")
        except importlib.metadata.PackageNotFoundError:
            return "unknown"


def hardware_id_of(cpu: str, gpu_names: list[str], ram: int | None) -> str:
    """Stable short id of a hardware configuration.

    RAM is rounded to whole GiB so that kernel reservations do not change the id.
    """
    ram_gib = None if ram is None else round(ram / 2**30)
    blob = json.dumps({"cpu": cpu, "gpus": sorted(gpu_names), "ram_gib": ram_gib}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:12]


@functools.lru_cache(maxsize=1)
def fingerprint() -> dict[str, Any]:
    """The environment fingerprint of this process's machine (computed once per process)."""
    gpu = gpus()
    names = [d["name"] for d in gpu.get("devices", [])]
    cpu = cpu_model()
    ram = ram_bytes()
    return {
        "hostname": socket.gethostname(),
        "cpu_model": cpu,
        "cpu_cores_logical": os.cpu_count(),
        "cpu_cores_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "ram_bytes": ram,
        "gpu": gpu,
        "os": f"{platform.system()} {platform.release()}",
        "platform": platform.platform(),
        "python": platform.python_version(),
        "libraries": library_versions(),
        "wattprint_commit": wattprint_commit(),
        "hardware_id": hardware_id_of(cpu, names, ram),
    }


def hardware_id() -> str:
    """This machine's hardware id (see :func:`hardware_id_of`)."""
    return str(fingerprint()["hardware_id"])
