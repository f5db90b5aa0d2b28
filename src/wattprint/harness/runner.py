"""The driver: run a suite's jobs through an executor and write every result to the sinks.

Resume: before running, the driver asks the sinks which ``(job_id, repetition)`` pairs are
already complete (status ``ok``) and runs only the rest. Each result is written as soon as it
arrives, so a run killed at any moment loses at most the repetition in flight, and running it
again finishes what is missing without duplicating anything.
"""

from __future__ import annotations

import datetime as _dt
import sys
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from wattprint.carbon.record import CarbonRecord
from wattprint.harness.executors.base import Executor
from wattprint.harness.plan import Job, Suite
from wattprint.harness.sinks import Key, Sink
from wattprint.results.schema import STATUS_OK, JobResult


def new_run_id() -> str:
    """A fresh run id: UTC time plus a random suffix (``20261121T083000Z-1a2b3c``)."""
    stamp = _dt.datetime.now(_dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    return f"{stamp}-{uuid.uuid4().hex[:6]}"


@dataclass
class RunOutcome:
    """What a run did.

    Attributes:
        run_id: This invocation's id.
        suite: Suite name.
        jobs: Every job of the plan (including the ones resumed from the store).
        results: Results produced by this run, in arrival order.
        skipped: ``(job_id, repetition)`` pairs already complete before this run.
        previous: Stored results of the skipped pairs, when a sink could return them.
    """

    run_id: str
    suite: str
    jobs: list[Job]
    results: list[JobResult] = field(default_factory=list)
    skipped: set[Key] = field(default_factory=set)
    previous: list[JobResult] = field(default_factory=list)

    @property
    def failed(self) -> list[JobResult]:
        """This run's failed results."""
        return [r for r in self.results if r.status != STATUS_OK]

    def all_results(self) -> list[JobResult]:
        """Previous (resumed) ok results plus this run's, for the summary."""
        return [*self.previous, *self.results]


def pending_jobs(jobs: Sequence[Job], completed: set[Key]) -> list[Job]:
    """Jobs narrowed to the repetitions not yet complete; fully complete jobs are dropped."""
    out = []
    for job in jobs:
        reps = [r for r in job.repetitions if (job.job_id, r) not in completed]
        if reps:
            out.append(job.with_repetitions(reps))
    return out


def run_jobs(jobs: Sequence[Job], *, executor: Executor, sinks: Sequence[Sink],
             suite: Suite | None = None, run_id: str | None = None,
             environment: dict[str, Any] | None = None, resume: bool = True,
             progress: bool | None = None,
             carbon: CarbonRecord | None = None) -> RunOutcome:
    """Run jobs, writing each result to every sink as it arrives.

    Args:
        jobs: Expanded jobs (see :meth:`Suite.expand`).
        executor: Where the jobs run (a :class:`LocalExecutor` by default in the CLI).
        sinks: Where results go (JSONL file, store ...); the driver is their only writer.
        suite: The suite, recorded with the run.
        run_id: This invocation's id (a fresh one by default).
        environment: The driver's environment fingerprint, recorded with the run.
        resume: Skip ``(job_id, repetition)`` pairs a sink reports complete.
        progress: Show a progress bar (default: only when stderr is a terminal).
        carbon: The grid intensity to record with every result that has none
            (:func:`wattprint.carbon.record.run_carbon_record`), so reports can convert each
            provenance's energy to g CO2eq; None records nothing.

    Returns:
        The run's outcome. Sink failures propagate (after stopping the worker).
    """
    run_id = run_id or new_run_id()
    suite_name = suite.name if suite else (jobs[0].suite if jobs else "adhoc")
    if environment is None:
        from wattprint.harness.environment import fingerprint

        environment = fingerprint()
    completed: set[Key] = set()
    if resume:
        ids = [j.job_id for j in jobs]
        for sink in sinks:
            completed |= sink.completed_keys(ids)
    todo = pending_jobs(jobs, completed)
    wanted = {(j.job_id, r) for j in jobs for r in j.repetitions}
    outcome = RunOutcome(run_id=run_id, suite=suite_name, jobs=list(jobs),
                         skipped=completed & wanted)
    if outcome.skipped:
        for sink in sinks:
            stored = getattr(sink, "stored", None)
            if stored is not None:
                keep = {k for k in outcome.skipped}
                outcome.previous = [r for r in stored({k[0] for k in keep})
                                    if (r.job_id, r.repetition) in keep and r.status == STATUS_OK]
                break
    config = suite.config() if suite else {"jobs": [j.label for j in jobs]}
    for sink in sinks:
        sink.begin_run(run_id, suite_name, config, environment)
    total = sum(len(j.repetitions) for j in todo)
    with _progress(total, progress) as bar:
        def on_result(result: JobResult) -> None:
            if carbon is not None and result.carbon is None:
                result = result.with_(carbon=carbon)
            for sink in sinks:
                sink.write(result)
            outcome.results.append(result)
            bar.advance(result)

        executor.run(todo, on_result, run_id=run_id, on_phase=bar.phase)
    return outcome


class _Bar:
    """A rich progress bar over repetitions, with ETA; silent when disabled."""

    def __init__(self, progress: Any, task_id: Any) -> None:
        self._p = progress
        self._t = task_id
        self.failed = 0

    def advance(self, result: JobResult) -> None:
        if result.status != STATUS_OK:
            self.failed += 1
        if self._p is not None:
            self._p.advance(self._t)
            if self.failed:
                self._p.update(self._t, failed=f"[red]{self.failed} failed[/red]")

    def phase(self, job: Job, phase: str) -> None:
        if self._p is not None:
            self._p.update(self._t, description=f"{job.task} · {_short(job.model)} · "
                                                f"{job.dataset}", phase=phase)


def _short(model: str, width: int = 32) -> str:
    return model if len(model) <= width else "…" + model[-(width - 1):]


@contextmanager
def _progress(total: int, enabled: bool | None) -> Iterator[_Bar]:
    from rich.console import Console

    console = Console(stderr=True)
    if enabled is None:
        enabled = console.is_terminal and sys.stderr.isatty()
    if not enabled or total == 0:
        yield _Bar(None, None)
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    # names are data: the description column is never parsed as markup or emoji codes
    with Progress(TextColumn("{task.description}", markup=False),
                  TextColumn("{task.fields[phase]}", style="dim", markup=False),
                  BarColumn(), MofNCompleteColumn(),
                  TextColumn("{task.fields[failed]}"), TimeElapsedColumn(),
                  TextColumn("ETA"), TimeRemainingColumn(), console=console,
                  transient=False) as p:
        yield _Bar(p, p.add_task("starting", total=total, failed="", phase=""))
