"""Per-request phases — queued, prefill, decode — from the client's timestamps and what the
engine reports (the phase model of ``phase-occupancy-v2``, docs/serving.md).

For every request (times on the client's monotonic clock):

* **decode** runs from its first to its last content chunk; its output tokens after the first
  are spread evenly over the gaps between chunks (each step of an engine ends with a chunk).
* **prefill** ends at the first token (the prefill step emits it). It starts

  1. ``engine-timings``: at the first token minus the prompt time the engine reported for this
     request (llama.cpp's ``timings.prompt_ms``);
  2. ``step-boundary`` otherwise: at the last token that *any other* request received before
     this one's first token (an engine runs in steps, and every running request gets a token
     at the end of each step, so that token marks the end of the step before the prefill
     step). Tokens closer to the first token than ``same_step_s`` (half the point's median
     inter-token gap, at least 1 ms) count as the same step. On a serial engine this is the
     end of the previous stream; on an idle engine there is none and prefill starts at the
     send. A prompt prefilled in chunks over several steps (chunked prefill) makes those
     steps long: the start moves back over every earlier step that lasted more than
     :data:`LONG_STEP` median gaps, as long as no other request got its first token at its
     end (a step that ends with someone's first token was that request's prefill).

  Either way never before the send.
  3. With the engine's total prefill time over the point (vLLM's
     ``request_prefill_time_seconds`` histogram), step-boundary prefills are refitted: the
     single step before the first token is the shortest a prefill can be, the time since the
     send the longest, and between them prefill time grows with prompt tokens: durations
     become ``min(TTFT, max(single step, c * prompt tokens))`` with ``c`` chosen so that they
     add up to the engine's total (:func:`fit_prefill_to_engine`; ``+ engine prefill
     total``). This also undoes a move back over long steps that were someone else's.

* **queued** is the rest, from the send to the start of prefill: it does no work.
* A request that never received a token did no work the client can see: no prefill, no
  decode, its whole life queued (an engine that worked on it anyway shows up in the token
  check and in the ``queued_j`` of the window).
* A request whose client left mid-stream may go on decoding in an engine that does not abort
  it. When the engine's generated-token counter over the point exceeds what the client read,
  the surplus is given to such requests (in proportion to the tokens each still had to go),
  as decode steps after the client left, at the request's own pace
  (:func:`extend_unread`); other requests' step boundaries then see them.

Limits, stated: a chunked prefill is found by its long steps (2. above), so one whose chunks
run in steps no longer than a decode step is seen as its last step only, unless the engine
reports its prompt time (per request or in total); an engine that streams several tokens per
chunk coarsens the steps.
"""

from __future__ import annotations

import bisect
import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from wattprint.serving.engine_report import EnginePhaseTotals
from wattprint.serving.prompt_tokens import Prompt, count_prompt, prompt_text
from wattprint.serving.records import RequestRecord, TokenSource
from wattprint.serving.windows import percentile

ENGINE_TIMINGS = "engine-timings"
STEP_BOUNDARY = "step-boundary"
FITTED = "step-boundary + engine prefill total"
LONG_STEP = 2.0
"""A step longer than this many median inter-token gaps carries prefill work."""
MIN_SAME_STEP_S = 0.001
DEFAULT_SAME_STEP_S = 0.005
"""Same-step tolerance when the point has no inter-token gap (single-token outputs), s."""

TOKEN_SOURCE_ORDER = (TokenSource.USAGE, TokenSource.ENGINE, TokenSource.TOKENIZER,
                      TokenSource.ENGINE_TOTAL, TokenSource.WORDS, TokenSource.NONE)
"""Prompt-token sources from best to worst (a point reports its worst)."""


@dataclass(frozen=True)
class RequestPhases:
    """One request's phases.

    Attributes:
        index: The request's index in the load point.
        status: How it ended (``ok``, ``timeout`` ...).
        sent_s: When it was sent.
        end_s: When its stream ended or failed.
        prefill_start_s: Start of its prefill; None when it did no visible work.
        token_times_s: Arrival of each content chunk.
        prompt_tokens: Prompt tokens (see ``prompt_token_source``); None when unknown.
        prompt_token_source: A :class:`TokenSource` value.
        decode_tokens: Output tokens after the first (decoded one per step).
        source: How the prefill start was found (``engine-timings``, ``step-boundary``, or
            ``none`` for a request with no token).
        step_start_s: The start of the single step before the first token (the step-boundary
            start before moving back over long steps): the latest the prefill can have started.
    """

    index: int
    status: str
    sent_s: float
    end_s: float
    prefill_start_s: float | None
    token_times_s: tuple[float, ...]
    prompt_tokens: float | None
    prompt_token_source: str
    decode_tokens: float
    source: str
    step_start_s: float | None = None

    @property
    def first_token_s(self) -> float | None:
        """Arrival of its first content chunk."""
        return self.token_times_s[0] if self.token_times_s else None

    @property
    def queued_s(self) -> float:
        """Send to start of prefill (to the end when it did no work), s."""
        start = self.prefill_start_s if self.prefill_start_s is not None else self.end_s
        return max(0.0, start - self.sent_s)

    @property
    def prefill_s(self) -> float:
        """Start of prefill to first token, s (0 when it did no work)."""
        f = self.first_token_s
        return 0.0 if f is None or self.prefill_start_s is None else f - self.prefill_start_s

    @property
    def decode_s(self) -> float:
        """First to last token, s."""
        t = self.token_times_s
        return t[-1] - t[0] if t else 0.0


def same_step_tolerance_s(records: Sequence[RequestRecord]) -> float:
    """Half the median inter-token gap of the point (at least 1 ms), s."""
    gaps = [g for r in records for g in r.itls_s() if g > 0]
    if not gaps:
        return DEFAULT_SAME_STEP_S
    return max(MIN_SAME_STEP_S, 0.5 * percentile(gaps, 50))


def resolve_prompt_tokens(records: Sequence[RequestRecord], prompts: Mapping[int, Prompt],
                          count_tokens: Callable[[str], int] | None,
                          engine: EnginePhaseTotals | None) -> dict[int, tuple[float | None, str]]:
    """Prompt tokens of every request that did work, and where the number came from.

    In order: the record's own count (server ``usage``, the engine's ``timings``, or the
    tokenizer for successful requests); the tokenizer for the others; the engine's
    prompt-token counter over the point, less the counts known, shared among the rest in
    proportion to their prompts' words; the prompt's words as a proxy (``words``); None
    when not even the prompt is known (``none``). Never a silent 0.
    """
    out: dict[int, tuple[float | None, str]] = {}
    missing: list[RequestRecord] = []
    for r in records:
        if r.input_tokens is not None and r.input_token_source is not TokenSource.NONE:
            out[r.index] = (float(r.input_tokens), r.input_token_source.value)
        elif count_tokens is not None and r.index in prompts:
            out[r.index] = (float(count_prompt(count_tokens, prompts[r.index])),
                            TokenSource.TOKENIZER.value)
        else:
            missing.append(r)
    worked = [r for r in missing if r.first_token_s is not None and r.index in prompts]
    words = {r.index: len(prompt_text(prompts[r.index]).split()) for r in worked}
    if engine is not None and engine.prompt_tokens is not None and worked:
        did_work = {r.index for r in records if r.first_token_s is not None}
        known = sum(v for k, (v, _) in out.items() if v is not None and k in did_work)
        rest = engine.prompt_tokens - known
        total_words = sum(words.values())
        if rest > 0 and total_words > 0:
            for r in worked:
                out[r.index] = (rest * words[r.index] / total_words,
                                TokenSource.ENGINE_TOTAL.value)
    for r in missing:
        if r.index in out:
            continue
        if r.index in prompts:
            out[r.index] = (float(len(prompt_text(prompts[r.index]).split())),
                            TokenSource.WORDS.value)
        else:
            out[r.index] = (None, TokenSource.NONE.value)
    return out


def _decode_tokens(r: RequestRecord) -> float:
    """Tokens after the first: the counted output for a request whose stream ended (``ok``,
    or ``truncated``: cut short, but its tokens were decoded), the chunks (one token each)
    for a request that failed after some output."""
    return float(max(r.tokens_read - 1, 0))


def build_phases(records: Sequence[RequestRecord], *,
                 prompt_tokens: Mapping[int, tuple[float | None, str]] | None = None,
                 same_step_s: float | None = None) -> list[RequestPhases]:
    """The phases of every sent request (module docstring).

    Args:
        records: The load point's requests.
        prompt_tokens: From :func:`resolve_prompt_tokens`; without it, the records' own counts.
        same_step_s: Same-step tolerance, s (default :func:`same_step_tolerance_s`).
    """
    tol = same_step_tolerance_s(records) if same_step_s is None else same_step_s
    every = sorted(t for r in records for t in r.token_times_s)
    firsts = sorted(r.token_times_s[0] for r in records if r.token_times_s)
    gaps = [g for r in records for g in r.itls_s() if g > 0]
    long_s = LONG_STEP * percentile(gaps, 50) if gaps else float("inf")
    out: list[RequestPhases] = []
    for r in records:
        if r.sent_s is None:
            continue
        end = r.end_s if r.end_s is not None else (r.token_times_s[-1] if r.token_times_s
                                                   else r.sent_s)
        if prompt_tokens is not None and r.index in prompt_tokens:
            n, src = prompt_tokens[r.index]
        elif r.input_tokens is not None:
            n, src = float(r.input_tokens), r.input_token_source.value
        else:
            n, src = None, TokenSource.NONE.value
        times = tuple(r.token_times_s)
        if not times:
            out.append(RequestPhases(r.index, r.status.value, r.sent_s, end, None, (), n, src,
                                     0.0, "none"))
            continue
        first = times[0]
        timed = r.engine_timings
        step = first
        if timed is not None and timed.prompt_ms is not None:
            start, how = first - timed.prompt_ms / 1e3, ENGINE_TIMINGS
        else:
            i = bisect.bisect_left(every, first - tol)
            step, how = (every[i - 1] if i > 0 else r.sent_s), STEP_BOUNDARY
            start = _back_over_long_steps(step, r.sent_s, every, firsts, tol, long_s)
        start = min(max(start, r.sent_s), first)
        step_start = min(max(step, r.sent_s), first) if how == STEP_BOUNDARY else start
        out.append(RequestPhases(r.index, r.status.value, r.sent_s, end, start, times, n, src,
                                 _decode_tokens(r), how, step_start))
    return out


def _back_over_long_steps(start: float, sent: float, every: Sequence[float],
                          firsts: Sequence[float], tol: float, long_s: float) -> float:
    """Move a step-boundary start back over earlier long steps (module docstring)."""
    while start > sent:
        j = bisect.bisect_left(firsts, start - tol)
        if j < len(firsts) and firsts[j] <= start + tol:
            break                      # the step ending here was another request's prefill
        i = bisect.bisect_left(every, start - tol)
        if i == 0 or start - every[i - 1] < long_s:
            break
        start = every[i - 1]
    return start


def _first(p: RequestPhases) -> float:
    f = p.first_token_s
    assert f is not None
    return f


def _step_start(p: RequestPhases) -> float:
    s = p.step_start_s
    assert s is not None
    return s


def fit_prefill_to_engine(phases: Sequence[RequestPhases], engine_prefill_s: float
                          ) -> list[RequestPhases]:
    """Fit step-boundary prefills to the engine's total (module docstring, rule 3): each
    duration becomes ``min(TTFT, max(single step, c * prompt tokens))`` with ``c`` such that
    they add up to the total (as near as those bounds allow); requests placed otherwise, or
    with unknown prompt tokens, keep theirs."""
    idx = [k for k, p in enumerate(phases) if p.source == STEP_BOUNDARY
           and p.prompt_tokens is not None and p.prefill_start_s is not None
           and p.step_start_s is not None]
    chosen = set(idx)
    fixed = sum(p.prefill_s for k, p in enumerate(phases) if k not in chosen)
    first = [_first(phases[k]) for k in idx]
    lower = [f - _step_start(phases[k]) for k, f in zip(idx, first)]
    upper = [f - phases[k].sent_s for k, f in zip(idx, first)]
    n = [phases[k].prompt_tokens or 0.0 for k in idx]

    def durations(c: float) -> list[float]:
        return [min(u, max(lo, c * t)) for lo, u, t in zip(lower, upper, n)]

    hi = max((u / t for u, t in zip(upper, n) if t > 0), default=0.0)
    if not idx or hi <= 0:
        return list(phases)
    lo_c = 0.0
    for _ in range(60):
        mid = (lo_c + hi) / 2
        lo_c, hi = (mid, hi) if fixed + sum(durations(mid)) < engine_prefill_s else (lo_c, mid)
    out = list(phases)
    for k, f, dur in zip(idx, first, durations(hi)):
        if abs(dur - out[k].prefill_s) > MIN_SAME_STEP_S:
            out[k] = dataclasses.replace(out[k], prefill_start_s=f - dur, source=FITTED)
    return out


LEFT = frozenset({"timeout", "disconnected", "cancelled"})
"""Statuses of a request whose client stopped reading."""


def extend_unread(records: Sequence[RequestRecord], engine: EnginePhaseTotals | None
                  ) -> list[RequestRecord]:
    """Records with the engine's unread tokens added to requests whose client left mid-stream
    (module docstring); the same records when there is no such surplus."""
    if engine is None or engine.generation_tokens is None:
        return list(records)
    read = sum(r.tokens_read for r in records)
    surplus = engine.generation_tokens - read
    left = [r for r in records if r.status.value in LEFT and r.chunks > 0
            and r.requested_output_tokens is not None and r.requested_output_tokens > r.chunks]
    room = {r.index: (r.requested_output_tokens or 0) - r.chunks for r in left}
    total = sum(room.values())
    if surplus <= 0 or total <= 0:
        return list(records)
    gaps = [g for r in records for g in r.itls_s() if g > 0]
    pace = percentile(gaps, 50) if gaps else DEFAULT_SAME_STEP_S
    out = []
    for r in records:
        k = room.get(r.index, 0)
        extra = min(k, int(round(surplus * k / total)))
        if extra <= 0:
            out.append(r)
            continue
        own = [g for g in r.itls_s() if g > 0]
        step = percentile(own, 50) if own else pace
        t = r.token_times_s[-1]
        times = [*r.token_times_s, *(t + step * (j + 1) for j in range(extra))]
        out.append(dataclasses.replace(r, token_times_s=times, chunks=r.chunks + extra,
                                       end_s=max(r.end_s or t, times[-1])))
    return out


def worst_prompt_source(phases: Sequence[RequestPhases]) -> str:
    """The worst prompt-token source among requests that did work ("" when none did)."""
    seen = {p.prompt_token_source for p in phases if p.prefill_start_s is not None}
    for s in reversed(TOKEN_SOURCE_ORDER):
        if s.value in seen:
            return s.value
    return ""
