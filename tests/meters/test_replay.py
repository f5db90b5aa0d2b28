import json

import pytest

from wattprint.errors import ConfigError, CounterError, MeterError
from wattprint.meters.base import Provenance
from wattprint.meters.replay import ReplayMeter, load_trace


class Clock:
    def __init__(self, t=0.0):
        self.t = t

    def __call__(self):
        return self.t


def test_csv_energy_trace_interpolates(tmp_path):
    p = tmp_path / "t.csv"
    p.write_text("t_s,domain,energy_j,provenance,boundary\n"
                 "0,gpu:0,1000,measured,A100 board\n"
                 "2,gpu:0,1400,,\n"
                 "4,gpu:0,1500,,\n")
    clock = Clock(1.0)
    m = ReplayMeter(p, clock=clock)
    spec = m.domains()[0]
    assert spec.provenance is Provenance.MEASURED and spec.boundary == "A100 board"
    clock.t = 3.0
    # at 1 s: 1200 J (half-way 1000->1400); at 3 s: 1450 J (half-way 1400->1500)
    assert m.read().energy_j["gpu:0"] == pytest.approx(250.0)
    clock.t = 4.5
    with pytest.raises(MeterError, match="outside the recorded span"):
        m.read()


def test_json_power_trace_is_integrated(tmp_path):
    p = tmp_path / "t.json"
    p.write_text(json.dumps({
        "domains": [{"name": "cpu:machine", "provenance": "estimated", "uncertainty": 0.5,
                     "scope": "machine"}],
        "samples": [{"t_s": 0, "domain": "cpu:machine", "power_w": 10},
                    {"t_s": 1, "domain": "cpu:machine", "power_w": 30},
                    {"t_s": 2, "domain": "cpu:machine", "power_w": 30}]}))
    clock = Clock(0.0)
    m = ReplayMeter(p, clock=clock)
    spec = m.domains()[0]
    assert spec.provenance is Provenance.ESTIMATED and spec.uncertainty == 0.5
    assert spec.scope == "machine"
    clock.t = 2.0
    # trapezoid: (10+30)/2 x 1 + 30 x 1 = 50 J
    assert m.read().energy_j["cpu:machine"] == pytest.approx(50.0)


def test_power_without_provenance_is_integrated(tmp_path):
    p = tmp_path / "t.csv"
    p.write_text("t_s,domain,power_w\n0,gpu:1,5\n1,gpu:1,5\n")
    assert ReplayMeter(p, clock=Clock()).domains()[0].provenance is Provenance.INTEGRATED


@pytest.mark.parametrize("body,match", [
    ("t_s,domain,energy_j\n0,gpu:0,abc\n", r"t\.csv:2: field 'energy_j'"),
    ("t_s,domain,energy_j,power_w\n0,gpu:0,1,2\n", "exactly one"),
    ("t_s,domain\n0,gpu:0\n", "exactly one"),
    ("t_s,domain,energy_j\n", "no samples"),
    ("t_s,domain,energy_j,provenance\n0,g:0,1,guessed\n", "provenance 'guessed'"),
    ("t_s,domain,energy_j,provenance\n0,g:0,1,estimated\n", "needs an 'uncertainty'"),
])
def test_bad_traces_name_the_problem(tmp_path, body, match):
    p = tmp_path / "t.csv"
    p.write_text(body)
    with pytest.raises(ConfigError, match=match):
        ReplayMeter(p, clock=Clock())


def test_backwards_trace_is_a_counter_error(tmp_path):
    p = tmp_path / "t.csv"
    p.write_text("t_s,domain,energy_j\n0,gpu:0,10\n1,gpu:0,5\n")
    with pytest.raises(CounterError, match="backwards"):
        ReplayMeter(p, clock=Clock())


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="cannot read trace"):
        load_trace(tmp_path / "nope.csv")
