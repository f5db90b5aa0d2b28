"""One OpenTelemetry span per request, carrying its energy (optional; ``opentelemetry-sdk`` in
the ``telemetry`` extra).

A span cannot be changed after it ends, and a request's attributed energy is known only once
its windows are attributed, so the span is written then, with the request's own start and end
times (wall clock), as a child of the client's ``traceparent`` when it sent one. Attributes:
``http.route``, ``gen_ai.request.model``, ``gen_ai.usage.input_tokens`` /
``output_tokens``, ``wattprint.tenant``, ``wattprint.status``, and
``wattprint.energy.joules`` with ``wattprint.energy.provenance`` (``attributed`` on a measured
node, ``estimated`` otherwise), ``wattprint.energy.prefill_j``/``decode_j``, the interval where
there is one (``wattprint.energy.low_j``/``high_j``) and the response-time estimate
(``wattprint.energy.estimate_j``).
"""

from __future__ import annotations

from typing import Any

from wattprint.errors import ConfigError
from wattprint.serving.proxy.book import ProxiedRequest
from wattprint.serving.proxy.figures import EnergyFigure

SPAN_NAME = "wattprint.proxy.request"


class SpanWriter:
    """Writes request spans through ``tracer_provider``.

    Raises:
        ConfigError: the OpenTelemetry API is not installed.
    """

    def __init__(self, tracer_provider: Any) -> None:
        try:
            from opentelemetry.propagate import extract
        except ImportError as err:
            raise ConfigError("spans need opentelemetry-sdk (pip install 'wattprint[telemetry]')"
                              ) from err
        self._extract = extract
        self.provider = tracer_provider
        self.tracer = tracer_provider.get_tracer("wattprint.proxy")

    def write(self, req: ProxiedRequest, energy: EnergyFigure | None) -> None:
        """The span of one request that has ended (and, on a measured node, been attributed)."""
        r = req.record
        attrs: dict[str, Any] = {"http.route": req.route, "gen_ai.request.model": req.model,
                                 "wattprint.tenant": req.tenant, "wattprint.request_id": req.rid,
                                 "wattprint.status": r.status.value,
                                 "gen_ai.usage.output_tokens": r.output_tokens}
        if r.input_tokens is not None:
            attrs["gen_ai.usage.input_tokens"] = r.input_tokens
        if r.http_status is not None:
            attrs["http.response.status_code"] = r.http_status
        if energy is not None:
            attrs.update({"wattprint.energy.joules": energy.energy_j,
                          "wattprint.energy.provenance": energy.provenance,
                          "wattprint.energy.scope": energy.scope})
            for k in ("prefill_j", "decode_j", "low_j", "high_j"):
                v = getattr(energy, k)
                if v is not None:
                    attrs[f"wattprint.energy.{k}"] = v
        if req.estimate is not None and energy is not req.estimate:
            attrs["wattprint.energy.estimate_j"] = req.estimate.energy_j
        parent = self._extract(req.trace_headers) if req.trace_headers else None
        span = self.tracer.start_span(SPAN_NAME, context=parent, attributes=attrs,
                                      start_time=req.started_unix_ns)
        if r.status.value not in ("ok", "truncated"):
            from opentelemetry.trace import Status, StatusCode

            span.set_status(Status(StatusCode.ERROR, r.error or r.status.value))
        span.end(end_time=max(req.ended_unix_ns, req.started_unix_ns))


def otlp_tracer_provider(endpoint: str) -> Any:
    """A ``TracerProvider`` exporting spans in batches to the OTLP/HTTP ``endpoint``
    (``http://collector:4318/v1/traces``).

    Raises:
        ConfigError: the SDK or its OTLP/HTTP exporter is not installed.
    """
    try:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
    except ImportError as err:
        raise ConfigError("--otlp-endpoint needs opentelemetry-sdk and "
                          "opentelemetry-exporter-otlp-proto-http (pip install "
                          "'wattprint[telemetry]')") from err
    provider = TracerProvider(resource=Resource.create({"service.name": "wattprint-proxy"}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))
    return provider
