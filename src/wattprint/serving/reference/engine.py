"""The reference engine's scheduler: a FIFO queue, steps, and every request's truth.

One asyncio task runs steps while any request is running (:mod:`.config` gives their time and
energy). Admission is first come, first served, up to the batch limit; an admitted request's
whole prompt is processed in its first step (or, with ``prefill_chunk_tokens``, over as many
steps as the budget needs, earlier arrivals first), which also produces its first token; every
later step produces one token of every running request. Tokens are handed to the request's HTTP
handler through a queue, so a step never waits for a slow client.
"""

from __future__ import annotations

import asyncio
import collections
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from wattprint.serving.reference.config import ReferenceConfig
from wattprint.serving.reference.ledger import EnergyLedger
from wattprint.serving.reference.metrics import EngineMetrics
from wattprint.serving.reference.truth import STEPS_FILE, TRUTH_FILE, RequestTruth


@dataclass(frozen=True)
class Token:
    """One produced token (its position in the output, from 0)."""

    position: int


@dataclass(frozen=True)
class End:
    """The end of a stream: ``finish_reason`` (``length``), or None (dropped, or cut short by
    an interrupt: llama-cpp-python ends a cut stream with no ``finish_reason``)."""

    finish_reason: str | None


@dataclass
class Active:
    """A request inside the engine."""

    truth: RequestTruth
    events: asyncio.Queue[Token | End] = field(default_factory=asyncio.Queue)
    prompt_done: int = 0
    prefilled: bool = False
    cut: bool = False
    client_gone: bool = False
    done: bool = False


def count_tokens(text: str) -> int:
    """The engine's tokenizer: whitespace-separated words."""
    return len(text.split())


class ReferenceEngine:
    """Schedule requests and keep their truth.

    Args:
        cfg: The engine's configuration.
        ledger: The machine's energy ledger (steps are entered in it).
        folder: Where ``truth.jsonl`` is written (None: kept in memory only).
    """

    def __init__(self, cfg: ReferenceConfig, ledger: EnergyLedger,
                 folder: str | Path | None = None) -> None:
        self.cfg = cfg
        self.ledger = ledger
        self.metrics = EngineMetrics(cfg.model)
        self.waiting: collections.deque[Active] = collections.deque()
        self.running: list[Active] = []
        self.finished: list[RequestTruth] = []
        self._next_rid = 0
        self._wake: asyncio.Event | None = None
        self._truth_file: IO[str] | None = None
        self._steps_file: IO[str] | None = None
        if folder is not None:
            self._truth_file = open(Path(folder) / TRUTH_FILE, "a", encoding="utf-8")
            self._steps_file = open(Path(folder) / STEPS_FILE, "a", encoding="utf-8")

    def close(self) -> None:
        """Close the truth file. Idempotent."""
        for f in (self._truth_file, self._steps_file):
            if f is not None:
                f.close()
        self._truth_file = self._steps_file = None

    # ----------------------------------------------------------------- requests
    def submit(self, prompt: str, max_tokens: int) -> Active:
        """Queue a request (call from the engine's event loop)."""
        t = self.ledger.read()[0]
        a = Active(RequestTruth(self._next_rid, prompt, count_tokens(prompt), max(1, max_tokens), t))
        self._next_rid += 1
        if self.cfg.interrupt:
            for r in self.running:
                r.cut = True
        self.waiting.append(a)
        if self._wake is not None:
            self._wake.set()
        return a

    def client_left(self, a: Active) -> None:
        """The client of ``a`` went away: a queued request is dropped with no work; a running
        one is stopped after the current step when ``abort_on_disconnect``."""
        a.client_gone = True
        if a.done:
            return
        if a in self.waiting:
            self.waiting.remove(a)
            self._finish(a, self.ledger.read()[0], None, "cancelled_queued")

    # ----------------------------------------------------------------- the loop
    async def run(self) -> None:
        """Run steps forever (cancel the task to stop)."""
        self._wake = asyncio.Event()
        while True:
            self._admit()
            if not self.running:
                self._wake.clear()
                await self._wake.wait()
                continue
            await self._step()

    def _admit(self) -> None:
        while self.waiting and len(self.running) < self.cfg.batch_limit:
            self.running.append(self.waiting.popleft())

    async def _step(self) -> None:
        cfg = self.cfg
        budget = cfg.prefill_chunk_tokens if cfg.prefill_chunk_tokens is not None else 1 << 62
        prefill: list[tuple[Active, int]] = []
        for a in self.running:
            rest = a.truth.prompt_tokens - a.prompt_done
            if a.prefilled or (budget <= 0 and rest > 0):
                continue
            take = min(rest, budget)
            prefill.append((a, take))
            budget -= take
        decode = [a for a in self.running if a.prefilled]
        p_tok = sum(take for _, take in prefill)
        start = self.ledger.begin_step(cfg.step_energy_j(p_tok, len(decode)),
                                       cfg.step_time_s(p_tok, len(decode)))
        for a, _ in prefill:
            if a.truth.admitted_s is None:
                a.truth.admitted_s = start
        planned = cfg.step_time_s(p_tok, len(decode))
        try:
            await asyncio.sleep(planned)
        finally:
            t = self.ledger.end_step()
        if self._steps_file is not None:
            self._steps_file.write(json.dumps(
                [start, t, planned, cfg.step_energy_j(p_tok, len(decode))]) + "\n")
        for a, take in prefill:
            a.prompt_done += take
            a.truth.prefill_j += take * cfg.prefill_j_per_token
            self.metrics.prompt_tokens += take
            if a.prompt_done >= a.truth.prompt_tokens:
                a.prefilled = True
                a.truth.first_token_s = t
                self._emit(a, t)
        for a in decode:
            a.truth.decode_j += cfg.decode_j_per_token
            self._emit(a, t)
        for a in list(self.running):
            if not a.prefilled:
                if a.client_gone and cfg.abort_on_disconnect:
                    self._finish(a, t, None, "aborted_running")
                continue
            if a.truth.generated_tokens >= a.truth.max_tokens:
                self._finish(a, t, "length", "completed_unread" if a.client_gone else "completed")
            elif a.client_gone and cfg.abort_on_disconnect:
                self._finish(a, t, None, "aborted_running")
            elif a.cut:
                self._finish(a, t, None, "interrupted")   # as llama-cpp-python: no reason

    def _emit(self, a: Active, t: float) -> None:
        a.events.put_nowait(Token(a.truth.generated_tokens))
        a.truth.generated_tokens += 1
        a.truth.last_token_s = t
        self.metrics.generation_tokens += 1

    def _finish(self, a: Active, t: float, reason: str | None, outcome: str) -> None:
        a.done = True
        if a in self.running:
            self.running.remove(a)
        tr = a.truth
        tr.end_s, tr.outcome = t, outcome
        if tr.admitted_s is not None:
            self.metrics.queue.observe(tr.admitted_s - tr.arrival_s)
            if tr.first_token_s is not None and tr.last_token_s is not None:
                self.metrics.prefill.observe(tr.first_token_s - tr.admitted_s)
                self.metrics.decode.observe(tr.last_token_s - tr.first_token_s)
        if outcome == "completed":
            self.metrics.success += 1
        a.events.put_nowait(End(reason))
        self.finished.append(tr)
        if self._truth_file is not None:
            self._truth_file.write(json.dumps(tr.to_dict()) + "\n")
            self._truth_file.flush()
