"""The study's finding, measured here: task-specific model against a multi-purpose one.

"Power Hungry Processing" (Luccioni, Jernite & Strubell, FAccT 2024) found that a
multi-purpose generative model doing a task zero-shot costs far more energy than a model made
for the task, for no better accuracy. Wherever stored results hold both kinds of model with
trained weights on the same labelled inputs (same task, dataset, hardware and provenance),
:func:`findings` pairs them and gives, for each: energy per 1,000 inferences, accuracy and
energy per correct answer, each with its 95 % interval, and the ratios between them, next to
the study's published ratio for the same comparison (:data:`PUBLISHED`).

The report opens with these findings and ``wattprint run`` / ``wattprint report`` print them.
Random-weight models never enter a finding (their accuracy means nothing).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from wattprint.analysis.correct import PerCorrect, per_correct, ratio_interval
from wattprint.analysis.frame import CORRECTNESS_METRICS, add_derived
from wattprint.analysis.metrics import DETAIL_KEYS, aggregate
from wattprint.analysis.ratings import RANDOM_WEIGHTS

PROVENANCE_ORDER: tuple[str, ...] = ("measured", "integrated", "estimated", "attributed")
"""Which provenance a finding uses when both models have several: the first both have."""


@dataclass(frozen=True)
class PublishedComparison:
    """The study's published figures for text classification, zero-shot against task-specific.

    Attributes:
        specific_kwh_per_1k: Mean query-phase energy of the 8 task-specific sentiment models
            (Table 2, 240 runs; REPRO 0.00229 kWh per 1,000).
        specific_accuracy: Their mean accuracy over SST-2, IMDB and Rotten Tomatoes (Table 7).
        general_model: The multi-purpose model compared (the study's smallest decoder-only
            one, the kind SmolLM2 is).
        general_kwh_per_1k: Its mean sentiment energy (Fig. 5 data, 3 datasets × 10 runs).
        general_accuracy: Its mean sentiment accuracy (Table 7).
        source: Where the numbers are from.
    """

    specific_kwh_per_1k: float = 0.00229
    specific_accuracy: float = 0.8223
    general_model: str = "bigscience/bloomz-560m"
    general_kwh_per_1k: float = 0.0108
    general_accuracy: float = 0.904
    source: str = ("Luccioni, Jernite & Strubell, FAccT 2024: Table 2 (task-specific text "
                   "classification, mean of 240 runs), Fig. 5 data (BLOOMz-560M, sentiment, "
                   "3 datasets x 10 runs) and Table 7 (accuracies); recomputed from the "
                   "authors' released logs (sashavor/co2_inference); A100 node, whole-node "
                   "energy, 1,000 inferences per run")

    @property
    def energy_ratio(self) -> float:
        """Multi-purpose over task-specific energy per inference (4.7×)."""
        return self.general_kwh_per_1k / self.specific_kwh_per_1k

    @property
    def per_correct_ratio(self) -> float:
        """Multi-purpose over task-specific energy per correct answer (4.3×)."""
        return (self.general_kwh_per_1k / self.general_accuracy) / (
            self.specific_kwh_per_1k / self.specific_accuracy)


PUBLISHED = PublishedComparison()

SHARED_NOTE = ("some of these results ran on a shared host (others used more than the limit of "
               "its CPU time during a measured window): their energy may include others' load; "
               "the leaderboard leaves them out (--include-shared keeps them)")
"""Said under a finding any of whose results ran on a shared host and that could not lead with
each process's own share (a repetition had no process-scope figure)."""

PROCESS_NOTE = ("some of these results ran on a shared host (others used more than the limit of "
                "its CPU time during a measured window), so the figures above are each measured "
                "process's own share (scope process, idle apart) for both models, never others' "
                "load; the leaderboard leaves them out (--include-shared keeps them)")
"""Said under a finding that leads with each process's own share (``basis == "process"``)."""

LEAD_JOB, LEAD_PROCESS = "job", "process"
"""What a finding's figures are: the job's boundary, or each measured process's own share."""


@dataclass(frozen=True)
class ModelFigures:
    """One model's figures in a finding.

    Attributes:
        model: The model as shown.
        purpose: ``task-specific`` or ``multi-purpose``.
        weights: ``pretrained`` or ``fine-tuned here``.
        n: Inputs per repetition (the items scored).
        reps: Successful repetitions.
        wh_per_1k: Wh per 1,000 inferences (mean over repetitions).
        wh_low, wh_high: Its 95 % repetition interval (None below 3 repetitions).
        j_per_inference: J per inference (mean).
        output_tokens: Generated tokens per inference (None for a classifier).
        parameters: Parameter count, when known.
        correct: Accuracy and energy per correct answer (J) with their intervals.
    """

    model: str
    purpose: str
    weights: str
    n: int
    reps: int
    wh_per_1k: float
    wh_low: float | None
    wh_high: float | None
    j_per_inference: float
    output_tokens: float | None
    parameters: float | None
    correct: PerCorrect


@dataclass(frozen=True)
class Finding:
    """Task-specific against multi-purpose on the same inputs, measured here.

    Attributes:
        task, dataset, hardware_id, provenance: What the two share.
        specific: The task-specific model.
        general: The multi-purpose model (zero-shot).
        energy_ratio: ``(mean, low, high)`` multi-purpose over task-specific Wh per 1,000.
        per_correct_ratio: The same for energy per correct answer (mean None when either
            has no finite figure).
        published: The study's figures for the same comparison.
        shared_host: Some of the results ran on a shared host (others used more than the limit
            of its CPU time during a measured window): the leaderboard leaves them out unless
            asked (``--include-shared``).
        basis: ``job`` (each result's boundary) or ``process``: on a shared host, when every
            repetition of both models has a process-scope figure of this provenance, both
            lead with the measured process's own share (idle apart), so that neither model is
            billed for others' load and the two compare like with like.
        job_energy_ratio: With ``basis == "process"``, the ratio of the job's boundaries (the
            host or the job's share of it, others' load included), shown beside.
    """

    task: str
    dataset: str
    hardware_id: str
    provenance: str
    specific: ModelFigures
    general: ModelFigures
    energy_ratio: tuple[float, float | None, float | None]
    per_correct_ratio: tuple[float | None, float | None, float | None]
    published: PublishedComparison = PUBLISHED
    shared_host: bool = False
    basis: str = LEAD_JOB
    job_energy_ratio: tuple[float, float | None, float | None] | None = None

    @property
    def energy_label(self) -> str:
        """What energy the figures are (``estimated energy``, or ``estimated energy, each
        process's own share``)."""
        return f"{self.provenance} energy" + (", each process's own share"
                                              if self.basis == LEAD_PROCESS else "")

    @property
    def note(self) -> str:
        """What to say under the finding about a shared host ("" when none was flagged)."""
        if not self.shared_host:
            return ""
        return PROCESS_NOTE if self.basis == LEAD_PROCESS else SHARED_NOTE

    def lines(self) -> list[str]:
        """The finding as plain text lines (the terminal's and the report's headline)."""
        er, pr = self.energy_ratio, self.per_correct_ratio
        out = [f"Finding ({self.task}, {self.dataset}, {self.energy_label}, "
               f"n={self.specific.n} texts): the multi-purpose model used "
               f"{_ratio(er)} the energy per inference of the task-specific one"
               + (f", and {_ratio(pr)} the energy per correct answer." if pr[0] is not None
                  else f"; per correct answer: {self.general.correct.note or self.specific.correct.note}."),
               f"  study (published, {self.published.general_model} vs task-specific "
               f"sentiment models): {self.published.energy_ratio:.1f}x per inference, "
               f"{self.published.per_correct_ratio:.1f}x per correct answer."]
        for m in (self.specific, self.general):
            out.append(f"  {m.purpose:13s} {m.model} ({m.weights}): {_wh(m)} Wh/1k inferences, "
                       f"accuracy {_acc(m.correct)}, {_per_correct(m.correct)} J per correct answer")
        if self.job_energy_ratio is not None:
            out.append(f"  the jobs' boundaries (the host, others' load included): "
                       f"{_ratio(self.job_energy_ratio)} per inference")
        if self.note:
            out.append(f"  {self.note}")
        return out


def _ratio(r: tuple[float | None, float | None, float | None]) -> str:
    m, low, high = r
    if m is None:
        return "—"
    if low is None or high is None:
        return f"{m:.3g}x"
    hi = "∞" if math.isinf(high) else f"{high:.2g}"
    return f"{m:.3g}x (95 % interval {low:.2g}–{hi})"


def _wh(m: ModelFigures) -> str:
    if m.wh_low is None or m.wh_high is None:
        return f"{m.wh_per_1k:.3g} (n={m.reps} reps, no interval)"
    return f"{m.wh_per_1k:.3g} ({m.wh_low:.3g}–{m.wh_high:.3g})"


def _acc(c: PerCorrect) -> str:
    if c.accuracy is None:
        return "—"
    if c.accuracy_low is None or c.accuracy_high is None:
        return f"{c.accuracy:.3f}"
    return f"{c.accuracy:.3f} ({c.accuracy_low:.3f}–{c.accuracy_high:.3f})"


def _per_correct(c: PerCorrect) -> str:
    if c.mean is None:
        return f"— ({c.note})"
    if math.isinf(c.mean):
        return f"no finite figure ({c.note})"
    if c.low is None or c.high is None:
        return f"{c.mean:.3g}"
    hi = "∞" if math.isinf(c.high) else f"{c.high:.3g}"
    return f"{c.mean:.3g} ({c.low:.3g}–{hi})"


def _opt(x: object) -> float | None:
    try:
        v = float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def _figures(row: pd.Series, n: int) -> ModelFigures:
    j = float(row["j_per_inference_mean"])
    wh = float(row["wh_per_1k_mean"])
    scale = j / wh if wh else math.nan   # J per inference per Wh per 1k: the same factor
    low, high = _opt(row.get("wh_per_1k_rep_low")), _opt(row.get("wh_per_1k_rep_high"))
    correct = per_correct(j, None if low is None else low * scale,
                          None if high is None else high * scale, _opt(row.get("quality_mean")),
                          n, weights=str(row.get("weights")), metric=row.get("quality_metric"))
    return ModelFigures(model=str(row["model"]), purpose=str(row["purpose"]),
                        weights=str(row["weights"]), n=n, reps=int(row["n_reps"]),
                        wh_per_1k=wh, wh_low=low, wh_high=high, j_per_inference=j,
                        output_tokens=_opt(row.get("output_tokens_per_inference_mean")),
                        parameters=_opt(row.get("num_params")), correct=correct)


def findings(df: pd.DataFrame) -> list[Finding]:
    """Every task-specific × multi-purpose pair measured on the same inputs.

    Args:
        df: The table of :func:`wattprint.analysis.frame.results_frame`.

    Returns:
        One :class:`Finding` per pair, each at the first provenance (in
        :data:`PROVENANCE_ORDER`) both models have; empty when no pair exists.
    """
    ok = df[(df["status"] == "ok") & df["provenance"].notna() & (df["weights"] != RANDOM_WEIGHTS)
            & df["quality_metric"].isin(list(CORRECTNESS_METRICS))]
    if not len(ok):
        return []
    detail = aggregate(ok, DETAIL_KEYS)
    detail = detail[detail["n_reps"] > 0]
    n_of = ok.groupby(["task", "model", "dataset", "hardware_id"], observed=True)["n"].max()
    out: list[Finding] = []
    for (task, dataset, hw), group in detail.groupby(["task", "dataset", "hardware_id"],
                                                     observed=True, sort=True):
        specific = group[group["purpose"] == "task-specific"]
        general = group[group["purpose"] == "multi-purpose"]
        for s_model in specific["model"].unique():
            for g_model in general["model"].unique():
                s_rows = specific[specific["model"] == s_model]
                g_rows = general[general["model"] == g_model]
                prov = next((p for p in PROVENANCE_ORDER if p in set(s_rows["provenance"])
                             and p in set(g_rows["provenance"])), None)
                if prov is None:
                    continue
                s = _figures(s_rows[s_rows["provenance"] == prov].iloc[0],
                             int(n_of[(task, s_model, dataset, hw)]))
                g = _figures(g_rows[g_rows["provenance"] == prov].iloc[0],
                             int(n_of[(task, g_model, dataset, hw)]))
                pair = ok[(ok["task"] == task) & (ok["dataset"] == dataset)
                          & (ok["hardware_id"] == hw) & ok["model"].isin([s_model, g_model])]
                shared = "shared" in pair and bool(pair["shared"].astype(bool).any())
                own = _own_shares(pair[pair["provenance"] == prov]) if shared else None
                basis, beside = LEAD_JOB, None
                if own is not None:   # lead with the processes' own shares, boundaries beside
                    basis, beside = LEAD_PROCESS, _energy_ratio(g, s)
                    s = _figures(own[own["model"] == s_model].iloc[0], s.n)
                    g = _figures(own[own["model"] == g_model].iloc[0], g.n)
                out.append(Finding(str(task), str(dataset), str(hw), prov, s, g,
                                   _energy_ratio(g, s), _correct_ratio(g.correct, s.correct),
                                   shared_host=shared, basis=basis, job_energy_ratio=beside))
    return out


def _energy_ratio(g: ModelFigures, s: ModelFigures) -> tuple[float, float | None, float | None]:
    return ratio_interval((g.wh_per_1k, g.wh_low, g.wh_high), (s.wh_per_1k, s.wh_low, s.wh_high))


def _own_shares(rows: pd.DataFrame) -> pd.DataFrame | None:
    """The pair's repetitions of one provenance aggregated on each process's own share
    (``process_share_j``), or None when a repetition has none (then no like-with-like lead)."""
    if "process_share_j" not in rows or not len(rows):
        return None
    share = pd.to_numeric(rows["process_share_j"], errors="coerce")
    if not bool(np.isfinite(share).all()):
        return None
    lead = rows.copy()
    lead["energy_j"] = share
    lead["dynamic_energy_j"] = np.nan   # a process share has no idle part to subtract
    lead["uncertainty_j"] = np.nan
    return aggregate(add_derived(lead), DETAIL_KEYS)


def _correct_ratio(g: PerCorrect, s: PerCorrect) -> tuple[float | None, float | None, float | None]:
    if not (g.defined and s.defined):
        return None, None, None
    assert g.mean is not None and s.mean is not None
    return ratio_interval((g.mean, g.low, g.high), (s.mean, s.low, s.high))


def finding_lines(results_df: pd.DataFrame) -> Sequence[str]:
    """All findings' lines, a blank line between findings (empty when there is none)."""
    lines: list[str] = []
    for f in findings(results_df):
        if lines:
            lines.append("")
        lines.extend(f.lines())
    return lines
