"""A power timeline over a load point: cumulative meter readings sampled at a fixed rate.

The timeline reads every meter of an :class:`~wattprint.meters.EnergyMeter` (and any extra
meters, e.g. the launched engine's process tree) every ``interval_s`` (10 Hz by default) in one
background thread, plus one read at :meth:`start` and one at :meth:`stop`. Energies between any
two times come from the cumulative counters, linearly interpolated between reads.

The *basis* of a timeline is the set of domains energy is attributed from: the most trustworthy
provenance present among machine- and device-scope domains (process-scope domains overlap them
and are never added). Provenances are never mixed.
"""

from __future__ import annotations

import bisect
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from wattprint.errors import MeterError
from wattprint.meters.base import OVERLAPPING_SCOPES, DomainSpec, Meter, Provenance


@dataclass(frozen=True)
class Basis:
    """The domains energy is taken from.

    Attributes:
        provenance: Their common provenance.
        domains: Domain names (summed).
        boundary: What they cover, in words.
    """

    provenance: Provenance
    domains: tuple[str, ...]
    boundary: str


def choose_basis(specs: Sequence[DomainSpec]) -> Basis:
    """The best-provenance set of device- and machine-scope domains (process shares and the
    BMC's whole-node domain overlap them and are left out).

    Raises:
        MeterError: no machine- or device-scope domain.
    """
    whole = [s for s in specs if s.scope not in OVERLAPPING_SCOPES]
    for prov in Provenance:
        chosen = [s for s in whole if s.provenance is prov]
        if chosen:
            return Basis(prov, tuple(s.name for s in chosen),
                         "; ".join(f"{s.name}: {s.boundary}" for s in chosen))
    raise MeterError("no machine- or device-scope energy domain to attribute from "
                     f"(domains: {[s.name for s in specs]})")


class PowerTimeline:
    """Sample cumulative energy of ``meters`` every ``interval_s`` seconds.

    Args:
        meters: Meters to read (their readings are cumulative joules).
        interval_s: Sampling period, seconds (0.1 = 10 Hz).
        clock: Monotonic clock; the meters' own ``t_s`` is used for each sample.
    """

    def __init__(self, meters: Sequence[Meter], interval_s: float = 0.1,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if not interval_s > 0:
            raise MeterError(f"power timeline interval must be > 0 s, got {interval_s!r}")
        self._meters = list(meters)
        self.interval_s = interval_s
        self._clock = clock
        self.specs: list[DomainSpec] = [s for m in self._meters for s in m.domains()]
        self.times_s: list[float] = []
        self.energy_j: list[dict[str, float]] = []
        self.errors: list[str] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def _sample(self) -> None:
        t = self._clock()
        e: dict[str, float] = {}
        for m in self._meters:
            e.update(m.read().energy_j)
        with self._lock:
            if self.times_s and t <= self.times_s[-1]:
                return
            self.times_s.append(t)
            self.energy_j.append(e)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self._sample()
            except MeterError as err:  # a failed read is a gap, recorded, never a zero
                self.errors.append(str(err))

    def start(self) -> None:
        """Take the first sample and start the sampling thread."""
        self._sample()
        self._thread = threading.Thread(target=self._loop, name="wattprint-power-timeline", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread and take the last sample."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self._sample()

    def series(self, domains: Sequence[str]) -> tuple[list[float], list[float]]:
        """(times s, cumulative J summed over ``domains``) of every sample."""
        with self._lock:
            return list(self.times_s), [sum(e[d] for d in domains) for e in self.energy_j]

    def energy_between(self, domains: Sequence[str], t0: float, t1: float) -> float:
        """Energy (J) of ``domains`` between two times inside the timeline (interpolated)."""
        ts, es = self.series(domains)
        return _interp(ts, es, t1) - _interp(ts, es, t0)

    def window(self, domains: Sequence[str], t0: float, t1: float
               ) -> tuple[list[float], list[float]]:
        """(times s, cumulative J over ``domains``) from ``t0`` to ``t1``: the samples strictly
        between them, with the two edges interpolated, so that consecutive windows share their
        edge values and their energies add up exactly.

        Raises:
            MeterError: the timeline does not cover ``[t0, t1]`` (no sample at or before ``t0``,
                or none at or after ``t1``).
        """
        ts, es = self.series(domains)
        if not ts or ts[0] > t0 or ts[-1] < t1:
            raise MeterError(f"the power timeline does not cover {t0:.3f}-{t1:.3f} s "
                             f"({'no samples' if not ts else f'{ts[0]:.3f}-{ts[-1]:.3f} s'})")
        lo, hi = bisect.bisect_right(ts, t0), bisect.bisect_left(ts, t1)
        return ([t0, *ts[lo:hi], t1],
                [_interp(ts, es, t0), *es[lo:hi], _interp(ts, es, t1)])

    def discard_before(self, t_s: float) -> None:
        """Forget samples older than ``t_s``, keeping the last one at or before it (a long-running
        timeline, the proxy's, would otherwise grow without bound)."""
        with self._lock:
            k = bisect.bisect_right(self.times_s, t_s) - 1
            if k > 0:
                del self.times_s[:k]
                del self.energy_j[:k]

    def power_w(self, domains: Sequence[str]) -> list[tuple[float, float]]:
        """Average power (W) of ``domains`` per sample interval, at each interval's midpoint."""
        ts, es = self.series(domains)
        return [((a + b) / 2, (eb - ea) / (b - a)) for a, b, ea, eb in zip(ts, ts[1:], es, es[1:])]


def _interp(ts: list[float], es: list[float], t: float) -> float:
    if not ts:
        raise MeterError("the power timeline has no samples")
    if t <= ts[0]:
        return es[0]
    if t >= ts[-1]:
        return es[-1]
    i = bisect.bisect_right(ts, t)
    a, b = ts[i - 1], ts[i]
    return es[i - 1] + (es[i] - es[i - 1]) * (t - a) / (b - a)
