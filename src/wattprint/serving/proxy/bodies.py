"""What the proxy reads in the bodies it passes on (never changing them unless the client asked
for the energy field): the request's model, prompt, stream flag and length; a non-streamed
answer's text, ``finish_reason``, ``usage`` and ``timings``.

A non-streamed answer comes all at once, so the proxy cannot see when its tokens were made. They
are placed, in order of preference: over the generation time the engine reported before the end
(llama.cpp-style ``timings``, whose prompt time then places the prefill: :data:`FROM_TIMINGS`);
one per engine step before the end, at the pace of the streams the proxy saw lately (the median
of their inter-token gaps: an engine emits one token per running request per step, and a
request's queue time does no work: :data:`PACED`); evenly over the request's life, send to end,
when there is neither (:data:`SPREAD_EVENLY`, which charges queue time like work time). The
record says which; streamed requests are timed by their chunks (:data:`STREAMED`).

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
from typing import Any

import numpy as np
import orjson

from wattprint.serving.completeness import truncation
from wattprint.serving.observer import count, fail
from wattprint.serving.phases import MIN_SAME_STEP_S
from wattprint.serving.prompt_tokens import ChatPrompt, Counter, Prompt
from wattprint.serving.records import EngineTimings, RequestRecord, Status, TokenSource

STREAMED = "streamed: one token per chunk, at its arrival"
SPREAD_EVENLY = "non-streamed: tokens placed evenly from send to end (no timing seen)"
PACED = "non-streamed: tokens placed before the end at the pace of recent streams"
FROM_TIMINGS = "non-streamed: the engine's timings (prefill, then generation up to the end)"
AT_STEPS = ("non-streamed: tokens placed back from the end at the engine steps seen in "
            "concurrent streams (at the pace of recent streams where none showed the step)")
ROUTES = {"/v1/chat/completions": "chat", "/v1/completions": "completions"}
"""Paths whose requests are recorded, and their API."""


@dataclass(frozen=True)
class RequestInfo:
    """What the proxy read in one request body.

    Attributes:
        api: ``chat`` or ``completions``.
        model: The ``model`` field (None: absent or not a string).
        stream: The ``stream`` field.
        prompt: The prompt: a completions request's text, a chat request's messages (role
            and text contents) as :class:`~wattprint.serving.prompt_tokens.ChatPrompt`.
        max_tokens: ``max_tokens`` (or ``max_completion_tokens``) when a whole number.
        parsed: Whether the body was a JSON object.
    """

    api: str
    model: str | None
    stream: bool
    prompt: Prompt
    max_tokens: int | None
    parsed: bool


def _prompt(obj: dict[str, Any], api: str) -> Prompt:
    if api == "chat":
        parts: list[tuple[str, str]] = []
        msgs = obj.get("messages")
        for m in msgs if isinstance(msgs, list) else ():
            c = m.get("content") if isinstance(m, dict) else None
            role = m.get("role") if isinstance(m, dict) else None
            role = role if isinstance(role, str) else "user"
            if isinstance(c, str):
                parts.append((role, c))
            elif isinstance(c, list):
                parts += [(role, p["text"]) for p in c if isinstance(p, dict)
                          and isinstance(p.get("text"), str)]
        return ChatPrompt(tuple(parts))
    p = obj.get("prompt")
    if isinstance(p, list):
        return "\n".join(x for x in p if isinstance(x, str))
    return p if isinstance(p, str) else ""


def read_request(body: bytes, api: str) -> RequestInfo:
    """Read a request body (any bytes: what is not a JSON object is passed on all the same)."""
    try:
        obj = orjson.loads(body)
    except orjson.JSONDecodeError:
        obj = None
    if not isinstance(obj, dict):
        return RequestInfo(api, None, False, "", None, False)
    model = obj.get("model")
    mt = obj.get("max_tokens", obj.get("max_completion_tokens"))
    return RequestInfo(api, model if isinstance(model, str) else None, obj.get("stream") is True,
                       _prompt(obj, api),
                       mt if isinstance(mt, int) and not isinstance(mt, bool) else None, True)


def observe_whole(record: RequestRecord, body: bytes, end_s: float, *, prompt: Prompt,
                  count_tokens: Counter | None, pace_s: float | None = None) -> str:
    """Fill ``record`` from a whole (non-streamed) 2xx answer received at ``end_s``.

    Counts: the answer's ``usage``, else the tokenizer, else the answer's words (a proxy,
    ``words``). Status: the completeness rules of the load client (``ok`` or ``truncated``),
    ``protocol_error`` for a body that is not a completion, ``http_error`` for an ``error``
    object.

    Args:
        record: The request's record (``sent_s`` set).
        body: The answer.
        end_s: When it ended (monotonic s).
        prompt: The prompt (for the tokenizer).
        count_tokens: The tokenizer, if any.
        pace_s: The engine's recent time per step (median inter-token gap of streams), s.

    Returns:
        How the tokens were placed in time (module docstring).
    """
    try:
        obj = orjson.loads(body)
    except orjson.JSONDecodeError:
        obj = None
    if not isinstance(obj, dict) or ("choices" not in obj and "error" not in obj):
        fail(record, Status.PROTOCOL_ERROR, "the answer is not a completion object "
             f"({body[:120]!r})", end_s)
        return SPREAD_EVENLY
    if "error" in obj:
        e = obj["error"]
        fail(record, Status.HTTP_ERROR, "error in the answer: "
             f"{e.get('message', e) if isinstance(e, dict) else e}", end_s)
        return SPREAD_EVENLY
    text, finish = "", None
    choices = obj.get("choices")
    for c in choices if isinstance(choices, list) else ():
        if not isinstance(c, dict):
            continue
        msg = c.get("message")
        part = msg.get("content") if isinstance(msg, dict) else c.get("text")
        text += part if isinstance(part, str) else ""
        finish = c.get("finish_reason") or finish
    usage = obj.get("usage") if isinstance(obj.get("usage"), dict) else None
    timings = obj.get("timings")
    record.engine_timings = EngineTimings.from_obj(timings) if isinstance(timings, dict) else None
    record.finish_reason = finish if isinstance(finish, str) else None
    count(record, usage, prompt, text, count_tokens)
    if record.output_token_source is TokenSource.CHUNKS:
        record.output_tokens, record.output_token_source = len(text.split()), TokenSource.WORDS
    how = _place_tokens(record, end_s, pace_s)
    why = truncation(record)
    record.status, record.error = (Status.OK, None) if why is None else (Status.TRUNCATED, why)
    return how


def _place_tokens(record: RequestRecord, end_s: float, pace_s: float | None) -> str:
    """Token times of a whole answer (module docstring); one at the end when it has none."""
    sent = record.sent_s if record.sent_s is not None else end_s
    n = max(record.output_tokens, 1)
    timed = record.engine_timings
    if timed is not None and timed.predicted_ms is not None and timed.prompt_ms is not None:
        first, how = max(sent, end_s - timed.predicted_ms / 1e3), FROM_TIMINGS
    elif pace_s is not None and pace_s > 0:
        first, how = max(sent, end_s - (n - 1) * pace_s), PACED
    else:
        first, how = sent + (end_s - sent) / n, SPREAD_EVENLY
    times = [first + (end_s - first) * k / (n - 1) for k in range(n)] if n > 1 else [end_s]
    record.token_times_s = times
    record.first_token_s = times[0]
    record.chunks = record.output_tokens
    record.end_s = end_s
    return how


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


def with_energy(body: bytes, energy: dict[str, Any]) -> bytes | None:
    """The answer with ``usage.energy`` added (the JSON is written again, compactly); None
    when it has no ``usage`` object to extend (nothing is invented)."""
    try:
        obj = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(obj, dict) or not isinstance(obj.get("usage"), dict):
        return None
    obj["usage"]["energy"] = energy
    return orjson.dumps(obj)


def event_with_energy(line: bytes, energy_of: Any) -> bytes:
    """One SSE ``data:`` line with ``usage.energy`` added when it carries a ``usage`` object
    (``energy_of(usage)`` gives the field, or None to leave the line as it is); any other line
    unchanged."""
    if not line.startswith(b"data:") or b'"usage"' not in line:
        return line
    end = b"\r\n" if line.endswith(b"\r\n") else (b"\n" if line.endswith(b"\n") else b"")
    try:
        obj = orjson.loads(line[5:len(line) - len(end)])
    except orjson.JSONDecodeError:
        return line
    if not isinstance(obj, dict) or not isinstance(obj.get("usage"), dict):
        return line
    energy = energy_of(obj["usage"])
    if energy is None:
        return line
    obj["usage"]["energy"] = energy
    return b"data: " + orjson.dumps(obj) + end
