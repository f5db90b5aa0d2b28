"""Energy labels: one SVG card per (model, task), in the spirit of AI Energy Score's label.

The card shows the model, the task, Wh per 1,000 queries with its interval (across datasets
where the model ran on several, else the repetition interval; "too few" below 3 values), the
AI Energy Score-compatible stars (relative to the compared set) and the absolute class (with
its table version and boundary), the hardware, the date, the provenance and the boundary the
figure covers. Models with random weights get no card (the report leaves them out). Every text
from data is XML-escaped.
"""

from __future__ import annotations

import hashlib
import re
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from wattprint.analysis import fmt
from wattprint.analysis.ratings import boundary_words

WIDTH, HEIGHT = 260, 364

CLASS_COLOURS: dict[str, str] = {
    "A": "#1a9641", "B": "#66bd63", "C": "#a6d96a", "D": "#fee08b", "E": "#fdae61",
    "F": "#f46d43", "G": "#d73027",
}


@dataclass(frozen=True)
class LabelData:
    """What one label shows.

    Attributes:
        model, task: Names (from data; escaped when drawn).
        wh_per_1k: Mean energy, Wh per 1,000 queries (None/NaN = missing).
        low_wh, high_wh: Interval of the mean, Wh per 1,000 queries (None = none).
        interval_kind: What the interval is over, in words (``repetition interval``,
            ``across 3 datasets``).
        interval_note: Why there is no interval (``too few repetitions …``), or "".
        n_reps: Repetitions behind the mean.
        stars: 1..5 or None; stars_set_size: models in the compared set.
        abs_class: A..G or None; abs_version: threshold table version.
        hardware, date, provenance, boundary: As stored (boundary: the domains covered).
        boundary_level: Which of the nested boundaries the figure covers
            (:data:`wattprint.results.boundaries.LEVELS`, ``partial``), or None.
        abs_boundary: The boundary the class table is for.
        total_g_per_1k: Estimated carbon per 1,000 queries, operational + embodied (None:
            missing, e.g. no recorded factors or no embodied factor for the GPU).
        water_ml_per_1k: Estimated water per 1,000 queries, mL (None: missing).
    """

    model: str
    task: str
    wh_per_1k: float | None
    low_wh: float | None
    high_wh: float | None
    n_reps: int
    stars: int | None
    stars_set_size: int | None
    abs_class: str | None
    abs_version: str
    hardware: str | None
    date: str | None
    provenance: str | None
    boundary: str | None
    interval_kind: str = "repetition interval"
    interval_note: str = ""
    boundary_level: str | None = None
    abs_boundary: str | None = None
    total_g_per_1k: float | None = None
    water_ml_per_1k: float | None = None


def _int(x: Any) -> int | None:
    return None if fmt.is_missing(x) else int(x)


def label_from_row(row: Mapping[str, Any]) -> LabelData:
    """Build label data from one rated model-level aggregate row.

    Where the model ran on several datasets the card shows the interval across datasets,
    else the repetition interval.
    """
    date = row.get("created_at")
    n_ds = _int(row.get("datasets")) or 1
    part, kind = (("ds", f"across {n_ds} datasets") if n_ds > 1
                  else ("rep", "repetition interval"))
    note = row.get(f"wh_per_1k_{part}_note")
    return LabelData(
        model=str(row["model"]), task=str(row["task"]),
        wh_per_1k=row.get("wh_per_1k_mean"), low_wh=_float(row.get(f"wh_per_1k_{part}_low")),
        high_wh=_float(row.get(f"wh_per_1k_{part}_high")), interval_kind=kind,
        interval_note="" if fmt.is_missing(note) else str(note).replace(" for an interval", ""),
        n_reps=int(row.get("n_reps") or 0),
        stars=_int(row.get("stars")), stars_set_size=_int(row.get("stars_set_size")),
        abs_class=None if fmt.is_missing(row.get("abs_class")) else str(row["abs_class"]),
        abs_version=fmt.text(row.get("abs_version")),
        hardware=next((str(row[k]) for k in ("hardware", "hardware_id")
                       if not fmt.is_missing(row.get(k))), None),
        date=None if fmt.is_missing(date) else str(date)[:10],
        provenance=None if fmt.is_missing(row.get("provenance")) else str(row["provenance"]),
        boundary=None if fmt.is_missing(row.get("boundary")) else str(row["boundary"]),
        boundary_level=None if fmt.is_missing(row.get("boundary_level"))
        else str(row["boundary_level"]),
        abs_boundary=None if fmt.is_missing(row.get("abs_boundary")) else str(row["abs_boundary"]),
        total_g_per_1k=_float(row.get("total_g_per_1k_mean")),
        water_ml_per_1k=_float(row.get("water_ml_per_1k_mean")),
    )


def _float(x: Any) -> float | None:
    return None if fmt.is_missing(x) else float(x)


def _short(s: str, n: int) -> str:
    return s if len(s) <= n else s[: n - 1] + "…"


def _text(x: float, y: float, s: str, size: int = 11, weight: str = "normal",
          fill: str = "#222", anchor: str = "start") -> str:
    return (f'<text x="{x}" y="{y}" font-size="{size}" font-weight="{weight}" fill="{fill}" '
            f'text-anchor="{anchor}">{escape(s)}</text>')


def energy_label_svg(d: LabelData) -> str:
    """The label as standalone SVG markup (well-formed XML, every data string escaped).

    Args:
        d: What to show.

    Returns:
        An ``<svg>`` element, 260 × 364 px, with a ``<title>`` for screen readers.
    """
    stars_txt = fmt.MISSING if d.stars is None else "★" * d.stars + "☆" * (5 - d.stars)
    star_note = ("not rated" if d.stars is None else
                 f"{d.stars}/5, relative to {d.stars_set_size or 1} model(s) compared")
    cls = d.abs_class or fmt.MISSING
    cls_fill = CLASS_COLOURS.get(d.abs_class or "", "#cccccc")
    ci = fmt.interval(d.low_wh, d.high_wh)
    ci_txt = (f"95 % {d.interval_kind}: {ci}" if ci != fmt.MISSING
              else f"{d.interval_kind}: — ({d.interval_note or f'{d.n_reps} run(s)'})")
    title = f"Energy label: {d.model}, {d.task}"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label={quoteattr(title)} '
        f'font-family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif">',
        f"<title>{escape(title)}</title>",
        f'<rect x="1" y="1" width="{WIDTH - 2}" height="{HEIGHT - 2}" rx="10" fill="#ffffff" '
        'stroke="#2b6d3f" stroke-width="2"/>',
        f'<rect x="1" y="1" width="{WIDTH - 2}" height="34" rx="10" fill="#2b6d3f"/>',
        _text(14, 23, "wattprint · ENERGY LABEL", 13, "bold", "#ffffff"),
        _text(14, 56, _short(d.model, 30), 13, "bold"),
        _text(14, 73, _short(d.task, 38), 11, fill="#555"),
        _text(14, 108, fmt.num(d.wh_per_1k), 28, "bold", "#2b6d3f"),
        _text(14, 124, "Wh per 1,000 queries", 11, fill="#555"),
        _text(14, 140, _short(ci_txt, 56), 8, fill="#555"),
        _text(14, 174, stars_txt, 24, fill="#e8a317"),
        _text(14, 190, _short(star_note, 46), 8, fill="#555"),
        f'<rect x="196" y="150" width="48" height="48" rx="6" fill="{cls_fill}"/>',
        _text(220, 184, cls, 26, "bold", "#111", "middle"),
        _text(220, 210, "absolute", 8, fill="#555", anchor="middle"),
        _text(14, 219, _short(f"class table {d.abs_version}", 46), 8, fill="#555"),
        _text(14, 230, _short("class boundary: " + (boundary_words(d.abs_boundary)
                                                    if d.abs_boundary else fmt.MISSING), 56),
              7, fill="#555"),
        _text(14, 244, _short(f"Hardware: {fmt.text(d.hardware)}", 42), 10),
        _text(14, 260, f"Date: {fmt.text(d.date)}", 10),
        _text(14, 276, _short(f"Provenance: {fmt.text(d.provenance)}", 42), 10),
    ]
    level = boundary_words(d.boundary_level) if d.boundary_level else fmt.MISSING
    boundary = textwrap.wrap(f"Boundary: {level} — {fmt.text(d.boundary)}", 44,
                             break_long_words=True)
    for i, line in enumerate(boundary[:4]):
        if i == 3 and len(boundary) > 4:
            line = _short(line, 42) + " …"
        parts.append(_text(14, 292 + 13 * i, line, 9, fill="#444"))
    parts.append(_text(14, HEIGHT - 22, _short(
        f"Estimated /1k: {fmt.num(d.total_g_per_1k)} g CO2eq incl. embodied, "
        f"{fmt.num(d.water_ml_per_1k)} mL water", 60), 7, fill="#444"))
    parts.append(_text(WIDTH - 12, HEIGHT - 10, "query phase only", 8, fill="#888", anchor="end"))
    parts.append("</svg>")
    return "\n".join(parts)


def label_filename(d: LabelData) -> str:
    """A safe, unique file name for a label (slug of model and task plus a short hash)."""
    key = f"{d.model}\x00{d.task}\x00{d.hardware}\x00{d.provenance}"
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", f"{d.model}__{d.task}")[:80].strip("._") or "label"
    return f"{slug}-{hashlib.sha256(key.encode()).hexdigest()[:8]}.svg"


def write_label(d: LabelData, out_dir: Path) -> Path:
    """Write one label SVG into ``out_dir`` (created); returns its path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / label_filename(d)
    path.write_text(energy_label_svg(d), encoding="utf-8")
    return path
