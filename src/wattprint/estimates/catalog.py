"""Model, provider and hardware assumptions, from shipped tables that name their sources.

* ``data/api_models.csv`` — models behind APIs: active and total parameter ranges, the weight
  precision range, the published sources of each range and EcoLogits' own assumption beside it.
* ``data/providers.csv`` — where a provider serves (grid country), its PUE range and the
  hardware assumed.
* ``data/hardware.csv`` — accelerator memory (how many devices a model needs) and host power
  per device (CPU, RAM, fans: what a GPU-only measurement leaves out).
* Open models of the reference data — exact sizes and precision from the ML.ENERGY Leaderboard.
"""

from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from wattprint.errors import ConfigError, unknown_choice
from wattprint.estimates.observations import DATA_PACKAGE, reference_models


@dataclass(frozen=True)
class Range:
    """A value known only within ``[lo, hi]``; ``central`` is the geometric middle."""

    lo: float
    hi: float

    def __post_init__(self) -> None:
        if not (math.isfinite(self.lo) and math.isfinite(self.hi) and 0 < self.lo <= self.hi):
            raise ConfigError(f"range [{self.lo}, {self.hi}]: expected 0 < low <= high")

    @property
    def central(self) -> float:
        """Geometric mean of the bounds."""
        return math.sqrt(self.lo * self.hi)

    @property
    def exact(self) -> bool:
        """True when low and high are equal."""
        return self.lo == self.hi

    def to_list(self) -> list[float]:
        """``[lo, hi]`` for JSON."""
        return [self.lo, self.hi]


@dataclass(frozen=True)
class ModelAssumption:
    """What is assumed about a model's size.

    Attributes:
        name: The name the table uses.
        kind: ``open`` (published weights, reference data), ``api`` (a table range) or ``user``
            (``--active-params``).
        active_params_b, total_params_b: Parameters, billions.
        bytes_per_param: Bytes per stored weight.
        provider: The provider the table names, if any.
        sources: Where the numbers come from.
        note: Caveats.
        ecologits_active_b, ecologits_total_b: EcoLogits' own assumption, as it publishes it.
    """

    name: str
    kind: str
    active_params_b: Range
    total_params_b: Range
    bytes_per_param: Range
    provider: str | None = None
    sources: tuple[str, ...] = ()
    note: str = ""
    ecologits_active_b: str = ""
    ecologits_total_b: str = ""


@dataclass(frozen=True)
class Provider:
    """Where and how a provider serves: grid country, PUE range, hardware assumed."""

    name: str
    country: str
    pue: Range
    hardware: tuple[str, ...]
    source: str
    note: str = ""


@dataclass(frozen=True)
class HardwareSpec:
    """An accelerator: memory per device (GB) and host power per device (W)."""

    key: str
    kind: str
    memory_gb: float
    host_w_per_device: float
    source: str


def _table(name: str) -> list[dict[str, str]]:
    text = resources.files(DATA_PACKAGE).joinpath(name).read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


def _norm(name: str) -> str:
    return name.strip().lower()


@lru_cache(maxsize=1)
def api_models() -> dict[str, ModelAssumption]:
    """The API model table, by lower-case name and alias."""
    out: dict[str, ModelAssumption] = {}
    for r in _table("api_models.csv"):
        m = ModelAssumption(
            name=r["name"], kind="api",
            active_params_b=Range(float(r["active_min_b"]), float(r["active_max_b"])),
            total_params_b=Range(float(r["total_min_b"]), float(r["total_max_b"])),
            bytes_per_param=Range(float(r["bytes_min"]), float(r["bytes_max"])),
            provider=r["provider"] or None, sources=tuple(r["sources"].split("|")),
            note=r["note"], ecologits_active_b=r["ecologits_active_b"],
            ecologits_total_b=r["ecologits_total_b"])
        for key in [r["name"], *filter(None, r["aliases"].split("|"))]:
            out[_norm(key)] = m
    return out


def open_models() -> dict[str, ModelAssumption]:
    """Models of the reference data (exact sizes), by lower-case id and by the part after
    ``org/``."""
    out: dict[str, ModelAssumption] = {}
    for mid, o in reference_models().items():
        m = ModelAssumption(
            name=mid, kind="open", active_params_b=Range(o.active_params_b, o.active_params_b),
            total_params_b=Range(o.total_params_b, o.total_params_b),
            bytes_per_param=Range(o.bytes_per_param, o.bytes_per_param),
            sources=("ML.ENERGY Leaderboard v3 model metadata (activated/total parameters, "
                     "weight precision)",))
        out[_norm(mid)] = m
        out.setdefault(_norm(mid.split("/")[-1]), m)
    return out


def find_model(name: str) -> ModelAssumption | None:
    """The table entry for ``name`` (open models first, then API models), or None."""
    key = _norm(name)
    return open_models().get(key) or api_models().get(key)


def known_model_names() -> list[str]:
    """Every name :func:`find_model` knows (for messages)."""
    return sorted({m.name for m in (*open_models().values(), *api_models().values())})


@lru_cache(maxsize=1)
def providers() -> dict[str, Provider]:
    """The provider table, by name."""
    return {r["provider"]: Provider(r["provider"], r["country"],
                                    Range(float(r["pue_min"]), float(r["pue_max"])),
                                    tuple(r["hardware"].split("|")), r["source"], r["note"])
            for r in _table("providers.csv")}


def provider(name: str) -> Provider:
    """A provider by name.

    Raises:
        ConfigError: unknown provider (the valid names listed).
    """
    p = providers().get(_norm(name))
    if p is None:
        raise unknown_choice("--provider", name, providers())
    return p


@lru_cache(maxsize=1)
def hardware_specs() -> dict[str, HardwareSpec]:
    """The hardware table, by key."""
    return {r["hardware"]: HardwareSpec(r["hardware"], r["kind"], float(r["memory_gb"]),
                                        float(r["host_w_per_device"]), r["source"])
            for r in _table("hardware.csv")}


_GPU_KEYS = ("GB200", "B200", "B100", "H200", "H100", "H800", "A100", "A800", "L40S", "L4",
             "A10G", "T4", "MI300X")


def hardware_key(device_name: str) -> str:
    """A short hardware key from a device name: ``NVIDIA H100 80GB HBM3`` -> ``H100``;
    names without a known accelerator are kept (stripped)."""
    upper = device_name.upper()
    for k in _GPU_KEYS:
        if re.search(rf"(?<![A-Z0-9]){k}(?![0-9])", upper):
            return k
    return device_name.strip()
