"""Stored records → one flat pandas table, one row per (result, provenance).

Energy stays apart by provenance: a result that carries ``measured`` GPU energy and
``estimated`` CPU energy gives two rows, never one sum. Within one provenance, the job's
boundary is summed (:func:`~wattprint.meters.base.boundary_split`: devices and the host or the
job's share of it, never a share added to the whole host); process-scope domains (an
attribution to the measured process) are used only when that provenance has nothing else,
so a process share is never added to the whole-machine figure it is part of; the process's own
share (its process-scope domains plus the devices it used) is kept apart in
``process_share_j``, for views that lead with it on a shared host. ``shared`` says
whether the result's window was flagged as run on a shared host
(:attr:`~wattprint.results.schema.JobResult.shared_host`): ratings, labels and the leaderboard
leave those out unless asked.

A failed result gives one row with ``status == "failed"``, its ``error``, and NaN energy: it is
counted and shown, never read as zero. Missing fields are NaN/None, never zero.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from wattprint.meters.base import DomainEnergy, Provenance, boundary_split
from wattprint.results.boundaries import level_of
from wattprint.results.impacts import record_rates
from wattprint.results.names import display_model
from wattprint.results.schema import STATUS_FAILED, JobResult, short_fingerprint
from wattprint.results.stats import kwh_per_1k

QUALITY_PREFERENCE: tuple[str, ...] = (
    "accuracy", "exact_match", "f1", "rouge1", "rougeL", "rouge2", "map", "clip_score",
)
"""Which quality metric is a result's headline one, in order of preference."""

CORRECTNESS_METRICS: frozenset[str] = frozenset({"accuracy", "exact_match", "acc"})
"""Metrics that are a share of correct answers, so ``metric × n`` answers were correct."""

COLUMNS: tuple[str, ...] = (
    "job_id", "repetition", "run_id", "task", "model", "dataset", "hardware_id", "provenance",
    "scope", "status", "error", "n", "duration_s", "energy_j", "dynamic_energy_j",
    "uncertainty_j", "boundary", "boundary_level", "work_unit", "work_units", "input_tokens",
    "output_tokens",
    "quality_metric", "quality", "carbon_g", "intensity_g_per_kwh", "intensity_source",
    "num_params", "purpose", "weights", "source", "backend", "device", "created_at",
    "model_fingerprint", "water_l_per_kwh", "embodied_g", "shared", "process_share_j",
)

PARAM_KEYS: tuple[str, ...] = ("parameters", "num_parameters", "num_params", "n_parameters")


def _num(x: Any) -> float:
    """A finite number as float, anything else (None, str, NaN, bool) as NaN."""
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        return math.nan
    x = float(x)
    return x if math.isfinite(x) else math.nan


def _params(r: JobResult) -> float:
    """Parameter count: the record's ``parameters``, else what an import left in extra, else NaN."""
    if r.parameters is not None and r.parameters > 0:
        return float(r.parameters)
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
"""Name fragments of the study's multi-purpose (zero-shot) models, for records that do not say."""


def _purpose(r: JobResult) -> str:
    """``multi-purpose`` or ``task-specific``.

    The record's ``mode`` decides (the harness records how the model ran); only records that
    do not say (imports) fall back on the study importer's ``study_kind``, then the name.
    """
    if r.mode is not None:
        return "multi-purpose" if r.mode == "zero-shot" else "task-specific"
    kind = r.extra.get("study_kind")  # set by the study importer
    if kind in ("zero-shot", "task-specific"):
        return "multi-purpose" if kind == "zero-shot" else "task-specific"
    name = r.model.lower()
    return "multi-purpose" if any(h in name for h in MULTI_PURPOSE_HINTS) else "task-specific"


def _model_labels(rs: list[JobResult]) -> list[str]:
    """Model names as shown: the name typed (or, for an imported log that knows no model, its
    project name: :func:`~wattprint.results.names.display_model`), with a short fingerprint
    added when one name stands for several different models (``./ckpt [files:1a2b3c4d]``), so
    they never merge."""
    prints: dict[str, set[str]] = {}
    for r in rs:
        if r.model_fingerprint:
            prints.setdefault(r.model, set()).add(r.model_fingerprint)
    return [f"{display_model(r)} [{short_fingerprint(r.model_fingerprint)}]"
            if r.model_fingerprint and len(prints[r.model]) > 1 else display_model(r)
            for r in rs]


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


_PROV_ORDER = {p: i for i, p in enumerate(Provenance)}


def _energy_parts(r: JobResult, boundary_cache: dict[tuple[Any, ...], str]
                  ) -> list[tuple[str, str, float, float, float, str, str, float]]:
    """Per provenance present: (provenance, scope, energy_j, dynamic_energy_j, uncertainty_j,
    boundary, boundary_level, process_share_j). Device and machine domains of one provenance
    are summed; node-scope domains (the whole node, from its BMC), then process-scope ones, are
    used only when the provenance has no other. ``process_share_j`` is the measured process's
    own share of that provenance (its process-scope domains, idle apart, plus the device
    domains), as :func:`~wattprint.meters.base.headline` leads with on a shared host; NaN when
    the provenance has no process-scope domain."""
    by_prov: dict[Provenance, list[DomainEnergy]] = {}
    for d in r.domains:
        by_prov.setdefault(d.provenance, []).append(d)
    out = []
    inside = {id(d) for d in boundary_split(r.domains)[0]}
    for prov in sorted(by_prov, key=_PROV_ORDER.__getitem__):
        ds = by_prov[prov]
        wide = [d for d in ds if id(d) in inside]
        node = [d for d in ds if d.scope == "node"]
        use, scope = ((wide, "machine") if wide else (node, "node") if node
                      else ([d for d in ds if d.scope == "process"], "process"))
        energy = 0.0
        dyn: float | None = 0.0
        for d in use:
            energy += d.energy_j
            if dyn is not None:
                dyn = None if d.dynamic_energy_j is None else dyn + d.dynamic_energy_j
        unc = (sum(d.energy_j * (d.uncertainty or 0.0) for d in use)
               if prov is Provenance.ESTIMATED else math.nan)
        key = tuple((d.name, d.boundary) for d in use)
        b = boundary_cache.get(key)
        if b is None:
            b = boundary_cache[key] = _boundary(use)
        own = [d for d in ds if d.scope == "process"]
        share = (float(sum(d.energy_j for d in ds if d.scope in ("process", "device")))
                 if own else math.nan)
        out.append((prov.value, scope, float(energy), math.nan if dyn is None else float(dyn),
                    unc, b, level_of(use, r.domains), share))
    return out


NUMERIC = frozenset({
    "n", "duration_s", "work_units", "input_tokens", "output_tokens", "quality", "carbon_g",
    "intensity_g_per_kwh", "num_params", "energy_j", "dynamic_energy_j", "uncertainty_j",
    "water_l_per_kwh", "embodied_g", "process_share_j",
})


def _column(values: list[Any], numeric: bool) -> np.ndarray:
    """A numpy column: float64 with NaN for missing, or object for text."""
    if numeric:
        try:
            arr = np.array(values, dtype="float64")  # None → NaN
        except (TypeError, ValueError):  # text in a number field: missing, not an error
            arr = np.array([_num(v) for v in values], dtype="float64")
        if any(isinstance(v, bool) for v in values[:1]):
            arr = np.array([_num(v) for v in values], dtype="float64")
        arr[~np.isfinite(arr)] = np.nan
        return arr
    arr = np.empty(len(values), dtype=object)
    arr[:] = values
    return arr


def results_frame(results: Iterable[JobResult],
                  model_parameters: Mapping[str, float] | None = None) -> pd.DataFrame:
    """Flatten stored results into a table with derived per-repetition metrics.

    Args:
        results: Stored job results (wattprint's own or imported).
        model_parameters: Optional model name → parameter count, used where a record has none
            (e.g. the study's ``data/model_parameters.csv``).

    Returns:
        One row per (result, provenance) — a failed result or one without energy gives one
        row with no provenance and NaN energy — with columns :data:`COLUMNS` (``model`` is the
        name to show: :func:`~wattprint.results.names.display_model`, so an imported log
        without a model shows its project name) plus derived ones:
        ``j_per_inference`` (J), ``kwh_per_1k`` and ``dynamic_kwh_per_1k`` (kWh per 1,000
        inferences), ``wh_per_1k`` (Wh per 1,000 inferences), ``j_per_unit`` (J per work unit),
        ``g_per_1k`` (g CO2eq per 1,000 inferences, from stored carbon fields only),
        ``water_ml_per_1k`` (mL of water per 1,000 inferences), ``embodied_g_per_1k`` (g CO2eq
        of device manufacturing allocated by busy time) and ``total_g_per_1k``
        (``g_per_1k`` + embodied), from the impact factors the run recorded (NaN without),
        ``output_tokens_per_inference``, ``j_per_correct`` (J per correct answer, for
        correctness metrics only). Missing values are NaN, never zero.
    """
    rs = list(results)
    idx: list[int] = []
    energy_cols: list[tuple[Any, ...]] = []
    cache: dict[tuple[Any, ...], str] = {}
    failed_row = (None, None, math.nan, math.nan, math.nan, None, None, math.nan)
    for i, r in enumerate(rs):
        parts = (_energy_parts(r, cache) if r.status != STATUS_FAILED and r.domains else [])
        for p in parts or [failed_row]:
            idx.append(i)
            energy_cols.append(p)
    qual = [_quality(r) for r in rs]
    carbon = [r.carbon or {} for r in rs]
    # Parameter count and purpose describe the job's model: computed once per job.
    per_job: dict[str, tuple[float, str]] = {}
    for r in rs:
        if r.job_id not in per_job:
            per_job[r.job_id] = (_params(r), _purpose(r))
    job_info = [per_job[r.job_id] for r in rs]
    rates = [record_rates(r) for r in rs]  # (water L/kWh, embodied g): recorded factors only
    base = {
        "job_id": [r.job_id for r in rs], "repetition": [r.repetition for r in rs],
        "run_id": [r.run_id for r in rs], "task": [r.task for r in rs],
        "model": _model_labels(rs), "dataset": [r.dataset for r in rs],
        "hardware_id": [r.hardware_id or "unknown" for r in rs],
        "status": [r.status for r in rs], "error": [r.error for r in rs],
        "n": [r.n for r in rs], "duration_s": [r.duration_s for r in rs],
        "work_unit": [r.work_unit for r in rs], "work_units": [r.work_units for r in rs],
        "input_tokens": [r.input_tokens for r in rs],
        "output_tokens": [r.output_tokens for r in rs],
        "quality_metric": [q[0] for q in qual], "quality": [q[1] for q in qual],
        "carbon_g": [c.get("emissions_g") for c in carbon],
        "intensity_g_per_kwh": [c.get("intensity_g_per_kwh") for c in carbon],
        "intensity_source": [c.get("intensity_source") for c in carbon],
        "num_params": [j[0] for j in job_info], "purpose": [j[1] for j in job_info],
        "weights": [r.weights for r in rs], "source": [r.source for r in rs],
        "backend": [r.backend for r in rs], "device": [r.device for r in rs],
        "created_at": [r.created_at for r in rs],
        "model_fingerprint": [r.model_fingerprint for r in rs],
        "water_l_per_kwh": [x[0] for x in rates], "embodied_g": [x[1] for x in rates],
        "shared": [r.shared_host for r in rs],
    }
    take = np.asarray(idx, dtype=np.intp)
    cols: dict[str, Any] = {}
    for name, values in base.items():
        cols[name] = _column(values, name in NUMERIC)[take]
    names = ("provenance", "scope", "energy_j", "dynamic_energy_j", "uncertainty_j", "boundary",
             "boundary_level", "process_share_j")
    for j, name in enumerate(names):
        cols[name] = _column([e[j] for e in energy_cols], name in NUMERIC)
    # text as object columns: cheap to build and to group
    df = pd.DataFrame({c: pd.Series(cols[c], dtype=None if c in NUMERIC else object)
                       for c in COLUMNS})
    return add_derived(df, model_parameters)


def add_derived(df: pd.DataFrame, model_parameters: Mapping[str, float] | None = None) -> pd.DataFrame:
    """Add the per-repetition derived columns (see :func:`results_frame`) in place and return df."""
    for c in ("energy_j", "dynamic_energy_j", "uncertainty_j", "work_units", "output_tokens",
              "input_tokens", "quality", "carbon_g", "num_params", "n", "duration_s",
              "intensity_g_per_kwh", "water_l_per_kwh", "embodied_g"):
        if c not in df:  # a table made before the column existed
            df[c] = np.nan
        col = df[c]
        if col.dtype == object:  # bools and text are not numbers: missing, never 0/1
            col = col.map(_num)
        df[c] = pd.to_numeric(col, errors="coerce").astype("float64")
        df.loc[~np.isfinite(df[c]), c] = np.nan
    if model_parameters:
        fill = df["model"].map(model_parameters)
        df["num_params"] = df["num_params"].fillna(pd.to_numeric(fill, errors="coerce"))
    n = df["n"].where(df["n"] > 0)
    df["j_per_inference"] = df["energy_j"] / n
    df["kwh_per_1k"] = kwh_per_1k(df["energy_j"], n)
    df["wh_per_1k"] = df["kwh_per_1k"] * 1000.0
    df["dynamic_kwh_per_1k"] = kwh_per_1k(df["dynamic_energy_j"], n)
    df["j_per_unit"] = df["energy_j"] / df["work_units"].where(df["work_units"] > 0)
    # Carbon of this provenance's energy at the stored intensity: a record's stored emissions
    # cover all its domains, so they are used directly only when it has a single provenance.
    single = ~df.duplicated(subset=["job_id", "repetition", "run_id", "source"], keep=False)
    df["g_per_1k"] = (df["kwh_per_1k"] * df["intensity_g_per_kwh"]).fillna(
        (df["carbon_g"] / n * 1000.0).where(single))
    # Impacts (estimated, from the factors the run recorded; NaN without them, never 0):
    # water of this provenance's energy, embodied carbon of the devices over the busy time,
    # and the total carbon (the g CO2eq / 1k above + embodied).
    df["water_ml_per_1k"] = df["kwh_per_1k"] * df["water_l_per_kwh"] * 1000.0
    df["embodied_g_per_1k"] = df["embodied_g"] / n * 1000.0
    df["total_g_per_1k"] = df["g_per_1k"] + df["embodied_g_per_1k"]
    df["output_tokens_per_inference"] = df["output_tokens"] / n
    correct = df["quality_metric"].isin(list(CORRECTNESS_METRICS))
    n_correct = (df["quality"] * df["n"]).where(correct)
    df["j_per_correct"] = df["energy_j"] / n_correct.where(n_correct > 0)
    return df
