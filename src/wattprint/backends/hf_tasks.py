"""The tasks the transformers backend runs: one table line per task.

Each line says which model head a task needs, which runner turns a batch of examples into
predictions (:mod:`wattprint.backends.hf_runners`), which preprocessors to load and whether the
task generates tokens (its work unit is then a token). The study's nine transformers tasks are
listed here; a task registered from outside (:func:`wattprint.tasks.registry.register_task`)
runs on transformers models once it has a line too::

    register_hf_task("review-stars", like="text-classification")

Adding a task is its :class:`~wattprint.tasks.base.Task` module plus this one line.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Literal

from wattprint.backends import hf_runners
from wattprint.backends.heads import HEADS, Head
from wattprint.errors import ConfigError, TaskError

Inputs = Literal["text", "words", "image", "image-text"]
"""What a task feeds the model: text (a tokenizer), pre-split words (a tokenizer that may need a
prefix space), images (an image processor), or images to text (a processor, or an image
processor and a tokenizer for vision-encoder-decoder models)."""


@dataclass(frozen=True)
class HFTask:
    """How the transformers backend runs one task.

    Attributes:
        head: The model head it needs (auto classes and the architectures that have it).
        runner: ``runner(loaded) -> (examples -> predictions)``.
        inputs: The preprocessors to load (:data:`Inputs`).
        generates: The task generates tokens: it takes ``generation`` settings and its work
            unit is a generated token (also in zero-shot mode).
    """

    head: Head
    runner: Callable[[hf_runners.Loaded], hf_runners.Runner]
    inputs: Inputs = "text"
    generates: bool = False


HF_TASKS: dict[str, HFTask] = {
    "text-classification": HFTask(HEADS["text-classification"], hf_runners.text_classification),
    "token-classification": HFTask(HEADS["token-classification"],
                                   hf_runners.token_classification, inputs="words"),
    "question-answering": HFTask(HEADS["question-answering"], hf_runners.question_answering),
    "fill-mask": HFTask(HEADS["fill-mask"], hf_runners.fill_mask),
    "text-generation": HFTask(HEADS["text-generation"], hf_runners.text_to_text, generates=True),
    "summarization": HFTask(HEADS["summarization"], hf_runners.text_to_text, generates=True),
    "image-classification": HFTask(HEADS["image-classification"],
                                   hf_runners.image_classification, inputs="image"),
    "object-detection": HFTask(HEADS["object-detection"], hf_runners.object_detection,
                               inputs="image"),
    "image-to-text": HFTask(HEADS["image-to-text"], hf_runners.image_to_text,
                            inputs="image-text", generates=True),
}
"""Task id → how transformers runs it (text-to-image runs on diffusers, not here)."""


def register_hf_task(task_id: str, entry: HFTask | None = None, *, like: str | None = None,
                     **changes: object) -> HFTask:
    """Let the transformers backend run ``task_id``.

    Args:
        task_id: The task's id (as registered in the task registry).
        entry: Its table line; or
        like: the id of a task already in the table whose line it copies, with ``changes``
            (``generates=True`` ...) applied.

    Raises:
        ConfigError: neither or both of ``entry`` and ``like``, or ``like`` is not in the table.
    """
    if (entry is None) == (like is None):
        raise ConfigError("register_hf_task needs exactly one of an HFTask or like=<task id>")
    if entry is None:
        entry = replace(hf_task(str(like)), **changes)  # type: ignore[arg-type]
    HF_TASKS[task_id] = entry
    return entry


def hf_task(task_id: str) -> HFTask:
    """The table line of ``task_id``.

    Raises:
        TaskError: the task has no line: names the tasks transformers runs and how to add one.
    """
    try:
        return HF_TASKS[task_id]
    except KeyError:
        raise TaskError(f"task {task_id!r} is not run by transformers models; transformers runs: "
                        f"{', '.join(HF_TASKS)} (a registered task runs on transformers after "
                        "wattprint.backends.hf_tasks.register_hf_task)") from None
