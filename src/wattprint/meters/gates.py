"""Cheap preconditions of the energy sources, decided without importing their modules.

Detection asks every source of :data:`wattprint.meters.detect.SOURCES` at each
``EnergyMeter`` start. Importing a source's module costs a few milliseconds (its meter
classes, ``subprocess``, ``urllib`` ...), and on most machines most sources cannot apply: no
NVIDIA driver, not macOS, no BMC named. A source's row may name a gate here: a function
``gate(options) -> reason | None`` that says, from a file's existence, the platform or an
option, why the source cannot apply. Detection imports the source's module only when its
gate lets it through, and the source's own ``probe`` asks the same gate first, so the reason
a user reads is the same either way.

Stdlib-only, like :mod:`wattprint.meters.probe`.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any

from wattprint.meters.hwprobe import environ_of, option

Gate = Callable[[Any], "str | None"]
"""``gate(options) -> why the source cannot apply, or None when it might``."""

HWMON_ROOT = "/sys/class/hwmon"


def nvidia_driver_absent() -> str:
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


def amd_driver_absent() -> str:
    """Why amdsmi cannot work here without importing it, or "" when it might."""
    if "amdsmi" in sys.modules:
        return ""
    if not os.path.exists("/dev/kfd"):
        return "no AMD GPU driver loaded (/dev/kfd is absent)"
    return ""


def nvidia(options: Any) -> str | None:
    """Gate of the NVML source (an explicit GPU list still gets the error, from detection)."""
    why = nvidia_driver_absent()
    return f"NVML unavailable: {why}" if why else None


def amd(options: Any) -> str | None:
    """Gate of the amdsmi source."""
    why = amd_driver_absent()
    return f"amdsmi unavailable: {why}" if why else None


def hwmon_root(options: Any) -> str:
    """The hwmon class directory a probe reads: ``options.hwmon_root`` (``--hwmon-root``),
    else ``$WATTPRINT_HWMON_ROOT``, else ``/sys/class/hwmon``."""
    return str(option(options, "hwmon_root", environ_of(options).get("WATTPRINT_HWMON_ROOT")
                      or HWMON_ROOT))


def hwmon(options: Any) -> str | None:
    """Gate of the hwmon sources (Intel GPU, Gaudi, Jetson, Grace): the directory exists."""
    root = hwmon_root(options)
    if os.path.isdir(root):
        return None
    return (f"no hwmon directory at {root} (not Linux, or not mounted in this container; see "
            "--hwmon-root)")


def macos(options: Any) -> str | None:
    """Gate of the Apple silicon source."""
    if sys.platform == "darwin":
        return None
    return f"not macOS ({sys.platform}): Apple silicon energy is read on macOS only"


def prometheus_url(options: Any) -> str | None:
    """Gate of the Prometheus source: an endpoint is named."""
    if option(options, "prometheus_url", None) or environ_of(options).get(
            "WATTPRINT_PROMETHEUS_URL"):
        return None
    return ("no endpoint configured (--prometheus-url or $WATTPRINT_PROMETHEUS_URL: a DCGM "
            "exporter, Kepler or a wattprint exporter)")


def redfish_url(options: Any) -> str | None:
    """Gate of the Redfish source: a BMC is named."""
    if option(options, "redfish_url", None) or environ_of(options).get("WATTPRINT_REDFISH_URL"):
        return None
    return ("no BMC configured (--redfish-url or $WATTPRINT_REDFISH_URL); node wall power is "
            "read only from a BMC you name")


def ipmi_asked(options: Any) -> str | None:
    """Gate of the IPMI source: opt-in (``--ipmi``, ``--ipmi-host`` or the environment)."""
    env = environ_of(options)
    host = option(options, "ipmi_host", None) or env.get("WATTPRINT_IPMI_HOST")
    asked = option(options, "ipmi", env.get("WATTPRINT_IPMI", "") not in ("", "0"))
    if host or asked:
        return None
    return ("not asked for (--ipmi for the local BMC, or --ipmi-host / $WATTPRINT_IPMI_HOST "
            "for a remote one)")


def powercap(options: Any) -> str | None:
    """Gate of the RAPL source: the powercap class directory exists."""
    root = options.powercap_root
    if os.path.isdir(root):
        return None
    return (f"no powercap directory at {root} (no RAPL on this machine, or it is not mounted in "
            "this container; see --powercap-root)")


def measured_packages(meter: Any) -> list[str]:
    """The domains of ``meter`` that measure CPU package energy (``cpu:0`` ...)."""
    return [d.name for d in meter.domains()
            if d.component == "cpu" and d.scope == "device" and d.provenance.value == "measured"]


def measured_cpu(options: Any) -> str | None:
    """Gate of the CPU-time attribution: a meter chosen before measures CPU package energy."""
    if any(measured_packages(m) for m in options.chosen):
        return None
    return "no measured CPU package energy to attribute"
