"""The reference engine's energy, known by construction: idle power plus each step's energy.

A step's dynamic energy is added at a constant rate over its planned duration, from the moment
it starts; if the step ends before its planned end (it never does: steps are slept) or after it
(the event loop was late), the rest is added when it ends. The ledger is read by the counter
thread while the engine's event loop writes it, so it holds a lock.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class EnergyLedger:
    """Cumulative energy of the simulated machine since ``t0_s``.

    Args:
        idle_power_w: Constant power, W.
        clock: Monotonic clock, s.
    """

    def __init__(self, idle_power_w: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.idle_power_w = idle_power_w
        self._clock = clock
        self.t0_s = clock()
        self._lock = threading.Lock()
        self._done_j = 0.0
        self._busy_done_s = 0.0
        self._step: tuple[float, float, float] | None = None  # (start s, J, planned s)

    def begin_step(self, energy_j: float, planned_s: float) -> float:
        """Start a step that will cost ``energy_j`` over ``planned_s`` seconds; returns its start."""
        with self._lock:
            t = self._clock()
            self._step = (t, energy_j, planned_s)
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
            return t

    def read(self) -> tuple[float, float, float]:
        """(time s, cumulative energy J, cumulative busy time s) now."""
        with self._lock:
            t = self._clock()
            e = self.idle_power_w * (t - self.t0_s) + self._done_j
            busy = self._busy_done_s
            if self._step is not None:
                start, j, planned = self._step
                frac = 1.0 if planned <= 0 else min(1.0, max(0.0, (t - start) / planned))
                e += j * frac
                busy += max(0.0, t - start)
            return t, e, busy

    @property
    def dynamic_j(self) -> float:
        """Dynamic energy of the finished steps, J."""
        with self._lock:
            return self._done_j
