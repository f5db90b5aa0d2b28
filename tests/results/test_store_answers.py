"""A success supersedes earlier failures of its repetition (issue 10, item 1).

The failures stay as history and never as the answer; ``write`` says truthfully whether it
wrote; resume, counts and reads see the success.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from wattprint.meters.base import DomainEnergy, DomainSpec, Provenance
from wattprint.results import migrations
from wattprint.results.schema import JobResult
from wattprint.results.store import ResultStore


def _ok(job: str = "j", rep: int = 0, attempt: int = 1, run: str = "run-2") -> JobResult:
    d = DomainEnergy.from_spec(DomainSpec("cpu:0", "cpu", "CPU package", Provenance.MEASURED,
                                          "rapl"), 12.0, 2.0)
    return JobResult(job, rep, "text-classification", "callable:m:f", "builtin", n=5,
                     status="ok", duration_s=2.0, domains=(d,), attempt=attempt, run_id=run)


def _failed(job: str = "j", rep: int = 0, attempt: int = 1, run: str = "run-1") -> JobResult:
    return JobResult(job, rep, "text-classification", "callable:m:f", "builtin", n=5,
                     status="failed", duration_s=None, error="ModuleNotFoundError: m",
                     attempt=attempt, run_id=run)


@pytest.fixture
def store(tmp_path: Path):
    with ResultStore(tmp_path / "s.db") as s:
        yield s


def test_a_success_supersedes_failures_of_the_same_attempt(store: ResultStore) -> None:
    assert store.write(_failed(run="run-1")) is True
    assert store.write(_failed(run="run-1")) is False      # the same failure again
    assert store.write(_failed(run="run-2")) is True       # failed again in a later run
    assert store.completed_keys() == set()
    assert [r.status for r in store.results()] == ["failed"]  # the latest failure answers
    assert store.results()[0].run_id == "run-2"
    assert store.write(_ok(run="run-3")) is True            # same (job, rep, attempt=1)
    assert store.completed_keys() == {("j", 0)}
    assert store.results() == [_ok(run="run-3")]
    assert store.count() == 1 and store.count(status="failed") == 0
    assert [r.status for r in store.results(history=True)] == ["failed", "failed", "ok"]
    info = store.info()
    assert (info["results"], info["ok"], info["failed"], info["history"]) == (1, 1, 0, 2)
    assert store.integrity_check() == []


def test_a_failure_after_a_success_is_history_only(store: ResultStore) -> None:
    assert store.write(_ok())
    assert store.write(_ok(run="run-9")) is False           # one success per repetition
    assert store.write(_failed(run="run-9")) is True        # kept, but not the answer
    assert store.results() == [_ok()]
    assert store.count(status="failed") == 0 and store.count(history=True) == 2
    assert store.integrity_check() == []


def test_write_many_counts_only_what_it_wrote(store: ResultStore) -> None:
    batch = [_failed(), _ok(), _ok(), _failed("k"), _failed("k"), _ok("k", attempt=2)]
    assert store.write_many(batch) == 4
    assert {(r.job_id, r.status) for r in store.results()} == {("j", "ok"), ("k", "ok")}
    assert store.integrity_check() == []


def test_integrity_check_sees_a_failure_shadowing_a_success(store: ResultStore,
                                                            tmp_path: Path) -> None:
    store.write(_failed())
    store.write(_ok())
    con = sqlite3.connect(tmp_path / "s.db")
    con.execute("DROP INDEX ux_results_answer")
    con.execute("UPDATE results SET is_answer = 1 - is_answer")
    con.commit()
    con.close()
    assert any("answer status failed" in p for p in store.integrity_check())


def _v2_store(path: Path) -> None:
    con = sqlite3.connect(path, isolation_level=None)
    for stmt in migrations.DDL_V1:
        con.execute(stmt)
    migrations.MIGRATIONS[1](con)
    rows = [("a", 0, 1, "failed", _failed("a")), ("a", 0, 2, "ok", _ok("a", attempt=2)),
            ("b", 0, 1, "failed", _failed("b")), ("b", 0, 2, "failed", _failed("b", attempt=2))]
    import json

    for job, rep, attempt, status, rec in rows:
        rid = con.execute(
            "INSERT INTO results (job_id, repetition, attempt, task, model, dataset, n, status, "
            "source, stored_at, record_json) VALUES (?, ?, ?, 'text-classification', 'm', 'b', "
            "5, ?, 'wattprint', 'now', ?)",
            (job, rep, attempt, status, json.dumps(rec.to_dict()))).lastrowid
        for d in rec.domains:
            con.execute("INSERT INTO domains (result_id, window, name, component, boundary, "
                        "provenance, source, scope, energy_j) VALUES (?, 'query', ?, ?, ?, ?, "
                        "?, ?, ?)", (rid, d.name, d.component, d.boundary, d.provenance.value,
                                     d.source, d.scope, d.energy_j))
    con.execute("PRAGMA user_version = 2")
    con.close()


def test_v2_to_v3_picks_the_answers(tmp_path: Path) -> None:
    path = tmp_path / "v2.db"
    _v2_store(path)
    with ResultStore(path) as s:
        assert s.migrated_from == 2 and s.schema_version == migrations.SCHEMA_VERSION
        got = {(r.job_id, r.status, r.attempt) for r in s.results()}
        assert got == {("a", "ok", 2), ("b", "failed", 2)}
        assert s.count(history=True) == 4
        assert s.integrity_check() == []
        # the migrated domains read back with their descriptions
        (a,) = s.results(status="ok")
        assert a.domains == _ok("a", attempt=2).domains
        # and the failure of b is superseded by a success of its first attempt
        assert s.write(_ok("b"))
        assert {(r.job_id, r.status) for r in s.results()} == {("a", "ok"), ("b", "ok")}


def test_cli_run_fails_then_succeeds_and_the_success_is_stored(tmp_path: Path, capsys,
                                                              monkeypatch) -> None:
    """The issue's reproduction, with a failure that a pre-flight check cannot catch: the
    model fails while a file says it is broken (as a broken config.json would), then is fixed."""
    import json

    from wattprint.cli import main

    (tmp_path / "wp_answers_mod.py").write_text(
        "from pathlib import Path\n\n\n"
        "def f(x):\n"
        "    if Path('BROKEN').exists():\n"
        "        raise RuntimeError('config is broken')\n"
        "    return 1\n")
    (tmp_path / "BROKEN").write_text("")
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))  # workers inherit sys.path
    store = str(tmp_path / "s.db")
    argv = ["run", "--task", "text-classification", "--model", "callable:wp_answers_mod:f",
            "-n", "5", "--repeat", "2", "--idle", "0", "--store", store, "--json"]
    assert main(argv) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["stored"] == {"written": 2, "not_written": 0}
    assert [r["status"] for r in out["results"]] == ["failed", "failed"]
    (tmp_path / "BROKEN").unlink()
    assert main(argv) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["stored"] == {"written": 2, "not_written": 0}  # what it says ...
    with ResultStore(store, read_only=True) as s:                 # ... is what is there
        assert s.completed_keys() == {(r["job_id"], r["repetition"]) for r in out["results"]}
        assert s.info()["ok"] == 2 and s.info()["failed"] == 0 and s.info()["history"] == 2
        assert s.integrity_check() == []
    assert main(argv) == 0  # resume: nothing left to run, nothing written
    out = json.loads(capsys.readouterr().out)
    assert out["ran"] == 0 and out["skipped"] == 2 and out["stored"]["written"] == 0
    assert main(["store", "--store", store]) == 0
    assert "2 result(s) (2 ok, 0 failed)" in capsys.readouterr().out
