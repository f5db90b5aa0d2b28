"""The study's full grid as data: 88 models × their datasets, with the study's settings.

80 task-specific models × 3 datasets of their task = 240 jobs, plus 8 multi-purpose models ×
3 zero-shot tasks × 3 datasets = 72 zero-shot jobs: 312 jobs, each run on the first 1,000
samples, batch size 1, repeated 10 times (``docs/study.md`` §2). The harness's ``study``
suite is generated from :func:`study_jobs`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from wattprint.tasks.base import TASK_IDS
from wattprint.tasks.registry import get_task
from wattprint.tasks.study_datasets import STUDY_DATASETS
from wattprint.tasks.study_models import MULTI_PURPOSE_MODELS, TASK_SPECIFIC_MODELS, ZERO_SHOT_TASKS
from wattprint.tasks.zeroshot import generation_settings

STUDY_N = 1000
"""Inferences per measurement: the first 1,000 samples of each dataset."""

STUDY_REPEATS = 10
"""Repetitions of each model × dataset run."""

STUDY_BATCH_SIZE = 1
"""Sequential, one input at a time."""


@dataclass(frozen=True)
class StudyJob:
    """One model × dataset run of the study.

    Attributes:
        task: Task id.
        model: Hub model id.
        dataset: Study dataset short name (see ``STUDY_DATASETS``).
        mode: ``"task-specific"`` or ``"zero-shot"``.
        family: Zero-shot model family (``"t5"`` / ``"causal"``), None for task-specific.
        generation: Generation settings for this job (empty for non-generative tasks).
        parameters: The model's parameter count as the study lists it.
    """

    task: str
    model: str
    dataset: str
    mode: str
    family: str | None
    generation: Mapping[str, Any] = field(default_factory=dict)
    parameters: int | None = None


def study_jobs() -> list[StudyJob]:
    """All 312 jobs of the study, task-specific first, in the study's task order."""
    jobs: list[StudyJob] = []
    for task_id in TASK_IDS:
        generation = dict(get_task(task_id).default_generation)
        for m in (m for m in TASK_SPECIFIC_MODELS if m.task == task_id):
            for dataset in STUDY_DATASETS[task_id]:
                jobs.append(StudyJob(task_id, m.model, dataset, "task-specific", None,
                                     dict(generation), m.parameters))
    for m in MULTI_PURPOSE_MODELS:
        for task_id in ZERO_SHOT_TASKS:
            for dataset in STUDY_DATASETS[task_id]:
                jobs.append(StudyJob(task_id, m.model, dataset, "zero-shot", m.family,
                                     generation_settings(task_id, m.family, dataset), m.parameters))
    return jobs
