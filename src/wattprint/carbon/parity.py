"""Training vs inference parity: after how many inferences does use cost as much as training?

``inferences_to_parity = (training_kwh + finetune_kwh) / per_inference_kwh`` and, at a query
rate, ``days_to_parity = inferences_to_parity / queries_per_day`` (study §4.3, Table 5).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from wattprint.errors import ConfigError


@dataclass(frozen=True)
class Parity:
    """Result of a parity computation.

    Attributes:
        training_kwh: Energy to (pre-)train the model, kWh.
        finetune_kwh: Energy to fine-tune it, kWh (0 if none).
        per_inference_kwh: Energy of one inference, kWh.
        inferences_to_parity: Inferences whose total energy equals training + fine-tuning.
        queries_per_day: Query rate, if given.
        days_to_parity: ``inferences_to_parity / queries_per_day`` (None without a rate).
    """

    training_kwh: float
    finetune_kwh: float
    per_inference_kwh: float
    inferences_to_parity: float
    queries_per_day: float | None = None
    days_to_parity: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for JSON."""
        return asdict(self)


def _number(value: float, name: str, *, positive: bool) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{name}: expected a number, got {value!r}") from None
    if not math.isfinite(x) or x < 0 or (positive and x == 0):
        raise ConfigError(f"{name}: expected a number {'> 0' if positive else '>= 0'}, "
                          f"got {value!r}")
    return x


def parity(training_kwh: float, per_inference_kwh: float, *, finetune_kwh: float = 0.0,
           queries_per_day: float | None = None) -> Parity:
    """Number of inferences (and days at a query rate) for inference to match training energy.

    Args:
        training_kwh: Training energy, kWh (> 0).
        per_inference_kwh: Energy per inference, kWh (> 0).
        finetune_kwh: Fine-tuning energy, kWh (>= 0).
        queries_per_day: Inferences per day (> 0), optional.

    Returns:
        The parity; e.g. BLOOMz-7B: (51,686 + 7,571) / 1.0e-4 = 592,570,000 inferences.

    Raises:
        ConfigError: a negative, zero (where it must be > 0) or non-numeric input, or inputs
            whose result is too large for a floating-point number.
    """
    t = _number(training_kwh, "--training-kwh", positive=True)
    f = _number(finetune_kwh, "--finetune-kwh", positive=False)
    q = _number(per_inference_kwh, "--per-inference-kwh", positive=True)
    n = _finite((t + f) / q, "inferences to parity")
    if queries_per_day is None:
        return Parity(t, f, q, n)
    rate = _number(queries_per_day, "--queries-per-day", positive=True)
    return Parity(t, f, q, n, rate, _finite(n / rate, "days to parity"))


def _finite(x: float, name: str) -> float:
    if not math.isfinite(x):
        raise ConfigError(f"{name} overflows a floating-point number with these inputs; check "
                          f"the units of --training-kwh, --finetune-kwh and --per-inference-kwh")
    return x
