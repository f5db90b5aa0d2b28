"""Reproduce "Power Hungry Processing" (Luccioni et al. 2023) from its raw CodeCarbon logs.

Input: a folder with the layout of the study's repository (``sashavor/co2_inference``):

* ``data/emissions/base/*.csv`` — CodeCarbon task-mode logs, one file per run, with rows
  ``load model`` / ``query model`` (/ ``transfer model to GPU``);
* ``data/emissions/complete/<task>_<dataset>[_resized|_15][_bloomz].csv`` — one row per run;
  they say which task, dataset and model each ``run_id`` belongs to;
* ``data/lengths/complete/<dataset>[_flan].csv`` — input/output token counts (Table 4);
* ``data/model_parameters.csv`` — parameter counts.

This module loads and labels them: the base logs go through the CodeCarbon importer
(:mod:`wattprint.results.importers.codecarbon`), each record is labelled with the task,
dataset and model of its run, and one frame row per record carries the numbers the tables use
(``kwh`` = CodeCarbon's total, all provenances, as the paper; ``gpu_kwh`` the measured GPU
part). It also names the study's selections of runs (:func:`table2_runs`,
:func:`zero_shot_runs`). The tables and the findings are computed in the analysis layer
(:mod:`wattprint.analysis.study_tables`, :mod:`wattprint.analysis.study_findings`).
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from wattprint.errors import ConfigError
from wattprint.results.importers.codecarbon import ImportIssue, ImportOptions, read_paths
from wattprint.results.schema import JobResult
from wattprint.units import J_PER_KWH

TASK_PREFIXES: tuple[tuple[str, str, str], ...] = (
    # (file prefix, harness task id, kind)
    ("zeroshot_sentiment_", "text-classification", "zero-shot"),
    ("zeroshot_qa_", "question-answering", "zero-shot"),
    ("zeroshot_summarize_", "summarization", "zero-shot"),
    ("text_classif_", "text-classification", "task-specific"),
    ("token_classif_", "token-classification", "task-specific"),
    ("qa_", "question-answering", "task-specific"),
    ("fillmask_", "fill-mask", "task-specific"),
    ("textgen_", "text-generation", "task-specific"),
    ("summarize_", "summarization", "task-specific"),
    ("image_class_", "image-classification", "task-specific"),
    ("obj_detection_", "object-detection", "task-specific"),
    ("itt_", "image-to-text", "task-specific"),
    ("tti_", "text-to-image", "task-specific"),
)

DATASETS: dict[str, str] = {
    "imdb": "imdb", "sst2": "sst2", "sst": "sst2", "tomatoes": "rotten_tomatoes",
    "rotten_tomatoes": "rotten_tomatoes", "conll2003": "conll2003", "wikiann": "wikiann",
    "record": "super_glue/record", "squad": "squad", "squadv2": "squad_v2", "squad2": "squad_v2",
    "sciq": "sciq", "bookcorpus": "bookcorpus", "c4": "c4", "oscar": "oscar",
    "wikitext": "wikitext", "cnn": "cnn_dailymail", "samsum": "samsum", "xsum": "xsum",
    "cifar10": "cifar10", "cifar100": "cifar100", "imagenet": "imagenet-1k",
    "coco": "rafaelpadilla/coco2017", "CPPE": "cppe-5", "visualgenome": "visual_genome",
    "redcaps": "red_caps", "diffusiondb": "poloclub/diffusiondb",
    "imagereward": "THUDM/ImageRewardDB", "sd_prompts": "Gustavosta/Stable-Diffusion-Prompts",
}
"""File-name dataset keys → Hugging Face dataset ids (as in study.md §1.2)."""

VISION_TASKS = frozenset({"image-classification", "object-detection", "image-to-text"})
WORK_UNITS = {"text-generation": "token", "summarization": "token", "image-to-text": "token",
              "text-to-image": "image"}

TTI_NOT_IN_PAPER = frozenset({"SG161222/Realistic_Vision_V1.4",
                              "stabilityai/stable-diffusion-2-1-base"})
"""Text-to-image models in the logs but not in the paper's Table 6 (study.md §0.6)."""

MULTI_PURPOSE_MODELS: tuple[str, ...] = (
    "google/flan-t5-base", "google/flan-t5-large", "google/flan-t5-xl", "google/flan-t5-xxl",
    "bigscience/bloomz-560m", "bigscience/bloomz-1b7", "bigscience/bloomz-3b",
    "bigscience/bloomz-7b1",
)
"""The eight multi-purpose models of Table 3."""


@dataclass(frozen=True)
class RunLabel:
    """What the ``complete`` files say about one run."""

    file: str
    task: str
    kind: str
    dataset: str
    variant: str
    model: str
    total_kwh: float
    line: int


@dataclass
class StudyData:
    """The study's logs, imported and labelled.

    Attributes:
        records: One :class:`JobResult` per base-log run (query window + load phases);
            runs that no ``complete`` file lists keep task ``unknown``.
        frame: One row per record with the numbers the tables use (kWh, g, W, labels).
        lengths: Table 4's token counts, one row per (dataset, model).
        params: Model id → parameter count (``data/model_parameters.csv``).
        errors: Import problems (file and line).
    """

    records: list[JobResult]
    frame: pd.DataFrame
    lengths: pd.DataFrame
    params: dict[str, float]
    errors: list[ImportIssue] = field(default_factory=list)


def parse_complete_name(name: str) -> tuple[str, str, str, str]:
    """Split a ``complete`` file name into (task id, kind, dataset id, variant).

    Raises:
        ConfigError: for a name that matches no known task prefix or dataset.
    """
    stem = name[:-4] if name.endswith(".csv") else name
    for prefix, task, kind in TASK_PREFIXES:
        if stem.startswith(prefix):
            rest = stem[len(prefix):]
            variant = []
            for suffix in ("_bloomz", "_resized", "_15"):
                if rest.endswith(suffix):
                    variant.append(suffix[1:])
                    rest = rest[: -len(suffix)]
            if rest not in DATASETS:
                raise ConfigError(f"{name}: unknown dataset {rest!r}; known: "
                                  f"{', '.join(sorted(DATASETS))}")
            return task, kind, DATASETS[rest], "+".join(sorted(variant)) or "native"
    raise ConfigError(f"{name}: not a study run file (prefixes: "
                      f"{', '.join(p for p, _, _ in TASK_PREFIXES)})")


def read_run_labels(complete_dir: Path) -> tuple[dict[str, RunLabel], list[ImportIssue]]:
    """run id → label, from every ``complete/*.csv`` file."""
    labels: dict[str, RunLabel] = {}
    issues: list[ImportIssue] = []
    for f in sorted(complete_dir.glob("*.csv")):
        try:
            task, kind, dataset, variant = parse_complete_name(f.name)
        except ConfigError as err:
            issues.append(ImportIssue(str(f), None, str(err)))
            continue
        with open(f, newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            for row in reader:
                try:
                    run_id = row["run_id"].strip()
                    labels[run_id] = RunLabel(f.name, task, kind, dataset, variant,
                                              row["project_name"].strip(),
                                              float(row["energy_consumed"]), reader.line_num)
                except (KeyError, ValueError, AttributeError) as err:
                    issues.append(ImportIssue(str(f), reader.line_num,
                                              f"bad run row ({type(err).__name__}: {err})"))
    return labels, issues


def _params(path: Path) -> dict[str, float]:
    if not path.exists():
        return {}
    df = pd.read_csv(path)
    return {str(m): float(p) for m, p in zip(df["model_name"], df["num_parameters"])}


def read_lengths(lengths_dir: Path, models: Iterable[str]) -> pd.DataFrame:
    """Mean input/output tokens per (dataset, model) from ``lengths/complete``.

    Model names in these files are shortened (``bloomz-1b``, ``bloomz-7b``); each is mapped to
    the run model it equals, or the single one it is a prefix of.
    """
    known = sorted(set(models))
    frames = []
    for f in sorted(lengths_dir.glob("*.csv")):
        key = f.stem[:-5] if f.stem.endswith("_flan") else f.stem
        df = pd.read_csv(f)
        df["dataset"] = DATASETS.get(key, key)
        frames.append(df)
    if not frames:
        return pd.DataFrame(columns=["dataset", "model", "input_tokens", "output_tokens", "n"])
    df = pd.concat(frames, ignore_index=True)

    def canon(m: str) -> str:
        if m in known:
            return m
        hits = [k for k in known if k.startswith(m)]
        return hits[0] if len(hits) == 1 else m

    df["model"] = df["model"].map(canon)
    out = (df.groupby(["dataset", "model"], sort=True)
             .agg(input_tokens=("Input", "mean"), output_tokens=("Output", "mean"),
                  n=("Output", "size")).reset_index())
    return out


def load_study(root: str | Path) -> StudyData:
    """Import and label the study's logs.

    Args:
        root: The repository folder (containing ``data/emissions/base`` ...).

    Raises:
        ConfigError: when the folder does not have the study's layout.
    """
    root = Path(root)
    base = root / "data" / "emissions" / "base"
    complete = root / "data" / "emissions" / "complete"
    for p in (base, complete):
        if not p.is_dir():
            raise ConfigError(f"{root} does not have the study's layout: {p} is missing "
                              "(expected data/emissions/base and data/emissions/complete)")
    labels, issues = read_run_labels(complete)
    report = read_paths([base], ImportOptions(project_as_model=True, n=1000,
                                              run_id="study:co2_inference"))
    records: list[JobResult] = []
    rows: list[dict[str, Any]] = []
    for r in report.results:
        cc_run = r.extra.get("codecarbon_run_id")
        lab = labels.get(cc_run) if cc_run else None
        extra = dict(r.extra)
        if lab is not None:
            extra.update(study_file=lab.file, study_line=lab.line, study_variant=lab.variant,
                         study_kind=lab.kind, complete_total_kwh=lab.total_kwh)
            r = r.with_(task=lab.task, model=lab.model, dataset=lab.dataset,
                        work_unit=WORK_UNITS.get(lab.task, "sample"),
                        settings={"variant": lab.variant, "kind": lab.kind}, extra=extra)
        else:
            extra["study_note"] = "run not listed in any data/emissions/complete file"
            r = r.with_(extra=extra)
        records.append(r)
        rows.append(_frame_row(r, lab))
    frame = pd.DataFrame(rows)
    zs_models = frame.loc[frame["kind"] == "zero-shot", "model"].unique().tolist()
    lengths = read_lengths(root / "data" / "lengths" / "complete", zs_models)
    return StudyData(records, frame, lengths, _params(root / "data" / "model_parameters.csv"),
                     issues + report.errors)


def _frame_row(r: JobResult, lab: RunLabel | None) -> dict[str, Any]:
    by = {d.component: d for d in r.domains}
    total_j = sum(d.energy_j for d in r.domains)
    load = r.phases.get("load")
    ex = r.extra
    return {
        "run_id": ex.get("codecarbon_run_id"), "task": r.task, "model": r.model,
        "dataset": r.dataset, "kind": lab.kind if lab else None,
        "variant": lab.variant if lab else None, "file": lab.file if lab else None,
        "base_project": ex.get("project_name"),
        "kwh": total_j / J_PER_KWH,
        "gpu_kwh": by["gpu"].energy_j / J_PER_KWH if "gpu" in by else math.nan,
        "cpu_kwh": by["cpu"].energy_j / J_PER_KWH if "cpu" in by else math.nan,
        "ram_kwh": by["ram"].energy_j / J_PER_KWH if "ram" in by else math.nan,
        "phase_gpu_kwh": sum(d.energy_j for w in r.phases.values() for d in w.domains
                             if d.component == "gpu") / J_PER_KWH,
        "phase_kwh": sum(d.energy_j for w in r.phases.values() for d in w.domains) / J_PER_KWH,
        "load_kwh": (sum(d.energy_j for d in load.domains) / J_PER_KWH) if load else math.nan,
        "g": _f(r.carbon.emissions_g if r.carbon else None),
        "intensity": _f(r.carbon.intensity_g_per_kwh if r.carbon else None),
        "duration_s": r.duration_s,
        "cpu_power_w": _f(ex.get("cpu_power")), "gpu_power_w": _f(ex.get("gpu_power")),
        "ram_power_w": _f(ex.get("ram_power")),
        "ram_total_gb": _f(r.environment.get("ram_total_size")),
        "gpu_count": _f(r.environment.get("gpu_count")),
        "gpu_model": r.environment.get("gpu_model"),
        "region": ex.get("region"), "country": ex.get("country_iso_code"),
        "complete_total_kwh": lab.total_kwh if lab else math.nan,
    }


def _f(x: Any) -> float:
    try:
        return float(x)
    except (TypeError, ValueError):
        return math.nan


# ---- selections ------------------------------------------------------------------------

def table2_runs(frame: pd.DataFrame) -> pd.DataFrame:
    """The runs behind Table 2 (study.md §4.1): task-specific, 640×480 vision runs,
    summarization at max_length 15, and the 8 image-generation models of Table 6."""
    f = frame[frame["kind"] == "task-specific"]
    vision = f["task"].isin(VISION_TASKS)
    f = f[~vision | f["variant"].str.contains("resized", na=False)]
    f = f[(f["task"] != "text-to-image") | ~f["model"].isin(TTI_NOT_IN_PAPER)]
    return f


def zero_shot_runs(frame: pd.DataFrame) -> pd.DataFrame:
    """The runs behind Table 3: the 8 multi-purpose models on the 9 zero-shot datasets."""
    return frame[(frame["kind"] == "zero-shot") & frame["model"].isin(MULTI_PURPOSE_MODELS)]
