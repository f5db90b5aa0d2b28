"""The end-of-run summary: one row per job, mean and a repetition interval over repetitions.

Energies stay apart by provenance (``measured``, ``integrated``, ``estimated``); nothing is
summed across provenances or scopes, and process-scope shares are never added to machine totals.
Each row leads with its results' headline (:meth:`~wattprint.results.schema.JobResult.headline`):
the job's boundary, or, when a repetition ran on a shared host, every repetition's own process
share (idle apart) with the job's boundary beside it (``beside_kwh_per_1k``) and the reason. The
statistics (mean, spread, a positive interval of the mean from 3 repetitions on, negative
dynamic energy flagged) come from :mod:`wattprint.results.stats`, the same as the report's.
The interval is a *repetition* interval: it shows how repeatable back-to-back runs of one job
are, not how energy varies over inputs.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from wattprint.harness.plan import Job
from wattprint.meters.base import (
    LEAD_JOB,
    LEAD_PROCESS,
    Headline,
    Provenance,
    boundary_split,
    headline,
)
from wattprint.results.schema import STATUS_OK, JobResult
from wattprint.results.stats import Stat, kwh_per_1k, stat

__all__ = ["Stat", "SummaryRow", "machine_energy_j", "stat", "summarize"]


@dataclass(frozen=True)
class SummaryRow:
    """One job's summary.

    Attributes:
        kwh_per_1k: Provenance → kWh per 1,000 inferences over ok repetitions.
        dynamic_kwh_per_1k: Provenance → idle-subtracted kWh per 1,000 inferences (its
            ``n_negative`` counts repetitions whose dynamic energy came out negative).
        j_per_unit: Provenance → joules per work unit (token, image, sample).
        quality: Metric → mean over ok repetitions.
        status: ``ok`` (all repetitions ok), ``failed`` (none) or ``partial``.
        errors: Distinct failure reasons.
        basis: What the energy figures are: ``job`` (the job's boundary) or ``process`` (the
            process's own share, because a repetition ran on a shared host).
        reason: Why that basis, in words.
        beside_kwh_per_1k: Provenance → the other figure per 1,000 inferences: the job's
            boundary when the process leads, whole-host domains kept apart otherwise.
        shared: Repetitions whose window was flagged as shared.
    """

    job_id: str
    task: str
    model: str
    dataset: str
    n: int
    repetitions: int
    ok: int
    work_unit: str
    weights: str
    status: str
    mode: str = "task-specific"
    kwh_per_1k: dict[str, Stat] = field(default_factory=dict)
    dynamic_kwh_per_1k: dict[str, Stat] = field(default_factory=dict)
    j_per_unit: dict[str, Stat] = field(default_factory=dict)
    quality: dict[str, float] = field(default_factory=dict)
    errors: tuple[str, ...] = ()
    basis: str = LEAD_JOB
    reason: str = ""
    beside_kwh_per_1k: dict[str, Stat] = field(default_factory=dict)
    shared: int = 0

    def to_dict(self) -> dict[str, Any]:
        """The summary as a JSON-ready dict (energies in J, times in s)."""
        return {
            "job_id": self.job_id, "task": self.task, "model": self.model,
            "dataset": self.dataset, "n": self.n, "repetitions": self.repetitions,
            "ok": self.ok, "work_unit": self.work_unit, "weights": self.weights,
            "status": self.status, "mode": self.mode,
            "kwh_per_1k": {k: v.to_dict() for k, v in self.kwh_per_1k.items()},
            "dynamic_kwh_per_1k": {k: v.to_dict() for k, v in self.dynamic_kwh_per_1k.items()},
            "j_per_unit": {k: v.to_dict() for k, v in self.j_per_unit.items()},
            "quality": dict(self.quality), "errors": list(self.errors),
            "basis": self.basis, "reason": self.reason, "shared": self.shared,
            "beside_kwh_per_1k": {k: v.to_dict() for k, v in self.beside_kwh_per_1k.items()},
        }


def summarize(jobs: Sequence[Job], results: Sequence[JobResult]) -> list[SummaryRow]:
    """One row per job (in plan order) from its results; jobs without results are left out.

    For each job, the latest result per repetition counts (a resumed failure replaced by
    a later success).
    """
    latest: dict[tuple[str, int], JobResult] = {}
    for r in results:
        latest[(r.job_id, r.repetition)] = r
    by_job: dict[str, list[JobResult]] = {}
    for (job_id, _), r in sorted(latest.items(), key=lambda kv: kv[0][1]):
        by_job.setdefault(job_id, []).append(r)
    rows = []
    for job in jobs:
        rs = by_job.get(job.job_id)
        if not rs:
            continue
        ok = [r for r in rs if r.status == STATUS_OK]
        heads = job_headlines(ok)
        basis = heads[0].basis if heads else LEAD_JOB
        kwh: dict[str, Stat] = {}
        dyn: dict[str, Stat] = {}
        per_unit: dict[str, Stat] = {}
        beside: dict[str, Stat] = {}
        for prov in Provenance:
            s = stat([kwh_per_1k(e, r.n) for r, h in zip(ok, heads)
                      if (e := h.energy_j.get(prov)) is not None and r.n])
            if s is not None:
                kwh[prov.value] = s
            if basis == LEAD_JOB:  # the process's own share has no idle part to subtract
                s = stat([kwh_per_1k(e, r.n) for r in ok
                          if (e := machine_energy_j(r, prov, dynamic=True)) is not None and r.n])
                if s is not None:
                    dyn[prov.value] = s
            s = stat([e / r.work_units for r, h in zip(ok, heads)
                      if (e := h.energy_j.get(prov)) is not None and r.work_units])
            if s is not None:
                per_unit[prov.value] = s
            s = stat([kwh_per_1k(e, r.n) for r, h in zip(ok, heads)
                      if (e := h.beside_j.get(prov)) is not None and r.n])
            if s is not None:
                beside[prov.value] = s
        quality: dict[str, float] = {}
        for metric in sorted({k for r in ok for k in r.quality}):
            vals = [float(r.quality[metric]) for r in ok if metric in r.quality]
            quality[metric] = statistics.fmean(vals)
        status = "ok" if len(ok) == len(rs) else ("failed" if not ok else "partial")
        first = ok[0] if ok else rs[0]
        rows.append(SummaryRow(
            job_id=job.job_id, task=job.task, model=job.model, dataset=job.dataset, n=job.settings.n,
            repetitions=len(rs), ok=len(ok), work_unit=first.work_unit, weights=first.weights,
            status=status, mode=job.mode, kwh_per_1k=kwh, dynamic_kwh_per_1k=dyn, j_per_unit=per_unit,
            quality=quality,
            errors=tuple(dict.fromkeys(r.error for r in rs if r.error)),
            basis=basis, reason=heads[0].reason if heads else "", beside_kwh_per_1k=beside,
            shared=sum(r.shared_host for r in ok)))
    return rows


def job_headlines(ok: Sequence[JobResult]) -> list[Headline]:
    """The headline of each ok repetition of one job, on one basis for all of them: when one
    ran on a shared host and every one has a process-scope figure, each leads with its own
    process share (so that their mean compares like with like); otherwise each with its own."""
    if any(r.shared_host for r in ok) and all(any(d.scope == "process" for d in r.domains)
                                              for r in ok):
        first = next(r for r in ok if r.shared_host)
        reason = first.headline().reason
        if len([r for r in ok if r.shared_host]) < len(ok):
            reason += (f" ({sum(r.shared_host for r in ok)} of {len(ok)} repetitions shared; "
                       "every repetition leads with its process share)")
        return [Headline(LEAD_PROCESS, reason, h.energy_j, h.domains, h.beside_j)
                for h in (headline(r.domains, r.host_activity, shared=True) for r in ok)]
    return [r.headline() for r in ok]


def machine_energy_j(r: JobResult, prov: Provenance, *, dynamic: bool = False) -> float | None:
    """Query-window energy (J) of one provenance over device- and machine-scope domains.

    Process-scope domains (``cpu:process``: the share attributed to the measured process) are
    left out: they are part of the machine's energy, and adding them would count it twice; so
    are node-scope domains (the whole node at the wall, from its BMC), which cover them all,
    and whole-host domains beside a share of the host (as :meth:`JobResult.energy_j`). With
    ``dynamic``, the idle-subtracted energy (None when a domain has no baseline).
    """
    if not dynamic:
        return r.energy_j(prov)
    parts = [d.dynamic_energy_j for d in boundary_split(r.domains)[0] if d.provenance is prov]
    if not parts or any(p is None for p in parts):
        return None
    return float(sum(parts))  # type: ignore[arg-type]
