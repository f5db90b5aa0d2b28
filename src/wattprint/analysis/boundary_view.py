"""The four nested boundaries per model, for the report (see :mod:`wattprint.results.boundaries`).

Each successful result gives its energy at the four levels (accelerator only → + host CPU and
DRAM → + idle share of provisioned capacity → × PUE), one part per provenance. Here they are
averaged per task, model and hardware in Wh per 1,000 inferences, still one figure per
provenance (never summed), with the mean widest / accelerator-only ratio where the results
have one.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

from wattprint.analysis import fmt
from wattprint.results.boundaries import LEVELS, Boundaries, boundaries
from wattprint.results.schema import STATUS_OK, JobResult
from wattprint.results.stats import kwh_per_1k


@dataclass
class BoundaryRow:
    """One task, model and hardware at the four boundaries.

    Attributes:
        task, model, hardware_id: The group.
        n_results: Successful results in the group.
        wh_per_1k: Level → provenance → mean Wh per 1,000 inferences over the results that
            have that part.
        counts: Level → provenance → how many results had that part.
        notes: Level → distinct notes (why missing, what was assumed).
        ratios: Widest / accelerator-only ratio per result that has one.
        ratio_levels: The levels used as numerator.
        ratio_notes: Distinct reasons for a missing ratio.
        weights: ``random`` when the model's weights are random (cost of an architecture).
    """

    task: str
    model: str
    hardware_id: str
    n_results: int = 0
    wh_per_1k: dict[str, dict[str, float]] = field(default_factory=dict)
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    notes: dict[str, list[str]] = field(default_factory=dict)
    ratios: list[float] = field(default_factory=list)
    ratio_levels: list[str] = field(default_factory=list)
    ratio_notes: list[str] = field(default_factory=list)
    weights: str = "unknown"

    @property
    def ratio(self) -> float | None:
        """Mean widest / accelerator-only ratio over the results that have one."""
        return sum(self.ratios) / len(self.ratios) if self.ratios else None

    def add(self, r: JobResult, b: Boundaries) -> None:
        """Fold one result's boundaries into the running means."""
        self.n_results += 1
        self.weights = r.weights
        for lv in b.levels:
            means = self.wh_per_1k.setdefault(lv.level, {})
            counts = self.counts.setdefault(lv.level, {})
            for p in lv.parts:
                wh = float(kwh_per_1k(p.energy_j, r.n)) * 1000.0
                k = counts.get(p.provenance, 0)
                means[p.provenance] = (means.get(p.provenance, 0.0) * k + wh) / (k + 1)
                counts[p.provenance] = k + 1
            if lv.note and lv.note not in self.notes.setdefault(lv.level, []):
                self.notes[lv.level].append(lv.note)
        if b.ratio is not None and math.isfinite(b.ratio):
            self.ratios.append(b.ratio)
            if b.ratio_level and b.ratio_level not in self.ratio_levels:
                self.ratio_levels.append(b.ratio_level)
        elif b.ratio_note and b.ratio_note not in self.ratio_notes:
            self.ratio_notes.append(b.ratio_note)


def boundary_rows(results: Iterable[JobResult], idle_share: float = 0.0,
                  default_pue: float | None = None) -> list[BoundaryRow]:
    """One :class:`BoundaryRow` per task, model and hardware, from successful results with a
    positive inference count, sorted by task and model.

    Raises:
        ValueError: for an idle share outside [0, 1).
    """
    rows: dict[tuple[str, str, str], BoundaryRow] = {}
    for r in results:
        if r.status != STATUS_OK or not r.n:
            continue
        key = (r.task, r.model, r.hardware_id or "unknown")
        row = rows.get(key)
        if row is None:
            row = rows[key] = BoundaryRow(*key)
        row.add(r, boundaries(r, idle_share, default_pue))
    return [rows[k] for k in sorted(rows)]


def describe_level(row: BoundaryRow, level: str) -> str:
    """``"1.2 measured + 0.31 estimated"`` (Wh / 1k, not summed) or ``"—"``."""
    means = row.wh_per_1k.get(level) or {}
    if not means:
        return fmt.MISSING
    parts = []
    for prov, v in means.items():
        n = row.counts[level][prov]
        of = "" if n == row.n_results else f" ({n} of {row.n_results} results)"
        parts.append(f"{fmt.num(v)} {prov}{of}")
    return " + ".join(parts)


__all__ = ["LEVELS", "BoundaryRow", "boundary_rows", "describe_level"]
