"""A task registered from outside the package runs end to end through ``wattprint run``."""

from __future__ import annotations

import json
import sys
import textwrap

import pytest

from wattprint.cli import main
from wattprint.results.store import ResultStore
from wattprint.tasks import registry

TASK = textwrap.dedent('''\
    from wattprint.tasks.base import Example, Task
    from wattprint.tasks.registry import register_task


    class {cls}(Task):
        id = "{task_id}"
        work_unit = "sample"
        modality = "{modality}"
        record_fields = ("{text}", "{label}")

        def prepare(self, record):
            return Example(inputs=record["{text}"], reference={reference})

        def score(self, predictions, examples):
            hits = sum(p.output == e.reference for p, e in zip(predictions, examples))
            return {{"accuracy": hits / len(examples)}}


    register_task({cls}())
''')
"""A plugin module that registers one task (a text field in, a label field as the reference)."""

PLUGIN = TASK.format(cls="WordCount", task_id="word-count", modality="text-to-number",
                     text="text", label="label", reference='int(record["label"])') + textwrap.dedent('''\


    def count(text):
        return len(text.split())
''')


def _install(tmp_path, monkeypatch, module, source, dataset, rows):
    """Write a plugin module and its dataset, and name the module in WATTPRINT_PLUGINS."""
    (tmp_path / f"{module}.py").write_text(source)
    (tmp_path / dataset).write_text("".join(json.dumps(r) + "\n" for r in rows))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(registry.PLUGINS_ENV, module)
    monkeypatch.setattr(registry, "_PLUGINS_LOADED", False)


@pytest.fixture
def plugin(tmp_path, monkeypatch):
    _install(tmp_path, monkeypatch, "wp_wordcount_plugin", PLUGIN, "words.jsonl",
             [{"text": "one two three", "label": 3}, {"text": "a b", "label": 2},
              {"text": "x", "label": 7}])
    yield tmp_path
    registry._TASKS.pop("word-count", None)
    sys.modules.pop("wp_wordcount_plugin", None)


def test_registered_task_validates_and_runs_with_a_callable_model(plugin, capsys):
    db = plugin / "s.db"
    args = ["run", "--task", "word-count", "--model", "callable:wp_wordcount_plugin:count",
            "--dataset", "words.jsonl", "-n", "3", "--repeat", "1", "--idle", "0",
            "--warmup", "0", "--store", str(db), "--json"]
    assert main(args) == 0, capsys.readouterr().err
    with ResultStore(str(db)) as store:
        (r,) = store.results()
    assert (r.task, r.status, r.n) == ("word-count", "ok", 3)
    assert r.quality == {"accuracy": pytest.approx(2 / 3)}
    assert r.model_fingerprint and r.model_fingerprint.startswith("source:")


def test_registered_task_without_a_dataset_is_told_to_give_one(plugin, capsys):
    args = ["run", "--task", "word-count", "--model", "callable:wp_wordcount_plugin:count",
            "--dry-run"]
    assert main(args) == 2
    assert "has no built-in inputs" in capsys.readouterr().err


HF_PLUGIN = TASK.format(cls="ReviewMood", task_id="review-mood", modality="text-to-label",
                        text="review", label="mood", reference='record["mood"]') + textwrap.dedent('''\
    from wattprint.backends.hf_tasks import register_hf_task

    register_hf_task("review-mood", like="text-classification")   # the one table line
''')


@pytest.fixture
def hf_plugin(tmp_path, monkeypatch):
    from wattprint.backends import hf_tasks

    _install(tmp_path, monkeypatch, "wp_mood_plugin", HF_PLUGIN, "reviews.jsonl",
             [{"review": "a fine film", "mood": "POSITIVE"}, {"review": "dull", "mood": "NEGATIVE"}])
    yield tmp_path
    registry._TASKS.pop("review-mood", None)
    hf_tasks.HF_TASKS.pop("review-mood", None)
    sys.modules.pop("wp_mood_plugin", None)


def test_a_registered_task_runs_on_a_transformers_model(hf_plugin, capsys):
    from wattprint.backends.zoo import build

    model = build("distilbert-sst2", "tiny", hf_plugin / "zoo")   # a local checkpoint folder
    db = hf_plugin / "s.db"
    args = ["run", "--task", "review-mood", "--model", str(model), "--dataset", "reviews.jsonl",
            "-n", "2", "--repeat", "1", "--idle", "0", "--warmup", "0", "--store", str(db),
            "--json"]
    assert main(args) == 0, capsys.readouterr().err
    with ResultStore(str(db)) as store:
        (r,) = store.results()
    assert (r.task, r.status, r.n, r.backend) == ("review-mood", "ok", 2, "transformers")
    assert set(r.quality) == {"accuracy"} and r.work_units == 2
    assert r.extra["model_info"]["class"] == "DistilBertForSequenceClassification"
