import pytest

from wattprint.errors import MeterError
from wattprint.meters.base import Provenance
from wattprint.meters.estimate import (
    FULL_LOAD_FRACTION,
    IDLE_FRACTION,
    KNOWN_CPU_UNCERTAINTY,
    CpuEstimateMeter,
    RamEstimateMeter,
    TdpEntry,
    load_tdp_table,
    resolve_cpu_model,
)

EPYC = TdpEntry(r"EPYC 7763\b", 280.0, 64, 128, "AMD spec page", 2021)


class Box:
    """A settable value: fake clocks and fake cumulative CPU times."""

    def __init__(self, v: float) -> None:
        self.v = v

    def __call__(self) -> float:
        return self.v


def test_known_cpu_scaled_to_vm_share():
    m = resolve_cpu_model("AMD EPYC 7763 64-Core Processor", 2, [EPYC])
    assert m.known
    # 280 W for 128 threads, this VM has 2 -> 280 * 2/128 = 4.375 W; idle and full load are
    # the fitted fractions of it
    assert m.tdp_eff_w == pytest.approx(4.375)
    assert m.idle_power_w == pytest.approx(IDLE_FRACTION * 4.375)
    # one busy logical CPU adds (P_full - P_idle) / 2
    assert m.w_per_busy_cpu == pytest.approx((FULL_LOAD_FRACTION - IDLE_FRACTION) * 4.375 / 2)
    assert m.uncertainty == KNOWN_CPU_UNCERTAINTY
    assert "AMD spec page" in m.source
    assert "128 socket threads" in m.source


def test_unknown_cpu_uses_stated_default():
    m = resolve_cpu_model("Intel(R) Xeon(R) Processor", 2, [EPYC])
    assert not m.known
    assert m.tdp_eff_w == pytest.approx(8.0)  # 4 W x 2 logical CPUs
    assert m.uncertainty == 2.0
    assert "not in the TDP tables" in m.source and "4 W per logical CPU" in m.source


def test_cpu_energy_integrates_busy_and_idle_time():
    model = resolve_cpu_model("AMD EPYC 7763", 2, [EPYC])
    clock, busy, proc = Box(100.0), Box(50.0), Box(3.0)
    meter = CpuEstimateMeter(model, busy_s=busy, process_cpu_s=proc, clock=clock)
    clock.v, busy.v, proc.v = 102.0, 51.5, 3.8
    r = meter.read()
    # machine: idle power x 2 s + k x 1.5 busy CPU-s; process: k x 0.8 CPU-s of its own
    idle_w, k = IDLE_FRACTION * 4.375, (FULL_LOAD_FRACTION - IDLE_FRACTION) * 4.375 / 2
    assert r.energy_j["cpu:machine"] == pytest.approx(idle_w * 2 + k * 1.5)
    assert r.energy_j["cpu:process"] == pytest.approx(k * 0.8)
    specs = {s.name: s for s in meter.domains()}
    assert specs["cpu:machine"].provenance is Provenance.ESTIMATED
    assert specs["cpu:machine"].scope == "host" and specs["cpu:process"].scope == "process"
    assert specs["cpu:machine"].model.constants["tdp_socket_w"] == 280.0


def test_cpu_without_process_domain():
    model = resolve_cpu_model("x", 1, [])
    meter = CpuEstimateMeter(model, process=False, busy_s=Box(0.0), clock=Box(0.0))
    assert [s.name for s in meter.domains()] == ["cpu:machine"]


def test_ram_estimate_per_gb():
    clock = Box(10.0)
    m = RamEstimateMeter(16.0, clock=clock)
    clock.v = 14.0
    # 0.3725 W/GB x 16 GB = 5.96 W, over 4 s = 23.84 J
    assert m.read().energy_j["ram:machine"] == pytest.approx(23.84)
    spec = m.domains()[0]
    assert spec.uncertainty == 0.75 and spec.model.constants["w_per_gb"] == 0.3725


def test_shipped_table_is_well_formed():
    rows = load_tdp_table()
    assert len(rows) >= 30
    import re

    for r in rows:
        re.compile(r.pattern)
        assert r.tdp_w > 0 and r.threads >= r.cores > 0 and r.source and 2010 < r.year < 2030
    m = resolve_cpu_model("AMD EPYC 7763 64-Core Processor", 128, rows)
    assert m.tdp_eff_w == 280.0
    m = resolve_cpu_model("Intel(R) Xeon(R) Platinum 8480+", 112, rows)
    assert m.tdp_eff_w == 350.0
    # \b keeps 7763 from matching a longer model number
    assert not resolve_cpu_model("AMD EPYC 77630", 2, rows).known
    assert resolve_cpu_model("amd epyc 7742 64-core", 128, rows).tdp_eff_w == 225.0


def test_bad_table_names_file_and_line(tmp_path):
    p = tmp_path / "t.csv"
    p.write_text("model_pattern,tdp_w,cores,threads,source,year\nX,abc,1,2,s,2020\n")
    with pytest.raises(MeterError, match=r"t\.csv:2"):
        load_tdp_table(p)


def test_real_machine_estimate_reads_without_thread():
    import threading

    before = threading.active_count()
    m = CpuEstimateMeter()
    r = m.read()
    assert r.energy_j["cpu:machine"] >= 0 and r.energy_j["cpu:process"] >= 0
    assert threading.active_count() == before


def test_proc_stat_reader_agrees_with_psutil():
    from wattprint.meters.estimate import ProcStatBusy, _psutil_busy_s

    fast = ProcStatBusy()
    tick_s = 0.02  # /proc/stat counts in 10 ms ticks; psutil rounds its sums
    before = _psutil_busy_s()
    a = fast()
    after = _psutil_busy_s()
    assert a > 0 and before - tick_s <= a <= after + tick_s  # same fields, read between
    fast.close()
    fallback = ProcStatBusy("/nonexistent/stat")
    before = _psutil_busy_s()
    assert before <= fallback() <= _psutil_busy_s()
