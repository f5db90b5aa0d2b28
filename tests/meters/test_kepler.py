"""Kepler's page read by the Prometheus source from a real HTTP server on 127.0.0.1."""

from pathlib import Path

import pytest
from prom_page import Page

from wattprint.errors import MeterError
from wattprint.meters.base import OVERLAPPING_SCOPES, Provenance
from wattprint.meters.prometheus_source import PrometheusMeter, probe

TEMPLATE = (Path(__file__).parents[1] / "data" / "prometheus" / "kepler_exporter.txt").read_text()
FINISHED = ('kepler_pod_cpu_joules_total{pod_id="0b2c",pod_name="batch-job-x",'
            'pod_namespace="jobs",state="terminated",zone="package",node_name="gpu-node-7"} '
            '{batch}')


def page(pkg0=1000.0, core0=600.0, dram0=200.0, active=300.0, idle=700.0, gpu0=5000.0,
         vllm_pkg=100.0, vllm_gpu=2000.0, vllm_state="running", batch=50.0, with_batch=True):
    text = TEMPLATE.replace("{batch_line}", FINISHED if with_batch else "")
    for k, v in dict(pkg0=pkg0, core0=core0, dram0=dram0, pkg0_active=active, pkg0_idle=idle,
                     gpu0=gpu0, vllm_pkg=vllm_pkg, vllm_gpu=vllm_gpu, vllm_state=vllm_state,
                     batch=batch).items():
        text = text.replace("{" + k + "}", str(v))
    return text


@pytest.fixture
def kepler():
    p = Page(page())
    yield p
    p.close()


def test_node_counters_are_measured_and_pods_and_splits_attributed(kepler):
    m = PrometheusMeter(kepler.url)
    specs = {s.name: s for s in m.domains()}
    assert set(specs) == {
        "cpu:gpu-node-7/intel-rapl:0", "dram:gpu-node-7/intel-rapl:0:2",
        "cpu-active:gpu-node-7/intel-rapl:0", "cpu-idle:gpu-node-7/intel-rapl:0",
        "dram-active:gpu-node-7/intel-rapl:0:2", "dram-idle:gpu-node-7/intel-rapl:0:2",
        "gpu:gpu-node-7/0", "pod:serving/vllm-0@gpu-node-7/package",
        "pod:serving/vllm-0@gpu-node-7/dram", "pod:serving/vllm-0@gpu-node-7/gpu",
        "pod:jobs/batch-job-x@gpu-node-7/package"}
    # core lies inside package: never read (it would count twice)
    assert not any("core" in n or "intel-rapl:0:0" in n for n in specs)
    assert specs["cpu:gpu-node-7/intel-rapl:0"].provenance is Provenance.MEASURED
    assert specs["gpu:gpu-node-7/0"].provenance is Provenance.MEASURED
    assert "NVIDIA H100" in specs["gpu:gpu-node-7/0"].boundary
    pod = specs["pod:serving/vllm-0@gpu-node-7/gpu"]
    assert pod.provenance is Provenance.ATTRIBUTED and pod.scope == "pod"
    assert specs["cpu-idle:gpu-node-7/intel-rapl:0"].scope == "split"
    assert {"pod", "split"} <= OVERLAPPING_SCOPES
    assert m.update_period_s == 5.0


def test_readings_follow_the_counters_and_pods_survive_state_changes(kepler):
    m = PrometheusMeter(kepler.url)
    later = dict(pkg0=1061.5, active=340.0, idle=721.5, gpu0=5700.0, vllm_pkg=130.0,
                 vllm_gpu=2600.0, vllm_state="terminated", with_batch=False)
    kepler.text = page(**later)
    r = m.read().energy_j
    assert r["cpu:gpu-node-7/intel-rapl:0"] == pytest.approx(61.5)
    assert r["cpu-active:gpu-node-7/intel-rapl:0"] + r["cpu-idle:gpu-node-7/intel-rapl:0"] \
        == pytest.approx(61.5)
    assert r["gpu:gpu-node-7/0"] == pytest.approx(700.0)
    assert r["pod:serving/vllm-0@gpu-node-7/gpu"] == pytest.approx(600.0)   # running -> terminated
    assert r["pod:serving/vllm-0@gpu-node-7/package"] == pytest.approx(30.0)
    assert r["pod:jobs/batch-job-x@gpu-node-7/package"] == 0.0            # vanished: stopped
    kepler.text = page(**later).replace("kepler_node_gpu_joules_total{", "other{")
    with pytest.raises(MeterError, match="no longer exposes kepler_node_gpu_joules_total"):
        m.read()


def test_pods_can_be_selected_by_namespace_and_name(kepler):
    m = PrometheusMeter(kepler.url, pods=["serving/*"])
    pods = [s.name for s in m.domains() if s.scope == "pod"]
    assert pods and all(p.startswith("pod:serving/vllm-0@") for p in pods)
    got = probe({"prometheus_url": kepler.url, "environ": {"WATTPRINT_KEPLER_PODS": "jobs/*"}})
    assert [s.name for s in got.domains() if s.scope == "pod"] == \
        ["pod:jobs/batch-job-x@gpu-node-7/package"]


def test_the_kepler_pods_flag_reaches_the_probe_as_a_typed_option(kepler):
    from wattprint.meters.probe import HardwareOptions, ProbeOptions

    hw = HardwareOptions(prometheus_url=kepler.url, kepler_pods="serving/*")
    got = probe(ProbeOptions(frozenset({"gpu", "cpu"}), hardware=hw,
                             settings={"environ": {"WATTPRINT_KEPLER_PODS": "jobs/*"}}))
    pods = [s.name for s in got.domains() if s.scope == "pod"]
    assert pods and all(p.startswith("pod:serving/vllm-0@") for p in pods)   # the flag wins
