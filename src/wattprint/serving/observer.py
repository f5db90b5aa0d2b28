"""Fill a :class:`~.records.RequestRecord` from the bytes of an OpenAI-compatible stream as they
arrive, whoever moves the bytes: the load client (:mod:`.client`) reads them for itself, the
proxy (:mod:`.proxy`) passes them on to its own client unchanged.

The rules are the load client's: chunk times, ``usage`` (in the last content chunk or a chunk
of its own), the engine's ``timings``, ``finish_reason``; at the end, token counts (server
``usage``, else the tokenizer, else one token per chunk, saying which) and the completeness
rules of :mod:`.completeness` (``ok`` or ``truncated``). A failure (an in-stream error, a body
that is not a stream) is returned to the caller, who decides what to do with the rest.
"""

from __future__ import annotations

from typing import Any

from wattprint.serving.completeness import truncation
from wattprint.serving.prompt_tokens import Counter, Prompt, count_prompt
from wattprint.serving.records import EngineTimings, RequestRecord, Status, TokenSource
from wattprint.serving.sse import Chunk, SSEDecoder

Failure = tuple[Status, str]
"""A failed request's status and error message."""


class StreamObserver:
    """Watch one response stream and fill ``record``.

    Args:
        record: The record to fill (its ``sent_s`` is set by the caller).
        prompt: The prompt text, for tokenizer counting when the server gives no ``usage``.
        count_tokens: Tokenizer counter (None: missing counts fall back to chunk counts for
            the output, and stay unknown for the prompt).
        keep_text: Keep the streamed text (needed only to count it with ``count_tokens``).
    """

    def __init__(self, record: RequestRecord, *, prompt: Prompt = "",
                 count_tokens: Counter | None = None, keep_text: bool | None = None) -> None:
        self.record = record
        self.prompt = prompt
        self.count_tokens = count_tokens
        self.keep_text = count_tokens is not None if keep_text is None else keep_text
        self.usage: dict[str, Any] | None = None
        self.ended = False
        self._text: list[str] = []
        self._decoder = SSEDecoder()

    def feed(self, data: bytes, t: float) -> Failure | None:
        """Take the bytes received at ``t`` (monotonic s).

        Returns:
            The failure an in-stream ``error`` event reports, else None.

        Raises:
            StreamFormatError: a ``data:`` line that is not a completion chunk.
        """
        r = self.record
        for chunk in self._decoder.feed(data):
            if chunk.error is not None:
                return Status.HTTP_ERROR, f"in-stream error: {chunk.error}"
            if chunk.text:
                r.token_times_s.append(t)
                r.chunks += 1
                if self.keep_text:
                    self._text.append(chunk.text)
                if r.first_token_s is None:
                    r.first_token_s = t
            self._meta(chunk)
            if chunk.finish_reason is not None:
                r.finish_reason = chunk.finish_reason
        return None

    def _meta(self, chunk: Chunk) -> None:
        if chunk.usage is not None:
            self.usage = chunk.usage
        if chunk.timings is not None:
            self.record.engine_timings = EngineTimings.from_obj(chunk.timings)
        self.ended = self.ended or chunk.done or chunk.finish_reason is not None

    def close(self) -> None:
        """End of body: a last line without a newline (its usage, timings and end only).

        Raises:
            StreamFormatError: that line is not a completion chunk.
        """
        for chunk in self._decoder.close():
            self._meta(chunk)

    def finish(self, end_s: float) -> RequestRecord:
        """The stream ended without an error at ``end_s``: count its tokens and decide ``ok``
        or ``truncated`` (a body with no content, no ``finish_reason`` and no ``[DONE]`` is a
        ``protocol_error``)."""
        r = self.record
        r.end_s = end_s
        if not self.ended and not r.chunks:
            return fail(r, Status.PROTOCOL_ERROR, "the body ended with no content, no "
                        "finish_reason and no [DONE]", end_s)
        count(r, self.usage, self.prompt, "".join(self._text), self.count_tokens)
        why = truncation(r)
        r.status, r.error = (Status.OK, None) if why is None else (Status.TRUNCATED, why)
        return r


def fail(record: RequestRecord, status: Status, error: str, end_s: float) -> RequestRecord:
    """Record a failure at ``end_s``: its partial output is never counted as produced tokens."""
    record.end_s = end_s
    record.status, record.error = status, error
    record.output_tokens, record.output_token_source = 0, TokenSource.NONE
    return record


def count(record: RequestRecord, usage: dict[str, Any] | None, prompt: Prompt, text: str,
          count_tokens: Counter | None) -> None:
    """Set the record's token counts: the server's ``usage``, else the tokenizer, else (output)
    one token per chunk; the prompt also from the engine's ``timings.prompt_n``."""
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
        record.input_tokens = count_prompt(count_tokens, prompt)
        record.input_token_source = TokenSource.TOKENIZER
