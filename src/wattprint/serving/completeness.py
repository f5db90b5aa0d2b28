"""Did a stream end complete? The rules that make a request ``truncated`` rather than ``ok``.

A stream that ended without an error is complete only when:

1. a ``finish_reason`` came (a stream that closes, or sends ``[DONE]``, without one was cut
   short: llama-cpp-python's ``--interrupt_requests`` ends a running stream that way as soon as
   another request waits);
2. that ``finish_reason`` is an expected one: ``length`` where the output length was forced,
   and one of :data:`NORMAL_FINISH` otherwise;
3. where the length was forced, the server's own count of output tokens (``usage``) is not
   below the forced length. Counts made here (tokenizer, chunks) are not held against the
   request: a re-tokenized text or a detokenizer that merges tokens into one chunk gives
   fewer than the engine produced, so only ``finish_reason`` decides for them.

Anything else is ``truncated``, with the reason as the record's error.
"""

from __future__ import annotations

from wattprint.serving.records import RequestRecord, TokenSource

FORCED_FINISH = "length"
"""The ``finish_reason`` of a request whose output length was forced."""

NORMAL_FINISH = frozenset({"length", "stop", "eos_token", "stop_sequence", "tool_calls",
                           "function_call"})
"""``finish_reason`` values of an answer that ended on its own or at ``max_tokens`` (OpenAI's,
and TGI's ``eos_token``/``stop_sequence``); others (``abort``, ``cancelled``, ``error``,
``content_filter`` ...) mean the engine cut the answer."""


def truncation(record: RequestRecord) -> str | None:
    """Why a stream that ended without an error is incomplete, or None when it is complete.

    Uses the record's ``finish_reason``, ``length_forced``, ``requested_output_tokens``,
    ``output_tokens`` and ``output_token_source`` (counted already).
    """
    finish = record.finish_reason
    if finish is None:
        return (f"the stream ended after {record.chunks} content chunk(s) with no "
                "finish_reason: cut short by the server")
    if record.length_forced and finish != FORCED_FINISH:
        return (f"finish_reason {finish!r} where {FORCED_FINISH!r} was expected: the output was "
                f"forced to {record.requested_output_tokens} tokens")
    if not record.length_forced and finish not in NORMAL_FINISH:
        return (f"finish_reason {finish!r}: the engine ended the answer itself (expected one of "
                f"{', '.join(sorted(NORMAL_FINISH))})")
    want = record.requested_output_tokens
    if (record.length_forced and want is not None
            and record.output_token_source is TokenSource.USAGE and record.output_tokens < want):
        return (f"{record.output_tokens} output tokens where {want} were forced (the server's "
                "usage count)")
    return None
