"""What the Prometheus source reads from a scrape: counter series by name and identity labels.

A series is found by its sample name and a *subset* of its labels (its identity): a Kepler pod
keeps its ``pod_id`` and ``zone`` while its ``state`` goes from ``running`` to ``terminated``,
and dcgm-exporter repeats a MIG-mode GPU's counter once per GPU instance with the same value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from wattprint.meters.base import DomainSpec

Labels = tuple[tuple[str, str], ...]
Samples = Mapping[tuple[str, Labels], float]
"""One scrape: (sample name, sorted labels) -> value."""
Index = dict[str, list[tuple[dict[str, str], float]]]


@dataclass(frozen=True)
class CounterSeries:
    """One energy counter read as one domain.

    Attributes:
        spec: The domain it feeds.
        name: Sample name (``DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION``, ``kepler_pod_cpu_joules_total``).
        ident: The labels that identify it (a subset of the sample's labels).
        to_j: Multiplier to joules (1e-3 for DCGM's mJ).
        may_vanish: True when the series may disappear (a finished pod): its energy then stops
            growing instead of failing the read.
    """

    spec: DomainSpec
    name: str
    ident: Labels
    to_j: float = 1.0
    may_vanish: bool = False


def index(values: Samples) -> Index:
    """Samples grouped by name, labels as dicts (built once per scrape)."""
    out: Index = {}
    for (name, labels), v in values.items():
        out.setdefault(name, []).append((dict(labels), v))
    return out


def find(idx: Index, name: str, ident: Labels) -> float | None:
    """The value of the first sample named ``name`` whose labels include ``ident``."""
    for labels, v in idx.get(name, ()):
        if all(labels.get(k) == x for k, x in ident):
            return v
    return None
