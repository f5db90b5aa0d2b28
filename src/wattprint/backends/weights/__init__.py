"""The real-weights zoo: pretrained and fine-tuned-here models, offline, in the hub layout.

Beside the random-weight zoo (:mod:`wattprint.backends.zoo`, ``zoo:<name>``), never confused
with it: these models are named by hub ids under ``wattprint-zoo/`` and carry
``weights: pretrained`` or ``weights: fine-tuned here`` with their source (package, file
SHA-256, licence). ``wattprint zoo build --real`` builds them; a run builds what it needs.
"""

from __future__ import annotations

from wattprint.backends.weights.build import (
    MARKER,
    build_all,
    build_dataset,
    build_model,
    ensure,
    read_marker,
)
from wattprint.backends.weights.sources import (
    FORTUNES_DATASET,
    REAL_MODELS,
    WEIGHTS_FINE_TUNED,
    WEIGHTS_PRETRAINED,
    RealModel,
    WeightSource,
)
from wattprint.tasks.local_hub import LOCAL_ORG, is_local_id, local_hub_dir, resolve

__all__ = ["FORTUNES_DATASET", "LOCAL_ORG", "MARKER", "REAL_MODELS", "WEIGHTS_FINE_TUNED",
           "WEIGHTS_PRETRAINED", "RealModel", "WeightSource", "build_all", "build_dataset",
           "build_model", "ensure", "is_local_id", "local_hub_dir", "read_marker", "resolve"]
