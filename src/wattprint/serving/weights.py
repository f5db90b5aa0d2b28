"""Per-token weights measured, not assumed: the marginal dynamic energy of a prompt token and of
a decoded token, fitted from the power timeline.

For every timeline slice ``s``, the phase model (:mod:`.phases`) says how many prompt tokens
``P_s`` and decoded tokens ``D_s`` were processed in it; the slice's dynamic energy is its
energy less the measured idle power times its length. A non-negative least-squares fit

    ``dynamic_s = a * P_s + b * D_s + residual_s``

gives ``a`` (J per prompt token) and ``b`` (J per decoded token). A sweep fits the slices of
all its points so far (different loads mix the two phases differently, which is what makes
``a`` and ``b`` separable). Intervals: 90 % percentile bootstrap over moving blocks of
:data:`BLOCK` slices (neighbouring slices share steps, so they are resampled together).
The fit is used (``measured``) when both intervals exclude 0 (and there are at least
:data:`MIN_SLICES` slices with work). Otherwise (``fallback``, with the reason) each phase's
energy per token is measured where it ran alone: the dynamic energy of the slices with prompt
tokens and no decoded token over their prompt tokens, likewise for decoded tokens; only the
slices where both ran depend on the weights, and those rates need no regression. When one
phase never ran alone, every token weighs the same (``prefill_weight = 1``, the dynamic
energy over all tokens).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import nnls  # type: ignore[import-untyped]

from wattprint.results.serving_energy import TokenWeights
from wattprint.serving.phases import RequestPhases
from wattprint.serving.slices import Array, spread

BLOCK = 10
"""Slices per bootstrap block."""
BOOTSTRAP = 200
MIN_SLICES = 20
"""Fewer slices with work than this: no fit."""
ALONE_TOKENS = 1e-9
"""Fewer tokens of a phase in a slice than this: that phase did not run in it (the spread of
intervals leaves rounding residue, not zeros)."""


@dataclass(frozen=True)
class SliceRows:
    """Regression rows: per slice, prompt tokens, decoded tokens and dynamic energy (J)."""

    prefill_tokens: Array
    decode_tokens: Array
    dynamic_j: Array

    def __len__(self) -> int:
        return len(self.dynamic_j)

    @staticmethod
    def join(parts: Sequence[SliceRows]) -> SliceRows:
        """Rows of several points, one after the other."""
        if not parts:
            z = np.zeros(0)
            return SliceRows(z, z, z)
        return SliceRows(np.concatenate([p.prefill_tokens for p in parts]),
                         np.concatenate([p.decode_tokens for p in parts]),
                         np.concatenate([p.dynamic_j for p in parts]))


def prompt_work(phases: Sequence[RequestPhases]) -> tuple[Array, Array, Array, Array]:
    """(request position, start, end, prompt tokens) of every prefill interval; unknown prompt
    counts take the mean of the known ones (1 token when none is known)."""
    known = [p.prompt_tokens for p in phases if p.prompt_tokens is not None]
    fill = float(np.mean(known)) if known else 1.0
    rows = [(k, p.prefill_start_s, p.token_times_s[0],
             p.prompt_tokens if p.prompt_tokens is not None else fill)
            for k, p in enumerate(phases) if p.prefill_start_s is not None]
    a = np.array(rows, dtype=float).reshape(-1, 4)
    return a[:, 0], a[:, 1], a[:, 2], a[:, 3]


def decode_work(phases: Sequence[RequestPhases]) -> tuple[Array, Array, Array, Array]:
    """(request position, start, end, tokens) of every decode interval: a request's tokens
    after the first, spread evenly over its gaps between chunks (over first token to end when
    they all came in one chunk)."""
    rows: list[tuple[float, float, float, float]] = []
    for k, p in enumerate(phases):
        t = p.token_times_s
        if p.decode_tokens <= 0 or not t:
            continue
        if len(t) >= 2:
            per = p.decode_tokens / (len(t) - 1)
            rows += [(k, a, b, per) for a, b in zip(t, t[1:])]
        else:
            rows.append((k, t[0], max(p.end_s, t[0]), p.decode_tokens))
    a = np.array(rows, dtype=float).reshape(-1, 4)
    return a[:, 0], a[:, 1], a[:, 2], a[:, 3]


def slice_rows(phases: Sequence[RequestPhases], times_s: Sequence[float],
               energy_j: Sequence[float], idle_power_w: float) -> SliceRows:
    """The regression rows of one load point."""
    edges = np.asarray(times_s, dtype=float)
    es = np.asarray(energy_j, dtype=float)
    _, ps, pe, pn = prompt_work(phases)
    _, ds, de, dn = decode_work(phases)
    dyn = np.diff(es) - idle_power_w * np.diff(edges)
    return SliceRows(spread(ps, pe, pn, edges), spread(ds, de, dn, edges), dyn)


def _nnls(p: Array, d: Array, y: Array) -> tuple[float, float]:
    coef, _ = nnls(np.column_stack([p, d]), y)
    return float(coef[0]), float(coef[1])


def alone_rates(rows: SliceRows) -> tuple[float, float, int, int] | None:
    """(J per prompt token, J per decoded token, slices, slices) measured where each phase ran
    alone: the dynamic energy of the slices with prompt tokens and no decoded token over their
    prompt tokens, and likewise for decoded tokens; None unless both phases have such slices
    with positive energy."""
    p, d, y = rows.prefill_tokens, rows.decode_tokens, rows.dynamic_j
    only_p = (p > 0) & (d <= ALONE_TOKENS)
    only_d = (d > 0) & (p <= ALONE_TOKENS)
    ep, ed = float(y[only_p].sum()), float(y[only_d].sum())
    if ep <= 0 or ed <= 0:
        return None
    return (ep / float(p[only_p].sum()), ed / float(d[only_d].sum()),
            int(only_p.sum()), int(only_d.sum()))


def fallback(rows: SliceRows, reason: str, points: int) -> TokenWeights:
    """Without a usable fit: each phase's energy per token where it ran alone
    (:func:`alone_rates`) when both phases have such slices; otherwise every token the same
    (the dynamic energy of the slices with work over their tokens). ``reason`` says which."""
    alone = alone_rates(rows)
    if alone is not None:
        a, b, n_p, n_d = alone
        return TokenWeights(a, b, "fallback", slices=len(rows), points=points,
                            reason=f"{reason}; each phase's J per token from the slices where "
                            f"it ran alone ({n_p} prefill, {n_d} decode)")
    busy = (rows.prefill_tokens + rows.decode_tokens) > 0
    tokens = float((rows.prefill_tokens + rows.decode_tokens)[busy].sum())
    per = max(float(rows.dynamic_j[busy].sum()), 0.0) / tokens if tokens > 0 else 0.0
    return TokenWeights(per, per, "fallback", slices=len(rows), points=points,
                        reason=f"{reason}; every token the same")


def fit_weights(rows: SliceRows, *, points: int = 1, seed: int = 0) -> TokenWeights:
    """Fit the two weights (module docstring).

    Args:
        rows: The slices (one or several points).
        points: How many load points they come from.
        seed: Seed of the bootstrap.
    """
    p, d, y = rows.prefill_tokens, rows.decode_tokens, rows.dynamic_j
    n = len(y)
    busy = int(((p + d) > 0).sum())
    if busy < MIN_SLICES:
        return fallback(rows, f"only {busy} slices with work (< {MIN_SLICES})", points)
    if not (p > 0).any() or not (d > 0).any():
        return fallback(rows, "no slice with prompt tokens" if not (p > 0).any()
                        else "no slice with decoded tokens", points)
    a, b = _nnls(p, d, y)
    rng = np.random.default_rng(seed)
    block = min(BLOCK, n)
    starts_max = n - block + 1
    nb = -(-n // block)
    boot = np.empty((BOOTSTRAP, 2))
    for i in range(BOOTSTRAP):
        idx = (rng.integers(0, starts_max, nb)[:, None] + np.arange(block)[None, :]).ravel()[:n]
        boot[i] = _nnls(p[idx], d[idx], y[idx])
    lo, hi = np.percentile(boot, [5, 95], axis=0)
    resid = y - a * p - b * d
    scale = float(np.sqrt(np.mean(y ** 2)))
    rel = float(np.sqrt(np.mean(resid ** 2))) / scale if scale > 0 else None
    w = TokenWeights(a, b, "measured", (float(lo[0]), float(hi[0])), (float(lo[1]), float(hi[1])),
                     rel, n, points)
    if lo[0] <= 0 or lo[1] <= 0:
        which = "prompt" if lo[0] <= 0 else "decoded"
        fb = fallback(rows, f"the 90% interval of J per {which} token reaches 0 "
                      f"(fit {a:.3g} / {b:.3g} J per prompt / decoded token)", points)
        return TokenWeights(fb.prefill_j_per_token, fb.decode_j_per_token, "fallback",
                            w.prefill_ci_j, w.decode_ci_j, rel, n, points, fb.reason)
    return w


def describe_weights(w: TokenWeights) -> str:
    """One line: J per prompt and decoded token with their intervals, and the source."""
    def ci(v: tuple[float, float] | None) -> str:
        return "" if v is None else f" [{v[0]:.3g}, {v[1]:.3g}]"
    base = (f"energy per token: {w.prefill_j_per_token:.4g} J/prompt token"
            f"{ci(w.prefill_ci_j)}, {w.decode_j_per_token:.4g} J/decoded token"
            f"{ci(w.decode_ci_j)} ({w.source}, {w.slices} slices of {w.points} point(s)")
    return base + (f"; {w.reason})" if w.reason else ")")
