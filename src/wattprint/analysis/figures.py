"""The study's figures, from stored records (wattprint's runs or imported study logs).

Every function takes the per-repetition table of
:func:`wattprint.analysis.frame.results_frame` and an output folder, writes one SVG, and
returns a :class:`FigureResult` (path, title, and a note saying what was left out). A figure
whose data is missing is skipped with a note (``path is None``); nothing here raises on
missing data. Energies are never mixed across provenances: each figure draws one provenance
and says which.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.ticker as ticker  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from wattprint.analysis.metrics import pareto_front  # noqa: E402

MODALITY: dict[str, str] = {
    "text-classification": "text-to-category",
    "token-classification": "text-to-category",
    "question-answering": "text-to-category",
    "fill-mask": "text-to-text",
    "text-generation": "text-to-text",
    "summarization": "text-to-text",
    "image-classification": "image-to-category",
    "object-detection": "image-to-category",
    "image-to-text": "image-to-text",
    "text-to-image": "text-to-image",
}
"""The study's five modalities, by task id."""

MAX_STRIP_POINTS = 300
"""Points drawn per task in the strip (a deterministic sample); boxes use every point."""


@dataclass(frozen=True)
class FigureResult:
    """One figure: where it was written, or why it was not.

    Attributes:
        name: File stem (``energy_per_task_measured``).
        title: What it shows.
        path: The SVG file, or None when skipped.
        note: What was left out, or why the figure was skipped.
    """

    name: str
    title: str
    path: Path | None
    note: str = ""

    def svg_text(self) -> str | None:
        """The SVG markup without its XML prologue, for inline embedding; None if skipped."""
        if self.path is None:
            return None
        text = self.path.read_text(encoding="utf-8")
        return re.sub(r"^\s*<\?xml[^>]*>\s*(<!DOCTYPE[^>]*>\s*)?", "", text)


def _t(s: object) -> str:
    """Text for matplotlib: ``$`` would start mathtext, so it is escaped."""
    return str(s).replace("$", r"\$")


def _plain_log(ax: plt.Axes, which: str = "y") -> None:
    """Log axis with plain tick labels (mathtext labels cost seconds per figure)."""
    axis = ax.yaxis if which == "y" else ax.xaxis
    (ax.set_yscale if which == "y" else ax.set_xscale)("log")
    axis.set_major_locator(ticker.LogLocator(base=10.0, numticks=12))
    axis.set_major_formatter(ticker.FuncFormatter(lambda v, _: f"{v:g}"))
    axis.set_minor_formatter(ticker.NullFormatter())


def _save(fig: plt.Figure, out_dir: Path, name: str) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{name}.svg"
    with matplotlib.rc_context({"svg.hashsalt": name, "svg.fonttype": "none"}):
        fig.savefig(path, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(fig)
    return path


def _ok(df: pd.DataFrame, col: str = "kwh_per_1k") -> pd.DataFrame:
    return df[(df["status"] == "ok") & df["provenance"].notna() & (df[col] > 0)]


def primary_provenance(df: pd.DataFrame) -> str | None:
    """The provenance with the most usable rows (ties: most trustworthy first)."""
    ok = _ok(df)
    if not len(ok):
        return None
    order = {"measured": 0, "integrated": 1, "estimated": 2}
    counts = ok["provenance"].value_counts()
    return sorted(counts.index, key=lambda p: (-counts[p], order.get(p, 9)))[0]


def _skip(name: str, title: str, why: str) -> FigureResult:
    return FigureResult(name, title, None, why)


def _others_note(df: pd.DataFrame, prov: str, own_figures: bool = False) -> str:
    others = sorted(set(_ok(df)["provenance"]) - {prov})
    if not others:
        return ""
    where = "have their own figures" if own_figures else "are left out of this figure"
    return f" Other provenances ({', '.join(others)}) {where}."


def _task_specific(ok: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Like the study's Figs. 1–2: task-specific models only when both kinds are present
    (multi-purpose ones have their own figure). Returns the rows kept and how many were dropped."""
    multi = ok["purpose"] == "multi-purpose"
    n_multi = int(multi.sum())
    if n_multi and n_multi < len(ok):
        return ok[~multi], n_multi
    return ok, 0


def energy_per_task(df: pd.DataFrame, out_dir: Path, provenance: str) -> FigureResult:
    """Study Fig. 1: kWh per 1,000 inferences per task, log scale, box + strip, ordered by mean."""
    name = f"energy_per_task_{provenance}"
    title = f"Energy per 1,000 inferences by task ({provenance})"
    ok = _ok(df)
    ok = ok[ok["provenance"] == provenance]
    if not len(ok):
        return _skip(name, title, f"no successful {provenance} results")
    ok, n_multi = _task_specific(ok)
    order = ok.groupby("task")["kwh_per_1k"].mean().sort_values()
    groups = [ok.loc[ok["task"] == t, "kwh_per_1k"].to_numpy() for t in order.index]
    fig, ax = plt.subplots(figsize=(max(6.0, 0.8 * len(groups) + 2), 4.5))
    ax.boxplot(groups, showfliers=False, widths=0.6)
    rng = np.random.default_rng(0)
    for i, g in enumerate(groups, start=1):
        pts = g if len(g) <= MAX_STRIP_POINTS else rng.choice(g, MAX_STRIP_POINTS, replace=False)
        ax.scatter(i + rng.uniform(-0.18, 0.18, len(pts)), pts, s=6, alpha=0.4, color="#1f77b4")
    ax.scatter(range(1, len(groups) + 1), order.to_numpy(), marker="D", color="#d62728",
               s=22, zorder=3, label="mean")
    _plain_log(ax, "y")
    ax.set_xticks(range(1, len(groups) + 1), [_t(t) for t in order.index], rotation=35, ha="right")
    ax.set_ylabel("kWh per 1,000 inferences (log)")
    ax.set_title(_t(title))
    ax.legend(loc="upper left", fontsize=8)
    ax.grid(axis="y", which="major", alpha=0.3)
    n_zero = int(((df["status"] == "ok") & (df["provenance"] == provenance)
                  & ~(df["kwh_per_1k"] > 0)).sum())
    note = f"{len(ok)} repetitions, {ok['model'].nunique()} models."
    if n_multi:
        note += (f" {n_multi} repetitions of multi-purpose models left out (as in the study's "
                 "Fig. 1; see the task-specific vs multi-purpose figure).")
    if n_zero:
        note += f" {n_zero} repetitions without a positive energy left out (log scale)."
    return FigureResult(name, title, _save(fig, out_dir, name), note + _others_note(df, provenance, True))


def _per_model(ok: pd.DataFrame, y: str, by: tuple[str, ...] = ("task", "model")) -> pd.DataFrame:
    return (ok.groupby(list(by), observed=True)
            .agg(y=(y, "mean"), num_params=("num_params", "max"), purpose=("purpose", "first"),
                 quality=("quality", "mean"), quality_metric=("quality_metric", "first"),
                 output_tokens=("output_tokens_per_inference", "mean"))
            .reset_index())


def emissions_vs_parameters(df: pd.DataFrame, out_dir: Path, provenance: str) -> FigureResult:
    """Study Fig. 2: per model, emissions (or energy) per 1,000 inferences vs parameters, log-log."""
    name = "emissions_vs_parameters"
    ok = _ok(df)
    ok = ok[ok["provenance"] == provenance]
    use_carbon = bool(ok["g_per_1k"].notna().any())
    if use_carbon:
        ok = ok[ok["g_per_1k"].notna()]
    y, ylabel = ("g_per_1k", "g CO2eq per 1,000 inferences (log)") if use_carbon else \
        ("kwh_per_1k", "kWh per 1,000 inferences (log)")
    title = (f"{'Emissions' if use_carbon else 'Energy'} vs model size by modality ({provenance})")
    if not len(ok):
        return _skip(name, title, f"no successful {provenance} results")
    ok, n_multi = _task_specific(ok)
    pm = _per_model(ok, y)
    has = pm["num_params"].notna() & (pm["num_params"] > 0) & (pm["y"] > 0)
    left_out = int((~has).sum())
    pm = pm[has]
    if not len(pm):
        return _skip(name, title, f"no model has a known parameter count ({left_out} models left "
                                  "out); pass --model-parameters CSV or record ModelInfo.parameters")
    fig, ax = plt.subplots(figsize=(7, 4.5))
    pm = pm.assign(modality=pm["task"].map(MODALITY).fillna("other"))
    for mod, g in pm.groupby("modality"):
        ax.scatter(g["num_params"], g["y"], label=_t(mod), s=24, alpha=0.8)
    _plain_log(ax, "x")
    _plain_log(ax, "y")
    ax.set_xlabel("parameters (log)")
    ax.set_ylabel(ylabel)
    ax.set_title(_t(title))
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    note = f"{len(pm)} models (task, model) drawn."
    if use_carbon:
        note += (f" Emissions of the {provenance} energy only, at the intensity stored with each "
                 "result (the study plots whole-node emissions, GPU + CPU + RAM).")
    if left_out:
        note += f" {left_out} left out: no known parameter count."
    if n_multi:
        note += f" Multi-purpose models left out ({n_multi} repetitions), as in the study's Fig. 2."
    return FigureResult(name, title, _save(fig, out_dir, name), note + _others_note(df, provenance))


def purpose_per_dataset(df: pd.DataFrame, out_dir: Path, provenance: str) -> FigureResult:
    """Study Fig. 3: task-specific vs multi-purpose models per dataset (log energy)."""
    name = "task_specific_vs_multi_purpose"
    title = f"Task-specific vs multi-purpose models per dataset ({provenance})"
    ok = _ok(df)
    ok = ok[ok["provenance"] == provenance]
    pm = _per_model(ok, "kwh_per_1k", ("task", "dataset", "model"))
    both = pm.groupby("dataset")["purpose"].nunique()
    datasets = sorted(both[both > 1].index)
    if not datasets:
        return _skip(name, title, "no dataset has both task-specific and multi-purpose models")
    pm = pm[pm["dataset"].isin(datasets)]
    fig, ax = plt.subplots(figsize=(max(6.0, 0.9 * len(datasets) + 2), 4.5))
    xpos = {d: i for i, d in enumerate(datasets)}
    colors = {"task-specific": "#636EFA", "multi-purpose": "#EF553B"}
    params = pm["num_params"]
    sizes = (12 + 60 * (np.log10(params) - 7).clip(0, 5) / 5).fillna(20)
    rng = np.random.default_rng(0)
    for purpose, g in pm.groupby("purpose"):
        x = g["dataset"].map(xpos) + rng.uniform(-0.2, 0.2, len(g))
        ax.scatter(x, g["y"], s=sizes[g.index], alpha=0.7, label=_t(purpose),
                   color=colors.get(str(purpose), "#888888"))
    _plain_log(ax, "y")
    ax.set_xticks(range(len(datasets)), [_t(d) for d in datasets], rotation=35, ha="right")
    ax.set_ylabel("kWh per 1,000 inferences (log)")
    ax.set_title(_t(title))
    ax.legend(fontsize=8)
    ax.grid(axis="y", alpha=0.3)
    note = f"{len(pm)} (dataset, model) points; dot size grows with parameters where known."
    return FigureResult(name, title, _save(fig, out_dir, name), note)


def output_tokens_vs_energy(df: pd.DataFrame, out_dir: Path, provenance: str) -> FigureResult:
    """Study Fig. 6: mean output tokens per inference vs energy per 1,000 inferences."""
    name = "output_tokens_vs_energy"
    title = f"Output length vs energy ({provenance})"
    ok = _ok(df)
    ok = ok[(ok["provenance"] == provenance) & ok["output_tokens_per_inference"].notna()]
    if not len(ok):
        return _skip(name, title, "no result records its output tokens")
    pm = _per_model(ok, "kwh_per_1k", ("task", "dataset", "model"))
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for task, g in pm.groupby("task"):
        ax.scatter(g["output_tokens"], g["y"], label=_t(task), s=24, alpha=0.8)
    _plain_log(ax, "y")
    ax.set_xlabel("mean output tokens per inference")
    ax.set_ylabel("kWh per 1,000 inferences (log)")
    ax.set_title(_t(title))
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return FigureResult(name, title, _save(fig, out_dir, name),
                        f"{len(pm)} (task, dataset, model) points.")


MAX_QUALITY_PANELS = 6


def quality_vs_energy(df: pd.DataFrame, out_dir: Path, provenance: str) -> FigureResult:
    """Study Figs. 4, 7, 8 turned around: quality vs energy per task with the Pareto front."""
    name = "quality_vs_energy"
    title = f"Quality vs energy, Pareto front per task ({provenance})"
    ok = _ok(df)
    ok = ok[(ok["provenance"] == provenance) & ok["quality"].notna()]
    if not len(ok):
        return _skip(name, title, "no result has a quality score (labels absent or random weights)")
    pm = _per_model(ok, "kwh_per_1k")
    tasks = sorted(pm["task"].unique())
    shown = tasks[:MAX_QUALITY_PANELS]
    fig, axes = plt.subplots(1, len(shown), figsize=(4.2 * len(shown), 4), squeeze=False)
    for ax, task in zip(axes[0], shown):
        g = pm[pm["task"] == task].reset_index(drop=True)
        ax.scatter(g["y"], g["quality"], s=22, alpha=0.8)
        front = pareto_front(g["y"].to_list(), g["quality"].to_list())
        f = g.loc[front]
        ax.step(f["y"], f["quality"], where="post", color="#d62728", label="Pareto front")
        _plain_log(ax, "x")
        ax.set_xlabel("kWh per 1,000 inferences (log)")
        ax.set_ylabel(_t(g["quality_metric"].iloc[0] or "quality"))
        ax.set_title(_t(task), fontsize=10)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.suptitle(_t(title))
    note = f"{len(pm)} (task, model) points."
    if len(tasks) > len(shown):
        note += f" {len(tasks) - len(shown)} more tasks not drawn."
    return FigureResult(name, title, _save(fig, out_dir, name), note)


FigureFn = Callable[[pd.DataFrame, Path, str], FigureResult]

STUDY_FIGURES: tuple[FigureFn, ...] = (
    emissions_vs_parameters, purpose_per_dataset, output_tokens_vs_energy, quality_vs_energy,
)


FIGURE_COLUMNS: tuple[str, ...] = (
    "status", "provenance", "kwh_per_1k", "task", "model", "dataset", "purpose", "num_params",
    "g_per_1k", "quality", "quality_metric", "output_tokens_per_inference",
)


def all_figures(df: pd.DataFrame, out_dir: Path) -> list[FigureResult]:
    """Every figure the data allows; the rest as skipped notes. Never raises on missing data.

    Args:
        df: Per-repetition table from :func:`~wattprint.analysis.frame.results_frame`.
        out_dir: Folder for the SVG files (created).

    Returns:
        Figure results, written or skipped, in report order.
    """
    # Only the columns figures read: filtering a narrow table is several times cheaper.
    df = df[[c for c in FIGURE_COLUMNS if c in df.columns]]
    prov = primary_provenance(df)
    if prov is None:
        return [_skip("energy_per_task", "Energy per 1,000 inferences by task",
                      "no successful result with energy yet")]
    provs = [prov] + sorted(set(_ok(df)["provenance"]) - {prov})
    out = [_guard(energy_per_task, df, out_dir, p) for p in provs]
    out += [_guard(fn, df, out_dir, prov) for fn in STUDY_FIGURES]
    return out


def _guard(fn: FigureFn, df: pd.DataFrame, out_dir: Path, prov: str) -> FigureResult:
    """Run one figure; an unexpected plotting error becomes a skipped figure with its reason."""
    try:
        return fn(df, out_dir, prov)
    except Exception as err:  # a figure must never take the report down
        plt.close("all")
        name = getattr(fn, "__name__", "figure")
        return _skip(name, name.replace("_", " "),
                     f"could not be drawn: {type(err).__name__}: {err}")

