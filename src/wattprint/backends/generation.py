"""Generation settings and the honest count of generated tokens.

The study fixed output lengths only loosely (``max_new_tokens=10`` for text generation,
``max_length=15, min_length=10`` for summarization); a model that stops early then costs less
for reasons unrelated to its architecture. wattprint fixes the length by default
(``min_new_tokens = max_new_tokens``) and always counts the tokens actually generated.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from wattprint.errors import ConfigError

DEFAULT_NEW_TOKENS: dict[str, int] = {
    "text-generation": 10,   # the study's max_new_tokens
    "summarization": 15,     # the study's max_length (its min_length was 10)
    "image-to-text": 20,     # transformers' default max_length, which the study's pipeline used
}
"""Task id -> default number of new tokens (task-specific mode)."""

ZERO_SHOT_NEW_TOKENS: dict[str, int] = {
    "text-classification": 1,   # the study's BLOOMz setting; Flan-T5 answered in 1.0 token on average
    "question-answering": 2,    # the study's measured mean answer length was about 2 tokens
    "summarization": 12,        # the study's measured means were 9.5-13.6 tokens
}
"""Task id -> default number of new tokens in zero-shot mode."""

_WATTPRINT_KEYS = {"fixed_length"}


def generate_kwargs(task_id: str, settings: Mapping[str, Any] | None, *, zero_shot: bool = False) -> dict[str, Any]:
    """The keyword arguments for ``model.generate`` for one task.

    Args:
        task_id: Hugging Face task id.
        settings: User settings: any ``generate`` keyword (``max_new_tokens``, ``min_new_tokens``,
            ``max_length``, ``min_length``, ``num_beams``, ``do_sample`` ...) plus ``fixed_length``
            (default True: the minimum length is set to the maximum unless given).
        zero_shot: Use the zero-shot defaults.

    Returns:
        Keyword arguments; greedy decoding unless the settings ask otherwise.
    """
    settings = dict(settings or {})
    fixed = settings.pop("fixed_length", True)
    if not isinstance(fixed, bool):
        raise ConfigError(f"generation.fixed_length must be true or false, not {fixed!r}")
    for key in ("max_new_tokens", "min_new_tokens", "max_length", "min_length"):
        value = settings.get(key)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
            raise ConfigError(f"generation.{key} must be a non-negative integer, not {value!r}")
    defaults = ZERO_SHOT_NEW_TOKENS if zero_shot else DEFAULT_NEW_TOKENS
    kwargs: dict[str, Any] = {"do_sample": False}
    if "max_new_tokens" not in settings and "max_length" not in settings:
        kwargs["max_new_tokens"] = defaults.get(task_id, 20)
    kwargs.update(settings)
    if fixed:
        if "max_new_tokens" in kwargs and "min_new_tokens" not in kwargs and "min_length" not in kwargs:
            kwargs["min_new_tokens"] = kwargs["max_new_tokens"]
        elif "max_length" in kwargs and "min_length" not in kwargs and "min_new_tokens" not in kwargs:
            kwargs["min_length"] = kwargs["max_length"]
    return kwargs


def count_new_tokens(new_ids: Sequence[Sequence[int]], stop_ids: set[int]) -> list[int]:
    """Tokens generated per row, given the generated part of each output row.

    A row that finished early is padded by ``generate``; it counts up to and including its
    first stop token (the end-of-sequence token was generated too, and cost a step).

    Args:
        new_ids: Per row, the ids after the prompt / decoder start.
        stop_ids: End-of-sequence ids (padding follows the first of them).
    """
    counts = []
    for row in new_ids:
        n = len(row)
        for i, tok in enumerate(row):
            if tok in stop_ids:
                n = i + 1
                break
        counts.append(n)
    return counts
