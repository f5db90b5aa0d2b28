"""vLLM: ``ignore_eos`` and ``min_tokens`` force the length; ``usage`` comes in a separate last
chunk when ``stream_options.include_usage`` is asked for. Recognised by ``GET /version``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from wattprint.serving.engines.base import Detection, EngineProfile, ServerView


def _fixed(max_tokens: int) -> Mapping[str, Any]:
    return {"ignore_eos": True, "min_tokens": max_tokens}


async def _detect(view: ServerView) -> Detection | None:
    body = await view.get_object("/version")
    if body is None or "version" not in body:
        return None
    return Detection(str(body["version"]), {"version_endpoint": body})


PROFILE = EngineProfile("vllm", "vLLM (answers GET /version)", forces_length=True,
                        usage_option=True, fixed_length_fields=_fixed, detect=_detect)
