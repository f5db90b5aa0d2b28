"""Power integration and the one background sampler thread an EnergyMeter may need.

Sources that only give power (NVML power usage on pre-Volta GPUs) are sampled and integrated
with the trapezoid rule; counters that can wrap more than once per window (RAPL with a short
wrap period) are polled so that no wrap is missed. Both are *polled sources*: an object with a
``poll_interval_s`` attribute (seconds, or None when it needs no polling) and a ``poll()``
method. One :class:`Sampler` thread per EnergyMeter serves all of them, each at its own
interval; it sleeps on a stop ``Event`` between polls (no busy wait, no thread per sample) and
is started only when some source needs polling.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import Protocol, runtime_checkable


@runtime_checkable
class Polled(Protocol):
    """A source that needs periodic polling."""

    poll_interval_s: float | None

    def poll(self) -> None:
        """Take one sample (called from the sampler thread)."""


class PowerIntegrator:
    """Cumulative energy from power samples, trapezoid rule. Thread-safe.

    Args:
        power_w: Returns the current power, W (may raise; the error is kept and re-raised on
            the next :meth:`energy_j`, so a failing source is never silently integrated as 0).
        clock: Monotonic clock, seconds.
    """

    def __init__(self, power_w: Callable[[], float], clock: Callable[[], float] = time.monotonic):
        self._power_w = power_w
        self._clock = clock
        self._lock = threading.Lock()
        self._energy_j = 0.0
        self._error: BaseException | None = None
        self.samples = 0
        p = power_w()
        self._last = (clock(), p)

    def sample(self) -> tuple[float, float]:
        """Take a power sample now and integrate since the previous one.

        Returns:
            (time s, cumulative energy J).
        """
        with self._lock:
            if self._error is not None:
                raise self._error
            try:
                p = self._power_w()
            except BaseException as err:  # kept for the reader thread
                self._error = err
                raise
            t = self._clock()
            t0, p0 = self._last
            if t > t0:
                self._energy_j += 0.5 * (p + p0) * (t - t0)
            self._last = (t, p)
            self.samples += 1
            return t, self._energy_j

    def poll(self) -> None:
        """Sampler-thread entry: sample, keeping (not raising) an error for the next reader."""
        try:
            self.sample()
        except BaseException:  # noqa: BLE001 - kept in self._error, raised to the reader
            pass

    def energy_j(self) -> tuple[float, float]:
        """A fresh sample and the cumulative energy, (time s, J); raises a kept source error."""
        return self.sample()


class Sampler:
    """One background thread polling several sources, each at its own interval.

    Args:
        sources: Objects with ``poll_interval_s`` and ``poll()``; those with an interval of
            None are ignored.
    """

    def __init__(self, sources: Sequence[Polled]) -> None:
        self._sources = [s for s in sources if getattr(s, "poll_interval_s", None)]
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def needed(self) -> bool:
        """Whether any source needs polling (the thread is started only then)."""
        return bool(self._sources)

    @property
    def running(self) -> bool:
        """Whether the sampler thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Start the thread if some source needs it and it is not running. Idempotent."""
        if not self._sources or self.running:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=_run, args=(self._sources, self._stop),
                                        name="wattprint-sampler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop and join the thread. Idempotent."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5.0)
        self._thread = None


def _run(sources: Sequence[Polled], stop: threading.Event) -> None:
    """Thread body (a function, so the thread holds no reference to its owner)."""
    now = time.monotonic()
    due = [now + float(s.poll_interval_s or 0.0) for s in sources]
    while True:
        wait_s = max(0.0, min(due) - time.monotonic())
        if stop.wait(wait_s):
            return
        now = time.monotonic()
        for i, s in enumerate(sources):
            if due[i] <= now:
                s.poll()
                interval = float(s.poll_interval_s or 0.0)
                due[i] += interval
                if due[i] <= now:  # fell behind (suspended process): resynchronise, no burst
                    due[i] = now + interval
