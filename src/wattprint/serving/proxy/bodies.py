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

A paced or evenly spread answer is placed again before its windows are attributed, at the
engine steps seen in the streams beside it (:mod:`.steps`, :data:`AT_STEPS`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from wattprint.serving.completeness import truncation
from wattprint.serving.observer import count, fail
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
