"""The study's zero-shot mode: multi-purpose models on sentiment, extractive QA, summarization.

Flan-T5 (``family="t5"``, a text-to-text model) and BLOOMz (``family="causal"``, a
decoder-only model) get the same prompts, copied from the study's code
(``code/zeroshot/*``; ``docs/study.md`` §1.4), and differ in generation settings:

* Flan-T5 ran with the ``text2text-generation`` pipeline defaults: ``max_length=20``
  decoder tokens.
* BLOOMz ran with ``max_new_tokens=1`` for sentiment, 15 for CNN/DailyMail and SAMSum, 65 for
  XSum, SQuAD and SQuAD v2, and the pipeline default for SciQ (``max_length=20`` counts the
  prompt, so only about one token comes out). The study's ``eos_token_id=-1`` on SQuAD is
  not reproduced: Table 4 reports ~2 output tokens there, so generation did stop at EOS.

The answer a model writes is parsed back into the task's prediction form (a sentiment
label, an answer string, a summary) so that :meth:`Task.score` scores zero-shot and
task-specific models on the same inputs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from wattprint.errors import ConfigError, unknown_choice
from wattprint.tasks.base import Example
from wattprint.tasks.study_models import ZERO_SHOT_TASKS

FAMILIES: tuple[str, ...] = ("t5", "causal")
"""``t5``: text-to-text (Flan-T5); ``causal``: decoder-only (BLOOMz)."""

FAMILY_ALIASES: dict[str, str] = {"seq2seq": "t5", "encoder-decoder": "t5", "text2text": "t5",
                                  "decoder": "causal", "decoder-only": "causal"}
"""Other names accepted for the two families (the backends say ``seq2seq``)."""


def normalize_family(family: str) -> str:
    """``t5`` or ``causal`` from a family name or alias (ConfigError when unknown)."""
    family = FAMILY_ALIASES.get(family, family)
    if family not in FAMILIES:
        raise unknown_choice("model family", family, FAMILIES + tuple(FAMILY_ALIASES))
    return family

SENTIMENT_PREFIX = "what is the binary sentiment of the following sentence? "
TOPIC_TEMPLATE = ("Which topic is this text about: {choices}?\n\nText: {text}\n\n"
                  "Answer with one word.")
"""Text classification into named classes other than binary sentiment (e.g. the four
fortune categories of the study-mini suite): the class names are listed in the prompt."""
SENTIMENT_NAMES = frozenset({"negative", "positive"})
QA_TEMPLATE = '{question}? Find the answer to the question in the following text: "{context}". Answer:'
SUMMARIZATION_PREFIX = "summarize the following text: "

T5_GENERATION: dict[str, Any] = {"max_length": 20}
"""Flan-T5: the pipeline's default generation length (decoder tokens)."""

CAUSAL_MAX_NEW_TOKENS: dict[tuple[str, str | None], int | None] = {
    ("text-classification", None): 1,
    ("question-answering", None): 65,
    ("question-answering", "sciq"): None,
    ("summarization", None): 15,
    ("summarization", "cnn_dailymail"): 15,
    ("summarization", "samsum"): 15,
    ("summarization", "xsum"): 65,
}
"""BLOOMz ``max_new_tokens`` by (task, study dataset); ``None`` dataset = any other dataset;
a ``None`` value = the pipeline default (``max_length=20`` including the prompt)."""


def _check(task_id: str, family: str) -> str:
    if task_id not in ZERO_SHOT_TASKS:
        raise unknown_choice("zero-shot task", task_id, ZERO_SHOT_TASKS)
    return normalize_family(family)


def make_prompt(task_id: str, example: Example, family: str = "t5") -> str:
    """The study's zero-shot prompt for one prepared example.

    Args:
        task_id: ``text-classification``, ``question-answering`` or ``summarization``.
        example: An example prepared by that task (text, or ``{"question", "context"}``).
        family: ``"t5"`` (alias ``"seq2seq"``) or ``"causal"``; the prompts are the same.

    Raises:
        ConfigError: another task, an unknown family, or inputs of the wrong shape.
    """
    _check(task_id, family)
    inputs = example.inputs
    if task_id == "question-answering":
        if not isinstance(inputs, Mapping) or "question" not in inputs or "context" not in inputs:
            raise ConfigError("question-answering zero-shot needs {'question', 'context'} inputs")
        return QA_TEMPLATE.format(question=inputs["question"], context=inputs["context"])
    if not isinstance(inputs, str):
        raise ConfigError(f"{task_id} zero-shot needs text inputs, got {type(inputs).__name__}")
    names = _class_names(example)
    if task_id == "text-classification" and names:
        return TOPIC_TEMPLATE.format(choices=_choices(names), text=inputs)
    prefix = SENTIMENT_PREFIX if task_id == "text-classification" else SUMMARIZATION_PREFIX
    return prefix + inputs


def _class_names(example: Example) -> tuple[str, ...] | None:
    """The example's class names when they are not binary sentiment (None otherwise)."""
    names = example.meta.get("label_names") if example.meta else None
    if not names or {str(n).lower() for n in names} <= SENTIMENT_NAMES:
        return None
    return tuple(str(n) for n in names)


def _choices(names: tuple[str, ...]) -> str:
    """``a, b, c or d``."""
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def generation_settings(task_id: str, family: str, dataset: str | None = None) -> dict[str, Any]:
    """Generation settings the study used for a zero-shot run.

    Args:
        task_id: One of the three zero-shot tasks.
        family: ``"t5"`` (alias ``"seq2seq"``) or ``"causal"``.
        dataset: Study dataset short name (``"xsum"`` ...), or None for any other input.

    Returns:
        Keyword arguments for ``generate`` (e.g. ``{"max_new_tokens": 1}``); for the
        pipeline-default cases ``{"max_length": 20}``.
    """
    family = _check(task_id, family)
    if family == "t5":
        return dict(T5_GENERATION)
    key = (task_id, dataset) if (task_id, dataset) in CAUSAL_MAX_NEW_TOKENS else (task_id, None)
    value = CAUSAL_MAX_NEW_TOKENS[key]
    return {"max_length": 20} if value is None else {"max_new_tokens": value}


_SENTIMENT_WORDS = re.compile(r"\b(positive|negative)\b")


def parse_answer(task_id: str, text: str, *, prompt: str | None = None,
                 label_names: tuple[str, ...] | None = None) -> str:
    """Turn a zero-shot model's text into the task's prediction form.

    Args:
        task_id: One of the three zero-shot tasks.
        text: What the model generated (a causal pipeline may return prompt + answer).
        prompt: The prompt, stripped from the front of ``text`` when it is there.
        label_names: For text classification into named classes (not binary sentiment):
            the class whose name appears first in the answer is the prediction.

    Returns:
        ``"positive"``/``"negative"`` for sentiment (the first of the two words that
        appears; otherwise the lower-cased text, which then scores as wrong), the answer
        string for QA (first line, quotes and a final full stop removed), the summary text
        for summarization.
    """
    _check(task_id, "t5")
    if prompt and text.startswith(prompt):
        text = text[len(prompt):]
    text = text.strip()
    if task_id == "text-classification" and label_names and \
            {n.lower() for n in label_names} - SENTIMENT_NAMES:
        found = [(m.start(), name.lower()) for name in label_names
                 if (m := re.search(rf"\b{re.escape(name.lower())}\b", text.lower()))]
        return min(found)[1] if found else text.lower()
    if task_id == "text-classification":
        match = _SENTIMENT_WORDS.search(text.lower())
        return match.group(1) if match else text.lower()
    if task_id == "question-answering":
        first = text.splitlines()[0].strip() if text else ""
        return first.rstrip(".").strip().strip('"“”\'').strip()
    return text
