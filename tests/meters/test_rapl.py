import builtins
import os

import pytest

from wattprint.errors import CounterError, MeterError
from wattprint.meters.base import Provenance
from wattprint.meters.energy_meter import EnergyMeter
from wattprint.meters.rapl import RaplMeter, discover_zones

REAL_RANGE = 262143328850  # a real max_energy_range_uj (Intel Xeon)


class Clock:
    def __init__(self, t=0.0):
        self.t = t

    def __call__(self):
        return self.t


def zone(root, zid, name, energy_uj=0, max_range=REAL_RANGE, max_power_uw=None):
    d = root / zid
    d.mkdir()
    (d / "name").write_text(name + "\n")
    (d / "energy_uj").write_text(f"{energy_uj}\n")
    (d / "max_energy_range_uj").write_text(f"{max_range}\n")
    if max_power_uw is not None:  # the long-term limit; the short-term one often reads 0
        (d / "constraint_0_max_power_uw").write_text(f"{max_power_uw}\n")
        (d / "constraint_1_max_power_uw").write_text("0\n")
    return d


def deny_energy_files(monkeypatch):
    """What a non-root user sees on kernels with the PLATYPUS fix: energy_uj is 0400 root."""
    real_open, real_os_open = builtins.open, os.open

    def fake_open(path, *a, **k):
        if str(path).endswith("energy_uj"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *a, **k)

    def fake_os_open(path, *a, **k):
        if str(path).endswith("energy_uj"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_os_open(path, *a, **k)

    monkeypatch.setattr(builtins, "open", fake_open)
    monkeypatch.setattr(os, "open", fake_os_open)


def set_uj(d, value):
    (d / "energy_uj").write_text(f"{value}\n")


def test_several_wraps_exact_to_the_microjoule(tmp_path):
    rng = 50_000_000  # 50 J: wraps every few reads
    # a 250 W limit (500 W max): 0.1 s between reads cannot hide a second wrap
    pkg = zone(tmp_path, "intel-rapl:0", "package-0", 49_000_000, rng, max_power_uw=250_000_000)
    clock = Clock(0.0)
    m = RaplMeter(str(tmp_path), clock=clock)
    raw, truth_uj = 49_000_000, 0
    steps = [17_345_678, 33_000_001, 49_999_999, 1, 12_345_678, 40_000_000, 7]
    for step in steps:  # each step < range: at most one wrap between two reads
        raw = (raw + step) % rng
        truth_uj += step
        clock.t += 0.1
        set_uj(pkg, raw)
        m.poll()  # what the sampler thread does between window reads
    clock.t += 0.1
    r = m.read()
    assert truth_uj > 3 * rng  # several wrap-arounds happened
    assert r.energy_j["cpu:0"] == truth_uj / 1e6  # exact: integer µJ converted once
    assert m.domains()[0].provenance is Provenance.MEASURED


def test_windows_across_wraps_through_energy_meter(tmp_path):
    rng = 1_000_000_000
    pkg = zone(tmp_path, "intel-rapl:0", "package-0", 900_000_000, rng, max_power_uw=250_000_000)
    clock = Clock(10.0)
    # The meter's poll thread may also read in between: with the clock standing still each
    # of its reads sees at most one wrap, so the result is the same whenever it runs.
    m = EnergyMeter(meters=[RaplMeter(str(tmp_path), clock=clock)])
    m.begin("w")
    set_uj(pkg, 400_000_000)  # wrapped: +500 J
    clock.t = 12.0
    m.meters[0].poll()
    set_uj(pkg, 250_000_000)  # wrapped again: +850 J
    clock.t = 14.0
    r = m.end("w")
    assert r.domain("cpu:0").energy_j == 1350.0
    assert r.duration_s == 4.0
    m.close()
    with pytest.raises(MeterError, match="closed"):
        m.meters[0].read()


def test_sub_zones_never_added_to_the_package(tmp_path):
    pkg = zone(tmp_path, "intel-rapl:0", "package-0", 1_000)
    core = zone(tmp_path, "intel-rapl:0:0", "core", 500)
    unc = zone(tmp_path, "intel-rapl:0:1", "uncore", 100)
    dram = zone(tmp_path, "intel-rapl:0:2", "dram", 10)
    clock = Clock()
    m = RaplMeter(str(tmp_path), clock=clock)
    assert sorted(s.name for s in m.domains()) == ["cpu:0", "dram:0"]
    set_uj(pkg, 3_001_000)
    set_uj(core, 2_000_500)
    set_uj(unc, 400_100)
    set_uj(dram, 700_010)
    clock.t = 1.0
    r = m.read()
    assert r.energy_j == {"cpu:0": 3.0, "dram:0": 0.7}
    reasons = {z.zone_id: z.reason for z in m.zones if z.domain is None}
    assert "never added" in reasons["intel-rapl:0:0"] and "never added" in reasons["intel-rapl:0:1"]


def test_psys_mmio_mirror_and_two_sockets(tmp_path):
    zone(tmp_path, "intel-rapl:0", "package-0")
    zone(tmp_path, "intel-rapl:1", "package-1")
    zone(tmp_path, "intel-rapl:1:0", "dram")
    zone(tmp_path, "intel-rapl:2", "psys")
    zone(tmp_path, "intel-rapl-mmio:0", "package-0")
    zones = {z.zone_id: z for z in discover_zones(str(tmp_path))}
    assert zones["intel-rapl:0"].domain == "cpu:0"
    assert zones["intel-rapl:1"].domain == "cpu:1"
    assert zones["intel-rapl:1:0"].domain == "dram:1"
    assert zones["intel-rapl:2"].domain is None and "psys" in zones["intel-rapl:2"].reason
    assert zones["intel-rapl-mmio:0"].domain is None
    assert "counted once" in zones["intel-rapl-mmio:0"].reason


def test_amd_zones(tmp_path):
    zone(tmp_path, "amd-rapl:0", "package-0", 5)
    m = RaplMeter(str(tmp_path), clock=Clock())
    assert [s.name for s in m.domains()] == ["cpu:0"]


def test_counter_going_backwards_is_an_error(tmp_path):
    pkg = zone(tmp_path, "intel-rapl:0", "package-0", 5_000_000)
    clock = Clock()
    m = RaplMeter(str(tmp_path), clock=clock)
    set_uj(pkg, 4_000_000)  # as a wrap, this would be 262 kJ in 1 s
    clock.t = 1.0
    with pytest.raises(CounterError, match="went backwards"):
        m.read()


def test_impossible_jump_and_out_of_range(tmp_path):
    pkg = zone(tmp_path, "intel-rapl:0", "package-0", 0)
    clock = Clock()
    m = RaplMeter(str(tmp_path), clock=clock)
    set_uj(pkg, 100_000_000_000)  # 100 kJ in 1 s
    clock.t = 1.0
    with pytest.raises(CounterError, match="jumped"):
        m.read()
    set_uj(pkg, REAL_RANGE + 1)
    with pytest.raises(CounterError, match="outside its range"):
        m.read()


def test_poll_interval_follows_the_wrap_period(tmp_path):
    zone(tmp_path, "intel-rapl:0", "package-0", 0, 8_000_000_000)  # 8 kJ
    m = RaplMeter(str(tmp_path), clock=Clock(), cpu_tdp_w=0)
    # no power limit, no TDP: 8000 J at the 2000 W plausibility ceiling wraps in 4 s; poll 4x
    assert m.wrap_period_s == 4.0 and m.poll_interval_s == 1.0
    # the CPU model's TDP bounds the package: 2 x 125 W -> 32 s
    assert RaplMeter(str(tmp_path), clock=Clock(), cpu_tdp_w=125).wrap_period_s == 32.0
    (tmp_path / "intel-rapl:0" / "constraint_0_max_power_uw").write_text("100000000\n")
    m = RaplMeter(str(tmp_path), clock=Clock(), cpu_tdp_w=125)  # the zone's own limit wins
    assert m.wrap_period_s == 40.0 and "constraint" in m.describe()


def _expect_permission_message(tmp_path):
    with pytest.raises(MeterError) as e:
        RaplMeter(str(tmp_path), clock=Clock())
    msg = str(e.value)
    assert "permission denied" in msg and "root" in msg and "chmod" in msg
    assert "energy_uj" in msg


def test_unreadable_counter_simulated(tmp_path, monkeypatch):
    zone(tmp_path, "intel-rapl:0", "package-0", 1)
    deny_energy_files(monkeypatch)
    _expect_permission_message(tmp_path)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads mode-000 files; the simulated variant covers it")
def test_unreadable_counter_real_chmod(tmp_path):
    pkg = zone(tmp_path, "intel-rapl:0", "package-0", 1)
    (pkg / "energy_uj").chmod(0)
    _expect_permission_message(tmp_path)


def test_missing_root_and_empty_root(tmp_path):
    with pytest.raises(MeterError, match="no powercap directory"):
        RaplMeter(str(tmp_path / "nope"))
    with pytest.raises(MeterError, match="no RAPL zone"):
        RaplMeter(str(tmp_path))


def test_detection_prefers_rapl_and_drops_the_ram_estimate(tmp_path):
    zone(tmp_path, "intel-rapl:0", "package-0", 0)
    zone(tmp_path, "intel-rapl:0:0", "dram", 0)
    m = EnergyMeter(powercap_root=str(tmp_path), components=("cpu", "dram", "ram"))
    try:
        names = sorted(d.name for d in m.domains())
        assert names == ["cpu:0", "cpu:process", "dram:0"]
        chosen = {(s.component, s.source) for s in m.detection if s.chosen}
        assert ("cpu", "rapl") in chosen
        ram = [s for s in m.detection if s.source == "estimate" and s.component == "ram"][0]
        assert not ram.chosen and "same DIMMs" in ram.reason
    finally:
        m.close()


def test_detection_falls_back_with_reason_when_unreadable(tmp_path, monkeypatch):
    zone(tmp_path, "intel-rapl:0", "package-0", 1)
    deny_energy_files(monkeypatch)
    m = EnergyMeter(powercap_root=str(tmp_path), components=("cpu",))
    rapl = [s for s in m.detection if s.source == "rapl"][0]
    assert not rapl.chosen and "permission denied" in rapl.reason
    assert [d.name for d in m.domains()] == ["cpu:machine", "cpu:process"]
    m.close()


def test_multi_die_zones_distinct_dies_are_each_counted(tmp_path):
    # Cascade Lake-AP: two dies per package, each with its own counter and DRAM
    zone(tmp_path, "intel-rapl:0", "package-0-die-0", 1_000_000)
    zone(tmp_path, "intel-rapl:0:0", "dram", 10)
    zone(tmp_path, "intel-rapl:1", "package-0-die-1", 7_000_000)
    zone(tmp_path, "intel-rapl:1:0", "dram", 20)
    clock = Clock(0.0)
    m = RaplMeter(str(tmp_path), clock=clock)
    names = sorted(s.name for s in m.domains())
    assert names == ["cpu:0-die-0", "cpu:0-die-1", "dram:0-die-0", "dram:0-die-1"]
    (tmp_path / "intel-rapl:0" / "energy_uj").write_text("3000000\n")
    (tmp_path / "intel-rapl:1" / "energy_uj").write_text("8000000\n")
    clock.t = 1.0
    r = m.read()
    assert r.energy_j["cpu:0-die-0"] == 2.0 and r.energy_j["cpu:0-die-1"] == 1.0
    m.close()


def test_multi_die_mirrored_dies_are_counted_once(tmp_path):
    # EPYC Zen 2 style: every die shows the same package counter
    zone(tmp_path, "intel-rapl:0", "package-0-die-0", 5_000_000)
    zone(tmp_path, "intel-rapl:1", "package-0-die-1", 5_000_000)
    zone(tmp_path, "intel-rapl:2", "package-1-die-0", 9_000_000)
    zone(tmp_path, "intel-rapl:3", "package-1-die-1", 9_000_000)
    zones = {z.zone_id: z for z in discover_zones(str(tmp_path))}
    assert zones["intel-rapl:0"].domain == "cpu:0" and zones["intel-rapl:2"].domain == "cpu:1"
    assert zones["intel-rapl:1"].domain is None and "mirror" in zones["intel-rapl:1"].reason
    m = EnergyMeter(powercap_root=str(tmp_path), components=("cpu",))
    try:
        assert sorted(d.name for d in m.domains()) == ["cpu:0", "cpu:1", "cpu:process"]
    finally:
        m.close()


def _steady(pkg, m, clock, raw, power_w, seconds, step_s, rng):
    """Advance a zone at a constant power with reads every step_s; returns (raw, joules)."""
    joules = 0.0
    for _ in range(round(seconds / step_s)):
        raw = (raw + round(power_w * step_s * 1e6)) % rng
        joules += power_w * step_s
        clock.t += step_s
        set_uj(pkg, raw)
        m.poll()
    return raw, joules


GAP_RANGE = 100_000_000  # a 100 J counter: wraps every 3.3 s at 30 W


def _gap_meter(tmp_path):
    """A package zone with a 100 J range and a 25 W limit, its meter and an EnergyMeter."""
    pkg = zone(tmp_path, "intel-rapl:0", "package-0", 0, GAP_RANGE, max_power_uw=25_000_000)
    clock = Clock(0.0)
    rapl = RaplMeter(str(tmp_path), clock=clock)
    return pkg, clock, rapl, EnergyMeter(meters=[rapl])


def test_a_stopped_process_misses_no_wrap_when_its_recent_power_tells(tmp_path):
    """6 s of SIGSTOP at 30 W on a 100 J counter: the counter shows 80 J of the 180 J."""
    pkg, clock, rapl, m = _gap_meter(tmp_path)
    assert rapl.poll_interval_s == 0.5  # 100 J at 2 x 25 W wraps in 2 s
    m.begin("w")
    raw, truth = _steady(pkg, rapl, clock, 0, 30.0, 3.0, 0.5, GAP_RANGE)
    raw = (raw + 180_000_000) % GAP_RANGE  # stopped for 6 s: no poll, the counter wraps twice
    truth += 180.0
    clock.t += 6.0
    set_uj(pkg, raw)
    r = m.end("w")
    d = r.domain("cpu:0")
    assert d.energy_j == pytest.approx(truth)  # 270 J, not 170 J
    assert r.validity["cpu:0"]["no_missed_wrap"] is True
    assert any("implies 1 more wrap" in w for w in r.warnings)
    assert d.uncertainty >= 0.10 + 0.25 * 180.0 / truth  # the continuity assumption's share
    m.close()


def test_an_ambiguous_gap_is_flagged_and_its_uncertainty_covers_the_truth(tmp_path):
    pkg, clock, rapl, m = _gap_meter(tmp_path)
    m.begin("w")  # stopped right away: no recent power to tell how many wraps
    clock.t += 6.0
    set_uj(pkg, 80_000_000)  # truth 180 J (30 W), shown 80 J
    r = m.end("w")
    d = r.domain("cpu:0")
    assert d.energy_j == pytest.approx(80.0)
    assert r.validity["cpu:0"]["no_missed_wrap"] is False
    assert any("no recent power to tell" in w and "uncertain by" in w for w in r.warnings)
    total = [t for t in r.totals() if t.provenance is Provenance.MEASURED][0]
    assert total.low_j <= 180.0 <= total.high_j  # widened to cover every candidate (up to 280 J)
    assert d.uncertainty >= 200.0 / 80.0
    # the next window, after the gap, is clean again
    m.begin("next")
    _steady(pkg, rapl, clock, 80_000_000, 30.0, 2.0, 0.5, GAP_RANGE)
    r2 = m.end("next")
    assert r2.validity["cpu:0"]["no_missed_wrap"] is True
    assert r2.domain("cpu:0").energy_j == pytest.approx(60.0)
    m.close()


def test_power_that_changed_over_the_gap_is_ambiguous_not_guessed(tmp_path):
    pkg, clock, rapl, m = _gap_meter(tmp_path)
    m.begin("w")
    raw, _ = _steady(pkg, rapl, clock, 0, 10.0, 2.0, 0.5, GAP_RANGE)  # 10 W, then ~48 W while stopped
    clock.t += 6.0
    set_uj(pkg, (raw + 290_000_000) % GAP_RANGE)  # shows 90 J; 10 W x 6 s fits none of 90, 190, 290
    r = m.end("w")
    assert r.validity["cpu:0"]["no_missed_wrap"] is False
    assert r.domain("cpu:0").energy_j == pytest.approx(20.0 + 90.0)  # the nearest, flagged
    total = [t for t in r.totals() if t.provenance is Provenance.MEASURED][0]
    assert total.low_j <= 20.0 + 290.0 <= total.high_j
    m.close()


def test_measured_rapl_energy_carries_an_uncertainty(tmp_path):
    pkg = zone(tmp_path, "intel-rapl:0", "package-0", 0)
    dram = zone(tmp_path, "intel-rapl:0:0", "dram", 0)
    clock = Clock(0.0)
    m = EnergyMeter(meters=[RaplMeter(str(tmp_path), clock=clock)])
    m.begin("w")
    set_uj(pkg, 20_000_000)
    set_uj(dram, 4_000_000)
    clock.t = 2.0
    r = m.end("w")
    assert r.domain("cpu:0").uncertainty == pytest.approx(0.10 + 2 * 0.001 / 2.0)
    assert r.domain("dram:0").uncertainty == pytest.approx(0.20 + 2 * 0.001 / 2.0)
    total = [t for t in r.totals() if t.provenance is Provenance.MEASURED][0]
    assert total.uncertainty_j == pytest.approx(20 * 0.101 + 4 * 0.201)
    assert r.validity["cpu:0"]["no_missed_wrap"] is True and not any("wrap" in w for w in r.warnings)
    m.close()
