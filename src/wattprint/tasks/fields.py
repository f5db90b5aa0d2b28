"""Reading fields out of raw records, with errors that name the field."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from wattprint.errors import ConfigError


def require(record: Mapping[str, Any], name: str, task_id: str) -> Any:
    """The value of ``record[name]``; ConfigError naming the field and the keys present."""
    if name not in record or record[name] is None:
        present = ", ".join(sorted(str(k) for k in record)) or "none"
        raise ConfigError(f"{task_id}: record has no {name!r} field (fields present: {present})")
    return record[name]


def require_text(record: Mapping[str, Any], name: str, task_id: str) -> str:
    """A required string field; ConfigError when it is missing or not a string."""
    value = require(record, name, task_id)
    if not isinstance(value, str):
        raise ConfigError(f"{task_id}: field {name!r} must be text, got {type(value).__name__}")
    return value


def string_list(value: Any, name: str, task_id: str) -> list[str]:
    """A list of strings from a list/tuple (or one string → one-element list)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, Sequence) or hasattr(value, "tolist"):
        items = value.tolist() if hasattr(value, "tolist") else list(value)
        return [str(v) for v in items]
    raise ConfigError(f"{task_id}: field {name!r} must be a list of strings, "
                      f"got {type(value).__name__}")


def label_names_of(record: Mapping[str, Any]) -> tuple[str, ...] | None:
    """The optional ``label_names`` of a record (class names in id order)."""
    names = record.get("label_names")
    return tuple(str(n) for n in names) if names else None


def open_image(value: Any, task_id: str) -> Any:
    """A PIL image from a PIL image, a file path, raw bytes or a ``{"bytes"|"path"}`` dict.

    Raises:
        ConfigError: the value is none of those, or the file cannot be read as an image.
    """
    from PIL import Image, UnidentifiedImageError

    if isinstance(value, Image.Image):
        return value
    if isinstance(value, Mapping):
        value = value.get("bytes") or value.get("path")
    try:
        if isinstance(value, (bytes, bytearray)):
            img = Image.open(io.BytesIO(value))
        elif isinstance(value, (str, Path)):
            img = Image.open(Path(value))
        else:
            raise ConfigError(f"{task_id}: 'image' must be a PIL image, a path or bytes, "
                              f"got {type(value).__name__}")
        img.load()
        return img
    except (OSError, UnidentifiedImageError) as err:
        raise ConfigError(f"{task_id}: cannot read image {str(value)[:200]!r}: {err}") from err
