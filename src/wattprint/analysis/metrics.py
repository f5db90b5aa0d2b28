"""Aggregates over repetitions: mean, standard deviation and intervals that do not overstate.

Input is the per-(result, provenance) table of :func:`wattprint.analysis.frame.results_frame`.
Groups are kept apart by provenance; failed repetitions are counted per group (``n_failed``)
and never enter a mean as zero.

Two intervals, both from :mod:`wattprint.results.stats` (log-normal, modified Cox, never a
negative lower bound, none below 3 values):

* the **repetition interval** (``<col>_rep_low/_high/_note``): over the back-to-back
  repetitions of one dataset; it shows repeatability only. At the model level (datasets
  pooled) it is given only when the model ran on one dataset: rows of different datasets are
  not independent repetitions, so they are never pooled into one interval;
* the **interval across datasets** (``<col>_ds_low/_high/_note``, model level): one value per
  dataset (the mean of its repetitions), from 3 datasets on.

Negative dynamic energy is flagged (``dynamic_negative``: repetitions whose idle-subtracted
energy came out below zero), never clipped.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from wattprint.results.stats import (
    CONFIDENCE,
    KIND_DATASETS,
    KIND_REPETITIONS,
    MIN_VALUES,
    log_mean_interval,
    non_positive_note,
    too_few_note,
)

__all__ = ["CONFIDENCE", "DETAIL_KEYS", "MODEL_KEYS", "aggregate", "pareto_front",
           "task_summary"]

DETAIL_KEYS: tuple[str, ...] = ("task", "model", "dataset", "hardware_id", "provenance")
"""One aggregate per task, model, dataset, hardware and provenance."""

MODEL_KEYS: tuple[str, ...] = ("task", "model", "hardware_id", "provenance")
"""One aggregate per model and task, datasets pooled (the leaderboard level, like AI Energy Score)."""

MEAN_ONLY: tuple[str, ...] = (
    "j_per_inference", "j_per_unit", "g_per_1k", "quality", "j_per_correct",
    "output_tokens_per_inference", "duration_s", "uncertainty_j", "intensity_g_per_kwh",
    "water_ml_per_1k", "embodied_g_per_1k", "total_g_per_1k",
)
"""Per-repetition columns summarised by their mean only."""

WITH_INTERVAL: tuple[str, ...] = ("kwh_per_1k", "dynamic_kwh_per_1k")
"""Per-repetition columns summarised by mean, std and the intervals."""

FIRST: tuple[str, ...] = (
    "scope", "boundary", "boundary_level", "work_unit", "quality_metric", "purpose", "source",
    "weights", "intensity_source", "backend", "device",
)

SEVERAL_DATASETS_NOTE = "several datasets: per dataset (Per dataset table)"
ONE_DATASET_NOTE = "one dataset: see the repetition interval"


def _notes(n: pd.Series, n_bad: pd.Series, kind: str) -> list[str]:
    """Why a group has no interval ("" where it has one)."""
    out = []
    for k, bad in zip(n.fillna(0).astype(int), n_bad.fillna(0).astype(int)):
        if bad:
            out.append(non_positive_note(bad, k))
        elif kind == KIND_DATASETS and k == 1:
            out.append(ONE_DATASET_NOTE)
        elif k < MIN_VALUES:
            out.append(too_few_note(k, kind))
        else:
            out.append("")
    return out


def _log_parts(df: pd.DataFrame, col: str) -> pd.DataFrame:
    """Helper columns for the log-scale interval of ``col``: its log where positive, and
    flags for values ≤ 0 and < 0."""
    v = pd.to_numeric(df[col], errors="coerce")
    with np.errstate(invalid="ignore", divide="ignore"):
        log = np.log(v.where(v > 0))
    return df.assign(**{f"_log_{col}": log, f"_np_{col}": (v <= 0).astype("int64"),
                        f"_neg_{col}": (v < 0).astype("int64")})


def _interval_columns(agg: pd.DataFrame, col: str, prefix: str, kind: str,
                      n_col: str, mean_log: str, var_log: str, bad_col: str) -> None:
    """Add ``{col}_{prefix}_low/_high/_note`` to ``agg`` in place."""
    bad = pd.to_numeric(agg[bad_col]).fillna(0)
    n = pd.to_numeric(agg[n_col]).fillna(0)
    low, high = log_mean_interval(n, agg[mean_log], agg[var_log])
    usable = (bad == 0).to_numpy()
    agg[f"{col}_{prefix}_low"] = np.where(usable, low, np.nan)
    agg[f"{col}_{prefix}_high"] = np.where(usable, high, np.nan)
    agg[f"{col}_{prefix}_note"] = _notes(n, bad, kind)


def _across_datasets(ok: pd.DataFrame, keys: list[str], col: str) -> pd.DataFrame:
    """Per group of ``keys``: the log-scale parts of the per-dataset means of ``col``."""
    per_ds = (ok.groupby(keys + ["dataset"], dropna=False, sort=False, observed=True)[col]
              .mean().reset_index())
    per_ds = _log_parts(per_ds[per_ds[col].notna()], col)
    g = per_ds.groupby(keys, dropna=False, sort=False, observed=True)
    return g.agg(**{f"{col}_ds_n": (col, "count"), f"{col}_ds_mlog": (f"_log_{col}", "mean"),
                    f"{col}_ds_vlog": (f"_log_{col}", "var"),
                    f"{col}_ds_bad": (f"_np_{col}", "sum")}).reset_index()


def aggregate(df: pd.DataFrame, keys: Sequence[str] = DETAIL_KEYS) -> pd.DataFrame:
    """Aggregate repetitions per group, kept apart by provenance.

    Args:
        df: Table from :func:`~wattprint.analysis.frame.results_frame`.
        keys: Grouping columns; must include ``provenance`` so provenances never mix.

    Returns:
        One row per group with ``n_reps`` (ok repetitions with energy), ``n_failed``,
        ``last_error``; for each of ``kwh_per_1k`` and ``dynamic_kwh_per_1k``: ``_mean``,
        ``_std`` (sample, ddof 1), the repetition interval ``_rep_low``, ``_rep_high``,
        ``_rep_note`` and, when ``dataset`` is not a key, the interval across datasets
        ``_ds_low``, ``_ds_high``, ``_ds_note`` (see the module docstring); the same for
        ``wh_per_1k`` (Wh per 1,000 inferences); ``dynamic_negative`` (repetitions with a
        negative dynamic energy); the means of :data:`MEAN_ONLY` columns (``<col>_mean``);
        ``num_params``; ``n_items`` (most inputs per repetition); ``datasets`` (count),
        ``runs`` (count), ``created_at`` (latest).
        Groups with only failures have NaN energy, never zero.
    """
    keys = list(keys)
    if "provenance" not in keys:
        raise ValueError("aggregate keys must include 'provenance' (provenances are never mixed)")
    ok = df[(df["status"] == "ok") & df["provenance"].notna()]
    if "boundary_level" not in ok:
        ok = ok.assign(boundary_level=None)
    for c in WITH_INTERVAL:
        ok = _log_parts(ok, c)
    g = ok.groupby(keys, dropna=False, sort=True, observed=True)
    spec: dict[str, tuple[str, str]] = {"n_reps": ("kwh_per_1k", "count")}
    for c in WITH_INTERVAL:
        spec[f"{c}_mean"] = (c, "mean")
        spec[f"{c}_std"] = (c, "std")
        spec[f"{c}_n"] = (c, "count")
        spec[f"{c}_mlog"] = (f"_log_{c}", "mean")
        spec[f"{c}_vlog"] = (f"_log_{c}", "var")
        spec[f"{c}_bad"] = (f"_np_{c}", "sum")
    spec["dynamic_negative"] = ("_neg_dynamic_kwh_per_1k", "sum")
    for c in MEAN_ONLY:
        spec[f"{c}_mean"] = (c, "mean")
    for c in FIRST:
        spec[c] = (c, "first")
    spec["num_params"] = ("num_params", "max")
    spec["n_items"] = ("n", "max")
    spec["datasets"] = ("dataset", "nunique")
    spec["runs"] = ("run_id", "nunique")
    spec["created_at"] = ("created_at", "max")
    agg = g.agg(**spec).reset_index() if len(ok) else pd.DataFrame(columns=keys + list(spec))
    pooled = "dataset" not in keys
    for c in WITH_INTERVAL:
        _interval_columns(agg, c, "rep", KIND_REPETITIONS, f"{c}_n", f"{c}_mlog", f"{c}_vlog",
                          f"{c}_bad")
        if pooled:
            several = (pd.to_numeric(agg["datasets"]).fillna(0) > 1).to_numpy()
            for part in ("rep_low", "rep_high"):
                agg[f"{c}_{part}"] = np.where(several, np.nan, agg[f"{c}_{part}"])
            agg[f"{c}_rep_note"] = np.where(several, SEVERAL_DATASETS_NOTE, agg[f"{c}_rep_note"])
            ds = _across_datasets(ok, keys, c) if len(ok) else None
            if ds is not None and len(ds):
                agg = agg.merge(ds, on=keys, how="left")
            else:
                for part in ("n", "mlog", "vlog", "bad"):
                    agg[f"{c}_ds_{part}"] = np.nan
            _interval_columns(agg, c, "ds", KIND_DATASETS, f"{c}_ds_n", f"{c}_ds_mlog",
                              f"{c}_ds_vlog", f"{c}_ds_bad")
        agg = agg.drop(columns=[x for x in agg.columns if x.startswith(f"{c}_")
                                and x.rsplit("_", 1)[-1] in ("mlog", "vlog", "bad")])
    parts = ["mean", "std", "rep_low", "rep_high"] + (["ds_low", "ds_high"] if pooled else [])
    for part in parts:
        agg[f"wh_per_1k_{part}"] = pd.to_numeric(agg[f"kwh_per_1k_{part}"]) * 1000.0
    for part in ("rep_note",) + (("ds_note",) if pooled else ()):
        agg[f"wh_per_1k_{part}"] = agg[f"kwh_per_1k_{part}"]

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
    out["dynamic_negative"] = pd.to_numeric(out["dynamic_negative"]).fillna(0).astype("int64")
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
