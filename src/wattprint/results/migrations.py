"""Versioned schema of the results store and the migrations between versions.

The schema version lives in SQLite's ``PRAGMA user_version``. A fresh database is created at
:data:`SCHEMA_VERSION` directly; an older one is migrated step by step, each step in one
transaction; a database from a *newer* version than this code knows is refused (never
rewritten), because an older wattprint cannot know what the newer columns mean.

Version history:

* **v1** — runs, environments, results (unique on ``(job_id, repetition)``), windows, domains.
* **v2** — results gain ``attempt`` (retries of a job are kept apart: unique on
  ``(job_id, repetition, attempt)``) and an index on ``(task, model)`` for the report's
  filters.
* **v3** — a success supersedes failures: results gain ``is_answer`` (exactly one answer per
  ``(job_id, repetition)``: its success, else its latest failure; other rows are history), at
  most one ``ok`` row per repetition, failures kept apart by ``(attempt, run_id)``. What
  repeats is stored once: ``domain_specs`` holds each domain's description (boundary, source,
  provenance, scope, estimate model ...) by hash, and ``domains``/``record_json`` reference
  it; ``record_json`` keeps the environment by its hash and, once the store has a
  dictionary in ``record_dicts``, is deflated with it. The file is marked as a wattprint
  store (``PRAGMA application_id``).
* **v4** — table ``serving_points``: one served load point (``kind: "serving"``) per row,
  unique on ``(run_id, point_id)`` so resumed runs skip stored points.
* **v5** — ``record_dicts`` gains ``format``: how the records that reference a dictionary are
  compressed. Existing dictionaries are ``deflate``; new ones ``zstd`` (Zstandard, about
  three times cheaper to write). Both are read.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Callable

from wattprint.errors import StoreError

SCHEMA_VERSION = 5
"""The schema version this code writes and reads."""

# The v1 DDL, kept verbatim: fresh stores are built as v1 and then migrated, so the migration
# path is exercised on every new store and never rots.
DDL_V1: tuple[str, ...] = (
    """CREATE TABLE IF NOT EXISTS environments (
        hash TEXT PRIMARY KEY,
        json TEXT NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS runs (
        id TEXT PRIMARY KEY,
        suite TEXT,
        config_json TEXT NOT NULL,
        environment_hash TEXT REFERENCES environments(hash),
        started_at TEXT NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS results (
        id INTEGER PRIMARY KEY,
        job_id TEXT NOT NULL,
        repetition INTEGER NOT NULL,
        run_id TEXT,
        suite TEXT,
        task TEXT NOT NULL,
        model TEXT NOT NULL,
        dataset TEXT NOT NULL,
        n INTEGER NOT NULL,
        status TEXT NOT NULL,
        error TEXT,
        duration_s REAL,
        backend TEXT,
        measured_j REAL,
        integrated_j REAL,
        estimated_j REAL,
        carbon_g REAL,
        source TEXT NOT NULL,
        source_file TEXT,
        source_line INTEGER,
        environment_hash TEXT REFERENCES environments(hash),
        created_at TEXT,
        stored_at TEXT NOT NULL,
        record_json TEXT NOT NULL
    )""",
    "CREATE UNIQUE INDEX IF NOT EXISTS ux_results_key ON results(job_id, repetition)",
    "CREATE INDEX IF NOT EXISTS ix_results_run ON results(run_id)",
    """CREATE TABLE IF NOT EXISTS windows (
        result_id INTEGER NOT NULL REFERENCES results(id) ON DELETE CASCADE,
        label TEXT NOT NULL,
        started_at REAL,
        duration_s REAL,
        PRIMARY KEY (result_id, label)
    )""",
    """CREATE TABLE IF NOT EXISTS domains (
        result_id INTEGER NOT NULL REFERENCES results(id) ON DELETE CASCADE,
        window TEXT NOT NULL,
        name TEXT NOT NULL,
        component TEXT NOT NULL,
        boundary TEXT NOT NULL,
        provenance TEXT NOT NULL,
        source TEXT NOT NULL,
        scope TEXT NOT NULL,
        energy_j REAL NOT NULL,
        uncertainty REAL,
        idle_power_w REAL,
        idle_energy_j REAL,
        dynamic_energy_j REAL,
        model_json TEXT,
        PRIMARY KEY (result_id, window, name)
    )""",
)


def _v1_to_v2(conn: sqlite3.Connection) -> None:
    """Add ``attempt``; re-key results on ``(job_id, repetition, attempt)``; index task/model."""
    conn.execute("ALTER TABLE results ADD COLUMN attempt INTEGER NOT NULL DEFAULT 1")
    conn.execute("DROP INDEX IF EXISTS ux_results_key")
    conn.execute("CREATE UNIQUE INDEX ux_results_key ON results(job_id, repetition, attempt)")
    conn.execute("CREATE INDEX IF NOT EXISTS ix_results_task_model ON results(task, model)")
    conn.execute("CREATE INDEX IF NOT EXISTS ix_results_status ON results(job_id, repetition, status)")


APPLICATION_ID = 0x77617474
"""``PRAGMA application_id`` of a wattprint store (ASCII ``watt``), set from v3 on."""

V1_TABLES = frozenset({"runs", "environments", "results", "windows", "domains"})
"""Tables every wattprint store has had since v1 (how a v1/v2 store is recognised)."""


def spec_hash(spec_json: str) -> str:
    """Id of a domain description: the first 16 hex digits of its JSON's SHA-256."""
    return hashlib.sha256(spec_json.encode()).hexdigest()[:16]


def _v2_to_v3(conn: sqlite3.Connection) -> None:
    """Answers (a success supersedes failures) and shared domain descriptions; see above."""
    conn.execute("ALTER TABLE results ADD COLUMN is_answer INTEGER NOT NULL DEFAULT 0")
    # The answer of a repetition: its (only) ok row, else its latest failure.
    conn.execute(
        "UPDATE results SET is_answer = 1 WHERE id IN (SELECT CASE WHEN MIN(CASE WHEN "
        "status = 'ok' THEN id END) IS NOT NULL THEN MIN(CASE WHEN status = 'ok' THEN id END) "
        "ELSE MAX(id) END FROM results GROUP BY job_id, repetition)")
    conn.execute("DROP INDEX IF EXISTS ux_results_key")
    conn.execute("DROP INDEX IF EXISTS ix_results_status")
    conn.execute("CREATE UNIQUE INDEX ux_results_answer ON results(job_id, repetition) "
                 "WHERE is_answer = 1")
    conn.execute("CREATE UNIQUE INDEX ux_results_ok ON results(job_id, repetition) "
                 "WHERE status = 'ok'")
    conn.execute("CREATE UNIQUE INDEX ux_results_failed ON results(job_id, repetition, attempt, "
                 "COALESCE(run_id, '')) WHERE status = 'failed'")
    conn.execute("""CREATE TABLE domain_specs (
        hash TEXT PRIMARY KEY,
        json TEXT NOT NULL
    ) WITHOUT ROWID""")
    conn.execute("""CREATE TABLE domains_v3 (
        result_id INTEGER NOT NULL REFERENCES results(id) ON DELETE CASCADE,
        window TEXT NOT NULL,
        name TEXT NOT NULL,
        provenance TEXT NOT NULL,
        scope TEXT NOT NULL,
        energy_j REAL NOT NULL,
        idle_power_w REAL,
        idle_energy_j REAL,
        dynamic_energy_j REAL,
        spec_hash TEXT NOT NULL REFERENCES domain_specs(hash),
        PRIMARY KEY (result_id, window, name)
    ) WITHOUT ROWID""")
    rows = conn.execute(
        "SELECT result_id, window, name, component, boundary, provenance, source, scope, "
        "energy_j, uncertainty, idle_power_w, idle_energy_j, dynamic_energy_j, model_json "
        "FROM domains")
    for (rid, window, name, component, boundary, prov, source, scope, energy, unc, idle_w,
         idle_j, dyn_j, model_json) in rows.fetchall():
        spec = {"name": name, "component": component, "boundary": boundary,
                "provenance": prov, "source": source, "scope": scope, "uncertainty": unc,
                "model": None if model_json is None else json.loads(model_json)}
        text = spec_json(spec)
        h = spec_hash(text)
        conn.execute("INSERT OR IGNORE INTO domain_specs (hash, json) VALUES (?, ?)", (h, text))
        conn.execute("INSERT INTO domains_v3 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                     (rid, window, name, prov, scope, energy, idle_w, idle_j, dyn_j, h))
    conn.execute("DROP TABLE domains")
    conn.execute("ALTER TABLE domains_v3 RENAME TO domains")
    conn.execute("""CREATE TABLE windows_v3 (
        result_id INTEGER NOT NULL REFERENCES results(id) ON DELETE CASCADE,
        label TEXT NOT NULL,
        started_at REAL,
        duration_s REAL,
        PRIMARY KEY (result_id, label)
    ) WITHOUT ROWID""")
    conn.execute("INSERT INTO windows_v3 SELECT result_id, label, started_at, duration_s "
                 "FROM windows")
    conn.execute("DROP TABLE windows")
    conn.execute("ALTER TABLE windows_v3 RENAME TO windows")
    conn.execute(RECORD_DICTS_DDL)
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")


RECORD_DICTS_DDL = """CREATE TABLE IF NOT EXISTS record_dicts (
        id INTEGER PRIMARY KEY,
        zdict BLOB NOT NULL
    )"""
"""v3: deflate dictionaries that compressed ``record_json`` values reference by id (v5 adds
their ``format``: :func:`_dictionary_formats`)."""


def spec_json(spec: dict[str, object]) -> str:
    """Canonical JSON of a domain description (sorted keys, compact)."""
    return json.dumps(spec, sort_keys=True, separators=(",", ":"), default=str)



def _add_serving_points(conn: sqlite3.Connection) -> None:
    """Add ``serving_points`` (serving load points; the issue-13 step, v3 → v4)."""
    conn.execute("""CREATE TABLE IF NOT EXISTS serving_points (
        id INTEGER PRIMARY KEY,
        run_id TEXT NOT NULL,
        point_id TEXT NOT NULL,
        suite TEXT,
        endpoint TEXT NOT NULL,
        model TEXT NOT NULL,
        offered_rps REAL,
        achieved_rps REAL,
        j_per_output_token REAL,
        attribution_residual REAL,
        valid INTEGER NOT NULL,
        stored_at TEXT NOT NULL,
        record_json TEXT NOT NULL
    )""")
    conn.execute("CREATE UNIQUE INDEX IF NOT EXISTS ux_serving_points_key "
                 "ON serving_points(run_id, point_id)")


def _dictionary_formats(conn: sqlite3.Connection) -> None:
    """Say how each dictionary's records are compressed (the v4 → v5 step): the existing
    ones by deflate, the default of the new column; new ones name their own."""
    conn.execute(RECORD_DICTS_DDL)  # a v3 store made before the table existed has none yet
    conn.execute("ALTER TABLE record_dicts ADD COLUMN format TEXT NOT NULL DEFAULT 'deflate'")


MIGRATIONS: dict[int, Callable[[sqlite3.Connection], None]] = {
    1: _v1_to_v2, 2: _v2_to_v3, 3: _add_serving_points, 4: _dictionary_formats}
"""``from_version → step`` that brings a store from ``from_version`` to ``from_version + 1``."""


def schema_version(conn: sqlite3.Connection) -> int:
    """The store's ``PRAGMA user_version`` (0 for an empty, never-initialised file)."""
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def check_not_newer(conn: sqlite3.Connection, path: str) -> int:
    """Refuse a store written by a newer wattprint.

    Args:
        conn: An open connection (nothing has been written yet).
        path: The store's path, for the message.

    Returns:
        The store's current version.

    Raises:
        StoreError: when the version is above :data:`SCHEMA_VERSION`.
    """
    version = schema_version(conn)
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"results store {path} has schema version {version}, but this wattprint knows "
            f"versions up to {SCHEMA_VERSION}; upgrade wattprint to read it (the store was "
            "left untouched)"
        )
    return version


def check_identity(conn: sqlite3.Connection, path: str) -> int:
    """Refuse a SQLite file that is not a wattprint store, before anything writes to it.

    A wattprint store is an empty database (a new store), a v1/v2 store (its tables are
    there), or a v3+ store (marked with :data:`APPLICATION_ID`). Only reads are made.

    Args:
        conn: An open connection (nothing has been written yet).
        path: The file's path, for the message.

    Returns:
        The store's schema version (0 for an empty database).

    Raises:
        StoreError: naming what the file holds, for any other database or a newer schema.
    """
    version = schema_version(conn)
    app_id = int(conn.execute("PRAGMA application_id").fetchone()[0])
    tables = {r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")}
    ours = (app_id == APPLICATION_ID or (app_id == 0 and version in (1, 2) and V1_TABLES <= tables)
            or (app_id == 0 and version == 0 and not tables))
    if not ours:
        shown = ", ".join(sorted(tables)[:8]) or "none"
        raise StoreError(
            f"{path} is an SQLite database but not a wattprint results store (tables: {shown}; "
            f"application_id {app_id}, user_version {version}); refusing to use it — it was "
            "left untouched. Give --store a new file or an existing wattprint store.")
    return check_not_newer(conn, path)


def migrate(conn: sqlite3.Connection, path: str) -> int:
    """Create or upgrade the schema to :data:`SCHEMA_VERSION`, one step per transaction.

    The connection must be in autocommit mode (``isolation_level=None``). Concurrent openers
    are serialised by ``BEGIN IMMEDIATE``; each re-reads the version inside its transaction.

    Args:
        conn: Connection to the store.
        path: The store's path, for messages.

    Returns:
        The version before migration (0 for a new store).

    Raises:
        StoreError: for a newer schema or a failed migration step.
    """
    start = check_not_newer(conn, path)
    if start == SCHEMA_VERSION:
        return start
    while True:
        conn.execute("BEGIN IMMEDIATE")
        try:
            version = check_not_newer(conn, path)
            if version == SCHEMA_VERSION:
                conn.execute("COMMIT")
                return start
            if version == 0:
                if conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()[0]:
                    raise StoreError(f"{path} is not a wattprint results store (it has tables "
                                     "but no schema version); it was left untouched")
                for stmt in DDL_V1:
                    conn.execute(stmt)
                new = 1
            else:
                step = MIGRATIONS.get(version)
                if step is None:  # pragma: no cover - guarded by the table above
                    raise StoreError(f"results store {path}: no migration from version {version}")
                step(conn)
                new = version + 1
            conn.execute(f"PRAGMA user_version = {new}")
            conn.execute("COMMIT")
        except sqlite3.Error as err:
            conn.execute("ROLLBACK")
            raise StoreError(f"results store {path}: migration from version {version} failed: "
                             f"{err}") from err
        except BaseException:
            conn.execute("ROLLBACK")
            raise
