"""SGLang: ``ignore_eos`` forces the length; takes ``stream_options.include_usage``. Recognised by
``GET /get_model_info`` (a ``model_path``), checked before vLLM's ``/version``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from wattprint.serving.engines.base import Detection, EngineProfile, ServerView


def _fixed(max_tokens: int) -> Mapping[str, Any]:
    return {"ignore_eos": True}


async def _detect(view: ServerView) -> Detection | None:
    info = await view.get_object("/get_model_info")
    if info is None or "model_path" not in info:
        return None
    version = await view.get_object("/version")
    return Detection(str(version["version"]) if version and "version" in version else None,
                     {"model_info": info})


PROFILE = EngineProfile("sglang", "SGLang (answers GET /get_model_info)", forces_length=True,
                        usage_option=True, fixed_length_fields=_fixed, detect=_detect)
