"""The previous per-request attribution (``token-occupancy-v1``), kept to compare against
:mod:`.attribution` (``phase-occupancy-v2``) in tests and ``bench/serving_truth.py``: it bills
queue wait as prefill (issue 19). Stored v1 points stay readable.

Model (``token-occupancy-v1``), applied to each short time slice between two power-timeline
samples (0.1 s by default):

1. The slice's energy ``E`` (from the basis domains, see :mod:`power`) is split into an idle
   part ``min(E, P_idle * dt)`` (``P_idle`` measured before the load) and a dynamic part.
2. Each request contributes *token work* to the slices it overlaps:

   - prefill: its ``input_tokens`` (weighted by ``prefill_weight``) spread uniformly over
     ``[sent, first token]`` — the first output token comes out of the prefill step;
   - decode: each later output token spread uniformly over the gap since the previous chunk
     (``(output_tokens - 1) / (chunks - 1)`` tokens per gap, so server-counted tokens are used
     even when a chunk carries several).

3. The dynamic part is split in proportion to token work; a slice with no work leaves its
   dynamic energy *unattributed*.

Every processed token counts the same by default (``prefill_weight = 1``: a forward pass costs
about 2 x parameters FLOPs per token in prefill and decode alike). The sum check compares
``sum(shares) + idle + unattributed`` with the window's counter delta (the basis domains' last
minus first reading of the window), given separately by the caller; the relative residual must
be under 1 %. It catches energy lost or double-counted by the slicing (gaps, overlapping work,
negative slices), not errors of the meter itself.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from wattprint.meters.base import Provenance
from wattprint.results.serving_energy import TokenWeights
from wattprint.serving.attribution import Attribution, RequestShare
from wattprint.serving.records import RequestRecord

MODEL_NAME = "token-occupancy-v1"


def _intervals(records: Sequence[RequestRecord], prefill_weight: float
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Flatten every request's work into (request, kind 0=prefill/1=decode, start, end, tokens)."""
    rows: list[tuple[int, int, float, float, float]] = []
    for k, r in enumerate(records):
        if r.sent_s is None:
            continue
        first = r.first_token_s if r.first_token_s is not None else r.end_s
        if first is None:
            continue
        if r.input_tokens:
            rows.append((k, 0, r.sent_s, first, prefill_weight * r.input_tokens))
        t = r.token_times_s
        if r.ok and len(t) >= 2 and r.output_tokens > 1:
            per_gap = (r.output_tokens - 1) / (len(t) - 1)
            rows += [(k, 1, a, b, per_gap) for a, b in zip(t, t[1:])]
    if not rows:
        z = np.zeros(0)
        return z.astype(int), z.astype(int), z, z, z
    a = np.array(rows, dtype=float)
    return a[:, 0].astype(int), a[:, 1].astype(int), a[:, 2], a[:, 3], a[:, 4]


def attribute(records: Sequence[RequestRecord], times_s: Sequence[float],
              energy_j: Sequence[float], *, idle_power_w: float, window_j: float,
              basis_provenance: Provenance, basis_domains: Sequence[str],
              prefill_weight: float = 1.0) -> Attribution:
    """Split a window's energy among requests (module docstring); the result has the v2 type,
    with ``queued_j = 0`` (v1 does not separate queued time).

    Args:
        records: The requests of the window.
        times_s: Timeline sample times (monotonic s), increasing, covering the window.
        energy_j: Cumulative basis energy at each sample, J.
        idle_power_w: Measured idle power of the basis domains, W.
        window_j: The window's counter delta from the basis readings, J.
        basis_provenance, basis_domains: Where the energy came from.
        prefill_weight: Work of one prompt token relative to one decoded token.
    """
    ts = np.asarray(times_s, dtype=float)
    es = np.asarray(energy_j, dtype=float)
    req, kind, s, e, w = _intervals(records, prefill_weight)
    length = np.maximum(e - s, 1e-9)
    prefill = np.zeros(len(records))
    decode = np.zeros(len(records))
    idle_j = unattributed_j = 0.0
    for t0, t1, de in zip(ts[:-1], ts[1:], np.diff(es)):
        dt = t1 - t0
        idle = min(max(de, 0.0), idle_power_w * dt)
        dyn = de - idle
        idle_j += idle
        overlap = np.clip(np.minimum(e, t1) - np.maximum(s, t0), 0.0, None)
        point = (e - s <= 1e-9) & (s >= t0) & (s < t1)   # zero-length work lands where it starts
        work = np.where(point, w, w * overlap / length)
        total = work.sum()
        if total <= 0:
            unattributed_j += dyn
            continue
        part = dyn * work / total
        np.add.at(prefill, req[kind == 0], part[kind == 0])
        np.add.at(decode, req[kind == 1], part[kind == 1])
    shares = tuple(RequestShare(r.index, r.status.value, float(p), float(d))
                   for r, p, d in zip(records, prefill, decode))
    total = float(prefill.sum() + decode.sum()) + idle_j + unattributed_j
    residual = abs(total - window_j) / window_j if window_j > 0 else float("inf")
    model = {
        "name": MODEL_NAME,
        "formula": "E_slice = idle + dynamic; idle = min(E_slice, P_idle*dt); dynamic split by "
                   "token work: prefill_weight*input_tokens over [sent, first token], each later "
                   "output token over its inter-chunk gap",
        "inputs": {"idle_power_w": idle_power_w, "prefill_weight": prefill_weight,
                   "slices": int(max(len(ts) - 1, 0)),
                   "slice_s_mean": float(np.diff(ts).mean()) if len(ts) > 1 else None,
                   "basis_domains": list(basis_domains),
                   "basis_provenance": basis_provenance.value,
                   "requests": len(records)},
        "source": "wattprint.serving.attribution (docs/serving.md)",
    }
    weights = TokenWeights(prefill_weight, 1.0, "assumed (v1)", reason="v1 assumes the weight")
    return Attribution(Provenance.ATTRIBUTED, basis_provenance, tuple(basis_domains), window_j,
                       idle_j, 0.0, unattributed_j, shares, residual, weights, model)
