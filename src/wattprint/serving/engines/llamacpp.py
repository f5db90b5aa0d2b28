"""llama.cpp's servers: the C++ ``llama-server`` and the Python ``llama_cpp.server``
(llama-cpp-python). Both ignore fields they do not know, so one profile sends what each needs to
produce exactly ``max_tokens``: ``min_tokens`` (llama-cpp-python holds the end-of-sequence token
back until then), ``ignore_eos`` and ``n_predict`` (llama-server), with ``max_tokens`` capping
both. ``stream_options.include_usage`` is asked for (llama-server answers it; llama-cpp-python
ignores it). llama-cpp-python cuts the running stream short whenever another request waits
(``--interrupt_requests``, on by default): such streams end with ``[DONE]`` and no
``finish_reason`` and are recorded as ``truncated``; start it with ``--interrupt_requests False``
to measure under load.

Recognised by what the servers answer: llama-server lists its models ``owned_by: llamacpp`` and
answers ``GET /props``; llama-cpp-python's OpenAPI title names llama.cpp."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from wattprint.serving.engines.base import Detection, EngineProfile, ServerView


def _fixed(max_tokens: int) -> Mapping[str, Any]:
    return {"min_tokens": max_tokens, "ignore_eos": True, "n_predict": max_tokens}


async def _detect(view: ServerView) -> Detection | None:
    api = await view.get_object("/openapi.json")
    info = api.get("info") if api else None
    if isinstance(info, dict) and "llama.cpp" in str(info.get("title", "")):
        version = info.get("version")
        return Detection(str(version) if version is not None else None,
                         {"server": "llama-cpp-python", "openapi_title": info.get("title")})
    props = await view.get_object("/props")
    listed = any(m.get("owned_by") == "llamacpp" for m in view.models)
    if listed or (props is not None and "default_generation_settings" in props):
        build = props.get("build_info") if props else None
        return Detection(str(build) if build is not None else None,
                         {"server": "llama-server",
                          "props": {k: props[k] for k in ("build_info", "total_slots", "model_path")
                                    if k in props} if props else {}})
    return None


PROFILE = EngineProfile("llamacpp", "llama.cpp: llama-server or llama-cpp-python's server "
                        "(owned_by llamacpp, GET /props, or its OpenAPI title)",
                        forces_length=True, usage_option=True, fixed_length_fields=_fixed,
                        detect=_detect)
