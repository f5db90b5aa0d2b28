"""Pick the backend for a model reference: zoo, callable, local folder or hub id.

``load_backend`` returns an *unloaded* backend (the harness measures ``load()`` as its own
phase), after the cheap checks: the task exists, the settings are known, and, where the
config can be read without loading weights, that the model fits the task.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

from wattprint.backends.base import Backend
from wattprint.backends.callable import CallableBackend
from wattprint.backends.diffusers import DiffusersBackend
from wattprint.backends.transformers import TransformersBackend, looks_local
from wattprint.backends.zoo import get_spec, is_zoo_ref, parse_ref
from wattprint.errors import ConfigError, TaskError, unknown_choice
from wattprint.tasks.base import TASK_IDS

CALLABLE_PREFIX = "callable:"


def _settings_of(cls: type) -> set[str]:
    params = inspect.signature(cls.__init__).parameters
    return {n for n, p in params.items() if p.kind == p.KEYWORD_ONLY}


def _make(cls: type, task_id: str, model: str, settings: dict[str, Any]) -> Backend:
    valid = _settings_of(cls)
    for key in settings:
        if key not in valid:
            raise unknown_choice(f"setting for {cls.__name__}", key, valid)
    return cls(task_id, model, **settings)


def load_backend(task_id: str, model: str, *, check: bool = True, **settings: Any) -> Backend:
    """Make the backend that runs ``model`` on ``task_id`` (not loaded yet).

    Args:
        task_id: One of :data:`~wattprint.tasks.base.TASK_IDS`.
        model: ``zoo:<name>[@size]``, ``callable:package.module:function``, a local folder or a hub id.
        check: Check that the model fits the task now, where that needs no weights (zoo
            references and local folders; hub ids are checked at ``load()``).
        **settings: Backend settings (``device``, ``dtype``, ``batch_size``, ``revision``,
            ``generation``, ``mode``, ``num_inference_steps`` ...). Unknown names are an error;
            a value of None means "not set" (so a caller may pass every setting it knows).

    Raises:
        ConfigError: unknown task or setting, or a malformed reference.
        TaskError: the model cannot do the task (names its architecture and what is needed).
        BackendError: a local folder that does not exist or cannot be read.
    """
    if task_id not in TASK_IDS:
        raise unknown_choice("task", task_id, TASK_IDS)
    settings = {k: v for k, v in settings.items() if v is not None}
    if model.startswith(CALLABLE_PREFIX):
        extra = set(settings) - {"name"}
        if extra:
            raise ConfigError(f"a callable model takes no settings except 'name'; got {', '.join(sorted(extra))}")
        return CallableBackend(model[len(CALLABLE_PREFIX):], name=settings.get("name") or model)
    if is_zoo_ref(model):
        name, _ = parse_ref(model)
        spec = get_spec(name)
        cls: type = DiffusersBackend if spec.library == "diffusers" else TransformersBackend
        if spec.task != task_id and not spec.zero_shot:
            raise TaskError(f"model {model} is a {spec.study_model}-architecture zoo model for {spec.task}, "
                            f"which cannot do {task_id}")
        backend = _make(cls, task_id, model, settings)
        if spec.task != task_id and getattr(backend, "mode", None) != "zero-shot":
            raise TaskError(f"model {model} is a {spec.study_model}-architecture zoo model for {spec.task}, "
                            f"which cannot do {task_id} (it is a multi-purpose model: use mode='zero-shot')")
        return backend
    is_pipeline = looks_local(model) and (Path(model).expanduser() / "model_index.json").is_file()
    if task_id == "text-to-image":
        return _make(DiffusersBackend, task_id, model, settings)
    if is_pipeline:
        raise TaskError(f"model {model} is a diffusers pipeline, which cannot do {task_id}; "
                        "diffusers pipelines run text-to-image")
    backend = _make(TransformersBackend, task_id, model, settings)
    if check and looks_local(model):
        backend.check()
    return backend
