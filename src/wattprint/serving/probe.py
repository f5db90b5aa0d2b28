"""Check an endpoint before measuring: reachable, OpenAI-compatible, serving the model.

Also identifies the engine (``auto``): vLLM answers ``GET /version``; transformers serve lists
its models with a ``status`` object; otherwise ``generic``. Any failure is a
:class:`~wattprint.errors.ConfigError` raised before a single measurement (exit 2 in the CLI).
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from wattprint.errors import ConfigError
from wattprint.serving.engines import API_PATHS, PROFILES, EngineProfile, profile, request_body
from wattprint.serving.sse import SSEDecoder, StreamFormatError


@dataclass(frozen=True)
class EndpointInfo:
    """What the probe found.

    Attributes:
        endpoint: Base URL.
        engine: The engine profile used.
        engine_version: Version the server reports (``/version``); None when it reports none.
        models: Model ids ``/v1/models`` lists.
        server_header: The HTTP ``Server`` header.
        config: What the server says about itself (``/version``, model card fields).
    """

    endpoint: str
    engine: EngineProfile
    engine_version: str | None
    models: tuple[str, ...]
    server_header: str | None
    config: dict[str, Any] = field(default_factory=dict)


async def _get_json(session: aiohttp.ClientSession, url: str) -> tuple[int, Any, str | None]:
    async with session.get(url) as resp:
        text = await resp.text()
        try:
            body = json.loads(text)
        except json.JSONDecodeError:
            body = None
        return resp.status, body, resp.headers.get("Server")


async def probe(endpoint: str, model: str, *, engine: str = "auto", api: str = "chat",
                timeout_s: float = 30.0) -> EndpointInfo:
    """Probe ``endpoint`` and send one 1-token streaming request.

    Raises:
        ConfigError: down, not OpenAI-compatible, model not served, or the test request fails.
    """
    if not endpoint.startswith(("http://", "https://")):
        raise ConfigError(f"--endpoint {endpoint!r}: expected a URL such as http://127.0.0.1:8000")
    base = endpoint.rstrip("/")
    timeout = aiohttp.ClientTimeout(total=timeout_s)
    try:
        async with aiohttp.ClientSession(timeout=timeout) as session:
            status, models_body, server = await _get_json(session, base + "/v1/models")
            if status != 200 or not isinstance(models_body, dict) or not isinstance(models_body.get("data"), list):
                raise ConfigError(f"{base}/v1/models answered HTTP {status} without an OpenAI model "
                                  "list: is this an OpenAI-compatible server (vLLM, SGLang, TGI, "
                                  "llama.cpp server, Ollama, transformers serve)?")
            items = [m for m in models_body["data"] if isinstance(m, dict)]
            ids = tuple(str(m.get("id")) for m in items)
            if model not in ids:
                raise ConfigError(f"--model {model!r} is not served at {base}; it serves: "
                                  f"{', '.join(ids) or 'nothing'}")
            v_status, v_body, _ = await _get_json(session, base + "/version")
            version = v_body.get("version") if v_status == 200 and isinstance(v_body, dict) else None
            config: dict[str, Any] = {"models": [dict(m) for m in items]}
            if version is not None:
                config["version_endpoint"] = v_body
            if engine == "auto":
                if version is not None:
                    name = "vllm"
                elif any(isinstance(m.get("status"), dict) for m in items):
                    name = "transformers"
                else:
                    name = "generic"
                prof = PROFILES[name]
            else:
                prof = profile(engine)
            await _test_request(session, base, model, api, prof)
    except aiohttp.ClientConnectorError as err:
        raise ConfigError(f"cannot connect to {base}: {err.os_error or err} (is the server "
                          "running and listening there?)") from None
    except (asyncio.TimeoutError, aiohttp.ClientError) as err:
        raise ConfigError(f"{base} did not answer properly within {timeout_s:g} s: {err!r}") from None
    return EndpointInfo(base, prof, version, ids, server, config)


async def _test_request(session: aiohttp.ClientSession, base: str, model: str, api: str,
                        prof: EngineProfile) -> None:
    body = request_body(api, model, "Hello", 1, False, prof)
    async with session.post(base + API_PATHS[api], json=body) as resp:
        raw = await resp.read()
        if resp.status != 200:
            raise ConfigError(f"test request to {base}{API_PATHS[api]} failed: HTTP {resp.status} "
                              f"{raw[:200].decode(errors='replace')} (engine profile "
                              f"{prof.name!r}; try --engine or --api)")
    dec = SSEDecoder()
    try:
        chunks = dec.feed(raw) + dec.close()
    except StreamFormatError as err:
        raise ConfigError(f"{base}{API_PATHS[api]} did not answer with an OpenAI stream: {err}") from None
    if not chunks:
        raise ConfigError(f"{base}{API_PATHS[api]} answered a streaming request with no "
                          "'data:' events: not an OpenAI-compatible stream")
