"""The floor under ``wattprint proxy``'s CPU: the same aiohttp server and client relaying the same
requests chunk by chunk, recording nothing (``bench/proxy_overhead.py`` runs it beside the proxy).

Usage: ``python bench/bare_relay.py UPSTREAM_URL [asyncio|uvloop]``; prints
``serving http://127.0.0.1:PORT`` on stderr once listening, stops on SIGINT/SIGTERM.
"""

from __future__ import annotations

import asyncio
import signal
import sys

import aiohttp
from aiohttp import web

HOP = frozenset({"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
                 "trailer", "trailers", "transfer-encoding", "upgrade", "host", "content-length"})


async def main(upstream: str) -> None:
    """Relay every request to ``upstream`` until a signal."""
    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0),
                                    auto_decompress=False, cookie_jar=aiohttp.DummyCookieJar())

    async def relay(request: web.Request) -> web.StreamResponse:
        body = await request.read()
        async with session.request(
                request.method, upstream + request.rel_url.raw_path_qs, data=body,
                headers={k: v for k, v in request.headers.items() if k.lower() not in HOP}) as up:
            resp = web.StreamResponse(status=up.status, headers={
                k: v for k, v in up.headers.items() if k.lower() not in HOP})
            await resp.prepare(request)
            async for data in up.content.iter_any():
                await resp.write(data)
            await resp.write_eof()
            return resp

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", relay)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    print(f"serving http://127.0.0.1:{port}", file=sys.stderr, flush=True)
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    await stop.wait()
    await runner.cleanup()
    await session.close()


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[2] == "uvloop":
        import uvloop

        uvloop.run(main(sys.argv[1].rstrip("/")))
    else:
        asyncio.run(main(sys.argv[1].rstrip("/")))
