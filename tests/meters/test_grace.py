import pytest
from fake_hwmon import Clock, hwmon, write

from wattprint.meters.base import Provenance
from wattprint.meters.grace import GraceMeter, probe
from wattprint.meters.hwprobe import Unavailable


def acpi_meter(root, index, oem, power_uw, interval_ms=50):
    return hwmon(root, index, "power_meter",
                 {"power1_average": power_uw, "power1_average_interval": interval_ms},
                 device=f"ACPI0000:0{index}", device_files={"power1_oem_info": oem})


def test_module_power_reported_others_inside_it(tmp_path):
    mod = acpi_meter(tmp_path, 0, "Module Power Socket 0", 400_000_000)
    acpi_meter(tmp_path, 1, "Grace Power Socket 0", 120_000_000)
    acpi_meter(tmp_path, 2, "CPU Power Socket 0", 90_000_000)
    acpi_meter(tmp_path, 3, "SysIO Power Socket 0", 20_000_000)
    clock = Clock(0.0)
    m = GraceMeter(str(tmp_path), clock=clock)
    (spec,) = m.domains()
    assert spec.name == "module:0" and spec.provenance is Provenance.INTEGRATED
    assert "averaged over 50 ms" in spec.source
    assert len(m.notes) == 3 and all("not added" in n for n in m.notes)
    clock.t = 0.5
    write(mod, "power1_average", 600_000_000)
    assert m.read().energy_j["module:0"] == pytest.approx(250.0)


def test_grace_cpu_only_when_no_module_meter(tmp_path):
    acpi_meter(tmp_path, 0, "Grace Power Socket 1", 120_000_000)
    m = GraceMeter(str(tmp_path), clock=Clock())
    assert [s.name for s in m.domains()] == ["cpu:grace1"]


def test_probe_on_a_machine_without_grace(tmp_path):
    hwmon(tmp_path, 0, "power_meter", {"power1_average": 1}, device="ACPI0000:00",
          device_files={"power1_oem_info": "Some other meter"})
    got = probe({"hwmon_root": str(tmp_path)})
    assert isinstance(got, Unavailable) and "Module Power Socket" in got.reason
