"""The task registry: the study's ten tasks by id, plus any a user registers.

A task defined outside wattprint is registered with :func:`register_task` in a module that
wattprint imports in every process that needs it (the driver and each job's worker): name the
module in ``WATTPRINT_PLUGINS`` (comma-separated module names, found from the current
directory as ``python -m`` would), or declare it as an entry point in the
``wattprint.plugins`` group of an installed package. :func:`load_plugins` imports them once
per process; the registry's readers call it.
"""

from __future__ import annotations

import importlib
import os
from importlib.metadata import entry_points

from wattprint.errors import ConfigError, unknown_choice
from wattprint.tasks.arithmetic import Arithmetic
from wattprint.tasks.base import Task
from wattprint.tasks.imagegen import TextToImage
from wattprint.tasks.study_models import MULTI_PURPOSE_MODELS, study_models
from wattprint.tasks.text import QuestionAnswering, TextClassification, TokenClassification
from wattprint.tasks.text2text import FillMask, Summarization, TextGeneration
from wattprint.tasks.vision import ImageClassification, ImageToText, ObjectDetection

__all__ = ["MULTI_PURPOSE_MODELS", "get_task", "list_tasks", "register_task", "study_models"]

_WORK_UNITS = ("sample", "token", "image")

_TASKS: dict[str, Task] = {}
_PLUGINS_LOADED = False

PLUGINS_ENV = "WATTPRINT_PLUGINS"
PLUGIN_GROUP = "wattprint.plugins"


def load_plugins() -> None:
    """Import the plugin modules (``$WATTPRINT_PLUGINS`` and ``wattprint.plugins`` entry points).

    Runs once per process.

    Raises:
        ConfigError: a plugin module cannot be imported (names it and the variable).
    """
    global _PLUGINS_LOADED
    if _PLUGINS_LOADED:
        return
    _PLUGINS_LOADED = True
    from wattprint.tasks.imports import cwd_on_path

    names = [n.strip() for n in os.environ.get(PLUGINS_ENV, "").split(",") if n.strip()]
    for name in names:
        try:
            with cwd_on_path():
                importlib.import_module(name)
        except Exception as err:
            raise ConfigError(f"{PLUGINS_ENV}: plugin module {name!r} cannot be imported: "
                              f"{type(err).__name__}: {err}") from err
    for ep in entry_points(group=PLUGIN_GROUP):
        try:
            ep.load()
        except Exception as err:
            raise ConfigError(f"plugin {ep.name!r} ({ep.value}) of entry-point group "
                              f"{PLUGIN_GROUP!r} cannot be loaded: {type(err).__name__}: {err}") from err


def register_task(task: Task, *, replace: bool = False) -> Task:
    """Add a task to the registry under ``task.id``.

    Args:
        task: The task object.
        replace: Allow replacing a task already registered under the same id.

    Raises:
        ConfigError: the id is taken (and ``replace`` is False), or the work unit is not
            one of ``sample``, ``token``, ``image``.
    """
    task_id = getattr(task, "id", None)
    if not task_id or not isinstance(task_id, str):
        raise ConfigError("a task needs a string id")
    if getattr(task, "work_unit", None) not in _WORK_UNITS:
        raise ConfigError(f"task {task_id!r}: work_unit must be one of {', '.join(_WORK_UNITS)}, "
                          f"got {getattr(task, 'work_unit', None)!r}")
    if task_id in _TASKS and not replace and _TASKS[task_id] is not task:
        raise ConfigError(f"task {task_id!r} is already registered (pass replace=True to replace it)")
    _TASKS[task_id] = task
    return task


def get_task(task_id: str) -> Task:
    """The registered task with this id.

    Raises:
        ConfigError: unknown id, with close matches and the list of valid ids.
    """
    if task_id not in _TASKS:
        load_plugins()
    try:
        return _TASKS[task_id]
    except KeyError:
        raise unknown_choice("task", task_id, _TASKS) from None


def list_tasks() -> list[Task]:
    """All registered tasks: the study's ten in the study's order, then user tasks."""
    load_plugins()
    return list(_TASKS.values())


for _cls in (TextClassification, TokenClassification, QuestionAnswering, FillMask, TextGeneration,
             Summarization, ImageClassification, ObjectDetection, ImageToText, TextToImage,
             Arithmetic):
    register_task(_cls())
