"""End to end, no network: a model and a labelled data set laid out as a Hugging Face cache
(``models--org--name/snapshots/<commit>``, ``refs/main``) are named ``org/name`` in a suite,
resolve through huggingface_hub (the data set through ``datasets``) with HF_HUB_OFFLINE=1, and
every result records both snapshot commits. Uses a tiny random model, so it runs everywhere."""

from __future__ import annotations

import json
import shutil

import pytest

from netless import run_netless
from wattprint.backends.zoo import build
from wattprint.tasks.local_hub import publish


def test_org_name_resolves_offline_and_records_the_commits(tmp_path, monkeypatch):
    cache = tmp_path / "wp-cache"
    model_build = tmp_path / "model"
    shutil.copytree(build("distilbert-sst2", "tiny", tmp_path / "zoo"), model_build)
    (model_build / "wattprint_weights.json").write_text(json.dumps({"weights": "random"}))
    data_build = tmp_path / "data"
    (data_build / "data").mkdir(parents=True)
    rows = [{"text": f"text number {i}", "label": i % 2} for i in range(6)]
    (data_build / "data" / "train.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (data_build / "README.md").write_text(
        "---\ndataset_info:\n  features:\n  - name: text\n    dtype: string\n  - name: label\n"
        "    dtype:\n      class_label:\n        names:\n          '0': negative\n"
        "          '1': positive\n---\n")
    monkeypatch.setenv("WATTPRINT_CACHE", str(cache))
    model = publish(model_build, "wattprint-zoo/tiny-sst2")
    data = publish(data_build, "wattprint-zoo/tiny-sentiment", "dataset")
    suite = tmp_path / "hub.yaml"
    suite.write_text("name: hub-e2e\ndefaults: {n: 4, repeat: 1, warmup: 0, idle_s: 0}\njobs:\n"
                     "  - task: text-classification\n    model: wattprint-zoo/tiny-sst2\n"
                     "    dataset: hf:wattprint-zoo/tiny-sentiment\n")
    out = tmp_path / "r.jsonl"
    proc = run_netless(["run", str(suite), "--no-store", "--out", str(out), "--no-progress"],
                       tmp_path, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    (r,) = [json.loads(line) for line in out.read_text().splitlines()]
    assert r["status"] == "ok", r.get("error")
    assert r["model_revision"] == model.commit
    assert r["model_fingerprint"] == f"commit:{model.commit}"
    assert r["extra"]["dataset_commit"] == data.commit
    assert r["weights"] == "random"   # what the snapshot's marker says, never "pretrained"
    assert "accuracy" in r["quality"]


def test_an_unknown_wattprint_zoo_id_is_refused_when_the_plan_is_made(tmp_path, monkeypatch):
    from wattprint.errors import ConfigError
    from wattprint.harness.plan import parse_suite

    monkeypatch.setenv("WATTPRINT_CACHE", str(tmp_path))
    text = ("name: x\njobs:\n  - task: text-classification\n"
            "    model: wattprint-zoo/no-such-model\n")
    with pytest.raises(ConfigError, match="minilm-l6-fortunes"):
        parse_suite(text)
