"""Aggregates over repetitions: mean, standard deviation and a Student-t 95 % interval.

Input is the per-(result, provenance) table of :func:`wattprint.analysis.frame.results_frame`.
Groups are kept apart by provenance; failed repetitions are counted per group (``n_failed``)
and never enter a mean as zero. A group with one repetition has no standard deviation and no
interval (NaN, shown as "—"), because one run says nothing about spread.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

DETAIL_KEYS: tuple[str, ...] = ("task", "model", "dataset", "hardware_id", "provenance")
"""One aggregate per task, model, dataset, hardware and provenance."""

MODEL_KEYS: tuple[str, ...] = ("task", "model", "hardware_id", "provenance")
"""One aggregate per model and task, datasets pooled (the leaderboard level, like AI Energy Score)."""

CONFIDENCE: float = 0.95

MEAN_ONLY: tuple[str, ...] = (
    "j_per_inference", "j_per_unit", "g_per_1k", "quality", "j_per_correct",
    "output_tokens_per_inference", "duration_s", "uncertainty_j", "intensity_g_per_kwh",
)
"""Per-repetition columns summarised by their mean only."""

WITH_INTERVAL: tuple[str, ...] = ("kwh_per_1k", "dynamic_kwh_per_1k")
"""Per-repetition columns summarised by mean, std and a 95 % interval."""

FIRST: tuple[str, ...] = (
    "scope", "boundary", "work_unit", "quality_metric", "purpose", "source", "weights",
    "intensity_source", "backend", "device",
)


def t_interval(mean: np.ndarray | pd.Series, std: np.ndarray | pd.Series,
               n: np.ndarray | pd.Series, confidence: float = CONFIDENCE
               ) -> tuple[np.ndarray, np.ndarray]:
    """Two-sided Student-t confidence interval of a mean, vectorised.

    Args:
        mean: Sample means.
        std: Sample standard deviations (ddof = 1), same unit as ``mean``.
        n: Sample sizes; where n < 2 the interval is NaN.
        confidence: Coverage, e.g. 0.95.

    Returns:
        (low, high) arrays in the unit of ``mean``: ``mean ∓ t(1−α/2, n−1)·s/√n``.
    """
    n_arr = np.asarray(n, dtype="float64")
    s = np.asarray(std, dtype="float64")
    m = np.asarray(mean, dtype="float64")
    dof = np.where(n_arr >= 2, n_arr - 1, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        half = stats.t.ppf(0.5 + confidence / 2.0, dof) * s / np.sqrt(n_arr)
    return m - half, m + half


def aggregate(df: pd.DataFrame, keys: Sequence[str] = DETAIL_KEYS) -> pd.DataFrame:
    """Aggregate repetitions per group, kept apart by provenance.

    Args:
        df: Table from :func:`~wattprint.analysis.frame.results_frame`.
        keys: Grouping columns; must include ``provenance`` so provenances never mix.

    Returns:
        One row per group with ``n_reps`` (ok repetitions with energy), ``n_failed``,
        ``last_error``; for each of ``kwh_per_1k`` and ``dynamic_kwh_per_1k``: ``_mean``,
        ``_std`` (sample, ddof 1), ``_ci_low``, ``_ci_high`` (95 %, Student t); the means of
        :data:`MEAN_ONLY` columns (``<col>_mean``); ``wh_per_1k_mean`` and its interval in
        Wh per 1,000 inferences; ``num_params``; ``datasets`` (count), ``runs`` (count),
        ``created_at`` (latest). Groups with only failures have NaN energy, never zero.
    """
    keys = list(keys)
    if "provenance" not in keys:
        raise ValueError("aggregate keys must include 'provenance' (provenances are never mixed)")
    ok = df[(df["status"] == "ok") & df["provenance"].notna()]
    g = ok.groupby(keys, dropna=False, sort=True, observed=True)
    spec: dict[str, tuple[str, str]] = {"n_reps": ("kwh_per_1k", "count")}
    for c in WITH_INTERVAL:
        spec[f"{c}_mean"] = (c, "mean")
        spec[f"{c}_std"] = (c, "std")
        spec[f"{c}_n"] = (c, "count")
    for c in MEAN_ONLY:
        spec[f"{c}_mean"] = (c, "mean")
    for c in FIRST:
        spec[c] = (c, "first")
    spec["num_params"] = ("num_params", "max")
    spec["datasets"] = ("dataset", "nunique")
    spec["runs"] = ("run_id", "nunique")
    spec["created_at"] = ("created_at", "max")
    agg = g.agg(**spec).reset_index() if len(ok) else pd.DataFrame(columns=keys + list(spec))
    for c in WITH_INTERVAL:
        low, high = t_interval(agg[f"{c}_mean"], agg[f"{c}_std"], agg[f"{c}_n"])
        agg[f"{c}_ci_low"], agg[f"{c}_ci_high"] = low, high
    for part in ("mean", "std", "ci_low", "ci_high"):
        agg[f"wh_per_1k_{part}"] = pd.to_numeric(agg[f"kwh_per_1k_{part}"]) * 1000.0

    fkeys = [k for k in keys if k != "provenance"]
    failed = df[df["status"] == "failed"]
    if len(failed):
        f = (failed.groupby(fkeys, dropna=False, sort=False, observed=True)
             .agg(n_failed=("status", "size"), last_error=("error", "last")).reset_index())
    else:
        f = pd.DataFrame({**{k: pd.Series(dtype="object") for k in fkeys},
                          "n_failed": pd.Series(dtype="int64"),
                          "last_error": pd.Series(dtype="object")})
    # Failures belong to a job, not a provenance: show them on every provenance row of the job,
    # and as their own row (provenance missing) when the job has no successful repetition.
    out = agg.merge(f, on=fkeys, how="outer") if len(f) else agg.assign(n_failed=0, last_error=None)
    out["n_failed"] = pd.to_numeric(out["n_failed"]).fillna(0).astype("int64")
    out["n_reps"] = pd.to_numeric(out["n_reps"]).fillna(0).astype("int64")
    return out.sort_values(keys, na_position="last", kind="stable").reset_index(drop=True)


def task_summary(df: pd.DataFrame) -> pd.DataFrame:
    """The study's Table 2: per task, provenance and model kind (task-specific or
    multi-purpose), statistics over every ok repetition.

    Returns:
        Columns ``task, provenance, purpose, n_reps, models, mean, std, median, min, max`` in kWh per
        1,000 inferences, and ``g_per_1k`` (mean g CO2eq per 1,000 inferences where an
        intensity was stored, else NaN), sorted by mean.
    """
    ok = df[(df["status"] == "ok") & df["kwh_per_1k"].notna()]
    if not len(ok):
        return pd.DataFrame(columns=["task", "provenance", "purpose", "n_reps", "models", "mean",
                                     "std", "median", "min", "max", "g_per_1k"])
    out = (ok.groupby(["task", "provenance", "purpose"], observed=True, dropna=False)
           .agg(n_reps=("kwh_per_1k", "count"), models=("model", "nunique"),
                mean=("kwh_per_1k", "mean"), std=("kwh_per_1k", "std"),
                median=("kwh_per_1k", "median"), min=("kwh_per_1k", "min"),
                max=("kwh_per_1k", "max"), g_per_1k=("g_per_1k", "mean"))
           .reset_index())
    return out.sort_values(["provenance", "purpose", "mean"]).reset_index(drop=True)


def pareto_front(energy: Sequence[float], quality: Sequence[float]) -> list[int]:
    """Indices of the points no other point beats on both energy (lower) and quality (higher).

    Points with a NaN coordinate are never on the front. Among points of equal energy only
    the best quality can be on the front; a point equal on both to an earlier one is dropped.

    Args:
        energy: Energy per point (any one unit).
        quality: Quality per point (higher is better).

    Returns:
        Indices into the inputs, ordered by increasing energy.
    """
    e = np.asarray(energy, dtype="float64")
    q = np.asarray(quality, dtype="float64")
    idx = [i for i in range(len(e)) if np.isfinite(e[i]) and np.isfinite(q[i])]
    idx.sort(key=lambda i: (e[i], -q[i]))
    front: list[int] = []
    best = -np.inf
    for i in idx:
        if q[i] > best:
            front.append(i)
            best = q[i]
    return front
