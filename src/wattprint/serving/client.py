"""Send one streaming request and record it (:class:`RequestRecord`), never raising.

Every failure (HTTP status, timeout, broken connection, a body that is not an OpenAI stream,
an in-stream error) becomes the record's ``status``/``error`` (with the HTTP status when one
came); a failed request's partial output is never counted as produced tokens. A stream that
ends without an error but incomplete (:mod:`wattprint.serving.completeness`) is ``truncated``.
What a stream's bytes say is read by :class:`~wattprint.serving.observer.StreamObserver`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import aiohttp

from wattprint.serving.observer import StreamObserver, fail
from wattprint.serving.prompt_tokens import Counter, Prompt
from wattprint.serving.records import RequestRecord, Status
from wattprint.serving.sse import StreamFormatError

__all__ = ["Counter", "send"]


async def send(session: aiohttp.ClientSession, url: str, body: dict[str, Any],
               record: RequestRecord, *, timeout_s: float, prompt: Prompt,
               count_tokens: Counter | None = None, length_forced: bool = False,
               clock: Callable[[], float] = time.monotonic) -> RequestRecord:
    """POST ``body`` to ``url`` with streaming and fill ``record`` as the stream arrives.

    Args:
        session: The shared client session.
        url: Full endpoint URL (``.../v1/chat/completions``).
        body: The request JSON (``stream: true``).
        record: The record to fill (its ``scheduled_s`` is set by the caller).
        timeout_s: Limit for the whole request, seconds.
        prompt: The prompt (text, or a chat request's messages), for tokenizer counting when
            the server gives no ``usage``.
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
    watch = StreamObserver(record, prompt=prompt, count_tokens=count_tokens)
    record.sent_s = clock()
    try:
        async with session.post(url, json=body, timeout=aiohttp.ClientTimeout(total=timeout_s)) as resp:
            record.http_status = resp.status
            if resp.status >= 300:
                detail = (await resp.read())[:300].decode("utf-8", errors="replace")
                return fail(record, Status.HTTP_ERROR, f"HTTP {resp.status}: {detail}", clock())
            async for data in resp.content.iter_any():
                failure = watch.feed(data, clock())
                if failure is not None:
                    return fail(record, *failure, clock())
            watch.close()
    except (asyncio.TimeoutError, aiohttp.ServerTimeoutError):
        return fail(record, Status.TIMEOUT, f"no complete answer within {timeout_s:g} s", clock())
    except StreamFormatError as err:
        return fail(record, Status.PROTOCOL_ERROR, str(err), clock())
    except (aiohttp.ClientPayloadError, aiohttp.ServerDisconnectedError,
            aiohttp.ClientOSError) as err:
        return fail(record, Status.DISCONNECTED, f"connection broke mid-stream: {err!r}", clock())
    except aiohttp.ClientError as err:
        return fail(record, Status.DISCONNECTED, f"request failed: {err!r}", clock())
    except asyncio.CancelledError:
        fail(record, Status.CANCELLED, "stopped before the answer ended", clock())
        raise
    return watch.finish(clock())
