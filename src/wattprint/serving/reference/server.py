"""The reference engine's OpenAI-compatible HTTP server (aiohttp) on 127.0.0.1.

Routes: ``GET /v1/models``, ``GET /health``, ``POST /v1/chat/completions`` and
``POST /v1/completions`` (streaming or not), and ``GET /metrics`` in the ``vllm`` dialect.
Streams carry one token per chunk (``"w0 "``, ``"w1 "``, ...), a last chunk with the
``finish_reason`` (and ``timings`` in the ``llamacpp`` dialect), a separate ``usage`` chunk
with ``choices: []`` when ``stream_options.include_usage`` asks for it, and ``data: [DONE]``.
A client that goes away cancels its handler (aiohttp's handler cancellation), which tells the
engine (:meth:`~.engine.ReferenceEngine.client_left`).

:class:`ReferenceServer` runs engine, server and simulated counter in a background thread with
its own event loop (tests, the bench); ``python -m wattprint.serving.reference`` runs one in
the foreground.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from pathlib import Path
from typing import Any

from aiohttp import web

from wattprint.serving.reference.config import ReferenceConfig
from wattprint.serving.reference.engine import Active, End, ReferenceEngine, Token
from wattprint.serving.reference.sysfs import SimulatedMachine
from wattprint.serving.reference.truth import RequestTruth, read_truth

ENGINE = web.AppKey("engine", ReferenceEngine)
ENGINE_FILE = "engine.json"


def _prompt_of(body: dict[str, Any], chat: bool) -> str | None:
    if chat:
        msgs = body.get("messages")
        if not isinstance(msgs, list):
            return None
        parts: list[str] = []
        for m in msgs:
            c = m.get("content") if isinstance(m, dict) else None
            if isinstance(c, str):
                parts.append(c)
            elif isinstance(c, list):
                parts += [p.get("text", "") for p in c if isinstance(p, dict)]
        return "\n".join(parts)
    p = body.get("prompt")
    if isinstance(p, list):
        p = "\n".join(str(x) for x in p)
    return p if isinstance(p, str) else None


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": {"message": message, "code": status}}, status=status)


def _usage(tr: RequestTruth) -> dict[str, int]:
    return {"prompt_tokens": tr.prompt_tokens, "completion_tokens": tr.generated_tokens,
            "total_tokens": tr.prompt_tokens + tr.generated_tokens}


def _timings(tr: RequestTruth) -> dict[str, float]:
    """llama.cpp's ``timings`` object: prompt processing (admission to first token) and
    generation (first to last token), ms."""
    prompt_ms = 1e3 * ((tr.first_token_s or 0.0) - (tr.admitted_s or 0.0))
    predicted_ms = 1e3 * ((tr.last_token_s or 0.0) - (tr.first_token_s or 0.0))
    return {"prompt_n": tr.prompt_tokens, "prompt_ms": prompt_ms,
            "prompt_per_token_ms": prompt_ms / max(tr.prompt_tokens, 1),
            "predicted_n": tr.generated_tokens, "predicted_ms": predicted_ms,
            "predicted_per_token_ms": predicted_ms / max(tr.generated_tokens - 1, 1)}


class _Stream:
    """Renders the chunks of one response."""

    def __init__(self, cfg: ReferenceConfig, chat: bool, rid: int) -> None:
        self.cfg, self.chat = cfg, chat
        self.base = {"id": f"ref-{rid}", "created": int(time.time()), "model": cfg.model,
                     "object": "chat.completion.chunk" if chat else "text_completion"}

    def chunk(self, text: str | None, finish: str | None) -> dict[str, Any]:
        choice: dict[str, Any] = {"index": 0, "finish_reason": finish}
        if self.chat:
            choice["delta"] = {} if text is None else {"content": text}
        else:
            choice["text"] = text or ""
        return {**self.base, "choices": [choice]}


def _sse(obj: dict[str, Any] | str) -> bytes:
    return b"data: " + (obj if isinstance(obj, str) else json.dumps(obj)).encode() + b"\n\n"


async def _complete(request: web.Request, chat: bool) -> web.StreamResponse:
    engine = request.app[ENGINE]
    cfg = engine.cfg
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return _error(400, "the body is not JSON")
    if not isinstance(body, dict):
        return _error(400, "the body is not a JSON object")
    if body.get("model") != cfg.model:
        return _error(404, f"model {body.get('model')!r} not found; served: {cfg.model}")
    prompt = _prompt_of(body, chat)
    if prompt is None:
        return _error(400, "messages (chat) or prompt (completions) missing")
    mt = body.get("max_tokens", body.get("max_completion_tokens", 16))
    if not isinstance(mt, int) or mt < 1:
        return _error(400, f"max_tokens must be a positive integer, got {mt!r}")
    opts = body.get("stream_options")
    include_usage = cfg.report_usage and isinstance(opts, dict) and bool(opts.get("include_usage"))
    a = engine.submit(prompt, mt)
    try:
        if not body.get("stream"):
            return await _whole(a, engine, chat)
        return await _streamed(request, a, engine, chat, include_usage)
    except (asyncio.CancelledError, ConnectionResetError):
        engine.client_left(a)
        raise


async def _whole(a: Active, engine: ReferenceEngine, chat: bool) -> web.Response:
    reason = None
    while True:
        ev = await a.events.get()
        if isinstance(ev, End):
            reason = ev.finish_reason
            break
    text = "".join(f"w{i} " for i in range(a.truth.generated_tokens))
    choice: dict[str, Any] = {"index": 0, "finish_reason": reason}
    if chat:
        choice["message"] = {"role": "assistant", "content": text}
    else:
        choice["text"] = text
    out: dict[str, Any] = {"id": f"ref-{a.truth.rid}", "model": engine.cfg.model,
                           "object": "chat.completion" if chat else "text_completion",
                           "choices": [choice]}
    if engine.cfg.report_usage:
        out["usage"] = _usage(a.truth)
    if engine.cfg.dialect == "llamacpp":
        out["timings"] = _timings(a.truth)
    return web.json_response(out)


async def _streamed(request: web.Request, a: Active, engine: ReferenceEngine, chat: bool,
                    include_usage: bool) -> web.StreamResponse:
    resp = web.StreamResponse(headers={"Content-Type": "text/event-stream",
                                       "Cache-Control": "no-cache"})
    await resp.prepare(request)
    s = _Stream(engine.cfg, chat, a.truth.rid)
    while True:
        ev = await a.events.get()
        if isinstance(ev, Token):
            await resp.write(_sse(s.chunk(f"w{ev.position} ", None)))
            continue
        assert isinstance(ev, End)
        last = s.chunk(None, ev.finish_reason)
        if engine.cfg.dialect == "llamacpp":
            last["timings"] = _timings(a.truth)
        await resp.write(_sse(last))
        if include_usage:
            await resp.write(_sse({**s.base, "choices": [], "usage": _usage(a.truth)}))
        await resp.write(_sse("[DONE]"))
        break
    await resp.write_eof()
    return resp


def make_app(engine: ReferenceEngine) -> web.Application:
    """The aiohttp application around ``engine`` (its loop task starts with the app)."""
    app = web.Application()
    app[ENGINE] = engine

    async def models(_: web.Request) -> web.Response:
        return web.json_response({"object": "list", "data": [
            {"id": engine.cfg.model, "object": "model", "owned_by": "wattprint-reference"}]})

    async def health(_: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def chat(request: web.Request) -> web.StreamResponse:
        return await _complete(request, True)

    async def completions(request: web.Request) -> web.StreamResponse:
        return await _complete(request, False)

    async def metrics(_: web.Request) -> web.Response:
        if engine.cfg.dialect != "vllm":
            return web.Response(status=404, text="no metrics in this dialect")
        return web.Response(text=engine.metrics.render(),
                            content_type="text/plain", charset="utf-8")

    async def loop_ctx(_: web.Application) -> Any:
        task = asyncio.create_task(engine.run())
        yield
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    app.cleanup_ctx.append(loop_ctx)
    app.router.add_get("/v1/models", models)
    app.router.add_get("/health", health)
    app.router.add_post("/v1/chat/completions", chat)
    app.router.add_post("/v1/completions", completions)
    app.router.add_get("/metrics", metrics)
    return app


class ReferenceServer:
    """Engine + HTTP server + simulated counter, in a background thread.

    Args:
        cfg: The engine.
        folder: Its folder: the simulated ``powercap``/``proc`` trees, ``truth.jsonl`` and
            ``engine.json`` (the configuration, the URL, the counter's start time).
        host: Address to bind (127.0.0.1).
        port: Port (0: a free one, chosen by the system).
    """

    def __init__(self, cfg: ReferenceConfig, folder: str | Path, *, host: str = "127.0.0.1",
                 port: int = 0) -> None:
        self.cfg, self.folder, self.host, self.port = cfg, Path(folder), host, port
        self.folder.mkdir(parents=True, exist_ok=True)
        self.machine = SimulatedMachine(self.folder, cfg.idle_power_w,
                                        period_s=cfg.counter_period_s,
                                        max_energy_range_uj=cfg.max_energy_range_uj)
        self.ledger = self.machine.ledger
        self.engine = ReferenceEngine(cfg, self.ledger, self.folder)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:43117``."""
        return f"http://{self.host}:{self.port}"

    @property
    def powercap_root(self) -> Path:
        """The simulated powercap tree."""
        return self.machine.powercap_root

    @property
    def proc_root(self) -> Path:
        """The simulated procfs folder."""
        return self.machine.proc_root

    def truth(self) -> list[RequestTruth]:
        """Every finished request's truth so far (read from ``truth.jsonl``)."""
        return read_truth(self.folder)

    async def _open(self) -> None:
        self._runner = web.AppRunner(make_app(self.engine), handler_cancellation=True,
                                     access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        addresses = self._runner.addresses
        if addresses:
            self.port = int(addresses[0][1])

    def start(self) -> ReferenceServer:
        """Start everything; returns when the server accepts connections."""
        ready = threading.Event()

        def serve() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self._open())
            except BaseException as err:  # reported to start()
                self._error = err
                ready.set()
                return
            ready.set()
            loop.run_forever()
            loop.close()

        self.machine.start()
        self._thread = threading.Thread(target=serve, name="reference-engine", daemon=True)
        self._thread.start()
        ready.wait(30)
        if self._error is not None:
            self.machine.stop()
            raise self._error
        (self.folder / ENGINE_FILE).write_text(json.dumps(
            {"config": self.cfg.to_dict(), "url": self.url, "t0_s": self.ledger.t0_s}, indent=1))
        return self

    def stop(self) -> None:
        """Stop the server, the engine and the counter. Idempotent."""
        loop, runner = self._loop, self._runner
        if loop is not None and runner is not None and self._thread is not None:
            try:
                asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(10)
            except Exception:  # already closing: the loop stop below ends it anyway
                pass
            loop.call_soon_threadsafe(loop.stop)
            self._thread.join(10)
            self._thread = None
        self.machine.stop()
        self.engine.close()

    def __enter__(self) -> ReferenceServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
