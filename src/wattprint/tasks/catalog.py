"""A plain-data description of each task, for ``wattprint tasks``, suites and reports."""

from __future__ import annotations

from typing import Any

from wattprint.tasks.base import Task
from wattprint.tasks.builtin import BUILTIN_SOURCES
from wattprint.tasks.registry import get_task, list_tasks
from wattprint.tasks.study_datasets import STUDY_DATASETS
from wattprint.tasks.study_models import MULTI_PURPOSE_MODELS, ZERO_SHOT_TASKS, study_models


def describe_task(task: Task) -> dict[str, Any]:
    """JSON-ready facts about one task: work unit, recipe, generation, inputs, study models."""
    study = STUDY_DATASETS.get(task.id, {})
    sources = list(BUILTIN_SOURCES.get(task.id, {}).items())
    return {
        "id": task.id,
        "modality": task.modality,
        "work_unit": task.work_unit,
        "recipe": task.recipe,
        "generation": dict(task.default_generation),
        "builtin_inputs": {("builtin" if i == 0 else f"builtin:{name}"): desc
                           for i, (name, (_, desc)) in enumerate(sources)},
        "study_datasets": {name: {"hf_id": r.hf_id, "config": r.config, "split": r.split,
                                  "note": r.note} for name, r in study.items()},
        "study_models": study_models(task.id) if task.id in STUDY_DATASETS else [],
        "zero_shot_models": ([m.model for m in MULTI_PURPOSE_MODELS]
                             if task.id in ZERO_SHOT_TASKS else []),
    }


def describe_tasks(task_id: str | None = None) -> list[dict[str, Any]]:
    """:func:`describe_task` for one task id, or for every registered task.

    Raises:
        ConfigError: unknown task id.
    """
    tasks = [get_task(task_id)] if task_id else list_tasks()
    return [describe_task(t) for t in tasks]
