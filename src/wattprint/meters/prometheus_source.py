"""Energy read from a Prometheus endpoint that a cluster already runs.

Three exporters are understood (``options.prometheus_url``, or ``$WATTPRINT_PROMETHEUS_URL``: the
exporter's own ``/metrics`` page, scraped directly, not a Prometheus server's query API):

* NVIDIA DCGM exporter (:mod:`wattprint.meters.dcgm`): ``DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION``
  (mJ since the driver loaded, NVML's counter; labels ``gpu``, ``UUID``, ``Hostname``,
  ``modelName``) → ``measured``, domains ``gpu:<Hostname>/<gpu>`` (read once per GPU even when
  MIG mode repeats it per instance), plus ``attributed`` MIG-instance shares where
  ``DCGM_FI_PROF_GR_ENGINE_ACTIVE`` is exported per instance. The exporter refreshes its values
  every collection interval (``-c``, 30 s by default), so the counter moves in steps of that
  interval; the domain's update period says so and short windows get the EnergyMeter's coarse
  warning.
* Kepler (:mod:`wattprint.meters.kepler`): node RAPL and GPU counters (``measured``), Kepler's
  active/idle split and per-pod energy (``attributed``, never added to the node's).
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
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlparse

from wattprint.errors import CounterError, MeterError
from wattprint.meters.base import DomainSpec, Meter, Provenance, Reading
from wattprint.meters.dcgm import DCGM_ENERGY, dcgm_series, mig_instances, mig_shares
from wattprint.meters.gates import prometheus_url
from wattprint.meters.hwprobe import (
    MonotonicCounter,
    ProbeResult,
    Unavailable,
    environ_of,
    option,
)
from wattprint.meters.kepler import MONITOR_INTERVAL_S, kepler_series
from wattprint.meters.prom_series import CounterSeries, Samples, find, index

SOURCE = "prometheus"
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


def _wattprint_series(url: str, host: str, values: Samples) -> list[CounterSeries]:
    out = []
    for (name, labels), _v in sorted(values.items()):
        lab = dict(labels)
        if name != WATTPRINT_ENERGY + "_total" or "domain" not in lab:
            continue
        try:
            prov = Provenance(lab.get("provenance", ""))
        except ValueError:
            continue  # an unknown provenance: not a meter reading
        if prov is Provenance.ESTIMATED:
            continue  # an estimate needs its model, which the exporter does not carry
        spec = DomainSpec(f"{lab['domain']}@{host}", lab["domain"].split(":")[0],
                          f"{lab.get('boundary', '')} (wattprint exporter at {url})", prov,
                          f"prometheus:{url} {WATTPRINT_ENERGY}_total",
                          scope=lab.get("scope", "device"))
        out.append(CounterSeries(spec, name, tuple(sorted(labels))))
    return out


def _series(url: str, values: Samples, pods: Sequence[str] | None = None) -> list[CounterSeries]:
    host = urlparse(url).netloc or url
    out = [*dcgm_series(url, host, values), *kepler_series(url, host, values, pods),
           *_wattprint_series(url, host, values)]
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

    def __init__(self, url: str, *, clock: Callable[[], float] = time.monotonic,
                 pods: Sequence[str] | None = None) -> None:
        self.url = url
        self._clock = clock
        self._lock = threading.Lock()
        self._closed = False
        values = scrape(url)
        self._series = _series(url, values, pods)
        if not self._series:
            raise MeterError(f"{url} exposes neither {DCGM_ENERGY} (DCGM exporter; enable it in "
                             f"its counters CSV), nor kepler_node_cpu_joules_total (Kepler), nor "
                             f"{WATTPRINT_ENERGY}_total (wattprint exporter)")
        idx = index(values)
        self._counters = {s.spec.name: MonotonicCounter(f"{s.name} {dict(s.ident)} at {url}",
                                                        find(idx, s.name, s.ident) or 0.0)
                          for s in self._series}
        self._energy = {s.spec.name: 0.0 for s in self._series}
        host = urlparse(url).netloc or url
        self._mig = mig_instances(url, host, values, [s.spec.name for s in self._series])
        self._mig_energy = {m.spec.name: 0.0 for m in self._mig}
        self._shares = mig_shares(self._mig, idx)
        names = {s.name for s in self._series}
        self.update_period_s = DCGM_COLLECT_INTERVAL_S if any(
            n.startswith(DCGM_ENERGY) for n in names) else MONITOR_INTERVAL_S if any(
            n.startswith("kepler_") for n in names) else 1.0

    def domains(self) -> Sequence[DomainSpec]:
        """The domains this meter reports."""
        return [s.spec for s in self._series] + [m.spec for m in self._mig]

    def read(self) -> Reading:
        """Cumulative energy per domain (J) since the meter was opened."""
        if self._closed:
            raise MeterError("Prometheus meter is closed")
        with self._lock:
            t = self._clock()
            idx = index(scrape(self.url))
            previous = dict(self._energy)
            for s in self._series:
                v = find(idx, s.name, s.ident)
                if v is None:
                    if s.may_vanish:
                        continue  # a finished pod: its energy stops growing
                    raise MeterError(f"{self.url} no longer exposes {s.name}{dict(s.ident)}")
                try:
                    self._energy[s.spec.name] = self._counters[s.spec.name].update(v) * s.to_j
                except CounterError as err:
                    raise CounterError(f"{err} (exporter restarted?)") from None
            # MIG: the GPU's energy since the last read, split by the mean of the shares seen
            # at that read and at this one (the activity gauges are instantaneous)
            shares = mig_shares(self._mig, idx)
            for m in self._mig:
                delta = self._energy[m.gpu_domain] - previous[m.gpu_domain]
                share = (self._shares.get(m.spec.name, 0.0) + shares.get(m.spec.name, 0.0)) / 2
                self._mig_energy[m.spec.name] += delta * share
            self._shares = shares
        return Reading(t, {**self._energy, **self._mig_energy})

    def close(self) -> None:
        """Release resources. Idempotent."""
        self._closed = True


def probe(options: Any = None) -> ProbeResult:
    """A :class:`PrometheusMeter` when an endpoint is configured, or why there is none."""
    if why := prometheus_url(options):
        return Unavailable(why)
    url = option(options, "prometheus_url", None) or environ_of(options)["WATTPRINT_PROMETHEUS_URL"]
    pods_text = option(options, "kepler_pods", None) or environ_of(options).get(
        "WATTPRINT_KEPLER_PODS", "")
    pods = [p.strip() for p in str(pods_text).split(",") if p.strip()] or None
    try:
        return PrometheusMeter(url, pods=pods)
    except MeterError as err:
        return Unavailable(str(err))
