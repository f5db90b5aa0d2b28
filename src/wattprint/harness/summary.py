"""The end-of-run summary: one row per job, mean and a repetition interval over repetitions.

Energies stay apart by provenance (``measured``, ``integrated``, ``estimated``); nothing is
summed across provenances, and process-scope shares are never added to machine totals. The
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
from wattprint.meters.base import OVERLAPPING_SCOPES, Provenance
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
        kwh: dict[str, Stat] = {}
        dyn: dict[str, Stat] = {}
        per_unit: dict[str, Stat] = {}
        for prov in Provenance:
            s = stat([kwh_per_1k(e, r.n) for r in ok
                      if (e := machine_energy_j(r, prov)) is not None and r.n])
            if s is not None:
                kwh[prov.value] = s
            s = stat([kwh_per_1k(e, r.n) for r in ok
                      if (e := machine_energy_j(r, prov, dynamic=True)) is not None and r.n])
            if s is not None:
                dyn[prov.value] = s
            s = stat([e / r.work_units for r in ok
                      if (e := machine_energy_j(r, prov)) is not None and r.work_units])
            if s is not None:
                per_unit[prov.value] = s
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
            errors=tuple(dict.fromkeys(r.error for r in rs if r.error))))
    return rows


def machine_energy_j(r: JobResult, prov: Provenance, *, dynamic: bool = False) -> float | None:
    """Query-window energy (J) of one provenance over device- and machine-scope domains.

    Process-scope domains (``cpu:process``: the share attributed to the measured process) are
    left out: they are part of the machine's energy, and adding them would count it twice; so
    are node-scope domains (the whole node at the wall, from its BMC), which cover them all
    (as :meth:`JobResult.energy_j`). With ``dynamic``, the idle-subtracted energy (None when a
    domain has no baseline).
    """
    if not dynamic:
        return r.energy_j(prov)
    parts = [d.dynamic_energy_j for d in r.domains
             if d.provenance is prov and d.scope not in OVERLAPPING_SCOPES]
    if not parts or any(p is None for p in parts):
        return None
    return float(sum(parts))  # type: ignore[arg-type]
