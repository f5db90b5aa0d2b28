"""The proxy against the reference engine's truth: a testbed case's load sent *through the proxy*
(streamed and, for a share of the requests, non-streamed), the proxy measuring the engine's
simulated RAPL counter with the real RAPL meter and attributing its windows, and every request's
attributed energy (read back at ``/wattprint/requests/<id>``) compared with what the engine
really spent on it (:mod:`wattprint.serving.reference.testbed`: same cases, costs, targets and
statistics).

The client here is a plain open-loop sender that keeps each request's id (the load generator
does not read response headers); requests are told apart by their prompts, as the testbed does.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wattprint.meters.energy_meter import EnergyMeter
from wattprint.meters.rapl import RaplMeter
from wattprint.serving.arrivals import open_loop_offsets
from wattprint.serving.proxy.book import FINAL
from wattprint.serving.proxy.config import ProxyConfig
from wattprint.serving.proxy.service import ProxyService, ProxyThread
from wattprint.serving.reference.process import ReferenceProcess
from wattprint.serving.reference.testbed import Case, CaseResult, RequestComparison, score
from wattprint.serving.reference.truth import RequestTruth, read_truth


@dataclass(frozen=True)
class Sent:
    """One request as the test client saw it.

    Attributes:
        prompt: Its prompt.
        stream: Whether it asked for a stream.
        rid: The proxy's request id (None when no answer came).
        http_status: The answer's status.
        body: The answer's bytes.
        headers: The answer's headers.
    """

    prompt: str
    stream: bool
    rid: str | None
    http_status: int | None
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ProxyCaseRun:
    """A case after it ran through the proxy.

    Attributes:
        case: The case.
        sent: Every request the client sent.
        lookups: Request id → the proxy's record of it (``/wattprint/requests/<id>``).
        windows: The attributed windows' summaries (``/wattprint/status``).
        status: The proxy's status at the end.
        truth: The engine's truth.
        metrics: The proxy's metrics text at the end.
    """

    case: Case
    sent: tuple[Sent, ...]
    lookups: dict[str, dict[str, Any]]
    windows: tuple[dict[str, Any], ...]
    status: dict[str, Any]
    truth: tuple[RequestTruth, ...]
    metrics: str = ""


async def send_case(url: str, model: str, prompts: Sequence[tuple[str, int]],
                    offsets: Sequence[float], streams: Sequence[bool], *,
                    timeout_s: float, headers: dict[str, str] | None = None) -> list[Sent]:
    """Send chat requests at ``offsets`` (s from now), reading each answer whole."""
    import aiohttp

    async def one(session: aiohttp.ClientSession, prompt: str, max_tokens: int, stream: bool,
                  delay: float) -> Sent:
        await asyncio.sleep(max(delay, 0.0))
        body: dict[str, Any] = {"model": model, "max_tokens": max_tokens, "stream": stream,
                                "messages": [{"role": "user", "content": prompt}]}
        if stream:
            body["stream_options"] = {"include_usage": True}
        try:
            async with session.post(url + "/v1/chat/completions", json=body,
                                    headers=headers or {},
                                    timeout=aiohttp.ClientTimeout(total=timeout_s)) as r:
                data = await r.read()
                return Sent(prompt, stream, r.headers.get("x-wattprint-request-id"), r.status,
                            data, dict(r.headers))
        except (aiohttp.ClientError, asyncio.TimeoutError):
            return Sent(prompt, stream, None, None)

    t0 = time.monotonic()
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        return list(await asyncio.gather(*(
            one(session, p, m, s, t0 + off - time.monotonic())
            for (p, m), off, s in zip(prompts, offsets, streams))))


def run_proxy_case(case: Case, folder: str | Path, *, window_s: float = 2.0,
                   lag_s: float = 1.0, whole_every: int = 0, settle_s: float = 120.0,
                   window_process: bool = True,
                   log: Callable[[str], None] = lambda m: None) -> ProxyCaseRun:
    """Start the engine, put the proxy in front of it, send the case through the proxy, wait
    until every answered request is attributed to its end, stop both.

    Args:
        case: The case (its arrivals must be open loop: ``poisson`` or ``gamma``).
        folder: Where the engine keeps its counter and truth.
        window_s, lag_s: The proxy's windows.
        whole_every: Every ``whole_every``-th request asks for a whole (non-streamed) answer
            (0: none).
        settle_s: Longest wait for the attribution after the load, s.
        window_process: Split the windows in a worker process (as ``wattprint proxy`` does)
            rather than a thread.
        log: Progress messages.
    """
    d = Path(folder)
    d.mkdir(parents=True, exist_ok=True)
    a = case.arrivals
    offsets = open_loop_offsets(len(case.prompts), a.rate_rps or 1.0, a.burstiness, case.seed)
    streams = [not (whole_every and (k + 1) % whole_every == 0) for k in range(len(case.prompts))]
    with ReferenceProcess(case.engine, d / "engine") as srv:
        meter = EnergyMeter(meters=[RaplMeter(str(srv.powercap_root))],
                            proc_root=str(srv.proc_root), interval_s=case.interval_s)
        cfg = ProxyConfig(upstream=srv.url, port=0, window_s=window_s, lag_s=lag_s,
                          idle_s=case.idle_s, interval_s=case.interval_s, energy="measure")
        svc = ProxyService(cfg, meter=meter, log=log, window_process=window_process)
        try:
            with ProxyThread(svc) as proxy:
                sent = asyncio.run(send_case(proxy.url, case.engine.model, case.prompts,
                                             offsets, streams, timeout_s=case.timeout_s))
                rids = [s.rid for s in sent if s.rid is not None]
                deadline = time.monotonic() + settle_s
                while time.monotonic() < deadline:
                    states = proxy.call(lambda: [svc.book.lookup(r).state  # type: ignore[union-attr]
                                                  for r in rids])
                    if all(st == FINAL for st in states):
                        break
                    time.sleep(0.2)
                lookups = proxy.call(lambda: {r: svc.book.lookup(r).to_dict(  # type: ignore[union-attr]
                    svc._boundary(), "measured") for r in rids})
                windows = tuple(proxy.call(lambda: list(svc.windows)))
                status = proxy.call(svc.status)
                text = proxy.call(svc.metrics.text).decode()
        finally:
            meter.close()
    return ProxyCaseRun(case, tuple(sent), lookups, windows, status,
                        tuple(read_truth(d / "engine")), text)


def compare_proxy(run: ProxyCaseRun) -> CaseResult:
    """Every request's attributed energy against its truth (the testbed's statistics)."""
    by_prompt = {t.prompt: t for t in run.truth}
    rows = []
    for k, s in enumerate(run.sent):
        t = by_prompt.get(s.prompt)
        look = run.lookups.get(s.rid or "")
        if t is None or look is None:
            raise RuntimeError(f"proxy testbed {run.case.name}: request {k} has no "
                               f"{'truth' if t is None else 'record in the proxy'}")
        att = look.get("attributed") or {}
        rows.append(RequestComparison(k, str(look["status"]), t.outcome, t.prefill_j,
                                      t.decode_j, float(att.get("prefill_j") or 0.0),
                                      float(att.get("decode_j") or 0.0)))
    dynamic = sum(w["window_j"] - w["idle_j"] for w in run.windows)
    last = run.windows[-1]["weights"] if run.windows else {}
    return score(run.case.name, "phase-occupancy-v2 (proxy windows)", rows, dynamic,
                 {k: last.get(k) for k in ("prefill_j_per_token", "decode_j_per_token",
                                           "source")},
                 {}, sorted({f for w in run.windows for f in w["flags"]}))
