"""``wattprint exporter`` as users run it: a process serving /metrics, scraped over HTTP."""

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from wattprint.cli import main

SRC = str(Path(__file__).parents[2] / "src")


def energies(url):
    out = {}
    for fam in text_string_to_metric_families(requests.get(url, timeout=5).text):
        for s in fam.samples:
            if s.name == "wattprint_energy_joules_total":
                out[s.labels["domain"]] = (s.value, s.labels["provenance"])
    return out


def test_exporter_serves_counters_that_only_grow(tmp_path):
    card = tmp_path / "hwmon" / "hwmon0"  # an Intel GPU's card energy counter (fake sysfs)
    card.mkdir(parents=True)
    (card / "name").write_text("xe\n")
    (card / "energy1_label").write_text("card\n")
    (card / "energy1_input").write_text("1000000\n")
    env = {**os.environ, "PYTHONPATH": SRC}
    proc = subprocess.Popen([sys.executable, "-m", "wattprint", "exporter", "--port", "0",
                             "--addr", "127.0.0.1", "--interval", "0.2",
                             "--powercap-root", str(tmp_path / "no-rapl"),
                             "--hwmon-root", str(tmp_path / "hwmon")],
                            stderr=subprocess.PIPE, text=True, env=env)
    try:
        line = proc.stderr.readline()
        m = re.search(r"serving (http://127\.0\.0\.1:\d+/metrics)", line)
        assert m, line
        url = m.group(1)
        seen = []
        for k in range(3):
            (card / "energy1_input").write_text(f"{1_000_000 + (k + 1) * 500_000}\n")
            want = 0.5 * (k + 1)
            for _ in range(100):  # the exporter reads every 0.2 s; allow for a loaded machine
                time.sleep(0.1)
                got = energies(url)
                if got.get("gpu:xpu0", (0.0,))[0] >= want:
                    break
            seen.append(got)
        assert seen[-1]["gpu:xpu0"] == (1.5, "measured")
        assert seen[0], "no domain served"
        for dom, (_value, prov) in seen[0].items():
            values = [s[dom][0] for s in seen]
            assert values == sorted(values), (dom, values)
            assert prov in ("measured", "integrated", "estimated")
        assert any(seen[-1][d][0] > seen[0][d][0] for d in seen[0])
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0


def test_bad_port_is_exit_2(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["exporter", "--port", "70000"])
    assert exc.value.code == 2
    assert "expected a port number 0-65535, got '70000'" in capsys.readouterr().err


def test_exporter_pushes_otlp_to_a_collector(tmp_path):
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
        ExportMetricsServiceRequest,
    )

    names = []
    arrived = threading.Event()

    class Collector(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            req = ExportMetricsServiceRequest()
            req.ParseFromString(self.rfile.read(int(self.headers["Content-Length"])))
            names.extend(m.name for rm in req.resource_metrics for sm in rm.scope_metrics
                         for m in sm.metrics)
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()
            arrived.set()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Collector)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = {**os.environ, "PYTHONPATH": SRC}
    proc = subprocess.Popen([sys.executable, "-m", "wattprint", "exporter", "--port", "0",
                             "--addr", "127.0.0.1", "--interval", "0.2",
                             "--powercap-root", str(tmp_path / "no-rapl"),
                             "--otlp-endpoint", f"http://127.0.0.1:{server.server_address[1]}/v1/metrics",
                             "--otlp-interval", "0.3"], stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert "serving" in proc.stderr.readline()
        assert arrived.wait(30), "no OTLP push arrived"
        assert "wattprint.energy" in names
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
        server.shutdown()
        server.server_close()
