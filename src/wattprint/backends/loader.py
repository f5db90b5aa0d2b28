"""Pick the backend for a model reference: zoo, callable, local folder or hub id.

``load_backend`` returns an *unloaded* backend (the harness measures ``load()`` as its own
phase), after the cheap checks: the task exists, the settings are known, and, where the
config can be read without loading weights, that the model fits the task.
"""

from __future__ import annotations

import inspect
from typing import Any

from wattprint.backends.base import Backend
from wattprint.backends.callable import CallableBackend
from wattprint.backends.model_ref import ModelRef
from wattprint.backends.registry import backend_for, checked_options, get_backend
from wattprint.backends.zoo import get_spec, parse_ref
from wattprint.errors import ConfigError, TaskError, unknown_choice

__all__ = ["load_backend"]

JOB_SETTINGS = frozenset({"device", "dtype", "batch_size", "revision", "generation", "mode",
                          "seed"})
"""Settings the harness passes from the job itself (not backend options)."""

CODE_ONLY = frozenset({"prompt_fn", "parse_fn"})
"""Python callables a program may pass; they cannot come from a suite."""


def _make(name: str, task_id: str, model: str, settings: dict[str, Any]) -> Backend:
    kind = get_backend(name)
    accepted = _settings_of(kind.cls)
    direct = (JOB_SETTINGS | CODE_ONLY) & accepted
    valid = direct | set(kind.options.model_fields)
    for key in settings:
        if key not in valid:
            raise unknown_choice(f"setting for {kind.cls.__name__}", key, valid)
    options = checked_options(name, {k: v for k, v in settings.items() if k not in direct})
    return kind.cls(task_id, model, **{k: v for k, v in settings.items() if k in direct},
                    **options.model_dump(exclude_unset=True))


def _settings_of(cls: type) -> set[str]:
    params = inspect.signature(cls.__init__).parameters
    return {n for n, p in params.items() if p.kind == p.KEYWORD_ONLY}


def load_backend(task_id: str, model: str, *, check: bool = True, **settings: Any) -> Backend:
    """Make the backend that runs ``model`` on ``task_id`` (not loaded yet).

    Args:
        task_id: A registered task id (:func:`wattprint.tasks.registry.get_task`).
        model: ``zoo:<name>[@size]``, ``callable:package.module:function``, a local folder or
            a hub id (parsed by :meth:`ModelRef.parse`).
        check: Check that the model fits the task now, where that needs no weights (zoo
            references and local folders; hub ids are checked at ``load()``).
        **settings: The job's settings (``device``, ``dtype``, ``batch_size``, ``revision``,
            ``generation``, ``mode``, ``seed``) and backend options, checked against the
            backend's typed options (:mod:`wattprint.backends.registry`). A value of None
            means "not set" (so a caller may pass every setting it knows).

    Raises:
        ConfigError: unknown task or option, or a malformed reference.
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
    name = backend_for(task_id, ref)
    if ref.kind == "callable":
        extra = set(settings) - {"name"}
        if extra:
            raise ConfigError(f"a callable model takes no settings except 'name'; got "
                              f"{', '.join(sorted(extra))}")
        return CallableBackend(ref.name, name=settings.get("name") or model)
    if ref.kind == "zoo":
        zoo_name, _ = parse_ref(model)
        spec = get_spec(zoo_name)
        if spec.task != task_id and not spec.zero_shot:
            raise TaskError(f"model {model} is a {spec.study_model}-architecture zoo model for {spec.task}, "
                            f"which cannot do {task_id}")
        backend = _make(name, task_id, model, settings)
        if spec.task != task_id and getattr(backend, "mode", None) != "zero-shot":
            raise TaskError(f"model {model} is a {spec.study_model}-architecture zoo model for {spec.task}, "
                            f"which cannot do {task_id} (it is a multi-purpose model: use mode='zero-shot')")
        return backend
    is_pipeline = ref.kind == "local" and (ref.path / "model_index.json").is_file()
    if name == "transformers" and is_pipeline:
        raise TaskError(f"model {model} is a diffusers pipeline, which cannot do {task_id}; "
                        "diffusers pipelines run text-to-image")
    backend = _make(name, task_id, model, settings)
    if check and ref.kind == "local" and hasattr(backend, "check"):
        backend.check()
    return backend
