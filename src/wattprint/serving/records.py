"""What the load generator records for every request (one typed record per request).

Times are ``time.monotonic()`` seconds of the client process (the same clock as the meters'
readings, so requests and power samples line up without conversion).
"""

from __future__ import annotations

import enum
import math
from dataclasses import asdict, dataclass, field
from typing import Any


class Status(str, enum.Enum):
    """How a request ended."""

    OK = "ok"
    """The stream ended normally: the expected ``finish_reason`` came and, where the length was
    forced, the server's count of output tokens (when it gave one) is the forced length."""
    TRUNCATED = "truncated"
    """The stream ended early: it closed (or sent ``[DONE]``) with no ``finish_reason``, the
    ``finish_reason`` is not the expected one, or fewer output tokens than forced came. Not a
    success: counted apart, never in per-token figures (see :mod:`wattprint.serving.completeness`)."""
    HTTP_ERROR = "http_error"
    """The server answered with a non-2xx status."""
    TIMEOUT = "timeout"
    """No byte (or no end) within the request timeout."""
    DISCONNECTED = "disconnected"
    """The connection broke mid-stream."""
    PROTOCOL_ERROR = "protocol_error"
    """The body was not an OpenAI-compatible stream."""
    CANCELLED = "cancelled"
    """Stopped by the user (Ctrl-C) before it ended."""

    def __str__(self) -> str:
        return self.value


class TokenSource(str, enum.Enum):
    """Where a token count came from."""

    USAGE = "usage"
    """The server's ``usage`` object."""
    TOKENIZER = "tokenizer"
    """Counted here with the model's tokenizer."""
    CHUNKS = "chunks"
    """Output only: the number of content chunks (one token per chunk, as engines stream)."""
    ENGINE = "engine"
    """The engine's own per-request report (llama.cpp's ``timings.prompt_n``)."""
    ENGINE_TOTAL = "engine-total"
    """Input only: the engine's prompt-token counter over the load point (Prometheus),
    shared among the requests in proportion to their prompts' words."""
    WORDS = "words"
    """Input only, a proxy: whitespace-separated words of the prompt (nothing better known)."""
    NONE = "none"
    """Not known (failed request without usage)."""

    def __str__(self) -> str:
        return self.value


def _number(v: Any) -> float | None:
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) \
        and math.isfinite(v) and v >= 0 else None


@dataclass(frozen=True)
class EngineTimings:
    """Phase times an engine reported for one request (llama.cpp's ``timings`` object).

    Attributes:
        prompt_n: Prompt tokens it processed.
        prompt_ms: Prompt processing (prefill) time, ms.
        predicted_n: Tokens it generated.
        predicted_ms: Generation (decode) time, ms: from the first to the last token.
    """

    prompt_n: int | None = None
    prompt_ms: float | None = None
    predicted_n: int | None = None
    predicted_ms: float | None = None

    @classmethod
    def from_obj(cls, obj: dict[str, Any]) -> EngineTimings | None:
        """From a ``timings`` object; None when it holds none of the four numbers (a field
        that is not a finite number >= 0 is left out, never read as 0)."""
        pn, pm = _number(obj.get("prompt_n")), _number(obj.get("prompt_ms"))
        dn, dm = _number(obj.get("predicted_n")), _number(obj.get("predicted_ms"))
        if pn is None and pm is None and dn is None and dm is None:
            return None
        return cls(None if pn is None else int(pn), pm, None if dn is None else int(dn), dm)


@dataclass
class RequestRecord:
    """One request, from schedule to end.

    Attributes:
        index: Position in the load point's request list.
        scheduled_s: When the arrival process scheduled it (monotonic s).
        sent_s: When the client actually started sending it (monotonic s).
        first_token_s: Arrival of the first content chunk (monotonic s); None if none came.
        token_times_s: Arrival time of every content chunk (monotonic s).
        end_s: When the stream ended or failed (monotonic s).
        status: How it ended.
        error: The error message for a failed request.
        http_status: The HTTP status code, when a response came.
        input_tokens: Prompt tokens (see ``input_token_source``).
        output_tokens: Generated tokens (see ``output_token_source``); 0 for failed requests.
            A truncated request keeps its count, for diagnosis; neither is ever counted in a
            load point's tokens.
        input_token_source, output_token_source: Where the counts came from.
        requested_output_tokens: The ``max_tokens`` asked for.
        length_forced: Whether the request asked for exactly ``requested_output_tokens``
            (fixed lengths on an engine that can force them).
        finish_reason: The server's ``finish_reason`` (``length``, ``stop`` ...).
        chunks: Content chunks received (kept for failed requests too, for diagnosis).
        engine_timings: Phase times the engine reported in the stream, if any.
    """

    index: int
    scheduled_s: float
    sent_s: float | None = None
    first_token_s: float | None = None
    token_times_s: list[float] = field(default_factory=list)
    end_s: float | None = None
    status: Status = Status.CANCELLED
    error: str | None = None
    http_status: int | None = None
    input_tokens: int | None = None
    output_tokens: int = 0
    input_token_source: TokenSource = TokenSource.NONE
    output_token_source: TokenSource = TokenSource.NONE
    requested_output_tokens: int | None = None
    length_forced: bool = False
    finish_reason: str | None = None
    chunks: int = 0
    engine_timings: EngineTimings | None = None

    @property
    def ok(self) -> bool:
        """Whether the request ended normally (neither failed nor truncated)."""
        return self.status is Status.OK

    @property
    def truncated(self) -> bool:
        """Whether the stream ended early (see :attr:`Status.TRUNCATED`)."""
        return self.status is Status.TRUNCATED

    @property
    def tokens_read(self) -> int:
        """Output tokens the client read: the counted output of a stream that ended (``ok`` or
        ``truncated``, whose work was real), else the content chunks (one token each) of a
        request that failed mid-stream."""
        if (self.ok or self.truncated) and self.output_tokens > 0:
            return self.output_tokens
        return self.chunks

    @property
    def send_lag_s(self) -> float | None:
        """Actual minus scheduled send time, seconds."""
        return None if self.sent_s is None else self.sent_s - self.scheduled_s

    @property
    def ttft_s(self) -> float | None:
        """Time to first token from the actual send, seconds."""
        if self.first_token_s is None or self.sent_s is None:
            return None
        return self.first_token_s - self.sent_s

    @property
    def latency_s(self) -> float | None:
        """End minus actual send, seconds."""
        if self.end_s is None or self.sent_s is None:
            return None
        return self.end_s - self.sent_s

    def itls_s(self) -> list[float]:
        """Inter-token latencies (gaps between consecutive content chunks), seconds."""
        t = self.token_times_s
        return [b - a for a, b in zip(t, t[1:])]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (enums as their values)."""
        d = asdict(self)
        d["status"] = self.status.value
        d["input_token_source"] = self.input_token_source.value
        d["output_token_source"] = self.output_token_source.value
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RequestRecord:
        """Rebuild a record from :meth:`to_dict` output."""
        d = dict(d)
        d["status"] = Status(d["status"])
        d["input_token_source"] = TokenSource(d["input_token_source"])
        d["output_token_source"] = TokenSource(d["output_token_source"])
        t = d.get("engine_timings")
        d["engine_timings"] = EngineTimings(**t) if isinstance(t, dict) else None
        return cls(**d)
