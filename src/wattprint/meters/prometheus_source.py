"""Energy read from a Prometheus endpoint that a cluster already runs.

Two exporters are understood (``options.prometheus_url``, or ``$WATTPRINT_PROMETHEUS_URL``: the
exporter's own ``/metrics`` page, scraped directly, not a Prometheus server's query API):

* NVIDIA DCGM exporter: ``DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION`` (mJ since the driver loaded,
  NVML's counter; labels ``gpu``, ``UUID``, ``Hostname``, ``modelName``) → ``measured``,
  domains ``gpu:<Hostname>/<gpu>``. The exporter refreshes its values every collection
  interval (``-c``, 30 s by default), so the counter moves in steps of that interval; the
  domain's update period says so and short windows get the EnergyMeter's coarse warning.
* wattprint's own exporter (``wattprint exporter``) on another host:
  ``wattprint_energy_joules_total`` with its ``domain``/``provenance``/``boundary``/``scope``
  labels, kept as they are (a remote ``integrated`` domain stays ``integrated``), domains
  ``<domain>@<host:port>``.

The scrape is parsed with ``prometheus_client``'s text parser. A counter that goes backwards
(exporter or driver restarted) raises :class:`~wattprint.errors.CounterError`.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from wattprint.errors import CounterError, MeterError
from wattprint.meters.base import DomainSpec, Meter, Provenance, Reading
from wattprint.meters.gates import prometheus_url
from wattprint.meters.hwprobe import (
    MonotonicCounter,
    ProbeResult,
    Unavailable,
    environ_of,
    option,
)

SOURCE = "prometheus"
DCGM_ENERGY = "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION"
WATTPRINT_ENERGY = "wattprint_energy_joules"
DCGM_COLLECT_INTERVAL_S = 30.0
"""dcgm-exporter's default collection interval (``-c 30000`` ms)."""
TIMEOUT_S = 5.0


def scrape(url: str, timeout_s: float = TIMEOUT_S) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """One scrape of ``url``: (sample name, sorted labels) → value.

    Raises:
        MeterError: The endpoint cannot be reached, answers an error, or is not Prometheus text.
    """
    try:
        import requests
        from prometheus_client.parser import text_string_to_metric_families
    except ImportError as err:
        raise MeterError("the Prometheus source needs requests and prometheus-client "
                         "(pip install wattprint[telemetry])") from err
    try:
        resp = requests.get(url, timeout=timeout_s, headers={"Accept": "text/plain"})
    except requests.RequestException as err:
        raise MeterError(f"Prometheus scrape of {url} failed: {type(err).__name__}: {err}") from err
    if resp.status_code != 200:
        raise MeterError(f"Prometheus scrape of {url}: HTTP {resp.status_code}")
    out: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
    try:
        for fam in text_string_to_metric_families(resp.text):
            for s in fam.samples:
                out[(s.name, tuple(sorted(s.labels.items())))] = float(s.value)
    except ValueError as err:
        raise MeterError(f"Prometheus scrape of {url}: not the Prometheus text format ({err})") from err
    return out


@dataclass(frozen=True)
class _Series:
    spec: DomainSpec
    key: tuple[str, tuple[tuple[str, str], ...]]
    to_j: float


def _series(url: str, values: Mapping[tuple[str, tuple[tuple[str, str], ...]], float]) -> list[_Series]:
    host = urlparse(url).netloc or url
    out: list[_Series] = []
    for (name, labels), _v in sorted(values.items()):
        lab = dict(labels)
        if name in (DCGM_ENERGY, DCGM_ENERGY + "_total"):  # the parser appends _total to counters
            who = f"{lab.get('Hostname', host)}/{lab.get('gpu', '?')}"
            spec = DomainSpec(
                f"gpu:{who}", "gpu",
                f"whole GPU {lab.get('modelName', '')} {lab.get('UUID', '')} on "
                f"{lab.get('Hostname', host)} (DCGM exporter at {url}): board power as NVML reports it",
                Provenance.MEASURED, f"prometheus:{url} {DCGM_ENERGY} (mJ)")
            out.append(_Series(spec, (name, labels), 1e-3))
        elif name == WATTPRINT_ENERGY + "_total" and "domain" in lab:
            try:
                prov = Provenance(lab.get("provenance", ""))
            except ValueError:
                continue  # an attributed or unknown provenance: not a meter reading
            if prov is Provenance.ESTIMATED:
                continue  # an estimate needs its model, which the exporter does not carry
            spec = DomainSpec(f"{lab['domain']}@{host}", lab["domain"].split(":")[0],
                              f"{lab.get('boundary', '')} (wattprint exporter at {url})", prov,
                              f"prometheus:{url} {WATTPRINT_ENERGY}_total",
                              scope=lab.get("scope", "device"))
            out.append(_Series(spec, (name, labels), 1.0))
    return sorted(out, key=lambda s: [int(p) if p.isdigit() else p
                                      for p in re.split(r"(\d+)", s.spec.name)])


class PrometheusMeter(Meter):
    """Energy counters read from a Prometheus exporter (J).

    Args:
        url: The exporter's metrics page (``http://node:9400/metrics``).
        clock: Monotonic clock, seconds.

    Raises:
        MeterError: The endpoint fails, or exposes no energy counter wattprint understands.
    """

    name = SOURCE

    def __init__(self, url: str, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.url = url
        self._clock = clock
        self._lock = threading.Lock()
        self._closed = False
        values = scrape(url)
        self._series = _series(url, values)
        if not self._series:
            raise MeterError(f"{url} exposes neither {DCGM_ENERGY} (DCGM exporter; enable it in "
                             f"its counters CSV) nor {WATTPRINT_ENERGY}_total (wattprint exporter)")
        self._counters = {s.spec.name: MonotonicCounter(f"{s.key[0]} {dict(s.key[1])} at {url}",
                                                        values[s.key]) for s in self._series}
        dcgm = any(s.key[0].startswith(DCGM_ENERGY) for s in self._series)
        self.update_period_s = DCGM_COLLECT_INTERVAL_S if dcgm else 1.0

    def domains(self) -> Sequence[DomainSpec]:
        """The domains this meter reports."""
        return [s.spec for s in self._series]

    def read(self) -> Reading:
        """Cumulative energy per domain (J) since the meter was opened."""
        if self._closed:
            raise MeterError("Prometheus meter is closed")
        with self._lock:
            t = self._clock()
            values = scrape(self.url)
            out: dict[str, float] = {}
            for s in self._series:
                if s.key not in values:
                    raise MeterError(f"{self.url} no longer exposes {s.key[0]}{dict(s.key[1])}")
                try:
                    out[s.spec.name] = self._counters[s.spec.name].update(values[s.key]) * s.to_j
                except CounterError as err:
                    raise CounterError(f"{err} (exporter restarted?)") from None
        return Reading(t, out)

    def close(self) -> None:
        """Release resources. Idempotent."""
        self._closed = True


def probe(options: Any = None) -> ProbeResult:
    """A :class:`PrometheusMeter` when an endpoint is configured, or why there is none."""
    if why := prometheus_url(options):
        return Unavailable(why)
    url = option(options, "prometheus_url", None) or environ_of(options)["WATTPRINT_PROMETHEUS_URL"]
    try:
        return PrometheusMeter(url)
    except MeterError as err:
        return Unavailable(str(err))
