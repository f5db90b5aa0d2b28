"""OpenTelemetry export: the real SDK, and a real OTLP/HTTP push to a server on 127.0.0.1."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from fake_hwmon import hwmon, write
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader

from wattprint.meters.exporter import TelemetryState
from wattprint.meters.intel_gpu import IntelGpuMeter
from wattprint.meters.otel_export import instrument, otlp_provider


def points(reader, name):
    out = {}
    for rm in reader.get_metrics_data().resource_metrics:
        for sm in rm.scope_metrics:
            for m in sm.metrics:
                if m.name == name:
                    for p in m.data.data_points:
                        out[p.attributes["domain"]] = (p.value, dict(p.attributes), m.unit)
    return out


def test_energy_counter_grows_with_provenance_attributes(tmp_path):
    d = hwmon(tmp_path, 0, "xe", {"energy1_input": 1_000_000, "energy1_label": "card"}, device="0000:03:00.0")
    state = TelemetryState([IntelGpuMeter(str(tmp_path))])
    reader = InMemoryMetricReader()
    instrument(state, MeterProvider(metric_readers=[reader]))
    try:
        state.update()
        first = points(reader, "wattprint.energy")["gpu:xpu0"]
        write(d, "energy1_input", 4_000_000)
        state.update()
        second = points(reader, "wattprint.energy")["gpu:xpu0"]
        assert first[0] == 0.0 and second[0] == pytest.approx(3.0)
        assert second[1]["provenance"] == "measured" and second[1]["scope"] == "device"
        assert second[2] == "J"
        assert points(reader, "wattprint.power")["gpu:xpu0"][2] == "W"
    finally:
        state.close()


def test_otlp_http_push_reaches_a_collector(tmp_path):
    hwmon(tmp_path, 0, "xe", {"energy1_input": 1_000_000, "energy1_label": "card"}, device="0000:03:00.0")
    got = []

    class Collector(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            body = self.rfile.read(int(self.headers["Content-Length"]))
            req = ExportMetricsServiceRequest()
            req.ParseFromString(body)
            got.append((self.path, req))
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Collector)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    state = TelemetryState([IntelGpuMeter(str(tmp_path))])
    provider = otlp_provider(f"http://127.0.0.1:{server.server_address[1]}/v1/metrics", 60.0)
    instrument(state, provider)
    try:
        state.update()
        assert provider.force_flush(10_000)
    finally:
        provider.shutdown()
        state.close()
        server.shutdown()
        server.server_close()
    path, req = got[0]
    assert path == "/v1/metrics"
    names = {m.name for rm in req.resource_metrics for sm in rm.scope_metrics for m in sm.metrics}
    assert "wattprint.energy" in names
    energy = [m for rm in req.resource_metrics for sm in rm.scope_metrics for m in sm.metrics
              if m.name == "wattprint.energy"][0]
    assert energy.sum.is_monotonic
    attrs = {a.key: a.value.string_value for a in energy.sum.data_points[0].attributes}
    assert attrs["domain"] == "gpu:xpu0" and attrs["provenance"] == "measured"
