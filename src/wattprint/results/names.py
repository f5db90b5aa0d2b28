"""What to call a result's model when showing it.

Imported logs often know no model: a generic CodeCarbon log has a ``project_name`` (and, in
task mode, a ``task_name``) but no model id, so its records carry ``model == "unknown"``. The
user's own names are then shown wherever a model name would go (leaderboard, filters, labels,
exports) instead of rows of "unknown"; a known model id is always shown as it is.
"""

from __future__ import annotations

from wattprint.results.schema import JobResult

UNKNOWN_MODEL = "unknown"


def display_model(r: JobResult) -> str:
    """The model's name for display.

    Args:
        r: A stored result.

    Returns:
        ``r.model`` when it is known; else the imported log's ``project_name``, followed by
        `` · task_name`` for a task-mode row; else ``"unknown"``. The text is data: callers
        escape it for their output (HTML, SVG, terminal) like any other name.
    """
    if r.model and r.model != UNKNOWN_MODEL:
        return r.model
    project = r.extra.get("project_name")
    task_name = r.extra.get("task_name")
    if not isinstance(project, str) or not project.strip():
        return UNKNOWN_MODEL
    if isinstance(task_name, str) and task_name.strip():
        return f"{project.strip()} · {task_name.strip()}"
    return project.strip()
