"""``transformers serve``: any unknown request field is a 422; the extra field
``generation_config`` (a JSON *string*) with ``eos_token_id: -1`` gives exactly ``max_tokens``.
Since transformers 5.25 a stream carries ``usage`` only when ``stream_options.include_usage``
is asked for (5.24 ignored the option, with a warning, and always sent it); without it a client
can only count chunks, and its detokenizer sends no chunk for a token that does not complete a
character, so chunks undercount tokens. Recognised by its model list (a ``status`` object per
model)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from wattprint.serving.engines.base import Detection, EngineProfile, ServerView


def _fixed(max_tokens: int) -> Mapping[str, Any]:
    return {"generation_config": json.dumps({"eos_token_id": -1})}


async def _detect(view: ServerView) -> Detection | None:
    if any(isinstance(m.get("status"), dict) for m in view.models):
        return Detection()
    return None


PROFILE = EngineProfile("transformers", "transformers serve (a status object per listed model)",
                        forces_length=True, usage_option=True, fixed_length_fields=_fixed,
                        detect=_detect)
