"""Run jobs one after another, each in its own worker process on this machine.

Each job gets a fresh process, so a model's memory, CUDA context and library caches never leak
into the next job's measurement, and a crash (segfault, OOM kill, ``os._exit``) takes down
only that job. The driver blocks on the worker's pipe (``Connection.recv`` / ``poll`` with a
timeout, which sleep in the kernel) and never spins.

On Linux, workers are forked from a pre-warmed ``multiprocessing`` *forkserver*: a server
process, started once per driver, that has imported torch, transformers and the worker's
modules (:mod:`wattprint.harness.executors.preload`) and done nothing else. Each job is a new child of that server, never of another job, so isolation is
the same as with *spawn* and only the import cost (seconds per job) goes. The driver's current
environment variables are applied in each worker, so a change made after the server started
still reaches the job. ``start_method="spawn"`` gives a fresh interpreter per job instead.

When a worker dies before reporting every repetition, each missing one is recorded as
``failed`` with ``worker exited with signal N (SIGKILL)`` or ``... with exit code N``.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import time
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection
from typing import Any

from wattprint.errors import unknown_choice
from wattprint.harness.executors.base import Executor, PhaseCallback, ResultCallback
from wattprint.harness.plan import Job
from wattprint.harness.worker import Toolkit, describe_error, execute_job, failed_result
from wattprint.results.schema import JobResult

PRELOAD_MODULE = "wattprint.harness.executors.preload"
"""The module the forkserver imports before forking workers (it imports the heavy libraries)."""

class _NotStarted(Exception):
    """The worker process could not be started (the reason is recorded as ``fatal``)."""


START_METHODS = ("forkserver", "spawn")
"""How a worker process starts: forked from the pre-warmed server, or a fresh interpreter."""


def default_start_method() -> str:
    """``forkserver`` on Linux; ``spawn`` elsewhere (macOS system libraries are not fork-safe)."""
    return "forkserver" if sys.platform.startswith("linux") else "spawn"


def _worker_main(job: Job, toolkit: Toolkit, run_id: str, environment: dict[str, Any] | None,
                 conn: Connection, environ: dict[str, str] | None = None) -> None:
    """Entry point of a worker process: run the job, send each result up the pipe.

    ``environ``, when given, replaces this process's environment variables first (a forkserver
    child otherwise has the variables of the moment the server started).
    """
    if environ is not None:
        os.environ.clear()
        os.environ.update(environ)
    try:
        execute_job(job, toolkit, lambda r: conn.send(("result", r)), run_id=run_id,
                    environment=environment, on_phase=lambda p: conn.send(("phase", p)))
    except BaseException as err:  # a harness bug or a dead pipe: tell the driver if we can
        try:
            conn.send(("fatal", describe_error(err)))
        except Exception:
            pass
        raise
    finally:
        conn.close()


def exit_reason(exitcode: int | None) -> str:
    """Words for a worker's exit code (negative: killed by that signal)."""
    if exitcode is None:
        return "worker did not exit"
    if exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = "unknown signal"
        return f"worker exited with signal {-exitcode} ({name})"
    return f"worker exited with exit code {exitcode}"


class LocalExecutor(Executor):
    """Sequential jobs, one worker process each.

    Args:
        toolkit: Factories the worker uses (the project's real ones by default).
        environment: Fingerprint to record (each worker computes its own when None).
        start_method: ``forkserver`` (the default on Linux: workers forked from a server that
            has imported the heavy libraries once) or ``spawn`` (the default elsewhere: a fresh
            interpreter per job, paying the imports every time).

    Raises:
        ConfigError: an unknown ``start_method``.
    """

    name = "local"

    def __init__(self, toolkit: Toolkit | None = None, *, environment: dict[str, Any] | None = None,
                 start_method: str | None = None) -> None:
        self.toolkit = toolkit or Toolkit()
        self.environment = environment
        self.start_method = start_method or default_start_method()
        if self.start_method not in START_METHODS:
            raise unknown_choice("start method", self.start_method, START_METHODS)
        self._ctx: Any = multiprocessing.get_context(self.start_method)
        if self.start_method == "forkserver":
            # takes effect when the server starts (the first job of this driver process)
            self._ctx.set_forkserver_preload([PRELOAD_MODULE])
        self._proc: Any = None

    def hardware_id(self) -> str:
        """Identifier of this machine (the jobs run here)."""
        from wattprint.harness.environment import hardware_id

        return hardware_id()

    def run(self, jobs: Sequence[Job], on_result: ResultCallback, *, run_id: str,
            on_phase: PhaseCallback | None = None) -> None:
        """Run the jobs one after another, each in a fresh worker process."""
        for job in jobs:
            self._run_one(job, on_result, run_id=run_id, on_phase=on_phase)

    def _run_one(self, job: Job, on_result: ResultCallback, *, run_id: str,
                 on_phase: PhaseCallback | None) -> None:
        parent, child = self._ctx.Pipe(duplex=False)
        proc = self._ctx.Process(target=_worker_main, name=f"wattprint-job-{job.job_id}",
                                 args=(job, self.toolkit, run_id, self.environment, child,
                                       self._environ()),
                                 daemon=True)
        self._proc = proc
        reported: set[int] = set()
        fatal: str | None = None
        timed_out = False
        try:
            start_error = self._start(proc)
            child.close()  # so recv() sees EOF when the worker dies
            if start_error is not None:
                fatal = start_error
                raise _NotStarted
            timeout_s = job.settings.timeout_s
            deadline = None if timeout_s is None else time.monotonic() + timeout_s
            while True:
                if deadline is not None:
                    # poll() sleeps in select() until data, EOF or the deadline: no spinning
                    if not parent.poll(max(0.0, deadline - time.monotonic())):
                        timed_out = True
                        proc.kill()
                        break
                try:
                    kind, payload = parent.recv()
                except EOFError:
                    break
                if kind == "result":
                    result: JobResult = payload
                    reported.add(result.repetition)
                    on_result(result)
                elif kind == "phase" and on_phase is not None:
                    on_phase(job, str(payload))
                elif kind == "fatal":
                    fatal = str(payload)
            proc.join()
        except _NotStarted:
            pass
        except BaseException:
            # KeyboardInterrupt or a failing sink: stop the worker, leave nothing running
            if proc.is_alive():
                proc.kill()
                proc.join()
            raise
        finally:
            parent.close()
            self._proc = None
        missing = [r for r in job.repetitions if r not in reported]
        if not missing:
            return
        if timed_out:
            reason = f"timed out after {job.settings.timeout_s:g} s (worker killed)"
        elif fatal is not None:
            reason = f"worker failed: {fatal}"
        elif proc.exitcode:
            reason = exit_reason(proc.exitcode)
        else:
            reason = "worker ended without reporting this repetition"
        from wattprint.harness.environment import fingerprint

        env = self.environment or fingerprint()
        for rep in missing:
            on_result(failed_result(job, rep, reason, run_id=run_id, environment=env))

    @staticmethod
    def _start(proc: Any) -> str | None:
        """Start a worker; None when it started, else why it could not be started.

        A forkserver that died (OOM-killed, killed by hand) is restarted by ``multiprocessing``
        at the next start, so one retry suffices; a server that dies while forking this very
        worker shows as ``EOFError``/``ConnectionError`` here. Only this job fails then, never
        the run.
        """
        for attempt in (1, 2):
            try:
                proc.start()
                return None
            except (EOFError, ConnectionError) as err:
                if attempt == 2:
                    return (f"could not start a worker process ({type(err).__name__}: "
                            f"{err or 'the forkserver closed the connection'})")
        return None  # pragma: no cover - the loop returns

    def _environ(self) -> dict[str, str] | None:
        """The driver's environment variables for a forked worker (None: spawn inherits them)."""
        return dict(os.environ) if self.start_method == "forkserver" else None

    def close(self) -> None:
        """Kill the worker process still running, if any."""
        proc = self._proc
        if proc is not None and proc.is_alive():
            proc.kill()
            proc.join()


class InProcessExecutor(Executor):
    """Runs jobs in the driver's own process (no isolation). For debugging and benchmarks."""

    name = "inprocess"

    def __init__(self, toolkit: Toolkit | None = None, *,
                 environment: dict[str, Any] | None = None) -> None:
        self.toolkit = toolkit or Toolkit()
        self.environment = environment

    def hardware_id(self) -> str:
        """Identifier of this machine (the jobs run here)."""
        from wattprint.harness.environment import hardware_id

        return hardware_id()

    def run(self, jobs: Sequence[Job], on_result: ResultCallback, *, run_id: str,
            on_phase: PhaseCallback | None = None) -> None:
        """Run the jobs one after another in this process (no isolation; for tests and debugging)."""
        for job in jobs:
            execute_job(job, self.toolkit, on_result, run_id=run_id, environment=self.environment,
                        on_phase=None if on_phase is None else _phase_of(on_phase, job))


def _phase_of(on_phase: PhaseCallback, job: Job) -> Callable[[str], None]:
    """``on_phase`` bound to one job: ``phase -> on_phase(job, phase)``."""
    return lambda phase: on_phase(job, phase)
