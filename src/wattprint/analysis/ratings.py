"""Two ratings of energy per 1,000 queries: relative stars and absolute classes.

(a) **AI Energy Score-compatible stars** (peer-benchmarks.md §1.2, §8; reproduces 166/166
published ratings): within one compared set (one task, one hardware, one provenance, and for
text generation one size class: A ≤ 20 B parameters, B ≤ 66 B, C above),

    w     = (E_max − E_min) / 5
    stars = 5 − min(floor((E − E_min) / w), 4)

so the least energy gets 5 stars and the most 1 star; bins are equal-width on the min–max range,
not quantiles. Edge cases, which AI Energy Score does not document: a value that is missing
(NaN) is not rated and does not enter min/max; when every value is equal (one model, or all tied)
the range is zero and every model gets 5 stars (none is worse than another). Ties always get
equal stars. The rating is relative: one outlier stretches the range and pushes everyone else
to 5 stars, and adding a model can move every other model's stars. Bins are exact at their
edges: each energy is taken as the decimal it prints as (its shortest ``repr``) and the bin is
computed in exact rational arithmetic (:class:`fractions.Fraction`), so 0.1, 0.3 … 1.1 put 0.3
in the 4★ bin (float division gives 0.999… and 5★). A compared set also has one boundary level
(:func:`wattprint.results.boundaries.level_of`): a GPU-only figure is never ranked against a
whole-machine one.

(b) **Absolute classes** (A–G) from thresholds on a log scale, pinned per task in a versioned
table (``data/rating_thresholds_v1.json``); a class does not move when new models arrive. The
table version is carried with every class. A table states the boundary its thresholds are for
(``boundary``: one of :data:`wattprint.results.boundaries.LEVELS`); only figures at that
boundary get a class, and every class is printed with it.

Results of models with random weights (``weights == "random"``) get neither: they measure the
cost of an architecture, not of a model anyone would deploy, and are shown as such.
"""

from __future__ import annotations

import json
import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from wattprint.errors import ConfigError
from wattprint.results.boundaries import LEVELS

K = TypeVar("K", bound=Hashable)

STAR_SET_KEYS: tuple[str, ...] = ("task", "hardware_id", "provenance", "boundary_level")
"""What makes a compared set for stars: same task, hardware, provenance and boundary."""

RANDOM_WEIGHTS = "random"
COST_ONLY_NOTE = "not rated: random weights (cost of the architecture only)"

DEFAULT_TABLE = "rating_thresholds_v1.json"

TEXT_GENERATION_CLASSES: tuple[tuple[str, float], ...] = (("A", 20e9), ("B", 66e9))
"""AI Energy Score's text-generation size classes (index.md Table 2): A ≤ 20 B parameters,
B ≤ 66 B, C above; stars are computed within each class. Unknown size: its own set."""


def size_class(task: str, num_params: float | None) -> str:
    """AI Energy Score's size class for stars: ``A``/``B``/``C`` for text generation (``?`` when
    the parameter count is unknown), ``""`` for every other task."""
    if task != "text-generation":
        return ""
    if num_params is None or not math.isfinite(num_params):
        return "?"
    for name, limit in TEXT_GENERATION_CLASSES:
        if num_params <= limit:
            return name
    return "C"


def exact(x: float) -> Fraction:
    """A float as the exact decimal it prints as (its shortest ``repr``), e.g. 0.3 → 3/10."""
    return Fraction(repr(float(x)))


def star_bin(energy: float, lo: float, hi: float) -> int:
    """AI Energy Score stars of one finite value in a set with range ``lo``..``hi``, exactly.

    ``5 − min(⌊(E − E_min) · 5 / (E_max − E_min)⌋, 4)`` in rational arithmetic on the decimal
    values (see the module docstring); 5 when the range is zero.
    """
    if hi == lo:
        return 5
    e, a, b = exact(energy), exact(lo), exact(hi)
    pos = math.floor((e - a) * 5 / (b - a))
    return 5 - min(pos, 4)


def stars_from_values(energy: Sequence[float] | np.ndarray) -> np.ndarray:
    """AI Energy Score stars for one compared set.

    Args:
        energy: Energy per model (any one unit, e.g. Wh per 1,000 queries); NaN = not rated.

    Returns:
        Float array of stars 1..5 (NaN where the input is NaN). Lowest energy → 5 stars.
    """
    e = np.asarray(energy, dtype="float64")
    out = np.full(e.shape, np.nan)
    ok = np.isfinite(e)
    if not ok.any():
        return out
    lo, hi = float(e[ok].min()), float(e[ok].max())
    out[ok] = [float(star_bin(float(x), lo, hi)) for x in e[ok]]
    return out


def aies_stars(values: Mapping[K, float | None]) -> dict[K, int | None]:
    """AI Energy Score stars for one compared set, by key.

    Args:
        values: Key (e.g. model) → energy (any one unit); None or NaN = not rated.

    Returns:
        Key → stars 1..5, or None for a missing value.
    """
    keys = list(values)
    arr = np.array([math.nan if values[k] is None else float(values[k]) for k in keys])  # type: ignore[arg-type]
    stars = stars_from_values(arr)
    return {k: (None if math.isnan(s) else int(s)) for k, s in zip(keys, stars)}


@dataclass(frozen=True)
class ThresholdTable:
    """A pinned table of absolute class thresholds.

    Attributes:
        version: Version string stored with every class computed from this table.
        classes: Class names, best first (``A`` … ``G``).
        thresholds_wh_per_1k: Task → upper bounds (Wh per 1,000 queries, inclusive), one
            fewer than classes, strictly increasing.
        unit: The unit of the thresholds, in words.
        rationale: How the thresholds were chosen.
        source: Where the table was read from.
        boundary: The boundary level the thresholds are for (one of
            :data:`~wattprint.results.boundaries.LEVELS`); only figures at it get a class.
    """

    version: str
    classes: tuple[str, ...]
    thresholds_wh_per_1k: Mapping[str, tuple[float, ...]]
    unit: str
    rationale: str
    source: str
    boundary: str = "host"

    @property
    def boundary_title(self) -> str:
        """The boundary in words (``accelerator + host CPU and DRAM`` ...)."""
        return boundary_words(self.boundary)

    def classify(self, task: str, wh_per_1k: float | None) -> str | None:
        """Absolute class of one value; None when the value is missing or the task has no row.

        Args:
            task: Task id.
            wh_per_1k: Energy, Wh per 1,000 queries.
        """
        th = self.thresholds_wh_per_1k.get(task)
        if th is None or wh_per_1k is None or not math.isfinite(wh_per_1k):
            return None
        i = int(np.searchsorted(np.asarray(th), wh_per_1k, side="left"))
        return self.classes[i]


def _table_error(source: str, field: str, problem: str) -> ConfigError:
    return ConfigError(f"rating threshold table {source}: field {field!r}: {problem}")


def threshold_table_from_dict(doc: Mapping[str, Any], source: str = "<dict>") -> ThresholdTable:
    """Validate and build a :class:`ThresholdTable` from its JSON document.

    Raises:
        ConfigError: naming the source and the bad field.
    """
    for f in ("version", "classes", "tasks", "boundary"):
        if f not in doc:
            raise _table_error(source, f, "missing" + (
                f" (the boundary the thresholds are for: one of {', '.join(LEVELS)})"
                if f == "boundary" else ""))
    if doc["boundary"] not in LEVELS:
        raise _table_error(source, "boundary",
                           f"must be one of {', '.join(LEVELS)}, got {doc['boundary']!r}")
    classes = tuple(str(c) for c in doc["classes"])
    if len(classes) < 2 or len(set(classes)) != len(classes):
        raise _table_error(source, "classes", "needs at least two distinct class names")
    tasks: dict[str, tuple[float, ...]] = {}
    for task, row in dict(doc["tasks"]).items():
        field = f"tasks.{task}.thresholds_wh_per_1k"
        th = row.get("thresholds_wh_per_1k") if isinstance(row, Mapping) else None
        if not isinstance(th, list) or len(th) != len(classes) - 1:
            raise _table_error(source, field, f"needs a list of {len(classes) - 1} numbers")
        vals = tuple(float(x) for x in th)
        if any(not math.isfinite(x) or x <= 0 for x in vals) or any(
                b <= a for a, b in zip(vals, vals[1:])):
            raise _table_error(source, field, f"must be positive and strictly increasing, got {th}")
        tasks[str(task)] = vals
    return ThresholdTable(version=str(doc["version"]), classes=classes,
                          thresholds_wh_per_1k=tasks, unit=str(doc.get("unit", "")),
                          rationale=str(doc.get("rationale", "")), source=source,
                          boundary=str(doc["boundary"]))


def load_thresholds(path: str | Path | None = None) -> ThresholdTable:
    """Read a threshold table (the packaged v1 table by default).

    Args:
        path: A JSON file; None for ``wattprint/analysis/data/rating_thresholds_v1.json``.

    Raises:
        ConfigError: when the file is missing, not JSON, or a field is invalid.
    """
    if path is None:
        ref = resources.files("wattprint.analysis").joinpath("data", DEFAULT_TABLE)
        text, source = ref.read_text(encoding="utf-8"), f"wattprint/analysis/data/{DEFAULT_TABLE}"
    else:
        p = Path(path)
        try:
            text = p.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as err:
            raise ConfigError(f"rating threshold table {p}: cannot read ({err})") from err
        source = str(p)
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as err:
        raise ConfigError(f"rating threshold table {source}: line {err.lineno}: {err.msg}") from err
    return threshold_table_from_dict(doc, source)


def boundary_words(level: Any) -> str:
    """A boundary level in words, cumulative (``accelerator + host CPU and DRAM``)."""
    words = {"accelerator": "accelerator only", "host": "accelerator + host CPU and DRAM",
             "idle": "accelerator + host + idle capacity", "facility": "facility (× PUE)",
             "partial": "part of a boundary (the rest has another provenance)",
             "process": "process share", "node": "whole node at the wall (BMC)"}
    return words.get(str(level), "unknown boundary")


def rate(agg: pd.DataFrame, table: ThresholdTable | None = None,
         value_col: str = "wh_per_1k_mean",
         set_keys: Sequence[str] = STAR_SET_KEYS) -> pd.DataFrame:
    """Add both ratings to an aggregate table (a copy).

    Args:
        agg: Aggregates (e.g. from :func:`wattprint.analysis.metrics.aggregate` at model level),
            with ``boundary_level`` (rows without one get stars among themselves and no class)
            and ``weights`` (``random`` rows are not rated).
        table: Absolute thresholds (the packaged v1 table by default).
        value_col: Energy column to rate, Wh per 1,000 queries.
        set_keys: Columns that define one compared set for stars.

    Returns:
        The table with ``stars`` (nullable int 1..5), ``stars_set_size`` (rated models in the
        compared set), ``stars_size_class`` (AI Energy Score's text-generation size class,
        part of the compared set; "" for other tasks), ``abs_class`` (or None; only for rows
        at the table's boundary), ``abs_version``, ``abs_boundary`` (the table's boundary),
        ``rating_note`` (why a row with energy is not rated, else "").
    """
    table = table or load_thresholds()
    out = agg.copy()
    for k in set_keys:
        if k not in out:
            out[k] = None
    v = pd.to_numeric(out[value_col], errors="coerce").astype("float64")
    random = (out["weights"] == RANDOM_WEIGHTS if "weights" in out
              else pd.Series(False, index=out.index))
    rated = v.notna() & out["provenance"].notna() & ~random
    params = (pd.to_numeric(out["num_params"], errors="coerce") if "num_params" in out
              else pd.Series(np.nan, index=out.index))
    out["stars_size_class"] = [size_class(t, p) for t, p in zip(out["task"], params)]
    keys = list(set_keys) + ["stars_size_class"]
    vv = v.where(rated)
    grp = vv.groupby([out[k].astype(object).where(out[k].notna(), "") for k in keys],
                     dropna=False)
    lo, hi, size = grp.transform("min"), grp.transform("max"), grp.transform("count")
    out["stars"] = pd.array([star_bin(x, a, b) if ok else None
                             for x, a, b, ok in zip(vv, lo, hi, rated)], dtype="Int64")
    out["stars_set_size"] = size.where(rated).astype("Int64")
    at_boundary = out["boundary_level"] == table.boundary
    out["abs_class"] = [table.classify(t, x) if ok and at else None
                        for t, x, ok, at in zip(out["task"], v, rated, at_boundary)]
    out["abs_version"] = table.version
    out["abs_boundary"] = table.boundary
    notes = []
    for has_v, rnd, at, lvl in zip(v.notna(), random, at_boundary, out["boundary_level"]):
        if not has_v:
            notes.append("")
        elif rnd:
            notes.append(COST_ONLY_NOTE)
        elif not at:
            notes.append(f"no class: boundary {boundary_words(lvl)}, the class table is for "
                         f"{table.boundary_title}")
        else:
            notes.append("")
    out["rating_note"] = notes
    return out
