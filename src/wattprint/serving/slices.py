"""Amounts spread over the slices of a power timeline, and per-slice values averaged over
intervals, exactly and in O(n log n) (no request x slice matrix).

An amount spread over ``[start, end]`` falls into each slice in proportion to the overlap; an
interval of zero length puts its whole amount into the slice that holds its start. Amounts
outside the timeline are dropped. :func:`mean_over` uses the same rules, so that
``sum(amount_i * mean_over(price)_i) == sum(price * spread(amounts))`` (what an attribution
needs to conserve energy).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]
EPS_S = 1e-9
"""Intervals shorter than this are points."""


def _cumulative(starts: Array, rates: Array, t: Array) -> Array:
    """sum_i rates_i * max(t - starts_i, 0) at each t."""
    if len(starts) == 0:
        return np.zeros_like(t)
    order = np.argsort(starts)
    s, r = starts[order], rates[order]
    rc = np.concatenate([[0.0], np.cumsum(r)])
    rsc = np.concatenate([[0.0], np.cumsum(r * s)])
    k = np.searchsorted(s, t, side="right")
    out: Array = rc[k] * t - rsc[k]
    return out


def _slice_of(points: Array, edges: Array) -> NDArray[np.int64]:
    """Index of the slice holding each point (-1 or len(edges)-1 when outside)."""
    idx: NDArray[np.int64] = np.searchsorted(edges, points, side="right") - 1
    return idx


def spread(starts: Array, ends: Array, amounts: Array, edges: Array) -> Array:
    """Amount per slice ``[edges[j], edges[j+1]]`` (length ``len(edges) - 1``)."""
    m = max(len(edges) - 1, 0)
    if m == 0 or len(starts) == 0:
        return np.zeros(m)
    length = ends - starts
    pos = length > EPS_S
    rate = amounts[pos] / length[pos]
    w = _cumulative(starts[pos], rate, edges) - _cumulative(ends[pos], rate, edges)
    out: Array = np.diff(w)
    idx = _slice_of(starts[~pos], edges)
    ok = (idx >= 0) & (idx < m)
    out = out + np.bincount(idx[ok], weights=amounts[~pos][ok], minlength=m)
    return out


def mean_over(starts: Array, ends: Array, values: Array, edges: Array) -> Array:
    """Average of ``values`` (one per slice, constant within it, 0 outside the timeline) over
    each interval; a zero-length interval gets the value of the slice holding its start."""
    m = max(len(edges) - 1, 0)
    out = np.zeros(len(starts))
    if m == 0 or len(starts) == 0:
        return out
    cum = np.concatenate([[0.0], np.cumsum(values * np.diff(edges))])
    length = ends - starts
    pos = length > EPS_S
    out[pos] = (np.interp(ends[pos], edges, cum) - np.interp(starts[pos], edges, cum)) / length[pos]
    idx = _slice_of(starts[~pos], edges)
    ok = (idx >= 0) & (idx < m)
    pts = np.zeros(int((~pos).sum()))
    pts[ok] = values[idx[ok]]
    out[~pos] = pts
    return out
