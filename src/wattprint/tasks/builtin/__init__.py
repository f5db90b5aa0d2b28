"""Built-in offline inputs for every task, generated at run time (licence CC0-1.0).

``builtin`` names the default source of a task; ``builtin:<name>`` picks another one (e.g.
``builtin:long`` for IMDB-length reviews). Records are drawn one after the other from a
generator seeded with ``(task, source, seed)``, skipping duplicates, so the first ``k``
examples are the same whatever ``n`` is, and every source yields far more than the study's
1,000 distinct examples.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from wattprint.errors import ConfigError, did_you_mean
from wattprint.tasks import arithmetic
from wattprint.tasks.builtin import news, shapes, texts

RecordMaker = Callable[[random.Random], dict[str, Any]]

BUILTIN_SOURCES: dict[str, dict[str, tuple[RecordMaker, str]]] = {
    "text-classification": {
        "short": (lambda rng: texts.make_review(rng, long=False),
                  "movie reviews of 1–4 sentences, ~7–50 words (SST-2 / Rotten Tomatoes length), binary sentiment"),
        "long": (lambda rng: texts.make_review(rng, long=True),
                 "movie reviews of about 100–350 words (IMDB length), binary sentiment"),
    },
    "token-classification": {
        "ner": (texts.make_tagged_sentence,
                "CoNLL-2003-like sentences with IOB2 tags PER/ORG/LOC/MISC"),
    },
    "question-answering": {
        "towns": (texts.make_qa, "SQuAD-like question, ~90–160 word context, answer span"),
    },
    "fill-mask": {
        "web": (texts.make_passage, "web-text passages (C4/OSCAR-like) of 3–6 sentences"),
    },
    "text-generation": {
        "web": (texts.make_passage, "web-text passages (C4/OSCAR-like) of 3–6 sentences"),
    },
    "summarization": {
        "news": (news.make_article,
                 "news articles of ~300–700 words with a one-sentence reference summary"),
    },
    "image-classification": {
        "shapes": (shapes.make_labelled_image, "320×240 images of one shape, 10 classes"),
    },
    "object-detection": {
        "shapes": (shapes.make_detection_image, "320×240 images with 1–4 labelled shape boxes"),
    },
    "image-to-text": {
        "shapes": (shapes.make_captioned_image, "320×240 images of 1–2 shapes with 2 captions"),
    },
    "text-to-image": {
        "prompts": (texts.make_prompt, "DiffusionDB-like prompts of ~8–70 words"),
    },
    arithmetic.TASK_ID: {
        "word-problems": (arithmetic.make_problem,
                          "one- and two-step arithmetic word problems with their whole-number answer"),
    },
}
"""Task id → source name → (record maker, description). The first source is the default."""

MAX_ATTEMPTS_PER_RECORD = 50
"""Draws allowed per wanted record before giving up on finding a new distinct one."""


def builtin_source_names(task_id: str) -> list[str]:
    """The built-in source names of a task, default first (empty for an unknown task)."""
    return list(BUILTIN_SOURCES.get(task_id, {}))


def _key(record: dict[str, Any]) -> Any:
    if "_key" in record:
        return record["_key"]
    return repr(sorted((k, repr(v)) for k, v in record.items()))


def builtin_records(task_id: str, source: str | None, n: int, seed: int = 0) -> list[dict[str, Any]]:
    """``n`` distinct raw records from a built-in source, deterministic in ``seed``.

    Args:
        task_id: The task.
        source: Source name, or None for the task's default.
        n: How many records (>= 1).
        seed: Generator seed; the same seed gives the same records.

    Raises:
        ConfigError: unknown source for the task (with the valid names).
    """
    sources = BUILTIN_SOURCES.get(task_id)
    if not sources:
        raise ConfigError(f"task {task_id!r} has no built-in inputs")
    name = source or next(iter(sources))
    if name not in sources:
        valid = ", ".join("builtin:" + s for s in sources)
        raise ConfigError(f"unknown built-in source {name!r} for {task_id}"
                          f"{did_you_mean(name, sources)}; valid: builtin, {valid}")
    maker = sources[name][0]
    rng = random.Random(f"wattprint-builtin:{task_id}:{name}:{seed}")
    seen: set[Any] = set()
    records: list[dict[str, Any]] = []
    attempts = 0
    while len(records) < n:
        attempts += 1
        if attempts > MAX_ATTEMPTS_PER_RECORD * n:
            raise ConfigError(f"built-in source {name!r} for {task_id} yielded only "
                              f"{len(records)} distinct records; ask for fewer (n={n})")
        record = maker(rng)
        key = _key(record)
        if key in seen:
            continue
        seen.add(key)
        record.pop("_key", None)
        records.append(record)
    return records
