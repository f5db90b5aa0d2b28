"""Checks of a load point that can fail, stored and shown with it (docs/serving.md).

* ``meter_vs_timeline``: the window's energy from the power timeline (its first and last
  samples) against the EnergyMeter's own begin/end reads around it. They differ by the energy
  of the short edges between the two pairs of reads; a larger difference means the timeline
  missed or misread energy (a dropped remote stream, a counter that moved backwards, a clock
  offset). Tolerance: the edge energy at the window's mean power plus two timeline periods
  of it, plus 1 %.
* ``tokens_vs_engine``: the engine's own token counts against the client's — Prometheus
  counters over the point (prompt and generated tokens), or each response's ``timings``
  (``prompt_n``, ``predicted_n``). An engine that generated tokens nobody read (a request
  whose client left) fails it. Tolerance 1 % (at least 2 tokens).
* ``phases_vs_engine``: the phase model's times against the engine's. With histograms: the
  total time to first token (queued + prefill, measured by the client) against the engine's
  queue + prefill total, the decode total against its decode total, and — unless the model
  was fitted to it — the prefill total against its prefill total. With ``timings``: the decode
  total against ``predicted_ms`` (their ``prompt_ms`` feeds the model, so it is not checked
  against itself). Tolerance 10 % plus 20 ms per request (network and client scheduling).

A check with nothing to compare (an engine that reports nothing) is ``n/a``, not passed.
"""

from __future__ import annotations

from collections.abc import Sequence

from wattprint.results.serving_energy import PointCheck
from wattprint.serving.engine_report import EnginePhaseTotals
from wattprint.serving.phases import FITTED, RequestPhases
from wattprint.serving.records import RequestRecord, TokenSource

METER_MARGIN = 0.01
TOKEN_TOLERANCE = 0.01
TOKEN_SLACK = 2
PHASE_TOLERANCE = 0.10
PHASE_SLACK_S = 0.02
"""Per request, s."""


def meter_vs_timeline(timeline_j: float, meter_j: float | None, *, timeline_s: float,
                      meter_s: float, interval_s: float) -> PointCheck:
    """The timeline's window energy against the meter's begin/end reads (module docstring)."""
    name = "meter_vs_timeline"
    if meter_j is None or meter_j <= 0:
        return PointCheck(name, None, None, None, "the meter window read no energy in the "
                          "basis domains")
    power = meter_j / meter_s if meter_s > 0 else 0.0
    edge_s = max(meter_s - timeline_s, 0.0)
    tol = METER_MARGIN + power * (edge_s + 2 * interval_s) / meter_j
    rel = abs(timeline_j - meter_j) / meter_j
    return PointCheck(name, rel <= tol, rel, tol,
                      f"timeline {timeline_j:.6g} J over {timeline_s:.4g} s, meter "
                      f"{meter_j:.6g} J over {meter_s:.4g} s")


def tokens_vs_engine(records: Sequence[RequestRecord], phases: Sequence[RequestPhases],
                     engine: EnginePhaseTotals | None) -> PointCheck:
    """The engine's token counts against the client's (module docstring)."""
    name = "tokens_vs_engine"
    pairs: list[tuple[str, float, float]] = []   # (what, engine, client)
    if engine is not None:
        if engine.generation_tokens is not None:
            pairs.append(("generated", engine.generation_tokens,
                          sum(r.tokens_read for r in records)))
        own = [p for p in phases if p.prefill_start_s is not None]
        counted = (TokenSource.USAGE.value, TokenSource.TOKENIZER.value, TokenSource.ENGINE.value)
        if engine.prompt_tokens is not None and own and all(
                p.prompt_token_source in counted for p in own):
            pairs.append(("prompt", engine.prompt_tokens,
                          sum(p.prompt_tokens or 0.0 for p in own)))
    timed = [r for r in records if r.engine_timings is not None]
    if timed:
        gen = [(r.engine_timings.predicted_n, r.tokens_read) for r in timed
               if r.engine_timings is not None and r.engine_timings.predicted_n is not None]
        if gen:
            pairs.append(("generated (timings)", sum(a for a, _ in gen), sum(b for _, b in gen)))
        pr = [(r.engine_timings.prompt_n, r.input_tokens) for r in timed
              if r.engine_timings is not None and r.engine_timings.prompt_n is not None
              and r.input_tokens is not None and r.input_token_source is TokenSource.USAGE]
        if pr:
            pairs.append(("prompt (timings vs usage)", sum(a for a, _ in pr),
                          sum(b or 0 for _, b in pr)))
    if not pairs:
        return PointCheck(name, None, None, TOKEN_TOLERANCE, "the engine reports no token counts")
    worst, ok, parts = 0.0, True, []
    for what, e, c in pairs:
        diff = abs(e - c)
        rel = diff / e if e > 0 else (0.0 if diff == 0 else float("inf"))
        ok = ok and (diff <= max(TOKEN_SLACK, TOKEN_TOLERANCE * e))
        worst = max(worst, rel)
        parts.append(f"{what}: engine {e:.0f}, client {c:.0f}")
    return PointCheck(name, ok, worst, TOKEN_TOLERANCE, "; ".join(parts))


def phases_vs_engine(records: Sequence[RequestRecord], phases: Sequence[RequestPhases],
                     engine: EnginePhaseTotals | None) -> PointCheck:
    """The phase model's times against the engine's (module docstring)."""
    name = "phases_vs_engine"
    worked = [p for p in phases if p.prefill_start_s is not None]
    pairs: list[tuple[str, float, float, int]] = []   # (phase, engine s, model s, requests)
    if engine is not None:
        n = engine.requests if engine.requests is not None else len(worked)
        fitted = any(p.source == FITTED for p in worked)
        qp = None if engine.queue_s is None or engine.prefill_s is None \
            else engine.queue_s + engine.prefill_s
        for what, e, m in (("queued + prefill", qp,
                            sum(p.queued_s + p.prefill_s for p in worked)),
                           ("prefill", None if fitted else engine.prefill_s,
                            sum(p.prefill_s for p in worked)),
                           ("decode", engine.decode_s, sum(p.decode_s for p in worked))):
            if e is not None:
                pairs.append((what, e, m, n))
    by_index = {p.index: p for p in phases}
    timed = [(r.engine_timings.predicted_ms, by_index[r.index]) for r in records
             if r.engine_timings is not None and r.engine_timings.predicted_ms is not None
             and r.index in by_index]
    if timed:
        pairs.append(("decode (timings)", sum(ms for ms, _ in timed) / 1e3,
                      sum(p.decode_s for _, p in timed), len(timed)))
    if not pairs:
        return PointCheck(name, None, None, PHASE_TOLERANCE, "the engine reports no phase times")
    worst, ok, parts = 0.0, True, []
    for what, e, m, k in pairs:
        diff = abs(e - m)
        ok = ok and diff <= PHASE_TOLERANCE * e + PHASE_SLACK_S * k
        worst = max(worst, diff / e if e > 0 else (0.0 if diff <= PHASE_SLACK_S * k else 1.0))
        parts.append(f"{what}: engine {e:.4g} s, model {m:.4g} s")
    return PointCheck(name, ok, worst, PHASE_TOLERANCE, "; ".join(parts))


def failed_flags(checks: Sequence[PointCheck]) -> list[str]:
    """``<name>_check_failed`` for every check that failed."""
    return [f"{c.name}_check_failed" for c in checks if c.passed is False]
