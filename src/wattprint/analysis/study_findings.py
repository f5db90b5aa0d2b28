"""What the study's logs show that the paper does not say: typed findings, each computed from
the data, each with its own :meth:`~Finding.summary`.

Input: the labelled frame and records of :func:`wattprint.results.study.load_study`. Every
finding is a frozen dataclass whose fields are its numbers (units in the names); ``to_dict()``
gives the JSON shape ``{"id", "title", "value", "evidence"}`` that ``wattprint study
reproduce --json`` prints, and ``summary()`` the one line the human output prints.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from wattprint.results.schema import JobResult
from wattprint.results.study import TTI_NOT_IN_PAPER, VISION_TASKS, table2_runs
from wattprint.units import J_PER_KWH

PAPER_INTENSITY_G_PER_KWH = 297.6
"""The intensity the paper's text states for us-west-2 (§3.2), for the finding that the
numbers were computed with another one."""


def _r(x: Any) -> float | None:
    """A float, or None for a missing value (NaN)."""
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)


def _fmt(x: Any, spec: str) -> str:
    return "—" if x is None else format(x, spec)


@dataclass(frozen=True)
class Finding:
    """Base of every finding: an id, a title, the evidence it reads, its numbers."""

    id: ClassVar[str] = ""
    evidence: ClassVar[str] = ""

    @property
    def title(self) -> str:
        """One sentence stating the finding."""
        raise NotImplementedError

    def value(self) -> Any:
        """The finding's numbers as JSON-ready data (its fields, in order)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def summary(self) -> str:
        """The numbers behind the title, in one line."""
        raise NotImplementedError

    def to_dict(self) -> dict[str, Any]:
        """``{"id", "title", "value", "evidence"}``, as printed by ``study reproduce --json``."""
        return {"id": self.id, "title": self.title, "value": self.value(),
                "evidence": self.evidence}


@dataclass(frozen=True)
class IntensityFinding(Finding):
    """The carbon intensity behind every gram (emissions ÷ energy of each query row)."""

    id: ClassVar[str] = "intensity"
    evidence: ClassVar[str] = "emissions / energy_consumed of every query row"
    implied_g_per_kwh: float
    runs_at_that_value: int
    runs: int
    paper_text_g_per_kwh: float
    factor_if_297_6_were_used: float
    runs_per_region: dict[str, int]

    @classmethod
    def from_frame(cls, q: pd.DataFrame) -> IntensityFinding:
        """Compute from the study frame."""
        ratio = q["intensity"].round(3)
        top, top_n = Counter(ratio.dropna()).most_common(1)[0]
        regions = q.groupby(["country", "region"]).size().to_dict()
        return cls(top, int(top_n), int(ratio.notna().sum()), PAPER_INTENSITY_G_PER_KWH,
                   PAPER_INTENSITY_G_PER_KWH / top,
                   {f"{c}/{r}": int(n) for (c, r), n in regions.items()})

    @property
    def title(self) -> str:
        """The finding in one sentence."""
        return (f"Every gram uses {self.implied_g_per_kwh:.2f} g CO2eq/kWh, not the "
                f"{PAPER_INTENSITY_G_PER_KWH} the paper's text states")

    def summary(self) -> str:
        """The numbers behind the title, in one line."""
        return (f"{self.runs_at_that_value} of {self.runs} query rows have emissions/energy = "
                f"{self.implied_g_per_kwh:.2f} g/kWh; at {self.paper_text_g_per_kwh} every gram "
                f"would be ×{self.factor_if_297_6_were_used:.2f}. Regions: {self.runs_per_region}")


@dataclass(frozen=True)
class WholeNodeFinding(Finding):
    """The energy covers the whole 8-GPU node, and how it splits by component."""

    id: ClassVar[str] = "whole-node"
    evidence: ClassVar[str] = ("gpu_count, gpu_model, gpu_power and the energy columns of the "
                               "query rows")
    gpu_count_values: list[int]
    gpu_models: list[str]
    text_classification_mean_gpu_power_w: float | None
    per_gpu_w: float
    gpu_share_of_energy: float | None
    ram_share_of_energy: float | None
    cpu_share_of_energy: float | None

    @classmethod
    def from_frame(cls, q: pd.DataFrame) -> WholeNodeFinding:
        """Compute from the study frame."""
        counts = sorted({int(x) for x in q["gpu_count"].dropna()})
        tc = table2_runs(q)
        tc = tc[tc["task"] == "text-classification"]
        per_gpu = (float(tc["gpu_power_w"].mean() / tc["gpu_count"].mean()) if len(tc)
                   else math.nan)
        total = q["kwh"].sum()
        return cls(counts, sorted(set(q["gpu_model"].dropna())), _r(tc["gpu_power_w"].mean()),
                   per_gpu, _r(q["gpu_kwh"].sum() / total), _r(q["ram_kwh"].sum() / total),
                   _r(q["cpu_kwh"].sum() / total))

    @property
    def title(self) -> str:
        """The finding in one sentence."""
        return "The energy is the whole 8-GPU node: one GPU works, seven idle GPUs are counted"

    def summary(self) -> str:
        """The numbers behind the title, in one line."""
        return (f"gpu_count = {self.gpu_count_values} ({', '.join(self.gpu_models)}); text "
                f"classification averages {self.text_classification_mean_gpu_power_w:.0f} W "
                f"over the GPUs = {self.per_gpu_w:.0f} W per GPU. Energy split GPU "
                f"{self.gpu_share_of_energy:.0%} · RAM {self.ram_share_of_energy:.0%} · CPU "
                f"{self.cpu_share_of_energy:.0%}")


@dataclass(frozen=True)
class ConstantCpuFinding(Finding):
    """CodeCarbon's CPU power in the logs is a constant estimate."""

    id: ClassVar[str] = "constant-cpu"
    evidence: ClassVar[str] = ("cpu_power of every query row; 42.5 W = 50 % of CodeCarbon's "
                               "default 85 W TDP")
    distinct_cpu_power_w: list[float]
    n_distinct: int
    codecarbon_fallback_w: float

    @classmethod
    def from_frame(cls, q: pd.DataFrame) -> ConstantCpuFinding:
        """Compute from the study frame."""
        vals = sorted(set(q["cpu_power_w"].dropna()))
        return cls(vals[:5], len(vals), 0.5 * 85.0)

    @property
    def title(self) -> str:
        """The finding in one sentence."""
        return "CPU power is a constant estimate, not a measurement"

    def summary(self) -> str:
        """The numbers behind the title, in one line."""
        return (f"{self.n_distinct} distinct cpu_power value(s): {self.distinct_cpu_power_w} W "
                f"(CodeCarbon fallback: {self.codecarbon_fallback_w} W)")


@dataclass(frozen=True)
class ConstantRamFinding(Finding):
    """CodeCarbon's RAM power in the logs is 3 W per 8 GB installed."""

    id: ClassVar[str] = "constant-ram"
    evidence: ClassVar[str] = "ram_power and ram_total_size of every query row"
    distinct_ram_power_w: list[float]
    n_distinct: int
    ram_total_size_gb: list[float]
    three_w_per_8gb_w: list[float]

    @classmethod
    def from_frame(cls, q: pd.DataFrame) -> ConstantRamFinding:
        """Compute from the study frame."""
        vals = sorted(set(q["ram_power_w"].dropna()))
        tot = sorted(set(q["ram_total_gb"].dropna()))
        return cls(vals[:5], len(vals), tot[:5], [3.0 * x / 8.0 for x in tot[:5]])

    @property
    def title(self) -> str:
        """The finding in one sentence."""
        return "RAM power is a constant estimate: 3 W per 8 GB of installed RAM"

    def summary(self) -> str:
        """The numbers behind the title, in one line."""
        return (f"{self.n_distinct} distinct ram_power value(s): {self.distinct_ram_power_w} W; "
                f"3 W/8 GB × {self.ram_total_size_gb} GB = {self.three_w_per_8gb_w} W")


@dataclass(frozen=True)
class EnergyIsTimeFinding(Finding):
    """Energy tracks wall-clock time (mean power in kW)."""

    id: ClassVar[str] = "energy-is-time"
    evidence: ClassVar[str] = "duration and energy_consumed of every query row"
    corr_duration_energy: float
    mean_power_kw_min: float | None
    mean_power_kw_median: float | None
    mean_power_kw_max: float | None

    @classmethod
    def from_frame(cls, q: pd.DataFrame) -> EnergyIsTimeFinding:
        """Compute from the study frame."""
        qq = q.dropna(subset=["duration_s", "kwh"])
        corr = (float(np.corrcoef(qq["duration_s"], qq["kwh"])[0, 1]) if len(qq) > 2
                else math.nan)
        kw = qq["kwh"] * 3600.0 / qq["duration_s"]
        return cls(corr, _r(kw.min()), _r(kw.median()), _r(kw.max()))

    @property
    def title(self) -> str:
        """The finding in one sentence."""
        return "Energy is almost exactly proportional to wall-clock time"

    def summary(self) -> str:
        """The numbers behind the title, in one line."""
        return (f"corr(duration, energy) = {self.corr_duration_energy:.4f}; mean power "
                f"{self.mean_power_kw_min:.2f}–{self.mean_power_kw_max:.2f} kW "
                f"(median {self.mean_power_kw_median:.2f})")


@dataclass(frozen=True)
class QueryPhaseOnlyFinding(Finding):
    """The per-1,000 figures are the query phase only."""

    id: ClassVar[str] = "query-phase-only"
    evidence: ClassVar[str] = "'query model' rows vs the per-run rows of data/emissions/complete"
    text_classification_query_mean_kwh: float | None
    text_classification_per_run_total_mean_kwh: float | None
    text_classification_load_mean_kwh: float | None

    @classmethod
    def from_frame(cls, q: pd.DataFrame) -> QueryPhaseOnlyFinding:
        """Compute from the study frame."""
        ts = q[(q["kind"] == "task-specific") & (q["task"] == "text-classification")]
        return cls(_r(ts["kwh"].mean()), _r(ts["complete_total_kwh"].mean()),
                   _r(ts["load_kwh"].mean()))

    @property
    def title(self) -> str:
        """The finding in one sentence."""
        return ("The paper's per-1,000 figures are the query phase only (model loading "
                "excluded)")

    def summary(self) -> str:
        """The numbers behind the title, in one line."""
        return (f"text classification: query {self.text_classification_query_mean_kwh:.4f} kWh "
                f"vs per-run total {self.text_classification_per_run_total_mean_kwh:.4f} "
                f"(load {self.text_classification_load_mean_kwh:.4f})")


@dataclass(frozen=True)
class VisionRuns:
    """One vision task's resized (640×480) and native runs, kWh per 1,000 queries."""

    resized_640x480_mean_kwh: float | None
    native_mean_kwh: float | None
    resized_runs: int
    native_runs: int


@dataclass(frozen=True)
class VisionResizedFinding(Finding):
    """Vision inputs were resized to 640×480; Table 2 matches only those runs."""

    id: ClassVar[str] = "vision-resized"
    evidence: ClassVar[str] = "*_resized vs native files in data/emissions/complete"
    by_task: dict[str, VisionRuns]

    @classmethod
    def from_frame(cls, q: pd.DataFrame) -> VisionResizedFinding:
        """Compute from the study frame."""
        vis = {}
        f = q[(q["kind"] == "task-specific") & q["task"].isin(VISION_TASKS)]
        for task, g in f.groupby("task"):
            resized = g[g["variant"].str.contains("resized", na=False)]["kwh"]
            native = g[~g["variant"].str.contains("resized", na=False)]["kwh"]
            vis[str(task)] = VisionRuns(_r(resized.mean()),
                                        _r(native.mean()) if len(native) else None,
                                        int(len(resized)), int(len(native)))
        return cls(vis)

    def value(self) -> dict[str, dict[str, Any]]:
        """Task → its runs (the JSON shape: no ``by_task`` level)."""
        return {t: asdict(v) for t, v in self.by_task.items()}

    @property
    def title(self) -> str:
        """The finding in one sentence."""
        return "Vision inputs were resized to 640×480; Table 2 matches only those runs"

    def summary(self) -> str:
        """The numbers behind the title, in one line."""
        return "; ".join(f"{t}: 640×480 {x.resized_640x480_mean_kwh:.4f} vs native "
                         f"{_fmt(x.native_mean_kwh, '.4f')} kWh" for t, x in self.by_task.items())


@dataclass(frozen=True)
class RenamedRuns:
    """Runs whose base-log project name differs from the model of their complete file."""

    base_log_project: str
    complete_file_model: str
    runs: int


@dataclass(frozen=True)
class ModelListsFinding(Finding):
    """The logs' model lists differ from the paper's."""

    id: ClassVar[str] = "model-lists"
    evidence: ClassVar[str] = "project_name in base logs vs data/emissions/complete"
    text_to_image_models_in_logs: int
    text_to_image_mean_all_models_kwh: float | None
    text_to_image_mean_paper_models_kwh: float | None
    renamed_runs: tuple[RenamedRuns, ...]
    runs_not_in_complete_files: int
    models_only_in_unlisted_runs: list[str]

    @classmethod
    def from_frame(cls, q: pd.DataFrame) -> ModelListsFinding:
        """Compute from the study frame."""
        tti = q[(q["kind"] == "task-specific") & (q["task"] == "text-to-image")]
        mism = q[q["kind"].notna() & (q["model"] != q["base_project"])]
        pairs = Counter(zip(mism["base_project"], mism["model"]))
        unlisted = q[q["kind"].isna()]
        return cls(
            int(tti["model"].nunique()), _r(tti["kwh"].mean()),
            _r(tti[~tti["model"].isin(TTI_NOT_IN_PAPER)]["kwh"].mean()),
            tuple(RenamedRuns(a, b, int(n)) for (a, b), n in sorted(pairs.items())),
            int(len(unlisted)),
            sorted(set(unlisted["base_project"].dropna())
                   - set(q.loc[q["kind"].notna(), "model"]))[:40])

    def value(self) -> dict[str, Any]:
        """The fields, with nested records as dicts (the JSON shape)."""
        v = super().value()
        v["renamed_runs"] = [asdict(r) for r in self.renamed_runs]
        return v

    @property
    def title(self) -> str:
        """The finding in one sentence."""
        return "The logs' model lists differ from the paper's"

    def summary(self) -> str:
        """The numbers behind the title, in one line."""
        ren = ", ".join(f"{r.runs} runs logged as {r.base_log_project} are labelled "
                        f"{r.complete_file_model} in the complete files"
                        for r in self.renamed_runs)
        return (f"text-to-image: {self.text_to_image_models_in_logs} models in the logs, mean "
                f"{self.text_to_image_mean_all_models_kwh:.3f} kWh vs "
                f"{self.text_to_image_mean_paper_models_kwh:.3f} with the paper's 8; renamed: "
                f"{ren or 'none'}; {self.runs_not_in_complete_files} runs in no complete file "
                f"({len(self.models_only_in_unlisted_runs)} models only there)")


@dataclass(frozen=True)
class EthicsTotalFinding(Finding):
    """The Ethics statement's total mixes GPU-only kWh with whole-node kg CO2eq."""

    id: ClassVar[str] = "ethics-total"
    evidence: ClassVar[str] = "sums over every row (all tasks) of every base log"
    gpu_energy_all_rows_kwh: float
    total_energy_all_rows_kwh: float
    total_emissions_all_rows_kg: float
    paper_statement: str = "754.66 kWh and 178.97 kg CO2eq"

    @classmethod
    def from_records(cls, records: Sequence[JobResult]) -> EthicsTotalFinding:
        """Sum over every window (query and phases) of every record."""
        gpu_all = sum(d.energy_j for r in records
                      for w in (r.domains, *(p.domains for p in r.phases.values()))
                      for d in w if d.component == "gpu") / J_PER_KWH
        all_kwh = sum(d.energy_j for r in records
                      for w in (r.domains, *(p.domains for p in r.phases.values()))
                      for d in w) / J_PER_KWH
        all_g = sum(float(_carbon_g(r) or 0.0)
                    + sum((r.extra.get("phase_emissions_g") or {}).values()) for r in records)
        return cls(gpu_all, all_kwh, all_g / 1000.0)

    @property
    def title(self) -> str:
        """The finding in one sentence."""
        return "The Ethics statement's total mixes GPU-only kWh with whole-node kg CO2eq"

    def summary(self) -> str:
        """The numbers behind the title, in one line."""
        return (f"GPU energy over all rows {self.gpu_energy_all_rows_kwh:.2f} kWh; all energy "
                f"{self.total_energy_all_rows_kwh:.2f} kWh; emissions "
                f"{self.total_emissions_all_rows_kg:.2f} kg (paper: {self.paper_statement})")


def _carbon_g(r: JobResult) -> Any:
    """A record's stored emissions (g), from a carbon mapping or a typed carbon record."""
    c = r.carbon
    if c is None:
        return None
    return c.get("emissions_g") if isinstance(c, Mapping) else getattr(c, "emissions_g", None)


def findings(frame: pd.DataFrame, records: Sequence[JobResult]) -> list[Finding]:
    """Every finding, in the order they are printed."""
    return [IntensityFinding.from_frame(frame), WholeNodeFinding.from_frame(frame),
            ConstantCpuFinding.from_frame(frame), ConstantRamFinding.from_frame(frame),
            EnergyIsTimeFinding.from_frame(frame), QueryPhaseOnlyFinding.from_frame(frame),
            VisionResizedFinding.from_frame(frame), ModelListsFinding.from_frame(frame),
            EthicsTotalFinding.from_records(records)]
