"""The results store: one SQLite file that keeps every job result, losslessly.

Layout (see :mod:`wattprint.results.migrations` for the DDL and its versions):

* ``runs`` — one row per invocation (suite run, import): suite, config JSON, environment.
* ``environments`` — environment fingerprints, deduplicated by the SHA-256 of their JSON.
* ``results`` — one row per stored :class:`~wattprint.results.schema.JobResult` (a job's
  repetition and attempt): the searchable fields, the per-provenance energy totals of the
  query window, and the record as compact JSON (``record_json``, see :mod:`~wattprint.results.codec`)
  so that a read gives back exactly what was written. ``is_answer`` marks the row that
  answers for its ``(job_id, repetition)``: its success, else its latest failure. Failures a
  success superseded stay as history (``results(history=True)``).
* ``windows`` — the query window and every other phase (load, warm-up, idle ...).
* ``domains`` — energy per domain and window, with provenance, scope and idle/dynamic split;
  the rest of the domain's description is in ``domain_specs``.
* ``domain_specs`` — each distinct domain description (boundary, source, provenance, scope,
  uncertainty, estimate model) once, by hash.

Every write is one transaction (``BEGIN IMMEDIATE`` … ``COMMIT``): a process killed at any
moment leaves either the whole result or nothing. The file is in WAL mode with a busy timeout,
so several processes (parallel workers, a report reading while a suite runs) can use it at
once.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from types import TracebackType
from typing import Any

from wattprint.errors import StoreError
from wattprint.results.codec import (
    ATTEMPT_AT,
    COLUMN_KEYS,
    DICT_FORMAT,
    DICT_MIN_BATCH,
    ENVIRONMENT_AT,
    JOB_AT,
    QUERY_WINDOW,
    REPETITION_AT,
    RUN_AT,
    STATUS_AT,
    VALUE_COLUMNS,
    EncodedBatch,
    RecordCodec,
    decompressor,
    environment_entry,
    with_dict_id,
)
from wattprint.results.migrations import (
    SCHEMA_VERSION,
    check_identity,
    migrate,
    schema_version,
)
from wattprint.results.schema import STATUS_FAILED, STATUS_OK, JobResult

ENV_STORE = "WATTPRINT_STORE"
"""Environment variable that overrides the default store path."""

DEFAULT_STORE = Path("wattprint-results") / "results.db"

BUSY_TIMEOUT_S = 60.0
"""How long a writer waits for another process's transaction before giving up, seconds."""


WRITER_CACHE_KIB = 32768
"""Page cache of a writing connection, KiB (SQLite's default is 2 MiB): a bulk write updates
indexes keyed by job id all over a store of hundreds of MB; the cache is filled only as pages
are used. 32 and 64 MiB wrote a 300,000-record import equally fast."""


PAGE_BYTES = 16384
"""Page size of a new store (SQLite's default is 4 KiB; an existing store keeps its own).
Measured on the writing of a 300,000-record import, closing included: about 10 % less CPU
per record (23 instead of 25.5 µs: shallower B-trees, fewer page splits)."""

WAL_CHECKPOINT_BYTES = 40 << 20
"""How much the write-ahead log may hold before it is copied into the database (SQLite's
default is 1,000 pages): a bulk import rewrites the same index pages in transaction after
transaction, and each checkpoint copies a page once however often it was rewritten. The log
is folded into the database when the last connection closes."""


def default_store_path() -> Path:
    """The store used when no ``--store`` is given.

    Returns:
        ``$WATTPRINT_STORE`` when set, else ``./wattprint-results/results.db`` (relative to
        the current directory).
    """
    env = os.environ.get(ENV_STORE)
    return Path(env) if env else DEFAULT_STORE


def _json(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@dataclass(frozen=True)
class RunInfo:
    """One stored run (a suite invocation or an import).

    Attributes:
        id: Run id.
        suite: Suite name, or None.
        config: The run's config as given to :meth:`ResultStore.begin_run`.
        environment: The environment fingerprint.
        started_at: ISO-8601 UTC time the run was begun.
        n_results: How many results the store holds for it.
    """

    id: str
    suite: str | None
    config: dict[str, Any]
    environment: dict[str, Any]
    started_at: str
    n_results: int


_RESULT_COLUMNS = ("id", *VALUE_COLUMNS, "stored_at", "record_json", "is_answer")
_INSERT_RESULT = (f"INSERT INTO results ({', '.join(_RESULT_COLUMNS)}) "
                  f"VALUES ({', '.join('?' * len(_RESULT_COLUMNS))})")
_INSERT_WINDOW = "INSERT INTO windows (result_id, label, started_at, duration_s) VALUES (?, ?, ?, ?)"
_DOMAIN_COLUMNS = (
    "result_id", "window", "name", "provenance", "scope", "energy_j", "idle_power_w",
    "idle_energy_j", "dynamic_energy_j", "spec_hash",
)
_INSERT_DOMAIN = (f"INSERT INTO domains ({', '.join(_DOMAIN_COLUMNS)}) "
                  f"VALUES ({', '.join('?' * len(_DOMAIN_COLUMNS))})")

class ResultStore:
    """A SQLite results store (see the module docstring for the layout).

    Use as a context manager, or call :meth:`close`. One instance per process; several
    processes may open the same file at once.

    Args:
        path: The database file; its folder is created. Defaults to
            :func:`default_store_path`.
        must_exist: Raise instead of creating a new store when the file is missing (for
            commands that only read).
        read_only: Only read (``report``, ``export``, ``store``): the file is opened with
            SQLite's ``mode=ro`` (it may sit on a read-only mount), never switched to WAL and
            never migrated; implies ``must_exist``. A store of an older schema is opened
            read-write to migrate it when its file and folder are writable, and refused with
            a message saying so when they are not.

    Raises:
        StoreError: when the file is not a SQLite database, not a wattprint store (it is then
            left untouched), missing (``must_exist``), or from a newer schema than this code
            knows (also left untouched).
    """

    def __init__(self, path: str | os.PathLike[str] | None = None, *, must_exist: bool = False,
                 read_only: bool = False) -> None:
        self.path = Path(path) if path is not None else default_store_path()
        self._lock = threading.RLock()  # one connection, shared safely by this process's threads
        self._codec = RecordCodec()
        self._dictionary: tuple[int, bytes] | None = None
        """The dictionary small batches compress with (the latest Zstandard one): ``(id, bytes)``."""
        self._decompressors = threading.local()
        """Per thread: dictionary id → its decompressor (they are not thread-safe)."""
        self._envs: dict[str, dict[str, Any]] = {}
        self._known_envs: set[str] = set()
        self._conn: sqlite3.Connection | None = None
        self.read_only = False
        self.migrated_from = SCHEMA_VERSION
        if (must_exist or read_only) and not self.path.exists():
            raise StoreError(f"no results store at {self.path} (give --store PATH, or set "
                             f"{ENV_STORE}; nothing has been stored there yet)")
        if self.path.is_dir():
            raise StoreError(f"results store {self.path} is a folder; give the path of a file "
                             "(e.g. results.db)")
        if read_only and self._open_read_only():
            return
        self._open_read_write()

    def _open_read_only(self) -> bool:
        """Open with ``mode=ro``; False when the store needs (and may get) a migration."""
        uri = f"{self.path.resolve().as_uri()}?mode=ro"
        try:
            conn = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_S, isolation_level=None,
                                   check_same_thread=False)
            try:
                version = check_identity(conn, str(self.path))
            except sqlite3.OperationalError:
                # A WAL store on a read-only mount whose -shm cannot be created: nothing can
                # write there, so reading it as immutable is safe.
                conn.close()
                conn = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro&immutable=1",
                                       uri=True, isolation_level=None, check_same_thread=False)
                version = check_identity(conn, str(self.path))
        except sqlite3.DatabaseError as err:
            raise StoreError(f"{self.path} is not a usable results store: {err}") from err
        except BaseException:
            if "conn" in locals():
                conn.close()
            raise
        if version == 0:  # an empty file: a reader must not turn it into a store
            conn.close()
            raise StoreError(f"{self.path} is empty, not a wattprint results store (nothing "
                             "has been stored in it); it was left untouched")
        if version < SCHEMA_VERSION:
            conn.close()
            writable = os.access(self.path, os.W_OK) and os.access(self.path.parent, os.W_OK)
            if writable:
                return False
            raise StoreError(
                f"results store {self.path} has schema version {version} and must be migrated "
                f"to version {SCHEMA_VERSION} before this wattprint can read it, but it is "
                "read-only; open it once with write access (e.g. `wattprint store --store "
                f"{self.path}`) or use the wattprint version that wrote it")
        conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        self._conn = conn
        self.read_only = True
        return True

    def _open_read_write(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(str(self.path), timeout=BUSY_TIMEOUT_S,
                                   isolation_level=None, check_same_thread=False)
        except (OSError, sqlite3.Error) as err:
            raise StoreError(f"cannot open results store {self.path}: {err}") from err
        try:
            # Refuse a foreign database or a newer schema before anything writes to the file
            # (WAL switch included).
            check_identity(conn, str(self.path))
            conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
            conn.execute(f"PRAGMA page_size = {PAGE_BYTES}")  # no-op unless the file is new
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":  # pragma: no cover - e.g. some network filesystems
                raise StoreError(f"results store {self.path}: cannot switch to WAL mode "
                                 f"(got {mode!r}); concurrent writers would be unsafe")
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute(f"PRAGMA cache_size = -{WRITER_CACHE_KIB}")
            page = int(conn.execute("PRAGMA page_size").fetchone()[0])
            conn.execute(f"PRAGMA wal_autocheckpoint = {WAL_CHECKPOINT_BYTES // page}")
            conn.execute("PRAGMA foreign_keys = ON")
            self.migrated_from = migrate(conn, str(self.path))
        except sqlite3.DatabaseError as err:
            conn.close()
            raise StoreError(f"{self.path} is not a usable results store: {err}") from err
        except BaseException:
            conn.close()
            raise
        self._conn = conn

    # ---- life cycle --------------------------------------------------------------------

    def close(self) -> None:
        """Close the connection. Idempotent."""
        conn = self._conn
        if conn is not None:
            with self._lock:
                conn.close()
                self._conn = None

    def __enter__(self) -> ResultStore:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    @property
    def schema_version(self) -> int:
        """The schema version of the open store (always :data:`SCHEMA_VERSION` once open)."""
        with self._lock:
            return schema_version(self._db)

    @property
    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            raise StoreError(f"results store {self.path} is closed")
        return self._conn

    def _transaction(self) -> _Transaction:
        if self.read_only:
            raise StoreError(f"results store {self.path} was opened read-only")
        return _Transaction(self._db, str(self.path), self._lock)

    def _fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    # ---- writing -----------------------------------------------------------------------

    def _put_environment(self, environment: Mapping[str, Any]) -> str | None:
        if not environment:
            return None
        h, text = environment_entry(environment)
        self._put_environments({h: text})
        return h

    def _put_environments(self, environments: Mapping[str, str]) -> None:
        """Store environments (hash → JSON) not known to be stored (in a transaction)."""
        new = [(h, text) for h, text in environments.items() if h not in self._known_envs]
        if new:
            self._db.executemany("INSERT OR IGNORE INTO environments (hash, json) VALUES (?, ?)",
                                 new)
            self._known_envs.update(h for h, _ in new)

    def begin_run(self, run_id: str, suite: str | None, config: Mapping[str, Any],
                  environment: Mapping[str, Any]) -> None:
        """Record a run (idempotent: beginning the same run id again keeps the first record).

        Args:
            run_id: Id of the invocation.
            suite: Suite name, or None.
            config: The run's full config (JSON-serialisable; other values are stored as text).
            environment: The environment fingerprint (CPU, GPU, driver, libraries ...).
        """
        with self._transaction():
            h = self._put_environment(environment)
            self._db.execute(
                "INSERT OR IGNORE INTO runs (id, suite, config_json, environment_hash, started_at) "
                "VALUES (?, ?, ?, ?, ?)", (run_id, suite, _json(dict(config)), h, _now()))

    def _answers(self, job_ids: Iterable[str]) -> dict[tuple[str, int], tuple[int, str]]:
        """``(job_id, repetition) → (id, status)`` of the stored answers of these jobs."""
        out: dict[tuple[str, int], tuple[int, str]] = {}
        for chunk, marks in _in_lists(job_ids):
            for job, rep, rid, status in self._db.execute(
                    "SELECT job_id, repetition, id, status FROM results WHERE is_answer = 1 "
                    f"AND job_id IN ({marks})", chunk):
                out[(job, int(rep))] = (int(rid), status)
        return out

    def _same_failure_stored(self, job_id: str, repetition: int, attempt: int,
                             run_id: str) -> bool:
        return self._db.execute(
            "SELECT 1 FROM results WHERE job_id = ? AND repetition = ? AND attempt = ? "
            "AND COALESCE(run_id, '') = ? AND status = 'failed'",
            (job_id, repetition, attempt, run_id)).fetchone() is not None

    def write(self, result: JobResult) -> bool:
        """Store one result, atomically.

        A success supersedes the earlier failures of its ``(job_id, repetition)``: they stay
        as history and the success becomes the repetition's answer. A failure after a success
        is kept as history only.

        Args:
            result: The record to keep.

        Returns:
            True when it was written; False when the store already holds it — an ``ok``
            result for the same ``(job_id, repetition)``, or the same failure (same attempt
            and run) — in which case nothing is written (writes are idempotent).
        """
        return self.write_many([result]) == 1

    def write_many(self, results: Iterable[JobResult]) -> int:
        """Store many results in one transaction (all or nothing).

        Args:
            results: Records to keep; ones already stored (see :meth:`write`) are skipped.

        Returns:
            How many were newly written.
        """
        batch = list(results)
        for r in batch:
            if not isinstance(r, JobResult):
                raise StoreError(f"can only store JobResult records, got {type(r).__name__}")
        with self._lock:
            dictionary = None if len(batch) >= DICT_MIN_BATCH else self._latest_dict()
            return self.write_encoded(self._codec.encode_batch(batch, dictionary))

    def write_encoded(self, *batches: EncodedBatch) -> int:
        """Store records encoded by :meth:`RecordCodec.encode_batch` (in this process or
        another), all batches in one transaction: all or nothing, with :meth:`write`'s rules.

        SQLite's per-row foreign-key enforcement is off for this transaction (it cost about
        3 µs per record of a bulk import): the rows' references are checked once per
        transaction instead (:meth:`_check_references`), and a violation rolls it back.

        Returns:
            How many were newly written.

        Raises:
            StoreError: the store is busy, a write failed, or a reference is dangling; nothing
                of the transaction is kept.
        """
        with self._lock, self._foreign_keys_off():
            return self._write_encoded(batches)

    @contextlib.contextmanager
    def _foreign_keys_off(self) -> Iterator[None]:
        """Per-row foreign-key enforcement off (outside a transaction, as SQLite requires)."""
        self._db.execute("PRAGMA foreign_keys = OFF")
        try:
            yield
        finally:
            self._db.execute("PRAGMA foreign_keys = ON")

    def _check_references(self, env_hashes: set[str], spec_hashes: set[str]) -> None:
        """The environments and domain descriptions this transaction's rows reference are
        stored (each looked up once; raises StoreError if not). Its ``windows`` and
        ``domains`` rows need no check: they reference the results it writes itself, by ids
        it gave them (the rows of a result that is skipped are skipped with it)."""
        for table, column, wanted in (("environments", "hash", env_hashes),
                                      ("domain_specs", "hash", spec_hashes)):
            found: set[str] = set()
            for chunk, marks in _in_lists(wanted):
                found.update(r[0] for r in self._db.execute(
                    f"SELECT {column} FROM {table} WHERE {column} IN ({marks})", chunk))
            if found != wanted:
                raise StoreError(f"results store {self.path}: write refused, {table} "
                                 f"{sorted(wanted - found)[:3]} referenced but not stored")

    def _write_encoded(self, batches: tuple[EncodedBatch, ...]) -> int:
        stored_at = _now()
        windows: list[tuple[Any, ...]] = []
        domains: list[tuple[Any, ...]] = []
        rows: list[list[Any]] = []
        pending: dict[int, list[Any]] = {}  # id → row of this transaction
        superseded: list[tuple[int]] = []   # stored answers that stop being answers
        failures: set[tuple[str, int, int, str]] = set()  # failures written by it
        last_dict: tuple[int, bytes] | None = None
        try:
            with self._transaction():
                answers = self._answers(v[JOB_AT] for b in batches for v in b.values)
                next_id = int(self._db.execute(
                    "SELECT COALESCE(MAX(id), 0) FROM results").fetchone()[0]) + 1
                env_hashes: set[str] = set()
                spec_hashes: set[str] = set()
                for batch in batches:
                    dict_id = None
                    if batch.new_dict is not None:
                        dict_id = self._db.execute(
                            "INSERT INTO record_dicts (zdict, format) VALUES (?, ?)",
                            (batch.new_dict, DICT_FORMAT)).lastrowid
                        assert dict_id is not None  # an INSERT into a rowid table has one
                        last_dict = (dict_id, batch.new_dict)
                    self._db.executemany("INSERT OR IGNORE INTO domain_specs (hash, json) "
                                         "VALUES (?, ?)", list(batch.specs.items()))
                    self._put_environments(batch.environments)
                    for values, blob, wins, doms in zip(batch.values, batch.record_json,
                                                        batch.windows, batch.domains):
                        key = (values[JOB_AT], values[REPETITION_AT])
                        status = values[STATUS_AT]
                        answer = answers.get(key)
                        answer_ok = answer is not None and answer[1] == STATUS_OK
                        if status == STATUS_OK:
                            if answer_ok:
                                continue  # one success per repetition: the first stays
                        else:
                            failure = (*key, values[ATTEMPT_AT], values[RUN_AT] or "")
                            if failure in failures or self._same_failure_stored(*failure):
                                continue  # the same failure, written again
                            failures.add(failure)
                        is_answer = 0 if answer_ok else 1  # a failure after a success: history
                        if is_answer and answer is not None:
                            if answer[0] in pending:
                                pending[answer[0]][-1] = 0
                            else:
                                superseded.append((answer[0],))
                        rid, next_id = next_id, next_id + 1
                        if dict_id is not None:
                            blob = with_dict_id(blob, dict_id)
                        row = [rid, *values, stored_at, blob, is_answer]
                        rows.append(row)
                        pending[rid] = row
                        windows += [(rid, *w) for w in wins]
                        domains += [(rid, *d) for d in doms]
                        spec_hashes.update([d[-1] for d in doms])
                        if values[ENVIRONMENT_AT] is not None:
                            env_hashes.add(values[ENVIRONMENT_AT])
                        if is_answer:
                            answers[key] = (rid, status)
                self._db.executemany("UPDATE results SET is_answer = 0 WHERE id = ?", superseded)
                self._db.executemany(_INSERT_RESULT, rows)
                self._db.executemany(_INSERT_WINDOW, windows)
                self._db.executemany(_INSERT_DOMAIN, domains)
                self._check_references(env_hashes, spec_hashes)
        except BaseException:
            # Rolled back: forget what is known to be stored (re-learnt by INSERT OR IGNORE).
            self._known_envs = set()
            self._dictionary = None
            raise
        if last_dict is not None:
            self._dictionary = last_dict
        return len(rows)

    def _latest_dict(self) -> tuple[int, bytes] | None:
        """The store's most recent compression dictionary, if it has one."""
        if self._dictionary is None:
            row = self._db.execute(
                "SELECT id, zdict FROM record_dicts WHERE format = ? ORDER BY id DESC LIMIT 1",
                (DICT_FORMAT,)).fetchone()
            if row is not None:
                self._dictionary = (int(row[0]), bytes(row[1]))
        return self._dictionary

    def _decompressor(self, dict_id: int) -> Callable[[bytes], bytes]:
        """The decompressor of records stored with dictionary ``dict_id`` (this thread's)."""
        cache: dict[int, Callable[[bytes], bytes]] | None = getattr(
            self._decompressors, "by_id", None)
        if cache is None:
            cache = self._decompressors.by_id = {}
        found = cache.get(dict_id)
        if found is None:
            rows = self._fetchall("SELECT format, zdict FROM record_dicts WHERE id = ?",
                                  (dict_id,))
            if not rows:
                raise StoreError(f"results store {self.path}: compression dictionary "
                                 f"{dict_id} is missing")
            found = cache[dict_id] = decompressor(str(rows[0][0]), bytes(rows[0][1]))
        return found

    # ---- reading -----------------------------------------------------------------------

    def completed_keys(self, job_ids: Iterable[str] | None = None) -> set[tuple[str, int]]:
        """The ``(job_id, repetition)`` pairs stored with status ``ok`` (for resuming).

        Args:
            job_ids: Restrict to these jobs; None for all.
        """
        sql = "SELECT DISTINCT job_id, repetition FROM results WHERE status = ?"
        if job_ids is None:
            return {(j, int(r)) for j, r in self._fetchall(sql, (STATUS_OK,))}
        out: set[tuple[str, int]] = set()
        for chunk, marks in _in_lists(job_ids):
            q = f"{sql} AND job_id IN ({marks})"
            out.update((j, int(r)) for j, r in self._fetchall(q, (STATUS_OK, *chunk)))
        return out

    @staticmethod
    def _where(filters: Mapping[str, Any], history: bool = False) -> tuple[str, list[Any]]:
        clauses, params = [], []
        if not history:
            clauses.append("is_answer = 1")
        for col, value in filters.items():
            if value is None:
                continue
            if isinstance(value, (list, tuple, set, frozenset)):
                values = list(value)
                clauses.append(f"{col} IN ({', '.join('?' * len(values))})")
                params.extend(values)
            else:
                clauses.append(f"{col} = ?")
                params.append(value)
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", params

    def _environment(self, h: str | None) -> dict[str, Any] | None:
        if h is None:
            return None
        env = self._envs.get(h)
        if env is None:
            rows = self._fetchall("SELECT json FROM environments WHERE hash = ?", (h,))
            env = json.loads(rows[0][0]) if rows else {}
            self._envs[h] = env
        return env

    def _spec(self, h: str) -> dict[str, Any]:
        spec = self._codec.specs.get(h)
        if spec is None:
            rows = self._fetchall("SELECT json FROM domain_specs WHERE hash = ?", (h,))
            if not rows:
                raise StoreError(f"results store {self.path}: domain description {h} is missing")
            spec = json.loads(rows[0][0])
            self._codec.specs[h] = spec
        return spec

    def iter_results(self, *, task: str | Sequence[str] | None = None,
                     model: str | Sequence[str] | None = None,
                     dataset: str | Sequence[str] | None = None, status: str | None = None,
                     source: str | None = None, run_id: str | None = None,
                     history: bool = False) -> Iterator[JobResult]:
        """Like :meth:`results`, one record at a time (in storage order)."""
        where, params = self._where({"task": task, "model": model, "dataset": dataset,
                                     "status": status, "source": source, "run_id": run_id},
                                    history)
        cols = ", ".join(COLUMN_KEYS)
        rows = self._fetchall(f"SELECT record_json, environment_hash, id, {cols} "
                              f"FROM results{where} ORDER BY id", params)
        for blob, env_hash, rid, *values in rows:
            try:
                yield self._codec.decode(blob, dict(zip(COLUMN_KEYS, values)),
                                         self._environment(env_hash), self._spec,
                                         self._decompressor)
            except (ValueError, KeyError, TypeError) as err:
                raise StoreError(f"results store {self.path}: result row {rid} cannot be read "
                                 f"back: {err}") from err

    def results(self, *, task: str | Sequence[str] | None = None,
                model: str | Sequence[str] | None = None,
                dataset: str | Sequence[str] | None = None, status: str | None = None,
                source: str | None = None, run_id: str | None = None,
                history: bool = False) -> list[JobResult]:
        """Stored results, optionally filtered (each filter: one value or a list of values).

        Args:
            history: Also return the failures a later success superseded (and failures
                repeated after a success). By default only each repetition's answer is
                returned: its success, else its latest failure.

        Returns:
            The records exactly as written (``JobResult`` equality holds), in storage order.
        """
        return list(self.iter_results(task=task, model=model, dataset=dataset, status=status,
                                      source=source, run_id=run_id, history=history))

    def count(self, *, task: str | None = None, model: str | None = None,
              dataset: str | None = None, status: str | None = None, source: str | None = None,
              run_id: str | None = None, history: bool = False) -> int:
        """How many results are stored (filtered and answers-only as in :meth:`results`)."""
        where, params = self._where({"task": task, "model": model, "dataset": dataset,
                                     "status": status, "source": source, "run_id": run_id},
                                    history)
        return int(self._fetchall(f"SELECT COUNT(*) FROM results{where}", params)[0][0])

    def runs(self) -> list[RunInfo]:
        """Every recorded run, oldest first, with its number of stored results (answers)."""
        rows = self._fetchall(
            "SELECT r.id, r.suite, r.config_json, e.json, r.started_at, "
            "(SELECT COUNT(*) FROM results x WHERE x.run_id = r.id AND x.is_answer = 1) "
            "FROM runs r LEFT JOIN environments e ON e.hash = r.environment_hash "
            "ORDER BY r.started_at, r.rowid")
        return [RunInfo(i, s, json.loads(c), json.loads(e) if e else {}, t, int(n))
                for i, s, c, e, t, n in rows]

    def integrity_check(self) -> list[str]:
        """SQLite's integrity check plus wattprint's own: every result row is whole, and
        every repetition has exactly one answer, a success when it has one.

        Returns:
            Problems found (empty when the store is consistent).
        """
        problems = [r[0] for r in self._fetchall("PRAGMA integrity_check") if r[0] != "ok"]
        problems += [f"foreign key violation in {r[0]} row {r[1]}"
                     for r in self._fetchall("PRAGMA foreign_key_check")]
        orphan = self._fetchall(
            "SELECT COUNT(*) FROM results r WHERE r.status = ? AND NOT EXISTS "
            "(SELECT 1 FROM domains d WHERE d.result_id = r.id AND d.window = ?)",
            (STATUS_OK, QUERY_WINDOW))[0][0]
        if orphan:
            problems.append(f"{orphan} ok result(s) without query-window domains")
        bad = self._fetchall(
            "SELECT job_id, repetition, SUM(is_answer), SUM(status = 'ok'), "
            "MAX(CASE WHEN is_answer = 1 THEN status END) FROM results "
            "GROUP BY job_id, repetition HAVING SUM(is_answer) != 1 OR "
            "(SUM(status = 'ok') > 0 AND MAX(CASE WHEN is_answer = 1 THEN status END) != 'ok')")
        problems += [f"repetition {j}#{r}: {a} answer(s), {k} ok row(s), answer status {s}"
                     for j, r, a, k, s in bad]
        return problems

    def info(self) -> dict[str, Any]:
        """Path, schema version and counts (answers; ``history``: superseded failures), for
        ``wattprint store``."""
        return {
            "path": str(self.path), "schema_version": self.schema_version,
            "code_schema_version": SCHEMA_VERSION, "runs": len(self.runs()),
            "results": self.count(), "ok": self.count(status=STATUS_OK),
            "failed": self.count(status=STATUS_FAILED),
            "history": self.count(history=True) - self.count(),
            "environments": int(self._fetchall("SELECT COUNT(*) FROM environments")[0][0]),
            "read_only": self.read_only,
        }


MAX_IN_VALUES = 500
"""Values per ``IN (…)`` list of a query (under SQLite's bound-parameter limit, 999 in older
builds)."""


def _in_lists(values: Iterable[str]) -> Iterator[tuple[list[str], str]]:
    """The distinct values in lists of at most :data:`MAX_IN_VALUES`, each with its
    placeholders (``"?, ?, …"``)."""
    distinct = list(dict.fromkeys(values))
    for i in range(0, len(distinct), MAX_IN_VALUES):
        chunk = distinct[i:i + MAX_IN_VALUES]
        yield chunk, ", ".join("?" * len(chunk))


class _Transaction:
    """``BEGIN IMMEDIATE`` … ``COMMIT``, or ``ROLLBACK`` on any exception."""

    def __init__(self, conn: sqlite3.Connection, path: str, lock: threading.RLock) -> None:
        self._conn = conn
        self._path = path
        self._lock = lock

    def __enter__(self) -> _Transaction:
        self._lock.acquire()
        try:
            self._conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as err:
            self._lock.release()
            raise StoreError(f"results store {self._path} is busy or locked: {err}") from err
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        try:
            if exc_type is None:
                try:
                    self._conn.execute("COMMIT")
                except sqlite3.Error as err:
                    self._conn.execute("ROLLBACK")
                    raise StoreError(f"results store {self._path}: commit failed: {err}") from err
            else:
                self._conn.execute("ROLLBACK")
                if isinstance(exc, sqlite3.Error):
                    raise StoreError(f"results store {self._path}: write failed: {exc}") from exc
        finally:
            self._lock.release()
