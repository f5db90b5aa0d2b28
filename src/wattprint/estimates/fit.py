"""Fit the LLM energy model on observations, with residuals held out by model family.

The coefficients are ordinary least squares on ``ln(J per output token)`` (:mod:`.design`).
Which numeric terms enter is decided by the same held-out error: starting from the intercept
and hardware indicators, the identifiable term that lowers the held-out RMSE most is added
until none lowers it by at least :data:`MIN_GAIN` (forward selection). On the ML.ENERGY data
this keeps weight memory, batch and devices and leaves active parameters out: once the weights
are in, active parameters make unseen families worse (docs/estimates.md).
The interval comes from cross-validation that holds out a whole group at a time (a model
family for the reference data, a model for a user's own points, a single point when there is
only one group): each group is predicted by a fit that never saw it, and the stated interval
half-width at level ``c`` is the ``ceil((n + 1) c) / n`` quantile of the absolute held-out log
residuals (split-conformal, with groups as the exchangeable units).

With few groups (the reference data has 8 families) that quantile is too narrow for a family
unlike the others: a family held out of both the fit and the calibration fell inside the
"90 %" interval only about 80 % of the time. So, with at least :data:`MIN_NESTED_GROUPS`
groups, the half-width is widened by a second, nested hold-out: each group is left out of the
whole procedure (term selection, fit, conformal quantile), its points' residuals are divided by
that quantile, and the level-``c`` conformal quantile of those ratios (never below 1) multiplies
the half-width. ``Holdout.nested_coverage`` keeps the coverage before widening (what the plain
method achieved on unseen groups) and ``Holdout.widening`` the factors. Tests check the result
on data generated from a known law and on the reference data with a third, outer hold-out.
"""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from wattprint.errors import ConfigError
from wattprint.estimates.design import (
    METHOD,
    FeaturePoint,
    hardware_levels,
    matrix,
    select_terms,
)
from wattprint.estimates.observations import Observation

MIN_NESTED_GROUPS = 4
"""Groups needed for the nested widening (with fewer, the plain conformal width is used)."""
MIN_GAIN = 0.005
"""Smallest drop of the held-out RMSE (``ln`` units) for which a term is added."""
LEVELS: tuple[float, ...] = (0.5, 0.8, 0.9, 0.95)
"""Coverage levels whose interval half-widths a fit stores."""
DEFAULT_LEVEL = 0.9


@dataclass(frozen=True)
class Holdout:
    """Held-out error of a fit.

    Attributes:
        by: What was held out together: ``family``, ``model`` or ``point``.
        groups: How many groups there were.
        n: Points predicted.
        rmse_log: Root mean square of ``ln(predicted / measured)``.
        median_abs_rel: Median of ``|predicted / measured - 1|``.
        p90_abs_rel: 90th percentile of the same.
        halfwidth_log: Interval half-width in ``ln`` units by coverage level (``"0.9"``),
            widened (module docstring).
        by_group: Per group: points, median ``|rel|`` and mean ``ln`` bias.
        nested_coverage: By level, the share of points of groups left out of the whole
            procedure that the plain (unwidened) interval covered; empty when not computed.
        widening: By level, the factor applied to the plain half-width (1 = none).
    """

    by: str
    groups: int
    n: int
    rmse_log: float
    median_abs_rel: float
    p90_abs_rel: float
    halfwidth_log: dict[str, float]
    by_group: dict[str, dict[str, float]] = field(default_factory=dict)
    nested_coverage: dict[str, float] = field(default_factory=dict)
    widening: dict[str, float] = field(default_factory=dict)

    def factor(self, level: float = DEFAULT_LEVEL) -> float:
        """The multiplicative half-width ``exp(q)`` of the interval at ``level``."""
        key = f"{level:g}"
        if key not in self.halfwidth_log:
            raise ConfigError(f"coverage level {level:g} not stored; stored: "
                              f"{', '.join(sorted(self.halfwidth_log))}")
        return math.exp(self.halfwidth_log[key])


@dataclass(frozen=True)
class HardwareInfo:
    """What a fit knows about one hardware.

    Attributes:
        points: Observations on it.
        batch_range: Smallest and largest average batch measured.
        power_w_per_device: 10th, 50th and 90th percentile of power per device, W (None when
            the points carry no power).
        boundary: What the energy covers (``gpu``, ``cpu`` ...).
        energy_provenance: Points by provenance of their energy.
    """

    points: int
    batch_range: tuple[float, float]
    power_w_per_device: tuple[float, float, float] | None
    boundary: str
    energy_provenance: dict[str, int]


@dataclass(frozen=True)
class FittedModel:
    """A fitted LLM energy model (what ``estimate fit`` writes and ``estimate llm`` reads).

    Attributes:
        method: The model's name (:data:`~wattprint.estimates.design.METHOD`).
        terms, coefficients: The linear model in ``ln(J per output token)``.
        hardware_levels: Hardware keys known to the fit (the first is the baseline).
        residual_sd_log: In-sample residual standard deviation (``ln`` units).
        holdout: Held-out error and interval half-widths.
        n_points: Observations fitted.
        hardware: Per hardware: points, batch range, power, boundary.
        feature_ranges: Smallest and largest value of each numeric term in the data.
        data_version: Version of the data (reference commit, store path and point count).
        sources: Where the observations came from, in words.
        models: Model names fitted.
        model_sizes: Per model: active parameters (B), total parameters (B), bytes per
            parameter, as fitted (so ``estimate llm --fit FILE --model NAME`` knows them).
        created_at: ISO time of the fit.
    """

    method: str
    terms: tuple[str, ...]
    coefficients: tuple[float, ...]
    hardware_levels: tuple[str, ...]
    residual_sd_log: float
    holdout: Holdout
    n_points: int
    hardware: dict[str, HardwareInfo]
    feature_ranges: dict[str, tuple[float, float]]
    data_version: str
    sources: tuple[str, ...]
    models: tuple[str, ...]
    model_sizes: dict[str, tuple[float, float, float]] = field(default_factory=dict)
    created_at: str = ""

    def log_j_per_output_token(self, p: FeaturePoint) -> float:
        """Predicted ``ln(J per output token)`` at a point.

        Raises:
            ConfigError: hardware the fit has no point on.
        """
        if p.hardware not in self.hardware_levels:
            raise ConfigError(f"hardware {p.hardware!r} is not in this fit (it knows "
                              f"{', '.join(self.hardware_levels)}); measure it with `wattprint "
                              "load` and refit with `wattprint estimate fit --store ...`")
        x = matrix(self.terms, [p])[0]
        return float(x @ np.asarray(self.coefficients))

    def j_per_output_token(self, p: FeaturePoint) -> float:
        """Predicted J per output token at a point."""
        return math.exp(self.log_j_per_output_token(p))

    def out_of_range(self, p: FeaturePoint, tolerance_log: float = 0.05) -> list[str]:
        """Terms whose value at ``p`` lies outside the fitted data far enough to move the
        prediction by more than ``tolerance_log`` (``ln`` units) against the nearest edge."""
        out = []
        x = matrix(self.terms, [p])[0]
        for t, v, c in zip(self.terms, x, self.coefficients):
            lo_hi = self.feature_ranges.get(t)
            if not lo_hi or t == "log_batch_sq":  # (reported with log_batch)
                continue
            edge = min(max(v, lo_hi[0]), lo_hi[1])
            if abs(c * (v - edge)) > tolerance_log:
                out.append(f"{t.removeprefix('log_')}={math.exp(v):.4g} outside the fitted "
                           f"range {math.exp(lo_hi[0]):.4g}-{math.exp(lo_hi[1]):.4g}")
        return out


def _ols(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    coef, *_ = np.linalg.lstsq(x, y, rcond=None)
    return np.asarray(coef)


def conformal_quantile(abs_residuals: Sequence[float], level: float) -> float:
    """The split-conformal quantile: the ``ceil((n + 1) level)``-th smallest of ``n`` values
    (the largest when that exceeds ``n``)."""
    r = np.sort(np.asarray(abs_residuals, dtype=float))
    k = min(len(r), math.ceil((len(r) + 1) * level))
    return float(r[k - 1])


def heldout_residuals(terms: Sequence[str], obs: Sequence[Observation]
                      ) -> tuple[np.ndarray, str, int]:
    """``ln(predicted / measured)`` of every point, each predicted by a fit without its group.

    Returns:
        The residuals, what was held out (``group`` or ``point``), how many groups.
    """
    x, y = matrix(terms, obs), np.log([o.j_per_output_token for o in obs])
    groups = sorted({o.group for o in obs})
    out = np.zeros(len(obs))
    if len(groups) >= 2:
        labels = np.array([o.group for o in obs])
        for g in groups:
            m = labels == g
            out[m] = x[m] @ _ols(x[~m], y[~m]) - y[m]
        return out, "group", len(groups)
    for i in range(len(obs)):
        m = np.arange(len(obs)) != i
        out[i] = x[i] @ _ols(x[m], y[m]) - y[i]
    return out, "point", len(obs)


def choose_terms(obs: Sequence[Observation]) -> tuple[str, ...]:
    """Forward selection of terms by held-out RMSE (module docstring)."""
    candidates = list(select_terms(obs))
    current = [t for t in candidates if not t.startswith("log_")]
    pool = [t for t in candidates if t.startswith("log_")]

    def rmse(terms: Sequence[str]) -> float:
        res, _, _ = heldout_residuals(terms, obs)
        return float(np.sqrt(np.mean(res ** 2)))

    best = rmse(current)
    while pool:
        trials = [(rmse([*current, t]), t) for t in pool
                  if t != "log_batch_sq" or "log_batch" in current]
        if not trials:
            break
        score, term = min(trials)
        if score > best - MIN_GAIN:
            break
        current.append(term)
        pool.remove(term)
        best = score
    order = {t: i for i, t in enumerate(candidates)}
    return tuple(sorted(current, key=order.__getitem__))


def _hardware_info(obs: Sequence[Observation]) -> dict[str, HardwareInfo]:
    out = {}
    for h in hardware_levels(obs):
        pts = [o for o in obs if o.hardware == h]
        powers = [o.power_w_per_device for o in pts if o.power_w_per_device is not None]
        prov: dict[str, int] = {}
        for o in pts:
            prov[o.energy_provenance] = prov.get(o.energy_provenance, 0) + 1
        pw = None if not powers else tuple(float(np.percentile(powers, q)) for q in (10, 50, 90))
        out[h] = HardwareInfo(len(pts), (min(o.batch for o in pts), max(o.batch for o in pts)),
                              pw, "+".join(sorted({o.boundary for o in pts})), prov)  # type: ignore[arg-type]
    return out


def _nested(obs: Sequence[Observation]) -> tuple[dict[str, float], dict[str, float]]:
    """(coverage of the plain interval on left-out groups, widening factor) by level."""
    groups = sorted({o.group for o in obs})
    if len(groups) < MIN_NESTED_GROUPS:
        return {}, {}
    ratios: dict[str, list[float]] = {f"{lv:g}": [] for lv in LEVELS}
    for g in groups:
        inner = fit_llm([o for o in obs if o.group != g], group_label="", data_version="",
                        sources=(), nested=False)
        for o in (o for o in obs if o.group == g):
            r = abs(inner.log_j_per_output_token(o) - math.log(o.j_per_output_token))
            for k, q in inner.holdout.halfwidth_log.items():
                ratios[k].append(r / max(q, 1e-12))
    coverage = {k: float(np.mean(np.asarray(v) <= 1.0)) for k, v in ratios.items()}
    widening = {k: max(1.0, conformal_quantile(v, float(k))) for k, v in ratios.items()}
    return coverage, widening


def fit_llm(obs: Sequence[Observation], *, group_label: str, data_version: str,
            sources: Sequence[str], nested: bool = True) -> FittedModel:
    """Fit the model on ``obs``.

    Args:
        obs: The observations (at least 3).
        group_label: What an observation's ``group`` is (``family`` or ``model``), for reports.
        data_version: Version string of the data.
        sources: The data sources, in words.
        nested: Widen the interval by the nested hold-out (module docstring).

    Raises:
        ConfigError: too few points.
    """
    terms = choose_terms(obs)
    x, y = matrix(terms, obs), np.log([o.j_per_output_token for o in obs])
    coef = _ols(x, y)
    resid = x @ coef - y
    dof = max(len(obs) - len(terms), 1)
    held, by, ngroups = heldout_residuals(terms, obs)
    rel = np.abs(np.exp(held) - 1.0)
    by_group: dict[str, dict[str, float]] = {}
    for g in sorted({o.group for o in obs}):
        m = np.array([o.group == g for o in obs])
        by_group[g] = {"n": float(m.sum()), "median_abs_rel": float(np.median(rel[m])),
                       "bias_log": float(held[m].mean())}
    coverage, widening = _nested(obs) if nested and by == "group" else ({}, {})
    holdout = Holdout(
        by=group_label if by == "group" else "point", groups=ngroups, n=len(obs),
        rmse_log=float(np.sqrt(np.mean(held ** 2))), median_abs_rel=float(np.median(rel)),
        p90_abs_rel=float(np.percentile(rel, 90)),
        halfwidth_log={f"{lv:g}": conformal_quantile(np.abs(held), lv)
                       * widening.get(f"{lv:g}", 1.0) for lv in LEVELS},
        by_group=by_group, nested_coverage=coverage, widening=widening)
    ranges = {t: (float(x[:, i].min()), float(x[:, i].max()))
              for i, t in enumerate(terms) if t.startswith("log_")}
    return FittedModel(
        method=METHOD, terms=tuple(terms), coefficients=tuple(float(c) for c in coef),
        hardware_levels=hardware_levels(obs),
        residual_sd_log=float(math.sqrt(float(resid @ resid) / dof)), holdout=holdout,
        n_points=len(obs), hardware=_hardware_info(obs), feature_ranges=ranges,
        data_version=data_version, sources=tuple(sources),
        models=tuple(sorted({o.model for o in obs})),
        model_sizes={o.model: (o.active_params_b, o.total_params_b, o.bytes_per_param)
                     for o in obs},
        created_at=_dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"))
