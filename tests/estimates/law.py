"""Observations generated from a known law plus noise (the truth is known by construction)."""

from __future__ import annotations

import math
import random

from wattprint.estimates.observations import Observation

TRUE = {"intercept": -1.0, "hw:B": -0.3, "log_weights_gb": 0.5, "log_active_params_b": 0.2,
        "log_batch": -0.8, "log_devices": 0.4}
"""The law: ln(J/token) = sum(coefficient x term) + family effect + point noise."""


def law_log_j(hw: str, weights_gb: float, active_b: float, batch: float, devices: int) -> float:
    """The noiseless ln(J per output token) of the law."""
    return (TRUE["intercept"] + (TRUE["hw:B"] if hw == "B" else 0.0)
            + TRUE["log_weights_gb"] * math.log(weights_gb)
            + TRUE["log_active_params_b"] * math.log(active_b)
            + TRUE["log_batch"] * math.log(batch) + TRUE["log_devices"] * math.log(devices))


def generate(families: int, *, seed: int, family_sd: float = 0.25, point_sd: float = 0.1,
             prefix: str = "f") -> list[Observation]:
    """``families`` families of 2 sizes x 5 batches x 2 hardware each."""
    rng = random.Random(seed)
    out = []
    for f in range(families):
        effect = rng.gauss(0.0, family_sd)
        for _ in range(2):
            active = math.exp(rng.uniform(math.log(1), math.log(100)))
            total = active * rng.choice((1.0, 1.0, 4.0))
            nbytes = rng.choice((1.0, 2.0))
            devices = rng.choice((1, 2, 4, 8))
            for hw in ("A", "B"):
                for batch in (8, 16, 64, 256, 1024):
                    y = law_log_j(hw, total * nbytes, active, batch, devices) + effect \
                        + rng.gauss(0.0, point_sd)
                    out.append(Observation(
                        model=f"{prefix}{f}-{active:.1f}b", group=f"{prefix}{f}", hardware=hw,
                        devices=devices, active_params_b=active, total_params_b=total,
                        bytes_per_param=nbytes, batch=float(batch), output_len=500.0,
                        j_per_output_token=math.exp(y), source="law"))
    return out
