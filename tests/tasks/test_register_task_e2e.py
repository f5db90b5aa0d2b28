"""A task registered from outside the package runs end to end through ``wattprint run``."""

from __future__ import annotations

import json
import sys
import textwrap

import pytest

from wattprint.cli import main
from wattprint.results.store import ResultStore
from wattprint.tasks import registry

PLUGIN = textwrap.dedent('''\
    from wattprint.tasks.base import Example, Task
    from wattprint.tasks.registry import register_task


    class WordCount(Task):
        id = "word-count"
        work_unit = "sample"
        modality = "text-to-number"
        record_fields = ("text", "label")

        def prepare(self, record):
            return Example(inputs=record["text"], reference=int(record["label"]))

        def score(self, predictions, examples):
            hits = sum(p.output == e.reference for p, e in zip(predictions, examples))
            return {"accuracy": hits / len(examples)}


    register_task(WordCount())


    def count(text):
        return len(text.split())
''')


@pytest.fixture
def plugin(tmp_path, monkeypatch):
    (tmp_path / "wp_wordcount_plugin.py").write_text(PLUGIN)
    rows = [{"text": "one two three", "label": 3}, {"text": "a b", "label": 2},
            {"text": "x", "label": 7}]
    (tmp_path / "words.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(registry.PLUGINS_ENV, "wp_wordcount_plugin")
    monkeypatch.setattr(registry, "_PLUGINS_LOADED", False)
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
