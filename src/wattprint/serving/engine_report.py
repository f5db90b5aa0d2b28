"""What an engine reports about its own phases over a load point: Prometheus histograms and
counters scraped from its ``/metrics`` page before and after the point.

vLLM's names are understood (``vllm:request_queue_time_seconds``,
``vllm:request_prefill_time_seconds``, ``vllm:request_decode_time_seconds`` histograms, whose
``_sum``/``_count`` give total seconds and requests; ``vllm:prompt_tokens_total`` and
``vllm:generation_tokens_total`` counters). Label sets are summed. An engine without the page,
or with none of these names, reports nothing (None), which is not an error: the per-request
``timings`` of llama.cpp come with the responses instead (:class:`~.records.EngineTimings`).
The page is parsed here (a few lines of the text format), so the serving client needs no
Prometheus library.
"""

from __future__ import annotations

import math
import urllib.error
import urllib.request
from dataclasses import dataclass

QUEUE = "vllm:request_queue_time_seconds"
PREFILL = "vllm:request_prefill_time_seconds"
DECODE = "vllm:request_decode_time_seconds"
PROMPT_TOKENS = "vllm:prompt_tokens_total"
GENERATION_TOKENS = "vllm:generation_tokens_total"
SOURCE = "prometheus (vLLM names)"


def parse_prometheus(text: str) -> dict[str, float]:
    """Sample name → value summed over its label sets (comments and bad lines skipped)."""
    out: dict[str, float] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if "{" in line:
            name, _, rest = line.partition("{")
            rest = rest.rpartition("}")[2]
        else:
            name, _, rest = line.partition(" ")
        parts = rest.split()
        if not parts:
            continue
        try:
            value = float(parts[0])
        except ValueError:
            continue
        if math.isfinite(value):
            out[name.strip()] = out.get(name.strip(), 0.0) + value
    return out


@dataclass(frozen=True)
class PhaseCounters:
    """One scrape: cumulative seconds and request counts per phase, and token counters
    (None where the engine has no such metric)."""

    queue_s: float | None
    queue_n: float | None
    prefill_s: float | None
    prefill_n: float | None
    decode_s: float | None
    decode_n: float | None
    prompt_tokens: float | None
    generation_tokens: float | None

    @classmethod
    def from_samples(cls, s: dict[str, float]) -> PhaseCounters | None:
        """From :func:`parse_prometheus` output; None when none of the names is there."""
        names = (f"{QUEUE}_sum", f"{QUEUE}_count", f"{PREFILL}_sum", f"{PREFILL}_count",
                 f"{DECODE}_sum", f"{DECODE}_count", PROMPT_TOKENS, GENERATION_TOKENS)
        vals = [s.get(n) for n in names]
        if all(v is None for v in vals):
            return None
        return cls(*vals)


@dataclass(frozen=True)
class EnginePhaseTotals:
    """What the engine counted over one load point (after minus before).

    Attributes:
        source: Where the numbers come from.
        queue_s, prefill_s, decode_s: Total seconds requests spent queued, in prefill
            (scheduled to first token) and in decode (first to last token); None if not reported.
        requests: Requests the histograms observed over the point.
        prompt_tokens, generation_tokens: Tokens the engine processed and generated.
    """

    source: str
    queue_s: float | None
    prefill_s: float | None
    decode_s: float | None
    requests: int | None
    prompt_tokens: int | None
    generation_tokens: int | None


def _delta(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or b < a:   # missing, or the engine restarted (counter reset)
        return None
    return b - a


def phase_totals(before: PhaseCounters | None, after: PhaseCounters | None
                 ) -> EnginePhaseTotals | None:
    """The engine's totals between two scrapes; None without both."""
    if before is None or after is None:
        return None
    n = _delta(before.queue_n, after.queue_n)
    pt = _delta(before.prompt_tokens, after.prompt_tokens)
    gt = _delta(before.generation_tokens, after.generation_tokens)
    return EnginePhaseTotals(SOURCE, _delta(before.queue_s, after.queue_s),
                             _delta(before.prefill_s, after.prefill_s),
                             _delta(before.decode_s, after.decode_s),
                             None if n is None else int(round(n)),
                             None if pt is None else int(round(pt)),
                             None if gt is None else int(round(gt)))


def scrape(endpoint: str, timeout_s: float = 5.0) -> PhaseCounters | None:
    """GET ``{endpoint}/metrics`` and read the phase counters; None when the engine serves no
    such page or none of the names (never raises for that)."""
    url = endpoint.rstrip("/") + "/metrics"
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as resp:  # noqa: S310 (http only)
            if resp.status != 200:
                return None
            text = resp.read().decode("utf-8", errors="replace")
    except (urllib.error.URLError, OSError, ValueError):
        return None
    return PhaseCounters.from_samples(parse_prometheus(text))
