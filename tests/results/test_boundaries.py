"""The four nested boundaries of one result, against hand-computed values."""

from __future__ import annotations

import pytest

from wattprint.meters.base import DomainEnergy, EstimateModel, Provenance
from wattprint.results.boundaries import (
    LEVELS,
    boundaries,
    boundary_columns,
    check_idle_share,
    level_of,
)
from wattprint.results.schema import JobResult


def dom(name, component, energy_j, prov=Provenance.MEASURED, idle_w=None, scope="device"):
    est = prov is Provenance.ESTIMATED
    return DomainEnergy(name=name, component=component, boundary=name, provenance=prov,
                        source="t", energy_j=energy_j, uncertainty=0.3 if est else None,
                        model=EstimateModel("m", "f", {}, "s") if est else None, scope=scope,
                        idle_power_w=idle_w)


def result(*domains, pue=None, duration_s=10.0, status="ok"):
    carbon = None if pue is None else {"pue": pue}
    return JobResult(job_id="j", repetition=0, task="t", model="m", dataset="d", n=100,
                     status=status, duration_s=duration_s, domains=tuple(domains),
                     carbon=carbon, error=None if status == "ok" else "boom")


def test_all_counters_give_four_levels_and_the_ratio():
    r = result(dom("gpu:0", "gpu", 1000.0, idle_w=60.0), dom("cpu:0", "cpu", 300.0, idle_w=20.0),
               dom("dram:0", "dram", 100.0, idle_w=5.0), pue=1.2)
    b = boundaries(r, idle_share=0.2)
    e = [b.level(lv).energy_j for lv in LEVELS]
    # idle: (60 + 20 + 5) W × 10 s × 0.2 / 0.8 = 212.5 J
    assert e == pytest.approx([1000.0, 1400.0, 1612.5, 1612.5 * 1.2])
    assert all(b.level(lv).provenance == "measured" for lv in LEVELS)
    assert b.ratio == pytest.approx(1.935) and b.ratio_level == "facility"
    assert b.pue == 1.2 and b.pue_source == "recorded with the result"


def test_provenances_stay_apart_and_the_ratio_says_why_it_is_missing():
    r = result(dom("gpu:0", "gpu", 1000.0), dom("cpu:machine", "cpu", 300.0, Provenance.ESTIMATED),
               dom("cpu:process", "cpu", 50.0, Provenance.ESTIMATED, scope="process"))
    b = boundaries(r, default_pue=1.5)
    host = b.level("host")
    assert host.energy_j is None  # two provenances: no single figure
    assert host.energy_by_provenance() == {"measured": 1000.0, "estimated": 300.0}  # no process
    assert "not summed" in host.describe()
    fac = b.level("facility")
    assert fac.energy_by_provenance() == pytest.approx({"measured": 1500.0, "estimated": 450.0})
    assert b.pue_source == "stated default (none recorded)"
    assert b.ratio is None and "parts differ in provenance" in b.ratio_note


def test_missing_baseline_pue_and_accelerator_are_said_not_guessed():
    r = result(dom("cpu:0", "cpu", 300.0), dom("ram:machine", "ram", 30.0, Provenance.MEASURED))
    b = boundaries(r, idle_share=0.1)
    assert not b.level("accelerator").available and "no accelerator" in b.level("accelerator").note
    assert b.level("host").energy_j == pytest.approx(330.0)
    assert not b.level("idle").available and "no idle baseline for cpu:0, ram:machine" in (
        b.level("idle").note)
    assert not b.level("facility").available
    assert b.ratio is None
    # with no idle share stated the idle level equals the host level, and says so
    b0 = boundaries(r, default_pue=1.1)
    assert b0.level("idle").energy_j == pytest.approx(330.0)
    assert "none stated" in b0.level("idle").note
    assert b0.level("facility").energy_j == pytest.approx(363.0)


def test_failed_result_has_no_level():
    b = boundaries(result(status="failed"))
    assert not any(lv.available for lv in b.levels) and b.ratio is None


@pytest.mark.parametrize("bad", ["-0.1", "1", "1.5", "x", "nan"])
def test_idle_share_is_checked(bad):
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        check_idle_share(bad)


def test_level_of_a_frame_row():
    g, c = dom("gpu:0", "gpu", 1.0), dom("cpu:0", "cpu", 1.0, Provenance.ESTIMATED)
    p = dom("cpu:process", "cpu", 1.0, Provenance.ESTIMATED, scope="process")
    assert level_of([g], [g, c]) == "accelerator"
    assert level_of([c], [g, c]) == "partial"
    assert level_of([g, c], [g, c]) == "host"
    assert level_of([c], [c]) == "host"  # a CPU-only machine: the whole host
    assert level_of([p], [g, p]) == "process"


def test_flat_columns():
    r = result(dom("gpu:0", "gpu", 1000.0), dom("cpu:0", "cpu", 300.0, Provenance.ESTIMATED),
               pue=1.1)
    row = boundary_columns(boundaries(r))
    assert row["boundary.accelerator.energy_measured_j"] == 1000.0
    assert row["boundary.host.energy_estimated_j"] == 300.0
    assert row["boundary.facility.energy_measured_j"] == pytest.approx(1100.0)
    assert row["boundary.ratio"] is None and row["boundary.pue"] == 1.1


def test_node_scope_is_never_added_and_stands_for_the_host_when_alone():
    g = dom("gpu:0", "gpu", 1000.0)
    node = dom("node:bmc", "node", 5000.0, idle_w=300.0, scope="node")
    b = boundaries(result(g, node, pue=1.1))
    assert b.level("host").energy_by_provenance() == {"measured": 1000.0}  # node not added
    alone = boundaries(result(node, pue=1.1), idle_share=0.5)
    assert not alone.level("accelerator").available
    assert alone.level("host").energy_j == 5000.0 and "BMC" in alone.level("host").note
    assert alone.level("idle").energy_j == pytest.approx(5000.0 + 300.0 * 10.0)
    assert alone.level("facility").energy_j == pytest.approx(8000.0 * 1.1)
    assert level_of([node], [g, node]) == "node"
