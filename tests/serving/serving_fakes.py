"""A real HTTP streaming server on 127.0.0.1 that speaks (or deliberately breaks) the OpenAI
streaming protocol, for unit tests of stream parsing and error handling. The end-to-end tests
use a real engine (test_serving_e2e.py)."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from aiohttp import web

MODEL = "fake-model"
SEEN = web.AppKey("seen", list)


def _chunk(i: int, text: str, finish: str | None = None, usage: dict | None = None) -> bytes:
    obj: dict = {"id": f"c{i}", "object": "chat.completion.chunk",
                 "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": finish}]}
    if usage is not None:
        obj["usage"] = usage
    return b"data: " + json.dumps(obj).encode() + b"\n\n"


def make_app(mode: str = "vllm", token_delay_s: float = 0.002) -> web.Application:
    """Modes: ``vllm`` ([DONE], usage in a separate chunk), ``transformers`` (no [DONE], usage in
    the last content chunk), ``nousage`` (no usage at all), ``http500``, ``disconnect`` (closes
    mid-stream), ``garbage`` (non-JSON data), ``hang`` (never answers), ``noend`` (ends with no
    finish_reason), ``strict`` (422 for any field beyond the standard ones)."""
    seen: list[dict] = []

    async def models(_: web.Request) -> web.Response:
        return web.json_response({"object": "list", "data": [{"id": MODEL, "object": "model"}]})

    async def completions(req: web.Request) -> web.StreamResponse:
        body = await req.json()
        seen.append(body)
        if body.get("model") != MODEL:
            return web.json_response({"error": {"message": "model not found"}}, status=404)
        if mode == "http500":
            return web.json_response({"error": {"message": "boom"}}, status=500)
        if mode == "strict":
            allowed = {"model", "messages", "prompt", "max_tokens", "stream", "generation_config"}
            extra = set(body) - allowed
            if extra:
                return web.json_response({"detail": f"unexpected fields {sorted(extra)}"}, status=422)
        if mode == "hang":
            await asyncio.sleep(3600)
        n = int(body.get("max_tokens", 4))
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await resp.prepare(req)
        if mode == "garbage":
            await resp.write(b"data: this is not json\n\n")
            return resp
        usage = {"prompt_tokens": 7, "completion_tokens": n, "total_tokens": 7 + n}
        for i in range(n):
            await asyncio.sleep(token_delay_s)
            last = i == n - 1
            if mode == "disconnect" and i == n // 2:
                assert req.transport is not None
                req.transport.close()
                return resp
            finish = "length" if last and mode != "noend" else None
            await resp.write(_chunk(i, f"t{i} ", finish,
                                    usage if last and mode == "transformers" else None))
        if mode == "vllm":
            await resp.write(b"data: " + json.dumps({"choices": [], "usage": usage}).encode() + b"\n\n")
            await resp.write(b"data: [DONE]\n\n")
        return resp

    app = web.Application()
    app[SEEN] = seen
    app.router.add_get("/v1/models", models)

    async def health(_: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    app.router.add_get("/health", health)
    app.router.add_post("/v1/chat/completions", completions)
    app.router.add_post("/v1/completions", completions)
    return app


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def fake_server(mode: str = "vllm", token_delay_s: float = 0.002) -> Iterator[tuple[str, web.Application]]:
    """Serve ``make_app(mode)`` on 127.0.0.1 in a background thread; yields (base URL, app)."""
    port = free_port()
    app = make_app(mode, token_delay_s)
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(app)
    ready = threading.Event()

    def serve() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(runner.setup())
        loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", port).start())
        ready.set()
        loop.run_forever()

    th = threading.Thread(target=serve, daemon=True)
    th.start()
    ready.wait(10)
    try:
        yield f"http://127.0.0.1:{port}", app
    finally:
        fut = asyncio.run_coroutine_threadsafe(runner.cleanup(), loop)
        try:
            fut.result(5)
        except Exception:
            pass

        async def _cancel_rest() -> None:
            rest = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for t in rest:
                t.cancel()
            await asyncio.gather(*rest, return_exceptions=True)

        try:
            asyncio.run_coroutine_threadsafe(_cancel_rest(), loop).result(5)
        except Exception:
            pass
        loop.call_soon_threadsafe(loop.stop)
        th.join(5)
