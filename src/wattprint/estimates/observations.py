"""Measured serving points as the estimator sees them, and the shipped ML.ENERGY reference set.

An :class:`Observation` is one load point of one served model: energy per output token (J) at
an average decode batch, on some hardware, for a model of known size. The reference set is the
ML.ENERGY Leaderboard v3 (``data/mlenergy_llm_v3.csv``, derived by
``scripts/build_mlenergy_reference.py`` from the commit named in ``mlenergy_llm_v3.json``).
"""

from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from wattprint.errors import ConfigError
from wattprint.estimates.design import Query

DATA_PACKAGE = "wattprint.estimates.data"
REFERENCE_CSV = "mlenergy_llm_v3.csv"
REFERENCE_META = "mlenergy_llm_v3.json"


@dataclass(frozen=True)
class Observation(Query):
    """One measured load point: the features of a :class:`~wattprint.estimates.design.Query`
    (hardware key such as ``H100`` or ``cpu:<model name>``, devices, active and total
    parameters in billions, bytes per parameter, average decode batch, output tokens per
    request) and what was measured there.

    Attributes:
        model: Model name.
        group: What cross-validation holds out together (a model family, or the model itself).
        j_per_output_token: Energy per output token over the measured window, J.
        power_w_per_device: Average power per device over the window, W (None if unknown).
        source: Where the point comes from (``mlenergy-v3:...``, ``store:<run>/<point>``).
        energy_provenance: Provenance of the energy (``measured``, ``integrated``, ``estimated``).
        boundary: What the energy covers (``gpu``, ``cpu`` ...).
    """

    model: str = ""
    group: str = ""
    j_per_output_token: float = 0.0
    power_w_per_device: float | None = None
    source: str = ""
    energy_provenance: str = "measured"
    boundary: str = "gpu"

    def __post_init__(self) -> None:
        for name in ("active_params_b", "total_params_b", "bytes_per_param", "batch",
                     "output_len", "j_per_output_token"):
            v = getattr(self, name)
            if not (isinstance(v, (int, float)) and math.isfinite(v) and v > 0):
                raise ConfigError(f"observation {self.source or self.model}: {name} must be a "
                                  f"finite number > 0, got {v!r}")
        if self.devices < 1:
            raise ConfigError(f"observation {self.source or self.model}: devices must be >= 1")


@dataclass(frozen=True)
class ReferenceData:
    """The shipped reference set and where it comes from.

    Attributes:
        observations: The points.
        version: Data version string (names the source commit and data date).
        meta: The metadata file as written by the build script (licence, source, checksum).
    """

    observations: tuple[Observation, ...]
    version: str
    meta: dict[str, Any]


def _read(name: str) -> str:
    return resources.files(DATA_PACKAGE).joinpath(name).read_text(encoding="utf-8")


def _row(r: dict[str, str], line: int) -> Observation:
    try:
        gpus = int(r["num_gpus"])
        return Observation(
            model=r["model_id"], group=r["family"], hardware=r["gpu_model"], devices=gpus,
            active_params_b=float(r["active_params_b"]), total_params_b=float(r["total_params_b"]),
            bytes_per_param=float(r["bytes_per_param"]), batch=float(r["avg_batch_size"]),
            output_len=float(r["avg_output_len"]),
            j_per_output_token=float(r["energy_per_token_j"]),
            power_w_per_device=float(r["avg_power_w"]) / gpus,
            source=f"mlenergy-v3:{r['task']}/{r['model_id']}/{r['gpu_model']}x{gpus}/"
                   f"max_num_seqs={r['max_num_seqs']}",
            energy_provenance="measured", boundary="gpu")
    except (KeyError, ValueError) as err:
        raise ConfigError(f"{REFERENCE_CSV} line {line}: {err}") from None


@lru_cache(maxsize=1)
def reference_data() -> ReferenceData:
    """The ML.ENERGY v3 points shipped with wattprint (read once per process)."""
    meta = json.loads(_read(REFERENCE_META))
    rows = csv.DictReader(_read(REFERENCE_CSV).splitlines())
    obs = tuple(_row(r, i + 2) for i, r in enumerate(rows))
    return ReferenceData(obs, str(meta["version"]), meta)


def reference_models() -> dict[str, Observation]:
    """One observation per reference model id (its size and precision), by model id."""
    out: dict[str, Observation] = {}
    for o in reference_data().observations:
        out.setdefault(o.model, o)
    return out
