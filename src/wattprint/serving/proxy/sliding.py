"""Split one window of the node's energy among the requests that ran in it: the phase model and
the split of ``wattprint load`` (``phase-occupancy-v2``: :mod:`wattprint.serving.phases`,
:mod:`~wattprint.serving.weights`, :mod:`~wattprint.serving.attribution`), applied to a window
of live traffic instead of a load point.

The proxy cuts time into windows of ``window_s`` and attributes each one ``lag_s`` after it
ends. The records given here are every request that overlapped the window or the window before
it (those give the step boundaries at its start), with what was known of each when the window
was attributed: a request still running then contributes the tokens it had received, and its
later work falls into later windows, so a request that spans windows gets its part of each.
The power timeline is cut exactly at the window's edges (interpolated), so consecutive windows
add up to the timeline's energy. The per-token weights are fitted on this window's slices and
those of the windows before it (a bounded number: traffic mixes prefill and decode differently
over time, which is what separates the two).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from wattprint.meters.base import Provenance
from wattprint.results.serving_energy import PhaseEnergy, TokenWeights
from wattprint.serving.attribution import MAX_RESIDUAL, RESIDUAL_FLAG, attribute
from wattprint.serving.phases import build_phases
from wattprint.serving.records import RequestRecord
from wattprint.serving.weights import SliceRows, fit_weights, slice_rows

NO_ENERGY_FLAG = "no_energy_change_in_window"


@dataclass(frozen=True)
class WindowAccount:
    """One attributed window.

    Attributes:
        start_s, end_s: The window (monotonic s).
        phase: Its energy in parts (idle, queued, prefill, decode, unattributed; J).
        shares: Request index → (prefill J, decode J) in this window, for every request with
            a share.
        phase_sources: Request index → how its prefill was placed (``step-boundary``,
            ``engine-timings``; ``none`` for a request with no token yet).
        weights: The per-token weights used.
        rows: This window's regression rows (for the next windows' fit).
        residual: The sum check's relative residual (internal: the parts against the window).
        basis_provenance: Provenance of the energy that was split.
        basis_domains: Domains it came from.
        flags: ``attribution_residual_over_1pct``, ``no_energy_change_in_window``.
    """

    start_s: float
    end_s: float
    phase: PhaseEnergy
    shares: dict[int, tuple[float, float]]
    phase_sources: dict[int, str]
    weights: TokenWeights
    rows: SliceRows
    residual: float
    basis_provenance: Provenance
    basis_domains: tuple[str, ...]
    flags: tuple[str, ...] = ()


def split_window(records: Sequence[RequestRecord], times_s: Sequence[float],
                 energy_j: Sequence[float], *, idle_power_w: float,
                 basis_provenance: Provenance, basis_domains: Sequence[str],
                 prior_rows: Sequence[SliceRows] = (), seed: int = 0) -> WindowAccount:
    """Attribute one window (module docstring).

    Args:
        records: The requests around it, as known now (their ``index`` is their identity).
        times_s, energy_j: The timeline cut at the window's edges (monotonic s, cumulative J).
        idle_power_w: Measured idle power of the basis, W (0 without a valid baseline).
        basis_provenance, basis_domains: Where the energy comes from.
        prior_rows: Regression rows of earlier windows, oldest first.
        seed: Bootstrap seed.
    """
    phases = build_phases(records)
    rows = slice_rows(phases, times_s, energy_j, idle_power_w)
    weights = fit_weights(SliceRows.join([*prior_rows, rows]), points=len(prior_rows) + 1,
                          seed=seed)
    window_j = float(energy_j[-1] - energy_j[0]) if len(energy_j) else 0.0
    att = attribute(phases, times_s, energy_j, idle_power_w=idle_power_w, window_j=window_j,
                    basis_provenance=basis_provenance, basis_domains=basis_domains,
                    weights=weights)
    flags: list[str] = []
    if window_j <= 0:
        flags.append(NO_ENERGY_FLAG)
    elif att.residual > MAX_RESIDUAL:
        flags.append(RESIDUAL_FLAG)
    shares = {s.index: (s.prefill_j, s.decode_j) for s in att.shares
              if s.prefill_j != 0.0 or s.decode_j != 0.0}
    return WindowAccount(float(times_s[0]), float(times_s[-1]), att.phase_energy(phases),
                         shares, {p.index: p.source for p in phases}, weights, rows,
                         att.residual if window_j > 0 else 0.0, basis_provenance,
                         tuple(basis_domains), tuple(flags))
