"""Where the driver writes results: a JSON Lines file, the results store, memory.

A sink is tiny on purpose: ``write(result)``, ``completed_keys(job_ids)`` (what is already
complete, for resume), ``begin_run(...)`` and ``close()``. Only the driver process writes.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Protocol

from wattprint.errors import ConfigError
from wattprint.results.schema import STATUS_OK, JobResult

Key = tuple[str, int]
"""``(job_id, repetition)``."""


class Sink(Protocol):
    """Receives job results in the driver."""

    def begin_run(self, run_id: str, suite: str, config: Mapping[str, Any],
                  environment: Mapping[str, Any]) -> None:
        """Record the start of a run: its id, suite name, configuration and environment."""

    def write(self, result: JobResult) -> None:
        """Persist one job result."""

    def completed_keys(self, job_ids: Iterable[str] | None = None) -> set[Key]:
        """(job_id, repetition) keys already completed ok, optionally only for ``job_ids``."""

    def close(self) -> None:
        """Flush and release the sink. Idempotent."""


class JsonlSink:
    """Appends one JSON object per job result (``JobResult.to_dict()``) to a file.

    Each line is flushed and fsynced as it is written, so a run killed at any moment leaves
    every finished result on disk and at most one partial last line. It does not drive resume
    (``completed_keys`` is empty): the store does.

    Args:
        path: The ``.jsonl`` file (created with its folder; appended to when it exists).
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._f = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 - closed in close()
        except OSError as err:
            raise ConfigError(f"--out {str(path)!r}: cannot open for appending: {err}") from err

    def begin_run(self, run_id: str, suite: str, config: Mapping[str, Any],
                  environment: Mapping[str, Any]) -> None:
        """Nothing to do: every line carries its run id and environment."""

    def write(self, result: JobResult) -> None:
        """Append the result as one JSON line and fsync it."""
        self._f.write(json.dumps(result.to_dict(), default=str, separators=(",", ":")) + "\n")
        self._f.flush()
        os.fsync(self._f.fileno())

    def completed_keys(self, job_ids: Iterable[str] | None = None) -> set[Key]:
        """Always empty: a JSONL file is append-only output, not a resumable store."""
        return set()

    def close(self) -> None:
        """Close the file. Idempotent."""
        if not self._f.closed:
            self._f.close()


class MemorySink:
    """Keeps results in a list (tests, the Python API). Resumes from what it holds."""

    def __init__(self, results: Iterable[JobResult] = ()) -> None:
        self.results: list[JobResult] = list(results)
        self.runs: list[tuple[str, str]] = []

    def begin_run(self, run_id: str, suite: str, config: Mapping[str, Any],
                  environment: Mapping[str, Any]) -> None:
        """Remember the run id and suite name."""
        self.runs.append((run_id, suite))

    def write(self, result: JobResult) -> None:
        """Keep the result in memory."""
        self.results.append(result)

    def completed_keys(self, job_ids: Iterable[str] | None = None) -> set[Key]:
        """Keys of the ok results kept, optionally only for ``job_ids``."""
        ids = None if job_ids is None else set(job_ids)
        return {(r.job_id, r.repetition) for r in self.results
                if r.status == STATUS_OK and (ids is None or r.job_id in ids)}

    def stored(self, job_ids: Iterable[str]) -> list[JobResult]:
        """Results kept for these jobs."""
        ids = set(job_ids)
        return [r for r in self.results if r.job_id in ids]

    def close(self) -> None:
        """Nothing to release."""
        pass


class StoreSink:
    """The SQLite results store (``wattprint.results.store.ResultStore``) as a sink.

    Args:
        path: The store file; created when missing.

    Attributes:
        written: Results this sink wrote to the store.
        not_written: Results the store already held (a success for the repetition, or the
            same failure), so nothing was written for them.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        from wattprint.results.store import ResultStore

        self.path = Path(path)
        self.store = ResultStore(self.path)
        self.written = 0
        self.not_written = 0

    def begin_run(self, run_id: str, suite: str, config: Mapping[str, Any],
                  environment: Mapping[str, Any]) -> None:
        """Record the run in the store."""
        self.store.begin_run(run_id, suite, dict(config), dict(environment))

    def write(self, result: JobResult) -> None:
        """Write the result to the store, counting what was really written."""
        if self.store.write(result):
            self.written += 1
        else:
            self.not_written += 1

    def completed_keys(self, job_ids: Iterable[str] | None = None) -> set[Key]:
        """Keys of the ok results already in the store, optionally only for ``job_ids``."""
        return set(self.store.completed_keys(None if job_ids is None else list(job_ids)))

    def stored(self, job_ids: Iterable[str]) -> list[JobResult]:
        """Stored ok results of these jobs (to summarise skipped work)."""
        ids = set(job_ids)
        return [r for r in self.store.iter_results(status=STATUS_OK) if r.job_id in ids]

    def close(self) -> None:
        """Close the store."""
        self.store.close()
