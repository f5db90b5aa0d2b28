"""What a task is: an input recipe, a work unit and a quality score.

A task turns raw dataset records into :class:`Example` objects (the study's input recipe,
e.g. the first 20 words with the last one masked) and scores predictions against references.
Tasks know nothing of models; backends know nothing of datasets.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

TASK_IDS: tuple[str, ...] = (
    "text-classification",
    "token-classification",
    "question-answering",
    "fill-mask",
    "text-generation",
    "summarization",
    "image-classification",
    "object-detection",
    "image-to-text",
    "text-to-image",
)
"""The study's ten tasks, by their Hugging Face task ids, in the study's order."""


@dataclass(frozen=True)
class Example:
    """One model input, prepared by a task's recipe.

    Attributes:
        inputs: What the backend receives: a string, a ``{"question", "context"}`` dict, a
            PIL image (RGB, 640×480 for the study's vision tasks), or a prompt string.
        reference: The label / answer / summary / tags used for quality, or None.
        meta: Anything else (source record id, original length ...).
    """

    inputs: Any
    reference: Any = None
    meta: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Prediction:
    """What one inference produced, as a backend reports it.

    Attributes:
        output: The model's answer in the task's form (label, spans, text, image, boxes ...).
        output_tokens: Tokens generated (generative tasks), else None.
        input_tokens: Tokens read, when known.
        work_units: Work units this inference counts for (1 sample / k tokens / 1 image).
    """

    output: Any
    output_tokens: int | None = None
    input_tokens: int | None = None
    work_units: float = 1.0


class Task(abc.ABC):
    """One of the ten tasks (or a user-defined one registered under a new id).

    Attributes:
        id: The Hugging Face task id, e.g. ``"fill-mask"``.
        work_unit: ``"sample"``, ``"token"`` or ``"image"``: what one unit of work is.
        modality: The study's grouping, e.g. ``"text-to-category"``.
        recipe: A short human description of the input recipe and generation settings.
        default_generation: Generation settings a backend applies unless the run overrides
            them (e.g. ``{"max_new_tokens": 10, "min_new_tokens": 10}``); empty for
            non-generative tasks.
        record_fields: The canonical raw-record keys :meth:`prepare` reads (required first,
            optional ones after), used to map dataset columns.
    """

    id: str
    work_unit: str  # "sample", "token" or "image"
    modality: str   # the study's grouping, e.g. "text-to-category"
    recipe: str = ""
    default_generation: Mapping[str, Any] = MappingProxyType({})
    record_fields: tuple[str, ...] = ()

    @abc.abstractmethod
    def prepare(self, record: Mapping[str, Any]) -> Example:
        """Apply the input recipe to one raw dataset record."""

    def score(self, predictions: Sequence[Prediction], examples: Sequence[Example]) -> dict[str, float]:
        """Quality metrics over a run (accuracy, f1, rouge1 ...); empty when there are no labels."""
        return {}
