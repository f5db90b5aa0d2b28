"""Check an endpoint before measuring: reachable, OpenAI-compatible, serving the model.

Also identifies the engine: with ``auto``, the first registered engine profile (in the table of
:mod:`wattprint.serving.engines`) that recognises the server from its answers, else
``generic``. Any failure is a :class:`~wattprint.errors.ConfigError` raised before a single
measurement (exit 2 in the CLI).
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from wattprint.errors import ConfigError
from wattprint.serving.engines import API_PATHS, EngineProfile, ServerView, detect, request_body
from wattprint.serving.sse import SSEDecoder, StreamFormatError


@dataclass(frozen=True)
class EndpointInfo:
    """What the probe found.

    Attributes:
        endpoint: Base URL.
        engine: The engine profile used.
        engine_version: Version the server reports; None when it reports none.
        models: Model ids ``/v1/models`` lists.
        server_header: The HTTP ``Server`` header.
        config: What the server says about itself (the model list, version endpoints).
    """

    endpoint: str
    engine: EngineProfile
    engine_version: str | None
    models: tuple[str, ...]
    server_header: str | None
    config: dict[str, Any] = field(default_factory=dict)


def _text(raw: bytes, limit: int = 200) -> str:
    """The start of a body as text (bytes that are not UTF-8 shown as replacement marks)."""
    return raw[:limit].decode("utf-8", errors="replace")


async def _models(session: aiohttp.ClientSession, base: str) -> tuple[list[dict[str, Any]], str | None]:
    async with session.get(base + "/v1/models") as resp:
        raw = await resp.read()
        status, server = resp.status, resp.headers.get("Server")
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        body = None
    if status != 200 or not isinstance(body, dict) or not isinstance(body.get("data"), list):
        raise ConfigError(f"{base}/v1/models answered HTTP {status} without an OpenAI model list "
                          f"({_text(raw, 80)!r}): is this an OpenAI-compatible server (vLLM, "
                          "SGLang, TGI, llama.cpp server, Ollama, transformers serve)?")
    return [m for m in body["data"] if isinstance(m, dict)], server


async def probe(endpoint: str, model: str, *, engine: str = "auto", api: str = "chat",
                timeout_s: float = 30.0, extra: dict[str, Any] | None = None) -> EndpointInfo:
    """Probe ``endpoint`` and send one 1-token streaming request (with the ``extra`` fields the
    load will send, so that an engine refusing one of them is found before measuring).

    Raises:
        ConfigError: down, not OpenAI-compatible, model not served, or the test request fails.
    """
    if not endpoint.startswith(("http://", "https://")):
        raise ConfigError(f"--endpoint {endpoint!r}: expected a URL such as http://127.0.0.1:8000")
    base = endpoint.rstrip("/")
    timeout = aiohttp.ClientTimeout(total=timeout_s)
    try:
        async with aiohttp.ClientSession(timeout=timeout) as session:
            items, server = await _models(session, base)
            ids = tuple(str(m.get("id")) for m in items)
            if model not in ids:
                raise ConfigError(f"--model {model!r} is not served at {base}; it serves: "
                                  f"{', '.join(ids) or 'nothing'}")
            prof, found = await detect(ServerView(session, base, tuple(items), server), engine)
            await _test_request(session, base, model, api, prof, extra)
    except aiohttp.ClientConnectorError as err:
        raise ConfigError(f"cannot connect to {base}: {err.os_error or err} (is the server "
                          "running and listening there?)") from None
    except (asyncio.TimeoutError, aiohttp.ClientError) as err:
        raise ConfigError(f"{base} did not answer properly within {timeout_s:g} s: {err!r}") from None
    config: dict[str, Any] = {"models": [dict(m) for m in items], **found.config}
    return EndpointInfo(base, prof, found.version, ids, server, config)


async def _test_request(session: aiohttp.ClientSession, base: str, model: str, api: str,
                        prof: EngineProfile, extra: dict[str, Any] | None) -> None:
    body = request_body(api, model, "Hello", 1, False, prof, extra)
    async with session.post(base + API_PATHS[api], json=body) as resp:
        raw = await resp.read()
        if resp.status != 200:
            raise ConfigError(f"test request to {base}{API_PATHS[api]} failed: HTTP {resp.status} "
                              f"{_text(raw)} (engine profile {prof.name!r}; try --engine, --api "
                              "or another --extra-body)")
    dec = SSEDecoder()
    try:
        chunks = dec.feed(raw) + dec.close()
    except StreamFormatError as err:
        raise ConfigError(f"{base}{API_PATHS[api]} did not answer with an OpenAI stream: {err}") from None
    if not chunks:
        raise ConfigError(f"{base}{API_PATHS[api]} answered a streaming request with no "
                          "'data:' events: not an OpenAI-compatible stream")
