"""Run one load point: send requests on an arrival process from one asyncio client process.

The client checks itself: it records its own CPU time and each request's send lag (actual minus
scheduled send time). A load point whose p99 send lag exceeds ``max_lag_s`` is flagged, and the
CLI refuses it, because then the client, not the server, shaped the load.

Ctrl-C (SIGINT) stops new sends; requests in flight get ``drain_timeout_s`` to finish and are
then cancelled and recorded as ``cancelled``.
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import psutil

from wattprint.serving.arrivals import Arrivals, open_loop_offsets
from wattprint.serving.client import Counter, send
from wattprint.serving.engines import API_PATHS, EngineProfile, request_body
from wattprint.serving.prompt_tokens import as_prompt
from wattprint.serving.prompts import RequestSpec
from wattprint.serving.records import RequestRecord


@dataclass(frozen=True)
class Target:
    """Where and how to send.

    Attributes:
        endpoint: Base URL, e.g. ``http://127.0.0.1:8000``.
        model: Served model name.
        api: ``chat`` or ``completions``.
        engine: The engine profile (length forcing fields).
        fixed_length: Force outputs to exactly ``max_tokens`` where the engine can.
        extra: Extra request fields (``--extra-body``).
        timeout_s: Per-request limit, seconds.
    """

    endpoint: str
    model: str
    api: str
    engine: EngineProfile
    fixed_length: bool = True
    extra: dict[str, Any] = field(default_factory=dict)
    timeout_s: float = 120.0

    @property
    def url(self) -> str:
        """The full URL of the streaming API."""
        return self.endpoint.rstrip("/") + API_PATHS[self.api]


@dataclass
class LoadRun:
    """What one load point produced on the client side.

    Attributes:
        arrivals: The arrival process.
        records: One per request (in schedule order).
        started_s, ended_s: Monotonic time of the first scheduled send and of the last end.
        client_cpu_s: CPU seconds the client process used during the point.
        interrupted: Ctrl-C stopped it early.
    """

    arrivals: Arrivals
    records: list[RequestRecord]
    started_s: float
    ended_s: float
    client_cpu_s: float
    interrupted: bool = False

    @property
    def client_cpu_fraction(self) -> float:
        """Client CPU time over wall time (1.0 = one full core)."""
        wall = self.ended_s - self.started_s
        return self.client_cpu_s / wall if wall > 0 else 0.0

    def send_lags_s(self) -> list[float]:
        """Send lags (actual minus scheduled send) of every sent request, seconds."""
        return [r.send_lag_s for r in self.records if r.send_lag_s is not None]


def _cpu_s() -> float:
    t = psutil.Process().cpu_times()
    return t.user + t.system


async def run_point(target: Target, requests: Sequence[RequestSpec], arrivals: Arrivals, *,
                    count_tokens: Counter | None = None, seed: int = 0,
                    drain_timeout_s: float = 30.0,
                    clock: Callable[[], float] = time.monotonic) -> LoadRun:
    """Send ``requests`` on ``arrivals`` and record each.

    Args:
        target: Endpoint, model and request shape.
        requests: The requests; for ``trace`` arrivals each carries its ``offset_s``.
        arrivals: The arrival process.
        count_tokens: Tokenizer counter for servers that give no ``usage``.
        seed: Seed of the open-loop schedule.
        drain_timeout_s: After Ctrl-C, how long in-flight requests may still run, seconds.
        clock: Monotonic clock.
    """
    n = len(requests)
    if arrivals.kind in ("poisson", "gamma"):
        offsets: list[float] | None = open_loop_offsets(n, arrivals.rate_rps or 0.0,
                                                        arrivals.burstiness, seed)
    elif arrivals.kind == "trace":
        offsets = [r.offset_s or 0.0 for r in requests]
    else:
        offsets = None
    records = [RequestRecord(index=i, scheduled_s=0.0) for i in range(n)]
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    try:
        loop.add_signal_handler(signal.SIGINT, stop.set)
        own_handler = True
    except (NotImplementedError, RuntimeError, ValueError):  # not the main thread, or Windows
        own_handler = False
    forced = target.fixed_length and target.engine.forces_length
    connector = aiohttp.TCPConnector(limit=0, force_close=False)
    cpu0 = _cpu_s()
    async with aiohttp.ClientSession(connector=connector) as session:

        def launch(i: int) -> asyncio.Task[RequestRecord]:
            spec = requests[i]
            body = request_body(target.api, target.model, spec.prompt, spec.max_tokens,
                                target.fixed_length, target.engine, target.extra)
            return asyncio.create_task(send(session, target.url, body, records[i],
                                            timeout_s=target.timeout_s,
                                            prompt=as_prompt(target.api, spec.prompt),
                                            count_tokens=count_tokens, clock=clock,
                                            length_forced=forced))

        t0 = clock() + 0.02
        tasks: list[asyncio.Task[RequestRecord]] = []
        if offsets is not None:
            for i, off in enumerate(offsets):
                due = t0 + off
                while not stop.is_set() and (delay := due - clock()) > 0:
                    await asyncio.sleep(min(delay, 0.25))   # short naps: Ctrl-C stops promptly
                if stop.is_set():
                    break
                records[i].scheduled_s = due
                tasks.append(launch(i))
        else:
            tasks = await _closed_loop(n, arrivals.concurrency or 1, records, launch, stop, clock, t0)
        if tasks:
            done, pending = await asyncio.wait(
                tasks, timeout=drain_timeout_s if stop.is_set() else None)
            for t in pending:
                t.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
    if own_handler:
        loop.remove_signal_handler(signal.SIGINT)
    cpu = _cpu_s() - cpu0
    sent = [r for r in records if r.sent_s is not None]
    ends = [r.end_s for r in sent if r.end_s is not None]
    return LoadRun(arrivals, sent, t0, max(ends) if ends else clock(), cpu, stop.is_set())


async def _closed_loop(n: int, concurrency: int, records: list[RequestRecord],
                       launch: Callable[[int], asyncio.Task[RequestRecord]], stop: asyncio.Event,
                       clock: Callable[[], float], t0: float) -> list[asyncio.Task[RequestRecord]]:
    """Keep ``concurrency`` requests in flight; each is scheduled when a slot frees."""
    nxt = 0
    tasks: list[asyncio.Task[RequestRecord]] = []
    stopped = asyncio.create_task(stop.wait())

    async def worker() -> None:
        nonlocal nxt
        while nxt < n and not stop.is_set():
            i = nxt
            nxt += 1
            records[i].scheduled_s = max(clock(), t0)
            t = launch(i)
            tasks.append(t)
            await asyncio.wait([t, stopped], return_when=asyncio.FIRST_COMPLETED)

    delay = t0 - clock()
    if delay > 0:
        await asyncio.sleep(delay)
    await asyncio.gather(*(worker() for _ in range(min(concurrency, n))))
    stopped.cancel()
    return tasks
