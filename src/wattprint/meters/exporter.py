"""Live telemetry: serve the meters' cumulative energy as Prometheus metrics.

Metrics (``prometheus_client``; labels ``domain``, ``provenance``, ``boundary``, ``scope``, and in
Kubernetes the pod's ``pod``, ``namespace``, ``container``, ``node``, ``pod_uid`` and
``container_id`` as far as :mod:`wattprint.meters.k8s` finds them)::

    wattprint_energy_joules_total   counter  cumulative energy since the exporter started, J
    wattprint_power_watts           gauge    average power over the last sampling interval, W
    wattprint_read_errors_total     counter  failed meter reads (the values then stay as they were)

A background thread reads every meter each ``interval_s`` (and polls power-only sources through
the one :class:`~wattprint.meters.sampled.Sampler`); a scrape returns the latest values without
touching the hardware, so many scrapers cost nothing more. Counters only grow: every meter
returns unwrapped, non-decreasing cumulative energy, and a failed read leaves the last value.
Sum energies only within one provenance and scope, as everywhere in wattprint.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from wattprint.errors import MeterError
from wattprint.meters.base import DomainSpec, Meter
from wattprint.meters.sampled import Sampler

ENERGY_METRIC = "wattprint_energy_joules"
POWER_METRIC = "wattprint_power_watts"
ERRORS_METRIC = "wattprint_read_errors"
LABELS = ("domain", "provenance", "boundary", "scope")


@dataclass(frozen=True)
class Sample:
    """The exporter's latest view of one domain.

    Attributes:
        spec: The domain.
        energy_j: Cumulative energy since the exporter started, J.
        power_w: Average power over the last interval, W (None before the second read).
    """

    spec: DomainSpec
    energy_j: float
    power_w: float | None


class TelemetryState:
    """Reads meters periodically and keeps the latest cumulative energy and power per domain.

    Args:
        meters: The meters to read (the caller opened them; :meth:`close` closes them).
        interval_s: Seconds between reads.
        clock: Monotonic clock, seconds.
    """

    def __init__(self, meters: Sequence[Meter], interval_s: float = 1.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.meters = list(meters)
        self.interval_s = interval_s
        self._clock = clock
        self._lock = threading.Lock()
        self._specs = {s.name: s for m in self.meters for s in m.domains()}
        self._energy: dict[str, float] = {}
        self._power: dict[str, float] = {}
        self._last: dict[str, tuple[float, float]] = {}
        self.errors = 0
        self.last_error = ""
        self._sampler = Sampler(self.meters)  # type: ignore[arg-type]
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def update(self) -> None:
        """Read every meter once; a failing meter keeps its last values and counts an error."""
        for m in self.meters:
            try:
                r = m.read()
            except MeterError as err:
                with self._lock:
                    self.errors += 1
                    self.last_error = f"{getattr(m, 'name', type(m).__name__)}: {err}"
                continue
            with self._lock:
                for dom, e in r.energy_j.items():
                    prev = self._last.get(dom)
                    if prev is not None and r.t_s > prev[0]:
                        self._power[dom] = (e - prev[1]) / (r.t_s - prev[0])
                    self._last[dom] = (r.t_s, e)
                    self._energy[dom] = e

    def samples(self) -> list[Sample]:
        """The latest values, one per domain read at least once."""
        with self._lock:
            return [Sample(self._specs[d], e, self._power.get(d)) for d, e in self._energy.items()]

    def start(self) -> None:
        """Take a first reading and start the reading thread (and the sampler if needed)."""
        self.update()
        self._sampler.start()
        self._thread = threading.Thread(target=self._run, name="wattprint-exporter", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.update()

    def close(self) -> None:
        """Stop the threads and close the meters. Idempotent."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5.0)
            self._thread = None
        self._sampler.stop()
        for m in self.meters:
            m.close()


class EnergyCollector:
    """A ``prometheus_client`` collector over a :class:`TelemetryState`.

    Args:
        state: The readings.
        labels: Constant labels added to every sample (the pod's, in Kubernetes).
    """

    def __init__(self, state: TelemetryState, labels: Mapping[str, str] | None = None) -> None:
        self.state = state
        self.labels = dict(labels or {})

    def collect(self) -> Iterator[Any]:
        """The metric families of the latest readings (prometheus_client calls this)."""
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

        names = [*LABELS, *self.labels]
        energy = CounterMetricFamily(ENERGY_METRIC, "Cumulative energy since the exporter "
                                     "started, joules (sum only within one provenance and scope)",
                                     labels=names)
        power = GaugeMetricFamily(POWER_METRIC, "Average power over the last sampling interval, "
                                  "watts", labels=names)
        extra = list(self.labels.values())
        for s in self.state.samples():
            labels = [s.spec.name, s.spec.provenance.value, s.spec.boundary, s.spec.scope, *extra]
            energy.add_metric(labels, s.energy_j)
            if s.power_w is not None:
                power.add_metric(labels, s.power_w)
        errors = CounterMetricFamily(ERRORS_METRIC, "Failed meter reads", labels=list(self.labels))
        errors.add_metric(extra, float(self.state.errors))
        yield energy
        yield power
        yield errors


def serve(state: TelemetryState, port: int, addr: str = "127.0.0.1",
          labels: Mapping[str, str] | None = None) -> tuple[Any, threading.Thread]:
    """Serve ``state`` on ``http://addr:port/metrics``; returns (server, thread).

    Args:
        state: The readings.
        port, addr: Where to listen.
        labels: Constant labels of every sample (see :class:`EnergyCollector`).

    Raises:
        MeterError: prometheus_client is missing, or the port cannot be bound.
    """
    try:
        from prometheus_client import CollectorRegistry, start_http_server
    except ImportError as err:
        raise MeterError("the exporter needs prometheus-client (pip install wattprint[telemetry])") from err
    registry = CollectorRegistry(auto_describe=False)
    registry.register(EnergyCollector(state, labels))
    try:
        return start_http_server(port, addr=addr, registry=registry)
    except OSError as err:
        raise MeterError(f"cannot serve metrics on {addr}:{port}: {err.strerror or err}") from err
