"""Serving load points in the results store (table ``serving_points``, see migrations)."""

from __future__ import annotations

import json
from collections.abc import Iterable

from wattprint.results.serving_record import ServingPoint
from wattprint.results.store import ResultStore, _now


def write_points(store: ResultStore, points: Iterable[ServingPoint]) -> int:
    """Store points; one already stored (same run and point id) is kept, not overwritten.

    Returns:
        How many were newly stored.
    """
    n = 0
    with store._transaction():
        for p in points:
            cur = store._db.execute(
                "INSERT OR IGNORE INTO serving_points (run_id, point_id, suite, endpoint, model, "
                "offered_rps, achieved_rps, j_per_output_token, attribution_residual, valid, "
                "stored_at, record_json) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (p.run_id, p.point_id, p.suite, p.endpoint, p.model, p.offered_rps,
                 p.achieved_rps, p.j_per_output_token, p.attribution_residual, int(p.valid),
                 _now(), json.dumps(p.to_dict(), default=str)))
            n += cur.rowcount
    return n


def read_points(store: ResultStore, *, run_id: str | None = None,
                suite: str | None = None) -> list[ServingPoint]:
    """Stored points, in storing order, optionally of one run or suite."""
    sql, args = "SELECT record_json FROM serving_points", []
    where = []
    if run_id is not None:
        where.append("run_id = ?")
        args.append(run_id)
    if suite is not None:
        where.append("suite = ?")
        args.append(suite)
    if where:
        sql += " WHERE " + " AND ".join(where)
    rows = store._fetchall(sql + " ORDER BY id", args)
    return [ServingPoint.from_dict(json.loads(r[0])) for r in rows]


def stored_point_ids(store: ResultStore, run_id: str) -> set[str]:
    """Point ids already stored for ``run_id`` (a resumed run skips them)."""
    return {r[0] for r in store._fetchall("SELECT point_id FROM serving_points WHERE run_id = ?",
                                          (run_id,))}


def stored_point_ids_by_run(store: ResultStore, suite: str) -> dict[str, set[str]]:
    """Point ids already stored for each run of ``suite`` (jobs run elsewhere learn their run
    id only there; they look theirs up in this)."""
    out: dict[str, set[str]] = {}
    for run_id, point_id in store._fetchall(
            "SELECT run_id, point_id FROM serving_points WHERE suite = ?", (suite,)):
        out.setdefault(run_id, set()).add(point_id)
    return out
