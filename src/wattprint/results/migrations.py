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
* **v3** (on this branch; planned as **v4 → v5** once the ``store`` (v2→v3) and ``config``
  (v3→v4) steps land: renumber by moving :func:`_add_serving_points` to ``MIGRATIONS[4]``) —
  table ``serving_points``: one served load point (``kind: "serving"``) per row, unique on
  ``(run_id, point_id)`` so resumed runs skip stored points.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from wattprint.errors import StoreError

SCHEMA_VERSION = 3
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


def _add_serving_points(conn: sqlite3.Connection) -> None:
    """Add ``serving_points`` (serving load points; the issue-13 step, planned v4 → v5)."""
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


MIGRATIONS: dict[int, Callable[[sqlite3.Connection], None]] = {1: _v1_to_v2, 2: _add_serving_points}
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
