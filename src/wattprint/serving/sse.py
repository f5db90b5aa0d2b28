"""Parse an OpenAI-compatible server-sent-event stream into chunks.

Tolerates what real engines do (``docs/serving.md``): a final ``data: [DONE]``
line or none (transformers serve), ``usage`` inside the last content chunk or in a separate
chunk with ``choices: []`` (vLLM with ``stream_options.include_usage``), comments and blank
keep-alive lines, and ``\\r\\n`` line ends.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

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
        self._buf += data
        out: list[Chunk] = []
        while True:
            nl = self._buf.find(b"\n")
            if nl < 0:
                return out
            line, self._buf = self._buf[:nl].rstrip(b"\r"), self._buf[nl + 1:]
            chunk = _line(line)
            if chunk is not None:
                out.append(chunk)

    def close(self) -> list[Chunk]:
        """End of body: parse a last line that had no newline."""
        line, self._buf = self._buf.rstrip(b"\r"), b""
        chunk = _line(line) if line else None
        return [] if chunk is None else [chunk]


def _line(line: bytes) -> Chunk | None:
    if not line or line.startswith(b":"):
        return None
    if not line.startswith(b"data:"):
        return None  # event:/id:/retry: fields carry nothing an OpenAI stream needs
    return parse_data(line[5:].decode("utf-8", errors="replace"))
