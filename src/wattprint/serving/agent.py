"""``wattprint agent``: stream a host's energy counters to a load generator on another host.

Run it on the server host; it opens the meters detected there and serves, to clients with the
token (``Authorization: Bearer TOKEN``; every other request gets 401):

* ``GET /v1/agent/info``: the domains (name, component, boundary, provenance, scope ...).
* ``GET /v1/agent/clock``: the agent's monotonic clock, for offset measurement.
* ``GET /v1/agent/stream?interval_s=0.1``: server-sent events, one per read:
  ``{"t_s": agent monotonic s, "energy_j": {domain: cumulative J}}``.

:class:`RemoteMeter` is the client side: a :class:`Meter` whose readings come from an agent,
their times moved onto the local monotonic clock by the offset measured at connection (the
probe with the smallest round trip wins; its half round trip bounds the offset's error). A
stream that goes silent for longer than ``stale_s`` makes :meth:`RemoteMeter.read` raise, so
the windows it missed are recorded as gaps, never as zeros; the meter reconnects on its own, so
later windows are measured again. (A restarted agent's counters start from zero again: the
offset is not re-measured, and a window spanning the restart fails its read.)
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from wattprint.errors import ConfigError, MeterError
from wattprint.meters.base import DomainSpec, EstimateModel, Meter, Provenance, Reading

PREFIX = "/v1/agent"


def make_app(meters: Sequence[Meter], token: str) -> Any:
    """The agent's aiohttp application over ``meters``."""
    from aiohttp import web

    if not token:
        raise ConfigError("wattprint agent needs a token (--token or WATTPRINT_AGENT_TOKEN)")
    specs = [s for m in meters for s in m.domains()]
    lock = threading.Lock()

    def read() -> Reading:
        with lock:
            t = time.monotonic()
            e: dict[str, float] = {}
            for m in meters:
                e.update(m.read().energy_j)
            return Reading(t, e)

    @web.middleware
    async def auth(request: web.Request, handler: Any) -> web.StreamResponse:
        if request.headers.get("Authorization") != f"Bearer {token}":
            return web.json_response({"error": "missing or wrong token"}, status=401)
        response: web.StreamResponse = await handler(request)
        return response

    async def info(_: web.Request) -> web.Response:
        return web.json_response({"domains": [_spec_dict(s) for s in specs]})

    async def clock(_: web.Request) -> web.Response:
        return web.json_response({"t_s": time.monotonic()})

    async def stream(request: web.Request) -> web.StreamResponse:
        try:
            interval = float(request.query.get("interval_s", "0.1"))
        except ValueError:
            return web.json_response({"error": "interval_s must be a number"}, status=400)
        interval = min(max(interval, 0.01), 10.0)
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await resp.prepare(request)
        while True:
            try:
                r = await asyncio.to_thread(read)
                payload = {"t_s": r.t_s, "energy_j": dict(r.energy_j)}
            except MeterError as err:
                payload = {"error": str(err)}
            try:
                await resp.write(b"data: " + json.dumps(payload).encode() + b"\n\n")
            except (ConnectionResetError, RuntimeError):
                return resp
            await asyncio.sleep(interval)

    app = web.Application(middlewares=[auth])
    app.router.add_get(PREFIX + "/info", info)
    app.router.add_get(PREFIX + "/clock", clock)
    app.router.add_get(PREFIX + "/stream", stream)
    return app


def _spec_dict(s: DomainSpec) -> dict[str, Any]:
    return {"name": s.name, "component": s.component, "boundary": s.boundary,
            "provenance": s.provenance.value, "source": s.source, "uncertainty": s.uncertainty,
            "model": None if s.model is None else s.model.to_dict(), "scope": s.scope}


def _spec_from(d: dict[str, Any], host: str) -> DomainSpec:
    return DomainSpec(d["name"], d["component"], f"{d['boundary']} (on {host}, via wattprint agent)",
                      Provenance(d["provenance"]), f"agent:{host}:{d['source']}",
                      uncertainty=d.get("uncertainty"),
                      model=None if d.get("model") is None else EstimateModel.from_dict(d["model"]),
                      scope=d.get("scope", "device"))


@dataclass(frozen=True)
class ClockOffset:
    """Agent clock minus local clock (s), and its error bound (half the best round trip, s)."""

    offset_s: float
    error_s: float


class RemoteMeter(Meter):
    """Readings of a remote ``wattprint agent`` (module docstring).

    Args:
        url: The agent's base URL (``http://host:port``).
        token: Its token.
        interval_s: Stream period, seconds.
        stale_s: A stream silent for longer than this is a drop-out, seconds.
        probes: Clock probes for the offset.

    Raises:
        ConfigError: the agent cannot be reached or refuses the token.
    """

    name = "agent"

    def __init__(self, url: str, token: str, *, interval_s: float = 0.1, stale_s: float = 2.0,
                 probes: int = 7) -> None:
        self.url = url.rstrip("/")
        self._headers = {"Authorization": f"Bearer {token}"}
        self.interval_s, self.stale_s = interval_s, stale_s
        info = self._get(PREFIX + "/info")
        host = self.url.split("//", 1)[-1]
        self._specs = [_spec_from(d, host) for d in info["domains"]]
        self.clock = self._offset(probes)
        self._latest: Reading | None = None
        self._received_at = 0.0
        self._error: str | None = None
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._follow, name="wattprint-agent-stream", daemon=True)
        self._thread.start()
        if not self._ready.wait(max(5.0, 5 * interval_s)):
            self.close()
            raise ConfigError(f"agent {self.url}: no reading within 5 s ({self._error or 'no data'})")

    def _get(self, path: str) -> Any:
        req = urllib.request.Request(self.url + path, headers=self._headers)
        try:
            with urllib.request.urlopen(req, timeout=5) as r:
                return json.loads(r.read())
        except urllib.error.HTTPError as err:
            if err.code == 401:
                raise ConfigError(f"agent {self.url} refused the token (401)") from None
            raise ConfigError(f"agent {self.url}{path}: HTTP {err.code}") from None
        except (urllib.error.URLError, OSError, ValueError) as err:
            raise ConfigError(f"cannot reach agent {self.url}: {err}") from None

    def _offset(self, probes: int) -> ClockOffset:
        best: tuple[float, float] | None = None
        for _ in range(max(1, probes)):
            t0 = time.monotonic()
            remote = float(self._get(PREFIX + "/clock")["t_s"])
            t1 = time.monotonic()
            rtt = t1 - t0
            if best is None or rtt < best[1]:
                best = (remote - (t0 + t1) / 2, rtt)
        assert best is not None
        return ClockOffset(best[0], best[1] / 2)

    def _follow(self) -> None:
        """Follow the stream; reconnect (every 0.5 s) after it breaks, until closed."""
        while not self._stop.is_set():
            self._follow_once()
            self._stop.wait(0.5)

    def _follow_once(self) -> None:
        req = urllib.request.Request(f"{self.url}{PREFIX}/stream?interval_s={self.interval_s}",
                                     headers=self._headers)
        try:
            with urllib.request.urlopen(req, timeout=max(10.0, 10 * self.interval_s)) as resp:
                for raw in resp:
                    if self._stop.is_set():
                        return
                    line = raw.strip()
                    if not line.startswith(b"data:"):
                        continue
                    obj = json.loads(line[5:])
                    if "error" in obj:
                        self._error = str(obj["error"])
                        continue
                    self._latest = Reading(float(obj["t_s"]) - self.clock.offset_s,
                                           {k: float(v) for k, v in obj["energy_j"].items()})
                    self._received_at = time.monotonic()
                    self._ready.set()
        except (OSError, ValueError) as err:
            self._error = f"stream ended: {err}"
        else:
            self._error = self._error or "stream ended"

    def domains(self) -> Sequence[DomainSpec]:
        """The agent's domains, their boundaries naming the remote host."""
        return list(self._specs)

    def read(self) -> Reading:
        """The latest remote reading, on the local clock.

        Raises:
            MeterError: the agent has been silent for longer than ``stale_s``.
        """
        r = self._latest
        if r is None or time.monotonic() - self._received_at > self.stale_s:
            raise MeterError(f"agent {self.url} dropped out (no reading for more than "
                             f"{self.stale_s:g} s; {self._error or 'silent'})")
        return r

    def close(self) -> None:
        """Stop following the stream."""
        self._stop.set()
