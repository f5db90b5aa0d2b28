"""A real HTTP streaming server on 127.0.0.1 that speaks (or deliberately breaks) the OpenAI
streaming protocol, for unit tests of stream parsing and error handling. The end-to-end tests
use a real engine (test_serving_e2e.py).

Run as a script (``python serving_fakes.py MODE PORT``) it serves one mode in the foreground:
tests that launch an engine (``--launch``) start it that way.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from aiohttp import web

MODEL = "fake-model"
SEEN = web.AppKey("seen", list)

MODES = ("vllm", "transformers", "transformers525", "nousage", "http500", "disconnect",
         "garbage", "hang", "noend", "strict", "interrupt", "llamacpp", "short", "stop_early",
         "stall", "nonutf8", "nonutf8_models", "exit")


def _chunk(i: int, text: str, finish: str | None = None, usage: dict | None = None) -> bytes:
    obj: dict = {"id": f"c{i}", "object": "chat.completion.chunk",
                 "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": finish}]}
    if usage is not None:
        obj["usage"] = usage
    return b"data: " + json.dumps(obj).encode() + b"\n\n"


def _usage(n: int) -> dict:
    return {"prompt_tokens": 7, "completion_tokens": n, "total_tokens": 7 + n}


def make_app(mode: str = "vllm", token_delay_s: float = 0.002, healthy_first: int = 0,
             natural_len: int = 3) -> web.Application:
    """A fake engine.

    Modes: ``vllm`` (answers ``GET /version``; [DONE], usage in a separate chunk), ``transformers`` (no [DONE], usage in
    the last content chunk), ``transformers525`` (as transformers serve 5.25: no [DONE], one
    token that completes no character sends no chunk, the finish_reason in a chunk of its own,
    usage in a separate chunk only with ``stream_options.include_usage``), ``nousage`` (no usage
    at all), ``http500``, ``disconnect`` (closes mid-stream), ``garbage`` (non-JSON data),
    ``hang`` (never answers), ``noend`` (ends with no finish_reason), ``strict`` (422 for any
    field beyond transformers serve's), ``interrupt`` (llama-cpp-python's default
    ``--interrupt_requests``: one request at a time; the running stream ends with ``[DONE]``
    and no finish_reason as soon as another request waits), ``llamacpp`` (answers as
    llama-cpp-python: its OpenAPI title, ``[DONE]``, no usage; the model ends on its own after
    ``natural_len`` tokens (finish_reason ``stop``) unless ``min_tokens`` holds it back),
    ``short`` (one token fewer than ``max_tokens``, finish_reason ``length``, usage says so),
    ``stop_early`` (finish_reason ``stop`` halfway), ``stall`` (two tokens, then silence),
    ``nonutf8`` (an HTTP 500 whose body is not UTF-8), ``nonutf8_models`` (a model list that
    is not UTF-8), ``exit`` (the server process exits). ``GET /cookie`` sets a cookie and
    answers with the request's Cookie header, in every mode. A request with ``stream: false`` gets a
    whole answer in the ``vllm``, ``transformers``, ``nousage`` (no usage) and ``disconnect``
    (the connection closes instead) modes.

    ``healthy_first``: that many completion requests (the probe's) are answered as ``vllm``
    before the mode applies.
    """
    seen: list[dict] = []
    lock = asyncio.Lock()
    waiting = [0]

    async def models(_: web.Request) -> web.Response:
        if mode == "nonutf8_models":
            return web.Response(body=b'{"data": [{"id": "\xff\xfe"}]}', content_type="application/json",
                                charset="utf-8")
        return web.json_response({"object": "list", "data": [{"id": MODEL, "object": "model"}]})

    async def version(_: web.Request) -> web.Response:
        if mode == "vllm":
            return web.json_response({"version": "0.32.0-fake"})
        return web.json_response({"detail": "Not Found"}, status=404)

    async def openapi(_: web.Request) -> web.Response:
        if mode in ("llamacpp", "interrupt"):
            return web.json_response({"openapi": "3.1.0",
                                      "info": {"title": "🦙 llama.cpp Python API", "version": "0.3.36"}})
        return web.json_response({"detail": "Not Found"}, status=404)

    async def completions(req: web.Request) -> web.StreamResponse:
        body = await req.json()
        seen.append(body)
        if body.get("model") != MODEL:
            return web.json_response({"error": {"message": "model not found"}}, status=404)
        m = "vllm" if len(seen) <= healthy_first else mode
        if m == "http500":
            return web.json_response({"error": {"message": "boom"}}, status=500)
        if m == "nonutf8":
            return web.Response(body=b"\xff\xfe engine \xe9chec \x80", status=500,
                                content_type="text/plain", charset="utf-8")
        if m == "exit":
            os._exit(3)
        if m == "strict":
            allowed = {"model", "messages", "prompt", "max_tokens", "stream", "generation_config",
                       "stream_options"}
            extra = set(body) - allowed
            if extra:
                return web.json_response({"detail": f"unexpected fields {sorted(extra)}"}, status=422)
        if m == "hang":
            await asyncio.sleep(3600)
        if m == "interrupt":
            waiting[0] += 1
            async with lock:
                waiting[0] -= 1
                return await _stream(req, body, m)
        if body.get("stream") is False and m in ("vllm", "transformers", "nousage", "disconnect"):
            return await _whole(req, body, m)
        return await _stream(req, body, m)

    async def _whole(req: web.Request, body: dict, m: str) -> web.Response:
        """A non-streamed answer (``stream: false``), the same bytes every time."""
        n = int(body.get("max_tokens", 4))
        await asyncio.sleep(token_delay_s * n)
        if m == "disconnect":
            assert req.transport is not None
            req.transport.close()
        obj: dict = {"id": "w0", "object": "chat.completion", "model": MODEL,
                     "choices": [{"index": 0, "finish_reason": "length",
                                  "message": {"role": "assistant",
                                              "content": "".join(f"t{i} " for i in range(n))}}]}
        if m != "nousage":
            obj["usage"] = _usage(n)
        return web.Response(body=json.dumps(obj).encode(), content_type="application/json",
                            headers={"X-Engine": "fake"})

    async def _stream(req: web.Request, body: dict, m: str) -> web.StreamResponse:
        n = int(body.get("max_tokens", 4))
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await resp.prepare(req)
        if m == "garbage":
            await resp.write(b"data: this is not json\n\n")
            return resp
        asked = bool((body.get("stream_options") or {}).get("include_usage"))
        if m == "llamacpp":
            held = max(int(body.get("min_tokens", 0)), natural_len)
            n = min(n, held)
        if m == "short":
            n -= 1
        for i in range(n):
            await asyncio.sleep(token_delay_s)
            last = i == n - 1
            if m == "disconnect" and i == n // 2:
                assert req.transport is not None
                req.transport.close()
                return resp
            if m == "stall" and i == 2:
                await asyncio.sleep(3600)
            if m == "stop_early" and i == n // 2:
                await resp.write(_chunk(i, f"t{i} ", "stop"))
                break
            if m == "interrupt" and waiting[0] > 0:   # another request waits: cut this one
                await resp.write(_chunk(i, f"t{i} "))
                await resp.write(b"data: [DONE]\n\n")
                return resp
            if m == "transformers525":
                if i != n // 2:                         # that token completes no character
                    await resp.write(_chunk(i, f"t{i} "))
                continue
            if m == "llamacpp":
                finish = ("length" if n == int(body.get("max_tokens", 4)) else "stop") if last else None
            else:
                finish = "length" if last and m != "noend" else None
            await resp.write(_chunk(i, f"t{i} ", finish,
                                    _usage(n) if last and m in ("transformers", "short") else None))
        if m == "transformers525":
            await resp.write(_chunk(n, "", "length"))
            if asked:
                await resp.write(b"data: " + json.dumps({"choices": [], "usage": _usage(n)}).encode()
                                 + b"\n\n")
        if m in ("vllm", "stop_early") or (m == "short" and asked):
            await resp.write(b"data: " + json.dumps({"choices": [], "usage": _usage(n)}).encode() + b"\n\n")
        if m in ("vllm", "llamacpp", "interrupt", "stop_early"):
            await resp.write(b"data: [DONE]\n\n")
        return resp

    app = web.Application()
    app[SEEN] = seen
    app.router.add_get("/v1/models", models)
    app.router.add_get("/openapi.json", openapi)
    app.router.add_get("/version", version)

    async def health(_: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def cookie(req: web.Request) -> web.Response:
        """Sets a cookie and answers with the Cookie header it got (none: empty)."""
        resp = web.Response(text=req.headers.get("Cookie", ""))
        resp.set_cookie("engine_session", "s3cret")
        return resp

    app.router.add_get("/health", health)
    app.router.add_get("/cookie", cookie)
    app.router.add_post("/v1/chat/completions", completions)
    app.router.add_post("/v1/completions", completions)
    return app


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def fake_server(mode: str = "vllm", token_delay_s: float = 0.002, healthy_first: int = 0,
                natural_len: int = 3) -> Iterator[tuple[str, web.Application]]:
    """Serve ``make_app(mode)`` on 127.0.0.1 in a background thread; yields (base URL, app)."""
    port = free_port()
    app = make_app(mode, token_delay_s, healthy_first, natural_len)
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


def main(argv: list[str]) -> None:
    """``serving_fakes.py MODE PORT [HEALTHY_FIRST]``: serve one mode in the foreground."""
    mode, port = argv[0], int(argv[1])
    healthy = int(argv[2]) if len(argv) > 2 else 0
    web.run_app(make_app(mode, 0.002, healthy), host="127.0.0.1", port=port, print=None)


if __name__ == "__main__":
    main(sys.argv[1:])
