"""Per-request energy attribution by phase (model ``phase-occupancy-v2``), with a sum check.

Applied to each slice between two power-timeline samples (0.1 s by default):

1. The slice's energy ``E`` (basis domains, :mod:`.power`) is split into an idle part
   ``min(E, P_idle * dt)`` (``P_idle`` measured before the load) and a dynamic part.
2. Requests contribute *work* where the phase model (:mod:`.phases`) places their tokens:
   prompt tokens over the prefill interval, each later output token over its gap between
   chunks. A prompt token weighs ``prefill_weight`` decoded tokens, the ratio of the measured
   per-token energies (:mod:`.weights`; 1 as a labelled fallback). Queued time carries no work.
3. The dynamic part is split in proportion to work. A slice with no work keeps its dynamic
   energy out of every request: ``queued_j`` when requests were waiting in it (work the client
   cannot see), ``unattributed_j`` otherwise.

The sum check (an internal assertion, not a validation of the meter) compares
``shares + idle + queued + unattributed`` with the window's counter delta; the relative
residual must be under 1 %. The checks shown to users are in :mod:`.checks`.

The previous model, ``token-occupancy-v1`` (prompt tokens over the whole send-to-first-token
time, queue included), is kept in :mod:`.attribution_v1` for comparison; stored v1 points stay
readable.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from wattprint.meters.base import Provenance
from wattprint.results.serving_energy import PhaseEnergy, TokenWeights
from wattprint.serving.phases import RequestPhases
from wattprint.serving.slices import mean_over, spread
from wattprint.serving.weights import decode_work, prompt_work

MODEL_NAME = "phase-occupancy-v2"
MAX_RESIDUAL = 0.01
"""Largest accepted relative sum residual."""

RESIDUAL_FLAG = "attribution_residual_over_1pct"
"""The validity flag of a load point whose attribution failed its sum check (a window with no
energy to split is flagged ``no_energy_change_in_window`` instead: it has no residual)."""
MIN_WORK = 1e-12


@dataclass(frozen=True)
class RequestShare:
    """One request's attributed dynamic energy (J), prefill and decode apart."""

    index: int
    status: str
    prefill_j: float
    decode_j: float

    @property
    def ok(self) -> bool:
        """Whether the request ended normally."""
        return self.status == "ok"

    @property
    def energy_j(self) -> float:
        """Prefill plus decode share, J."""
        return self.prefill_j + self.decode_j


@dataclass(frozen=True)
class Attribution:
    """The result of :func:`attribute`.

    Attributes:
        provenance: Always ``attributed``.
        basis_provenance: Provenance of the energy that was split.
        basis_domains: The domains it came from.
        window_j: The window's counter delta (last minus first basis reading), J.
        idle_j: Idle part (measured idle power x time), J.
        queued_j: Dynamic energy of slices with waiting requests and no modelled work, J.
        unattributed_j: Dynamic energy of slices with no request in the system, J.
        shares: Per-request shares (every sent request, whatever its status).
        residual: ``|sum(shares) + idle + queued + unattributed - window| / window``.
        weights: The per-token weights used.
        model: The model's name, formula and inputs.
    """

    provenance: Provenance
    basis_provenance: Provenance
    basis_domains: tuple[str, ...]
    window_j: float
    idle_j: float
    queued_j: float
    unattributed_j: float
    shares: tuple[RequestShare, ...]
    residual: float
    weights: TokenWeights
    model: dict[str, Any] = field(default_factory=dict)

    @property
    def attributed_j(self) -> float:
        """Sum of every request's share (all statuses), J."""
        return sum(s.energy_j for s in self.shares)

    def by_status(self) -> dict[str, float]:
        """Attributed J per request status (they sum to :attr:`attributed_j`)."""
        out: dict[str, float] = {}
        for s in self.shares:
            out[s.status] = out.get(s.status, 0.0) + s.energy_j
        return out

    @property
    def passed(self) -> bool:
        """Whether the relative residual is within :data:`MAX_RESIDUAL`."""
        return self.residual <= MAX_RESIDUAL

    def phase_energy(self, phases: Sequence[RequestPhases]) -> PhaseEnergy:
        """The window's decomposition (idle, queued, prefill, decode, unattributed)."""
        return PhaseEnergy(self.window_j, self.idle_j, self.queued_j,
                           sum(s.prefill_j for s in self.shares),
                           sum(s.decode_j for s in self.shares), self.unattributed_j,
                           queued_s=sum(p.queued_s for p in phases),
                           prefill_s=sum(p.prefill_s for p in phases),
                           decode_s=sum(p.decode_s for p in phases))


def attribute(phases: Sequence[RequestPhases], times_s: Sequence[float],
              energy_j: Sequence[float], *, idle_power_w: float, window_j: float,
              basis_provenance: Provenance, basis_domains: Sequence[str],
              weights: TokenWeights) -> Attribution:
    """Split a window's energy among requests by phase (module docstring).

    Args:
        phases: The requests' phases (:func:`~.phases.build_phases`).
        times_s: Timeline sample times (monotonic s), increasing, covering the window.
        energy_j: Cumulative basis energy at each sample, J.
        idle_power_w: Measured idle power of the basis domains, W.
        window_j: The window's counter delta from the basis readings, J.
        basis_provenance, basis_domains: Where the energy came from.
        weights: Per-token weights (only their ratio splits; :mod:`.weights`).
    """
    edges = np.asarray(times_s, dtype=float)
    de = np.diff(np.asarray(energy_j, dtype=float))
    idle = np.minimum(np.maximum(de, 0.0), idle_power_w * np.diff(edges))
    dyn = de - idle
    wp = weights.prefill_weight
    preq, ps, pe, pn = prompt_work(phases)
    dreq, ds, dd, dn = decode_work(phases)
    work = wp * spread(ps, pe, pn, edges) + spread(ds, dd, dn, edges)
    has = work > MIN_WORK
    price = np.where(has, dyn / np.where(has, work, 1.0), 0.0)
    n = len(phases)
    prefill = np.bincount(preq.astype(int), weights=wp * pn * mean_over(ps, pe, price, edges),
                          minlength=n)
    decode = np.bincount(dreq.astype(int), weights=dn * mean_over(ds, dd, price, edges),
                         minlength=n)
    qs = np.array([p.sent_s for p in phases], dtype=float)
    qe = np.array([p.prefill_start_s if p.prefill_start_s is not None else p.end_s
                   for p in phases], dtype=float)
    waiting = spread(qs, qe, np.maximum(qe - qs, 0.0), edges) > MIN_WORK
    queued_j = float(dyn[~has & waiting].sum())
    unattributed_j = float(dyn[~has & ~waiting].sum())
    idle_j = float(idle.sum())
    shares = tuple(RequestShare(p.index, p.status, float(a), float(b))
                   for p, a, b in zip(phases, prefill, decode))
    total = float(prefill.sum() + decode.sum()) + idle_j + queued_j + unattributed_j
    residual = abs(total - window_j) / window_j if window_j > 0 else float("inf")
    known = [p for p in phases if p.prefill_start_s is not None]
    model = {
        "name": MODEL_NAME,
        "formula": "E_slice = idle + dynamic; idle = min(E_slice, P_idle*dt); dynamic split by "
                   "work: prefill_weight*prompt tokens over [prefill start, first token], each "
                   "later output token over its inter-chunk gap; queued time does no work",
        "inputs": {"idle_power_w": idle_power_w, "prefill_weight": wp,
                   "weights_source": weights.source,
                   "slices": int(max(len(edges) - 1, 0)),
                   "slice_s_mean": float(np.diff(edges).mean()) if len(edges) > 1 else None,
                   "basis_domains": list(basis_domains),
                   "basis_provenance": basis_provenance.value,
                   "requests": n, "requests_with_work": len(known),
                   "phase_sources": dict(Counter(p.source for p in phases)),
                   "prompt_token_sources": dict(Counter(p.prompt_token_source for p in known))},
        "source": "wattprint.serving.attribution (docs/serving.md)",
    }
    return Attribution(Provenance.ATTRIBUTED, basis_provenance, tuple(basis_domains), window_j,
                       idle_j, queued_j, unattributed_j, shares, residual, weights, model)
