"""What runs inside a job's worker process: the measurement protocol for one job.

The protocol (the study's, with its gaps fixed):

1. prepare the inputs (not measured);
2. load the model, measured as its own ``load`` window;
3. warm up (``warmup`` unmeasured inferences);
4. measure an idle baseline (``idle_s`` seconds) so every later window reports total and
   idle-subtracted (dynamic) energy;
5. for each repetition, ``n`` inferences measured as ONE ``query`` window, with the device
   synchronised before the window opens and before it closes (the meter calls the backend's
   ``sync``); predictions are kept in a list and scored after the window closed.

Each repetition yields one :class:`~wattprint.results.schema.JobResult`, handed to ``emit`` as
soon as it exists. Anything that raises becomes a ``failed`` result with the reason; nothing
here ever reports an energy it did not measure.

The factories (meter, task, inputs, backend) come from a :class:`Toolkit`, so tests and other
executors can inject their own; every field is a picklable top-level callable.
"""

from __future__ import annotations

import datetime as _dt
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from wattprint.backends.base import Backend, ModelInfo
from wattprint.errors import ConfigError, TaskError
from wattprint.harness.plan import Job
from wattprint.meters.base import EnergyResult
from wattprint.results.schema import STATUS_FAILED, STATUS_OK, JobResult
from wattprint.tasks.base import Example, Prediction, Task


class WindowMeter(Protocol):
    """What the worker needs from a meter (``wattprint.meters.energy_meter.EnergyMeter``)."""

    def begin(self, label: str) -> None:
        """Start measuring a phase called ``label``."""

    def end(self, label: str) -> EnergyResult:
        """Stop measuring the phase ``label`` and return its energy (J per domain)."""

    def measure_idle(self, duration_s: float) -> Any:
        """Measure the idle machine for ``duration_s`` seconds."""

    def close(self) -> None:
        """Release the meters. Idempotent."""


# ---- default factories (the project's real implementations, imported lazily) -------------


def default_meter_factory(job: Job, sync: Callable[[], None]) -> WindowMeter:
    """An :class:`EnergyMeter` for the job's device, calling ``sync`` around every window.

    A job charges only what it uses: ``cuda:N`` measures that GPU, ``cuda`` GPU 0, ``auto``
    every visible GPU (the backend may use any), and ``cpu``/``mps`` jobs measure no NVIDIA GPU
    at all (idle GPUs on the server are not the job's energy).
    """
    from wattprint.meters.energy_meter import DEFAULT_COMPONENTS, EnergyMeter

    gpus: list[int] | None = None
    components = DEFAULT_COMPONENTS
    device = job.settings.device
    if device.startswith("cuda"):
        _, _, idx = device.partition(":")
        gpus = [int(idx)] if idx.isdigit() else [0]
    elif device != "auto":
        components = tuple(c for c in DEFAULT_COMPONENTS if c != "gpu")
    return EnergyMeter(gpus=gpus, sync=sync, components=components)


def default_task_loader(task_id: str) -> Task:
    """The registered task (``wattprint.tasks.registry.get_task``)."""
    from wattprint.tasks.registry import get_task

    return get_task(task_id)


def default_examples_loader(task: Task, job: Job) -> list[Example]:
    """The job's ``n`` inputs (``wattprint.tasks.inputs.load_examples``)."""
    from wattprint.tasks.inputs import load_examples

    ensure_real_weights(job)
    s = job.settings
    return list(load_examples(task, job.dataset, n=s.n, split=s.split, config=s.config,
                              seed=s.seed))


def ensure_real_weights(job: Job) -> None:
    """Build the job's ``wattprint-zoo/`` model and data set if the cache lacks them (before
    any window: building is not the job's energy). See :mod:`wattprint.backends.weights`."""
    from wattprint.backends.weights import ensure, is_local_id

    if is_local_id(job.model):
        ensure(job.model, "model")
    if job.dataset.startswith("hf:") and is_local_id(job.dataset[3:]):
        ensure(job.dataset[3:], "dataset")


def default_backend_loader(job: Job) -> Backend:
    """The job's backend, not yet loaded (``wattprint.backends.loader.load_backend``).

    The backend gets the job's run settings it takes and the job's backend options. A zoo
    model is built (or found in its cache) here, before the ``load`` window, so that window
    measures loading the model, not building it.
    """
    from wattprint.backends.base import RunSettings
    from wattprint.backends.loader import load_backend
    from wattprint.backends.model_ref import ModelRef
    from wattprint.backends.zoo import resolve_model

    ensure_real_weights(job)
    if ModelRef.parse(job.model).kind == "zoo":
        resolve_model(job.model)
    s = job.settings
    run = RunSettings(device=s.device, dtype=s.dtype, batch_size=s.batch_size,
                      revision=job.revision, generation=dict(s.generation), mode=job.mode,
                      seed=s.seed)
    return load_backend(job.task, job.model, run=run, **s.settings)


@dataclass(frozen=True)
class Toolkit:
    """The factories a worker uses. Each must be a picklable top-level callable.

    Attributes:
        meter_factory: ``(job, sync) -> meter`` with ``begin/end/measure_idle/close``.
        task_loader: ``task_id -> Task``.
        examples_loader: ``(task, job) -> list[Example]`` (exactly ``job.settings.n`` of them).
        backend_loader: ``job -> Backend`` (not yet loaded).
    """

    meter_factory: Callable[[Job, Callable[[], None]], WindowMeter] = default_meter_factory
    task_loader: Callable[[str], Task] = default_task_loader
    examples_loader: Callable[[Task, Job], list[Example]] = default_examples_loader
    backend_loader: Callable[[Job], Backend] = default_backend_loader


# ---- the protocol ----------------------------------------------------------------------


def describe_error(err: BaseException) -> str:
    """``"Type: message"`` of an exception (its type alone when the message is empty)."""
    msg = str(err).strip()
    return f"{type(err).__name__}: {msg}" if msg else type(err).__name__


def now_iso() -> str:
    """The current UTC time, ISO 8601."""
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def failed_result(job: Job, repetition: int, error: str, *, run_id: str | None = None,
                  environment: dict[str, Any] | None = None, attempt: int = 1) -> JobResult:
    """The record of a repetition that did not produce a measurement, with the reason."""
    s = job.settings
    return JobResult(
        job_id=job.job_id, repetition=repetition, task=job.task, model=job.model,
        dataset=job.dataset, n=s.n, status=STATUS_FAILED, duration_s=None, error=error,
        run_id=run_id, suite=job.suite, model_revision=job.revision, batch_size=s.batch_size,
        device=s.device, dtype=s.dtype, split=s.split, dataset_config=s.config,
        settings=job_settings(job), environment=dict(environment or {}),
        hardware_id=job.hardware_id, attempt=attempt, created_at=now_iso(), mode=job.mode,
        model_fingerprint=job.model_fingerprint)


def job_settings(job: Job) -> dict[str, Any]:
    """Everything about a job's run that is not a JobResult field of its own."""
    s = job.settings
    return {"generation": dict(s.generation), "warmup": s.warmup, "idle_s": s.idle_s,
            "seed": s.seed, "repeat": s.repeat, "backend_settings": dict(s.settings)}


def run_window(backend: Backend, examples: Sequence[Example], batch_size: int) -> list[Prediction]:
    """Run every example through the backend (the body of a measured window).

    Kept minimal on purpose: a list append per inference is all the harness adds.
    """
    if batch_size == 1:
        infer = backend.infer
        return [infer(ex) for ex in examples]
    infer_batch = getattr(backend, "infer_batch", None)
    if infer_batch is None:
        raise ConfigError(f"batch_size {batch_size}: backend {type(backend).__name__} runs one "
                          "input at a time (it has no infer_batch); use batch_size 1")
    preds: list[Prediction] = []
    for i in range(0, len(examples), batch_size):
        preds.extend(infer_batch(list(examples[i:i + batch_size])))
    return preds


def execute_job(job: Job, toolkit: Toolkit, emit: Callable[[JobResult], None], *,
                run_id: str | None = None, environment: dict[str, Any] | None = None,
                on_phase: Callable[[str], None] | None = None) -> None:
    """Run one job's protocol in this process, emitting one result per repetition.

    Args:
        job: The job; only ``job.repetitions`` are run.
        toolkit: Factories for the meter, task, inputs and backend.
        emit: Called with each repetition's result as soon as it exists.
        run_id: Id of the invocation, recorded in every result.
        environment: The environment fingerprint (computed here when None).
        on_phase: Called with the phase name (``load``, ``warmup``, ``idle``, ``query 2/5``).

    Never raises for a model fault: every repetition of ``job.repetitions`` gets a result,
    ``failed`` with the reason when something went wrong.
    """
    if environment is None:
        from wattprint.harness.environment import fingerprint

        environment = fingerprint()
    phase = on_phase or (lambda _name: None)
    pending = list(job.repetitions)

    def fail_rest(reason: str) -> None:
        while pending:
            emit(failed_result(job, pending.pop(0), reason, run_id=run_id, environment=environment))

    backend: Backend | None = None
    meter: WindowMeter | None = None
    try:
        phase("prepare")
        task = toolkit.task_loader(job.task)
        examples = toolkit.examples_loader(task, job)
        if len(examples) != job.settings.n:
            raise TaskError(f"dataset {job.dataset!r} gave {len(examples)} inputs, "
                            f"{job.settings.n} asked")
        backend = toolkit.backend_loader(job)
        meter = toolkit.meter_factory(job, backend.sync)
        detection = [d.to_dict() if hasattr(d, "to_dict") else str(d)
                     for d in getattr(meter, "detection", []) or []]
        phase("load")
        meter.begin("load")
        info = backend.load()
        load_window = meter.end("load")
        if job.settings.warmup > 0:
            phase("warmup")
            backend.warmup(examples[0], job.settings.warmup)
        phases: dict[str, EnergyResult] = {"load": load_window}
        idle_power_w: dict[str, float] = {}
        if job.settings.idle_s > 0:
            phase("idle")
            # measure_idle sets the baseline later windows subtract; the enclosing "idle"
            # window keeps the idle period's own energy as a phase record
            meter.begin("idle")
            idle = meter.measure_idle(job.settings.idle_s)
            phases["idle"] = meter.end("idle")
            idle_power_w = {str(k): float(v) for k, v in dict(idle).items()}
    except Exception as err:  # the model or its inputs failed before any window: all reps fail
        fail_rest(describe_error(err) + _where(err))
        _cleanup(meter, backend)
        return

    total = len(pending)
    try:
        while pending:
            rep = pending[0]
            phase(f"query {total - len(pending) + 1}/{total}")
            meter.begin("query")
            try:
                preds = run_window(backend, examples, job.settings.batch_size)
            except BaseException:
                _abandon_window(meter)
                raise
            window = meter.end("query")
            result = _ok_result(job, rep, window, preds, examples, task, info, phases,
                                idle_power_w, run_id=run_id, environment=environment,
                                detection=detection)
            pending.pop(0)
            emit(result)
    except Exception as err:
        reason = describe_error(err) + _where(err)
        first = pending.pop(0)
        emit(failed_result(job, first, reason, run_id=run_id, environment=environment))
        fail_rest(f"not run: repetition {first} failed ({reason})")
    finally:
        _cleanup(meter, backend)


def _ok_result(job: Job, rep: int, window: EnergyResult, preds: list[Prediction],
               examples: Sequence[Example], task: Task, info: ModelInfo,
               phases: dict[str, EnergyResult], idle_power_w: dict[str, float], *,
               run_id: str | None, environment: dict[str, Any],
               detection: list[Any] | None = None) -> JobResult:
    extra: dict[str, Any] = {}
    if detection:
        extra["meter_detection"] = detection
    try:
        quality = {k: float(v) for k, v in task.score(preds, examples).items()}
    except Exception as err:  # scoring must not discard a measurement
        quality = {}
        extra["quality_error"] = describe_error(err)
    out_tokens = [p.output_tokens for p in preds if p.output_tokens is not None]
    in_tokens = [p.input_tokens for p in preds if p.input_tokens is not None]
    if idle_power_w:
        extra["idle_power_w"] = idle_power_w
    from wattprint.tasks.inputs import DATASET_COMMIT

    commits = {e.meta.get(DATASET_COMMIT) for e in examples}
    if len(commits) == 1 and None not in commits:   # a wattprint-zoo/ data set's snapshot
        extra[DATASET_COMMIT] = commits.pop()
    if info.extra:
        extra["model_info"] = dict(info.extra)
    s = job.settings
    return JobResult(
        job_id=job.job_id, repetition=rep, task=job.task, model=job.model, dataset=job.dataset,
        n=s.n, status=STATUS_OK, duration_s=window.duration_s, domains=window.domains,
        run_id=run_id, suite=job.suite, model_revision=info.revision or job.revision,
        weights=info.weights, backend=info.backend, dataset_config=s.config, split=s.split,
        work_unit=task.work_unit,
        work_units=float(sum(p.work_units for p in preds)),
        input_tokens=sum(in_tokens) if len(in_tokens) == len(preds) and preds else None,
        output_tokens=sum(out_tokens) if len(out_tokens) == len(preds) and preds else None,
        batch_size=s.batch_size, device=info.device or s.device, dtype=info.dtype or s.dtype,
        settings=job_settings(job), quality=quality, phases=dict(phases),
        environment=dict(environment), hardware_id=job.hardware_id, created_at=now_iso(),
        mode=job.mode, model_fingerprint=job.model_fingerprint or _commit(info.revision),
        parameters=info.parameters, warnings=tuple(window.warnings),
        host_activity=window.host_activity, extra=extra)


def _commit(revision: str | None) -> str | None:
    """The fingerprint of a hub model known only after loading it: its snapshot commit."""
    return f"commit:{revision}" if revision else None


def _where(err: BaseException) -> str:
    """`` (at file:line in function)`` of the innermost frame, to locate a model's fault."""
    tb = traceback.extract_tb(err.__traceback__)
    if not tb:
        return ""
    f = tb[-1]
    return f" (at {f.filename.rsplit('/', 1)[-1]}:{f.lineno} in {f.name})"


def _abandon_window(meter: WindowMeter) -> None:
    """Close a window whose inferences raised, discarding its energy."""
    abort = getattr(meter, "abort", None)
    try:
        if abort is not None:
            abort("query")
        else:
            meter.end("query")
    except Exception:
        pass


def _cleanup(meter: WindowMeter | None, backend: Backend | None) -> None:
    for fn in (None if backend is None else backend.unload, None if meter is None else meter.close):
        if fn is not None:
            try:
                fn()
            except Exception:
                pass
