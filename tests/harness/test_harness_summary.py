"""The end-of-run summary: per-provenance mean and a positive repetition interval."""

from __future__ import annotations

import math

import pytest
from harness_fakes import make_job

from wattprint.harness.summary import stat, summarize
from wattprint.meters.base import DomainEnergy, Provenance
from wattprint.results.schema import JobResult

T_975_DF2 = 4.302652729911275  # Student t, 97.5th percentile, 2 degrees of freedom (tables)


def cox(values):
    """Modified-Cox 95 % interval of a log-normal mean, by hand for n = 3 (t table value)."""
    y = [math.log(v) for v in values]
    m = sum(y) / 3
    v = sum((a - m) ** 2 for a in y) / 2
    half = T_975_DF2 * math.sqrt(v / 3 + v * v / 4)
    return math.exp(m + v / 2 - half), math.exp(m + v / 2 + half)


def result(rep, energy_j=None, *, status="ok", prov=Provenance.MEASURED, quality=None, job_id="a"):
    domains = () if energy_j is None else (DomainEnergy(
        name="gpu:0", component="gpu", boundary="GPU 0", provenance=prov, source="test",
        energy_j=energy_j, uncertainty=0.3 if prov is Provenance.ESTIMATED else None,
        model=None),)
    return JobResult(job_id=job_id, repetition=rep, task="text-classification", model="parity",
                     dataset="builtin", n=1000, status=status, duration_s=1.0 if energy_j else None,
                     domains=domains, error=None if status == "ok" else "RuntimeError: boom",
                     work_units=2000.0, quality=quality or {})


def test_stat_mean_std_and_positive_interval():
    s = stat([1.0, 2.0, 3.0])
    assert (s.mean, s.std, s.count) == (2.0, 1.0, 3)
    assert (s.low, s.high) == pytest.approx(cox([1.0, 2.0, 3.0]))
    assert s.low > 0  # the Student-t interval would be 2 ± 2.48, a negative lower bound
    two = stat([5.0, 6.0])
    assert (two.low, two.high) == (None, None) and "too few repetitions" in two.note
    assert stat([]) is None


def test_negative_dynamic_energy_is_flagged_and_gets_no_interval():
    s = stat([-1.0, 2.0, 3.0])
    assert s.n_negative == 1 and s.low is None and "≤ 0" in s.note
    assert s.mean == pytest.approx(4.0 / 3)  # not clipped


def test_summary_per_job_in_kwh_per_1k_and_j_per_unit():
    # 3,600 J over 1,000 inferences = 0.001 kWh per 1,000; 2,000 work units -> 1.8 J per unit
    rs = [result(0, 3600.0, quality={"accuracy": 0.5}), result(1, 7200.0, quality={"accuracy": 1.0}),
          result(2, 10800.0, quality={"accuracy": 0.75})]
    (row,) = summarize([make_job(job_id="a", repeat=3)], rs)
    k = row.kwh_per_1k["measured"]
    assert k.mean == pytest.approx(0.002)
    assert (k.low, k.high) == pytest.approx(cox([0.001, 0.002, 0.003]))
    assert row.j_per_unit["measured"].mean == pytest.approx(3.6)
    assert row.quality == {"accuracy": pytest.approx(0.75)}
    assert (row.status, row.ok, row.repetitions) == ("ok", 3, 3)


def test_summary_keeps_provenances_apart_and_marks_partial_failures():
    rs = [result(0, 3600.0, prov=Provenance.ESTIMATED), result(1, status="failed")]
    (row,) = summarize([make_job(job_id="a")], rs)
    assert set(row.kwh_per_1k) == {"estimated"}
    assert (row.status, row.ok, row.errors) == ("partial", 1, ("RuntimeError: boom",))


def test_a_later_success_replaces_an_earlier_failure_of_the_same_repetition():
    rs = [result(0, status="failed"), result(0, 3600.0)]
    (row,) = summarize([make_job(job_id="a", repeat=1)], rs)
    assert (row.status, row.ok, row.repetitions) == ("ok", 1, 1)


def test_process_scope_shares_are_not_added_to_the_machine_total():
    machine = DomainEnergy(name="cpu:machine", component="cpu", boundary="all CPUs",
                           provenance=Provenance.ESTIMATED, source="t", energy_j=3600.0,
                           uncertainty=0.3, model=None, scope="machine")
    process = DomainEnergy(name="cpu:process", component="cpu", boundary="this process",
                           provenance=Provenance.ESTIMATED, source="t", energy_j=1800.0,
                           uncertainty=0.3, model=None, scope="process")
    r = result(0, 1.0).with_(domains=(machine, process))
    (row,) = summarize([make_job(job_id="a", repeat=1)], [r])
    assert row.kwh_per_1k["estimated"].mean == pytest.approx(0.001)  # 3,600 J, not 5,400 J


def test_summary_flags_negative_dynamic_energy():
    def with_dyn(rep, dyn):
        d = DomainEnergy(name="gpu:0", component="gpu", boundary="GPU 0",
                         provenance=Provenance.MEASURED, source="test", energy_j=3600.0,
                         idle_energy_j=3600.0 - dyn, dynamic_energy_j=dyn)
        return result(rep, 3600.0).with_(domains=(d,))

    rs = [with_dyn(0, -100.0), with_dyn(1, 200.0), with_dyn(2, 300.0)]
    (row,) = summarize([make_job(job_id="a", repeat=3)], rs)
    dyn = row.dynamic_kwh_per_1k["measured"]
    assert dyn.n_negative == 1 and dyn.low is None and "≤ 0" in dyn.note
    assert row.to_dict()["dynamic_kwh_per_1k"]["measured"]["n_negative"] == 1
    assert row.kwh_per_1k["measured"].note == ""  # equal totals: a zero-width interval


def _shared_rep(rep, machine_j, process_j, *, shared):
    from wattprint.meters.base import EstimateModel, HostActivity

    model = EstimateModel("m", "P = c", {"c": 1.0}, "test")
    doms = (DomainEnergy("cpu:machine", "cpu", "host CPU", Provenance.ESTIMATED, "t", machine_j,
                         uncertainty=0.5, model=model, scope="host"),
            DomainEnergy("cpu:process", "cpu", "own CPU time", Provenance.ESTIMATED, "t", process_j,
                         uncertainty=0.5, model=model, scope="process"))
    busy = 7.9 if shared else 0.2  # others' CPU time on a 2-CPU host over 4 s
    return JobResult(job_id="a", repetition=rep, task="text-classification", model="parity",
                     dataset="builtin", n=1000, status="ok", duration_s=4.0, domains=doms,
                     work_units=1000.0,
                     host_activity=HostActivity(2, 4.0, busy + process_j / 100, process_j / 100))


def test_a_job_with_a_shared_repetition_leads_with_every_repetitions_process_share():
    job = make_job()
    rs = [_shared_rep(0, 36.0, 3.6, shared=False), _shared_rep(1, 72.0, 3.6, shared=True)]
    (row,) = summarize([job], [r.with_(job_id=job.job_id) for r in rs])
    assert row.basis == "process" and row.shared == 1
    assert row.kwh_per_1k["estimated"].mean == pytest.approx(3.6 / 3.6e6)  # the process share
    assert row.beside_kwh_per_1k["estimated"].mean == pytest.approx((36.0 + 72.0) / 2 / 3.6e6)
    assert "shared host" in row.reason and "1 of 2 repetitions shared" in row.reason
    assert row.dynamic_kwh_per_1k == {}
    d = row.to_dict()
    assert d["basis"] == "process" and "estimated" in d["beside_kwh_per_1k"]


def test_an_unshared_job_leads_with_its_boundary():
    job = make_job()
    rs = [_shared_rep(i, 36.0, 3.6, shared=False).with_(job_id=job.job_id) for i in range(2)]
    (row,) = summarize([job], rs)
    assert row.basis == "job" and row.shared == 0
    assert row.kwh_per_1k["estimated"].mean == pytest.approx(36.0 / 3.6e6)
