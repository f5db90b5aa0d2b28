"""Synthetic stored records for the analysis tests (no store needed)."""

from __future__ import annotations

from typing import Any

from wattprint.meters.base import DomainEnergy, EstimateModel, Provenance
from wattprint.results.schema import JobResult, job_id_for

XSS = "<img src=x onerror=alert(1)>"


def gpu(energy_j: float, dynamic_j: float | None = None) -> DomainEnergy:
    """A measured GPU domain."""
    idle = None if dynamic_j is None else energy_j - dynamic_j
    return DomainEnergy(name="gpu:0", component="gpu", boundary="GPU board (NVML)",
                        provenance=Provenance.MEASURED, source="nvml:total_energy",
                        energy_j=energy_j, idle_energy_j=idle, dynamic_energy_j=dynamic_j)


def cpu_est(energy_j: float) -> DomainEnergy:
    """An estimated CPU domain."""
    return DomainEnergy(name="cpu:0", component="cpu", boundary="CPU package (estimate)",
                        provenance=Provenance.ESTIMATED, source="estimate:cpu-linear-tdp",
                        energy_j=energy_j, uncertainty=0.4,
                        model=EstimateModel("cpu-linear-tdp", "P = TDP * u", {"tdp_w": 65}, "test"))


def make_result(model: str = "m", task: str = "text-classification", dataset: str = "d",
                rep: int = 0, energy_j: float | None = 3600.0, n: int = 1000,
                status: str = "ok", domains: tuple[DomainEnergy, ...] | None = None,
                hardware_id: str | None = "hw1", **kw: Any) -> JobResult:
    """One synthetic JobResult; ``energy_j`` becomes one measured GPU domain."""
    if domains is None:
        domains = () if status == "failed" or energy_j is None else (gpu(energy_j),)
    jid = job_id_for({"task": task, "model": model, "dataset": dataset, "hw": hardware_id})
    if status == "failed":
        kw.setdefault("error", "RuntimeError: out of memory")
    return JobResult(job_id=jid, repetition=rep, task=task, model=model, dataset=dataset, n=n,
                     status=status, duration_s=kw.pop("duration_s", 10.0), domains=domains,
                     hardware_id=hardware_id, run_id=kw.pop("run_id", "run1"),
                     created_at=kw.pop("created_at", "2026-11-21T08:00:00Z"), **kw)


