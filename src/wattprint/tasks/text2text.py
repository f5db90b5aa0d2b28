"""Text-to-text tasks: masked language modelling, text generation, summarization."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any

from wattprint.tasks import metrics
from wattprint.tasks.base import Example, Prediction, Task
from wattprint.tasks.fields import require_text
from wattprint.tasks.recipes import MASK_PLACEHOLDER, PASSAGE_WORDS, first_words, mask_last_word


class FillMask(Task):
    """Masked language modelling: one mask per input, the model fills it.

    Recipe (C4, OSCAR and the built-in passages): the first 20 words with the last one
    replaced by the placeholder ``[MASK]`` (``meta["mask"]``); backends put their
    tokenizer's mask token there. BookCorpus in the study instead removed ``.`` from the
    sentence and appended the mask (record field ``mask_mode="append"``, no reference).
    Quality: top-1 accuracy of the predicted word against the masked one.
    """

    id = "fill-mask"
    work_unit = "sample"
    modality = "text-to-text"
    recipe = "first 20 words, the last replaced by the mask token (one mask per input)"
    record_fields = ("text", "mask_mode")

    def prepare(self, record: Mapping[str, Any]) -> Example:
        """The text with one word masked as input, the masked word as reference."""
        text = require_text(record, "text", self.id)
        if record.get("mask_mode") == "append":
            masked = text.replace(".", "").strip() + " " + MASK_PLACEHOLDER
            return Example(inputs=masked, reference=None,
                           meta={"mask": MASK_PLACEHOLDER, "mask_mode": "append"})
        masked, word = mask_last_word(text, PASSAGE_WORDS, MASK_PLACEHOLDER)
        return Example(inputs=masked, reference=word,
                       meta={"mask": MASK_PLACEHOLDER, "masked_word": word})

    def score(self, predictions: Sequence[Prediction], examples: Sequence[Example]) -> dict[str, float]:
        """Top-1 accuracy of the predicted mask fillers against the masked words."""
        return metrics.mask_accuracy([p.output for p in predictions], [e.reference for e in examples])


class TextGeneration(Task):
    """Open-ended generation: the first 20 words as prompt, exactly 10 new tokens.

    No reference output exists, so :meth:`score` returns ``{}``.
    """

    id = "text-generation"
    work_unit = "token"
    modality = "text-to-text"
    recipe = "first 20 words as the prompt; exactly 10 new tokens"
    default_generation = MappingProxyType({"max_new_tokens": 10, "min_new_tokens": 10})
    record_fields = ("text",)

    def prepare(self, record: Mapping[str, Any]) -> Example:
        """The passage's first words as the prompt."""
        text = require_text(record, "text", self.id)
        return Example(inputs=first_words(text, PASSAGE_WORDS) if text.split() else "")


class Summarization(Task):
    """Abstractive summarization (CNN/DailyMail, SAMSum, XSum) of the whole text.

    The study called ``summarize(text, max_length=15, min_length=10)``; for an
    encoder-decoder model those lengths count decoder tokens, so wattprint states them as
    ``max_new_tokens=15, min_new_tokens=10``. Quality: ROUGE-1/2/L F-measure.
    """

    id = "summarization"
    work_unit = "token"
    modality = "text-to-text"
    recipe = ("the whole text (the model truncates); 10 to 15 new tokens "
              "(study: max_length=15, min_length=10)")
    default_generation = MappingProxyType({"max_new_tokens": 15, "min_new_tokens": 10})
    record_fields = ("text", "summary")

    def prepare(self, record: Mapping[str, Any]) -> Example:
        """The text as input and its summary, if any, as reference."""
        text = require_text(record, "text", self.id)
        summary = record.get("summary")
        return Example(inputs=text, reference=None if summary is None else str(summary))

    def score(self, predictions: Sequence[Prediction], examples: Sequence[Example]) -> dict[str, float]:
        """ROUGE scores against the reference summaries."""
        return metrics.rouge_scores([p.output for p in predictions], [e.reference for e in examples])
