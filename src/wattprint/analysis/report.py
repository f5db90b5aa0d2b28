"""One static, self-contained HTML report from stored records.

The page needs no network to view: CSS, JavaScript, figures (SVG) and labels (SVG) are all
inline. Every string that comes from data is escaped where it appears: HTML text and
attributes with :func:`html.escape`, the embedded JSON with ``<``, ``>``, ``&`` and the
Unicode line separators written as ``\\uXXXX`` escapes, so no data can close the script
element or open a comment.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path
from string import Template
from typing import Any

import pandas as pd

from wattprint import __version__
from wattprint.analysis import fmt
from wattprint.analysis.boundary_view import BoundaryRow, boundary_rows, describe_level
from wattprint.analysis.correct import per_correct
from wattprint.analysis.figures import FigureResult, all_figures
from wattprint.analysis.finding import findings
from wattprint.analysis.finding_view import finding_section
from wattprint.analysis.frame import results_frame
from wattprint.analysis.hardware import hardware_label, hardware_names
from wattprint.analysis.labels import LabelData, energy_label_svg, label_from_row, write_label
from wattprint.analysis.metrics import DETAIL_KEYS, MODEL_KEYS, aggregate, task_summary
from wattprint.analysis.ratings import (
    COST_ONLY_NOTE,
    RANDOM_WEIGHTS,
    ThresholdTable,
    boundary_words,
    load_thresholds,
    rate,
)
from wattprint.results.boundaries import LEVEL_TITLES, LEVELS
from wattprint.results.schema import JobResult
from wattprint.results.stats import CONFIDENCE, MIN_VALUES

MAX_LEADERBOARD_ROWS = 2000
"""Aggregated rows shown in the leaderboard at most (the lowest energy first within a task)."""
MAX_DETAIL_ROWS = 2000
MAX_LABELS = 60
MAX_RUNS = 50
MAX_FAILURES = 200

REPORT_FILE = "index.html"


def h(x: Any) -> str:
    """Escape any value for HTML text or a quoted attribute; missing → "—"."""
    return html.escape(fmt.text(x), quote=True)


def json_for_html(obj: Any) -> str:
    """JSON safe to embed in ``<script type="application/json">``.

    NaN and infinities become ``null`` (they are not JSON); ``<``, ``>``, ``&``, U+2028 and
    U+2029 are written as ``\\uXXXX`` escapes so the text cannot end the script element
    (``</script>``) or open an HTML comment (``<!--``).
    """
    text = json.dumps(_clean(obj), ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def _clean(obj: Any) -> Any:
    if isinstance(obj, Mapping):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    if isinstance(obj, bool) or obj is None or isinstance(obj, str):
        return obj
    if isinstance(obj, int):
        return obj
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if fmt.is_missing(obj):
        return None
    try:
        v = float(obj)
    except (TypeError, ValueError):
        return str(obj)
    if v.is_integer() and "int" in type(obj).__name__.lower():
        return int(v)
    return v if math.isfinite(v) else None


def _template(name: str) -> str:
    return resources.files("wattprint.analysis").joinpath("templates", name).read_text("utf-8")


@dataclass(frozen=True)
class ReportResult:
    """What :func:`build_report` wrote.

    Attributes:
        path: The ``index.html`` file.
        n_results: Stored results read.
        n_leaderboard_rows: Aggregated rows in the leaderboard.
        figures: Figures written or skipped.
        labels: Label files written.
        finding_lines: The study's finding measured here (task-specific against
            multi-purpose, :mod:`wattprint.analysis.finding`) as text; empty without a pair.
    """

    path: Path
    n_results: int
    n_leaderboard_rows: int
    figures: list[FigureResult] = field(default_factory=list)
    labels: list[Path] = field(default_factory=list)
    finding_lines: tuple[str, ...] = ()


@dataclass(frozen=True)
class CarbonInfo:
    """Carbon methodology to print: where intensities and equivalents come from.

    Attributes:
        lines: Sentences (plain text, escaped when drawn) describing intensity sources,
            equivalents and their constants with source and year.
        available: False when the carbon package is not installed (a hook for it is shown).
    """

    lines: tuple[str, ...] = ()
    available: bool = False
    equivalents: Callable[[float, float | None], Mapping[str, float | None]] | None = None
    """kWh per 1k and g per 1k (or None) → equivalent label → count (or None)."""


# ---------------------------------------------------------------------------------- building


def build_report(results: Iterable[JobResult], out_dir: str | Path, *,
                 model_parameters: Mapping[str, float] | None = None,
                 thresholds: ThresholdTable | None = None,
                 source_label: str = "",
                 carbon: CarbonInfo | None = None,
                 serving_points: Sequence[Any] = (),
                 idle_share: float = 0.0,
                 default_pue: float | None = None,
                 include_shared: bool = False) -> ReportResult:
    """Write ``out_dir/index.html`` (plus ``figures/`` and ``labels/`` SVG files).

    Args:
        results: Stored results (any iterable; read once).
        out_dir: Output folder (created).
        model_parameters: Optional model → parameter count for figures (e.g. the study's CSV).
        thresholds: Absolute rating table (the packaged v1 table by default).
        source_label: Where the results came from (store path), shown in the header.
        carbon: Carbon methodology lines; None shows the stored carbon fields only.
        serving_points: Served load points (:class:`ServingPoint`) for the serving section.
        idle_share: Stated fraction of provisioned capacity held idle, for the third of the
            four boundaries (``0 ≤ f < 1``).
        default_pue: PUE for results that recorded none (None: their facility level is
            missing).
        include_shared: Also rate, label and rank results whose window was flagged as run on
            a shared host (:attr:`~wattprint.results.schema.JobResult.shared_host`); by
            default they are left out of the leaderboard, ratings and labels (they stay in the
            per-task and per-dataset tables and the figures) and the report says how many.

    Returns:
        What was written.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    results = list(results)
    table = thresholds or load_thresholds()
    generated = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    subtitle = (f"Energy of AI inference · {len(results):,} stored results · generated {generated}"
                f" · wattprint {__version__}" + (f" · {source_label}" if source_label else ""))
    from wattprint.analysis.serving_report import serving_section

    serving_html = serving_section(serving_points)
    serving = [("serving", "Served models under load", serving_html)] if serving_html else []
    if not results:
        body = "\n".join(f'<section id="sec-{sid}">\n<h2>{h(title)}</h2>\n{content}\n</section>'
                         for sid, title, content in serving) or _empty_body()
        page = _page("wattprint report", subtitle, body, {"facets": {}, "rows": []},
                     nav=[(sid, title) for sid, title, _ in serving])
        path = out / REPORT_FILE
        path.write_text(page, encoding="utf-8")
        return ReportResult(path, 0, 0)

    df = results_frame(results, model_parameters)
    names = hardware_names(results)
    shared = df["shared"].astype(bool)
    n_shared = int(df.loc[shared, ["job_id", "repetition", "run_id"]].drop_duplicates().shape[0])
    rated = df if include_shared else df[~shared]
    board = rate(aggregate(rated, MODEL_KEYS), table)
    board["hardware"] = [hardware_label(str(x), names) for x in board["hardware_id"]]
    board = board.assign(_sort=board["wh_per_1k_mean"]).sort_values(
        ["task", "_sort"], na_position="last", kind="stable").drop(columns="_sort")
    detail = aggregate(df, DETAIL_KEYS)
    figures = all_figures(df, out / "figures")

    # Random-weight models get no label card: they are cost measurements of an architecture.
    label_rows = board[board["provenance"].notna() & board["wh_per_1k_mean"].notna()
                       & (board["weights"] != RANDOM_WEIGHTS)]
    # Round-robin over tasks (lowest energy first in each) so every task gets labels.
    rank = label_rows.groupby("task").cumcount()
    picked = label_rows.assign(_rank=rank).sort_values(["_rank", "task"], kind="stable")
    labels = [label_from_row(r) for r in picked.head(MAX_LABELS).to_dict("records")]
    label_paths = [write_label(d, out / "labels") for d in labels]

    shown = board.head(MAX_LEADERBOARD_ROWS)
    shared_note = ""
    if n_shared:
        shared_note = (f'<p class="note">{n_shared:,} result(s) ran on a shared host (others used '
                       "more than the limit of its CPU time during the measured window): "
                       + ("they are rated and ranked here (include_shared)."
                          if include_shared else "left out of the leaderboard, ratings and "
                          "labels (--include-shared keeps them); they stay in the tables "
                          "below.") + "</p>")
    found = findings(df)
    sections = [
        *([("finding", "The study's finding, measured here", finding_section(found))]
          if found else []),
        ("leaderboard", "Leaderboard", shared_note + _leaderboard(shown, len(board))),
        ("boundaries", "Four boundaries (accelerator → facility)",
         _boundaries(boundary_rows(results, idle_share, default_pue), idle_share, default_pue)),
        ("figures", "Figures", _figures(figures)),
        ("labels", "Energy labels", _labels(labels, len(label_rows))),
        ("tasks", "Per task (the study's Table 2)", _task_table(task_summary(df), carbon)),
        ("datasets", "Per dataset", _detail(detail)),
        ("failures", "Failed runs", _failures(df)),
        *serving,
        ("methodology", "Methodology", _methodology(results, df, table, carbon)),
        ("environment", "Run environments", _environments(results)),
    ]
    body = "\n".join(f'<section id="sec-{sid}">\n<h2>{h(title)}</h2>\n{content}\n</section>'
                     for sid, title, content in sections)
    data = {
        "facets": {
            "task": sorted(board["task"].dropna().unique().tolist()),
            "hardware": sorted(board["hardware"].dropna().astype(str).unique().tolist()),
            "provenance": sorted(board["provenance"].dropna().unique().tolist()),
        },
        "rows": [_json_row(r) for r in shown.to_dict("records")],
        "rating_table": table.version,
    }
    page = _page("wattprint report", subtitle, body, data,
                 nav=[(sid, title) for sid, title, _ in sections])
    path = out / REPORT_FILE
    path.write_text(page, encoding="utf-8")
    lines = tuple(line for i, f in enumerate(found) for line in ([""] if i else []) + f.lines())
    return ReportResult(path, len(results), len(shown), figures, label_paths, lines)


def _page(title: str, subtitle: str, body: str, data: Any,
          nav: Sequence[tuple[str, str]]) -> str:
    nav_html = "".join(f'<a href="#sec-{h(sid)}">{h(t)}</a>' for sid, t in nav)
    return Template(_template("report.html")).substitute(
        title=h(title), subtitle=h(subtitle), nav=nav_html, body=body,
        css=_template("report.css"), js=_template("report.js"), data_json=json_for_html(data))


def _empty_body() -> str:
    return """<section id="empty"><div class="empty">
<h2>Nothing measured yet</h2>
<p>The results store holds no results, so there is nothing to rank or draw. To get results:</p>
<ul>
<li>measure: <code>wattprint run</code> (the default suite), or <code>make run</code></li>
<li>or import CodeCarbon logs (e.g. the study's): <code>wattprint import codecarbon PATH</code></li>
</ul>
<p>then build this page again with <code>wattprint report</code>.</p>
</div></section>"""


# ------------------------------------------------------------------------------ sections


def _stars(x: Any) -> str:
    if fmt.is_missing(x):
        return fmt.MISSING
    n = int(x)
    return "★" * n + "☆" * (5 - n)


def _cls(x: Any) -> str:
    if fmt.is_missing(x):
        return fmt.MISSING
    return f'<span class="cls cls-{h(x)}">{h(x)}</span>'


def _v(x: Any) -> str:
    """A sortable data-v attribute value: a plain number, or empty when missing."""
    if fmt.is_missing(x):
        return ""
    try:
        v = float(x)
    except (TypeError, ValueError):
        return h(x)
    return repr(v) if math.isfinite(v) else ""


def _num_td(x: Any, sig: int = 3) -> str:
    return f'<td class="num" data-v="{_v(x)}">{h(fmt.num(x, sig))}</td>'


def _int_td(x: Any) -> str:
    return f'<td class="num" data-v="{_v(x)}">{h(fmt.integer(x))}</td>'


def _txt_td(x: Any, cls: str = "") -> str:
    c = f' class="{cls}"' if cls else ""
    v = "" if fmt.is_missing(x) else h(x)
    return f'<td{c} data-v="{v}" title="{h(x)}">{h(x)}</td>'


BOARD_COLUMNS: tuple[tuple[str, str], ...] = (
    ("Task", "text"), ("Model", "text"), ("Hardware", "text"), ("Provenance", "text"),
    ("Boundary", "text"), ("Wh / 1k queries", "num"), ("Repetition interval (Wh / 1k)", "num"),
    ("Across datasets (Wh / 1k)", "num"), ("Std (Wh / 1k)", "num"),
    ("Dynamic Wh / 1k", "num"), ("Reps", "num"), ("Failed", "num"), ("Stars", "num"),
    ("Class", "text"), ("J / work unit", "num"), ("Work unit", "text"), ("Quality", "num"),
    ("Metric", "text"), ("J / correct answer", "num"), ("g CO2eq / 1k", "num"),
    ("Embodied g CO2eq / 1k", "num"), ("Total g CO2eq / 1k", "num"), ("Water mL / 1k", "num"),
    ("Parameters", "num"), ("Datasets", "num"), ("Source", "text"),
)


def _interval_td(low: Any, high: Any, note: Any) -> str:
    """An interval cell: ``low – high``, or "—" and why there is none (e.g. too few
    repetitions), never a negative lower bound (the intervals are log-normal)."""
    txt = fmt.interval(low, high)
    if txt != fmt.MISSING:
        return f'<td class="num" data-v="{_v(low)}">{h(txt)}</td>'
    why = "" if fmt.is_missing(note) else str(note)
    extra = f' <span class="why">{h(why)}</span>' if why else ""
    return f'<td class="num" data-v="" title="{h(why)}">{fmt.MISSING}{extra}</td>'


def _dynamic_td(wh: Any, n_negative: Any) -> str:
    """The dynamic (idle-subtracted) energy, flagged when a repetition's came out negative."""
    neg = 0 if fmt.is_missing(n_negative) else int(n_negative)
    if not neg:
        return _num_td(wh)
    return (f'<td class="num warn" data-v="{_v(wh)}" title="{neg} repetition(s) with negative '
            f'dynamic energy: the idle baseline drew more than the window">{h(fmt.num(wh))} '
            f"⚠ {neg} negative</td>")


COST_ONLY_TD = f'<td class="costonly" data-v="" title="{h(COST_ONLY_NOTE)}">cost only</td>'
"""The stars and class cells of a random-weight model: not rated, a cost measurement."""


def _stars_td(r: Mapping[str, Any]) -> str:
    if r.get("weights") == RANDOM_WEIGHTS:
        return COST_ONLY_TD
    return (f'<td class="num stars" data-v="{_v(r.get("stars"))}" '
            f'title="among {h(r.get("stars_set_size"))} model(s) at the same boundary">'
            f'{_stars(r.get("stars"))}</td>')


def _class_td(r: Mapping[str, Any]) -> str:
    if r.get("weights") == RANDOM_WEIGHTS:
        return COST_ONLY_TD
    cls = r.get("abs_class")
    if fmt.is_missing(cls):
        return f'<td data-v="" title="{h(r.get("rating_note") or None)}">{fmt.MISSING}</td>'
    return (f'<td data-v="{h(cls)}" title="table {h(r.get("abs_version"))}, boundary '
            f'{h(boundary_words(r.get("abs_boundary")))}">{_cls(cls)}</td>')


def _thead(cols: Sequence[tuple[str, str]]) -> str:
    return "<thead><tr>" + "".join(
        f'<th data-type="{t}"{" class=num" if t == "num" else ""}>{h(c)}</th>' for c, t in cols
    ) + "</tr></thead>"


def _leaderboard(board: pd.DataFrame, total: int) -> str:
    rows = []
    for r in board.to_dict("records"):
        rows.append(
            f'<tr data-task="{h(r["task"])}" data-hw="{h(r["hardware"])}" '
            f'data-prov="{"" if fmt.is_missing(r.get("provenance")) else h(r["provenance"])}" '
            f'data-model="{h(r["model"])}">'
            + _txt_td(r["task"]) + _txt_td(r["model"], "model") + _txt_td(r["hardware"], "hw")
            + _txt_td(r.get("provenance"))
            + _txt_td(boundary_words(r.get("boundary_level")))
            + _num_td(r.get("wh_per_1k_mean"))
            + _interval_td(r.get("wh_per_1k_rep_low"), r.get("wh_per_1k_rep_high"),
                           r.get("wh_per_1k_rep_note"))
            + _interval_td(r.get("wh_per_1k_ds_low"), r.get("wh_per_1k_ds_high"),
                           r.get("wh_per_1k_ds_note"))
            + _num_td(r.get("wh_per_1k_std"), 2)
            + _dynamic_td(None if fmt.is_missing(r.get("dynamic_kwh_per_1k_mean"))
                          else r["dynamic_kwh_per_1k_mean"] * 1000.0, r.get("dynamic_negative"))
            + _int_td(r.get("n_reps"))
            + (f'<td class="num failed" data-v="{_v(r["n_failed"])}" title="{h(r.get("last_error"))}">'
               f'{h(r["n_failed"])}</td>' if r.get("n_failed") else _int_td(0))
            + _stars_td(r) + _class_td(r)
            + _num_td(r.get("j_per_unit_mean")) + _txt_td(r.get("work_unit"))
            + _num_td(r.get("quality_mean")) + _txt_td(r.get("quality_metric"))
            + _per_correct_td(r) + _num_td(r.get("g_per_1k_mean"))
            + _num_td(r.get("embodied_g_per_1k_mean")) + _num_td(r.get("total_g_per_1k_mean"))
            + _num_td(r.get("water_ml_per_1k_mean"))
            + _num_td(r.get("num_params")) + _int_td(r.get("datasets"))
            + _txt_td(r.get("source")) + "</tr>")
    cap = (f'<p class="warn">Showing the first {len(board):,} of {total:,} aggregated rows '
           f"(lowest energy first within each task).</p>" if total > len(board) else "")
    return f"""<p class="note">One row per task, model, hardware and provenance (datasets pooled,
mean over repetitions). Energy of different provenances is never summed: a model measured by a
counter and estimated for the CPU has two rows, and the Boundary column says what each covers.
The <em>repetition interval</em> shows how repeatable back-to-back runs were (one dataset; with
several, see Per dataset); the interval <em>across datasets</em> shows how energy varies over
inputs (from {MIN_VALUES} datasets). Both are {CONFIDENCE:.0%}, log-normal, never below zero,
and absent below {MIN_VALUES} values. Stars follow AI Energy Score (relative: five equal-width
bins between the least and the most energy of the same task, hardware, provenance and boundary;
5★ = least energy). Class is absolute (A best … G worst) from a pinned, versioned threshold
table, only for figures at the table's boundary (see Methodology). Models with random weights
are not rated ("cost only"): they measure an architecture's cost. Embodied and total carbon and
water are estimated from the factors each run recorded (Methodology). "—" means missing, never
zero. Click a column header to sort (rank by any column: energy, carbon, embodied, water).</p>
{cap}
<div class="filters">
<label>Task<select id="f-task"><option value="">all tasks</option></select></label>
<label>Hardware<select id="f-hw"><option value="">all hardware</option></select></label>
<label>Provenance<select id="f-prov"><option value="">all provenances</option></select></label>
<label>Model contains<input id="f-text" type="search" placeholder="model name"></label>
<span id="board-count" class="note"></span>
</div>
<div class="tablewrap"><table id="leaderboard" class="sortable">
{_thead(BOARD_COLUMNS)}
<tbody>
{chr(10).join(rows)}
</tbody></table></div>"""


def _per_correct_td(r: Mapping[str, Any]) -> str:
    """J per correct answer with its 95 % interval; "—" and why for random weights or a
    quality that is not a share of correct answers; "∞" when none was correct."""
    j, wh = r.get("j_per_inference_mean"), r.get("wh_per_1k_mean")
    scale = (float(j) / float(wh)) if not (fmt.is_missing(j) or fmt.is_missing(wh)) and wh else None
    low, high = r.get("wh_per_1k_rep_low"), r.get("wh_per_1k_rep_high")
    n = 0 if fmt.is_missing(r.get("n_items")) else int(r["n_items"]) * int(r.get("datasets") or 1)
    c = per_correct(math.nan if fmt.is_missing(j) else float(j),
                    None if scale is None or fmt.is_missing(low) else float(low) * scale,
                    None if scale is None or fmt.is_missing(high) else float(high) * scale,
                    None if fmt.is_missing(r.get("quality_mean")) else float(r["quality_mean"]),
                    n, weights=r.get("weights"),
                    metric=None if fmt.is_missing(r.get("quality_metric")) else r["quality_metric"])
    if c.mean is None:
        return f'<td class="num" data-v="" title="{h(c.note)}">{fmt.MISSING}</td>'
    if math.isinf(c.mean):
        return f'<td class="num" data-v="" title="{h(c.note)}">∞ (none correct)</td>'
    iv = "" if c.low is None or c.high is None else (
        f" ({fmt.num(c.low)}–{'∞' if math.isinf(c.high) else fmt.num(c.high)})")
    return f'<td class="num" data-v="{_v(c.mean)}" title="95 % interval">{h(fmt.num(c.mean))}{h(iv)}</td>'


def _json_row(r: Mapping[str, Any]) -> dict[str, Any]:
    keys = ("task", "model", "hardware_id", "hardware", "provenance", "boundary_level",
            "wh_per_1k_mean", "wh_per_1k_rep_low", "wh_per_1k_rep_high", "wh_per_1k_rep_note",
            "wh_per_1k_ds_low", "wh_per_1k_ds_high", "wh_per_1k_ds_note", "n_reps", "n_failed",
            "dynamic_negative", "weights", "stars", "abs_class", "abs_version", "abs_boundary",
            "rating_note", "quality_mean", "quality_metric", "source", "g_per_1k_mean",
            "embodied_g_per_1k_mean", "total_g_per_1k_mean", "water_ml_per_1k_mean")
    return {k: r.get(k) for k in keys}


def _figures(figs: Sequence[FigureResult]) -> str:
    parts = ['<p class="note">Per-1,000-inference energy of the query phase. Each figure draws '
             "one provenance and says which. SVG files are also written beside this page "
             "(<code>figures/</code>).</p>"]
    for f in figs:
        svg = f.svg_text()
        if svg is None:
            parts.append(f'<p class="warn"><strong>{h(f.title)}</strong>: not drawn: {h(f.note)}</p>')
        else:
            parts.append(f'<figure id="fig-{h(f.name)}">{svg}<figcaption><strong>{h(f.title)}'
                         f"</strong>. {h(f.note)}</figcaption></figure>")
    return "\n".join(parts)


def _labels(labels: Sequence[LabelData], total: int) -> str:
    cap = (f'<p class="note">Showing {len(labels)} of {total} labels; every label is also '
           "written as an SVG file in <code>labels/</code>.</p>" if total > len(labels) else
           '<p class="note">Each label is also written as an SVG file in <code>labels/</code>.</p>')
    return cap + '<div class="labels">' + "\n".join(energy_label_svg(d) for d in labels) + "</div>"


MAX_BOUNDARY_ROWS = 2000


def _boundaries(rows: Sequence[BoundaryRow], idle_share: float,
                default_pue: float | None) -> str:
    """The four nested boundaries per task, model and hardware (Wh per 1,000 inferences)."""
    pue_txt = ("the PUE recorded with each result" if default_pue is None else
               f"the PUE recorded with each result, else {default_pue:g} (stated default)")
    intro = (f'<p class="note">Energy per 1,000 inferences at four nested boundaries, after '
             "Google's 2025 per-prompt accounting (Elsworth et al., arXiv 2508.15734): the "
             "accelerator only → + the host's CPU and DRAM → + the idle share of provisioned "
             f"capacity (stated: <strong>{idle_share:g}</strong> of capacity held idle, each "
             "active unit carrying f/(1−f) idle units at this machine's measured idle power; "
             "set it with <code>--idle-share</code>) → × PUE "
             f"({h(pue_txt)}). Each cell gives one figure per provenance, never summed; the ratio "
             "is the widest available level over the accelerator-only one, given only when "
             "both are of one provenance.</p>")
    if not rows:
        return intro + '<p class="note">No successful result.</p>'
    cols = ([("Task", "text"), ("Model", "text"), ("Hardware", "text"), ("Results", "num")]
            + [(f"{LEVEL_TITLES[lv]} (Wh / 1k)", "text") for lv in LEVELS]
            + [("Widest / accelerator", "num"), ("Notes", "text")])
    body = []
    for r in rows[:MAX_BOUNDARY_ROWS]:
        notes = [f"{LEVEL_TITLES[lv]}: {n}" for lv in LEVELS for n in r.notes.get(lv, [])]
        notes += [f"ratio: {n}" for n in r.ratio_notes]
        if r.weights == RANDOM_WEIGHTS:
            notes.insert(0, "random weights: cost of the architecture")
        ratio = r.ratio
        ratio_td = (f'<td class="num" data-v="{_v(ratio)}" title="widest level: '
                    f'{h(", ".join(r.ratio_levels))}">{h(fmt.num(ratio))}×</td>'
                    if ratio is not None else _num_td(None))
        body.append("<tr>" + _txt_td(r.task) + _txt_td(r.model, "model")
                    + _txt_td(r.hardware_id) + _int_td(r.n_results)
                    + "".join(_txt_td(describe_level(r, lv)) for lv in LEVELS)
                    + ratio_td + _txt_td("; ".join(notes) or None) + "</tr>")
    cap = (f'<p class="warn">Showing {MAX_BOUNDARY_ROWS:,} of {len(rows):,} rows.</p>'
           if len(rows) > MAX_BOUNDARY_ROWS else "")
    return (intro + cap + f'<div class="tablewrap"><table class="sortable">{_thead(cols)}<tbody>'
            + "\n".join(body) + "</tbody></table></div>")


def _task_table(ts: pd.DataFrame, carbon: CarbonInfo | None = None) -> str:
    cols = [("Task", "text"), ("Provenance", "text"), ("Kind", "text"), ("Models", "num"),
            ("Reps", "num"),
            ("Mean kWh / 1k", "num"), ("Std", "num"), ("Median", "num"), ("Min", "num"),
            ("Max", "num"), ("g CO2eq / 1k (stored intensity)", "num")]
    eq = carbon.equivalents if carbon is not None else None
    records = ts.to_dict("records")
    eq_values = [dict(eq(float(r["mean"]), None if fmt.is_missing(r["g_per_1k"])
                         else float(r["g_per_1k"]))) if eq else {} for r in records]
    eq_labels = list(eq_values[0]) if eq_values and eq_values[0] else []
    cols += [(f"{label} / 1k", "num") for label in eq_labels]
    rows = ["<tr>" + _txt_td(r["task"]) + _txt_td(r["provenance"]) + _txt_td(r["purpose"])
            + _int_td(r["models"]) + _int_td(r["n_reps"])
            + "".join(_num_td(r[c]) for c in ("mean", "std", "median", "min", "max", "g_per_1k"))
            + "".join(_num_td(e.get(label)) for label in eq_labels) + "</tr>"
            for r, e in zip(records, eq_values)]
    note = ('<p class="note">Statistics over every successful repetition of the task, kept apart '
            "by provenance and by model kind (the study's Table 2 is the task-specific rows; "
            "its figures are whole-node totals, here split into measured GPU and estimated "
            "CPU + RAM when imported from CodeCarbon). Emissions use the intensity stored with each result; equivalents "
            "are those of the mean (see Methodology for their constants and sources).</p>")
    return (note + f'<div class="tablewrap"><table class="sortable">{_thead(cols)}<tbody>'
            + "\n".join(rows) + "</tbody></table></div>")


def _detail(detail: pd.DataFrame) -> str:
    cols = (("Task", "text"), ("Model", "text"), ("Dataset", "text"), ("Hardware", "text"),
            ("Provenance", "text"), ("kWh / 1k", "num"), ("Repetition interval (kWh / 1k)", "num"),
            ("Std", "num"), ("Dynamic kWh / 1k", "num"), ("J / inference", "num"),
            ("J / work unit", "num"), ("Output tokens / inference", "num"), ("Reps", "num"),
            ("Failed", "num"))
    d = detail.head(MAX_DETAIL_ROWS)
    rows = ["<tr>" + _txt_td(r["task"]) + _txt_td(r["model"], "model") + _txt_td(r["dataset"])
            + _txt_td(r["hardware_id"]) + _txt_td(r.get("provenance"))
            + _num_td(r.get("kwh_per_1k_mean"))
            + _interval_td(r.get("kwh_per_1k_rep_low"), r.get("kwh_per_1k_rep_high"),
                           r.get("kwh_per_1k_rep_note"))
            + _num_td(r.get("kwh_per_1k_std"), 2)
            + _dynamic_td(r.get("dynamic_kwh_per_1k_mean"), r.get("dynamic_negative"))
            + _num_td(r.get("j_per_inference_mean")) + _num_td(r.get("j_per_unit_mean"))
            + _num_td(r.get("output_tokens_per_inference_mean"))
            + _int_td(r.get("n_reps")) + _int_td(r.get("n_failed")) + "</tr>"
            for r in d.to_dict("records")]
    cap = (f'<p class="warn">Showing {len(d):,} of {len(detail):,} rows.</p>'
           if len(detail) > len(d) else "")
    return (f"<details><summary>{len(detail):,} rows: one per task, model, dataset, hardware and "
            f"provenance</summary>{cap}"
            f'<div class="tablewrap"><table class="sortable">{_thead(cols)}<tbody>'
            + "\n".join(rows) + "</tbody></table></div></details>")


def _failures(df: pd.DataFrame) -> str:
    f = df[df["status"] == "failed"]
    if not len(f):
        return '<p class="note">No failed repetition.</p>'
    g = (f.groupby(["task", "model", "dataset", "hardware_id"], dropna=False)
         .agg(n=("status", "size"), error=("error", "last")).reset_index())
    rows = ["<tr>" + _txt_td(r["task"]) + _txt_td(r["model"], "model") + _txt_td(r["dataset"])
            + _txt_td(r["hardware_id"]) + _int_td(r["n"]) + _txt_td(r["error"]) + "</tr>"
            for r in g.head(MAX_FAILURES).to_dict("records")]
    cols = (("Task", "text"), ("Model", "text"), ("Dataset", "text"), ("Hardware", "text"),
            ("Failed reps", "num"), ("Last error", "text"))
    return (f'<p class="note">{len(f):,} failed repetitions: counted here, never entered as zero '
            "energy.</p>"
            f'<div class="tablewrap"><table class="sortable">{_thead(cols)}<tbody>'
            + "\n".join(rows) + "</tbody></table></div>")


def _methodology(results: Sequence[JobResult], df: pd.DataFrame, table: ThresholdTable,
                 carbon: CarbonInfo | None) -> str:
    domains: dict[tuple[Any, ...], int] = {}
    for r in results:
        for d in r.domains:
            model = "" if d.model is None else (
                f"{d.model.name}: {d.model.formula}; constants "
                f"{json.dumps(dict(d.model.constants), sort_keys=True, default=str)}; "
                f"source: {d.model.source}")
            key = (d.provenance.value, d.name, d.boundary, d.source, d.scope, d.uncertainty, model)
            domains[key] = domains.get(key, 0) + 1
    drows = ["<tr>" + "".join(_txt_td(x) for x in k[:5])
             + _num_td(None if k[5] is None else k[5] * 100, 3) + _txt_td(k[6] or None)
             + _int_td(n) + "</tr>" for k, n in sorted(domains.items(), key=lambda kv: str(kv[0]))]
    dcols = (("Provenance", "text"), ("Domain", "text"), ("Boundary", "text"), ("Source", "text"),
             ("Scope", "text"), ("Uncertainty ±%", "num"), ("Estimate model", "text"),
             ("Results", "num"))

    with_i = df[df["intensity_g_per_kwh"].notna()].drop_duplicates(
        subset=["job_id", "repetition", "run_id", "source"])
    carbon_rows = (with_i.assign(_i=with_i["intensity_g_per_kwh"].round(2))
                   .groupby(["_i", "intensity_source"], dropna=False)
                   .size().reset_index(name="n"))
    if len(carbon_rows):
        carbon_rows = carbon_rows.sort_values("n", ascending=False).head(30)
        clist = "".join(f"<li>{h(fmt.num(r['_i'], 5))} g CO2eq/kWh — source: "
                        f"{h(r['intensity_source'])} ({int(r['n']):,} results)</li>"
                        for r in carbon_rows.to_dict("records"))
        chtml = f"<p>Carbon intensities stored with the results:</p><ul>{clist}</ul>"
    else:
        chtml = "<p>No result stores a carbon intensity; emissions columns show “—”.</p>"
    chtml += ("<p>Emissions are computed per provenance as energy × the intensity stored with "
              "the result (no intensity stored: “—”). A result's stored total emissions are used "
              "directly only when it has a single provenance.</p>")
    if carbon is not None and carbon.lines:
        chtml += ("<p>Equivalents (per 1,000 queries in the per-task table), from "
                  "<code>wattprint.carbon</code>:</p><ul>"
                  + "".join(f"<li>{h(x)}</li>" for x in carbon.lines) + "</ul>")
    elif carbon is None or not carbon.available:
        chtml += ('<p class="note">Equivalents (smartphone charges, km by car) and intensity '
                  "tables come from <code>wattprint.carbon</code>, which was not available when "
                  "this report was built; only the stored carbon fields are shown.</p>")

    from wattprint.analysis.impact_info import impacts_methodology_html

    chtml += impacts_methodology_html(results)
    th_rows = ["<tr>" + _txt_td(t) + "".join(_num_td(x) for x in th) + "</tr>"
               for t, th in table.thresholds_wh_per_1k.items()]
    th_cols = [("Task", "text")] + [(f"{c} ≤", "num") for c in table.classes[:-1]]
    return f"""
<h3>What is measured</h3>
<p>Only the query phase (running the model on the inputs, batch size as recorded) is in the
numbers; model loading, warm-up and the idle baseline are separate windows. Energy per 1,000
inferences = window energy ÷ n × 1,000. <em>Dynamic</em> energy subtracts the idle baseline
(idle power × window duration) where one was measured; otherwise it is missing.</p>
<h3>Boundary and provenance</h3>
<p><strong>measured</strong>: read from a hardware energy counter (NVML total energy, RAPL);
<strong>integrated</strong>: power samples integrated over time; <strong>estimated</strong>: a
stated model with an uncertainty band. Numbers of different provenance are never summed; within
one provenance, device and machine domains are summed and process-attributed domains are used
only when there is nothing else. Domains seen in these results:</p>
<div class="tablewrap"><table class="sortable">{_thead(dcols)}<tbody>{"".join(drows)}</tbody></table></div>
<h3>Statistics</h3>
<p>Mean over repetitions and sample standard deviation (n − 1). Back-to-back repetitions of one
job on one dataset show <em>repeatability</em>, not how energy varies over inputs, so their
interval is called a <strong>repetition interval</strong>; where a model ran on several
datasets, a second interval is taken <strong>across datasets</strong> (one value per dataset,
the mean of its repetitions) and rows of different datasets are never pooled as independent
repetitions. Both are {CONFIDENCE:.0%} intervals of the mean on the log scale (modified Cox
method for a log-normal mean, Olsson 2005: ȳ + s²/2 ± t<sub>n−1</sub>·√(s²/n + s⁴/(2(n−1))),
exponentiated), so a lower bound is never negative; below {MIN_VALUES} values there is no
interval (“too few repetitions”). A negative dynamic energy (the idle baseline drew more than
the window) is flagged ⚠ and gets no interval; it is never clipped to zero. Failed repetitions
are counted and listed; they never enter a mean.</p>
<h3>Ratings</h3>
<p><strong>Stars</strong> (AI Energy Score-compatible): per task, hardware, provenance and
boundary, w = (E<sub>max</sub> − E<sub>min</sub>) / 5 and
stars = 5 − min(⌊(E − E<sub>min</sub>) / w⌋, 4) on Wh per 1,000 queries; 5★ = least energy.
The bin is computed exactly on the decimal values (rational arithmetic), so a value on a bin
edge gets the lower star count as the formula says. Text generation is rated within AI Energy
Score's size classes (A ≤ 20 B parameters, B ≤ 66 B, C above; unknown size apart). If all
values are equal (one model or a tie) every model gets 5★. Stars are relative: one outlier
stretches the range and moves the others.</p>
<p><strong>Absolute class</strong>: table <code>{h(table.version)}</code> ({h(table.source)}),
unit: {h(table.unit)}; boundary: <strong>{h(table.boundary_title)}</strong> — only figures at
that boundary get a class (a GPU-only figure or one part of a mixed-provenance machine gets
none). {h(table.rationale)}</p>
<p>Models with random weights get neither stars nor a class nor a label card: their energy is
the cost of running the architecture, shown as such (“cost only”).</p>
<div class="tablewrap"><table class="sortable">{_thead(th_cols)}<tbody>{"".join(th_rows)}</tbody></table></div>
<h3>Carbon</h3>
{chtml}"""


def _flatten(d: Mapping[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, Mapping):
            out.extend(_flatten(v, key + "."))
        else:
            out.append((key, v))
    return out


def _environments(results: Sequence[JobResult]) -> str:
    runs: dict[str, dict[str, Any]] = {}
    for r in results:
        rid = r.run_id or "(no run id)"
        info = runs.get(rid)
        if info is None:
            runs[rid] = info = {"n": 0, "env": r.environment, "source": r.source,
                                "file": r.source_file, "hw": r.hardware_id,
                                "created": r.created_at, "failed": 0}
        info["n"] += 1
        info["failed"] += r.status == "failed"
        if not info["env"] and r.environment:
            info["env"] = r.environment
    parts = []
    for rid, info in list(runs.items())[:MAX_RUNS]:
        items = _flatten(info["env"])
        env = ("".join(f"<dt>{h(k)}</dt><dd>{h(str(v)[:300])}</dd>" for k, v in items)
               if items else "<dt>environment</dt><dd>— (not recorded)</dd>")
        failed = f", {info['failed']:,} failed" if info["failed"] else ""
        parts.append(
            f"<details><summary>run {h(rid)} · {info['n']:,} results"
            f"{failed} · source {h(info['source'])}"
            f" · hardware {h(info['hw'])} · {h(info['created'])}</summary>"
            f'<dl class="env"><dt>source file</dt><dd>{h(info["file"])}</dd>{env}</dl></details>')
    cap = (f'<p class="note">Showing {MAX_RUNS} of {len(runs):,} runs.</p>'
           if len(runs) > MAX_RUNS else "")
    return cap + "\n".join(parts)
