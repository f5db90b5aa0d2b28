"""The end-of-run summary: per-provenance mean and Student-t 95 % interval over repetitions."""

from __future__ import annotations

import pytest
from harness_fakes import make_job

from wattprint.harness.summary import stat, summarize
from wattprint.meters.base import DomainEnergy, Provenance
from wattprint.results.schema import JobResult

T_975_DF2 = 4.302652729911275  # Student t, 97.5th percentile, 2 degrees of freedom (tables)


def result(rep, energy_j=None, *, status="ok", prov=Provenance.MEASURED, quality=None, job_id="a"):
    domains = () if energy_j is None else (DomainEnergy(
        name="gpu:0", component="gpu", boundary="GPU 0", provenance=prov, source="test",
        energy_j=energy_j, uncertainty=0.3 if prov is Provenance.ESTIMATED else None,
        model=None),)
    return JobResult(job_id=job_id, repetition=rep, task="text-classification", model="parity",
                     dataset="builtin", n=1000, status=status, duration_s=1.0 if energy_j else None,
                     domains=domains, error=None if status == "ok" else "RuntimeError: boom",
                     work_units=2000.0, quality=quality or {})


def test_stat_mean_std_and_t_interval():
    s = stat([1.0, 2.0, 3.0])
    assert (s.mean, s.std, s.count) == (2.0, 1.0, 3)
    assert s.ci95 == pytest.approx(T_975_DF2 * 1.0 / 3 ** 0.5)
    one = stat([5.0])
    assert (one.mean, one.std, one.ci95) == (5.0, None, None)
    assert stat([]) is None


def test_summary_per_job_in_kwh_per_1k_and_j_per_unit():
    # 3,600 J over 1,000 inferences = 0.001 kWh per 1,000; 2,000 work units -> 1.8 J per unit
    rs = [result(0, 3600.0, quality={"accuracy": 0.5}), result(1, 7200.0, quality={"accuracy": 1.0}),
          result(2, 10800.0, quality={"accuracy": 0.75})]
    (row,) = summarize([make_job(job_id="a", repeat=3)], rs)
    k = row.kwh_per_1k["measured"]
    assert k.mean == pytest.approx(0.002)
    assert k.ci95 == pytest.approx(T_975_DF2 * 0.001 / 3 ** 0.5)
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
