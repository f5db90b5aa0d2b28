"""Prometheus text of the reference engine's ``vllm`` dialect, under vLLM's metric names.

Histograms ``vllm:request_queue_time_seconds`` (arrival to first scheduled),
``vllm:request_prefill_time_seconds`` (first scheduled to first token),
``vllm:request_decode_time_seconds`` (first to last token), observed when a request that ran
leaves the engine; counters ``vllm:prompt_tokens_total`` (added at each prefill) and
``vllm:generation_tokens_total`` (added at each produced token, read or not), and
``vllm:request_success_total``.
"""

from __future__ import annotations

import bisect

BUCKETS_S = (0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0,
             7.5, 10.0, 20.0, 40.0, 80.0)
QUEUE = "vllm:request_queue_time_seconds"
PREFILL = "vllm:request_prefill_time_seconds"
DECODE = "vllm:request_decode_time_seconds"
PROMPT_TOKENS = "vllm:prompt_tokens_total"
GENERATION_TOKENS = "vllm:generation_tokens_total"
SUCCESS = "vllm:request_success_total"


class Histogram:
    """A cumulative Prometheus histogram (seconds)."""

    def __init__(self, name: str, help_text: str) -> None:
        self.name, self.help = name, help_text
        self.counts = [0] * (len(BUCKETS_S) + 1)
        self.sum = 0.0
        self.count = 0

    def observe(self, value_s: float) -> None:
        """Add one observation, s."""
        self.counts[bisect.bisect_left(BUCKETS_S, value_s)] += 1
        self.sum += value_s
        self.count += 1

    def render(self, labels: str) -> list[str]:
        """The exposition lines."""
        out = [f"# HELP {self.name} {self.help}", f"# TYPE {self.name} histogram"]
        cum = 0
        for le, n in zip((*[f"{b}" for b in BUCKETS_S], "+Inf"), self.counts):
            cum += n
            out.append(f'{self.name}_bucket{{{labels},le="{le}"}} {cum}')
        out += [f"{self.name}_sum{{{labels}}} {self.sum!r}", f"{self.name}_count{{{labels}}} {self.count}"]
        return out


class EngineMetrics:
    """The engine's counters and histograms."""

    def __init__(self, model: str) -> None:
        self.labels = f'model_name="{model}"'
        self.queue = Histogram(QUEUE, "Time spent in WAITING phase for request.")
        self.prefill = Histogram(PREFILL, "Time spent in PREFILL phase for request.")
        self.decode = Histogram(DECODE, "Time spent in DECODE phase for request.")
        self.prompt_tokens = 0
        self.generation_tokens = 0
        self.success = 0

    def render(self) -> str:
        """The whole ``/metrics`` page."""
        lines: list[str] = []
        for h in (self.queue, self.prefill, self.decode):
            lines += h.render(self.labels)
        for name, value, what in ((PROMPT_TOKENS, self.prompt_tokens, "prefill tokens processed"),
                                  (GENERATION_TOKENS, self.generation_tokens, "generation tokens"),
                                  (SUCCESS, self.success, "successfully processed requests")):
            base = name.removesuffix("_total")
            lines += [f"# HELP {base} Number of {what}.", f"# TYPE {base} counter",
                      f"{name}{{{self.labels}}} {value}"]
        return "\n".join(lines) + "\n"
