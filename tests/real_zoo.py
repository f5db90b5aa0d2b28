"""The real-weights zoo, built once per test run (the ``real_zoo`` fixture of conftest.py).

SmolLM2 is converted from its GGUF file once (about 20 s on one core) and the classifier is
fine-tuned by a short recipe (:func:`quick_fine_tune`, about 10 s), into a cache of the test
run shared by its xdist workers: never the user's cache, where ``make run`` builds the default
recipe (one epoch, 40 steps of 32 texts) and reads it back.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REAL_WEIGHTS_GROUP = pytest.mark.xdist_group("real-weights")
"""Tests that use the real-weights zoo run in one xdist worker, one after another: the zoo is
built once, and no other worker sits blocked on the build's lock meanwhile."""


@dataclass(frozen=True)
class RealZoo:
    """The real-weights zoo the tests built.

    Attributes:
        root: The ``WATTPRINT_CACHE`` that holds it (give it to a ``wattprint`` subprocess).
        snapshots: Repo id → its snapshot (the data set and every model).
        fine_tune: The recipe the classifier was fine-tuned with (:func:`quick_fine_tune`).
    """

    root: Path
    snapshots: dict[str, Any]
    fine_tune: Any


def quick_fine_tune() -> Any:
    """The tests' fine-tune recipe: 10 steps of 16 texts (32 tokens, learning rate 3e-4) on
    the bucketed, seeded training split; held-out accuracy about 0.83 against 0.42 for the
    majority class (measured on the 2-core development machine, one thread)."""
    from wattprint.backends.weights.finetune import FineTuneSettings

    return FineTuneSettings(max_steps=10, batch_size=16, max_length=32, learning_rate=3e-4,
                            seed=0)


def build_real_zoo(tmp_path_factory: pytest.TempPathFactory) -> RealZoo:
    """Build (or find, when another worker of this run built it) the real-weights zoo: the
    fortunes4 data set, SmolLM2 and the classifier fine-tuned by :func:`quick_fine_tune`.

    The cache sits beside the workers' own temporary folders, so every xdist worker of one
    run finds the same one; each artefact's build holds a file lock
    (:mod:`wattprint.backends.weights.build`), so it is built once."""
    from wattprint.backends.weights import build_all, local_hub_dir

    base = tmp_path_factory.getbasetemp()
    root = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "real-zoo"
    recipe = quick_fine_tune()
    snaps = build_all(root / local_hub_dir().name, fine_tune=recipe)
    return RealZoo(root, {s.repo_id: s for s in snaps}, recipe)
