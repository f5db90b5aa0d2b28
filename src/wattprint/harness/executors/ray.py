"""Run jobs on a Ray cluster: one Ray task per job, results streamed back to the driver.

Ray is imported only when this executor is asked for (``--executor ray``) and is an optional
extra (``pip install wattprint[ray]``). The project grows no scheduler of its own: each job
is a Ray *generator task* that declares the resources it needs, and Ray places it.

Resources (so that measured jobs do not distort each other):

* a job on a GPU (``device`` ``cuda``…) asks for one whole GPU (``gpus_per_job``, default 1),
  so no two measured jobs share a GPU. Ray sets ``CUDA_VISIBLE_DEVICES`` for the task and the
  meter honours it, so ``gpu:0`` in the result is the GPU Ray gave the job; the physical
  GPU is recorded in ``JobResult.gpu``.
* a CPU job asks for every CPU of a node (so it runs alone there) unless the user allows
  sharing with ``cpus_per_job``; then results record ``shared=True`` (co-located jobs
  distort machine-scope energy).

Each task runs its job in a fresh Ray worker process (``max_calls=1``), like the local
executor's one process per job. Results are yielded one repetition at a time and the driver
hands each to ``on_result`` as it arrives; the driver alone writes to the store.

Faults: a job that fails by itself (model raises, OOM) is already a ``failed`` result from
the worker and is never retried. A job whose worker process or node dies is resubmitted for
its missing repetitions, up to ``max_attempts`` in all; every result carries ``attempt`` (1 for
a first try) and the retry reason in ``extra["retries"]``. When attempts run out, the missing
repetitions are recorded ``failed`` with the reason.
"""

from __future__ import annotations

import os
import queue
import socket
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from wattprint.cluster import alive_resource, ray_resources
from wattprint.errors import ConfigError, WattprintError, import_ray
from wattprint.harness.executors.base import Executor, PhaseCallback, ResultCallback
from wattprint.harness.plan import Job
from wattprint.harness.worker import Toolkit, describe_error, execute_job, failed_result
from wattprint.results.schema import JobResult

_DONE = object()


def where_am_i() -> dict[str, Any]:
    """Node and GPU of the current Ray worker: hostname, Ray node id, GPU ids/UUIDs given to it."""
    ray = import_ray()
    ctx = ray.get_runtime_context()
    gpu_ids = [str(g) for g in ray.get_gpu_ids()]
    return {"hostname": socket.gethostname(), "node_id": ctx.get_node_id(),
            "gpu_ids": gpu_ids, "cuda_visible_devices": os.environ.get("CUDA_VISIBLE_DEVICES")}


def run_job_streaming(job: Job, toolkit: Toolkit, run_id: str,
                      environment: dict[str, Any] | None) -> Iterator[Any]:
    """Run one job here, yielding ``("where", dict)`` first, then each repetition's JobResult.

    ``execute_job`` reports through a callback; it runs in a helper thread and its results
    are passed through a queue so this generator can yield them as they come.
    """
    yield ("where", where_am_i())
    q: queue.Queue[Any] = queue.Queue()

    def target() -> None:
        try:
            execute_job(job, toolkit, q.put, run_id=run_id, environment=environment)
        except BaseException as err:  # a harness bug: report it rather than hang
            q.put(("fatal", describe_error(err)))
        finally:
            q.put(_DONE)

    t = threading.Thread(target=target, name=f"wattprint-job-{job.job_id}", daemon=True)
    t.start()
    while True:
        item = q.get()  # blocks in the kernel; no spinning
        if item is _DONE:
            break
        yield item
    t.join()


def node_hardware_ids() -> list[str]:
    """Hardware id of every alive node (one tiny task pinned to each)."""
    ray = import_ray()
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    from wattprint.harness.environment import hardware_id

    remote = ray.remote(num_cpus=0)(hardware_id)
    refs = [remote.options(scheduling_strategy=NodeAffinitySchedulingStrategy(n["NodeID"], soft=False)).remote()
            for n in ray.nodes() if n.get("Alive")]
    return sorted(set(ray.get(refs)))


@dataclass
class _Attempt:
    job: Job
    attempt: int
    shared: bool = False
    reported: set[int] = field(default_factory=set)
    where: dict[str, Any] = field(default_factory=dict)


class RayExecutor(Executor):
    """Jobs as Ray tasks with declared resources; results streamed back to the driver.

    Args:
        toolkit: Factories the worker uses (the project's real ones by default).
        address: Ray cluster address (``auto``, ``ray://host:10001``, ``host:6379``); None starts
            (or joins, via ``RAY_ADDRESS``) a local Ray.
        gpus_per_job: GPUs a GPU job asks for (default 1: whole GPUs, never shared).
        cpus_per_job: CPUs a CPU job asks for. None (default): every CPU of a node, so the job
            runs alone on it; a smaller number lets jobs share nodes and marks results ``shared``.
        max_attempts: Tries per job when its worker or node dies (default 3).
        environment: Fingerprint to record (each worker computes its own node's when None).
        init_options: Extra keyword arguments for ``ray.init`` (e.g. ``num_cpus`` for a local Ray).
    """

    name = "ray"

    def __init__(self, toolkit: Toolkit | None = None, *, address: str | None = None,
                 gpus_per_job: float = 1.0, cpus_per_job: float | None = None,
                 max_attempts: int = 3, environment: dict[str, Any] | None = None,
                 init_options: dict[str, Any] | None = None) -> None:
        if max_attempts < 1:
            raise ConfigError(f"max_attempts must be >= 1, got {max_attempts}")
        if gpus_per_job <= 0:
            raise ConfigError(f"gpus_per_job must be > 0, got {gpus_per_job}")
        if cpus_per_job is not None and cpus_per_job <= 0:
            raise ConfigError(f"cpus_per_job must be > 0, got {cpus_per_job}")
        self.toolkit = toolkit or Toolkit()
        self.address = address
        self.gpus_per_job = gpus_per_job
        self.cpus_per_job = cpus_per_job
        self.max_attempts = max_attempts
        self.environment = environment
        self._ray = import_ray()
        self._started_ray = False
        if not self._ray.is_initialized():
            opts = dict(init_options or {})
            opts.setdefault("include_dashboard", False)
            opts.setdefault("log_to_driver", False)
            try:
                self._ray.init(address=address, **opts)
            except Exception as err:
                where = address or os.environ.get("RAY_ADDRESS") or "a new local Ray"
                raise WattprintError(f"cannot start or join Ray at {where}: {err}") from err
            self._started_ray = True
        self._remote = self._ray.remote(max_retries=0, max_calls=1)(run_job_streaming)
        self._hardware_id: str | None = None
        self._retries: dict[str, list[dict[str, Any]]] = {}

    # ---- cluster facts ----------------------------------------------------------------

    def _node_cpus(self) -> list[float]:
        return alive_resource(self._ray.nodes(), "CPU")

    def _node_gpus(self) -> list[float]:
        return alive_resource(self._ray.nodes(), "GPU")

    def hardware_id(self) -> str:
        """The nodes' hardware id: one node kind gives that kind's id (as the local executor)."""
        if self._hardware_id is None:
            ids = node_hardware_ids()
            if len(ids) == 1:
                self._hardware_id = ids[0]
            else:
                from wattprint.results.schema import job_id_for

                self._hardware_id = "mixed-" + job_id_for({"nodes": ids})[:12]
        return self._hardware_id

    def resources_for(self, job: Job) -> tuple[dict[str, float], bool]:
        """Ray options for one job, and whether it may share its node with other jobs."""
        wants_gpu = job.settings.device.startswith("cuda")
        return ray_resources(wants_gpu=wants_gpu,
                             what=f"job {job.label} wants a GPU ({job.settings.device})",
                             node_cpus=self._node_cpus(),
                             node_gpus=self._node_gpus() if wants_gpu else [],
                             gpus_per_job=self.gpus_per_job, cpus_per_job=self.cpus_per_job)

    # ---- running ----------------------------------------------------------------------

    def run(self, jobs: Sequence[Job], on_result: ResultCallback, *, run_id: str,
            on_phase: PhaseCallback | None = None) -> None:
        """Submit the jobs to Ray and report each result (or recorded failure) as it arrives."""
        ray = self._ray
        from ray.exceptions import RayError, RayTaskError

        live: dict[Any, _Attempt] = {}
        plans = {job.job_id: self.resources_for(job) for job in jobs}

        def submit(job: Job, attempt: int) -> None:
            options, shared = plans[job.job_id]
            gen = self._remote.options(**options, name=f"wattprint:{job.task}:{job.job_id}").remote(
                job, self.toolkit, run_id, self.environment)
            live[gen] = _Attempt(job, attempt, shared)
            if on_phase is not None:
                on_phase(job, "queued" if attempt == 1 else f"retry {attempt}/{self.max_attempts}")

        def finish(att: _Attempt, reason: str, retryable: bool) -> None:
            missing = [r for r in att.job.repetitions if r not in att.reported]
            if not missing:
                return
            job = att.job.with_repetitions(missing)
            if retryable and att.attempt < self.max_attempts:
                self._retries.setdefault(job.job_id, []).append(
                    {"attempt": att.attempt, "reason": reason, "node": att.where.get("hostname")})
                submit(job, att.attempt + 1)
                return
            tries = f" (after {att.attempt} attempt{'s' if att.attempt > 1 else ''})"
            for rep in missing:
                res = failed_result(att.job, rep, reason + tries, run_id=run_id,
                                    environment=self.environment or {}, attempt=att.attempt)
                on_result(self._annotate(res, att))

        self._retries.clear()
        for job in jobs:
            submit(job, 1)
        while live:
            ready, _ = ray.wait(list(live), num_returns=1)
            gen = ready[0]
            att = live[gen]
            try:
                ref = next(gen)
            except StopIteration:
                del live[gen]
                finish(att, "worker ended without reporting this repetition", retryable=False)
                continue
            try:
                item = ray.get(ref)
            except RayTaskError as err:  # an exception escaped the worker: not a node fault
                del live[gen]
                finish(att, f"worker failed: {describe_error(err.cause or err)}", retryable=False)
                continue
            except RayError as err:  # worker process or node died, object lost ...
                del live[gen]
                finish(att, f"worker or node died: {type(err).__name__}", retryable=True)
                continue
            if isinstance(item, tuple) and item and item[0] == "where":
                att.where = dict(item[1])
                if on_phase is not None:
                    on_phase(att.job, f"running on {att.where.get('hostname')}")
                continue
            if isinstance(item, tuple) and item and item[0] == "fatal":
                del live[gen]
                finish(att, f"worker failed: {item[1]}", retryable=False)
                continue
            result: JobResult = item
            att.reported.add(result.repetition)
            on_result(self._annotate(result, att))

    def _annotate(self, result: JobResult, att: _Attempt) -> JobResult:
        """Record where and on which try a result was produced, and whether its node was shared."""
        extra = dict(result.extra)
        extra["ray"] = {"node_id": att.where.get("node_id"), "gpu_ids": att.where.get("gpu_ids"),
                        "cuda_visible_devices": att.where.get("cuda_visible_devices")}
        retries = self._retries.get(att.job.job_id)
        if retries:
            extra["retries"] = list(retries)
        gpu = ",".join(att.where.get("gpu_ids") or []) or None
        return result.with_(node=att.where.get("hostname"), gpu=gpu, shared=att.shared,
                            attempt=att.attempt, extra=extra)

    def close(self) -> None:
        """Shut Ray down if this executor started it."""
        if self._started_ray and self._ray.is_initialized():
            self._ray.shutdown()
        self._started_ray = False
