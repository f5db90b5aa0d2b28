"""``wattprint exporter``'s serving layer, scraped over HTTP with prometheus_client's parser."""

import time

import pytest
import requests
from fake_hwmon import hwmon, write
from prometheus_client.parser import text_string_to_metric_families

from wattprint.errors import MeterError
from wattprint.meters.exporter import TelemetryState, serve
from wattprint.meters.intel_gpu import IntelGpuMeter
from wattprint.meters.jetson import JetsonMeter
from wattprint.meters.prometheus_source import PrometheusMeter


def scrape(url):
    text = requests.get(url, timeout=5).text
    out = {}
    for fam in text_string_to_metric_families(text):
        for s in fam.samples:
            out[(s.name, s.labels.get("domain"))] = (s.value, s.labels)
    return out


@pytest.fixture
def tree(tmp_path):
    gpu = hwmon(tmp_path, 0, "xe", {"energy1_input": 1_000_000, "energy1_label": "card"},
                device="0000:03:00.0")
    rail = hwmon(tmp_path, 1, "ina3221", {"in1_label": "VDD_IN", "in1_input": 5000,
                                          "curr1_input": 1000}, device="1-0040")
    return tmp_path, gpu, rail


def test_counters_only_grow_and_carry_provenance_and_boundary(tree):
    root, gpu, _rail = tree
    state = TelemetryState([IntelGpuMeter(str(root)), JetsonMeter(str(root), interval_s=0.05)],
                           interval_s=0.05)
    state.start()
    server, _thread = serve(state, 0)
    url = f"http://127.0.0.1:{server.server_port}/metrics"
    try:
        seen = []
        for k in range(4):
            write(gpu, "energy1_input", 1_000_000 + (k + 1) * 2_000_000)
            time.sleep(0.06)
            state.update()  # as the reading thread does, so the test does not depend on timing
            seen.append(scrape(url))
        gpu_j = [s[("wattprint_energy_joules_total", "gpu:xpu0")][0] for s in seen]
        mod_j = [s[("wattprint_energy_joules_total", "module:0")][0] for s in seen]
        assert gpu_j == sorted(gpu_j) and gpu_j[-1] == pytest.approx(8.0)
        assert mod_j == sorted(mod_j) and mod_j[-1] > mod_j[0] > 0
        labels = seen[-1][("wattprint_energy_joules_total", "gpu:xpu0")][1]
        assert labels["provenance"] == "measured" and "whole card" in labels["boundary"]
        assert seen[-1][("wattprint_energy_joules_total", "module:0")][1]["provenance"] == "integrated"
        power = seen[-1][("wattprint_power_watts", "module:0")][0]
        assert power == pytest.approx(5.0, rel=0.05)  # 5 V × 1 A
        assert seen[-1][("wattprint_read_errors_total", None)][0] == 0

        remote = PrometheusMeter(url)  # wattprint's own exporter read as a source
        names = {s.name: s for s in remote.domains()}
        host = f"127.0.0.1:{server.server_port}"
        assert names[f"gpu:xpu0@{host}"].provenance.value == "measured"
        assert names[f"module:0@{host}"].provenance.value == "integrated"
        write(gpu, "energy1_input", 1_000_000 + 10_000_000)
        state.update()
        assert remote.read().energy_j[f"gpu:xpu0@{host}"] == pytest.approx(2.0)

        (gpu / "energy1_input").unlink()  # a failing read counts an error and keeps the value
        state.update()
        last = scrape(url)
        assert last[("wattprint_read_errors_total", None)][0] >= 1
        assert last[("wattprint_energy_joules_total", "gpu:xpu0")][0] == pytest.approx(10.0)
    finally:
        server.shutdown()
        state.close()


def test_port_in_use_is_a_meter_error(tree):
    root, _gpu, _rail = tree
    state = TelemetryState([IntelGpuMeter(str(root))])
    server, _ = serve(state, 0)
    try:
        with pytest.raises(MeterError, match=f"cannot serve metrics on 127.0.0.1:{server.server_port}"):
            serve(state, server.server_port)
    finally:
        server.shutdown()
        state.close()


def test_pod_labels_are_added_to_every_sample_and_read_back(tree, tmp_path):
    from wattprint.meters.k8s import pod_identity

    uid = "7d5a6b7e_1234_4f1a_9a3b_2b6c8d1e0f21"
    cid = "ab" * 32
    (tmp_path / "proc" / "self").mkdir(parents=True)
    (tmp_path / "proc" / "self" / "cgroup").write_text(
        f"0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod{uid}.slice/"
        f"cri-containerd-{cid}.scope\n")
    ident = pod_identity(str(tmp_path / "proc"), {"POD_NAME": "exporter-x7", "POD_NAMESPACE":
                                                  "wattprint", "NODE_NAME": "gpu-node-7"},
                         sa_namespace_file=str(tmp_path / "none"))
    root, gpu, _rail = tree
    state = TelemetryState([IntelGpuMeter(str(root))])
    state.start()
    server, _ = serve(state, 0, labels=ident.labels())
    url = f"http://127.0.0.1:{server.server_port}/metrics"
    try:
        got = scrape(url)
        labels = got[("wattprint_energy_joules_total", "gpu:xpu0")][1]
        assert labels["pod"] == "exporter-x7" and labels["namespace"] == "wattprint"
        assert labels["node"] == "gpu-node-7" and labels["container_id"] == cid
        assert labels["pod_uid"] == uid.replace("_", "-") and "container" not in labels
        assert got[("wattprint_read_errors_total", None)][1]["pod"] == "exporter-x7"
        remote = PrometheusMeter(url)          # the labelled page still reads as a source
        assert [s.name for s in remote.domains()] == [f"gpu:xpu0@127.0.0.1:{server.server_port}"]
    finally:
        server.shutdown()
        state.close()
