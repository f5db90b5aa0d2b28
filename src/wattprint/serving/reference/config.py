"""The reference engine's configuration: how long and how much energy every token costs.

The engine runs *steps* like a continuous-batching server. A step processes the prompts of the
requests admitted in it (prefill) and one token of every other running request (decode); it lasts

    ``step_s + prefill_tokens * prefill_s_per_token + decode_tokens * decode_s_per_token``

seconds and costs exactly

    ``prefill_tokens * prefill_j_per_token + decode_tokens * decode_j_per_token``

joules of dynamic energy, spread evenly over the step, on top of a constant ``idle_power_w``.
The dynamic energy is linear in tokens, so every request's true energy is defined without any
model: its prompt tokens times ``prefill_j_per_token`` plus its decoded tokens (after the first,
which the prefill step emits) times ``decode_j_per_token``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Any

from wattprint.errors import ConfigError

MODES = ("serial", "batched")
DIALECTS = ("llamacpp", "vllm", "mute")
REAL_RAPL_RANGE_UJ = 262143328850
"""A real ``max_energy_range_uj`` (an Intel Xeon package zone)."""


@dataclass(frozen=True)
class ReferenceConfig:
    """One reference engine.

    Attributes:
        model: The served model name.
        mode: ``serial`` (one request at a time, like llama.cpp's server) or ``batched``
            (continuous batching up to ``max_batch`` running requests, FIFO admission).
        max_batch: Running requests at most (``batched``; ``serial`` is 1).
        step_s: Fixed time of every step, s.
        prefill_s_per_token: Time per prompt token in a step, s.
        decode_s_per_token: Time per decoded sequence in a step, s.
        prefill_j_per_token: Dynamic energy per prompt token, J.
        decode_j_per_token: Dynamic energy per decoded token, J.
        idle_power_w: Constant power drawn whatever the engine does, W.
        dialect: How the engine reports its phases: ``llamacpp`` (``timings`` in the last chunk
            of every stream: ``prompt_n``, ``prompt_ms``, ``predicted_n``, ``predicted_ms``),
            ``vllm`` (Prometheus histograms and counters at ``/metrics`` under vLLM's names) or
            ``mute`` (nothing: the client has to model the phases).
        report_usage: Send ``usage`` when ``stream_options.include_usage`` asks for it
            (False: never, like a server that counts nothing).
        prefill_chunk_tokens: Prompt tokens one step processes at most (chunked prefill, as
            vLLM does with a token budget): a longer prompt takes several steps, and its first
            token comes at the end of the last. None: a whole prompt in one step.
        interrupt: ``serial`` only: a new request cuts the running one short after the current
            step (llama.cpp's server with ``--interrupt_requests``); its stream ends early,
            with no ``finish_reason`` (as llama-cpp-python's does), so the client records it
            ``truncated``.
        abort_on_disconnect: Stop a running request whose client went away (False: run it to
            its end, unread). A *queued* request whose client went away is always dropped
            without any work.
        counter_period_s: How often the simulated energy counter is updated, s.
        max_energy_range_uj: Where the simulated counter wraps, µJ.
    """

    model: str = "reference-lm"
    mode: str = "batched"
    max_batch: int = 8
    step_s: float = 0.02
    prefill_s_per_token: float = 0.0005
    decode_s_per_token: float = 0.002
    prefill_j_per_token: float = 0.02
    decode_j_per_token: float = 0.25
    idle_power_w: float = 20.0
    dialect: str = "mute"
    report_usage: bool = True
    prefill_chunk_tokens: int | None = None
    interrupt: bool = False
    abort_on_disconnect: bool = True
    counter_period_s: float = 0.005
    max_energy_range_uj: int = REAL_RAPL_RANGE_UJ

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ConfigError(f"reference engine mode {self.mode!r}: expected one of {MODES}")
        if self.dialect not in DIALECTS:
            raise ConfigError(f"reference engine dialect {self.dialect!r}: expected one of "
                              f"{DIALECTS}")
        for name in ("step_s", "prefill_s_per_token", "decode_s_per_token",
                     "prefill_j_per_token", "decode_j_per_token", "idle_power_w"):
            v = getattr(self, name)
            if not (isinstance(v, (int, float)) and math.isfinite(v) and v >= 0):
                raise ConfigError(f"reference engine {name}: expected a finite number >= 0, "
                                  f"got {v!r}")
        if not self.counter_period_s > 0:
            raise ConfigError(f"reference engine counter_period_s must be > 0, got "
                              f"{self.counter_period_s!r}")
        if self.step_s + self.decode_s_per_token <= 0:
            raise ConfigError("reference engine: a decode step must take some time "
                              "(step_s + decode_s_per_token > 0)")
        if not (isinstance(self.max_batch, int) and self.max_batch >= 1):
            raise ConfigError(f"reference engine max_batch must be an integer >= 1, got "
                              f"{self.max_batch!r}")
        if self.prefill_chunk_tokens is not None and not (
                isinstance(self.prefill_chunk_tokens, int) and self.prefill_chunk_tokens >= 1):
            raise ConfigError(f"reference engine prefill_chunk_tokens must be an integer >= 1 "
                              f"or None, got {self.prefill_chunk_tokens!r}")
        if self.interrupt and self.mode != "serial":
            raise ConfigError("reference engine: interrupt applies to the serial mode only")
        if self.max_energy_range_uj < 1_000_000:
            raise ConfigError("reference engine max_energy_range_uj must be >= 1 J (1000000 µJ)")

    @property
    def batch_limit(self) -> int:
        """Running requests at most (1 in ``serial`` mode)."""
        return 1 if self.mode == "serial" else self.max_batch

    def step_time_s(self, prefill_tokens: int, decode_tokens: int) -> float:
        """Duration of a step with that many prompt and decode tokens, s."""
        return (self.step_s + prefill_tokens * self.prefill_s_per_token
                + decode_tokens * self.decode_s_per_token)

    def step_energy_j(self, prefill_tokens: int, decode_tokens: int) -> float:
        """Dynamic energy of a step with that many prompt and decode tokens, J."""
        return prefill_tokens * self.prefill_j_per_token + decode_tokens * self.decode_j_per_token

    def to_dict(self) -> dict[str, Any]:
        """Every field, JSON-ready."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ReferenceConfig:
        """Rebuild from :meth:`to_dict` output.

        Raises:
            ConfigError: an unknown field (named) or a bad value.
        """
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - names)
        if unknown:
            raise ConfigError(f"reference engine: unknown field(s) {unknown}; valid: "
                              f"{sorted(names)}")
        return cls(**d)
