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

from wattprint.errors import did_you_mean

ZOO_PREFIX = "zoo:"
CALLABLE_PREFIX = "callable:"
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
    default_models: Mapping[str, str] = field(default_factory=dict)
    generation: Callable[[str, str, str, str], Mapping[str, Any]] | None = None

    def task_ids(self) -> set[str]:
        return set(self.tasks)

    def zero_shot_tasks(self) -> set[str]:
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
            return None
        if _looks_like_path(dataset):
            if os.path.exists(os.path.expanduser(dataset)):
                return None
            return f"dataset file {dataset!r} does not exist"
        valid = self.zero_shot_datasets.get(task, ()) if mode == "zero-shot" else self.datasets.get(task, ())
        if dataset in valid:
            return None
        choices = ["builtin", *valid]
        other = [t for t, ds in self.datasets.items() if dataset in ds and t != task]
        hint = f" (it is a {other[0]} dataset)" if other else did_you_mean(dataset, choices)
        return (f"unknown dataset {dataset!r} for task {task!r}{hint}; valid: "
                f"{', '.join(choices)}, or a local file (.jsonl, .csv, .parquet) or image folder")

    def check_model(self, task: str, model: str, *, mode: str = "task-specific") -> str | None:
        """None when ``model`` may run ``task``, else a message naming the valid choices.

        Zoo names are checked against the zoo; hub ids that the study lists under another task
        are refused for this one; other hub ids cannot be checked offline and are accepted.
        """
        if model.startswith(ZOO_PREFIX):
            name, _, size = model[len(ZOO_PREFIX):].partition("@")
            if name not in self.zoo:
                return (f"unknown zoo model {name!r}{did_you_mean(name, self.zoo)}; zoo models: "
                        f"{', '.join(sorted(self.zoo))}")
            if size and size not in ZOO_SIZES:
                return f"unknown zoo size {size!r} in {model!r}; valid: {', '.join(ZOO_SIZES)}"
            if mode == "zero-shot" and name not in self.zero_shot_zoo:
                return (f"zoo model {name!r} cannot run zero-shot; zero-shot zoo models: "
                        f"{', '.join(self.zero_shot_zoo)}")
            if mode == "task-specific" and task not in self.zoo[name]:
                fits = sorted(n for n, ts in self.zoo.items() if task in ts)
                return (f"zoo model {name!r} does not fit task {task!r} (it serves "
                        f"{', '.join(self.zoo[name])}); zoo models for {task}: {', '.join(fits)}")
            return None
        if model.startswith(CALLABLE_PREFIX):
            target = model[len(CALLABLE_PREFIX):]
            if ":" not in target:
                return f"callable model {model!r} must look like 'callable:package.module:function'"
            return None
        if _looks_like_path(model):
            if os.path.isdir(os.path.expanduser(model)):
                return None
            return f"model folder {model!r} does not exist"
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


@functools.lru_cache(maxsize=1)
def default_catalog() -> Catalog:
    """The project's catalog, from ``wattprint.tasks`` and ``wattprint.backends.zoo``."""
    from wattprint.backends import zoo as zoo_mod
    from wattprint.tasks import datasets as ds_mod
    from wattprint.tasks.base import TASK_IDS

    return catalog_from_tables(TASK_IDS, ds_mod, zoo_mod)


def catalog_from_tables(task_ids: tuple[str, ...], ds_mod: Any, zoo_mod: Any) -> Catalog:
    """Build a catalog from the tasks' dataset/model tables and the zoo's specs."""
    datasets: dict[str, list[str]] = {t: [] for t in task_ids}
    for key, recipe in ds_mod.STUDY_DATASETS.items():
        task = getattr(recipe, "task", None)
        short = getattr(recipe, "short_name", None) or getattr(recipe, "name", None)
        if isinstance(key, tuple):
            task, short = key[0], key[1]
        elif short is None:
            short = key
        if task is None:
            continue
        datasets.setdefault(task, []).append(short)
    zero_shot_tasks = getattr(ds_mod, "ZERO_SHOT_TASKS", ("text-classification", "question-answering",
                                                          "summarization"))
    zero_shot = {t: tuple(datasets.get(t, ())) for t in zero_shot_tasks}
    study_models = {t: tuple(ds_mod.study_models(t)) for t in task_ids}
    zoo = {spec.name: (spec.task,) for spec in zoo_mod.SPECS.values()}
    return Catalog(
        tasks=tuple(task_ids), datasets={t: tuple(v) for t, v in datasets.items()},
        zero_shot_datasets=zero_shot, study_models=study_models,
        multi_purpose_models=tuple(ds_mod.MULTI_PURPOSE_MODELS), zoo=zoo,
        zero_shot_zoo=tuple(spec.name for spec in zoo_mod.SPECS.values() if spec.zero_shot),
        default_models=dict(zoo_mod.DEFAULT_ZOO_MODELS), generation=None,
    )
