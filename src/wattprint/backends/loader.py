"""Pick the backend for a model reference: zoo, callable, local folder or hub id.

``load_backend`` returns an *unloaded* backend (the harness measures ``load()`` as its own
phase), after the cheap checks: the task exists, the settings are known, and, where the
config can be read without loading weights, that the model fits the task.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from wattprint.backends.base import Backend, RunSettings
from wattprint.backends.model_ref import ModelRef
from wattprint.backends.registry import BackendKind, backend_for, checked_options, get_backend
from wattprint.backends.zoo import get_spec, parse_ref
from wattprint.errors import ConfigError, TaskError, unknown_choice

__all__ = ["load_backend"]

JOB_SETTINGS = frozenset(f.name for f in fields(RunSettings))
"""Settings the harness passes from the job itself (not backend options)."""

CODE_ONLY = frozenset({"prompt_fn", "parse_fn"})
"""Python callables a program may pass; they cannot come from a suite."""


def _make(kind: BackendKind, task_id: str, ref: ModelRef, run: RunSettings | None,
          settings: dict[str, Any]) -> Backend:
    """Check ``settings`` against what the backend takes and build it.

    The job's ``run`` settings that the backend does not take are left out (a callable has no
    device); a setting given directly that it does not take is an error.
    """
    takes = kind.takes()
    direct = (JOB_SETTINGS | CODE_ONLY) & takes
    valid = direct | set(kind.options.model_fields)
    for key in settings:
        if key not in valid:
            raise unknown_choice(f"setting for {kind.cls.__name__}", key, valid)
    options = checked_options(kind.name, {k: v for k, v in settings.items() if k not in direct})
    from_run = {k: v for k, v in (run.given() if run else {}).items() if k in takes}
    return kind.make(task_id, ref, {**from_run, **{k: v for k, v in settings.items() if k in direct},
                                    **options.model_dump(exclude_unset=True)})


def load_backend(task_id: str, model: str, *, run: RunSettings | None = None, check: bool = True,
                 **settings: Any) -> Backend:
    """Make the backend that runs ``model`` on ``task_id`` (not loaded yet).

    Args:
        task_id: A registered task id (:func:`wattprint.tasks.registry.get_task`).
        model: ``zoo:<name>[@size]``, ``callable:package.module:function``, a local folder or
            a hub id (parsed by :meth:`ModelRef.parse`).
        run: A job's run settings; the backend gets those its constructor takes.
        check: Check that the model fits the task now, where that needs no weights (zoo
            references and local folders; hub ids are checked at ``load()``).
        **settings: Run settings given directly (``device``, ``dtype``, ``batch_size``,
            ``revision``, ``generation``, ``mode``, ``seed``: each must be one the backend
            takes) and backend options, checked against the backend's typed options
            (:mod:`wattprint.backends.registry`). A value of None means "not set" (so a
            caller may pass every setting it knows).

    Raises:
        ConfigError: unknown task or option, a malformed reference, or no backend runs it.
        TaskError: the model cannot do the task (names its architecture and what is needed).
        BackendError: a local folder that does not exist or cannot be read.
    """
    from wattprint.tasks.registry import get_task

    get_task(task_id)  # raises for an unknown task, naming the registered ones
    settings = {k: v for k, v in settings.items() if v is not None}
    try:
        ref = ModelRef.parse(model)
    except ValueError as err:
        raise ConfigError(str(err)) from None
    kind = get_backend(backend_for(task_id, ref))
    if ref.kind == "zoo":
        zoo_name, _ = parse_ref(model)
        spec = get_spec(zoo_name)
        if spec.task != task_id and not spec.zero_shot:
            raise TaskError(f"model {model} is a {spec.study_model}-architecture zoo model for {spec.task}, "
                            f"which cannot do {task_id}")
        backend = _make(kind, task_id, ref, run, settings)
        if spec.task != task_id and getattr(backend, "mode", None) != "zero-shot":
            raise TaskError(f"model {model} is a {spec.study_model}-architecture zoo model for {spec.task}, "
                            f"which cannot do {task_id} (it is a multi-purpose model: use mode='zero-shot')")
        return backend
    backend = _make(kind, task_id, ref, run, settings)
    if check and ref.kind == "local" and hasattr(backend, "check"):
        backend.check()
    return backend
