import sys
import threading
import time

import fake_pynvml
import pytest
from fake_pynvml import FakeGpu

from wattprint.errors import CounterError, MeterError
from wattprint.meters.base import Provenance
from wattprint.meters.energy_meter import EnergyMeter
from wattprint.meters.nvml import NvmlMeter


class Clock:
    def __init__(self, t=0.0):
        self.t = t

    def __call__(self):
        return self.t


def gpus4():
    return [FakeGpu("NVIDIA A100-SXM4-80GB", f"GPU-{i}aaa{i}-0000", energy_mj=1_000_000 * (i + 1))
            for i in range(4)]


def test_counter_path_mj_to_joules():
    nv = fake_pynvml.make(gpus4())
    m = NvmlMeter(nvml=nv, environ={}, clock=Clock())
    assert [s.name for s in m.domains()] == ["gpu:0", "gpu:1", "gpu:2", "gpu:3"]
    assert all(s.provenance is Provenance.MEASURED for s in m.domains())
    nv.gpus[0].energy_mj += 123_456  # 123.456 J
    nv.gpus[3].energy_mj += 1
    r = m.read()
    assert r.energy_j["gpu:0"] == 123.456 and r.energy_j["gpu:3"] == 0.001
    assert r.energy_j["gpu:1"] == 0.0
    assert m.poll_interval_s == 0.1  # the 10 Hz timeline
    other = NvmlMeter(nvml=nv, environ={}, timeline=False)
    assert other.poll_interval_s is None  # counters alone need no thread
    other.close()
    assert "A100" in m.domains()[0].boundary and "GPU-0aaa0" in m.domains()[0].boundary
    m.close()
    assert nv.initialised == 0


def test_power_sampling_path_is_integrated():
    g = FakeGpu("Tesla P100", "GPU-p100", energy_mj=None, power_mw=100_000)
    nv = fake_pynvml.make([g])
    clock = Clock(0.0)
    m = NvmlMeter(nvml=nv, environ={}, clock=clock, interval_s=0.5, timeline=False)
    spec = m.domains()[0]
    assert spec.provenance is Provenance.INTEGRATED and "PowerUsage" in spec.source
    assert m.poll_interval_s == 0.5
    clock.t, g.power_mw = 1.0, 300_000
    m.poll()  # sampler thread: trapezoid (100 + 300)/2 x 1 s = 200 J
    clock.t = 2.0
    r = m.read()  # a fresh sample at read time: + 300 W x 1 s
    assert r.energy_j["gpu:0"] == pytest.approx(500.0)


def test_mixed_counter_and_power_gpus():
    nv = fake_pynvml.make([FakeGpu("A100", "GPU-a", 0), FakeGpu("K80", "GPU-k", None)])
    m = NvmlMeter(nvml=nv, environ={}, clock=Clock())
    provs = {s.name: s.provenance for s in m.domains()}
    assert provs == {"gpu:0": Provenance.MEASURED, "gpu:1": Provenance.INTEGRATED}


@pytest.mark.parametrize("env,expected_phys", [
    ("2,0", [2, 0]),
    ("GPU-3aaa3-0000,1", [3, 1]),
    ("GPU-1aaa", [1]),            # UUID prefixes work as in CUDA
    ("1,7,2", [1]),               # CUDA stops at the first invalid entry
    ("", []),
])
def test_cuda_visible_devices(env, expected_phys):
    nv = fake_pynvml.make(gpus4())
    if not expected_phys:
        with pytest.raises(MeterError, match="no NVIDIA GPU visible"):
            NvmlMeter(nvml=nv, environ={"CUDA_VISIBLE_DEVICES": env})
        return
    m = NvmlMeter(nvml=nv, environ={"CUDA_VISIBLE_DEVICES": env}, clock=Clock())
    assert [s.name for s in m.domains()] == [f"gpu:{i}" for i in range(len(expected_phys))]
    for i, phys in enumerate(expected_phys):
        assert f"NVML index {phys}" in m.domains()[i].boundary
    if env == "1,7,2":
        assert "'7'" in m.note and "ignored" in m.note


def test_chosen_indices_follow_visible_numbering():
    nv = fake_pynvml.make(gpus4())
    m = NvmlMeter([1], nvml=nv, environ={"CUDA_VISIBLE_DEVICES": "3,2"}, clock=Clock())
    assert [s.name for s in m.domains()] == ["gpu:1"]
    assert "NVML index 2" in m.domains()[0].boundary
    with pytest.raises(MeterError, match=r"GPU index 2 is not visible; visible indices: \[0, 1\]"):
        NvmlMeter([2], nvml=nv, environ={"CUDA_VISIBLE_DEVICES": "3,2"})


def test_mig_is_refused_clearly():
    nv = fake_pynvml.make(gpus4())
    with pytest.raises(MeterError, match="MIG"):
        NvmlMeter(nvml=nv, environ={"CUDA_VISIBLE_DEVICES": "MIG-abc"})
    assert nv.initialised == 0  # shut down again after the failure


def test_init_failure_is_translated():
    nv = fake_pynvml.make([], init_error=fake_pynvml.NVML_ERROR_DRIVER_NOT_LOADED)
    with pytest.raises(MeterError, match="NVML could not initialise: Driver Not Loaded"):
        NvmlMeter(nvml=nv, environ={})


def test_read_error_is_translated_never_zero():
    g = FakeGpu("A100", "GPU-a", 0)
    nv = fake_pynvml.make([g])
    m = NvmlMeter(nvml=nv, environ={}, clock=Clock())
    g.fail = fake_pynvml.NVML_ERROR_GPU_IS_LOST
    with pytest.raises(MeterError, match="gpu:0.*GPU is lost"):
        m.read()


def test_power_read_error_from_sampler_reaches_the_reader():
    g = FakeGpu("P100", "GPU-p", None)
    nv = fake_pynvml.make([g])
    m = NvmlMeter(nvml=nv, environ={}, clock=Clock())
    g.fail = fake_pynvml.NVML_ERROR_GPU_IS_LOST
    m.poll()  # the thread swallows nothing: the error is kept ...
    g.fail = None
    with pytest.raises(MeterError, match="GPU is lost"):  # ... and raised to the next reader
        m.read()


def test_counter_backwards_is_an_error():
    g = FakeGpu("A100", "GPU-a", 5000)
    m = NvmlMeter(nvml=fake_pynvml.make([g]), environ={}, clock=Clock())
    g.energy_mj = 10
    with pytest.raises(CounterError, match="backwards"):
        m.read()
    g.energy_mj = 9000
    m.read()
    g.energy_mj = 8000  # still above the opening value, but below the last read
    with pytest.raises(CounterError, match="from 9000 to 8000"):
        m.read()


def test_other_counter_error_at_open_is_not_a_fallback():
    g = FakeGpu("A100", "GPU-a", 0, fail=fake_pynvml.NVML_ERROR_GPU_IS_LOST)
    with pytest.raises(MeterError, match="energy counter of gpu:0"):
        NvmlMeter(nvml=fake_pynvml.make([g]), environ={})


def test_missing_library(monkeypatch):
    monkeypatch.setitem(sys.modules, "pynvml", None)  # import pynvml -> ImportError
    monkeypatch.setattr("wattprint.meters.nvml.driver_absent", lambda: "")
    with pytest.raises(MeterError, match="nvidia-ml-py package is not installed"):
        NvmlMeter()


def test_no_driver_skips_the_import(monkeypatch):
    import os

    monkeypatch.delitem(sys.modules, "pynvml", raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setattr(os.path, "exists", lambda p: False)
    with pytest.raises(MeterError, match="no NVIDIA driver loaded"):
        NvmlMeter()
    assert "pynvml" not in sys.modules


def test_detection_with_injected_module_and_one_sampler_thread(monkeypatch, tmp_path):
    nv = fake_pynvml.make([FakeGpu("A100", "GPU-a", 0), FakeGpu("P100", "GPU-p", None, 50_000)])
    monkeypatch.setitem(sys.modules, "pynvml", nv)
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    before = threading.active_count()
    m = EnergyMeter(components=("gpu",), interval_s=0.01, powercap_root=str(tmp_path))
    assert threading.active_count() == before + 1  # one sampler for the power-only GPU
    gpu = [s for s in m.detection if s.source == "nvml"][0]
    assert gpu.chosen and "gpu:0: energy counter" in gpu.reason and "gpu:1: power" in gpu.reason
    m.begin("w")
    at_begin = nv.calls["nvmlDeviceGetPowerUsage"]
    deadline = time.monotonic() + 60   # a loaded machine may schedule the sampler late
    while nv.calls["nvmlDeviceGetPowerUsage"] < at_begin + 2 and time.monotonic() < deadline:
        threading.Event().wait(0.01)
    r = m.end("w")
    samples = nv.calls["nvmlDeviceGetPowerUsage"]
    assert samples >= 3  # polled by the thread, not only at the window ends
    assert r.domain("gpu:1").provenance is Provenance.INTEGRATED
    assert r.domain("gpu:1").energy_j == pytest.approx(50.0 * r.duration_s, rel=0.05)
    m.close()
    assert threading.active_count() == before
    assert nv.initialised == 0


def test_detection_without_nvml_reports_reason(monkeypatch, tmp_path):
    nv = fake_pynvml.make([], init_error=fake_pynvml.NVML_ERROR_LIBRARY_NOT_FOUND)
    monkeypatch.setitem(sys.modules, "pynvml", nv)
    m = EnergyMeter(components=("gpu",), powercap_root=str(tmp_path))
    assert m.domains() == []
    st = [s for s in m.detection if s.source == "nvml"][0]
    assert not st.available and "Shared Library Not Found" in st.reason
    with pytest.raises(MeterError):
        EnergyMeter(components=("gpu",), gpus=[0])  # explicit GPUs: an error, not a skip


@pytest.mark.gpu
def test_real_gpu_counter_sees_a_workload():
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("torch has no CUDA here")
    m = EnergyMeter(components=("gpu",), gpus=[0], sync=torch.cuda.synchronize)
    x = torch.randn(8192, 8192, device="cuda")
    torch.cuda.synchronize()
    m.begin("matmul")
    for _ in range(50):
        x = (x @ x).clamp_(-1, 1)
    r = m.end("matmul")
    d = r.domain("gpu:0")
    assert d.provenance in (Provenance.MEASURED, Provenance.INTEGRATED)
    assert r.duration_s > 0 and d.energy_j > 0
    assert 10 < d.energy_j / r.duration_s < 2000  # a plausible board power, W
    m.close()
