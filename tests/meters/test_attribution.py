import pytest

from wattprint.meters.attribution import ProcessShareMeter
from wattprint.meters.base import Provenance
from wattprint.meters.replay import ReplayMeter, TraceSample


class Box:
    def __init__(self, v=0.0):
        self.v = v

    def __call__(self):
        return self.v


def test_package_energy_shared_by_cpu_time():
    clock, busy, proc = Box(0.0), Box(100.0), Box(10.0)
    pkgs = ReplayMeter([TraceSample(0, "cpu:0", 0.0), TraceSample(10, "cpu:0", 1000.0),
                        TraceSample(0, "cpu:1", 0.0), TraceSample(10, "cpu:1", 500.0)], clock=clock)
    m = ProcessShareMeter(pkgs, ["cpu:0", "cpu:1"], busy_s=busy, process_cpu_s=proc)
    spec = m.domains()[0]
    assert spec.name == "cpu:process" and spec.scope == "process"
    assert spec.provenance is Provenance.ESTIMATED and spec.uncertainty == 0.3
    # 0 -> 2 s: packages +300 J, machine busy +4 CPU-s, process +1 CPU-s -> 75 J
    clock.v, busy.v, proc.v = 2.0, 104.0, 11.0
    assert m.read().energy_j["cpu:process"] == pytest.approx(75.0)
    # 2 -> 4 s: +300 J, the process alone was busy (share clamped at 1) -> +300 J
    clock.v, busy.v, proc.v = 4.0, 105.0, 12.5
    assert m.read().energy_j["cpu:process"] == pytest.approx(375.0)
    # 4 -> 6 s: nothing busy -> nothing attributed
    clock.v = 6.0
    assert m.read().energy_j["cpu:process"] == pytest.approx(375.0)


def test_detection_adds_process_share_on_rapl(tmp_path):
    from wattprint.meters.energy_meter import EnergyMeter

    d = tmp_path / "intel-rapl:0"
    d.mkdir()
    (d / "name").write_text("package-0\n")
    (d / "energy_uj").write_text("5\n")
    (d / "max_energy_range_uj").write_text("262143328850\n")
    m = EnergyMeter(powercap_root=str(tmp_path), components=("cpu",))
    try:
        assert [s.name for s in m.domains()] == ["cpu:0", "cpu:process"]
        share = [s for s in m.detection if s.source == "rapl-share"][0]
        assert share.chosen and "cpu:0" in share.reason
        with m:
            pass
        totals = {(t.provenance.value, t.scope) for t in m.result.totals()}
        assert totals == {("measured", "device"), ("estimated", "process")}  # never summed
    finally:
        m.close()
