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
every running request), and at the pace where no stream shows the step. Pacing alone puts a
batched engine's long steps (other requests' prefills) at the pace of a decode step, so the
answer's first token came out late and its prefill was placed over a decode step.
"""

from __future__ import annotations

import bisect
import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from wattprint.serving.completeness import truncation
from wattprint.serving.observer import Counter, count, fail
from wattprint.serving.phases import MIN_SAME_STEP_S
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
        prompt: The prompt text (chat: the messages' text contents, one per line).
        max_tokens: ``max_tokens`` (or ``max_completion_tokens``) when a whole number.
        parsed: Whether the body was a JSON object.
    """

    api: str
    model: str | None
    stream: bool
    prompt: str
    max_tokens: int | None
    parsed: bool


def _prompt(obj: dict[str, Any], api: str) -> str:
    if api == "chat":
        parts: list[str] = []
        msgs = obj.get("messages")
        for m in msgs if isinstance(msgs, list) else ():
            c = m.get("content") if isinstance(m, dict) else None
            if isinstance(c, str):
                parts.append(c)
            elif isinstance(c, list):
                parts += [p["text"] for p in c if isinstance(p, dict)
                          and isinstance(p.get("text"), str)]
        return "\n".join(parts)
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


def observe_whole(record: RequestRecord, body: bytes, end_s: float, *, prompt: str,
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
    """

    ends_s: tuple[float, ...]
    starts_s: tuple[float, ...]

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
        pairs = [(b, a) for _, t in streams for a, b in zip(t, t[1:]) if b > a]
        for sent, t in streams:
            i = bisect.bisect_left(every, t[0] - tol_s)
            start = max(every[i - 1] if i else -math.inf, -math.inf if sent is None else sent)
            if math.isfinite(start) and start < t[0]:
                pairs.append((t[0], start))
        pairs.sort()
        return SeenSteps(tuple(b for b, _ in pairs), tuple(a for _, a in pairs))

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


FIT_ROUNDS = 30
"""Bisection rounds for the pace of unseen steps when the recent pace does not fit."""


def _walk_back(end: float, sent: float, n: int, steps: SeenSteps, step_s: float, tol_s: float
               ) -> tuple[list[float], int]:
    """Token times counted back from ``end`` (latest first), one per step, at most ``n``, none
    at or before ``sent``; and how many came from a seen step."""
    times, seen = [end], 0
    while len(times) < n:
        start = steps.start_of(times[-1], tol_s)
        t = start if start is not None else times[-1] - step_s
        if t <= sent:
            break
        seen += start is not None
        times.append(t)
    return times, seen


def place_at_steps(record: RequestRecord, steps: SeenSteps, pace_s: float | None) -> bool:
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

    Returns:
        Whether its tokens were placed again.
    """
    pace = pace_s if pace_s is not None and pace_s > 0 else steps.median_s()
    sent, end = record.sent_s, record.end_s
    if pace is None or pace <= 0 or sent is None or end is None or end <= sent:
        return False
    n, tol = max(record.output_tokens, 1), same_step_s(pace)

    def fits(f: float) -> bool:
        t, _ = _walk_back(end, sent, n, steps, f * pace, tol)
        return len(t) == n and t[-1] - sent >= f * pace

    times, seen = _walk_back(end, sent, n, steps, pace, tol)
    if len(times) < n and seen:
        lo, hi = 0.0, 1.0
        for _ in range(FIT_ROUNDS):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if fits(mid) else (lo, mid)
        if lo > 0:
            times, seen = _walk_back(end, sent, n, steps, lo * pace, tol)
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
