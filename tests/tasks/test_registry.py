import pytest

from wattprint.errors import ConfigError
from wattprint.tasks import registry
from wattprint.tasks.base import TASK_IDS, Example, Task
from wattprint.tasks.registry import get_task, list_tasks, register_task

UNITS = {"text-classification": "sample", "token-classification": "sample",
         "question-answering": "sample", "fill-mask": "sample", "text-generation": "token",
         "summarization": "token", "image-classification": "sample", "object-detection": "sample",
         "image-to-text": "token", "text-to-image": "image"}
MODALITIES = {"text-classification": "text-to-category", "token-classification": "text-to-category",
              "question-answering": "text-to-category", "fill-mask": "text-to-text",
              "text-generation": "text-to-text", "summarization": "text-to-text",
              "image-classification": "image-to-category", "object-detection": "image-to-category",
              "image-to-text": "image-to-text", "text-to-image": "text-to-image"}


def test_the_ten_tasks_in_study_order_with_units_and_modalities():
    ids = [t.id for t in list_tasks()][:10]
    assert tuple(ids) == TASK_IDS
    for t in list_tasks()[:10]:
        assert t.work_unit == UNITS[t.id] and t.modality == MODALITIES[t.id]
        assert t.recipe


def test_unknown_task_did_you_mean_and_valid_list():
    with pytest.raises(ConfigError) as err:
        get_task("text-clasification")
    msg = str(err.value)
    assert "did you mean 'text-classification'" in msg and "text-to-image" in msg


class _Echo(Task):
    id = "echo"
    work_unit = "sample"
    modality = "text-to-text"

    def prepare(self, record):
        return Example(record["text"])


def test_register_user_task_and_refuse_duplicates(monkeypatch):
    monkeypatch.setattr(registry, "_TASKS", dict(registry._TASKS))
    task = register_task(_Echo(), replace=True)
    assert get_task("echo") is task
    with pytest.raises(ConfigError, match="already registered"):
        register_task(_Echo())
    bad = _Echo()
    bad.work_unit = "word"
    with pytest.raises(ConfigError, match="work_unit"):
        register_task(bad, replace=True)
