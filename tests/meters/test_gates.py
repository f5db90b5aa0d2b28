"""A gate says why a source cannot apply before its module is imported, in the words its probe
would use: the status a user reads does not depend on which of the two said it."""

from __future__ import annotations

import sys

import pytest

from wattprint.meters.detect import COMPONENTS, SOURCES
from wattprint.meters.probe import HardwareOptions, ProbeOptions, Unavailable

GATED = [s for s in SOURCES if s.gate is not None]


def _closed_machine(tmp_path) -> ProbeOptions:
    """Options under which no gated source can apply (no sysfs trees, nothing named)."""
    return ProbeOptions(frozenset(COMPONENTS), powercap_root=str(tmp_path / "no-powercap"),
                        hardware=HardwareOptions(hwmon_root=str(tmp_path / "no-hwmon")),
                        settings={"environ": {}})


@pytest.mark.parametrize("source", GATED, ids=lambda s: s.name)
def test_a_closed_gate_gives_the_reason_the_probe_gives(source, tmp_path, monkeypatch):
    monkeypatch.delitem(sys.modules, "pynvml", raising=False)
    monkeypatch.delitem(sys.modules, "amdsmi", raising=False)
    monkeypatch.setattr("os.path.exists", lambda p: False)  # no /dev/nvidiactl, /dev/kfd ...
    opts = _closed_machine(tmp_path)
    why = source.gate(opts)
    if source.name == "apple" and sys.platform == "darwin":
        assert why is None
        return
    assert why
    found = source.load()(opts)
    assert isinstance(found, Unavailable) and found.reason == why


def test_an_open_gate_lets_the_probe_decide(tmp_path):
    (tmp_path / "hwmon").mkdir()
    opts = ProbeOptions(frozenset(COMPONENTS), powercap_root=str(tmp_path),
                        hardware=HardwareOptions(hwmon_root=str(tmp_path / "hwmon"),
                                                 redfish_url="http://127.0.0.1:9", ipmi=True,
                                                 prometheus_url="http://127.0.0.1:9/metrics"))
    opened = {s.name for s in GATED if s.gate(opts) is None}
    assert {"intel-gpu", "gaudi", "jetson", "grace", "redfish", "ipmi", "prometheus",
            "rapl"} <= opened
