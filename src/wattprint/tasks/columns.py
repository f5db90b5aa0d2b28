"""Column mapping: which column of a user's file feeds which record field of a task.

Defaults accept the canonical field names and the usual aliases (``sentence`` for text,
``ner_tags`` for tags, ``article``/``document``/``dialogue`` for text to summarize ...). A
user mapping ``{"text": "review_body"}`` overrides them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from wattprint.errors import ConfigError

ALIASES: dict[str, tuple[str, ...]] = {
    "text": ("text", "sentence", "review", "content", "passage", "article", "document",
             "dialogue"),
    "label": ("label", "labels", "class", "target"),
    "label_names": ("label_names",),
    "tokens": ("tokens", "words"),
    "tags": ("tags", "ner_tags", "labels_iob"),
    "question": ("question", "query"),
    "context": ("context", "support", "passage"),
    "answers": ("answers", "answer", "correct_answer"),
    "summary": ("summary", "highlights", "reference"),
    "mask_mode": ("mask_mode",),
    "image": ("image", "img", "path", "file", "file_name", "image_path"),
    "objects": ("objects",),
    "captions": ("captions", "caption", "text"),
    "prompt": ("prompt", "Prompt", "text", "caption"),
}
"""Canonical record field → column names accepted for it, in order of preference."""

REQUIRED: dict[str, tuple[tuple[str, ...], ...]] = {
    "text-classification": (("text",),),
    "token-classification": (("tokens", "text"),),
    "question-answering": (("question",), ("context",)),
    "fill-mask": (("text",),),
    "text-generation": (("text",),),
    "summarization": (("text",),),
    "image-classification": (("image",),),
    "object-detection": (("image",),),
    "image-to-text": (("image",),),
    "text-to-image": (("prompt",),),
}
"""Task id → required fields; each entry is a group of which at least one must be present."""

LIST_FIELDS = frozenset({"tokens", "tags", "answers", "captions", "objects", "label_names"})
"""Fields that hold lists or mappings; in CSV cells they are written as JSON."""


def resolve_columns(task_id: str, record_fields: Sequence[str], columns: Sequence[str],
                    mapping: Mapping[str, str] | None, source: str) -> dict[str, str]:
    """Decide which column feeds each record field.

    Args:
        task_id: The task (for its required fields).
        record_fields: The task's canonical record fields.
        columns: Column names present in the file.
        mapping: User overrides, canonical field → column.
        source: File name for error messages.

    Returns:
        Canonical field → column name, for the fields that could be matched.

    Raises:
        ConfigError: a mapped column is absent, or a required field has no column; the
            message names the file, the columns found and the columns expected.
    """
    present = list(columns)
    chosen: dict[str, str] = {}
    for fld, col in (mapping or {}).items():
        if col not in present:
            raise ConfigError(f"{source}: column {col!r} (mapped to {fld!r}) not found; "
                              f"columns: {', '.join(map(str, present)) or 'none'}")
        chosen[fld] = col
    used = set(chosen.values())
    for fld in record_fields:
        if fld in chosen:
            continue
        for alias in ALIASES.get(fld, (fld,)):
            if alias in present and alias not in used:
                chosen[fld] = alias
                used.add(alias)
                break
    for group in REQUIRED.get(task_id, ()):
        if not any(g in chosen for g in group):
            expected = " or ".join(f"{g!r} (also accepted: {', '.join(ALIASES.get(g, (g,)))})"
                                   for g in group)
            raise ConfigError(f"{source}: no column for {expected} needed by {task_id}; "
                              f"columns found: {', '.join(map(str, present)) or 'none'}; "
                              f"map one with columns={{'{group[0]}': 'YOUR_COLUMN'}}")
    return chosen


def decode_cell(field: str, value: Any) -> Any:
    """A CSV cell for a list/mapping field, decoded from JSON when it looks like JSON."""
    if field in LIST_FIELDS and isinstance(value, str) and value.strip()[:1] in ("[", "{"):
        return json.loads(value)
    return value
