"""Send one streaming request and record it (:class:`RequestRecord`), never raising.

Every failure (HTTP status, timeout, broken connection, a body that is not an OpenAI stream,
an in-stream error) becomes the record's ``status``/``error`` (with the HTTP status when one
came); a failed request's partial output is never counted as produced tokens. A stream that
ends without an error but incomplete (:mod:`wattprint.serving.completeness`) is ``truncated``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import aiohttp

from wattprint.serving.completeness import truncation
from wattprint.serving.records import EngineTimings, RequestRecord, Status, TokenSource
from wattprint.serving.sse import SSEDecoder, StreamFormatError

Counter = Callable[[str], int]
"""Counts tokens in a text with the model's tokenizer."""


async def send(session: aiohttp.ClientSession, url: str, body: dict[str, Any],
               record: RequestRecord, *, timeout_s: float, prompt: str,
               count_tokens: Counter | None = None, length_forced: bool = False,
               clock: Callable[[], float] = time.monotonic) -> RequestRecord:
    """POST ``body`` to ``url`` with streaming and fill ``record`` as the stream arrives.

    Args:
        session: The shared client session.
        url: Full endpoint URL (``.../v1/chat/completions``).
        body: The request JSON (``stream: true``).
        record: The record to fill (its ``scheduled_s`` is set by the caller).
        timeout_s: Limit for the whole request, seconds.
        prompt: The prompt text, for tokenizer counting when the server gives no ``usage``.
        count_tokens: Tokenizer counter; without it, missing counts fall back to chunk counts
            (output) or stay unknown (input).
        length_forced: The body forces exactly ``max_tokens`` output tokens (checked).
        clock: Monotonic clock (seconds).

    Returns:
        ``record``, completed.
    """
    max_tokens = body.get("max_tokens")
    record.requested_output_tokens = max_tokens if isinstance(max_tokens, int) else None
    record.length_forced = length_forced and record.requested_output_tokens is not None
    decoder = SSEDecoder()
    usage: dict[str, Any] | None = None
    text_parts: list[str] = []
    ended = False
    record.sent_s = clock()
    try:
        async with session.post(url, json=body, timeout=aiohttp.ClientTimeout(total=timeout_s)) as resp:
            record.http_status = resp.status
            if resp.status >= 300:
                detail = (await resp.read())[:300].decode("utf-8", errors="replace")
                return _fail(record, Status.HTTP_ERROR, f"HTTP {resp.status}: {detail}", clock)
            async for data in resp.content.iter_any():
                t = clock()
                for chunk in decoder.feed(data):
                    if chunk.error is not None:
                        return _fail(record, Status.HTTP_ERROR, f"in-stream error: {chunk.error}", clock)
                    if chunk.text:
                        record.token_times_s.append(t)
                        record.chunks += 1
                        text_parts.append(chunk.text)
                        if record.first_token_s is None:
                            record.first_token_s = t
                    if chunk.usage is not None:
                        usage = chunk.usage
                    if chunk.timings is not None:
                        record.engine_timings = EngineTimings.from_obj(chunk.timings)
                    if chunk.finish_reason is not None:
                        record.finish_reason = chunk.finish_reason
                    ended = ended or chunk.done or chunk.finish_reason is not None
            for chunk in decoder.close():
                usage = chunk.usage or usage
                if chunk.timings is not None:
                    record.engine_timings = EngineTimings.from_obj(chunk.timings)
                ended = ended or chunk.done or chunk.finish_reason is not None
    except (asyncio.TimeoutError, aiohttp.ServerTimeoutError):
        return _fail(record, Status.TIMEOUT, f"no complete answer within {timeout_s:g} s", clock)
    except StreamFormatError as err:
        return _fail(record, Status.PROTOCOL_ERROR, str(err), clock)
    except (aiohttp.ClientPayloadError, aiohttp.ServerDisconnectedError,
            aiohttp.ClientOSError) as err:
        return _fail(record, Status.DISCONNECTED, f"connection broke mid-stream: {err!r}", clock)
    except aiohttp.ClientError as err:
        return _fail(record, Status.DISCONNECTED, f"request failed: {err!r}", clock)
    except asyncio.CancelledError:
        _fail(record, Status.CANCELLED, "stopped before the answer ended", clock)
        raise
    record.end_s = clock()
    if not ended and not record.chunks:
        return _fail(record, Status.PROTOCOL_ERROR, "the body ended with no content, no "
                     "finish_reason and no [DONE]", clock)
    _count(record, usage, prompt, "".join(text_parts), count_tokens)
    why = truncation(record)
    record.status, record.error = (Status.OK, None) if why is None else (Status.TRUNCATED, why)
    return record


def _fail(record: RequestRecord, status: Status, error: str, clock: Callable[[], float]) -> RequestRecord:
    record.end_s = clock()
    record.status, record.error = status, error
    record.output_tokens, record.output_token_source = 0, TokenSource.NONE
    return record


def _count(record: RequestRecord, usage: dict[str, Any] | None, prompt: str, text: str,
           count_tokens: Counter | None) -> None:
    if usage and isinstance(usage.get("completion_tokens"), int):
        record.output_tokens, record.output_token_source = usage["completion_tokens"], TokenSource.USAGE
    elif count_tokens is not None:
        record.output_tokens, record.output_token_source = count_tokens(text), TokenSource.TOKENIZER
    else:
        record.output_tokens, record.output_token_source = record.chunks, TokenSource.CHUNKS
    timed = record.engine_timings
    if usage and isinstance(usage.get("prompt_tokens"), int):
        record.input_tokens, record.input_token_source = usage["prompt_tokens"], TokenSource.USAGE
    elif timed is not None and timed.prompt_n is not None:
        record.input_tokens, record.input_token_source = timed.prompt_n, TokenSource.ENGINE
    elif count_tokens is not None:
        record.input_tokens, record.input_token_source = count_tokens(prompt), TokenSource.TOKENIZER
