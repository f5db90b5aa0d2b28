"""OpenTelemetry metrics export of the exporter's readings (optional; ``wattprint[telemetry]``).

Instruments, on a :class:`~wattprint.meters.exporter.TelemetryState` (attributes ``domain``,
``provenance``, ``boundary``, ``scope``):

* ``wattprint.energy`` — observable counter, unit ``J``: cumulative energy since the exporter
  started (monotonic, as the Prometheus counter);
* ``wattprint.power`` — observable gauge, unit ``W``: average power over the last interval.

:func:`otlp_provider` builds a ``MeterProvider`` that pushes them to an OTLP/HTTP endpoint
(``http://collector:4318/v1/metrics``) every ``interval_s``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from wattprint.errors import MeterError
from wattprint.meters.exporter import Sample, TelemetryState


def _attributes(s: Sample) -> dict[str, str]:
    return {"domain": s.spec.name, "provenance": s.spec.provenance.value,
            "boundary": s.spec.boundary, "scope": s.spec.scope}


def instrument(state: TelemetryState, meter_provider: Any) -> None:
    """Register the energy counter and power gauge of ``state`` on ``meter_provider``.

    Raises:
        MeterError: The OpenTelemetry API is not installed.
    """
    try:
        from opentelemetry.metrics import CallbackOptions, Observation
    except ImportError as err:
        raise MeterError("OpenTelemetry export needs opentelemetry-sdk "
                         "(pip install wattprint[telemetry])") from err

    def energy(_options: CallbackOptions) -> Iterable[Observation]:
        return [Observation(s.energy_j, _attributes(s)) for s in state.samples()]

    def power(_options: CallbackOptions) -> Iterable[Observation]:
        return [Observation(s.power_w, _attributes(s)) for s in state.samples()
                if s.power_w is not None]

    meter = meter_provider.get_meter("wattprint")
    meter.create_observable_counter("wattprint.energy", callbacks=[energy], unit="J",
                                    description="Cumulative energy since the exporter started; "
                                    "sum only within one provenance and scope")
    meter.create_observable_gauge("wattprint.power", callbacks=[power], unit="W",
                                  description="Average power over the last sampling interval")


def otlp_provider(endpoint: str, interval_s: float) -> Any:
    """A ``MeterProvider`` exporting to the OTLP/HTTP ``endpoint`` every ``interval_s`` seconds.

    Raises:
        MeterError: The OpenTelemetry SDK or its OTLP/HTTP exporter is not installed.
    """
    try:
        from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
        from opentelemetry.sdk.metrics import MeterProvider
        from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
        from opentelemetry.sdk.resources import Resource
    except ImportError as err:
        raise MeterError("OTLP export needs opentelemetry-sdk and "
                         "opentelemetry-exporter-otlp-proto-http (pip install wattprint[telemetry])") from err
    reader = PeriodicExportingMetricReader(OTLPMetricExporter(endpoint=endpoint),
                                           export_interval_millis=interval_s * 1000)
    return MeterProvider(metric_readers=[reader],
                         resource=Resource.create({"service.name": "wattprint"}))
