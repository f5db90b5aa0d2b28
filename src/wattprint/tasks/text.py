"""Text-to-category tasks: text classification, token classification, extractive QA."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from wattprint.errors import ConfigError
from wattprint.tasks import metrics
from wattprint.tasks.base import Example, Prediction, Task
from wattprint.tasks.fields import label_names_of, require, require_text, string_list


class TextClassification(Task):
    """Binary sentiment in the study (IMDB, SST-2, Rotten Tomatoes): text in, label out.

    Record fields: ``text``; optional ``label`` (class id or name; -1/None = unlabelled)
    and ``label_names`` (class names in id order). Quality: accuracy of the normalised
    label (``LABEL_1``, ``POSITIVE``, ``4 stars`` ... all map onto the dataset's names).
    """

    id = "text-classification"
    work_unit = "sample"
    modality = "text-to-category"
    recipe = "the text as is; one label per text (sentiment in the study)"
    record_fields = ("text", "label", "label_names")

    def prepare(self, record: Mapping[str, Any]) -> Example:
        """The text as input and its label (None for hidden test labels)."""
        text = require_text(record, "text", self.id)
        names = label_names_of(record)
        label = record.get("label")
        if isinstance(label, int) and not isinstance(label, bool) and label < 0:
            label = None  # GLUE-style hidden test labels
        reference = metrics.normalize_label(label, names) if label is not None else None
        return Example(inputs=text, reference=reference,
                       meta={"label_names": names} if names else {})

    def score(self, predictions: Sequence[Prediction], examples: Sequence[Example]) -> dict[str, float]:
        """Accuracy of the predicted labels."""
        names = next((e.meta.get("label_names") for e in examples if e.meta.get("label_names")), None)
        return metrics.accuracy([p.output for p in predictions], [e.reference for e in examples], names)


def _tags_of(output: Any, tokens: Sequence[str]) -> list[str]:
    """Word-level IOB2 tags from any of the accepted prediction forms."""
    out = list(output or [])
    if out and all(isinstance(t, (tuple, list)) and len(t) == 2 for t in out):
        out = [tag for _, tag in out]  # (word, tag) pairs
    if len(out) == len(tokens) and all(t is None or isinstance(t, str) for t in out):
        return metrics.normalize_tags(out)
    if all(isinstance(t, Mapping) for t in out):
        return metrics.entities_to_tags(out, tokens)
    raise ConfigError(f"token-classification: cannot read tags from a prediction of "
                      f"{len(out)} items for {len(tokens)} tokens")


class TokenClassification(Task):
    """Named entities / POS per word (CoNLL-2003, WikiANN) or over a passage (ReCoRD).

    Record fields: ``tokens`` with optional ``tags`` (IOB2 strings or ids with
    ``label_names``), or ``text`` (a passage, no tags). Input: ``" ".join(tokens)``.
    Predictions: one tag per token, ``(word, tag)`` pairs, or pipeline entities with
    character offsets into the input. Quality: seqeval entity F1 where tags exist.
    """

    id = "token-classification"
    work_unit = "sample"
    modality = "text-to-category"
    recipe = "tokens joined by spaces (CoNLL-2003, WikiANN) or the passage (ReCoRD)"
    record_fields = ("tokens", "tags", "text", "label_names")

    def prepare(self, record: Mapping[str, Any]) -> Example:
        """The tokens (or the whitespace-split text) as input and their tags as reference."""
        if record.get("tokens") is None:
            if record.get("text") is None:
                require(record, "tokens", self.id)
            text = require_text(record, "text", self.id)
            return Example(inputs=text, reference=None, meta={"tokens": text.split()})
        tokens = string_list(record["tokens"], "tokens", self.id)
        tags = record.get("tags")
        reference = None
        if tags is not None:
            raw = tags.tolist() if hasattr(tags, "tolist") else list(tags)
            names = label_names_of(record)
            if names and all(isinstance(t, int) for t in raw):
                raw = [names[t] for t in raw]
            reference = [str(t) for t in raw]
            if len(reference) != len(tokens):
                raise ConfigError(f"{self.id}: {len(tags)} tags for {len(tokens)} tokens")
        return Example(inputs=" ".join(tokens), reference=reference, meta={"tokens": tokens})

    def score(self, predictions: Sequence[Prediction], examples: Sequence[Example]) -> dict[str, float]:
        """seqeval precision, recall and F1 of the predicted tags."""
        predicted = []
        for p, e in zip(predictions, examples, strict=True):
            tokens = e.meta.get("tokens", [])
            predicted.append(_tags_of(p.output, tokens))
        return metrics.seqeval_scores(predicted, [e.reference for e in examples])


def _answers(value: Any) -> list[str] | None:
    """Gold answers from a list, one string, or a SQuAD ``{"text": [...]}`` dict."""
    if value is None:
        return None
    if isinstance(value, Mapping):
        value = value.get("text", [])
    return string_list(value, "answers", "question-answering")


class QuestionAnswering(Task):
    """Extractive QA (SQuAD, SQuAD v2, SciQ): ``{"question", "context"}`` in, a span out.

    Record fields: ``question``, ``context``, optional ``answers`` (list, string, or the
    SQuAD dict; an empty list = unanswerable). Quality: SQuAD exact match and F1.
    """

    id = "question-answering"
    work_unit = "sample"
    modality = "text-to-category"
    recipe = "{'question', 'context'}; the answer is a span of the context"
    record_fields = ("question", "context", "answers")

    def prepare(self, record: Mapping[str, Any]) -> Example:
        """Question and context as input, the answers as reference."""
        question = require_text(record, "question", self.id)
        context = require_text(record, "context", self.id)
        return Example(inputs={"question": question, "context": context},
                       reference=_answers(record.get("answers")))

    def score(self, predictions: Sequence[Prediction], examples: Sequence[Example]) -> dict[str, float]:
        """SQuAD exact match and F1."""
        return metrics.squad_scores([p.output for p in predictions], [e.reference for e in examples])
