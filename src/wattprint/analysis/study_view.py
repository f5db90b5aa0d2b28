"""The study's own selection of imported runs (study.md §4.1), for ``wattprint report --study``.

Records imported by ``wattprint study reproduce`` carry ``extra.study_kind`` and
``extra.study_variant``. The study's tables and figures use: labelled runs only, the 640×480
(``resized``) runs for vision tasks, and the 8 image-generation models of its Table 6.
Multi-purpose (zero-shot) runs are kept: they feed the task-specific vs multi-purpose figure.
"""

from __future__ import annotations

from collections.abc import Iterable

from wattprint.results.schema import JobResult
from wattprint.results.study import TTI_NOT_IN_PAPER, VISION_TASKS


def in_study_selection(r: JobResult) -> bool:
    """True when a record is one of the runs the study's tables and figures use."""
    kind = r.extra.get("study_kind")
    if kind is None:
        return False
    variant = str(r.extra.get("study_variant") or r.settings.get("variant") or "")
    if kind == "task-specific" and r.task in VISION_TASKS and "resized" not in variant:
        return False
    return not (r.task == "text-to-image" and r.model in TTI_NOT_IN_PAPER)


def study_selection(results: Iterable[JobResult]) -> list[JobResult]:
    """Only the records the study's tables and figures use (see :func:`in_study_selection`)."""
    return [r for r in results if in_study_selection(r)]
