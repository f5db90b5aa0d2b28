"""GPUs are who they say they are (UUID/CUDA order, MIG, shared GPUs) and counters carry
their error, timeline and validity flags (fake NVML at the vendor boundary)."""

import fake_pynvml
import pytest
from fake_pynvml import FakeGpu

from wattprint.meters.nvml import NvmlMeter


class Clock:
    def __init__(self, t=0.0):
        self.t = t

    def __call__(self):
        return self.t


def swapped():
    # NVML (PCI) order: the slower T4 first, the A100 second
    return [FakeGpu("Tesla T4", "GPU-t4000000-0000", 0, cc=(7, 5)),
            FakeGpu("NVIDIA A100-SXM4-80GB", "GPU-a1000000-0000", 0, cc=(8, 0))]


def boundary_of(m, dom):
    return [s for s in m.domains() if s.name == dom][0].boundary


def test_cuda_default_order_is_fastest_first_not_pci():
    nv = fake_pynvml.make(swapped())
    m = NvmlMeter(nvml=nv, environ={}, clock=Clock(), cuda_uuids=None, timeline=False)
    assert "A100" in boundary_of(m, "gpu:0") and "GPU-a1000000" in boundary_of(m, "gpu:0")
    assert "T4" in boundary_of(m, "gpu:1") and "GUESSED" in boundary_of(m, "gpu:0")
    m.close()
    m = NvmlMeter([0], nvml=nv, environ={"CUDA_VISIBLE_DEVICES": "0"}, cuda_uuids=None,
                  timeline=False)
    assert "A100" in boundary_of(m, "gpu:0")  # CUDA_VISIBLE_DEVICES indices are CUDA's order
    m.close()


def test_pci_bus_id_order_is_honoured():
    nv = fake_pynvml.make(swapped())
    m = NvmlMeter(nvml=nv, environ={"CUDA_DEVICE_ORDER": "PCI_BUS_ID"}, cuda_uuids=None,
                  timeline=False)
    assert "T4" in boundary_of(m, "gpu:0") and "PCI_BUS_ID" in boundary_of(m, "gpu:0")
    m.close()


def test_uuids_from_cuda_win_over_any_guess():
    nv = fake_pynvml.make(swapped())
    m = NvmlMeter(nvml=nv, environ={}, timeline=False,
                  cuda_uuids=lambda: ["GPU-t4000000-0000", "GPU-a1000000-0000"])
    assert "T4" in boundary_of(m, "gpu:0") and "UUIDs CUDA reports" in boundary_of(m, "gpu:0")
    m.close()


def test_mig_and_other_processes_are_recorded():
    gpus = [FakeGpu("NVIDIA A100-SXM4-80GB", "GPU-a", 0, mig=1),
            FakeGpu("NVIDIA A100-SXM4-80GB", "GPU-b", 0, pids=(999_999_1,))]
    nv = fake_pynvml.make(gpus)
    clock = Clock(0.0)
    m = NvmlMeter(nvml=nv, environ={}, clock=clock, cuda_uuids=None)
    assert "MIG mode is on" in boundary_of(m, "gpu:0")
    m._own_pids = lambda: {1}
    for i in range(40):  # 4 s of 10 Hz samples
        clock.t = i * 0.1
        gpus[0].energy_mj += 10_000
        gpus[1].energy_mj += 10_000
        m.poll()
    samples, flags, notes = m.window_report(0.0, 4.0)
    assert flags["gpu:0"]["exclusive"] is False and flags["gpu:1"]["exclusive"] is False
    assert any("MIG" in n for n in notes) and any("9999991" in n for n in notes)
    # timeline: >= 10 Hz per GPU, power from counter deltas (10 J per 0.1 s = 100 W)
    g0 = [s for s in samples if s.domain == "gpu:0"]
    assert len(g0) >= 40 and g0[5].power_w == pytest.approx(100.0)
    assert g0[5].temperature_c == 40 and g0[5].sm_clock_mhz == 1410
    m.close()


def test_validity_flags_power_limit_and_throttling():
    g = FakeGpu("NVIDIA A100-SXM4-80GB", "GPU-a", 0, power_limits_mw=(100_000, 300_000),
                throttle=0x40, temperature_c=90)
    nv = fake_pynvml.make([g])
    clock = Clock(0.0)
    m = NvmlMeter(nvml=nv, environ={}, clock=clock, cuda_uuids=None)
    m._own_pids = lambda: set()
    for i in range(30):
        clock.t = i * 0.1
        g.energy_mj += 50_000  # 500 W, above the 300 W limit
        m.poll()
    _, flags, notes = m.window_report(0.0, 3.0)
    f = flags["gpu:0"]
    assert f["power_within_limits"] is False and f["temperature_ok"] is False
    assert f["not_throttled"] is False and f["exclusive"] is True
    assert any("hw_thermal" in n for n in notes)
    m.close()


def test_counter_window_carries_its_error_and_warns_when_short():
    nv = fake_pynvml.make([FakeGpu("NVIDIA A100-SXM4-80GB", "GPU-a", 0)])
    m = NvmlMeter(nvml=nv, environ={}, cuda_uuids=None, timeline=False)
    spec = m.domains()[0]
    # 150 ms at 200 W = 30 J: ±(5 W x 0.15 s + 200 W x 0.1 s) = ±20.75 J
    assert m.window_uncertainty(spec, 30.0, 0.15) == pytest.approx(20.75 / 30.0)
    _, _, notes = m.window_report(0.0, 0.15)
    assert any("shorter than 20 counter update periods" in n for n in notes)
    _, _, notes = m.window_report(0.0, 5.0)
    assert not any("update periods" in n for n in notes)
    m.close()


def test_energy_meter_results_carry_timeline_validity_and_uncertainty(monkeypatch, tmp_path):
    import sys
    import threading

    from wattprint.meters.energy_meter import EnergyMeter

    g = FakeGpu("NVIDIA A100-SXM4-80GB", "GPU-a", 0)
    nv = fake_pynvml.make([g])
    monkeypatch.setitem(sys.modules, "pynvml", nv)
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    m = EnergyMeter(components=("gpu",), powercap_root=str(tmp_path))
    m.begin("w")
    nvml_meter = [x for x in m.meters if x.name == "nvml"][0]
    for _ in range(100):  # until the sampler thread took a few samples (a loaded CI machine)
        g.energy_mj += 20_000
        threading.Event().wait(0.06)
        if len(nvml_meter._gpus[0].timeline) >= 3:
            break
    r = m.end("w")
    m.close()
    d = r.domain("gpu:0")
    assert d.uncertainty is not None and d.uncertainty > 0
    assert r.timeline and all(s.domain == "gpu:0" for s in r.timeline)
    assert "gpu:0" in r.validity and r.to_dict()["validity"]["gpu:0"]["exclusive"] in (True, False)
