"""Stored records → one flat pandas table, one row per (result, provenance).

Energy stays apart by provenance: a result that carries ``measured`` GPU energy and
``estimated`` CPU energy gives two rows, never one sum. Within one provenance, the device and
machine-scope domains are summed (they cover different components); process-scope domains
(an attribution to the measured process) are used only when that provenance has nothing else,
so a process share is never added to the whole-machine figure it is part of.

A failed result gives one row with ``status == "failed"``, its ``error``, and NaN energy: it is
counted and shown, never read as zero. Missing fields are NaN/None, never zero.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from wattprint.meters.base import DomainEnergy, Provenance
from wattprint.results.schema import STATUS_FAILED, JobResult
from wattprint.units import J_PER_KWH

QUALITY_PREFERENCE: tuple[str, ...] = (
    "accuracy", "exact_match", "f1", "rouge1", "rougeL", "rouge2", "map", "clip_score",
)
"""Which quality metric is a result's headline one, in order of preference."""

CORRECTNESS_METRICS: frozenset[str] = frozenset({"accuracy", "exact_match", "acc"})
"""Metrics that are a share of correct answers, so ``metric × n`` answers were correct."""

COLUMNS: tuple[str, ...] = (
    "job_id", "repetition", "run_id", "task", "model", "dataset", "hardware_id", "provenance",
    "scope", "status", "error", "n", "duration_s", "energy_j", "dynamic_energy_j",
    "uncertainty_j", "boundary", "work_unit", "work_units", "input_tokens", "output_tokens",
    "quality_metric", "quality", "carbon_g", "intensity_g_per_kwh", "intensity_source",
    "num_params", "purpose", "weights", "source", "backend", "device", "created_at",
)

PARAM_KEYS: tuple[str, ...] = ("parameters", "num_parameters", "num_params", "n_parameters")


def _num(x: Any) -> float:
    """A finite number as float, anything else (None, str, NaN, bool) as NaN."""
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        return math.nan
    x = float(x)
    return x if math.isfinite(x) else math.nan


def _params(r: JobResult) -> float:
    """Parameter count from the record (extra, environment.model, settings), else NaN."""
    places: list[Mapping[str, Any]] = [r.extra, r.settings]
    for key in ("model", "model_info"):
        sub = r.environment.get(key) if isinstance(r.environment, Mapping) else None
        if isinstance(sub, Mapping):
            places.append(sub)
        sub = r.extra.get(key)
        if isinstance(sub, Mapping):
            places.append(sub)
    for place in places:
        for k in PARAM_KEYS:
            v = _num(place.get(k))
            if not math.isnan(v) and v > 0:
                return v
    return math.nan


MULTI_PURPOSE_HINTS: tuple[str, ...] = ("flan-t5", "bloomz")
"""Name fragments of the study's multi-purpose (zero-shot) models, used when a record does not say."""


def _purpose(r: JobResult) -> str:
    """``multi-purpose`` or ``task-specific``: from ``extra.purpose``, a zero-shot setting, or the name."""
    p = r.extra.get("purpose")
    if p in ("multi-purpose", "task-specific"):
        return str(p)
    if r.settings.get("zero_shot") or r.extra.get("zero_shot"):
        return "multi-purpose"
    name = r.model.lower()
    return "multi-purpose" if any(h in name for h in MULTI_PURPOSE_HINTS) else "task-specific"


def _quality(r: JobResult) -> tuple[str | None, float]:
    """The headline quality metric and its value (NaN when unmeasured or weights are random)."""
    if not r.quality or r.weights == "random":
        return None, math.nan
    for k in QUALITY_PREFERENCE:
        if k in r.quality:
            return k, _num(r.quality[k])
    k = sorted(r.quality)[0]
    return k, _num(r.quality[k])


def _boundary(ds: Iterable[DomainEnergy]) -> str:
    return "; ".join(f"{d.name} ({d.boundary})" if d.boundary else d.name
                     for d in sorted(ds, key=lambda d: d.name))


def _energy_rows(r: JobResult) -> list[dict[str, Any]]:
    """One dict per provenance present: summed energy of that provenance's domains."""
    by_prov: dict[Provenance, list[DomainEnergy]] = {}
    for d in r.domains:
        by_prov.setdefault(d.provenance, []).append(d)
    rows = []
    for prov in Provenance:
        ds = by_prov.get(prov)
        if not ds:
            continue
        wide = [d for d in ds if d.scope != "process"]
        use, scope = (wide, "machine") if wide else (ds, "process")
        dyn = [d.dynamic_energy_j for d in use]
        unc = (sum(d.energy_j * (d.uncertainty or 0.0) for d in use)
               if prov is Provenance.ESTIMATED else math.nan)
        rows.append({
            "provenance": prov.value, "scope": scope,
            "energy_j": float(sum(d.energy_j for d in use)),
            "dynamic_energy_j": (float(sum(dyn)) if all(x is not None for x in dyn)  # type: ignore[arg-type]
                                 else math.nan),
            "uncertainty_j": unc, "boundary": _boundary(use),
        })
    return rows


def record_rows(r: JobResult) -> list[dict[str, Any]]:
    """The flat rows of one stored result (see module docstring)."""
    metric, quality = _quality(r)
    carbon = r.carbon or {}
    base: dict[str, Any] = {
        "job_id": r.job_id, "repetition": r.repetition, "run_id": r.run_id, "task": r.task,
        "model": r.model, "dataset": r.dataset, "hardware_id": r.hardware_id or "unknown",
        "status": r.status, "error": r.error, "n": r.n, "duration_s": _num(r.duration_s),
        "work_unit": r.work_unit, "work_units": _num(r.work_units),
        "input_tokens": _num(r.input_tokens), "output_tokens": _num(r.output_tokens),
        "quality_metric": metric, "quality": quality,
        "carbon_g": _num(carbon.get("emissions_g")),
        "intensity_g_per_kwh": _num(carbon.get("intensity_g_per_kwh")),
        "intensity_source": carbon.get("intensity_source"),
        "num_params": _params(r), "purpose": _purpose(r), "weights": r.weights,
        "source": r.source, "backend": r.backend, "device": r.device,
        "created_at": r.created_at,
    }
    if r.status == STATUS_FAILED or not r.domains:
        return [{**base, "provenance": None, "scope": None, "energy_j": math.nan,
                 "dynamic_energy_j": math.nan, "uncertainty_j": math.nan, "boundary": None}]
    return [{**base, **e} for e in _energy_rows(r)]


def results_frame(results: Iterable[JobResult],
                  model_parameters: Mapping[str, float] | None = None) -> pd.DataFrame:
    """Flatten stored results into a table with derived per-repetition metrics.

    Args:
        results: Stored job results (wattprint's own or imported).
        model_parameters: Optional model name → parameter count, used where a record has none
            (e.g. the study's ``data/model_parameters.csv``).

    Returns:
        One row per (result, provenance), columns :data:`COLUMNS` plus derived ones:
        ``j_per_inference`` (J), ``kwh_per_1k`` and ``dynamic_kwh_per_1k`` (kWh per 1,000
        inferences), ``wh_per_1k`` (Wh per 1,000 inferences), ``j_per_unit`` (J per work unit),
        ``g_per_1k`` (g CO2eq per 1,000 inferences, from stored carbon fields only),
        ``output_tokens_per_inference``, ``j_per_correct`` (J per correct answer, for
        correctness metrics only). Missing values are NaN, never zero.
    """
    rows: list[dict[str, Any]] = []
    for r in results:
        rows.extend(record_rows(r))
    df = pd.DataFrame(rows, columns=list(COLUMNS))
    return add_derived(df, model_parameters)


def add_derived(df: pd.DataFrame, model_parameters: Mapping[str, float] | None = None) -> pd.DataFrame:
    """Add the per-repetition derived columns (see :func:`results_frame`) in place and return df."""
    for c in ("energy_j", "dynamic_energy_j", "uncertainty_j", "work_units", "output_tokens",
              "input_tokens", "quality", "carbon_g", "num_params", "n", "duration_s",
              "intensity_g_per_kwh"):
        df[c] = pd.to_numeric(df[c], errors="coerce").astype("float64")
    if model_parameters:
        fill = df["model"].map(model_parameters)
        df["num_params"] = df["num_params"].fillna(pd.to_numeric(fill, errors="coerce"))
    n = df["n"].where(df["n"] > 0)
    df["j_per_inference"] = df["energy_j"] / n
    df["kwh_per_1k"] = df["j_per_inference"] * 1000.0 / J_PER_KWH
    df["wh_per_1k"] = df["kwh_per_1k"] * 1000.0
    df["dynamic_kwh_per_1k"] = df["dynamic_energy_j"] / n * 1000.0 / J_PER_KWH
    df["j_per_unit"] = df["energy_j"] / df["work_units"].where(df["work_units"] > 0)
    df["g_per_1k"] = df["carbon_g"] / n * 1000.0
    df["output_tokens_per_inference"] = df["output_tokens"] / n
    correct = df["quality_metric"].isin(list(CORRECTNESS_METRICS))
    n_correct = (df["quality"] * df["n"]).where(correct)
    df["j_per_correct"] = df["energy_j"] / n_correct.where(n_correct > 0)
    return df
