"""Any other OpenAI-compatible server (TGI, Ollama ...): only ``max_tokens`` and
``stream_options.include_usage`` are sent, so output lengths are not forced; the lengths
actually produced are recorded. The fallback of ``--engine auto``."""

from __future__ import annotations

from wattprint.serving.engines.base import EngineProfile

PROFILE = EngineProfile("generic", "any other OpenAI-compatible server (the fallback)",
                        forces_length=False, usage_option=True)
