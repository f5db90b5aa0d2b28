import pytest

from wattprint.errors import ConfigError
from wattprint.meters.base import Provenance
from wattprint.meters.detect import detect


def test_estimates_with_reasons_when_no_counter(tmp_path):
    meters, status = detect(components=("cpu", "ram"), powercap_root=str(tmp_path / "none"))
    names = [s.name for m in meters for s in m.domains()]
    assert names == ["cpu:machine", "cpu:process", "ram:machine"]
    assert all(s.provenance is Provenance.ESTIMATED for m in meters for s in m.domains())
    by = {(s.component, s.source): s for s in status}
    assert not by[("cpu", "rapl")].chosen and "no powercap directory" in by[("cpu", "rapl")].reason
    assert by[("cpu", "estimate")].chosen and "uncertainty" in by[("cpu", "estimate")].reason
    assert by[("ram", "estimate")].chosen and "Green Algorithms" in by[("ram", "estimate")].reason
    for m in meters:
        m.close()


def test_only_what_was_asked(tmp_path):
    meters, status = detect(components=("ram",), powercap_root=str(tmp_path))
    assert [s.name for m in meters for s in m.domains()] == ["ram:machine"]
    assert {s.component for s in status} <= {"ram", "dram"}


def test_unknown_component():
    with pytest.raises(ConfigError, match="did you mean 'gpu'"):
        detect(components=("gpus",))
