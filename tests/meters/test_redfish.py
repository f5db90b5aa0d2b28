"""The Redfish source against a real HTTP server on 127.0.0.1 serving recorded BMC answers."""

import base64
import copy
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from fake_hwmon import Clock

from wattprint.errors import ConfigError, MeterError
from wattprint.meters.base import Provenance
from wattprint.meters.bmc import load_credentials
from wattprint.meters.hwprobe import Unavailable
from wattprint.meters.redfish import RedfishMeter, probe

RECORDED = json.loads((Path(__file__).parents[1] / "data" / "redfish" / "rackmount1.json").read_text())
USER, PASSWORD = "monitor", "s3cret-pw"


class Bmc:
    """A Redfish service: GET paths from a dict, HTTP basic auth, a log of requests."""

    def __init__(self, resources):
        self.resources = resources
        self.requests = []
        bmc = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's name
                bmc.requests.append((self.path, self.headers.get("Authorization")))
                want = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
                if self.headers.get("Authorization") != want:
                    self.send_response(401)
                    self.send_header("WWW-Authenticate", 'Basic realm="BMC"')
                    self.end_headers()
                    return
                body = bmc.resources.get(self.path)
                if body is None:
                    self.send_response(404)
                    self.end_headers()
                    return
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def bmc():
    b = Bmc(copy.deepcopy(RECORDED))
    yield b
    b.close()


def creds_file(tmp_path):
    p = tmp_path / "bmc.cred"
    p.write_text(f"{USER}:{PASSWORD}\n")
    p.chmod(0o600)
    return str(p)


ENV_PATH = "/redfish/v1/Chassis/1U/EnvironmentMetrics"


def test_whole_kwh_counter_is_too_coarse_so_power_is_integrated(bmc, tmp_path):
    clock = Clock(0.0)
    m = RedfishMeter(bmc.url, load_credentials(creds_file(tmp_path), {}, "X"), clock=clock)
    (spec,) = m.domains()
    assert spec.name == "node:0" and spec.component == "node" and spec.scope == "node"
    assert spec.provenance is Provenance.INTEGRATED and "PowerWatts" in spec.source
    assert "3.6e+06 J" in m.notes[0] and "not used" in m.notes[0]
    assert m.poll_interval_s == 1.0
    bmc.resources[ENV_PATH]["PowerWatts"]["Reading"] = 426
    clock.t = 10.0
    assert m.read().energy_j["node:0"] == pytest.approx((374 + 426) / 2 * 10)
    m.close()


def test_energy_counters_are_measured(bmc, tmp_path):
    env = bmc.resources[ENV_PATH]
    env["EnergykWh"]["Reading"] = 36166.123
    m = RedfishMeter(bmc.url, load_credentials(creds_file(tmp_path), {}, "X"))
    assert m.domains()[0].provenance is Provenance.MEASURED
    assert "EnergykWh (resolution 3600 J" in m.domains()[0].source
    env["EnergykWh"]["Reading"] = 36166.125
    assert m.read().energy_j["node:0"] == pytest.approx(0.002 * 3.6e6)
    env["EnergyJoules"] = {"DataSourceUri": "/redfish/v1/Chassis/1U/Sensors/EnergyJ", "Reading": 1_000_000}
    m2 = RedfishMeter(bmc.url, load_credentials(creds_file(tmp_path), {}, "X"))
    assert "EnergyJoules" in m2.domains()[0].source
    env["EnergyJoules"]["Reading"] = 1_000_250
    assert m2.read().energy_j["node:0"] == pytest.approx(250.0)
    env["EnergyJoules"]["Reading"] = 5  # BMC counter reset
    with pytest.raises(MeterError, match="went backwards"):
        m2.read()


def test_power_resource_with_its_averaging_interval(bmc):
    del bmc.resources["/redfish/v1/Chassis/1U"]["EnvironmentMetrics"]
    del bmc.resources["/redfish/v1/Chassis/1U"]["PowerSubsystem"]
    env = {"WATTPRINT_REDFISH_USERNAME": USER, "WATTPRINT_REDFISH_PASSWORD": PASSWORD}
    m = probe({"redfish_url": bmc.url, "environ": env})
    spec = m.domains()[0]
    assert spec.provenance is Provenance.INTEGRATED
    assert "PowerConsumedWatts" in spec.source and "averaged over 30 min" in spec.source
    m.close()


def test_credentials_never_in_results_or_messages(bmc, tmp_path):
    m = RedfishMeter(bmc.url, load_credentials(creds_file(tmp_path), {}, "X"))
    text = json.dumps([s.__dict__ for s in m.domains()], default=str) + repr(m.client.credentials)
    assert PASSWORD not in text
    assert all(auth and auth.startswith("Basic ") for _, auth in bmc.requests)
    wrong = tmp_path / "wrong"
    wrong.write_text(f"{USER}\nnot-it\n")
    got = probe({"redfish_url": bmc.url, "redfish_credentials": str(wrong), "environ": {}})
    assert isinstance(got, Unavailable)
    assert "HTTP 401" in got.reason and "'monitor'" in got.reason and "not-it" not in got.reason


def test_probe_reasons(tmp_path):
    got = probe({"environ": {}})
    assert isinstance(got, Unavailable) and "no BMC configured" in got.reason
    got = probe({"redfish_url": "http://127.0.0.1:9", "environ": {}})  # discard port: refused
    assert isinstance(got, Unavailable) and "Redfish GET http://127.0.0.1:9/redfish/v1/Chassis failed" in got.reason
    bad = tmp_path / "bad"
    bad.write_text("a\nb\nc\n")
    with pytest.raises(ConfigError, match=f"credentials file {bad}: expected one line"):
        probe({"redfish_url": "http://127.0.0.1:9", "redfish_credentials": str(bad), "environ": {}})


PSU = "/redfish/v1/Chassis/1U/PowerSubsystem/PowerSupplies"


def test_power_supplies_summed_when_there_is_no_environment_metrics(bmc, tmp_path):
    del bmc.resources["/redfish/v1/Chassis/1U"]["EnvironmentMetrics"]
    clock = Clock(0.0)
    m = RedfishMeter(bmc.url, load_credentials(creds_file(tmp_path), {}, "X"), clock=clock)
    spec = m.domains()[0]
    assert spec.provenance is Provenance.INTEGRATED and "2 power supplies" in spec.source
    assert "sum of InputPowerWatts" in spec.source and "coarser" in m.notes[0]  # whole-kWh counters
    bmc.resources[PSU + "/Bay1/Metrics"]["InputPowerWatts"]["Reading"] = 425.7
    clock.t = 2.0
    assert m.read().energy_j["node:0"] == pytest.approx((374.3 + 425.7) / 2 * 2)
    for bay, kwh in (("Bay1", 325675.125), ("Bay2", 12.5)):
        bmc.resources[f"{PSU}/{bay}/Metrics"]["EnergykWh"]["Reading"] = kwh
    m2 = RedfishMeter(bmc.url, load_credentials(creds_file(tmp_path), {}, "X"))
    assert m2.domains()[0].provenance is Provenance.INTEGRATED  # Bay2's 0.1 kWh steps: too coarse
    bmc.resources[f"{PSU}/Bay2/Metrics"]["EnergykWh"]["Reading"] = 12.375
    m3 = RedfishMeter(bmc.url, load_credentials(creds_file(tmp_path), {}, "X"))
    assert m3.domains()[0].provenance is Provenance.MEASURED
    assert "sum of EnergykWh, resolution 3600 J" in m3.domains()[0].source
    bmc.resources[f"{PSU}/Bay1/Metrics"]["EnergykWh"]["Reading"] = 325675.126
    bmc.resources[f"{PSU}/Bay2/Metrics"]["EnergykWh"]["Reading"] = 12.377
    assert m3.read().energy_j["node:0"] == pytest.approx(0.003 * 3.6e6)


@pytest.mark.parametrize("given,env,expected", [
    (None, None, True), ("no", None, False), ("yes", "0", True), (None, "false", False),
    ("/etc/ca.pem", None, "/etc/ca.pem"),
])
def test_tls_verification_from_the_typed_option_wins_over_the_environment(bmc, given, env,
                                                                           expected):
    from wattprint.meters.probe import HardwareOptions, ProbeOptions

    environ = {"WATTPRINT_REDFISH_USERNAME": USER, "WATTPRINT_REDFISH_PASSWORD": PASSWORD,
               **({"WATTPRINT_REDFISH_VERIFY": env} if env else {})}
    opts = ProbeOptions(frozenset({"node"}), settings={"environ": environ},
                        hardware=HardwareOptions(redfish_url=bmc.url, redfish_verify=given))
    m = probe(opts)
    try:
        assert m.client._session.verify == expected
    finally:
        m.close()
