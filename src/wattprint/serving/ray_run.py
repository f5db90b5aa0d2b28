"""Serving suites on Ray: each serving job (its engine launch or endpoint, and its loads) runs
as one Ray task on a node, measured there with that node's meters; its points stream back.

Ray is imported only when this module's :class:`RayServingRunner` is built (``wattprint run
SUITE --executor ray``). The resource rules are those of the Ray executor of the harness
(docs/ray.md): a job with ``device: cuda`` asks for ``gpus_per_job`` GPUs (default one whole
GPU) and one CPU; a CPU job asks for every CPU of a node so that it runs alone there, unless
``cpus_per_job`` allows sharing.

The worker runs :class:`~wattprint.serving.session.ServingSession` (launch, meters, load,
attribution) and yields, in order: ``("where", dict)``, ``("run", run_id)``, then each
``("point", ServingPoint)`` as it finishes, ``("lost", (arrivals, reason))`` for a point whose
energy could not be measured, ``("log", str)`` progress lines, and ``("error", str)`` when the
session stopped on an error. The driver alone writes points to the store. A worker that dies
leaves the job's unreported load points lost with the reason; the other jobs go on.
"""

from __future__ import annotations

import os
import queue
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from wattprint.cluster import alive_resource, ray_resources
from wattprint.errors import WattprintError, import_ray
from wattprint.results.serving_record import ServingPoint
from wattprint.serving.session import ServingSession
from wattprint.serving.suite import ServingJob, job_config, suite_run_id

_DONE = object()


def _describe(err: BaseException) -> str:
    msg = str(err).strip()
    return f"{type(err).__name__}: {msg}" if msg else type(err).__name__


def run_job_on_node(job: ServingJob, suite: str, done_by_run: dict[str, set[str]],
                    environment: Callable[[], dict[str, Any]]) -> Iterator[tuple[str, Any]]:
    """Run one serving job here (a Ray worker), yielding tagged items (see the module doc).

    Args:
        job: The suite's job (its placeholders are filled here: ``{bin}``, ``build`` are this
            node's).
        suite: Suite name.
        done_by_run: Point ids already stored, per run id (the session skips them: resume).
        environment: Returns this node's environment fingerprint (stored with each point,
            with ``ray``: the node id, hostname and GPU ids Ray gave the job).
    """
    ray = import_ray()
    ctx = ray.get_runtime_context()
    where = {"hostname": socket.gethostname(), "node_id": ctx.get_node_id(),
             "gpu_ids": [str(g) for g in ray.get_gpu_ids()],
             "cuda_visible_devices": os.environ.get("CUDA_VISIBLE_DEVICES")}
    yield ("where", where)
    q: queue.Queue[Any] = queue.Queue()

    def log(m: str) -> None:
        q.put(("log", m))

    def target() -> None:
        try:
            cfg = job_config(job, log)
            run_id = suite_run_id(suite, job.name, cfg)
            q.put(("run", run_id))
            session = ServingSession(cfg, run_id, suite=suite, environment={**environment(), "ray": where},
                                     log=log, done=done_by_run.get(run_id, set()),
                                     on_point=lambda p: q.put(("point", p)))
            try:
                session.run()
            finally:
                for lost in session.lost:
                    q.put(("lost", lost))
        except BaseException as err:  # reported to the driver, never a hang
            q.put(("error", _describe(err)))
        finally:
            q.put(_DONE)

    t = threading.Thread(target=target, name=f"wattprint-serving-{job.name}", daemon=True)
    t.start()
    while (item := q.get()) is not _DONE:
        yield item
    t.join()


def expected_labels(job: ServingJob) -> list[str]:
    """Labels of the load points a job will measure (``sweep`` when the sweep decides them)."""
    return [entry.arrivals().label for entry in job.loads] or ["sweep"]


@dataclass
class JobOutcome:
    """What came back from one job: its run id, node, new points and lost points."""

    job: ServingJob
    run_id: str | None = None
    where: dict[str, Any] = field(default_factory=dict)
    points: list[ServingPoint] = field(default_factory=list)
    lost: list[tuple[str, str]] = field(default_factory=list)
    error: str | None = None


class RayServingRunner:
    """Serving jobs as Ray tasks with the harness's resource rules; points stream to the driver.

    Args:
        address: Ray cluster address; None starts (or joins via ``RAY_ADDRESS``) a local Ray.
            An already initialised Ray is used as it is (and not shut down).
        gpus_per_job: GPUs a ``device: cuda`` job asks for (default 1).
        cpus_per_job: CPUs a CPU job asks for; None: every CPU of a node (the job runs alone).
    """

    def __init__(self, *, address: str | None = None, gpus_per_job: float = 1.0,
                 cpus_per_job: float | None = None) -> None:
        self._ray = import_ray()
        self.gpus_per_job, self.cpus_per_job = gpus_per_job, cpus_per_job
        self._started = False
        if not self._ray.is_initialized():
            try:
                self._ray.init(address=address, include_dashboard=False, log_to_driver=False)
            except Exception as err:
                where = address or os.environ.get("RAY_ADDRESS") or "a new local Ray"
                raise WattprintError(f"cannot start or join Ray at {where}: {err}") from err
            self._started = True
        self._remote = self._ray.remote(max_retries=0, max_calls=1)(run_job_on_node)

    def resources_for(self, job: ServingJob) -> tuple[dict[str, float], bool]:
        """Ray options for one job, and whether it may share its node with other jobs."""
        nodes = self._ray.nodes()
        return ray_resources(wants_gpu=job.device == "cuda",
                             what=f"serving job {job.name!r} wants a GPU (device: cuda)",
                             node_cpus=alive_resource(nodes, "CPU"),
                             node_gpus=alive_resource(nodes, "GPU"),
                             gpus_per_job=self.gpus_per_job, cpus_per_job=self.cpus_per_job)

    def run(self, suite: str, jobs: list[ServingJob], done_by_run: dict[str, set[str]],
            environment: Callable[[], dict[str, Any]],
            on_point: Callable[[ServingPoint], None],
            log: Callable[[str], None]) -> list[JobOutcome]:
        """Submit every job, hand each point to ``on_point`` as it arrives (the driver stores
        it), and return each job's outcome. A dead worker's unreported points are ``lost``."""
        ray = self._ray
        from ray.exceptions import RayError, RayTaskError

        plans = {job.name: self.resources_for(job) for job in jobs}
        live: dict[Any, JobOutcome] = {}
        outcomes: list[JobOutcome] = []
        for job in jobs:
            options, _ = plans[job.name]
            gen = self._remote.options(**options, name=f"wattprint:serving:{job.name}").remote(
                job, suite, done_by_run, environment)
            live[gen] = out = JobOutcome(job)
            outcomes.append(out)
            log(f"{job.name}: queued ({', '.join(f'{k}={v:g}' for k, v in options.items())})")

        def dead(out: JobOutcome, reason: str) -> None:
            done = done_by_run.get(out.run_id or "", set())
            have = {p.arrivals for p in out.points} | {a for a, _ in out.lost}
            for label in expected_labels(out.job):
                stored = any(pid.endswith(":" + label) for pid in done)
                if label not in have and not stored:
                    out.lost.append((label, reason))
            out.error = reason

        while live:
            ready, _ = ray.wait(list(live), num_returns=1)
            gen = ready[0]
            out = live[gen]
            try:
                item = ray.get(next(gen))
            except StopIteration:
                del live[gen]
                continue
            except RayTaskError as err:  # an exception escaped the worker
                del live[gen]
                dead(out, f"worker failed: {_describe(err.cause or err)}")
                continue
            except RayError as err:  # worker process or node died
                del live[gen]
                where = out.where.get("hostname") or "its node"
                dead(out, f"worker on {where} died: {type(err).__name__}")
                log(f"{out.job.name}: {out.error}")
                continue
            tag, value = item
            if tag == "where":
                out.where = dict(value)
                log(f"{out.job.name}: running on {value.get('hostname')}")
            elif tag == "run":
                out.run_id = value
            elif tag == "point":
                out.points.append(value)
                on_point(value)
            elif tag == "lost":
                out.lost.append(tuple(value))
            elif tag == "log":
                log(f"{out.job.name}: {value}")
            elif tag == "error":
                dead(out, value)
                log(f"{out.job.name}: stopped: {value}")
        return outcomes

    def close(self) -> None:
        """Shut Ray down if this runner started it."""
        if self._started and self._ray.is_initialized():
            self._ray.shutdown()
        self._started = False
