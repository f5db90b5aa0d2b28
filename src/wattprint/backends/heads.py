"""Which transformers model heads can do which task, and the check that says so.

Built from transformers' own auto-class tables (``MODEL_FOR_*_MAPPING_NAMES``), so a new
architecture that transformers supports for a task is accepted without a change here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from wattprint.errors import TaskError

ZERO_SHOT_TASKS: tuple[str, ...] = ("text-classification", "question-answering", "summarization")
"""Tasks the study ran through multi-purpose models (zero-shot mode)."""


@dataclass(frozen=True)
class Head:
    """How a task is run with transformers.

    Attributes:
        auto_classes: Auto class names to try, in order (the first that exists in this
            transformers version is used).
        tables: ``MODEL_FOR_*_MAPPING_NAMES`` tables listing the model types that have the head.
        extra: Additional ``model_type -> class name`` entries (e.g. vision-encoder-decoder).
        saved_suffixes: Saved architectures that also carry the head, by name suffix (a
            ``*ForPreTraining`` checkpoint has the masked-LM head).
    """

    auto_classes: tuple[str, ...]
    tables: tuple[str, ...]
    extra: Mapping[str, str] = None  # type: ignore[assignment]
    saved_suffixes: tuple[str, ...] = ()


HEADS: dict[str, Head] = {
    "text-classification": Head(("AutoModelForSequenceClassification",), ("MODEL_FOR_SEQUENCE_CLASSIFICATION_MAPPING_NAMES",)),
    "token-classification": Head(("AutoModelForTokenClassification",), ("MODEL_FOR_TOKEN_CLASSIFICATION_MAPPING_NAMES",)),
    "question-answering": Head(("AutoModelForQuestionAnswering",), ("MODEL_FOR_QUESTION_ANSWERING_MAPPING_NAMES",)),
    "fill-mask": Head(("AutoModelForMaskedLM",), ("MODEL_FOR_MASKED_LM_MAPPING_NAMES",),
                      saved_suffixes=("ForPreTraining",)),
    "text-generation": Head(("AutoModelForCausalLM",), ("MODEL_FOR_CAUSAL_LM_MAPPING_NAMES",)),
    "summarization": Head(("AutoModelForSeq2SeqLM",), ("MODEL_FOR_SEQ_TO_SEQ_CAUSAL_LM_MAPPING_NAMES",)),
    "image-classification": Head(("AutoModelForImageClassification",), ("MODEL_FOR_IMAGE_CLASSIFICATION_MAPPING_NAMES",)),
    "object-detection": Head(("AutoModelForObjectDetection",), ("MODEL_FOR_OBJECT_DETECTION_MAPPING_NAMES",)),
    "image-to-text": Head(
        ("AutoModelForImageTextToText", "AutoModelForVision2Seq"),
        ("MODEL_FOR_IMAGE_TEXT_TO_TEXT_MAPPING_NAMES", "MODEL_FOR_VISION_2_SEQ_MAPPING_NAMES"),
        {"vision-encoder-decoder": "VisionEncoderDecoderModel"}),
}
"""Task id -> the head that runs it (text-to-image is diffusers' business, not here)."""

ZERO_SHOT_FAMILIES: dict[str, Head] = {
    "seq2seq": HEADS["summarization"],
    "causal": HEADS["text-generation"],
}
"""Multi-purpose model families (zero-shot mode) -> the head that runs them."""


def head_classes(head: Head) -> dict[str, str]:
    """``model_type -> class name`` for every architecture that has this head."""
    from transformers.models.auto import modeling_auto

    out: dict[str, str] = {}
    for table in head.tables:
        names = getattr(modeling_auto, table, None)
        if names:
            for model_type, cls in names.items():
                out.setdefault(model_type, cls if isinstance(cls, str) else cls[0])
    out.update(head.extra or {})
    return out


def _describe(config: Any) -> str:
    archs = getattr(config, "architectures", None) or []
    return archs[0] if archs else f"{config.model_type!r} model"


def _valid_list(classes: Mapping[str, str], limit: int = 12) -> str:
    names = sorted(set(classes.values()))
    shown = ", ".join(names[:limit])
    return shown + (f" ... ({len(names)} in all)" if len(names) > limit else "")


def zero_shot_family(config: Any) -> str | None:
    """``seq2seq`` or ``causal`` for a multi-purpose LM config, else None."""
    for family, head in ZERO_SHOT_FAMILIES.items():
        if config.model_type in head_classes(head):
            return family
    return None


def check_fits(task_id: str, model: str, config: Any, *, mode: str = "task-specific",
               allow_new_head: bool = False, head: Head | None = None) -> str:
    """Check that a model (by its config) can run a task; return the class name that will be loaded.

    Args:
        task_id: Hugging Face task id.
        model: The model's name, for messages.
        config: Its ``transformers`` config.
        mode: ``task-specific`` or ``zero-shot``.
        allow_new_head: Accept a checkpoint saved without the task's head (the head is then
            initialised at random). Off by default: that silently changes what is measured.
        head: The head the task needs in task-specific mode (default: the study's, from
            :data:`HEADS`; the transformers backend passes its task table's).

    Raises:
        TaskError: the model cannot do the task; the message names its architecture and what is needed.
    """
    if mode == "zero-shot":
        if task_id not in ZERO_SHOT_TASKS:
            raise TaskError(f"zero-shot mode runs {', '.join(ZERO_SHOT_TASKS)}, not {task_id!r}")
        family = zero_shot_family(config)
        if family is None:
            valid = {**head_classes(ZERO_SHOT_FAMILIES['seq2seq']), **head_classes(ZERO_SHOT_FAMILIES['causal'])}
            raise TaskError(f"model {model} is a {_describe(config)} which cannot run {task_id} zero-shot; it needs "
                            f"a seq2seq or causal language model, e.g. {_valid_list(valid)}")
        head = ZERO_SHOT_FAMILIES[family]
    elif head is None:
        if task_id not in HEADS:
            raise TaskError(f"task {task_id!r} is not run by transformers models; "
                            f"transformers runs: {', '.join(HEADS)}")
        head = HEADS[task_id]
    classes = head_classes(head)
    if config.model_type not in classes:
        raise TaskError(f"model {model} is a {_describe(config)} which cannot do {task_id}; "
                        f"valid heads: {_valid_list(classes)}")
    saved: Sequence[str] = getattr(config, "architectures", None) or []
    wanted = set(classes.values())
    fits = any(a in wanted or a.endswith(head.saved_suffixes) for a in saved)
    if saved and not fits and not allow_new_head:
        raise TaskError(f"model {model} is a {saved[0]} which cannot do {task_id}: it was saved without a "
                        f"{task_id} head (a new head would be random); valid heads: {_valid_list(classes)}. "
                        "Pass allow_new_head=True to measure it with a random head anyway.")
    return classes[config.model_type]
