"""What really happened to every request in the reference engine, kept apart from wattprint.

The engine appends one JSON line per request to ``truth.jsonl`` in its folder when the request
ends (completed, cut short, dropped). Nothing in the attribution reads it: only tests and
``bench/serving_truth.py`` compare the attribution against it.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

TRUTH_FILE = "truth.jsonl"
STEPS_FILE = "steps.jsonl"
"""Every engine step as ``[start s, end s, planned s, dynamic J]`` (flushed when the engine
stops), to rebuild the machine's true energy at any time (:func:`true_energy_j`)."""

OUTCOMES = ("completed", "interrupted", "cancelled_queued", "aborted_running",
            "completed_unread")
"""How a request ended in the engine: ran to ``max_tokens``; cut short by a newer request
(``interrupt``); its client left while it was queued (no work at all); its client left while
it ran and the engine stopped it; its client left and the engine ran it to the end anyway."""


@dataclass
class RequestTruth:
    """One request as the engine saw it (monotonic seconds of this machine; J of dynamic
    energy, idle power excluded).

    Attributes:
        rid: The engine's request number (arrival order).
        prompt: The prompt text (chat: the messages' contents joined by newlines).
        prompt_tokens: Whitespace-separated words of the prompt (the engine's tokenizer).
        max_tokens: Output tokens asked for.
        arrival_s: When the request reached the engine.
        admitted_s: When its prefill step started; None if it never ran.
        first_token_s: End of its prefill step (its first token); None if none.
        last_token_s: When its last token was produced; None if none.
        end_s: When it left the engine.
        generated_tokens: Tokens produced (the client may have read fewer).
        prefill_j: Its prompt tokens times the per-token prefill energy, J.
        decode_j: Its decoded tokens after the first times the per-token decode energy, J.
        outcome: One of :data:`OUTCOMES`.
    """

    rid: int
    prompt: str
    prompt_tokens: int
    max_tokens: int
    arrival_s: float
    admitted_s: float | None = None
    first_token_s: float | None = None
    last_token_s: float | None = None
    end_s: float | None = None
    generated_tokens: int = 0
    prefill_j: float = 0.0
    decode_j: float = 0.0
    outcome: str = "running"

    @property
    def energy_j(self) -> float:
        """Prefill plus decode energy, J."""
        return self.prefill_j + self.decode_j

    @property
    def queued_s(self) -> float | None:
        """Arrival to the start of its prefill (to its end when it never ran), s."""
        end = self.admitted_s if self.admitted_s is not None else self.end_s
        return None if end is None else end - self.arrival_s

    @property
    def prefill_s(self) -> float | None:
        """Its prefill step, s (None when it never produced a token)."""
        if self.admitted_s is None or self.first_token_s is None:
            return None
        return self.first_token_s - self.admitted_s

    @property
    def decode_s(self) -> float | None:
        """First to last token, s."""
        if self.first_token_s is None or self.last_token_s is None:
            return None
        return self.last_token_s - self.first_token_s

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RequestTruth:
        """Rebuild from :meth:`to_dict` output (unknown keys ignored)."""
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})


def read_truth(folder: str | Path) -> list[RequestTruth]:
    """Every finished request's truth, in the order they ended."""
    path = Path(folder) / TRUTH_FILE
    if not path.exists():
        return []
    return [RequestTruth.from_dict(json.loads(line))
            for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def read_steps(folder: str | Path) -> list[tuple[float, float, float, float]]:
    """Every step of the engine: (start s, end s, planned s, dynamic J)."""
    path = Path(folder) / STEPS_FILE
    if not path.exists():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            a, b, c, d = json.loads(line)
            out.append((float(a), float(b), float(c), float(d)))
    return out


def true_dynamic_j(steps: list[tuple[float, float, float, float]], t: float) -> float:
    """The engine's cumulative dynamic energy at ``t`` (monotonic s), J, as its ledger adds
    it: each step's energy at a constant rate over its planned duration from its start."""
    e = 0.0
    for start, end, planned, j in steps:
        if t <= start:
            continue
        if t >= end:
            e += j
        else:
            e += j * (1.0 if planned <= 0 else min(1.0, (t - start) / planned))
    return e
