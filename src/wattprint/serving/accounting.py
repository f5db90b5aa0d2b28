"""One load point's energy account: prompt tokens, phases, measured weights, the split and
the checks, from what the client recorded, the power timeline and the engine's reports.

The pieces live in their own modules (:mod:`.phases`, :mod:`.weights`, :mod:`.attribution`,
:mod:`.checks`); this one runs them in order for :mod:`.session` and the testbed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from wattprint.meters.base import Provenance
from wattprint.results.serving_energy import PointCheck
from wattprint.serving.attribution import Attribution, attribute
from wattprint.serving.checks import (
    failed_flags,
    meter_vs_timeline,
    phases_vs_engine,
    tokens_vs_engine,
)
from wattprint.serving.engine_report import EnginePhaseTotals
from wattprint.serving.phases import (
    RequestPhases,
    build_phases,
    extend_unread,
    fit_prefill_to_engine,
    resolve_prompt_tokens,
    worst_prompt_source,
)
from wattprint.serving.prompt_tokens import Prompt
from wattprint.serving.records import RequestRecord, TokenSource
from wattprint.serving.weights import SliceRows, fit_weights, slice_rows

ESTIMATED_PROMPTS_FLAG = "prompt_tokens_estimated"
"""Some request's prompt tokens are a proxy (its words) or unknown: prefill figures are
approximate."""


@dataclass(frozen=True)
class MeterWindow:
    """The EnergyMeter's own begin/end reads around the point (for the meter check).

    Attributes:
        energy_j: Basis-domain energy between them (None when the basis is not in them), J.
        duration_s: Time between them, s.
    """

    energy_j: float | None
    duration_s: float


@dataclass(frozen=True)
class PointAccount:
    """Everything the attribution found for one load point.

    Attributes:
        phases: Every sent request's phases.
        attribution: The split of the window's energy.
        checks: The checks that can fail.
        engine: The engine's phase report over the point, if any.
        phase_source: How phases were found (e.g. ``step-boundary``, with the engine report).
        prompt_token_source: The worst prompt-token source among requests that did work.
        rows: This point's regression rows (a sweep passes them to its later points).
    """

    phases: tuple[RequestPhases, ...]
    attribution: Attribution
    checks: tuple[PointCheck, ...]
    engine: EnginePhaseTotals | None
    phase_source: str
    prompt_token_source: str
    rows: SliceRows

    @property
    def flags(self) -> list[str]:
        """Failed checks and estimated prompt tokens."""
        out = failed_flags(self.checks)
        if self.prompt_token_source in (TokenSource.WORDS.value, TokenSource.NONE.value):
            out.append(ESTIMATED_PROMPTS_FLAG)
        return out

    @property
    def prompt_tokens(self) -> int | None:
        """Prompt tokens of the requests that did work (None when any is unknown)."""
        worked = [p for p in self.phases if p.prefill_start_s is not None]
        if any(p.prompt_tokens is None for p in worked):
            return None
        return int(round(sum(p.prompt_tokens or 0.0 for p in worked)))


def _phase_source(phases: Sequence[RequestPhases], engine: EnginePhaseTotals | None) -> str:
    counts = Counter(p.source for p in phases if p.prefill_start_s is not None)
    base = ", ".join(f"{k} ({n})" for k, n in counts.most_common()) if len(counts) > 1 \
        else next(iter(counts), "none")
    return base + (f" + {engine.source}" if engine is not None else "")


def account(records: Sequence[RequestRecord], prompts: Mapping[int, Prompt],
            times_s: Sequence[float], energy_j: Sequence[float], *, idle_power_w: float,
            basis_provenance: Provenance, basis_domains: Sequence[str],
            meter: MeterWindow, interval_s: float, engine: EnginePhaseTotals | None = None,
            count_tokens: Callable[[str], int] | None = None,
            prior_rows: Sequence[SliceRows] = (), seed: int = 0) -> PointAccount:
    """Account for one load point.

    Args:
        records: Its requests.
        prompts: Each request's prompt by index (text, or a chat prompt's messages).
        times_s, energy_j: The power timeline (monotonic s, cumulative basis J).
        idle_power_w: Measured idle power of the basis, W (0 without a valid baseline).
        basis_provenance, basis_domains: Where the energy comes from.
        meter: The EnergyMeter's reads around the point.
        interval_s: The timeline's sampling period, s.
        engine: The engine's phase report over the point.
        count_tokens: The model's tokenizer, when there is one.
        prior_rows: Regression rows of the earlier points of the same run (a sweep).
        seed: Bootstrap seed.
    """
    tokens = resolve_prompt_tokens(records, prompts, count_tokens, engine)
    phases = build_phases(extend_unread(records, engine), prompt_tokens=tokens)
    if engine is not None and engine.prefill_s is not None:
        phases = fit_prefill_to_engine(phases, engine.prefill_s)
    rows = slice_rows(phases, times_s, energy_j, idle_power_w)
    weights = fit_weights(SliceRows.join([*prior_rows, rows]), points=len(prior_rows) + 1,
                          seed=seed)
    window_j = float(energy_j[-1] - energy_j[0]) if len(energy_j) else 0.0
    att = attribute(phases, times_s, energy_j, idle_power_w=idle_power_w, window_j=window_j,
                    basis_provenance=basis_provenance, basis_domains=basis_domains,
                    weights=weights)
    timeline_s = float(times_s[-1] - times_s[0]) if len(times_s) else 0.0
    checks = (meter_vs_timeline(window_j, meter.energy_j, timeline_s=timeline_s,
                                meter_s=meter.duration_s, interval_s=interval_s),
              tokens_vs_engine(records, phases, engine),
              phases_vs_engine(records, phases, engine))
    return PointAccount(tuple(phases), att, checks, engine, _phase_source(phases, engine),
                        worst_prompt_source(phases), rows)
