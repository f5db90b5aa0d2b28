"""What an engine profile is: the request fields an engine takes and how to recognise it.

An :class:`EngineProfile` says which fields force an exact output length, whether the engine
takes ``stream_options.include_usage``, and how to recognise the engine from what its server
answers (:class:`ServerView`: the model list, and any ``GET`` path, fetched once and cached).
Each engine is one module of this package holding a ``PROFILE``; the table of those modules is
``ENGINE_MODULES`` in the package's ``__init__``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import aiohttp


@dataclass(frozen=True)
class Detection:
    """What recognising an engine found out about it.

    Attributes:
        version: The version the server reports, when it reports one.
        config: What the server says about itself (stored with every load point).
    """

    version: str | None = None
    config: dict[str, Any] = field(default_factory=dict)


class ServerView:
    """What a probe sees of a server: its ``/v1/models`` entries, its ``Server`` header, and any
    other ``GET`` path, fetched at most once.

    Args:
        session: The probe's HTTP session.
        base: Base URL (no trailing slash).
        models: The ``/v1/models`` entries (JSON objects).
        server_header: The ``Server`` header of the ``/v1/models`` answer.
    """

    def __init__(self, session: aiohttp.ClientSession, base: str,
                 models: tuple[dict[str, Any], ...], server_header: str | None) -> None:
        self._session, self.base = session, base
        self.models, self.server_header = models, server_header
        self._cache: dict[str, tuple[int, Any]] = {}

    async def get_json(self, path: str) -> tuple[int, Any]:
        """``(HTTP status, parsed JSON or None)`` of ``GET base+path``; ``(0, None)`` when the
        server does not answer it (refused, timed out, broken)."""
        if path not in self._cache:
            try:
                async with self._session.get(self.base + path) as resp:
                    raw = await resp.read()
                    status = resp.status
            except (aiohttp.ClientError, asyncio.TimeoutError):
                self._cache[path] = (0, None)
                return self._cache[path]
            try:
                body = json.loads(raw.decode("utf-8", errors="replace"))
            except json.JSONDecodeError:
                body = None
            self._cache[path] = (status, body)
        return self._cache[path]

    async def get_object(self, path: str) -> dict[str, Any] | None:
        """The JSON object ``GET base+path`` answers with status 200, else None."""
        status, body = await self.get_json(path)
        return body if status == 200 and isinstance(body, dict) else None


Detector = Callable[[ServerView], Awaitable[Detection | None]]
"""Recognises an engine: a :class:`Detection` when the server is that engine, else None."""


def _no_fields(max_tokens: int) -> Mapping[str, Any]:
    return {}


@dataclass(frozen=True)
class EngineProfile:
    """How to talk to one engine.

    Attributes:
        name: The profile's name (``--engine NAME``, ``engine:`` in suites).
        summary: One line on what the engine is and how it is recognised.
        forces_length: Whether :attr:`fixed_length_fields` make outputs exactly ``max_tokens``.
        usage_option: Whether to send ``stream_options.include_usage`` (engines that reject
            unknown fields and do not know it do not get it).
        fixed_length_fields: The fields (beyond ``max_tokens``) that force exactly
            ``max_tokens`` output tokens, given that count.
        detect: Recognises the engine from its server's answers; None for a profile that is
            never picked by ``--engine auto`` except as the last resort (``generic``).
    """

    name: str
    summary: str
    forces_length: bool
    usage_option: bool
    fixed_length_fields: Callable[[int], Mapping[str, Any]] = _no_fields
    detect: Detector | None = None

    def length_fields(self, max_tokens: int, fixed: bool) -> dict[str, Any]:
        """The request fields that bound (and, when ``fixed``, force) the output length."""
        out: dict[str, Any] = {"max_tokens": int(max_tokens)}
        if fixed:
            out.update(self.fixed_length_fields(int(max_tokens)))
        return out
