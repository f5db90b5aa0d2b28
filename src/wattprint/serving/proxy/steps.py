"""Where a whole (non-streamed) answer's tokens were made: at the engine steps seen in the
streams beside it.

A paced or evenly spread answer is placed again before its windows are attributed, once the
streams that ran beside it are known (:func:`place_at_steps`, :data:`AT_STEPS`): counting back
from its end, one token per engine step, at the steps those streams show (each pair of
consecutive tokens of one stream is one step of the engine, which a batched engine shares with
every running request). A step no stream shows is as long as the seen steps with as many
requests in flight and as many streams among them waiting for their first token
(:class:`StepTimes`: a batched engine steps faster with fewer requests running and slower
while prompts are prefilled beside them, in chunks too), at the pace where that is not known.
Pacing alone puts a batched engine's long steps (other requests' prefills) at the pace of a
decode step, so the answer's first token came out late and its prefill was placed over a
decode step; one pace for the unseen steps put the tokens of an answer that ran on alone, after
the streams beside it ended, at the pace of the full batch, so its first token came out early.
"""

from __future__ import annotations

import bisect
import math
import statistics
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from wattprint.serving.phases import MIN_SAME_STEP_S
from wattprint.serving.records import RequestRecord


def same_step_s(pace_s: float) -> float:
    """Token times closer than this are the same engine step: half the pace, at least 1 ms."""
    return max(MIN_SAME_STEP_S, 0.5 * pace_s)


@dataclass(frozen=True)
class SeenSteps:
    """Engine steps seen in streams: every two consecutive tokens of one stream bound one step
    (an engine emits one token per running request per step), sorted by their end.

    Attributes:
        ends_s: Each step's end (monotonic s), increasing.
        starts_s: Its start, s.
        firsts: Whether it made a stream's first token (a prefill step, or more than one
            step when the prompt was prefilled in chunks); empty: none is.
    """

    ends_s: tuple[float, ...]
    starts_s: tuple[float, ...]
    firsts: tuple[bool, ...] = ()

    @staticmethod
    def of(streams: Iterable[tuple[float | None, Sequence[float]]], tol_s: float = 0.0
           ) -> SeenSteps:
        """The steps of these streams (each its send time and its token times, increasing;
        s): between consecutive tokens, and the step that made a stream's first token, which
        began at the last token any of them received before it (more than ``tol_s`` before:
        closer is the same step), not before its send.
        """
        streams = [(sent, t) for sent, t in streams if t]
        every = sorted(x for _, t in streams for x in t)
        pairs = [(b, a, False) for _, t in streams for a, b in zip(t, t[1:]) if b > a]
        for sent, t in streams:
            i = bisect.bisect_left(every, t[0] - tol_s)
            start = max(every[i - 1] if i else -math.inf, -math.inf if sent is None else sent)
            if math.isfinite(start) and start < t[0]:
                pairs.append((t[0], start, True))
        pairs.sort()
        return SeenSteps(tuple(b for b, _, _ in pairs), tuple(a for _, a, _ in pairs),
                         tuple(f for _, _, f in pairs))

    def __len__(self) -> int:
        return len(self.ends_s)

    def median_s(self) -> float | None:
        """The median step, s (None without steps)."""
        if not self.ends_s:
            return None
        return float(statistics.median(b - a for a, b in zip(self.starts_s, self.ends_s)))

    def start_of(self, t: float, tol_s: float) -> float | None:
        """The start of the step that ended at ``t`` (give or take ``tol_s``): the latest start
        among the steps ending there (a stream that skipped a chunk spans more than one step),
        at least ``tol_s`` before ``t`` (closer is the same step); None when no stream showed a
        step ending there."""
        i = bisect.bisect_left(self.ends_s, t - tol_s)
        j = bisect.bisect_right(self.ends_s, t + tol_s)
        return max((s for s in self.starts_s[i:j] if s < t - tol_s), default=None)


@dataclass(frozen=True)
class InFlight:
    """How many requests were in flight (sent, not yet answered in full) at a time, and how
    many of them were streams still waiting for their first token (in prefill, or queued):
    the proxy's own counts.

    Attributes:
        sent_s: The requests' sends, increasing (monotonic s).
        ended_s: Their ends, increasing (one still running: not counted here).
        stream_sent_s: The streams' sends, increasing.
        stream_first_s: Their first tokens (or ends, without a token), increasing.
    """

    sent_s: tuple[float, ...]
    ended_s: tuple[float, ...]
    stream_sent_s: tuple[float, ...] = ()
    stream_first_s: tuple[float, ...] = ()

    @staticmethod
    def of(spans: Iterable[tuple[float | None, float | None, float | None, bool]]) -> InFlight:
        """From each request's (send, first token, end, streamed) (None: not yet; no send:
        left out)."""
        spans = [x for x in spans if x[0] is not None]
        sent = [a for a, _, _, _ in spans if a is not None]
        streams = [(a, f if f is not None else e) for a, f, e, st in spans if st]
        return InFlight(tuple(sorted(sent)), tuple(sorted(e for _, _, e, _ in spans
                                                          if e is not None)),
                        tuple(sorted(a for a, _ in streams if a is not None)),
                        tuple(sorted(f for _, f in streams if f is not None)))

    def at(self, t: float) -> tuple[int, int]:
        """Requests sent before ``t`` and not answered in full before it; streams among them
        sent before ``t`` without a token before it."""
        return (bisect.bisect_left(self.sent_s, t) - bisect.bisect_left(self.ended_s, t),
                bisect.bisect_left(self.stream_sent_s, t)
                - bisect.bisect_left(self.stream_first_s, t))


MIN_STEPS = 3
"""Seen steps with one number of requests in flight needed to take their median step."""


@dataclass(frozen=True)
class StepTimes:
    """An engine's step time by the requests in flight, from the steps streams showed: a
    batched engine steps slower with more requests running, and slower still while prompts
    are prefilled (in chunks, over several steps, beside the running ones); one global pace
    puts a whole answer that ran alone at the pace of a full batch. Steps that made a stream's
    first token are left out (their length is set by the prompt, and they may be several).

    Attributes:
        by_count_s: ((requests in flight, streams among them waiting for their first token),
            median step s) for each pair seen in at least :data:`MIN_STEPS` steps.
        coef_s: A least-squares plane through those medians (weighted by their steps) for
            the pairs not seen: (s, s per request in flight, s per waiting stream); or a line
            (s, s per request, 0) when the waiting counts do not vary; None with fewer than two
            pairs.
    """

    by_count_s: tuple[tuple[tuple[int, int], float], ...]
    coef_s: tuple[float, float, float] | None = None

    @staticmethod
    def of(steps: SeenSteps, in_flight: InFlight, tol_s: float) -> StepTimes:
        """Group the seen steps that made no first token by the counts just before each
        ended (half the same-step tolerance ``tol_s`` before: a request whose last token
        came with the step's was in it, one that ended at the step before was not)."""
        groups: dict[tuple[int, int], list[float]] = {}
        firsts = steps.firsts or (False,) * len(steps)
        for a, b, first in zip(steps.starts_s, steps.ends_s, firsts):
            if not first:
                groups.setdefault(in_flight.at(b - 0.5 * tol_s), []).append(b - a)
        med = sorted((k, float(statistics.median(v)), len(v)) for k, v in groups.items()
                     if k[0] > 0 and len(v) >= MIN_STEPS)
        by = tuple((k, m) for k, m, _ in med)
        if len(med) < 2:
            return StepTimes(by)
        w = np.sqrt([c for _, _, c in med])
        y = np.array([m for _, m, _ in med]) * w
        for cols in ((0, 1), (0,)):
            x = np.array([[1.0, *(k[j] for j in cols)] for k, _, _ in med]) * w[:, None]
            if np.linalg.matrix_rank(x) == x.shape[1]:
                c = np.linalg.lstsq(x, y, rcond=None)[0]
                coef = (float(c[0]), float(c[1]), float(c[2]) if len(c) > 2 else 0.0)
                return StepTimes(by, coef)
        return StepTimes(by)

    def step_s(self, count: tuple[int, int]) -> float | None:
        """The step time with these counts, s: the seen median, else the plane, else None
        (as where the plane gives no positive time)."""
        for k, m in self.by_count_s:
            if k == count:
                return m
        if self.coef_s is None:
            return None
        a, b, c = self.coef_s
        t = a + b * count[0] + c * count[1]
        return t if t > 0 else None


FIT_ROUNDS = 30
"""Bisection rounds for the pace of unseen steps when the recent pace does not fit."""


def _walk_back(end: float, sent: float, n: int, steps: SeenSteps,
               step_s: Callable[[float], float], tol_s: float) -> tuple[list[float], int]:
    """Token times counted back from ``end`` (latest first), one per step, at most ``n``, none
    at or before ``sent``; and how many came from a seen step. ``step_s(t)``: the length of an
    unseen step that ended at ``t``, s (a seen step ends within ``tol_s`` of ``t``, and within
    half that length)."""
    times, seen = [end], 0
    while len(times) < n:
        step = step_s(times[-1])
        start = steps.start_of(times[-1], min(tol_s, 0.5 * step))
        t = start if start is not None else times[-1] - step
        if t <= sent:
            break
        seen += start is not None
        times.append(t)
    return times, seen


def place_at_steps(record: RequestRecord, steps: SeenSteps, pace_s: float | None,
                   in_flight: InFlight | None = None, model: StepTimes | None = None) -> bool:
    """Place a whole answer's tokens again, one per engine step counted back from its end, at
    the steps ``steps`` shows and ``pace_s`` apart where none shows one (module docstring).
    When they do not all fit after the send at that pace, the steps no stream shows were
    shorter (an engine with fewer requests running steps faster): their pace is the fastest
    fraction of ``pace_s`` that leaves one such step between the send and the first token
    (the prefill's, at least); tokens that fit at no pace are spread evenly from the send.
    Only when at least one token lands on a seen step; else the record is left as it was.

    Args:
        record: A whole answer's record (``sent_s``, ``end_s`` and ``output_tokens`` set).
        steps: The steps of the streams that ran beside it.
        pace_s: The engine's recent time per step, s (None: the median of ``steps``).
        in_flight: The requests in flight around it: an unseen step is as long as the seen
            steps with as many requests in flight (:class:`StepTimes`; ``pace_s`` where that
            is not known).
        model: The step times by requests in flight (default: from ``steps``; more streams
            than those beside this answer show more of them).

    Returns:
        Whether its tokens were placed again.
    """
    pace = pace_s if pace_s is not None and pace_s > 0 else steps.median_s()
    sent, end = record.sent_s, record.end_s
    if pace is None or pace <= 0 or sent is None or end is None or end <= sent:
        return False
    n, tol = max(record.output_tokens, 1), same_step_s(pace)
    if model is None:
        model = StepTimes.of(steps, in_flight, tol) if in_flight is not None else StepTimes(())

    def step_at(t: float) -> float:
        m = model.step_s(in_flight.at(t - 0.5 * tol)) if in_flight is not None else None
        return pace if m is None else m

    def fits(f: float) -> bool:
        t, _ = _walk_back(end, sent, n, steps, lambda x: f * step_at(x), tol)
        return len(t) == n and t[-1] - sent >= f * step_at(t[-1])

    times, seen = _walk_back(end, sent, n, steps, step_at, tol)
    if len(times) < n and seen:
        lo, hi = 0.0, 1.0
        for _ in range(FIT_ROUNDS):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if fits(mid) else (lo, mid)
        if lo > 0:
            times, seen = _walk_back(end, sent, n, steps, lambda x: lo * step_at(x), tol)
    if not seen:
        return False
    rest, earliest = n - len(times), times[-1]
    times.reverse()
    record.token_times_s = [sent + (earliest - sent) * k / rest for k in range(rest)] + times
    record.first_token_s = record.token_times_s[0]
    return True
