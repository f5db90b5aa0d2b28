import pytest
from fake_hwmon import Clock, hwmon, write

from wattprint.errors import CounterError, MeterError
from wattprint.meters.base import Provenance
from wattprint.meters.hwprobe import Unavailable
from wattprint.meters.intel_gpu import IntelGpuMeter, probe


def xe_card(root, index, pci, card_uj, pkg_uj):
    return hwmon(root / "hwmon", index, "xe",
                 {"energy1_input": card_uj, "energy1_label": "card",
                  "energy2_input": pkg_uj, "energy2_label": "pkg"}, device=pci)


def test_xe_card_counter_measured_in_joules_pkg_not_added(tmp_path):
    b = xe_card(tmp_path, 3, "0000:4d:00.0", 1_000_000, 900_000)
    a = xe_card(tmp_path, 5, "0000:3a:00.0", 5_000_000, 4_000_000)
    m = IntelGpuMeter(str(tmp_path / "hwmon"), clock=Clock())
    specs = m.domains()
    assert [s.name for s in specs] == ["gpu:xpu0", "gpu:xpu1"]
    assert all(s.provenance is Provenance.MEASURED for s in specs)
    assert "0000:3a:00.0" in specs[0].boundary and "whole card" in specs[0].boundary  # PCI order
    assert specs[0].source.endswith("hwmon5/energy1_input")
    assert any("energy2 (pkg)" in n and "not added" in n for n in m.notes)
    write(a, "energy1_input", 5_000_000 + 2_500_000)
    write(b, "energy1_input", 1_000_000 + 750)
    r = m.read()
    assert r.energy_j == {"gpu:xpu0": pytest.approx(2.5), "gpu:xpu1": pytest.approx(0.00075)}


def test_i915_unlabelled_package_counter_and_backwards_is_an_error(tmp_path):
    d = hwmon(tmp_path, 0, "i915", {"energy1_input": 10_000}, device="0000:03:00.0")
    m = IntelGpuMeter(str(tmp_path))
    assert "GPU package" in m.domains()[0].boundary
    write(d, "energy1_input", 9_000)
    with pytest.raises(CounterError, match="went backwards"):
        m.read()


def test_probe_says_why_when_no_counter(tmp_path):
    hwmon(tmp_path, 0, "i915", {"power1_max": 0}, device="0000:00:02.0")  # integrated GPU
    hwmon(tmp_path, 1, "coretemp", {"temp1_input": 40000})
    got = probe({"hwmon_root": str(tmp_path)})
    assert isinstance(got, Unavailable)
    assert "no energy counter" in got.reason and "0000:00:02.0" in got.reason
    missing = probe({"hwmon_root": str(tmp_path / "absent")})
    assert isinstance(missing, Unavailable) and "no hwmon directory" in missing.reason


def test_unreadable_counter_is_a_meter_error(tmp_path):
    hwmon(tmp_path, 0, "xe", {"energy1_input": "garbage", "energy1_label": "card"}, device="0000:03:00.0")
    with pytest.raises(MeterError, match="expected an integer"):
        IntelGpuMeter(str(tmp_path))
