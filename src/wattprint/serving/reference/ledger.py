"""The reference engine's energy, known by construction: idle power plus each step's energy.

A step's dynamic energy is added at a constant rate over its planned duration, from the moment
it starts; if it ends after its planned end (the event loop was late), the rest is added when
it ends. Every change is mirrored (:class:`~.counter.LedgerMirror`) for the counter's writer
process; the engine reads the ledger itself.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from wattprint.serving.reference.counter import LedgerMirror, energy_at


class EnergyLedger:
    """Cumulative energy of the simulated machine since ``t0_s``.

    Args:
        idle_power_w: Constant power, W.
        mirror: Where to publish the state for the counter's writer process (None: nowhere).
        clock: Monotonic clock, s (the writer uses ``time.monotonic``).
    """

    def __init__(self, idle_power_w: float, mirror: LedgerMirror | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.idle_power_w = idle_power_w
        self._clock = clock
        self._mirror = mirror
        self.t0_s = clock()
        self._lock = threading.Lock()
        self._done_j = 0.0
        self._busy_done_s = 0.0
        self._step: tuple[float, float, float] | None = None  # (start s, J, planned s)
        self._publish()

    def _state(self) -> tuple[float, ...]:
        start, j, planned = self._step if self._step is not None else (-1.0, 0.0, 0.0)
        return (0.0, self.t0_s, self.idle_power_w, self._done_j, self._busy_done_s, start, j,
                planned)

    def _publish(self) -> None:
        if self._mirror is not None:
            self._mirror.write(*self._state()[1:])

    def begin_step(self, energy_j: float, planned_s: float) -> float:
        """Start a step that will cost ``energy_j`` over ``planned_s`` seconds; returns its start."""
        with self._lock:
            t = self._clock()
            self._step = (t, energy_j, planned_s)
            self._publish()
            return t

    def end_step(self) -> float:
        """End the running step (all its energy is then counted); returns the end time."""
        with self._lock:
            t = self._clock()
            if self._step is not None:
                start, j, _ = self._step
                self._done_j += j
                self._busy_done_s += t - start
                self._step = None
                self._publish()
            return t

    def read(self) -> tuple[float, float, float]:
        """(time s, cumulative energy J, cumulative busy time s) now."""
        with self._lock:
            t = self._clock()
            e, busy = energy_at(self._state(), t)
            return t, e, busy

    @property
    def dynamic_j(self) -> float:
        """Dynamic energy of the finished steps, J."""
        with self._lock:
            return self._done_j
