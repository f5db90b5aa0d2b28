"""Backends by name, each with its typed options: the table the loader and the plan share.

A job's ``settings:`` in a suite are backend options. Which backend runs a job follows from
its task and model reference (:func:`backend_for`); its options model (extra keys forbidden)
checks the settings when the plan is made, so ``settings: {bogus_key: 1}`` fails
``wattprint validate`` with the file, the line and the closest valid key, not later inside a
worker. Adding a backend is one module (its class and options) plus one
:func:`register_backend` line saying which jobs it claims; :func:`backend_for` asks the
registered backends (the last registered first), and no code elsewhere branches on their
names.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from wattprint.backends.base import Backend
from wattprint.backends.callable import CallableBackend
from wattprint.backends.diffusers import DiffusersBackend
from wattprint.backends.hf_tasks import HF_TASKS
from wattprint.backends.model_ref import ModelRef
from wattprint.backends.solver import SOLVER_TASKS, SolverBackend, solver_claims
from wattprint.backends.transformers import TransformersBackend
from wattprint.errors import ConfigError, did_you_mean, unknown_choice


class BackendOptions(BaseModel):
    """Base of the typed options of a backend (unknown keys are errors)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class TransformersOptions(BackendOptions):
    """Options of :class:`~wattprint.backends.transformers.TransformersBackend`.

    Attributes:
        trust_remote_code: Run the model repository's own code.
        local_files_only: Never download (None: the Hugging Face environment decides).
        allow_new_head: Accept a checkpoint whose task head is freshly initialised.
        detection_threshold: Score threshold of object detection, 0..1.
        cache_dir: Hugging Face cache folder.
        zoo_cache_dir: Zoo cache folder.
    """

    trust_remote_code: bool = False
    local_files_only: bool | None = None
    allow_new_head: bool = False
    detection_threshold: float = Field(default=0.5, ge=0, le=1)
    cache_dir: Path | None = None
    zoo_cache_dir: Path | None = None


class DiffusersOptions(BackendOptions):
    """Options of :class:`~wattprint.backends.diffusers.DiffusersBackend`.

    Attributes:
        num_inference_steps, height, width, guidance_scale: Pipeline call settings (usually
            given under ``generation``; accepted here too).
        trust_remote_code, local_files_only, cache_dir, zoo_cache_dir: As for transformers.
    """

    num_inference_steps: int | None = Field(default=None, ge=1)
    height: int | None = Field(default=None, ge=1)
    width: int | None = Field(default=None, ge=1)
    guidance_scale: float | None = None
    trust_remote_code: bool = False
    local_files_only: bool | None = None
    cache_dir: Path | None = None
    zoo_cache_dir: Path | None = None


class SolverOptions(BackendOptions):
    """Options of :class:`~wattprint.backends.solver.SolverBackend` (exact-answer tasks).

    Attributes:
        max_attempts: Attempts per item (1..5).
        reasoning_tokens, answer_tokens: Most tokens of the reasoning and answer calls.
        trust_remote_code, local_files_only, cache_dir: As for transformers.
    """

    max_attempts: int = Field(default=2, ge=1, le=5)
    reasoning_tokens: int = Field(default=24, ge=1, le=4096)
    answer_tokens: int = Field(default=6, ge=1, le=256)
    trust_remote_code: bool = False
    local_files_only: bool | None = None
    cache_dir: Path | None = None


class CallableOptions(BackendOptions):
    """Options of :class:`~wattprint.backends.callable.CallableBackend`.

    Attributes:
        name: Name recorded for the model (default: the reference).
    """

    name: str | None = None


Claims = Callable[[str, ModelRef], bool]
"""``claims(task_id, ref) -> bool``: whether a backend runs ``ref`` on ``task_id``."""
Make = Callable[[str, ModelRef, dict[str, Any]], Backend]
"""``make(task_id, ref, settings) -> Backend`` (not loaded); ``settings`` are checked."""


def _construct(cls: type[Backend]) -> Make:
    def make(task_id: str, ref: ModelRef, settings: dict[str, Any]) -> Backend:
        return cls(task_id, ref.text, **settings)  # type: ignore[call-arg]
    return make


@dataclass(frozen=True)
class BackendKind:
    """A registered backend.

    Attributes:
        name: Registry name (``transformers`` ...).
        cls: The backend class.
        options: Its typed options (what a suite's ``settings:`` may set).
        claims: Whether it runs a model reference on a task (:data:`Claims`).
        make: Builds it (:data:`Make`); by default ``cls(task_id, model, **settings)``.
    """

    name: str
    cls: type[Backend]
    options: type[BackendOptions]
    claims: Claims
    make: Make

    def takes(self) -> frozenset[str]:
        """The names its constructor takes by keyword only (run settings, code-only values)."""
        params = inspect.signature(self.cls.__init__).parameters
        return frozenset(n for n, p in params.items() if p.kind == p.KEYWORD_ONLY)


BACKENDS: dict[str, BackendKind] = {}
"""Backend name → :class:`BackendKind`, in registration order (:func:`backend_for` asks the
last registered first, so a plugin's backend may take over some of the jobs of a built-in
one)."""


def register_backend(name: str, cls: type[Backend], options: type[BackendOptions],
                     claims: Claims, make: Make | None = None) -> BackendKind:
    """Add a backend to :data:`BACKENDS` (replacing one of the same name).

    Args:
        name: Registry name.
        cls: The backend class.
        options: Its typed options.
        claims: ``(task_id, ref) -> bool``: the jobs it runs.
        make: How to build it, when not ``cls(task_id, model, **settings)``.
    """
    kind = BackendKind(name, cls, options, claims, make or _construct(cls))
    BACKENDS.pop(name, None)
    BACKENDS[name] = kind
    return kind


def get_backend(name: str) -> BackendKind:
    """The registered backend called ``name``.

    Raises:
        ConfigError: unknown name, with the valid ones.
    """
    try:
        return BACKENDS[name]
    except KeyError:
        raise unknown_choice("backend", name, BACKENDS) from None


def backend_for(task_id: str, ref: ModelRef) -> str:
    """The name of the backend that runs ``ref`` on ``task_id``: the last registered that claims it.

    Raises:
        ConfigError: no registered backend runs it (says what the built-in ones run and how
            to add a task or a backend).
    """
    for kind in reversed(BACKENDS.values()):
        if kind.claims(task_id, ref):
            return kind.name
    raise ConfigError(
        f"no backend runs the {ref.kind} model {ref.text!r} on task {task_id!r}: transformers "
        f"runs {', '.join(HF_TASKS)}; diffusers runs text-to-image; the solver runs "
        f"{', '.join(SOLVER_TASKS)} on a causal LM; a callable model "
        "(callable:module:function) runs any task. A registered task runs on transformers "
        "models once wattprint.backends.hf_tasks.register_hf_task lists it; a new backend is "
        "added with wattprint.backends.registry.register_backend")


def _zoo_library(ref: ModelRef) -> str | None:
    from wattprint.backends.zoo import SPECS

    spec = SPECS.get(ref.name)
    return None if spec is None else spec.library


def _callable_claims(task_id: str, ref: ModelRef) -> bool:
    return ref.kind == "callable"


def _diffusers_claims(task_id: str, ref: ModelRef) -> bool:
    if ref.kind == "zoo":
        return _zoo_library(ref) == "diffusers"
    return ref.kind != "callable" and task_id == "text-to-image"


def _transformers_claims(task_id: str, ref: ModelRef) -> bool:
    if ref.kind == "zoo":
        # a zoo model of another task comes here too, so the loader can say why it cannot
        return _zoo_library(ref) != "diffusers"
    return ref.kind != "callable" and task_id in HF_TASKS


def _make_callable(task_id: str, ref: ModelRef, settings: dict[str, Any]) -> Backend:
    return CallableBackend(ref.name, name=settings.get("name") or ref.text)


register_backend("transformers", TransformersBackend, TransformersOptions, _transformers_claims)
register_backend("diffusers", DiffusersBackend, DiffusersOptions, _diffusers_claims)
register_backend("callable", CallableBackend, CallableOptions, _callable_claims, _make_callable)
register_backend("solver", SolverBackend, SolverOptions, solver_claims)


def option_problems(backend: str, options: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Check backend options against the backend's typed options.

    Returns:
        ``(key, message)`` per problem (unknown keys with "did you mean", wrong types);
        empty when the options are valid.
    """
    model = get_backend(backend).options
    try:
        model.model_validate(dict(options))
    except ValidationError as err:
        valid = list(model.model_fields)
        out = []
        for e in err.errors():
            key = str(e["loc"][0]) if e["loc"] else ""
            if e["type"] == "extra_forbidden":
                out.append((key, f"unknown {backend} option {key!r}{did_you_mean(key, valid)}; "
                                 f"valid: {', '.join(valid)}"))
            else:
                out.append((key, f"{backend} option {key!r}: {e['msg']} (got {e.get('input')!r})"))
        return out
    return []


def checked_options(backend: str, options: Mapping[str, Any]) -> BackendOptions:
    """The options as the backend's typed model.

    Raises:
        ConfigError: naming each bad key (see :func:`option_problems`).
    """
    problems = option_problems(backend, options)
    if problems:
        raise ConfigError("; ".join(msg for _, msg in problems))
    return get_backend(backend).options.model_validate(dict(options))
