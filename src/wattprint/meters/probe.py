"""The meter plug-in contract: what a source's ``probe`` receives and returns.

Every energy source is one module with a function ``probe(options: ProbeOptions) -> Meter |
Unavailable``, listed by one line in :data:`wattprint.meters.detect.SOURCES`. ``probe`` opens
the source and returns a ready :class:`~wattprint.meters.base.Meter`, or an
:class:`Unavailable` saying why not (missing library, no device, permission). It raises
:class:`~wattprint.errors.MeterError` only when the user asked for this source explicitly
(e.g. ``gpus=[0]``) and it cannot deliver.

This module is stdlib-only so that detection stays cheap to import.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from wattprint.meters.base import Meter


@dataclass(frozen=True)
class Unavailable:
    """A source that cannot be used here.

    Attributes:
        reason: Why, in words a user can act on (what is missing, how to get it).
    """

    reason: str


@dataclass(frozen=True)
class HardwareOptions:
    """Where the hardware sources outside the default paths are (the CLI's hardware flags).

    A field left None leaves the source to its ``WATTPRINT_*`` environment variable, then to
    its default (see docs/hardware.md): flags reach the sources as these typed fields, the
    environment stays the way for shells and containers. Secrets are never fields: a BMC
    password comes from a credentials file or the environment.

    Attributes:
        hwmon_root: hwmon class directory (Intel GPU, Gaudi, Jetson, Grace sensors).
        redfish_url: The BMC's Redfish address (node wall power).
        redfish_credentials: File with the BMC's ``user:password``.
        redfish_chassis: Redfish chassis id.
        redfish_verify: TLS verification of the BMC: ``yes``, ``no`` or a CA bundle file.
        ipmi: Read node power from the local BMC with ipmitool (None: as the environment says).
        ipmi_host: A remote BMC read with ipmitool over lanplus.
        ipmi_credentials: File with the IPMI ``user:password``.
        prometheus_url: A DCGM exporter's, Kepler's or wattprint exporter's ``/metrics`` page.
        kepler_pods: Kepler pods to read, comma-separated ``namespace/name`` globs (None: all).
    """

    hwmon_root: str | None = None
    redfish_url: str | None = None
    redfish_credentials: str | None = None
    redfish_chassis: str | None = None
    redfish_verify: str | None = None
    ipmi: bool | None = None
    ipmi_host: str | None = None
    ipmi_credentials: str | None = None
    prometheus_url: str | None = None
    kepler_pods: str | None = None


@dataclass(frozen=True)
class ProbeOptions:
    """Everything a probe may need to open its source.

    Attributes:
        components: The components asked for (``gpu``, ``cpu``, ``dram``, ``ram`` ...).
        gpus: Visible GPU indices to measure; None = every visible GPU. An explicit list turns
            a failing GPU source into an error instead of a skip.
        powercap_root: The powercap class directory (RAPL), settable for containers and tests.
        cgroup_root: The cgroup filesystem mount (``/sys/fs/cgroup``), settable for tests.
        proc_root: The procfs mount (``/proc``), settable for tests.
        interval_s: Sampling interval for sources that must be polled, seconds.
        chosen: Meters already chosen by sources earlier in the table (a source may build on
            one, e.g. the CPU-time attribution of measured RAPL energy).
        settings: Source-specific settings by key, for new sources.
        hardware: Where the hardware sources outside the default paths are.
    """

    components: frozenset[str]
    gpus: tuple[int, ...] | None = None
    powercap_root: str = "/sys/class/powercap"
    cgroup_root: str = "/sys/fs/cgroup"
    proc_root: str = "/proc"
    interval_s: float = 0.1
    chosen: tuple[Meter, ...] = ()
    settings: Mapping[str, Any] = field(default_factory=dict)
    hardware: HardwareOptions = HardwareOptions()

    def wants(self, *components: str) -> bool:
        """Whether any of ``components`` was asked for."""
        return any(c in self.components for c in components)
