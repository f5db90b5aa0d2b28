import pytest
from fake_hwmon import Clock, hwmon, write

from wattprint.meters.base import Provenance
from wattprint.meters.hwprobe import Unavailable
from wattprint.meters.jetson import JetsonMeter, probe


def orin_nano(root):
    """The Orin Nano/NX monitor at i2c 1-0040: VDD_IN, VDD_CPU_GPU_CV, VDD_SOC."""
    return hwmon(root, 1, "ina3221",
                 {"in1_label": "VDD_IN", "in1_input": 5000, "curr1_input": 1200,
                  "in2_label": "VDD_CPU_GPU_CV", "in2_input": 5000, "curr2_input": 300,
                  "in3_label": "VDD_SOC", "in3_input": 5000, "curr3_input": 250},
                 device="1-0040")


def test_vdd_in_is_the_module_and_subrails_are_not_added(tmp_path):
    d = orin_nano(tmp_path)
    clock = Clock(10.0)
    m = JetsonMeter(str(tmp_path), clock=clock)
    (spec,) = m.domains()
    assert spec.name == "module:0" and spec.provenance is Provenance.INTEGRATED
    assert "whole Jetson module" in spec.boundary
    assert "VDD_CPU_GPU_CV" in m.notes[0] and "not added" in m.notes[0]
    clock.t = 11.0
    write(d, "curr1_input", 1600)  # 6 W -> 8 W over 1 s: 7 J
    assert m.read().energy_j["module:0"] == pytest.approx(7.0)


def test_agx_orin_without_input_rail_reports_each_connected_rail(tmp_path):
    hwmon(tmp_path, 1, "ina3221",
          {"in1_label": "VDD_GPU_SOC", "in1_input": 5000, "curr1_input": 2000,
           "in2_label": "VDD_CPU_CV", "in2_input": 5000, "curr2_input": 1000,
           "in3_label": "NC", "in3_input": 0, "curr3_input": 0}, device="1-0040")
    hwmon(tmp_path, 2, "ina238", {"power1_input": 3_000_000, "label": "VIN_SYS_5V0_X"}, device="1-0044")
    m = JetsonMeter(str(tmp_path), clock=Clock())
    assert [s.name for s in m.domains()] == ["rail:vdd_gpu_soc", "rail:vdd_cpu_cv", "rail:vin_sys_5v0_x"]


def test_probe_without_monitor(tmp_path):
    got = probe({"hwmon_root": str(tmp_path)})
    assert isinstance(got, Unavailable) and "ina3221" in got.reason
