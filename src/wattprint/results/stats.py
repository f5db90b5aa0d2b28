"""The one statistics module: per-1,000 energy, means and intervals that respect positivity.

Used by the end-of-run summary (:mod:`wattprint.harness.summary`) and by the report's
aggregates (:mod:`wattprint.analysis.metrics`), so both print the same numbers.

**Which interval.** Back-to-back repetitions of one job on one dataset show *repeatability*,
not how a model's energy varies over inputs; their interval is called a **repetition
interval**. Where a model ran on several datasets, a second interval is taken **across
datasets** (one value per dataset: the mean of its repetitions). Rows of different datasets are
never pooled as if they were independent repetitions.

**How.** Energy is positive and its spread is multiplicative, so the interval of the mean is
computed on the log scale with the modified Cox method for a log-normal mean (Olsson 2005,
"Confidence intervals for the mean of a log-normal distribution", J. Stat. Educ. 13(1)):

    y = ln x;  centre = ȳ + s²/2;  half = t(1−α/2, n−1) · √(s²/n + s⁴/(2(n−1)))
    interval = [exp(centre − half), exp(centre + half)]

so the lower bound is never negative. With fewer than :data:`MIN_VALUES` values there is no
interval ("too few repetitions"); a value ≤ 0 (a negative dynamic energy: the idle baseline
drew more than the window) gives no interval and is flagged, never clipped.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

from wattprint.units import J_PER_KWH

CONFIDENCE: float = 0.95
"""Coverage of every interval."""

MIN_VALUES: int = 3
"""Fewest values (repetitions, or datasets) that get an interval."""

KIND_REPETITIONS = "repetitions"
KIND_DATASETS = "datasets"

T = TypeVar("T")


def kwh_per_1k(energy_j: T, n: Any) -> T:
    """kWh per 1,000 inferences: ``energy_j / n × 1000 / 3.6e6``.

    The project's headline unit, written once. Works element-wise on numpy arrays and pandas
    Series; the caller keeps ``n > 0`` (a zero count has no per-inference energy).

    Args:
        energy_j: Energy over the window, joules.
        n: Inferences in the window.
    """
    return energy_j / n * 1000.0 / J_PER_KWH  # type: ignore[no-any-return]


def too_few_note(n: int, kind: str = KIND_REPETITIONS) -> str:
    """The note shown instead of an interval with ``n`` < :data:`MIN_VALUES` values."""
    return f"too few {kind} for an interval ({n} < {MIN_VALUES})"


def non_positive_note(n_bad: int, n: int) -> str:
    """The note shown instead of an interval when some values are ≤ 0."""
    return (f"no interval: {n_bad} of {n} value(s) ≤ 0 (negative dynamic energy: the idle "
            "baseline drew more than the window; check the baseline)")


def log_mean_interval(n: Any, mean_log: Any, var_log: Any,
                      confidence: float = CONFIDENCE) -> tuple[np.ndarray, np.ndarray]:
    """Modified-Cox interval of a log-normal mean, vectorised (see the module docstring).

    Args:
        n: Number of (positive) values per group.
        mean_log: Mean of ``ln x`` per group.
        var_log: Sample variance (ddof 1) of ``ln x`` per group.
        confidence: Coverage, e.g. 0.95.

    Returns:
        (low, high) in the unit of ``x``; NaN where ``n`` < :data:`MIN_VALUES` or an input is
        missing. Always ``0 < low ≤ high`` otherwise.
    """
    from scipy import stats  # type: ignore[import-untyped]

    n_arr = np.asarray(n, dtype="float64")
    m = np.asarray(mean_log, dtype="float64")
    v = np.asarray(var_log, dtype="float64")
    ok = n_arr >= MIN_VALUES
    dof = np.where(ok, n_arr - 1.0, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        t = stats.t.ppf(0.5 + confidence / 2.0, dof)
        half = t * np.sqrt(v / n_arr + v * v / (2.0 * dof))
        centre = m + v / 2.0
        low, high = np.exp(centre - half), np.exp(centre + half)
    return np.where(ok, low, np.nan), np.where(ok, high, np.nan)


@dataclass(frozen=True)
class Stat:
    """Mean, spread and interval of one set of values.

    Attributes:
        mean: Arithmetic mean, unit of the values.
        std: Sample standard deviation (ddof 1); None with one value.
        count: Number of values.
        low, high: Interval of the mean (:data:`CONFIDENCE`), unit of the values; None when
            there is none (see ``note``).
        kind: What the values are: ``repetitions`` or ``datasets``.
        note: Why there is no interval, or "" when there is one.
        n_negative: Values below zero (a negative dynamic energy), flagged, never clipped.
    """

    mean: float
    std: float | None
    count: int
    low: float | None
    high: float | None
    kind: str = KIND_REPETITIONS
    note: str = ""
    n_negative: int = 0

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of every field."""
        return {"mean": self.mean, "std": self.std, "count": self.count, "low": self.low,
                "high": self.high, "kind": self.kind, "note": self.note,
                "n_negative": self.n_negative, "confidence": CONFIDENCE}


def stat(values: Sequence[float], kind: str = KIND_REPETITIONS) -> Stat | None:
    """Mean, spread and positive interval of ``values`` (None when empty).

    Args:
        values: Per-repetition (or per-dataset) values, e.g. kWh per 1,000 inferences.
        kind: ``repetitions`` or ``datasets`` (names the interval and its notes).
    """
    x = np.asarray([float(v) for v in values], dtype="float64")
    if not len(x):
        return None
    mean = float(x.mean())
    std = float(x.std(ddof=1)) if len(x) >= 2 else None
    n_neg = int((x < 0).sum())
    n_bad = int((x <= 0).sum())
    if n_bad:
        return Stat(mean, std, len(x), None, None, kind, non_positive_note(n_bad, len(x)), n_neg)
    if len(x) < MIN_VALUES:
        return Stat(mean, std, len(x), None, None, kind, too_few_note(len(x), kind), n_neg)
    y = np.log(x)
    low, high = log_mean_interval([len(x)], [y.mean()], [y.var(ddof=1)])
    lo, hi = float(low[0]), float(high[0])
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return Stat(mean, std, len(x), None, None, kind, "no interval (not finite)", n_neg)
    return Stat(mean, std, len(x), lo, hi, kind, "", n_neg)
