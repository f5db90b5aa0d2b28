"""The results store: one SQLite file that keeps every job result, losslessly.

Layout (see :mod:`wattprint.results.migrations` for the DDL and its versions):

* ``runs`` — one row per invocation (suite run, import): suite, config JSON, environment.
* ``environments`` — environment fingerprints, deduplicated by the SHA-256 of their JSON.
* ``results`` — one row per stored :class:`~wattprint.results.schema.JobResult` (a job's
  repetition and attempt): the searchable fields, the per-provenance energy totals of the
  query window, and the record as compact JSON (``record_json``, see :class:`RecordCodec`)
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

import hashlib
import json
import os
import sqlite3
import struct
import threading
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import MISSING, dataclass, fields
from datetime import datetime, timezone
from pathlib import Path
from types import TracebackType
from typing import Any

from wattprint.errors import StoreError
from wattprint.meters.base import DomainEnergy, Provenance
from wattprint.results.migrations import (
    RECORD_DICTS_DDL,
    SCHEMA_VERSION,
    check_identity,
    migrate,
    schema_version,
    spec_hash,
    spec_json,
)
from wattprint.results.schema import STATUS_FAILED, STATUS_OK, JobResult

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
    "id", "job_id", "repetition", "attempt", "run_id", "suite", "task", "model", "dataset", "n",
    "status", "error", "duration_s", "backend", "measured_j", "integrated_j", "estimated_j",
    "carbon_g", "source", "source_file", "source_line", "environment_hash", "created_at",
    "stored_at", "record_json", "is_answer",
)
_INSERT_RESULT = (f"INSERT INTO results ({', '.join(_RESULT_COLUMNS)}) "
                  f"VALUES ({', '.join('?' * len(_RESULT_COLUMNS))})")
_INSERT_WINDOW = "INSERT INTO windows (result_id, label, started_at, duration_s) VALUES (?, ?, ?, ?)"
_DOMAIN_COLUMNS = (
    "result_id", "window", "name", "provenance", "scope", "energy_j", "idle_power_w",
    "idle_energy_j", "dynamic_energy_j", "spec_hash",
)
_INSERT_DOMAIN = (f"INSERT INTO domains ({', '.join(_DOMAIN_COLUMNS)}) "
                  f"VALUES ({', '.join('?' * len(_DOMAIN_COLUMNS))})")

QUERY_WINDOW = "query"
"""Label under which a result's own (query) window is stored in ``windows``/``domains``."""

COMPACT_FORMAT = 3
"""Value of the ``$v`` key of a compact ``record_json`` (see :class:`RecordCodec`)."""

DICT_MIN_BATCH = 64
"""A batch of at least this many records gets a compression dictionary of its own."""
DICT_SAMPLES = 4
"""Records of a batch whose JSON makes its dictionary."""
DICT_BYTES = 2048
"""Size of a dictionary: deflate's window is 2 KiB (``wbits`` 11), which keeps setting up a
compressor with a dictionary cheap (it is done once per record) and loses nothing on records
of ~1 KB."""
_WBITS = -11  # raw deflate, 2 KiB window
_MEM_LEVEL = 2
_DICT_ID = struct.Struct("<I")

_DERIVED_RESULT_KEYS = ("totals", "per_inference")
_DERIVED_WINDOW_KEYS = ("totals", "average_power_w")
_DOMAIN_VALUE_KEYS = ("energy_j", "idle_power_w", "idle_energy_j", "dynamic_energy_j")
"""What is particular to one measurement; the rest of a domain is its (shared) description."""


def _field_defaults() -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in fields(JobResult):
        if f.default is not MISSING:
            out[f.name] = f.default
        elif f.default_factory is not MISSING:
            out[f.name] = f.default_factory()
    return out


COLUMN_KEYS = ("job_id", "repetition", "attempt", "run_id", "suite", "task", "model", "dataset",
               "n", "status", "error", "duration_s", "backend", "source", "source_file",
               "source_line", "created_at")
"""Record fields that ``results`` keeps in columns of their own (not repeated in the JSON)."""


@dataclass(frozen=True)
class Encoded:
    """A record as the store keeps it.

    Attributes:
        record_json: The compact JSON, or it deflated with a dictionary (see
            :class:`RecordCodec`).
        columns: The :data:`COLUMN_KEYS` values, from ``to_dict``.
        domains: Rows ``(window, name, provenance, scope, energy_j, idle_power_w,
            idle_energy_j, dynamic_energy_j, spec_hash)``.
        emissions_g: Total emissions of the record's carbon record, g CO2eq, or None.
    """

    record_json: str | bytes
    columns: dict[str, Any]
    domains: list[tuple[Any, ...]]
    emissions_g: float | None


class RecordCodec:
    """A :class:`JobResult` ↔ the compact JSON kept in ``results.record_json``.

    The record is serialised by its own ``to_dict()`` (the one serialiser of the type); the
    store then only takes out what it keeps elsewhere or can recompute: the derived keys
    (totals, per-inference figures, average power), fields equal to their defaults, fields
    held in columns of ``results`` (:data:`COLUMN_KEYS`), the
    environment (kept once in ``environments``, referenced by ``environment_hash``) and each
    domain's description (kept once in ``domain_specs``, referenced as ``{"$s": hash}``
    beside the domain's own numbers). What still repeats from record to record (keys, labels,
    locations) goes into a compression dictionary kept once in ``record_dicts``: once a
    dictionary exists, the JSON is stored deflated with it (a BLOB: the dictionary's id, 4
    bytes little-endian, then the raw deflate stream, 2 KiB window); before, as text. :meth:`decode` puts
    everything back and reads with ``JobResult.from_dict``; records stored before v3 (full
    ``to_dict`` JSON) read as they are.
    """

    def __init__(self) -> None:
        self._defaults = _field_defaults()
        self.specs: dict[str, dict[str, Any]] = {}
        """hash → domain description, for every description this codec has seen."""
        self.new_specs: dict[str, str] = {}
        """hash → JSON of descriptions seen by :meth:`encode` and not yet written."""
        self._by_parts: dict[tuple[Any, ...], tuple[str, Any]] = {}
        self.zdicts: dict[int, bytes] = {}
        """id → compression dictionary, for every dictionary this codec has used."""
        self.current_dict: int | None = None
        """The dictionary :meth:`encode` deflates with (None: store text)."""

    def _spec_of(self, obj: DomainEnergy, d: dict[str, Any]) -> str:
        # Keyed on the description's parts (the estimate model by identity, kept alive in
        # the cache so that its id is not reused): one JSON + hash per distinct description.
        key = (obj.name, obj.component, obj.boundary, obj.provenance, obj.source, obj.scope,
               obj.uncertainty, id(obj.model))
        hit = self._by_parts.get(key)
        if hit is not None:
            return hit[0]
        spec = {k: v for k, v in d.items() if k not in _DOMAIN_VALUE_KEYS}
        text = spec_json(spec)
        h = spec_hash(text)
        if h not in self.specs:
            self.specs[h] = spec
            self.new_specs[h] = text
        if len(self._by_parts) > 10_000:
            self._by_parts.clear()
        self._by_parts[key] = (h, obj.model)
        return h

    def encode(self, r: JobResult) -> Encoded:
        """Serialise ``r`` for the store (see :class:`Encoded`)."""
        d = r.to_dict(derived=False)
        carbon = d.get("carbon")
        emissions_g = carbon.get("emissions_g") if isinstance(carbon, Mapping) else None
        for k in _DERIVED_RESULT_KEYS:
            d.pop(k, None)
        d.pop("environment", None)
        columns = {k: d.pop(k, None) for k in COLUMN_KEYS}
        rows: list[tuple[Any, ...]] = []

        def domains(window: str, objs: Sequence[DomainEnergy],
                    items: list[dict[str, Any]]) -> list[dict[str, Any]]:
            out = []
            for obj, x in zip(objs, items):
                h = self._spec_of(obj, x)
                entry = {"$s": h}
                entry.update((k, x[k]) for k in _DOMAIN_VALUE_KEYS if x.get(k) is not None)
                out.append(entry)
                rows.append((window, x["name"], x["provenance"], x.get("scope", "device"),
                             x["energy_j"], x.get("idle_power_w"), x.get("idle_energy_j"),
                             x.get("dynamic_energy_j"), h))
            return out

        d["domains"] = domains(QUERY_WINDOW, r.domains, d.get("domains") or [])
        for label, w in (d.get("phases") or {}).items():
            for k in _DERIVED_WINDOW_KEYS:
                w.pop(k, None)
            w["domains"] = domains(label, r.phases[label].domains, w.get("domains") or [])
        for k, default in self._defaults.items():
            if k in d and d[k] == default:
                del d[k]
        d["$v"] = COMPACT_FORMAT
        text = json.dumps(d, separators=(",", ":"), default=str)
        blob: str | bytes = text
        if self.current_dict is not None:
            co = zlib.compressobj(6, zlib.DEFLATED, _WBITS, _MEM_LEVEL, zlib.Z_DEFAULT_STRATEGY,
                                  self.zdicts[self.current_dict])
            blob = _DICT_ID.pack(self.current_dict) + co.compress(text.encode()) + co.flush()
        return Encoded(blob, columns, rows, None if emissions_g is None else float(emissions_g))

    @staticmethod
    def make_dict(samples: Sequence[str]) -> bytes:
        """A deflate dictionary from sample record JSONs (their last :data:`DICT_BYTES`)."""
        return "".join(samples).encode()[-DICT_BYTES:]

    def decode(self, blob: str | bytes, columns: Mapping[str, Any],
               environment: Mapping[str, Any] | None,
               spec: Callable[[str], dict[str, Any]],
               zdict: Callable[[int], bytes] | None = None) -> JobResult:
        """Read back a record.

        Args:
            blob: ``results.record_json``.
            columns: The row's :data:`COLUMN_KEYS` columns.
            environment: The environment its ``environment_hash`` names (None: none).
            spec: Looks up a domain description by hash.
            zdict: Looks up a compression dictionary by id (for deflated records).
        """
        if isinstance(blob, bytes):
            (dict_id,) = _DICT_ID.unpack_from(blob)
            if zdict is None:
                raise ValueError("a deflated record needs its dictionary")
            do = zlib.decompressobj(_WBITS, zdict(dict_id))
            blob = (do.decompress(blob[_DICT_ID.size:]) + do.flush()).decode()
        d = json.loads(blob)
        if d.pop("$v", None) is not None:
            d.update(columns)
            d["environment"] = dict(environment or {})
            d["domains"] = [self._expand(x, spec) for x in d.get("domains") or ()]
            for w in (d.get("phases") or {}).values():
                w["domains"] = [self._expand(x, spec) for x in w.get("domains") or ()]
        return JobResult.from_dict(d)

    @staticmethod
    def _expand(entry: Mapping[str, Any], spec: Callable[[str], dict[str, Any]]) -> dict[str, Any]:
        out = dict(spec(entry["$s"]))
        out.update((k, v) for k, v in entry.items() if k != "$s")
        return out


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
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":  # pragma: no cover - e.g. some network filesystems
                raise StoreError(f"results store {self.path}: cannot switch to WAL mode "
                                 f"(got {mode!r}); concurrent writers would be unsafe")
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA foreign_keys = ON")
            self.migrated_from = migrate(conn, str(self.path))
            conn.execute(RECORD_DICTS_DDL)  # no-op, but for a v3 store made before it existed
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
        text = _json(dict(environment))
        h = hashlib.sha256(text.encode()).hexdigest()[:16]
        if h not in self._known_envs:
            self._db.execute("INSERT OR IGNORE INTO environments (hash, json) VALUES (?, ?)",
                             (h, text))
            self._known_envs.add(h)
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

    def _answers(self, batch: Sequence[JobResult]) -> dict[tuple[str, int], tuple[int, str]]:
        """``(job_id, repetition) → (id, status)`` of the stored answers of these records."""
        out: dict[tuple[str, int], tuple[int, str]] = {}
        ids = list(dict.fromkeys(r.job_id for r in batch))
        for i in range(0, len(ids), 500):  # stay under SQLite's bound-parameter limit
            chunk = ids[i:i + 500]
            for job, rep, rid, status in self._db.execute(
                    "SELECT job_id, repetition, id, status FROM results WHERE is_answer = 1 "
                    f"AND job_id IN ({', '.join('?' * len(chunk))})", chunk):
                out[(job, int(rep))] = (int(rid), status)
        return out

    def _same_failure_stored(self, r: JobResult) -> bool:
        return self._db.execute(
            "SELECT 1 FROM results WHERE job_id = ? AND repetition = ? AND attempt = ? "
            "AND COALESCE(run_id, '') = ? AND status = 'failed'",
            (r.job_id, r.repetition, r.attempt, r.run_id or "")).fetchone() is not None

    def _row(self, rid: int, r: JobResult, stored_at: str, is_answer: int,
             envs: dict[int, str | None], windows: list[tuple[Any, ...]],
             domains: list[tuple[Any, ...]]) -> list[Any]:
        """The ``results`` row of ``r`` (its windows and domains appended to the lists)."""
        key = id(r.environment)
        if key not in envs:
            envs[key] = self._put_environment(r.environment)
        enc = self._codec.encode(r)
        c = enc.columns
        if r.domains:
            windows.append((rid, QUERY_WINDOW, None, r.duration_s))
        windows.extend((rid, label, w.started_at, w.duration_s) for label, w in r.phases.items())
        domains.extend((rid, *d) for d in enc.domains)
        return [rid, c["job_id"], c["repetition"], c["attempt"], c["run_id"], c["suite"],
                c["task"], c["model"], c["dataset"], c["n"], c["status"], c["error"],
                c["duration_s"], c["backend"], r.energy_j(Provenance.MEASURED),
                r.energy_j(Provenance.INTEGRATED), r.energy_j(Provenance.ESTIMATED),
                enc.emissions_g, c["source"], c["source_file"], c["source_line"], envs[key],
                c["created_at"], stored_at, enc.record_json, is_answer]

    def _flush_specs(self) -> None:
        new = self._codec.new_specs
        if new:
            self._db.executemany("INSERT OR IGNORE INTO domain_specs (hash, json) VALUES (?, ?)",
                                 list(new.items()))
            new.clear()

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
        stored_at = _now()
        batch = list(results)
        for r in batch:
            if not isinstance(r, JobResult):
                raise StoreError(f"can only store JobResult records, got {type(r).__name__}")
        windows: list[tuple[Any, ...]] = []
        domains: list[tuple[Any, ...]] = []
        rows: list[list[Any]] = []
        pending: dict[int, list[Any]] = {}  # id → row of this batch
        superseded: list[tuple[int]] = []   # stored answers that stop being answers
        failures: set[tuple[str, int, int, str]] = set()  # failures written by this batch
        envs: dict[int, str | None] = {}  # id(environment) → hash; objects live in `batch`
        known_envs = set(self._known_envs)
        try:
            with self._transaction():
                if len(batch) >= DICT_MIN_BATCH:
                    self._new_dict(batch[:DICT_SAMPLES])
                elif self._codec.current_dict is None:
                    self._latest_dict()
                answers = self._answers(batch)
                next_id = int(self._db.execute(
                    "SELECT COALESCE(MAX(id), 0) FROM results").fetchone()[0]) + 1
                for r in batch:
                    key = (r.job_id, r.repetition)
                    answer = answers.get(key)
                    answer_ok = answer is not None and answer[1] == STATUS_OK
                    if r.status == STATUS_OK:
                        if answer_ok:
                            continue  # one success per repetition: the first stays
                    else:
                        failure = (r.job_id, r.repetition, r.attempt, r.run_id or "")
                        if failure in failures or self._same_failure_stored(r):
                            continue  # the same failure, written again
                        failures.add(failure)
                    is_answer = 0 if answer_ok else 1  # a failure after a success: history
                    if is_answer and answer is not None:
                        if answer[0] in pending:
                            pending[answer[0]][-1] = 0
                        else:
                            superseded.append((answer[0],))
                    rid, next_id = next_id, next_id + 1
                    row = self._row(rid, r, stored_at, is_answer, envs, windows, domains)
                    rows.append(row)
                    pending[rid] = row
                    if is_answer:
                        answers[key] = (rid, r.status)
                self._flush_specs()
                self._db.executemany("UPDATE results SET is_answer = 0 WHERE id = ?", superseded)
                self._db.executemany(_INSERT_RESULT, rows)
                self._db.executemany(_INSERT_WINDOW, windows)
                self._db.executemany(_INSERT_DOMAIN, domains)
        except BaseException:
            # Rolled back: forget what this transaction claimed to have written.
            self._known_envs = known_envs
            self._codec.new_specs.clear()
            self._codec.specs.clear()
            self._codec.zdicts.clear()
            self._codec.current_dict = None
            raise
        return len(rows)

    def _new_dict(self, samples: Sequence[JobResult]) -> None:
        """Make the batch's compression dictionary from its first records (in a transaction)."""
        self._codec.current_dict = None
        texts = [self._codec.encode(r).record_json for r in samples
                 if isinstance(r, JobResult)]
        zdict = self._codec.make_dict([t for t in texts if isinstance(t, str)])
        if not zdict:
            return
        dict_id = self._db.execute("INSERT INTO record_dicts (zdict) VALUES (?)",
                                   (zdict,)).lastrowid
        assert dict_id is not None  # an INSERT into a rowid table always has one
        self._codec.zdicts[dict_id] = zdict
        self._codec.current_dict = dict_id

    def _latest_dict(self) -> None:
        """Use the store's most recent dictionary, if it has one."""
        row = self._db.execute("SELECT id, zdict FROM record_dicts ORDER BY id DESC LIMIT 1").fetchone()
        if row is not None:
            self._codec.zdicts[int(row[0])] = bytes(row[1])
            self._codec.current_dict = int(row[0])

    def _zdict(self, dict_id: int) -> bytes:
        z = self._codec.zdicts.get(dict_id)
        if z is None:
            rows = self._fetchall("SELECT zdict FROM record_dicts WHERE id = ?", (dict_id,))
            if not rows:
                raise StoreError(f"results store {self.path}: compression dictionary "
                                 f"{dict_id} is missing")
            z = self._codec.zdicts[dict_id] = bytes(rows[0][0])
        return z

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
                                         self._environment(env_hash), self._spec, self._zdict)
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
