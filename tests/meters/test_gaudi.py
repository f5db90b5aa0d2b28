import pytest
from fake_hwmon import Clock, hwmon, write

from wattprint.meters.base import Provenance
from wattprint.meters.gaudi import GaudiMeter, probe
from wattprint.meters.hwprobe import Unavailable


def test_power_only_gaudi_is_integrated_energy_counter_is_measured(tmp_path):
    p = hwmon(tmp_path, 2, "habanalabs", {"power1_input": 300_000_000}, device="0000:b3:00.0")
    e = hwmon(tmp_path, 1, "habanalabs", {"energy1_input": 7_000_000}, device="0000:19:00.0")
    clock = Clock(0.0)
    m = GaudiMeter(str(tmp_path), clock=clock)
    specs = {s.name: s for s in m.domains()}
    assert specs["gpu:hpu0"].provenance is Provenance.MEASURED and "0000:19:00.0" in specs["gpu:hpu0"].boundary
    assert specs["gpu:hpu1"].provenance is Provenance.INTEGRATED
    assert m.poll_interval_s == 0.1
    clock.t = 2.0
    write(p, "power1_input", 500_000_000)  # 300 W -> 500 W over 2 s: 800 J (trapezoid)
    write(e, "energy1_input", 7_000_000 + 123_000_000)
    r = m.read()
    assert r.energy_j["gpu:hpu1"] == pytest.approx(800.0)
    assert r.energy_j["gpu:hpu0"] == pytest.approx(123.0)


def test_probe_without_gaudi(tmp_path):
    hwmon(tmp_path, 0, "nvme", {"temp1_input": 30000})
    got = probe({"hwmon_root": str(tmp_path)})
    assert isinstance(got, Unavailable) and "no Gaudi" in got.reason
