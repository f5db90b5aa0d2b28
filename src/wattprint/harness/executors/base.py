"""The executor interface: run jobs, stream each repetition's result back to the driver.

An executor never writes results itself: it calls ``on_result`` in the driver process, in the
thread that called :meth:`Executor.run`, and the driver writes to its sinks. That keeps one
writer per store and lets a Ray executor (issue 7) plug in beside the local one.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Sequence

from wattprint.harness.plan import Job
from wattprint.results.schema import JobResult

ResultCallback = Callable[[JobResult], None]
"""Called once per repetition result, in the driver."""

PhaseCallback = Callable[[Job, str], None]
"""Called when a job enters a phase (``load``, ``warmup``, ``idle``, ``query 1/2``)."""


class Executor(abc.ABC):
    """Runs jobs and streams their results to the driver."""

    name: str = "executor"

    @abc.abstractmethod
    def run(self, jobs: Sequence[Job], on_result: ResultCallback, *, run_id: str,
            on_phase: PhaseCallback | None = None) -> None:
        """Run every repetition listed in each job's ``repetitions``.

        Every listed repetition must produce exactly one call to ``on_result`` (``failed``
        with the reason when its worker crashed), and the call returns only when all have.
        """

    @abc.abstractmethod
    def hardware_id(self) -> str:
        """The hardware id of the machine(s) the jobs will run on (part of every job id)."""

    def close(self) -> None:
        """Release workers or connections. Idempotent."""

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
