"""Impacts (water, embodied and total carbon) of a stored result, from what it recorded.

A result made by ``wattprint run`` keeps the impact factors its run resolved in its carbon
record (``carbon.impacts``: WUE, water intensity, PUE, GPU model, lifetime, device share; see
:class:`~wattprint.carbon.impact_settings.ImpactSettings`). The per-result inputs come from the
result itself: its energy per provenance (never summed across provenances), its measured busy
time (the query window, ``duration_s``), its GPUs (the measured GPU domains) and whether the
machine was shared. Results without recorded factors (made before impacts existed, or
imported) get no figure, and :func:`not_recorded_reason` says why: never a zero.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from wattprint.carbon.impact_settings import ImpactSettings
from wattprint.carbon.impact_summary import ImpactSummary, impact_summary, intensity_factor
from wattprint.carbon.impacts import ImpactFigure
from wattprint.meters.base import OVERLAPPING_SCOPES, Provenance, totals_by_provenance
from wattprint.results.schema import STATUS_OK, JobResult

PER_INFERENCE = "inference"

NOT_RECORDED = ("no impact factors recorded with this result (made before impacts existed, or "
                "imported); `wattprint carbon --energy-j E` computes them for an energy figure")


def not_recorded_reason(r: JobResult) -> str | None:
    """Why a result has no impact figures (None when it has them)."""
    if r.status != STATUS_OK or not r.domains:
        return "failed result: no energy"
    c = r.carbon
    if c is None or c.impacts is None:
        return NOT_RECORDED
    if c.intensity_g_per_kwh is None:
        return "no grid intensity recorded with this result"
    return None


def _gpus(r: JobResult) -> list[str]:
    seen: dict[str, str] = {}
    for d in r.domains:
        if d.component == "gpu" and d.scope not in OVERLAPPING_SCOPES:
            seen.setdefault(d.name, d.boundary or d.name)
    return list(seen.values())


def record_impacts(r: JobResult, provenance: Provenance | str) -> ImpactSummary | None:
    """Carbon and water of one provenance's energy of a result, per run (its query window),
    per inference and per 1,000 inferences.

    Args:
        r: A stored result.
        provenance: Which energy (``measured``, ``integrated``, ``estimated``).

    Returns:
        The figures, or None when the result has none (see :func:`not_recorded_reason`) or
        no energy of that provenance.
    """
    if not_recorded_reason(r) is not None:
        return None
    prov = Provenance(provenance)
    energy = r.energy_j(prov)
    if energy is None:
        return None
    c = r.carbon
    assert c is not None and c.impacts is not None and c.intensity_g_per_kwh is not None
    parts = [t for t in totals_by_provenance(r.domains)
             if t.provenance is prov and t.scope not in OVERLAPPING_SCOPES]
    low = sum(t.energy_j if t.low_j is None else t.low_j for t in parts)
    high = sum(t.energy_j if t.high_j is None else t.high_j for t in parts)
    gpus = _gpus(r)
    s = impact_summary(energy, c.impacts, pue=c.pue or 1.0,
                       intensity=intensity_factor(c.intensity_g_per_kwh,
                                                  c.intensity_source or "stored with the result"),
                       busy_s=r.duration_s, gpu_names=gpus, gpu_count=len(gpus),
                       shared=r.shared, energy_low_j=low, energy_high_j=high,
                       extra_parameters={"energy_provenance": prov.value})
    return s.per_inferences(r.n, unit=PER_INFERENCE)


def impacts_json(r: JobResult) -> dict[str, Any]:
    """``{"note": why none or None, "<provenance>": ImpactSummary.to_dict(), ...}``."""
    out: dict[str, Any] = {"note": not_recorded_reason(r)}
    for p in Provenance:
        s = record_impacts(r, p)
        if s is not None:
            out[p.value] = s.to_dict()
    return out


def impact_columns(r: JobResult) -> dict[str, Any]:
    """Flat export columns (``impact.*``): per provenance the total carbon (operational +
    embodied, g CO2eq) and water (L, on-site and off-site), once the embodied carbon (g) and
    the factors with their sources; ``impact.note`` says why figures are missing."""
    row: dict[str, Any] = {"impact.provenance": "estimated", "impact.note": not_recorded_reason(r)}
    notes: list[str] = []
    for p in Provenance:
        s = record_impacts(r, p)
        if s is None:
            continue
        row.update(figure_columns(s.carbon, s.water, f".{p.value}"))
        row["impact.carbon_embodied_g"] = s.carbon.embodied
        row.update(factor_columns(s))
        notes.extend(s.carbon.missing_reasons())
    if notes and row["impact.note"] is None:
        row["impact.note"] = "; ".join(dict.fromkeys(notes))
    return row


def figure_columns(carbon: ImpactFigure, water: ImpactFigure, suffix: str) -> dict[str, Any]:
    """``impact.carbon_g``, ``impact.carbon_operational_g``, ``impact.water_l``,
    ``impact.water_onsite_l`` and ``impact.water_offsite_l``, each with ``suffix``."""
    parts = {x.name: x.value for x in water.parts}
    return {f"impact.carbon_g{suffix}": carbon.value,
            f"impact.carbon_operational_g{suffix}": carbon.usage,
            f"impact.water_l{suffix}": water.value,
            f"impact.water_onsite_l{suffix}": parts.get("on-site"),
            f"impact.water_offsite_l{suffix}": parts.get("off-site")}


def factor_columns(s: ImpactSummary) -> dict[str, Any]:
    """The embodied allocation's parameters (``impact.busy_s`` ...) and every factor with its
    value, unit, source and interval (``impact.factor.<name>...``)."""
    row: dict[str, Any] = {}
    params = s.carbon.parameters
    for k in ("busy_s", "device_share", "lifetime_years", "gpu_count", "allocation_rule"):
        if k in params:
            row[f"impact.{k}"] = params[k]
    for f in (*s.carbon.factors, *s.water.factors):
        key = f"impact.factor.{f.name}"
        row[key] = f.value
        row[f"{key}.unit"] = f.unit
        row[f"{key}.source"] = f.cite()
        row[f"{key}.interval"] = f"{f.low:g}-{f.high:g}"
    return row


def record_rates(r: JobResult) -> tuple[float | None, float | None]:
    """``(water L per kWh of IT energy, embodied g CO2eq of the result)`` for tables that
    scale them by each provenance's energy; ``(None, None)`` without recorded factors, and
    None for the embodied part when it is unknown (unknown GPU, shared machine, no busy
    time ...). Cheap: the embodied rate (g per busy second) is computed once per settings,
    GPUs and sharing, and scaled by the result's busy time."""
    if not_recorded_reason(r) is not None:
        return None, None
    c = r.carbon
    assert c is not None and c.impacts is not None
    water = c.impacts.wue.value + (c.pue or 1.0) * c.impacts.water_intensity.value
    rate = _embodied_g_per_s(c.impacts, tuple(_gpus(r)), r.shared)
    busy = r.duration_s
    return water, None if rate is None or busy is None else rate * busy


@lru_cache(maxsize=1024)
def _embodied_g_per_s(settings: ImpactSettings, gpus: tuple[str, ...],
                      shared: bool) -> float | None:
    """Embodied carbon of one busy second (the allocation is linear in busy time)."""
    s = impact_summary(0.0, settings, pue=1.0, intensity=intensity_factor(0.0, "none"),
                       busy_s=1.0, gpu_names=gpus, gpu_count=len(gpus), shared=shared)
    return s.carbon.embodied
