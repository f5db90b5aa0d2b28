"""The meter plug-in point: detection is one ordered table of ``probe`` functions."""

import inspect
import json
import sys
import types

import pytest

from wattprint.errors import MeterError
from wattprint.meters import detect as detect_mod
from wattprint.meters.base import DomainSpec, Meter, Provenance, Reading
from wattprint.meters.detect import SOURCES, Source, detect
from wattprint.meters.probe import ProbeOptions, Unavailable


class _WallMeter(Meter):
    name = "wall"

    def domains(self):
        return [DomainSpec("dram:0", "dram", "DIMMs read by a BMC", Provenance.MEASURED, "test")]

    def read(self):
        return Reading(0.0, {"dram:0": 1.0})


def _plugin(monkeypatch, **probes):
    mod = types.ModuleType("fake_meter_plugin")
    for k, v in probes.items():
        setattr(mod, k, v)
    monkeypatch.setitem(sys.modules, "fake_meter_plugin", mod)


def test_a_new_source_is_one_module_and_one_table_line(monkeypatch, tmp_path):
    seen = {}

    def probe(options: ProbeOptions):
        seen["opts"] = options
        return _WallMeter()

    _plugin(monkeypatch, probe=probe)
    table = (*SOURCES, Source("wall", "ram", ("memory",), "fake_meter_plugin:probe"))
    meters, status = detect(components=("ram",), powercap_root=str(tmp_path / "none"),
                            sources=table)
    # the RAM estimate fills the memory slot first, so the later source is not even probed
    assert "opts" not in seen
    wall = [s for s in status if s.source == "wall"][0]
    assert not wall.chosen and "estimate measures memory" in wall.reason

    table = (Source("wall", "ram", ("memory",), "fake_meter_plugin:probe"), *SOURCES)
    meters, status = detect(components=("ram",), powercap_root=str(tmp_path / "none"),
                            sources=table)
    assert [m.name for m in meters] == ["wall"]
    assert seen["opts"].components == frozenset({"ram"})
    by = {s.source: s for s in status}
    assert by["wall"].chosen and "dram:0" in by["wall"].reason
    assert not by["estimate"].chosen and "not probed" in by["estimate"].reason


def test_unavailable_reason_is_reported_and_next_source_used(monkeypatch, tmp_path):
    _plugin(monkeypatch, probe=lambda o: Unavailable("no BMC configured (set WATTPRINT_BMC)"))
    table = (Source("bmc", "ram", ("memory",), "fake_meter_plugin:probe"), *SOURCES)
    meters, status = detect(components=("ram",), powercap_root=str(tmp_path), sources=table)
    by = {s.source: s for s in status}
    assert not by["bmc"].available and "WATTPRINT_BMC" in by["bmc"].reason
    assert [d.name for m in meters for d in m.domains()] == ["ram:machine"]


def test_detect_has_no_per_meter_branches():
    src = inspect.getsource(detect_mod.detect)
    for name in ("nvml", "rapl", "Nvml", "Rapl", "CpuEstimate", "RamEstimate"):
        assert name not in src


def test_explicit_gpus_that_no_source_can_measure_is_an_error(monkeypatch, tmp_path):
    _plugin(monkeypatch, probe=lambda o: Unavailable("no accelerator here"))
    table = (Source("acc", "gpu", ("gpu",), "fake_meter_plugin:probe"),)
    with pytest.raises(MeterError, match="no accelerator here"):
        detect(components=("gpu",), gpus=[0], sources=table)
    meters, status = detect(components=("gpu",), sources=table)  # not explicit: a skip
    assert meters == [] and status[0].reason == "no accelerator here"


def test_meters_json_lists_every_relevant_source(tmp_path, capsys):
    from wattprint.cli import main

    assert main(["meters", "--json", "--powercap-root", str(tmp_path / "none")]) == 0
    out = json.loads(capsys.readouterr().out)
    listed = {(s["component"], s["source"]) for s in out["sources"]}
    assert {(s.component, s.name) for s in SOURCES} <= listed
    assert all(s["reason"] for s in out["sources"])
