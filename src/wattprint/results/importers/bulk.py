"""Import CodeCarbon logs into a store: chunks read, parsed and encoded in worker processes,
written in file order by this one.

Each file is first planned (:func:`~wattprint.results.importers.codecarbon_plan.plan_file`: one
quick pass that checks it and cuts it into chunks of whole runs). Each chunk then becomes the
records of its rows (typed :class:`~wattprint.results.schema.JobResult`), encoded for the
store (:meth:`~wattprint.results.codec.RecordCodec.encode_batch`) — in a pool of worker
processes when there is more than one chunk and more than one CPU, else here. This process
writes the batches in file order, a few whole chunks per transaction (:data:`WRITE_ROWS`), so
an interrupted import leaves whole chunks and a re-run stores only what is missing. At most
``2 × workers`` chunks, plus a transaction's worth, are in flight (enough to keep the workers
busy while this process writes), so memory stays bounded whatever the files' size.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wattprint.errors import WattprintError
from wattprint.meters.cgroup import CpuShare, cpu_share
from wattprint.results.codec import EncodedBatch, RecordCodec
from wattprint.results.importers.codecarbon import chunk_records
from wattprint.results.importers.codecarbon_plan import (
    CHUNK_ROWS,
    Chunk,
    FilePlan,
    expand_paths,
    plan_paths,
)
from wattprint.results.importers.codecarbon_rows import ImportIssue, ImportOptions, ImportReport
from wattprint.results.store import ResultStore

EARLY_POOL_BYTES = 8 << 20
"""Files of this many bytes in all, or more, start the worker processes before they are
planned: starting a worker (a fresh interpreter importing wattprint, about 0.3 s) then
overlaps the plan's pass instead of following it."""

EARLY_WORKER_BYTES = 1 << 20
"""Bytes of input per worker started before the files are planned (at most): about one
chunk's worth, so that an explicit ``--jobs`` larger than the chunks starts no idle workers."""

MAX_WORKERS = 8
"""Worker processes at most (the writer, one process, is the limit beyond that)."""

WRITE_ROWS = 15_000
"""Records per store transaction, at least (whole chunks): each transaction rewrites the
index pages its records touch, and with keys spread over the whole index (job ids are
hashes) fewer, larger transactions rewrite each page fewer times (measured on a
300,000-row import's writing, CPU per row: 2,000 rows per transaction 35 µs, 10,000 28 µs;
16,000 and 30,000 the same, 22 µs with 16 KiB pages). Memory grows with it: the records of a
transaction and of the chunks in flight are held by this process."""


@dataclass
class ImportSummary:
    """What an import read and stored.

    Attributes:
        report: Files and rows read, and the problems found (each naming file and line).
        records: Records made from the rows.
        stored: Records newly written (the others were already in the store).
        workers: Worker processes used (0: all work done in this process).
    """

    report: ImportReport = field(default_factory=ImportReport)
    records: int = 0
    stored: int = 0
    workers: int = 0


@dataclass(frozen=True)
class _Task:
    plan: FilePlan
    chunk: Chunk
    encode: bool


@dataclass(frozen=True)
class _Done:
    rows: int
    records: int
    batch: EncodedBatch | None
    issues: list[ImportIssue]
    n_issues: int


_codec: RecordCodec | None = None
"""This process's codec (one per worker: it caches the domain descriptions it has hashed)."""


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    """Pause Python's cycle collector: an import makes hundreds of thousands of small
    objects that hold no reference cycles (freed by reference counting alone), and the
    collector's passes over them cost about a third of the time. Cycles made meanwhile are
    collected once it resumes."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _work(task: _Task) -> _Done:
    """One chunk: its records, encoded for the store when ``task.encode``."""
    global _codec
    report = ImportReport()
    with paused_gc():
        records = list(chunk_records(task.plan, task.chunk, report))
        batch = None
        if task.encode and records:
            if _codec is None:
                _codec = RecordCodec()
            batch = _codec.encode_batch(records)
    return _Done(report.rows, len(records), batch, report.errors, report.n_errors)


def _warm() -> None:
    """Nothing: the first task of each worker, so that it starts (and imports this module)
    before there is work for it."""


def _start_pool(workers: int) -> ProcessPoolExecutor:
    """A pool of ``workers`` spawned worker processes, starting now."""
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
    for _ in range(workers):
        pool.submit(_warm)
    return pool


def _total_bytes(files: Iterable[Path]) -> int:
    total = 0
    for f in files:
        with contextlib.suppress(OSError):
            total += f.stat().st_size
    return total


def default_workers(share: CpuShare | None = None) -> int:
    """Worker processes for an import: the whole CPUs this process may use (its affinity, and
    a container's cgroup quota or cpuset: ``meters/cgroup.py``), at least 1, at most
    :data:`MAX_WORKERS`.

    Args:
        share: The CPU share (read from this process when None).
    """
    cpus = (share or cpu_share()).cpus
    return max(1, min(int(cpus), MAX_WORKERS))


def import_codecarbon(paths: Iterable[str | Path], options: ImportOptions,
                      store: ResultStore | None, *, run_config: dict[str, Any] | None = None,
                      workers: int | None = None,
                      progress: Callable[[int, int], None] | None = None,
                      chunk_rows: int = CHUNK_ROWS) -> ImportSummary:
    """Import CodeCarbon CSVs (files, or folders searched for ``*.csv``) into ``store``.

    Args:
        paths: Files or folders.
        options: Labels; ``options.run_id`` names the import as a run in the store.
        store: Where to write; None for a dry run (rows are read and checked, nothing is
            written).
        run_config: The run's config, recorded with the run before the first write.
        workers: Worker processes; None for :func:`default_workers`; 1 or less works here.
        progress: Called with the rows read so far and the rows in all files, after the
            files are planned and after each chunk.
        chunk_rows: Rows per chunk (the unit of work of a worker; transactions hold whole
            chunks, :data:`WRITE_ROWS` records or more).

    Returns:
        What was read, made and stored.

    Raises:
        WattprintError: a worker process died (killed, out of memory); the transactions
            written before are kept (the message says how many records), and a re-run
            imports the rest.
    """
    with paused_gc():
        return _import(paths, options, store, run_config, workers, progress, chunk_rows)


def _import(paths: Iterable[str | Path], options: ImportOptions, store: ResultStore | None,
            run_config: dict[str, Any] | None, workers: int | None,
            progress: Callable[[int, int], None] | None, chunk_rows: int) -> ImportSummary:
    summary = ImportSummary()
    report = summary.report
    wanted = default_workers() if workers is None else max(1, workers)
    begun = False

    unwritten: list[EncodedBatch] = []

    def write() -> None:
        nonlocal begun
        if store is None or not unwritten:
            return
        if not begun and options.run_id is not None:
            store.begin_run(options.run_id, None, run_config or {}, {})
            begun = True
        summary.stored += store.write_encoded(*unwritten)
        unwritten.clear()

    def finish(done: _Done) -> None:
        report.rows += done.rows
        summary.records += done.records
        for issue in done.issues:
            report.add_issue(issue)
        report.n_errors += done.n_issues - len(done.issues)
        if done.batch is not None:
            unwritten.append(done.batch)
            if sum(len(b) for b in unwritten) >= WRITE_ROWS:
                write()
        if progress is not None:
            progress(report.rows, total_rows)

    files, missing = expand_paths(paths)
    for issue in missing:
        report.add_issue(issue)
    pool = None
    size = _total_bytes(files)
    if wanted > 1 and size >= EARLY_POOL_BYTES:
        # The workers start while the files are planned; no more than there will be chunks
        # (a chunk of CodeCarbon rows is about 1 MB).
        summary.workers = min(wanted, max(1, size // EARLY_WORKER_BYTES))
        pool = _start_pool(summary.workers)
    try:
        plans = list(plan_paths(files, options, report, chunk_rows))  # plans hold no rows
        tasks = [_Task(p, c, store is not None) for p in plans for c in p.chunks]
        total_rows = sum(p.rows for p in plans)
        if progress is not None:
            progress(0, total_rows)
        if pool is None and (wanted <= 1 or len(tasks) <= 1):
            for task in tasks:
                finish(_work(task))
            write()
            return summary
        if pool is None:
            summary.workers = min(wanted, len(tasks))
            pool = _start_pool(summary.workers)
        # Enough chunks queued to keep the workers busy while this process writes.
        in_flight = 2 * summary.workers + WRITE_ROWS // max(1, chunk_rows)
        pending: deque[Future[_Done]] = deque()
        try:
            for task in tasks:
                pending.append(pool.submit(_work, task))
                while len(pending) >= in_flight:
                    finish(pending.popleft().result())
            while pending:
                finish(pending.popleft().result())
            write()
        except BrokenProcessPool as err:
            raise WattprintError(
                f"import: a worker process died ({err}); {report.rows:,} of {total_rows:,} "
                f"row(s) were read and {summary.stored:,} record(s) stored. Run the same "
                "command again to import the rest (what is stored is skipped), with --jobs 1 "
                "to work in one process") from err
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
    return summary
