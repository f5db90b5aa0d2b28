"""Parse an OpenAI-compatible server-sent-event stream into chunks.

Tolerates what real engines do (``docs/serving.md``): a final ``data: [DONE]``
line or none (transformers serve), ``usage`` inside the last content chunk or in a separate
chunk with ``choices: []`` (vLLM with ``stream_options.include_usage``), comments and blank
keep-alive lines, and ``\\r\\n`` line ends.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import orjson

DONE = "[DONE]"


class StreamFormatError(ValueError):
    """A ``data:`` line that is not JSON, or JSON that is not a completion chunk."""


@dataclass(frozen=True)
class Chunk:
    """One parsed stream event.

    Attributes:
        text: Content it carries (chat ``delta.content`` or completions ``text``); "" if none.
        finish_reason: The choice's ``finish_reason`` when present.
        usage: The ``usage`` object when present.
        done: True for the ``[DONE]`` sentinel.
        error: The message of an in-stream ``{"error": ...}`` event.
        timings: The engine's phase times when the event carries them (llama.cpp's server
            puts a ``timings`` object in the last chunk of a stream).
    """

    text: str = ""
    finish_reason: str | None = None
    usage: dict[str, Any] | None = None
    done: bool = False
    error: str | None = None
    timings: dict[str, Any] | None = None


def parse_data(payload: str) -> Chunk:
    """Parse the payload of one ``data:`` line.

    Raises:
        StreamFormatError: not JSON, or not an object with ``choices``/``usage``/``error``.
    """
    payload = payload.strip()
    if payload == DONE:
        return Chunk(done=True)
    try:
        obj = json.loads(payload)
    except json.JSONDecodeError as err:
        raise StreamFormatError(f"stream line is not JSON: {payload[:120]!r}") from err
    if not isinstance(obj, dict):
        raise StreamFormatError(f"stream event is not a JSON object: {payload[:120]!r}")
    if "error" in obj:
        e = obj["error"]
        return Chunk(error=str(e.get("message", e) if isinstance(e, dict) else e))
    if "choices" not in obj and "usage" not in obj:
        raise StreamFormatError(f"stream event has neither 'choices' nor 'usage': {payload[:120]!r}")
    return _chunk(obj)


_DONE_CHUNK = Chunk(done=True)
_LONG_NUMBER = re.compile(rb"\d{19}")
"""A number orjson may read as a float where the standard library reads an int (beyond 64
bits): an event with ``usage`` or ``timings`` that holds one is read the standard way."""


def parse_data_bytes(payload: bytes) -> Chunk:
    """:func:`parse_data` of a payload as received (bytes): the same chunk or error, faster.

    A completion chunk is read with orjson straight from the bytes; anything else (``[DONE]``
    aside) — an error event, JSON that orjson refuses and the standard library accepts
    (``NaN``, lone surrogates), bytes that are not UTF-8, ``usage`` or ``timings`` next to a
    number of 19 digits or more (which orjson may read as a float) — goes through
    :func:`parse_data` as it always did.

    Raises:
        StreamFormatError: as :func:`parse_data`.
    """
    if b"[DONE]" in payload and payload.strip() == b"[DONE]":
        return _DONE_CHUNK
    try:
        obj = orjson.loads(payload)
    except orjson.JSONDecodeError:
        obj = None
    if type(obj) is not dict or "error" in obj or ("choices" not in obj and "usage" not in obj) \
            or (("usage" in obj or "timings" in obj) and _LONG_NUMBER.search(payload)):
        return parse_data(payload.decode("utf-8", errors="replace"))
    return _chunk(obj)


def _chunk(obj: dict[str, Any]) -> Chunk:
    """The chunk of a parsed event object with ``choices`` or ``usage`` and no ``error``."""
    text, finish = "", None
    for choice in obj.get("choices") or ():
        delta = choice.get("delta")
        part = delta.get("content") if isinstance(delta, dict) else choice.get("text")
        if isinstance(part, str):
            text += part
        finish = choice.get("finish_reason") or finish
    usage = obj.get("usage")
    timings = obj.get("timings")
    return Chunk(text=text, finish_reason=finish, usage=usage if isinstance(usage, dict) else None,
                 timings=timings if isinstance(timings, dict) else None)


class SSEDecoder:
    """Incremental decoder: feed bytes as they arrive, get the complete events out."""

    def __init__(self) -> None:
        self._buf = b""

    def feed(self, data: bytes) -> list[Chunk]:
        """Add received bytes; return the chunks of every complete ``data:`` line."""
        buf = self._buf + data if self._buf else data
        if b"\n" not in buf:
            self._buf = buf
            return []
        *lines, self._buf = buf.split(b"\n")
        return [c for line in lines if (c := _line(line.rstrip(b"\r"))) is not None]

    def close(self) -> list[Chunk]:
        """End of body: parse a last line that had no newline."""
        line, self._buf = self._buf.rstrip(b"\r"), b""
        chunk = _line(line) if line else None
        return [] if chunk is None else [chunk]


def _line(line: bytes) -> Chunk | None:
    # comments (":"), blank lines and event:/id:/retry: fields carry nothing an OpenAI
    # stream needs
    if not line.startswith(b"data:"):
        return None
    return parse_data_bytes(line[5:])
