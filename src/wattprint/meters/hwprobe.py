"""What the hardware sources share: option lookup for their probes, and counter unwrapping.

Every source module (``amd``, ``intel_gpu``, ``gaudi``, ``jetson``, ``grace``, ``apple``,
``redfish``, ``ipmi``, ``prometheus_source``) exposes ``probe(options) -> Meter | Unavailable``:
it opens its meter when the hardware is there and otherwise says why not, without raising.
``options`` is the detection's :class:`~wattprint.meters.probe.ProbeOptions` (or, in tests, a
plain mapping); a missing option takes the source's default, so a source never depends on
options it does not use. ``Unavailable`` is re-exported from :mod:`wattprint.meters.probe`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any

from wattprint.errors import CounterError, MeterError
from wattprint.meters.base import Meter
from wattprint.meters.probe import Unavailable

ProbeResult = Meter | Unavailable

__all__ = ["MonotonicCounter", "ProbeResult", "Unavailable", "environ_of", "guarded", "option"]


def option(options: Any, name: str, default: Any) -> Any:
    """A probe option: ``options.name``, else ``options.hardware.name`` (the typed hardware
    options), else ``options.settings[name]`` (source-specific settings), or ``options[name]``
    for a plain mapping; ``default`` when absent or None."""
    if options is None:
        return default
    if isinstance(options, Mapping):
        value = options.get(name)
    else:
        value = getattr(options, name, None)
        if value is None:
            value = getattr(getattr(options, "hardware", None), name, None)
        settings = getattr(options, "settings", None)
        if value is None and isinstance(settings, Mapping):
            value = settings.get(name)
    return default if value is None else value


def environ_of(options: Any) -> Mapping[str, str]:
    """The environment the probe reads (``options.environ``; ``os.environ`` by default)."""
    env: Mapping[str, str] = option(options, "environ", os.environ)
    return env


def guarded(opener: Callable[[], Meter]) -> ProbeResult:
    """Run ``opener``; a MeterError becomes :class:`Unavailable` with its message."""
    try:
        return opener()
    except MeterError as err:
        return Unavailable(str(err))


class MonotonicCounter:
    """Turns successive raw reads of a hardware counter into a total that only grows.

    Args:
        what: Names the counter in error messages (file, device).
        first_raw: The first raw value (the zero of the total).
        wrap_at: The counter's modulus (it wraps to 0 there); None when it never wraps, in
            which case going backwards is an error.
    """

    def __init__(self, what: str, first_raw: float, wrap_at: float | None = None) -> None:
        self.what = what
        self.wrap_at = wrap_at
        self.last_raw = first_raw
        self.total = 0.0
        self.wraps = 0

    def update(self, raw: float) -> float:
        """Account for a new raw value; returns the total since the first read (raw units).

        Raises:
            CounterError: The counter went backwards and cannot have wrapped.
        """
        delta = raw - self.last_raw
        if delta < 0:
            if self.wrap_at is None:
                raise CounterError(f"{self.what} went backwards from {self.last_raw:g} to "
                                   f"{raw:g} (device reset or driver reloaded?)")
            delta += self.wrap_at
            self.wraps += 1
        self.total += delta
        self.last_raw = raw
        return self.total
