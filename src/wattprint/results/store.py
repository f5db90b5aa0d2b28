"""The results store: one SQLite file that keeps every job result, losslessly.

Layout (see :mod:`wattprint.results.migrations` for the DDL and its versions):

* ``runs`` — one row per invocation (suite run, import): suite, config JSON, environment.
* ``environments`` — environment fingerprints, deduplicated by the SHA-256 of their JSON.
* ``results`` — one row per stored :class:`~wattprint.results.schema.JobResult` (a job's
  repetition and attempt): the searchable fields, the per-provenance energy totals of the
  query window, and the full record as JSON (``record_json``) so that a read gives back
  exactly what was written.
* ``windows`` — the query window and every other phase (load, warm-up, idle ...).
* ``domains`` — energy per domain and window, with provenance, boundary, scope, uncertainty
  and idle/dynamic split.

Every write is one transaction (``BEGIN IMMEDIATE`` … ``COMMIT``): a process killed at any
moment leaves either the whole result or nothing. The file is in WAL mode with a busy timeout,
so several processes (parallel workers, a report reading while a suite runs) can use it at
once.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import datetime, timezone
from pathlib import Path
from types import TracebackType
from typing import Any

from wattprint.errors import StoreError
from wattprint.meters.base import DomainEnergy, EstimateModel, Provenance
from wattprint.results.migrations import SCHEMA_VERSION, check_not_newer, migrate
from wattprint.results.schema import STATUS_OK, JobResult

ENV_STORE = "WATTPRINT_STORE"
"""Environment variable that overrides the default store path."""

DEFAULT_STORE = Path("wattprint-results") / "results.db"

BUSY_TIMEOUT_S = 60.0
"""How long a writer waits for another process's transaction before giving up, seconds."""


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


def environment_hash(environment: Mapping[str, Any]) -> str:
    """Stable 16-hex-digit id of an environment fingerprint (key order does not matter)."""
    return hashlib.sha256(_json(dict(environment)).encode()).hexdigest()[:16]


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


_RESULT_COLUMNS = (
    "job_id", "repetition", "attempt", "run_id", "suite", "task", "model", "dataset", "n",
    "status", "error", "duration_s", "backend", "measured_j", "integrated_j", "estimated_j",
    "carbon_g", "source", "source_file", "source_line", "environment_hash", "created_at",
    "stored_at", "record_json",
)
_INSERT_RESULT = (f"INSERT INTO results ({', '.join(_RESULT_COLUMNS)}) "
                  f"VALUES ({', '.join('?' * len(_RESULT_COLUMNS))})")
_INSERT_WINDOW = "INSERT INTO windows (result_id, label, started_at, duration_s) VALUES (?, ?, ?, ?)"
_DOMAIN_COLUMNS = (
    "result_id", "window", "name", "component", "boundary", "provenance", "source", "scope",
    "energy_j", "uncertainty", "idle_power_w", "idle_energy_j", "dynamic_energy_j", "model_json",
)
_INSERT_DOMAIN = (f"INSERT INTO domains ({', '.join(_DOMAIN_COLUMNS)}) "
                  f"VALUES ({', '.join('?' * len(_DOMAIN_COLUMNS))})")

QUERY_WINDOW = "query"
"""Label under which a result's own (query) window is stored in ``windows``/``domains``."""


_DOMAIN_FIELDS = tuple(f.name for f in fields(DomainEnergy))
_RESULT_FIELDS = tuple(f.name for f in fields(JobResult))


class _ModelCache:
    """``EstimateModel`` → its dict and JSON, computed once per object within one write."""

    def __init__(self) -> None:
        self._by_id: dict[int, tuple[EstimateModel, dict[str, Any], str]] = {}

    def get(self, model: EstimateModel) -> tuple[dict[str, Any], str]:
        hit = self._by_id.get(id(model))
        if hit is None or hit[0] is not model:
            d = model.to_dict()
            hit = (model, d, _json(d))
            self._by_id[id(model)] = hit
        return hit[1], hit[2]


def _domain_dict(d: DomainEnergy, cache: _ModelCache) -> dict[str, Any]:
    # Same content as DomainEnergy.to_dict() without dataclasses.asdict's deep copies.
    out = {name: getattr(d, name) for name in _DOMAIN_FIELDS}
    out["provenance"] = d.provenance.value
    out["model"] = None if d.model is None else dict(cache.get(d.model)[0])
    return out


def record_dict(r: JobResult, cache: _ModelCache | None = None) -> dict[str, Any]:
    """The lossless content of a record: ``to_dict()`` without its derived keys (``totals``,
    ``per_inference``, per-window ``totals``/``average_power_w``), which ``from_dict``
    ignores and which are recomputed on read."""
    cache = cache or _ModelCache()
    d: dict[str, Any] = {name: getattr(r, name) for name in _RESULT_FIELDS}
    d["domains"] = [_domain_dict(x, cache) for x in r.domains]
    d["phases"] = {k: {"label": w.label, "started_at": w.started_at, "duration_s": w.duration_s,
                       "domains": [_domain_dict(x, cache) for x in w.domains],
                       "warnings": list(w.warnings)} for k, w in r.phases.items()}
    for k in ("settings", "quality", "environment", "extra"):
        d[k] = dict(getattr(r, k))
    d["carbon"] = None if r.carbon is None else dict(r.carbon)
    return d


def record_json(r: JobResult, cache: _ModelCache | None = None) -> str:
    """:func:`record_dict` as compact JSON (what ``results.record_json`` holds)."""
    return json.dumps(record_dict(r, cache), separators=(",", ":"), default=str)


def _domain_row(window: str, d: DomainEnergy, cache: _ModelCache) -> tuple[Any, ...]:
    return (window, d.name, d.component, d.boundary, d.provenance.value, d.source, d.scope,
            d.energy_j, d.uncertainty, d.idle_power_w, d.idle_energy_j, d.dynamic_energy_j,
            None if d.model is None else cache.get(d.model)[1])


class ResultStore:
    """A SQLite results store (see the module docstring for the layout).

    Use as a context manager, or call :meth:`close`. One instance per process; several
    processes may open the same file at once.

    Args:
        path: The database file; its folder is created. Defaults to
            :func:`default_store_path`.
        must_exist: Raise instead of creating a new store when the file is missing (for
            commands that only read).

    Raises:
        StoreError: when the file is not a SQLite database, is missing (``must_exist``), or
            comes from a newer schema than this code knows (the file is then left untouched).
    """

    def __init__(self, path: str | os.PathLike[str] | None = None, *, must_exist: bool = False) -> None:
        self.path = Path(path) if path is not None else default_store_path()
        self._lock = threading.RLock()  # one connection, shared safely by this process's threads
        if must_exist and not self.path.exists():
            raise StoreError(f"no results store at {self.path} (give --store PATH, or set "
                             f"{ENV_STORE}; nothing has been stored there yet)")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = sqlite3.connect(str(self.path), timeout=BUSY_TIMEOUT_S,
                                         isolation_level=None, check_same_thread=False)
        except (OSError, sqlite3.Error) as err:
            raise StoreError(f"cannot open results store {self.path}: {err}") from err
        try:
            # Refuse a newer schema before anything writes to the file (WAL switch included).
            check_not_newer(self._conn, str(self.path))
            self._conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
            mode = self._conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":  # pragma: no cover - e.g. some network filesystems
                raise StoreError(f"results store {self.path}: cannot switch to WAL mode "
                                 f"(got {mode!r}); concurrent writers would be unsafe")
            self._conn.execute("PRAGMA synchronous = NORMAL")
            self._conn.execute("PRAGMA foreign_keys = ON")
            self.migrated_from = migrate(self._conn, str(self.path))
        except sqlite3.DatabaseError as err:
            self._conn.close()
            raise StoreError(f"{self.path} is not a usable results store: {err}") from err
        except BaseException:
            self._conn.close()
            raise

    # ---- life cycle --------------------------------------------------------------------

    def close(self) -> None:
        """Close the connection. Idempotent."""
        conn = getattr(self, "_conn", None)
        if conn is not None:
            with self._lock:
                conn.close()
                self._conn = None  # type: ignore[assignment]

    def __enter__(self) -> ResultStore:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    @property
    def schema_version(self) -> int:
        """The schema version of the open store (always :data:`SCHEMA_VERSION` once open)."""
        return int(self._fetchall("PRAGMA user_version")[0][0])

    @property
    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            raise StoreError(f"results store {self.path} is closed")
        return self._conn

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db, str(self.path), self._lock)

    def _fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    # ---- writing -----------------------------------------------------------------------

    def _put_environment(self, environment: Mapping[str, Any]) -> str | None:
        if not environment:
            return None
        h = environment_hash(environment)
        self._db.execute("INSERT OR IGNORE INTO environments (hash, json) VALUES (?, ?)",
                         (h, _json(dict(environment))))
        return h

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

    def _is_stored(self, r: JobResult) -> bool:
        row = self._db.execute(
            "SELECT 1 FROM results WHERE job_id = ? AND repetition = ? "
            "AND (status = ? OR attempt = ?) LIMIT 1",
            (r.job_id, r.repetition, STATUS_OK, r.attempt)).fetchone()
        return row is not None

    def _insert(self, r: JobResult, stored_at: str, cache: _ModelCache,
                envs: dict[int, str | None]) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
        key = id(r.environment)
        if key not in envs:
            envs[key] = self._put_environment(r.environment)
        env_hash = envs[key]
        carbon_g = None
        if r.carbon is not None and r.carbon.get("emissions_g") is not None:
            carbon_g = float(r.carbon["emissions_g"])
        row = (r.job_id, r.repetition, r.attempt, r.run_id, r.suite, r.task, r.model, r.dataset,
               r.n, r.status, r.error, r.duration_s, r.backend,
               r.energy_j(Provenance.MEASURED), r.energy_j(Provenance.INTEGRATED),
               r.energy_j(Provenance.ESTIMATED), carbon_g, r.source, r.source_file,
               r.source_line, env_hash, r.created_at, stored_at,
               record_json(r, cache))
        rid = self._db.execute(_INSERT_RESULT, row).lastrowid
        windows = []
        domains = []
        if r.domains:
            windows.append((rid, QUERY_WINDOW, None, r.duration_s))
            domains.extend((rid, *_domain_row(QUERY_WINDOW, d, cache)) for d in r.domains)
        for label, w in r.phases.items():
            windows.append((rid, label, w.started_at, w.duration_s))
            domains.extend((rid, *_domain_row(label, d, cache)) for d in w.domains)
        return windows, domains

    def write(self, result: JobResult) -> bool:
        """Store one result, atomically.

        Args:
            result: The record to keep.

        Returns:
            True when stored; False when the store already holds it — an ``ok`` result for the
            same ``(job_id, repetition)``, or the same ``(job_id, repetition, attempt)`` — in
            which case nothing is written (writes are idempotent, never duplicated).
        """
        return self.write_many([result]) == 1

    def write_many(self, results: Iterable[JobResult]) -> int:
        """Store many results in one transaction (all or nothing).

        Args:
            results: Records to keep; ones already stored (see :meth:`write`) are skipped.

        Returns:
            How many were newly stored.
        """
        stored_at = _now()
        written = 0
        windows: list[tuple[Any, ...]] = []
        domains: list[tuple[Any, ...]] = []
        cache = _ModelCache()
        batch = list(results)
        envs: dict[int, str | None] = {}  # id(environment) → hash; objects live in `batch`
        with self._transaction():
            for r in batch:
                if not isinstance(r, JobResult):
                    raise StoreError(f"can only store JobResult records, got {type(r).__name__}")
                if self._is_stored(r):
                    continue
                w, d = self._insert(r, stored_at, cache, envs)
                windows.extend(w)
                domains.extend(d)
                written += 1
            self._db.executemany(_INSERT_WINDOW, windows)
            self._db.executemany(_INSERT_DOMAIN, domains)
        return written

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
        ids = list(dict.fromkeys(job_ids))
        for i in range(0, len(ids), 500):  # stay under SQLite's bound-parameter limit
            chunk = ids[i:i + 500]
            q = f"{sql} AND job_id IN ({', '.join('?' * len(chunk))})"
            out.update((j, int(r)) for j, r in self._fetchall(q, (STATUS_OK, *chunk)))
        return out

    @staticmethod
    def _where(filters: Mapping[str, Any]) -> tuple[str, list[Any]]:
        clauses, params = [], []
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

    def iter_results(self, *, task: str | Sequence[str] | None = None,
                     model: str | Sequence[str] | None = None,
                     dataset: str | Sequence[str] | None = None, status: str | None = None,
                     source: str | None = None, run_id: str | None = None) -> Iterator[JobResult]:
        """Like :meth:`results`, one record at a time (in storage order)."""
        where, params = self._where({"task": task, "model": model, "dataset": dataset,
                                     "status": status, "source": source, "run_id": run_id})
        rows = self._fetchall(f"SELECT record_json, id FROM results{where} ORDER BY id", params)
        for blob, rid in rows:
            try:
                yield JobResult.from_dict(json.loads(blob))
            except (ValueError, KeyError, TypeError) as err:
                raise StoreError(f"results store {self.path}: result row {rid} cannot be read "
                                 f"back: {err}") from err

    def results(self, *, task: str | Sequence[str] | None = None,
                model: str | Sequence[str] | None = None,
                dataset: str | Sequence[str] | None = None, status: str | None = None,
                source: str | None = None, run_id: str | None = None) -> list[JobResult]:
        """Stored results, optionally filtered (each filter: one value or a list of values).

        Returns:
            The records exactly as written (``JobResult`` equality holds), in storage order.
        """
        return list(self.iter_results(task=task, model=model, dataset=dataset, status=status,
                                      source=source, run_id=run_id))

    def count(self, *, task: str | None = None, model: str | None = None,
              dataset: str | None = None, status: str | None = None, source: str | None = None,
              run_id: str | None = None) -> int:
        """How many results are stored (optionally filtered as in :meth:`results`)."""
        where, params = self._where({"task": task, "model": model, "dataset": dataset,
                                     "status": status, "source": source, "run_id": run_id})
        return int(self._fetchall(f"SELECT COUNT(*) FROM results{where}", params)[0][0])

    def runs(self) -> list[RunInfo]:
        """Every recorded run, oldest first, with its number of stored results."""
        rows = self._fetchall(
            "SELECT r.id, r.suite, r.config_json, e.json, r.started_at, "
            "(SELECT COUNT(*) FROM results x WHERE x.run_id = r.id) "
            "FROM runs r LEFT JOIN environments e ON e.hash = r.environment_hash "
            "ORDER BY r.started_at, r.rowid")
        return [RunInfo(i, s, json.loads(c), json.loads(e) if e else {}, t, int(n))
                for i, s, c, e, t, n in rows]

    def integrity_check(self) -> list[str]:
        """SQLite's integrity check plus wattprint's own: every result row is whole.

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
        return problems

    def info(self) -> dict[str, Any]:
        """Path, schema version and counts, for ``wattprint store``."""
        return {
            "path": str(self.path), "schema_version": self.schema_version,
            "code_schema_version": SCHEMA_VERSION, "runs": len(self.runs()),
            "results": self.count(), "ok": self.count(status=STATUS_OK),
            "failed": self.count(status="failed"),
            "environments": int(self._fetchall("SELECT COUNT(*) FROM environments")[0][0]),
        }


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
