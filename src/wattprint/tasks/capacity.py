"""How many inputs a dataset can supply: checked when a plan is made, not after hours of loading.

A job keeps its ``n`` inputs in memory for the whole measured window, so ``n`` is bounded by
what the dataset holds and by what fits in memory:

* built-in text sources: :data:`BUILTIN_TEXT_MAX_N` distinct records (each source was
  generated to that count; at most a few hundred MB of text);
* built-in image sources: :data:`BUILTIN_IMAGE_MAX_N` (a 320×240 RGB image is about
  230 kB decoded, so 5,000 take about 1.2 GB);
* a local file or image folder: its number of records / images, counted by streaming it
  (:data:`MAX_N` when it cannot be read or holds none: the pre-flight check says why);
* anything else (Hub datasets): :data:`MAX_N`, a bound on memory, since the size is not
  known offline.
"""

from __future__ import annotations

from pathlib import Path

from wattprint.errors import ConfigError
from wattprint.tasks.files import IMAGE_SUFFIXES, count_rows

MAX_N = 1_000_000
"""Largest ``n`` for any dataset (inputs are held in memory during the window)."""

BUILTIN_TEXT_MAX_N = 100_000
"""Largest ``n`` of a built-in text source."""

BUILTIN_IMAGE_MAX_N = 5_000
"""Largest ``n`` of a built-in image source."""

IMAGE_INPUT_TASKS = ("image-classification", "object-detection", "image-to-text")
"""Tasks whose built-in inputs are images."""


def max_inputs(task_id: str, dataset: str) -> int:
    """The largest ``n`` that ``dataset`` can supply for ``task_id``.

    A local file or folder that cannot be read or holds no records gives :data:`MAX_N`
    (the bound on memory) here: the pre-flight check
    (``wattprint.tasks.inputs.check_local_dataset``) reports its fault with the file and
    line, before any job starts.
    """
    if dataset == "builtin" or dataset.startswith("builtin:"):
        return BUILTIN_IMAGE_MAX_N if task_id in IMAGE_INPUT_TASKS else BUILTIN_TEXT_MAX_N
    path = Path(dataset).expanduser()
    try:
        if path.is_dir():
            return min(MAX_N, _count_images(path)) or MAX_N
        if path.is_file():
            return count_rows(path, MAX_N) or MAX_N
    except (ConfigError, OSError):
        return MAX_N
    return MAX_N


def _count_images(root: Path) -> int:
    folders = [p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")] or [root]
    return sum(1 for f in folders for img in f.iterdir() if img.suffix.lower() in IMAGE_SUFFIXES)
