"""The real-weights zoo: sources, the fortunes split, the seeded fine-tune, and the real
models loaded and run offline in a network-less process through the hub-layout cache.

The real artefacts (SmolLM2 converted from GGUF, the fine-tuned MiniLM, the fortunes4 data set)
are built once per test run into a cache of that run (the ``real_zoo`` fixture of
``tests/conftest.py``), the classifier with a short recipe (10 steps); ``make run`` builds the
default recipe into the user's cache. Tests that need them are skipped, saying why, where the
weight packages or Debian's fortunes are not installed (``make install`` installs both).
"""

from __future__ import annotations

import importlib.util
import json
from dataclasses import asdict

import pytest

from netless import run_netless
from real_zoo import REAL_WEIGHTS_GROUP, RealZoo
from wattprint.backends.weights import (
    FORTUNES_DATASET,
    REAL_MODELS,
    WEIGHTS_FINE_TUNED,
    WEIGHTS_PRETRAINED,
    read_marker,
)
from wattprint.backends.weights.finetune import fine_tune
from wattprint.backends.weights.fortunes import (
    CATEGORIES,
    fortunes_dir,
    load_split,
    read_category,
)
from wattprint.backends.weights.sources import MINILM_ENCODER, SMOLLM2_GGUF
from wattprint.errors import BackendError

HAVE_FORTUNES = all((fortunes_dir() / c).is_file() for c in CATEGORIES)
HAVE_PACKAGES = all(importlib.util.find_spec(s.module) for s in (SMOLLM2_GGUF, MINILM_ENCODER))
needs_fortunes = pytest.mark.skipif(not HAVE_FORTUNES, reason="Debian fortunes not installed "
                                    "(apt-get install fortunes; make install does)")
needs_real = pytest.mark.skipif(not (HAVE_FORTUNES and HAVE_PACKAGES),
                                reason="weight packages or fortunes missing (make install)")


def test_fortune_files_are_split_on_percent_lines(tmp_path):
    (tmp_path / "f").write_text("one\n  line\n%\n\n%\ntwo\n%\n")
    assert read_category(tmp_path / "f") == ["one line", "two"]


def test_split_is_reproducible_disjoint_and_says_where_the_data_came_from(tmp_path):
    for i, c in enumerate(CATEGORIES):
        (tmp_path / c).write_text("\n%\n".join(f"{c} quote {k}" for k in range(8 + i)))
    a, b = load_split(0, tmp_path), load_split(0, tmp_path)
    assert a.train == b.train and a.test == b.test
    assert not {r.text for r in a.train} & {r.text for r in a.test}
    assert len(a.test) == sum(round((8 + i) * 0.25) for i in range(4))
    info = a.describe()
    assert info["files"]["food"]["sha256"] and info["test_counts"]["love"] == round(11 * 0.25)
    assert load_split(1, tmp_path).test != a.test


def test_missing_data_says_how_to_install_it(tmp_path):
    with pytest.raises(BackendError, match="apt-get install fortunes"):
        load_split(0, tmp_path)


def test_sources_are_pinned():
    for m in REAL_MODELS.values():
        s = m.source
        assert len(s.file_sha256) == 64 and len(s.wheel_sha256) == 64 and s.licence
        assert m.weights in (WEIGHTS_PRETRAINED, WEIGHTS_FINE_TUNED)
    req = (importlib.util.find_spec("wattprint").origin or "").rsplit("/src/", 1)[0]
    text = open(f"{req}/requirements-weights.txt").read()
    for m in REAL_MODELS.values():
        assert f"{m.source.package}=={m.source.version}" in text
        assert m.source.wheel_sha256 in text


@needs_real
@REAL_WEIGHTS_GROUP
def test_built_classifier_beats_the_majority_class_clearly(real_zoo: RealZoo):
    marker = read_marker(real_zoo.snapshots["wattprint-zoo/minilm-l6-fortunes"].path)
    ft = marker["fine_tune"]
    assert marker["weights"] == WEIGHTS_FINE_TUNED
    assert ft["settings"] == asdict(real_zoo.fine_tune)   # the recipe is recorded
    assert ft["heldout_accuracy"] >= ft["majority_accuracy"] + 0.25, ft
    assert ft["heldout_n"] == marker["data"]["test"] and ft["steps"] == 10
    assert marker["source"]["file_sha256"] == MINILM_ENCODER.file_sha256
    smol = read_marker(real_zoo.snapshots["wattprint-zoo/smollm2-135m-instruct"].path)
    assert smol["weights"] == WEIGHTS_PRETRAINED and smol["conversion"]["keys_matched"]


@needs_real
@REAL_WEIGHTS_GROUP
def test_fine_tune_is_deterministic(real_zoo: RealZoo, tmp_path):
    """Same seed, same data → the same held-out accuracy (to 0.01) and loss as the build."""
    built = read_marker(real_zoo.snapshots["wattprint-zoo/minilm-l6-fortunes"].path)["fine_tune"]
    split = load_split(0)
    again = fine_tune(MINILM_ENCODER.locate(verify=False).parent, split.train, split.test,
                      tmp_path / "again", real_zoo.fine_tune)
    assert again.steps == built["steps"]
    assert abs(again.heldout_accuracy - built["heldout_accuracy"]) <= 0.01
    assert again.final_loss == pytest.approx(built["final_loss"], rel=1e-3)


@needs_real
@REAL_WEIGHTS_GROUP
@pytest.mark.slow
def test_study_mini_runs_network_less_through_the_hub_layout(real_zoo: RealZoo, tmp_path):
    """Both real models and the data set load offline with no network at all, resolve as
    org/name through huggingface_hub, and every result records the snapshot commits."""
    out = tmp_path / "results.jsonl"
    proc = run_netless(["run", "study-mini", "-n", "3", "--repeat", "1", "--warmup", "0",
                        "--idle", "0", "--no-store", "--out", str(out), "--no-progress"], tmp_path,
                       env={"WATTPRINT_CACHE": str(real_zoo.root)})
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert {r["status"] for r in rows} == {"ok"}, rows
    data_commit = real_zoo.snapshots[FORTUNES_DATASET].commit
    by_model = {r["model"]: r for r in rows}
    for repo_id, model in REAL_MODELS.items():
        r = by_model[repo_id]
        commit = real_zoo.snapshots[repo_id].commit
        assert r["model_revision"] == commit and r["model_fingerprint"] == f"commit:{commit}"
        assert r["weights"] == model.weights
        assert r["extra"]["dataset_commit"] == data_commit
        assert r["extra"]["model_info"]["weights_source"]["source"]["package"] == model.source.package
        assert "accuracy" in r["quality"]
    zs = by_model["wattprint-zoo/smollm2-135m-instruct"]
    assert zs["mode"] == "zero-shot" and zs["output_tokens"] == 3 * 3
    assert zs["extra"]["model_info"]["prompt_format"] == "chat template"
    assert "Finding (text-classification" in proc.stdout
