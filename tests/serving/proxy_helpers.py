"""Helpers of the proxy tests: a proxy on a free port of 127.0.0.1 in front of an upstream,
measuring a simulated RAPL counter (the reference engine's sysfs tree: the hardware boundary,
at a constant idle power) unless it estimates; plain HTTP calls; the metrics page parsed."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp

from wattprint.meters.energy_meter import EnergyMeter
from wattprint.meters.rapl import RaplMeter
from wattprint.serving.proxy.config import ProxyConfig
from wattprint.serving.proxy.service import ProxyService, ProxyThread
from wattprint.serving.reference.config import REAL_RAPL_RANGE_UJ
from wattprint.serving.reference.sysfs import SimulatedMachine


@contextlib.contextmanager
def proxy(upstream: str, tmp: Path, *, tracer_provider: Any = None, meter: Any = None,
          new_loop: Any = asyncio.new_event_loop, window_process: bool = False, **cfg: Any
          ) -> Iterator[ProxyThread]:
    """A proxy in front of ``upstream`` (``cfg``: :class:`ProxyConfig` fields) on the event
    loop ``new_loop`` makes; ``window_process``: windows split in a worker process."""
    opts = {"port": 0, "window_s": 0.5, "lag_s": 0.2, "idle_s": 0.0, "interval_s": 0.05,
            "energy": "measure", **cfg}
    machine = None
    if meter is None and opts["energy"] == "measure":
        machine = SimulatedMachine(tmp / "machine", 20.0, period_s=0.005,
                                   max_energy_range_uj=REAL_RAPL_RANGE_UJ)
        machine.start()
        meter = EnergyMeter(meters=[RaplMeter(str(machine.powercap_root))],
                            proc_root=str(machine.proc_root), interval_s=opts["interval_s"])
    svc = ProxyService(ProxyConfig(upstream=upstream, **opts), meter=meter,
                       tracer_provider=tracer_provider, log=lambda m: None,
                       window_process=window_process)
    try:
        with ProxyThread(svc, new_loop) as p:
            yield p
    finally:
        if machine is not None:
            meter.close()
            machine.stop()


async def _fetch(method: str, url: str, body: Any = None, headers: dict[str, str] | None = None,
                 timeout_s: float = 30.0) -> tuple[int, dict[str, str], bytes]:
    async with aiohttp.ClientSession() as s:
        async with s.request(method, url, json=body, headers=headers or {},
                             timeout=aiohttp.ClientTimeout(total=timeout_s)) as r:
            return r.status, dict(r.headers), await r.read()


def fetch(method: str, url: str, body: Any = None, headers: dict[str, str] | None = None,
          timeout_s: float = 30.0) -> tuple[int, dict[str, str], bytes]:
    """(status, headers, body) of one request (raises the client's errors)."""
    return asyncio.run(_fetch(method, url, body, headers, timeout_s))


def chat(model: str, n: int = 6, stream: bool = True, text: str = "hello there", **kw: Any
         ) -> dict[str, Any]:
    """A chat request body."""
    return {"model": model, "messages": [{"role": "user", "content": text}], "max_tokens": n,
            "stream": stream, **kw}


def lookup(p: ProxyThread, rid: str) -> dict[str, Any]:
    """The proxy's record of request ``rid``."""
    status, _, body = fetch("GET", f"{p.url}/wattprint/requests/{rid}")
    assert status == 200, body
    return dict(json.loads(body))


_LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


def series(name: str, **labels: str) -> str:
    """The key of a sample in :func:`samples` (labels in name order, whatever order the page
    wrote them in)."""
    if not labels:
        return name
    return name + "{" + ",".join(f'{k}="{v}"' for k, v in sorted(labels.items())) + "}"


def samples(text: str) -> dict[str, float]:
    """Prometheus text → :func:`series` key → value."""
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.rpartition(" ")
            name, _, rest = key.partition("{")
            out[series(name, **dict(_LABEL.findall(rest)))] = float(value)
    return out


def metrics(p: ProxyThread) -> dict[str, float]:
    """The proxy's metrics, parsed."""
    _, _, body = fetch("GET", f"{p.url}/wattprint/metrics")
    return samples(body.decode())


def wait_final(p: ProxyThread, rids: list[str], timeout_s: float = 60.0) -> list[dict[str, Any]]:
    """Wait until every request is attributed to its end; their records."""
    import time

    deadline = time.monotonic() + timeout_s
    while True:
        got = [lookup(p, r) for r in rids]
        if all(g["state"] == "final" for g in got) or time.monotonic() > deadline:
            return got
        time.sleep(0.1)
