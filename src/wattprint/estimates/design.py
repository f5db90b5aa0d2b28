"""The regression terms of the LLM energy model and its design matrix.

The model is linear in logarithms (``method`` :data:`METHOD`)::

    ln(J per output token) = b0 + b_hw + b1 ln(weights GB) + b2 ln(active params)
                             + b3 ln(batch) + b4 ln(batch)^2 + b5 ln(devices) + b6 ln(output len)

Weights (total parameters × bytes per parameter) stand for the memory traffic of each decode
step, which a batch shares; active parameters for the compute each token needs; batch for how
many requests share a step (the square bends the curve towards its compute-bound floor);
devices for the idle and communication cost of tensor/expert parallelism; output length for the
prompt's prefill spread over fewer tokens and the KV cache read per token. A term enters a fit
only when its data can identify it (:func:`select_terms`): a refit on two model sizes on one
machine keeps ``ln(active params)`` and ``ln(batch)`` and drops the rest.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from wattprint.errors import ConfigError

METHOD = "loglinear-ols-v1"
NUMERIC_TERMS: tuple[str, ...] = ("log_weights_gb", "log_active_params_b", "log_batch",
                                  "log_batch_sq", "log_devices", "log_output_len")
"""Candidate numeric terms, in the order they are tried."""
MIN_LOG_SPREAD = 0.1
"""A numeric term enters only if its values span at least this much (natural log: 10 %);
a feature that barely varies (79 against 80 output tokens) would fit noise."""


class FeaturePoint(Protocol):
    """What a term needs to know about a point (an observation or a query)."""

    @property
    def hardware(self) -> str:
        """Hardware key."""

    @property
    def devices(self) -> int:
        """Devices serving the model."""

    @property
    def active_params_b(self) -> float:
        """Active parameters, billions."""

    @property
    def weights_gb(self) -> float:
        """Weight memory, GB."""

    @property
    def batch(self) -> float:
        """Average decode batch."""

    @property
    def output_len(self) -> float:
        """Output tokens per request."""


@dataclass(frozen=True)
class Query:
    """A point to predict (an observation is a query with its measured energy).

    Attributes:
        hardware: Hardware key (``H100``, ``B200``, ``cpu:<model name>``).
        devices: Accelerators serving the model (1 for a CPU).
        active_params_b: Parameters used per token, billions.
        total_params_b: All parameters, billions.
        bytes_per_param: Bytes per stored weight (2 for bf16, 1 for fp8, 4 for fp32).
        batch: Average number of requests decoding together.
        output_len: Average output tokens per request.
    """

    hardware: str
    devices: int
    active_params_b: float
    total_params_b: float
    bytes_per_param: float
    batch: float
    output_len: float

    @property
    def weights_gb(self) -> float:
        """Weight memory, GB."""
        return self.total_params_b * self.bytes_per_param


def term_value(term: str, p: FeaturePoint) -> float:
    """The value of one term at a point."""
    if term == "intercept":
        return 1.0
    if term.startswith("hw:"):
        return 1.0 if p.hardware == term[3:] else 0.0
    lb = math.log(p.batch)
    values = {"log_weights_gb": math.log(p.weights_gb),
              "log_active_params_b": math.log(p.active_params_b),
              "log_batch": lb, "log_batch_sq": lb * lb,
              "log_devices": math.log(p.devices), "log_output_len": math.log(p.output_len)}
    try:
        return values[term]
    except KeyError:
        raise ConfigError(f"unknown model term {term!r}; known: intercept, hw:<name>, "
                          f"{', '.join(NUMERIC_TERMS)}") from None


def matrix(terms: Sequence[str], points: Sequence[FeaturePoint]) -> np.ndarray:
    """The design matrix (one row per point, one column per term)."""
    return np.array([[term_value(t, p) for t in terms] for p in points], dtype=float)


def hardware_levels(points: Sequence[FeaturePoint]) -> tuple[str, ...]:
    """Hardware keys, the most frequent first (the baseline of the ``hw:`` indicators)."""
    counts = Counter(p.hardware for p in points)
    return tuple(sorted(counts, key=lambda h: (-counts[h], h)))


def select_terms(points: Sequence[FeaturePoint]) -> tuple[str, ...]:
    """The terms the points can identify: the intercept, one indicator per non-baseline
    hardware, then each numeric term that raises the rank of the matrix, while at least two
    points per term remain (``log_batch_sq`` also needs three distinct batches).

    Raises:
        ConfigError: fewer than three points.
    """
    if len(points) < 3:
        raise ConfigError(f"a fit needs at least 3 measured points; got {len(points)}")
    terms = ["intercept"] + [f"hw:{h}" for h in hardware_levels(points)[1:]]
    rank = int(np.linalg.matrix_rank(matrix(terms, points)))
    terms = terms[:rank]  # (an indicator can only fail to add rank if a level had no point)
    batches = {round(p.batch, 6) for p in points}
    for t in NUMERIC_TERMS:
        if len(points) < 2 * (len(terms) + 1):
            break
        if t == "log_batch_sq" and ("log_batch" not in terms or len(batches) < 3):
            continue
        column = matrix([t], points)[:, 0]
        if t != "log_batch_sq" and column.max() - column.min() < MIN_LOG_SPREAD:
            continue
        trial = [*terms, t]
        r = int(np.linalg.matrix_rank(matrix(trial, points)))
        if r > rank:
            terms, rank = trial, r
    return tuple(terms)
