"""The transformers task table: one line per task; a registered task gets a line of its own."""

from __future__ import annotations

import pytest

from wattprint.backends import hf_runners
from wattprint.backends.heads import HEADS
from wattprint.backends.hf_tasks import HF_TASKS, HFTask, hf_task, register_hf_task
from wattprint.backends.transformers import TransformersBackend
from wattprint.errors import ConfigError, TaskError
from wattprint.tasks.base import TASK_IDS


def test_the_table_has_every_study_task_but_text_to_image():
    assert set(HF_TASKS) == set(TASK_IDS) - {"text-to-image"}
    assert {t for t, e in HF_TASKS.items() if e.generates} == {"text-generation", "summarization",
                                                              "image-to-text"}


def test_a_task_with_a_line_runs_on_transformers_and_one_without_is_told_how():
    with pytest.raises(TaskError, match=r"'story-length' is not run by transformers.*register_hf_task"):
        TransformersBackend("story-length", "zoo:distilgpt2")
    try:
        entry = register_hf_task("story-length", like="text-generation", inputs="text")
        assert entry.head is HEADS["text-generation"] and entry.generates
        assert hf_task("story-length") is entry
        assert TransformersBackend("story-length", "zoo:distilgpt2").hf is entry
        own = register_hf_task("word-tags", HFTask(HEADS["token-classification"],
                                                   hf_runners.token_classification, "words"))
        assert own.inputs == "words" and not own.generates
    finally:
        HF_TASKS.pop("story-length", None)
        HF_TASKS.pop("word-tags", None)


def test_register_needs_exactly_one_of_a_line_or_a_model_task():
    with pytest.raises(ConfigError, match="exactly one"):
        register_hf_task("x")
    with pytest.raises(TaskError, match="'nope' is not run by transformers"):
        register_hf_task("x", like="nope")
    assert "x" not in HF_TASKS
