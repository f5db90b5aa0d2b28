"""Engine profiles: which request fields each serving engine accepts to force an output length.

Engines differ (``shared/notes/serving-engines.md``): vLLM and SGLang take ``ignore_eos`` (vLLM
also ``min_tokens``); ``transformers serve`` rejects any unknown field with 422 and takes the
extra field ``generation_config`` as a JSON *string* (``{"eos_token_id": -1}`` gives exactly
``max_tokens``); other engines get only ``max_tokens``, so output lengths are not forced and the
lengths actually produced are what is recorded.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from wattprint.errors import unknown_choice


@dataclass(frozen=True)
class EngineProfile:
    """How to talk to one engine.

    Attributes:
        name: ``vllm``, ``sglang``, ``transformers``, ``generic``.
        forces_length: Whether :meth:`length_fields` makes outputs exactly ``max_tokens``.
        usage_option: Whether to send ``stream_options.include_usage`` (engines that ignore it
            with a warning, or reject it, do not get it).
    """

    name: str
    forces_length: bool
    usage_option: bool

    def length_fields(self, max_tokens: int, fixed: bool) -> dict[str, Any]:
        """The request fields that bound (and, when ``fixed``, force) the output length."""
        out: dict[str, Any] = {"max_tokens": int(max_tokens)}
        if not fixed:
            return out
        if self.name == "vllm":
            out.update(ignore_eos=True, min_tokens=int(max_tokens))
        elif self.name == "sglang":
            out["ignore_eos"] = True
        elif self.name == "transformers":
            out["generation_config"] = json.dumps({"eos_token_id": -1})
        return out


PROFILES: dict[str, EngineProfile] = {
    "vllm": EngineProfile("vllm", True, True),
    "sglang": EngineProfile("sglang", True, True),
    "transformers": EngineProfile("transformers", True, False),
    "generic": EngineProfile("generic", False, True),
}


def profile(name: str) -> EngineProfile:
    """The profile named ``name``.

    Raises:
        ConfigError: an unknown engine name, listing the valid ones.
    """
    if name not in PROFILES:
        raise unknown_choice("engine", name, tuple(PROFILES) + ("auto",))
    return PROFILES[name]


API_PATHS: dict[str, str] = {"chat": "/v1/chat/completions", "completions": "/v1/completions"}


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
        extra: Extra fields given by the user (``temperature`` ...), sent as is.
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
