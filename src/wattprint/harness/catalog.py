"""The names a suite may use, gathered from the tasks and backends tables (offline).

Suite validation checks task ids, dataset short names and model references against these
tables, never against the Hugging Face Hub, so a suite validates on a machine with no network.
Tests build a :class:`Catalog` by hand; :func:`default_catalog` builds the project's.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from wattprint.backends.model_ref import ModelRef
from wattprint.errors import did_you_mean

ZOO_SIZES = ("tiny", "real-size")
FILE_SUFFIXES = (".jsonl", ".json", ".csv", ".parquet", ".txt")


@dataclass(frozen=True)
class Catalog:
    """Valid names per task.

    Attributes:
        tasks: Task ids.
        datasets: Task id → the study's dataset short names for it (``imdb`` ...).
        zero_shot_datasets: Task id → datasets valid in zero-shot mode (its keys are the tasks
            that have a zero-shot mode).
        study_models: Task id → the study's task-specific model ids.
        multi_purpose_models: The study's zero-shot (multi-purpose) model ids.
        zoo: Zoo model name → the task ids it serves (offline random-weight models).
        zero_shot_zoo: Zoo models that can run the zero-shot tasks (Flan-T5, BLOOMz copies).
        builtin_sources: Task id → named built-in input sources (``builtin:<source>``).
        default_models: Task id → default model reference (a zoo ref).
        generation: ``(task, mode, model, dataset) → generation defaults`` (may be None).
    """

    tasks: tuple[str, ...]
    datasets: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    zero_shot_datasets: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    study_models: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    multi_purpose_models: tuple[str, ...] = ()
    zoo: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    zero_shot_zoo: tuple[str, ...] = ()
    builtin_sources: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    default_models: Mapping[str, str] = field(default_factory=dict)
    generation: Callable[[str, str, str, str], Mapping[str, Any]] | None = None
    capacity: Callable[[str, str], int] | None = None

    def max_inputs(self, task: str, dataset: str) -> int | None:
        """The largest ``n`` the dataset can supply for the task (None: not known)."""
        return None if self.capacity is None else self.capacity(task, dataset)

    def task_ids(self) -> set[str]:
        """Ids of the tasks the catalog lists."""
        return set(self.tasks)

    def zero_shot_tasks(self) -> set[str]:
        """Ids of the tasks that have zero-shot datasets in the catalog."""
        return set(self.zero_shot_datasets)

    def default_model(self, task: str) -> str:
        """The task's default model reference (a zoo model)."""
        try:
            return self.default_models[task]
        except KeyError:
            from wattprint.errors import ConfigError

            raise ConfigError(f"task {task!r} has no default model; give one with --model") from None

    def default_generation(self, task: str, mode: str, model: str, dataset: str) -> dict[str, Any]:
        """Generation defaults for a job (the study's settings), before suite overrides."""
        if self.generation is None:
            return {}
        return dict(self.generation(task, mode, model, dataset) or {})

    def check_dataset(self, task: str, dataset: str, *, mode: str = "task-specific") -> str | None:
        """None when ``dataset`` is valid for ``task``, else a message with the valid choices."""
        if dataset == "builtin":
            if self.builtin_sources and not self.builtin_sources.get(task):
                return (f"task {task!r} has no built-in inputs; give a dataset: a local file "
                        "(.jsonl, .csv, .parquet) or image folder")
            return None
        if dataset.startswith("builtin:"):
            sources = self.builtin_sources.get(task, ())
            src = dataset.partition(":")[2]
            if src in sources:
                return None
            return (f"unknown built-in source {src!r} for task {task!r}{did_you_mean(src, sources)}; "
                    f"valid: builtin, " + ", ".join(f"builtin:{x}" for x in sources))
        if dataset.startswith("hf:"):   # any Hub data set (wattprint-zoo/ ones from the cache)
            return None if dataset[3:].strip() else "hf: needs a Hub data set id, e.g. hf:stanfordnlp/imdb"
        if _looks_like_path(dataset):
            if os.path.exists(os.path.expanduser(dataset)):
                return None
            return f"dataset file {dataset!r} does not exist"
        valid = self.zero_shot_datasets.get(task, ()) if mode == "zero-shot" else self.datasets.get(task, ())
        if dataset in valid:
            return None
        choices = ["builtin", *(f"builtin:{x}" for x in self.builtin_sources.get(task, ())), *valid]
        other = [t for t, ds in self.datasets.items() if dataset in ds and t != task]
        hint = f" (it is a {other[0]} dataset)" if other else did_you_mean(dataset, choices)
        return (f"unknown dataset {dataset!r} for task {task!r}{hint}; valid: "
                f"{', '.join(choices)}, or a local file (.jsonl, .csv, .parquet) or image folder")

    def check_model(self, task: str, model: str, *, mode: str = "task-specific") -> str | None:
        """None when ``model`` may run ``task``, else a message naming the valid choices.

        Zoo names are checked against the zoo; hub ids that the study lists under another task
        are refused for this one; other hub ids cannot be checked offline and are accepted.
        """
        try:
            ref = ModelRef.parse(model)
        except ValueError as err:
            return str(err)
        if ref.kind == "zoo":
            name, size = ref.name, ref.size
            if name not in self.zoo:
                return (f"unknown zoo model {name!r}{did_you_mean(name, self.zoo)}; zoo models: "
                        f"{', '.join(sorted(self.zoo))}")
            if size not in ZOO_SIZES:
                return f"unknown zoo size {size!r} in {model!r}; valid: {', '.join(ZOO_SIZES)}"
            if mode == "zero-shot" and name not in self.zero_shot_zoo:
                return (f"zoo model {name!r} cannot run zero-shot; zero-shot zoo models: "
                        f"{', '.join(self.zero_shot_zoo)}")
            if mode == "task-specific" and task not in self.zoo[name]:
                fits = sorted(n for n, ts in self.zoo.items() if task in ts)
                return (f"zoo model {name!r} does not fit task {task!r} (it serves "
                        f"{', '.join(self.zoo[name])}); zoo models for {task}: {', '.join(fits)}")
            return None
        if ref.kind == "callable":
            return None
        if ref.kind == "local":
            if ref.path.is_dir():
                return None
            return f"model folder {model!r} does not exist"
        from wattprint.backends.weights import REAL_MODELS, is_local_id, resolve

        if is_local_id(model) and model not in REAL_MODELS and resolve(model) is None:
            return (f"model {model!r} is not in wattprint's hub-layout cache and is not one it "
                    f"builds; the real-weights zoo: {', '.join(REAL_MODELS)}")
        if mode == "task-specific":
            mine = self.study_models.get(task, ())
            if model not in mine:
                other = sorted(t for t, ms in self.study_models.items() if model in ms)
                if other:
                    return (f"model {model!r} is a {other[0]} model in the study, not a {task} "
                            f"one; the study's {task} models: {', '.join(mine)}")
                if model in self.multi_purpose_models:
                    return (f"model {model!r} is a multi-purpose model: run it with "
                            f"mode: zero-shot")
        return None


def _looks_like_path(value: str) -> bool:
    return (value.startswith((".", "/", "~")) or os.sep in value and os.path.exists(value)
            or value.endswith(FILE_SUFFIXES) or os.path.exists(value))


def default_catalog() -> Catalog:
    """The project's catalog, from the task registry (the study's tasks and any registered
    one), the study's tables and the zoo's specs."""
    from wattprint.tasks.registry import list_tasks

    return _catalog_for(tuple(t.id for t in list_tasks()))


@functools.lru_cache(maxsize=4)
def _catalog_for(task_ids: tuple[str, ...]) -> Catalog:
    from wattprint.backends import zoo
    from wattprint.tasks import study_models as sm
    from wattprint.tasks.base import TASK_IDS
    from wattprint.tasks.builtin import builtin_source_names
    from wattprint.tasks.capacity import max_inputs
    from wattprint.tasks.study_datasets import STUDY_DATASETS

    datasets = {t: tuple(STUDY_DATASETS.get(t, {})) for t in task_ids}
    return Catalog(
        tasks=task_ids, datasets=datasets,
        zero_shot_datasets={t: datasets[t] for t in sm.ZERO_SHOT_TASKS},
        study_models={t: tuple(sm.study_models(t)) for t in task_ids if t in TASK_IDS},
        multi_purpose_models=tuple(m.model for m in sm.MULTI_PURPOSE_MODELS),
        zoo={spec.name: (spec.task,) for spec in zoo.SPECS.values()},
        zero_shot_zoo=tuple(spec.name for spec in zoo.SPECS.values() if spec.zero_shot),
        builtin_sources={t: tuple(builtin_source_names(t)) for t in task_ids},
        default_models=dict(zoo.DEFAULT_ZOO_MODELS), generation=project_generation,
        capacity=max_inputs)


def model_family(model: str) -> str:
    """``t5`` (text-to-text) or ``causal`` for a zero-shot model reference."""
    from wattprint.tasks.study_models import study_model

    rec = study_model(model)
    family = getattr(rec, "family", None)
    if family:
        return str(family)
    name = model.lower()
    return "t5" if ("t5" in name or "bart" in name) else "causal"


def project_generation(task: str, mode: str, model: str, dataset: str) -> dict[str, Any]:
    """The study's generation settings: the task's defaults, or the zero-shot ones per
    model family and dataset (e.g. BLOOMz on XSum: ``max_new_tokens=65``)."""
    if mode == "zero-shot":
        from wattprint.tasks.zeroshot import generation_settings

        return dict(generation_settings(task, model_family(model),
                                        None if dataset == "builtin" else dataset))
    from wattprint.tasks.registry import get_task

    return dict(getattr(get_task(task), "default_generation", {}) or {})
