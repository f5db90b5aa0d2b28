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
        settings: Source-specific settings by key (``redfish.url`` ...), for new sources.
    """

    components: frozenset[str]
    gpus: tuple[int, ...] | None = None
    powercap_root: str = "/sys/class/powercap"
    cgroup_root: str = "/sys/fs/cgroup"
    proc_root: str = "/proc"
    interval_s: float = 0.1
    chosen: tuple[Meter, ...] = ()
    settings: Mapping[str, Any] = field(default_factory=dict)

    def wants(self, *components: str) -> bool:
        """Whether any of ``components`` was asked for."""
        return any(c in self.components for c in components)
