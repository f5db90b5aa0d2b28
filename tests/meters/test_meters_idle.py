"""An idle baseline that is idle: busy neighbours, unstable power and busy GPUs invalidate it."""

import sys

import fake_pynvml
import pytest
from fake_pynvml import FakeGpu

from wattprint.meters.energy_meter import EnergyMeter
from wattprint.meters.replay import ReplayMeter, TraceSample


class FakeBusy:
    """Host busy CPU-seconds growing at ``cpus_busy`` CPUs of real time."""

    def __init__(self, cpus_busy):
        import time

        self.cpus_busy, self.t0, self.time = cpus_busy, time.monotonic(), time.monotonic

    def __call__(self):
        return (self.time() - self.t0) * self.cpus_busy

    def close(self):
        pass


def steady(domain, power_w, t_end=1000.0):
    return [TraceSample(0.0, domain, energy_j=0.0), TraceSample(t_end, domain, energy_j=power_w * t_end)]


def test_busy_neighbour_makes_the_baseline_invalid(monkeypatch):
    import os

    monkeypatch.setattr("wattprint.meters.estimate.ProcStatBusy", lambda *_: FakeBusy(0.9 * (os.cpu_count() or 1)))
    m = EnergyMeter(meters=[ReplayMeter(steady("cpu:0", 7.7))])
    assert m.measure_idle(0.1) == {}
    assert m.idle_power_w is None and not m.idle_baseline.valid
    assert m.idle_baseline.cpu_utilisation == pytest.approx(0.9, abs=0.1)
    m.begin("w")
    r = m.end("w")
    assert r.domain("cpu:0").dynamic_energy_j is None  # no dynamic energy rather than a wrong one
    assert any("INVALID" in w and "busy" in w for w in r.warnings)


def test_quiet_machine_gives_a_valid_baseline_with_its_evidence(monkeypatch):
    monkeypatch.setattr("wattprint.meters.estimate.ProcStatBusy", lambda *_: FakeBusy(0.0))
    m = EnergyMeter(meters=[ReplayMeter(steady("cpu:0", 7.7))])
    assert m.measure_idle(0.1)["cpu:0"] == pytest.approx(7.7)
    assert m.idle_baseline.valid and m.idle_baseline.cpu_utilisation == 0.0
    m.begin("w")
    r = m.end("w")
    assert r.domain("cpu:0").dynamic_energy_j is not None
    assert any("idle baseline valid" in w and "CPU busy 0%" in w for w in r.warnings)


def test_unstable_power_makes_the_baseline_invalid(monkeypatch):
    monkeypatch.setattr("wattprint.meters.estimate.ProcStatBusy", lambda *_: FakeBusy(0.0))
    # 5 W for the first 60 ms, then 60 W: a neighbour starting mid-baseline
    trace = [TraceSample(0.0, "cpu:0", energy_j=0.0), TraceSample(0.06, "cpu:0", energy_j=0.3),
             TraceSample(100.0, "cpu:0", energy_j=0.3 + 60 * (100 - 0.06))]
    m = EnergyMeter(meters=[ReplayMeter(trace)])
    m.measure_idle(0.2)
    assert not m.idle_baseline.valid and "unstable" in " ".join(m.idle_baseline.reasons)


def test_gpu_idle_records_utilisation_clocks_and_defaults_to_cooldown(monkeypatch, tmp_path):
    monkeypatch.setattr("wattprint.meters.estimate.ProcStatBusy", lambda *_: FakeBusy(0.0))
    g = FakeGpu("NVIDIA A100-SXM4-80GB", "GPU-a", 0, util_gpu=35, sm_clock_mhz=1980)
    monkeypatch.setitem(sys.modules, "pynvml", fake_pynvml.make([g]))
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    waits = []
    real_wait = __import__("threading").Event.wait

    def fast_wait(self, timeout=None):  # record the cool-down/idle lengths, sleep briefly
        waits.append(timeout)
        return real_wait(self, min(timeout or 0, 0.01))

    m = EnergyMeter(components=("gpu",), powercap_root=str(tmp_path))
    monkeypatch.setattr("threading.Event.wait", fast_wait)
    try:
        assert m.measure_idle(2.0) == {}
    finally:
        monkeypatch.undo()
        m.close()
    long = [w for w in waits if w and w >= 1.0]  # the sampler thread's 0.1 s waits left out
    assert long[0] == 5.0 and sum(long[1:6]) == pytest.approx(10.0)  # cool-down, then >= 10 s
    b = m.idle_baseline
    assert b.devices["gpu:0"]["utilisation"] == pytest.approx(0.35)
    assert b.devices["gpu:0"]["sm_clock_mhz"] == 1980 and not b.valid
