"""Serving engines as a registry: one module per engine, one line per engine in a table.

Each module of :data:`ENGINE_MODULES` holds a ``PROFILE`` (:class:`EngineProfile`): the fields
that force an exact output length, whether the engine takes ``stream_options.include_usage``,
and how it is recognised from what its server answers. Adding an engine is one module plus one
line in :data:`ENGINE_MODULES`, placed before ``generic`` (which matches any server, so it
comes last). ``--engine auto`` picks the first profile, in table order, that recognises the
server. Facts on each engine: ``docs/serving.md``.
"""

from __future__ import annotations

import importlib
from typing import Any

from wattprint.errors import ConfigError, unknown_choice
from wattprint.serving.engines.base import Detection, EngineProfile, ServerView

__all__ = ["API_PATHS", "ENGINE_MODULES", "Detection", "EngineProfile", "ServerView", "detect",
           "names", "profile", "registry", "request_body"]

ENGINE_MODULES: list[str] = [
    "wattprint.serving.engines.sglang",
    "wattprint.serving.engines.vllm",
    "wattprint.serving.engines.llamacpp",
    "wattprint.serving.engines.transformers",
    "wattprint.serving.engines.generic",
]
"""The engine modules, in detection order (``generic`` last: it matches any server)."""


def registry() -> dict[str, EngineProfile]:
    """Every registered profile by name, in :data:`ENGINE_MODULES` order.

    Raises:
        ConfigError: a listed module cannot be imported or holds no ``PROFILE``.
    """
    out: dict[str, EngineProfile] = {}
    for module in ENGINE_MODULES:
        try:
            prof = getattr(importlib.import_module(module), "PROFILE", None)
        except ImportError as err:
            raise ConfigError(f"engine module {module!r} cannot be imported: {err}") from None
        if not isinstance(prof, EngineProfile):
            raise ConfigError(f"engine module {module!r} has no PROFILE (an EngineProfile)")
        out[prof.name] = prof
    return out


def names() -> tuple[str, ...]:
    """The valid ``--engine`` values: every profile's name and ``auto``."""
    return (*registry(), "auto")


def profile(name: str) -> EngineProfile:
    """The profile named ``name``.

    Raises:
        ConfigError: an unknown engine name, listing the valid ones.
    """
    profiles = registry()
    if name not in profiles:
        raise unknown_choice("engine", name, names())
    return profiles[name]


async def detect(view: ServerView, engine: str = "auto") -> tuple[EngineProfile, Detection]:
    """The profile of the server ``view`` shows and what its detector found.

    ``auto``: the first profile, in table order, whose detector recognises the server (a profile
    without a detector is the fallback when none does). A named engine is used as given; its
    detector, when it recognises the server, adds the version and configuration it reports.

    Raises:
        ConfigError: an unknown engine name.
    """
    if engine != "auto":
        prof = profile(engine)
        found = await prof.detect(view) if prof.detect is not None else None
        return prof, found or Detection()
    fallback: EngineProfile | None = None
    for prof in registry().values():
        if prof.detect is None:
            fallback = fallback or prof
            continue
        found = await prof.detect(view)
        if found is not None:
            return prof, found
    if fallback is None:
        raise ConfigError("no engine profile recognises the server and none is a fallback: "
                          "give --engine")
    return fallback, Detection()


API_PATHS: dict[str, str] = {"chat": "/v1/chat/completions", "completions": "/v1/completions"}

RESERVED_FIELDS = ("model", "stream", "messages", "prompt")
"""Request fields wattprint sets itself; ``--extra-body`` may not replace them."""


def request_body(api: str, model: str, prompt: str, max_tokens: int, fixed_length: bool,
                 engine: EngineProfile, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """The JSON body of one streaming request.

    Args:
        api: ``chat`` or ``completions``.
        model: The served model name.
        prompt: The user message (chat) or prompt text (completions).
        max_tokens: Output length bound.
        fixed_length: Ask the engine to produce exactly ``max_tokens``.
        engine: The engine's profile.
        extra: Extra fields given by the user (``--extra-body``), sent as they are; they
            replace wattprint's own (:data:`RESERVED_FIELDS` are refused when the
            configuration is checked).
    """
    if api not in API_PATHS:
        raise unknown_choice("api", api, tuple(API_PATHS))
    body: dict[str, Any] = {"model": model, "stream": True}
    if api == "chat":
        body["messages"] = [{"role": "user", "content": prompt}]
    else:
        body["prompt"] = prompt
    body.update(engine.length_fields(max_tokens, fixed_length))
    if engine.usage_option:
        body["stream_options"] = {"include_usage": True}
    body.update(extra or {})
    return body
