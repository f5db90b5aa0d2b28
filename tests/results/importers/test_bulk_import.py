"""Bulk import: files cut into chunks, parsed and encoded in worker processes, written in order.

Whatever the chunking and the number of workers, the store must hold exactly what the
in-memory reader (``read_file``, the typed path) makes of the same file, in file order.
"""

from __future__ import annotations

import csv
import io
import sqlite3
from pathlib import Path

import pytest

from wattprint.meters.cgroup import CpuShare
from wattprint.results.importers import bulk
from wattprint.results.importers.bulk import MAX_WORKERS, default_workers, import_codecarbon
from wattprint.results.importers.codecarbon import (
    ImportOptions,
    ImportReport,
    chunk_records,
    plan_file,
    read_file,
)
from wattprint.results.store import ResultStore

DATA = Path(__file__).resolve().parents[2] / "data" / "co2_inference"
TASK_MODE = sorted(DATA.glob("emissions_base_*.csv"))


def _task_mode_log(path: Path, runs: int = 12) -> Path:
    """A task-mode log of ``runs`` runs (2-3 rows each) made from the study's real rows, with
    a BOM, a quoted field holding a newline and a comma, and one bad row inside a run."""
    header: list[str] = []
    source: list[list[str]] = []
    for f in TASK_MODE:
        with open(f, newline="", encoding="utf-8") as fh:
            rows = list(csv.reader(fh))
        header = rows[0]
        source.extend(rows[1:])
    at = {name: i for i, name in enumerate(header)}
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(header)
    for k in range(runs):
        for j, row in enumerate(source[(k % 2) * 2:(k % 2) * 2 + 2 + k % 2]):
            row = list(row)
            row[at["run_id"]] = f"run-{k:03d}"
            row[at["timestamp"]] = f"2024-01-01T00:{k:02d}:{j:02d}"
            if k == 5:
                row[at["cpu_model"]] = "Xeon,\nwith a newline"
            if k == 7 and j == 1:
                row[at["duration"]] = "not-a-number"
            w.writerow(row)
    path.write_bytes(b"\xef\xbb\xbf" + out.getvalue().encode())
    return path


def _store_rows(db: Path) -> list[tuple]:
    con = sqlite3.connect(db)
    try:
        return con.execute("SELECT job_id, source_line, measured_j, estimated_j FROM results "
                           "ORDER BY id").fetchall()
    finally:
        con.close()


def test_chunks_cover_the_file_and_never_split_a_run(tmp_path: Path) -> None:
    log = _task_mode_log(tmp_path / "log.csv")
    plan = plan_file(log, chunk_rows=4)
    assert not isinstance(plan, Exception) and hasattr(plan, "chunks")
    assert len(plan.chunks) > 3
    assert sum(c.rows for c in plan.chunks) == plan.rows
    ends = [c.offset + c.length for c in plan.chunks]
    assert [c.offset for c in plan.chunks[1:]] == ends[:-1]  # contiguous
    assert ends[-1] == log.stat().st_size
    runs_per_chunk = []
    for c in plan.chunks:
        rows = list(csv.reader(io.StringIO(log.read_bytes()[c.offset:c.offset + c.length]
                                           .decode(), newline="")))
        assert len(rows) == c.rows
        runs_per_chunk.append({r[3] for r in rows})
    for a, b in zip(runs_per_chunk, runs_per_chunk[1:]):
        assert not a & b  # a run's rows are all in one chunk


def test_chunked_reading_equals_reading_the_file_whole(tmp_path: Path) -> None:
    log = _task_mode_log(tmp_path / "log.csv")
    whole = read_file(log)
    plan = plan_file(log, chunk_rows=3)
    assert not isinstance(plan, Exception)
    report = ImportReport()
    chunked = [r for c in plan.chunks for r in chunk_records(plan, c, report)]
    assert chunked == whole.results
    assert [str(e) for e in report.errors] == [str(e) for e in whole.errors]
    (err,) = whole.errors  # the bad row, named by its line: header, runs 0-6 (2 or 3 rows),
    # its own run's 2nd row, and 3 more lines for the newlines inside a field of run 5
    assert err.line == 1 + sum(2 + k % 2 for k in range(7)) + 2 + 3
    assert "duration" in err.message
    assert any("with a newline" in r.environment.get("cpu_model", "") for r in whole.results)


@pytest.mark.parametrize(("workers", "early_pool"), [(1, False), (2, False), (2, True)])
def test_import_stores_what_the_reader_makes_in_file_order(
        tmp_path: Path, workers: int, early_pool: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """(``early_pool``: the workers start before the file is planned, as for big files.)"""
    if early_pool:
        monkeypatch.setattr(bulk, "EARLY_POOL_BYTES", 0)
        monkeypatch.setattr(bulk, "EARLY_WORKER_BYTES", 1)
    log = _task_mode_log(tmp_path / "log.csv", runs=20)
    opts = ImportOptions(project_as_model=True, run_id="import-1")
    db = tmp_path / f"w{workers}.db"
    with ResultStore(db) as store:
        summary = import_codecarbon([log], opts, store, workers=workers, chunk_rows=5)
        assert summary.workers == (0 if workers == 1 else 2)
        assert summary.stored == summary.records == 20  # one record per run
        assert summary.report.n_errors == 1 and summary.report.rows == 50
        assert store.results() == read_file(log, opts).results
        assert store.integrity_check() == []
        assert [r.id for r in store.runs()] == ["import-1"]
    with ResultStore(db) as store:  # importing again stores nothing new
        again = import_codecarbon([log], opts, store, workers=workers, chunk_rows=7)
        assert (again.records, again.stored) == (20, 0)


def test_workers_started_early_are_no_more_than_the_input_needs(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log = _task_mode_log(tmp_path / "log.csv", runs=20)
    monkeypatch.setattr(bulk, "EARLY_POOL_BYTES", 0)
    monkeypatch.setattr(bulk, "EARLY_WORKER_BYTES", log.stat().st_size // 3)
    with ResultStore(tmp_path / "w.db") as store:
        summary = import_codecarbon([log], ImportOptions(), store, workers=6, chunk_rows=5)
        assert summary.workers == 3 and summary.stored == 20


def test_workers_and_no_workers_make_the_same_store(tmp_path: Path) -> None:
    log = _task_mode_log(tmp_path / "log.csv", runs=20)
    rows = []
    for workers in (1, 3):
        db = tmp_path / f"s{workers}.db"
        with ResultStore(db) as store:
            import_codecarbon([log], ImportOptions(run_id="x"), store, workers=workers,
                              chunk_rows=4)
        rows.append(_store_rows(db))
    assert rows[0] == rows[1] and len(rows[0]) == 20


def test_dry_run_reads_everything_and_writes_nothing(tmp_path: Path) -> None:
    log = _task_mode_log(tmp_path / "log.csv")
    seen: list[tuple[int, int]] = []
    summary = import_codecarbon([log], ImportOptions(), None, workers=2, chunk_rows=4,
                                progress=lambda done, total: seen.append((done, total)))
    assert summary.records == 12 and summary.stored == 0 and summary.report.n_errors == 1
    assert seen[0] == (0, 30) and seen[-1] == (30, 30)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_a_file_that_is_not_a_log_is_one_issue_and_the_others_still_import(tmp_path: Path) -> None:
    bad = tmp_path / "a_bad.csv"
    bad.write_bytes(b"\xff\xfe garbage")
    good = _task_mode_log(tmp_path / "b_good.csv")
    with ResultStore(tmp_path / "s.db") as store:
        summary = import_codecarbon([tmp_path], ImportOptions(run_id="x"), store, workers=2,
                                    chunk_rows=4)
    messages = [str(e) for e in summary.report.errors]
    assert messages[0].startswith(f"{bad}:1: cannot read: not UTF-8")
    assert summary.report.files == 2 and summary.stored == len(read_file(good).results)


def test_default_workers_follow_the_cpu_share_of_a_container() -> None:
    def share(cpus: float) -> CpuShare:
        return CpuShare(scope="container", cpus=cpus, host_cpus=64, affinity=tuple(range(64)))

    assert default_workers(share(1.5)) == 1  # a quota of 1.5 CPUs: one worker
    assert default_workers(share(0.5)) == 1
    assert default_workers(share(3.0)) == 3
    assert default_workers(share(64.0)) == MAX_WORKERS
    assert 1 <= default_workers() <= MAX_WORKERS  # this process's own share


def test_a_worker_that_dies_stops_the_import_and_a_rerun_imports_the_rest(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """SIGKILL to the workers midway (as the OOM killer would): exit with what was stored,
    whole transactions only; the same import again stores exactly the rest."""
    from wattprint.errors import WattprintError

    log = _task_mode_log(tmp_path / "log.csv", runs=20)
    monkeypatch.setattr(bulk, "WRITE_ROWS", 1)  # a transaction per chunk
    start_pool = bulk._start_pool

    def dying_pool(workers: int):
        pool = start_pool(workers)
        submit, submitted = pool.submit, []

        def submit_then_kill(fn, *args):
            submitted.append(fn)
            if len(submitted) == 7:  # some chunks are written by now
                for p in list(pool._processes.values()):
                    p.kill()
                    p.join()
            return submit(fn, *args)

        pool.submit = submit_then_kill  # type: ignore[method-assign]
        return pool

    db = tmp_path / "w.db"
    with ResultStore(db) as store:
        monkeypatch.setattr(bulk, "_start_pool", dying_pool)
        with pytest.raises(WattprintError, match=r"a worker process died .*of 50 row\(s\) were "
                                                 r"read and \d+ record\(s\) stored. Run the same"):
            import_codecarbon([log], ImportOptions(run_id="x"), store, workers=2, chunk_rows=2)
        monkeypatch.setattr(bulk, "_start_pool", start_pool)
        first = store.count()
        assert 0 < first < 20 and store.integrity_check() == []
        again = import_codecarbon([log], ImportOptions(run_id="x"), store, workers=2,
                                  chunk_rows=2)
        assert again.stored == 20 - first
        assert store.results() == read_file(log, ImportOptions(run_id="x")).results
