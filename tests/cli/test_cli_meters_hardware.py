"""``wattprint meters --json`` with hardware sources pointed at fake sysfs trees and a local BMC."""

import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

SRC = str(Path(__file__).parents[2] / "src")
CHASSIS = {
    "/redfish/v1/Chassis": {"Members": [{"@odata.id": "/redfish/v1/Chassis/1U"}]},
    "/redfish/v1/Chassis/1U": {"Id": "1U", "EnvironmentMetrics": {
        "@odata.id": "/redfish/v1/Chassis/1U/EnvironmentMetrics"}},
    "/redfish/v1/Chassis/1U/EnvironmentMetrics": {
        "PowerWatts": {"Reading": 374}, "EnergyJoules": {"Reading": 130197600}},
}


def sensor_dir(root, name, files):
    d = root / name
    d.mkdir(parents=True)
    (d / "name").write_text(files.pop("name") + "\n")
    for k, v in files.items():
        (d / k).write_text(f"{v}\n")


def test_meters_json_lists_every_hardware_source_with_a_reason(tmp_path):
    hw = tmp_path / "hwmon"
    sensor_dir(hw, "hwmon0", {"name": "xe", "energy1_input": 5_000_000, "energy1_label": "card"})
    sensor_dir(hw, "hwmon1", {"name": "ina3221", "in1_label": "VDD_IN", "in1_input": 5000,
                              "curr1_input": 900})

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            body = json.dumps(CHASSIS.get(self.path, {})).encode()
            self.send_response(200 if self.path in CHASSIS else 404)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        env = {**os.environ, "PYTHONPATH": SRC, "WATTPRINT_REDFISH_USERNAME": "u",
               "WATTPRINT_REDFISH_PASSWORD": "pw-Xq93"}
        proc = subprocess.run(
            [sys.executable, "-m", "wattprint", "meters", "--json", "--hwmon-root", str(hw),
             "--powercap-root", str(tmp_path / "none"),
             "--redfish-url", f"http://127.0.0.1:{server.server_address[1]}"],
            capture_output=True, text=True, env=env, timeout=60)
    finally:
        server.shutdown()
        server.server_close()
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    status = {s["source"]: s for s in out["sources"] if s["source"] != "estimate"}
    for name in ("nvml", "amdsmi", "intel-gpu", "gaudi", "apple", "prometheus", "rapl",
                 "jetson", "grace", "redfish", "ipmi"):
        assert status[name]["reason"], name
    assert status["intel-gpu"]["chosen"] and "gpu:xpu0" in status["intel-gpu"]["reason"]
    assert not status["gaudi"]["chosen"] and "not probed: intel-gpu measures gpu" in status["gaudi"]["reason"]
    assert status["jetson"]["chosen"]
    assert "not probed: jetson measures module" in status["grace"]["reason"]
    assert status["redfish"]["chosen"] and "EnergyJoules" in status["redfish"]["reason"]
    assert "not probed: redfish measures node" in status["ipmi"]["reason"]
    domains = {d["name"]: d for d in out["domains"]}
    assert domains["gpu:xpu0"]["provenance"] == "measured"
    assert domains["module:0"]["provenance"] == "integrated"
    assert domains["node:0"]["provenance"] == "measured" and domains["node:0"]["scope"] == "node"
    assert "pw-Xq93" not in proc.stdout + proc.stderr  # the BMC password is never printed
