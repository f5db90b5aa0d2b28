"""The command's energy first on a shared host: others' CPU time in every window, flagged."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from wattprint.meters.base import HostActivity, Provenance
from wattprint.meters.energy_meter import EnergyMeter, HostActivityReader
from wattprint.meters.estimate import CpuEstimateMeter, resolve_cpu_model


class Box:
    def __init__(self, v: float) -> None:
        self.v = v

    def __call__(self) -> float:
        return self.v


def test_others_cpu_time_flags_the_window_above_the_limit():
    a = HostActivity(cpus=2, duration_s=4.0, busy_cpu_s=4.05, own_cpu_s=0.05)
    assert a.foreign_cpu_s == pytest.approx(4.0) and a.foreign_share == pytest.approx(0.5)
    assert a.shared and "others used 4 CPU-s (50.0%" in a.describe()
    quiet = HostActivity(cpus=2, duration_s=4.0, busy_cpu_s=0.3, own_cpu_s=0.1)
    assert quiet.foreign_share == pytest.approx(0.025) and not quiet.shared  # under 5 %
    # /proc/stat's 10 ms ticks: 0.02 CPU-s of noise in a 0.1 s window is not a neighbour
    short = HostActivity(cpus=1, duration_s=0.1, busy_cpu_s=0.07, own_cpu_s=0.05,
                         resolution_cpu_s=0.02)
    assert not short.shared
    assert HostActivity.from_dict(a.to_dict()) == a


def _window(monkeypatch, foreign_cpu_s: float, own_cpu_s: float):
    """A 4-s window on a 2-CPU host whose CPU time came from others and from us."""
    busy, own, clock = Box(100.0), Box(1.0), Box(0.0)
    t = [1000.0]
    monkeypatch.setattr(time, "monotonic", lambda: t[0])
    model = resolve_cpu_model("AMD EPYC 7763", 2, [])
    cpu = CpuEstimateMeter(model, busy_s=busy, process_cpu_s=own, clock=clock)
    reader = HostActivityReader(busy, 2, "host", own_cpu_s=own, tick_s=0.0)
    m = EnergyMeter(meters=[cpu], host_activity=reader)
    m.begin("w")
    t[0] += 4.0
    clock.v = 4.0
    busy.v += foreign_cpu_s + own_cpu_s
    own.v += own_cpu_s
    r = m.end("w")
    m.close()
    return r


def test_a_shared_window_leads_with_the_process_share_and_says_why(monkeypatch):
    r = _window(monkeypatch, foreign_cpu_s=4.0, own_cpu_s=0.01)  # a busy loop on one CPU
    assert r.host_activity.shared and r.host_activity.foreign_share == pytest.approx(0.5)
    assert any(w.startswith("shared host: others used 4 CPU-s") for w in r.warnings)
    h = r.headline()
    assert h.basis == "process" and h.domains == ("cpu:process",)
    assert h.energy_j[Provenance.ESTIMATED] == pytest.approx(r.domain("cpu:process").energy_j)
    assert h.beside_j[Provenance.ESTIMATED] == pytest.approx(r.domain("cpu:machine").energy_j)
    assert h.energy_j[Provenance.ESTIMATED] < h.beside_j[Provenance.ESTIMATED] / 100
    assert "shared host" in h.reason and "idle apart" in h.reason
    d = r.to_dict()
    assert d["headline"]["basis"] == "process" and d["host_activity"]["shared"] is True


def test_an_unshared_window_leads_with_the_job_boundary(monkeypatch):
    r = _window(monkeypatch, foreign_cpu_s=0.1, own_cpu_s=6.0)  # our 6 CPU-s, 0.1 background
    assert not r.host_activity.shared
    h = r.headline()
    assert h.basis == "job" and "not shared" in h.reason
    assert h.energy_j[Provenance.ESTIMATED] == pytest.approx(r.domain("cpu:machine").energy_j)
    assert not any(w.startswith("shared host") for w in r.warnings)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/stat")
def test_measure_beside_a_busy_loop_leads_with_the_command(tmp_path):
    """The issue's reproduction: `measure -- sleep` beside a busy loop printed the host's
    energy first, with its carbon and equivalents."""
    loop = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.3)
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
        p = subprocess.run([sys.executable, "-m", "wattprint", "measure", "--json", "--",
                            "sleep", "1.5"], capture_output=True, text=True, timeout=120, env=env)
        text = subprocess.run([sys.executable, "-m", "wattprint", "measure", "--", "sleep", "1"],
                              capture_output=True, text=True, timeout=120, env=env)
    finally:
        loop.kill()
        loop.wait()
    assert p.returncode == 0, p.stderr
    doc = json.loads(p.stdout)
    a = doc["host_activity"]
    assert a["shared"] and a["foreign_cpu_s"] >= 0.5  # the loop ran most of the 1.5 s
    head = doc["headline"]
    process = [d for d in doc["domains"] if d["scope"] == "process"]
    assert head["basis"] == "process" and head["domains"] == [d["name"] for d in process]
    assert head["energy_j"]["estimated"] == pytest.approx(sum(d["energy_j"] for d in process))
    assert head["energy_j"]["estimated"] < head["beside_j"]["estimated"]
    assert doc["carbon"][0]["leads"] and doc["carbon"][0]["scope"] == "process"
    lines = text.stderr.splitlines()
    first = next(i for i, x in enumerate(lines) if x.startswith("  headline"))
    assert "the command's own share" in lines[first] and "beside it" in lines[first]
    carbon = lines.index("  carbon (per energy total; totals of different provenance are never added):")
    assert "(leads: the command's own share)" in lines[carbon + 1]
