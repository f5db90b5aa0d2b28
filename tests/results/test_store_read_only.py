"""Reading needs no write access; a foreign SQLite file is refused untouched (issue 10, item 5).

A read-only folder is made with ``chmod``; where the tests run as root (which ``chmod`` does
not stop) the folder and file are made immutable with ``chattr +i`` instead, and the test is
skipped only when neither can be done.
"""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from wattprint.cli import main
from wattprint.errors import StoreError
from wattprint.meters.base import DomainEnergy, DomainSpec, Provenance
from wattprint.results import migrations
from wattprint.results.schema import JobResult
from wattprint.results.store import ResultStore


def _ok(job: str) -> JobResult:
    d = DomainEnergy.from_spec(DomainSpec("cpu:0", "cpu", "CPU package", Provenance.MEASURED,
                                          "rapl"), 12.0, 2.0)
    return JobResult(job, 0, "text-classification", "m", "builtin", n=5, status="ok",
                     duration_s=2.0, domains=(d,))


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def _writable(folder: Path) -> bool:
    probe = folder / ".probe"
    try:
        probe.write_text("x")
    except OSError:
        return False
    probe.unlink()
    return True


@pytest.fixture
def read_only(tmp_path: Path) -> Iterator[callable]:
    made: list[Path] = []

    def make(folder: Path) -> None:
        files = list(folder.iterdir())
        for f in files:
            f.chmod(0o444)
        folder.chmod(0o555)
        made.append(folder)
        if _writable(folder) and shutil.which("chattr"):
            subprocess.run(["chattr", "+i", *map(str, files), str(folder)], check=False,
                           capture_output=True)
        if _writable(folder):
            pytest.skip("cannot make a read-only folder here (root without chattr)")

    yield make
    for folder in made:
        if shutil.which("chattr"):
            subprocess.run(["chattr", "-i", str(folder), *map(str, folder.iterdir())],
                           check=False, capture_output=True)
        folder.chmod(0o755)
        for f in folder.iterdir():
            f.chmod(0o644)


def test_store_export_and_report_read_a_read_only_store(tmp_path: Path, read_only, capsys) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    path = folder / "s.db"
    with ResultStore(path) as s:
        s.write_many([_ok("a"), _ok("b")])
    read_only(folder)
    before = _digest(folder)
    assert main(["store", "--store", str(path)]) == 0
    assert "2 result(s) (2 ok, 0 failed)" in capsys.readouterr().out
    assert main(["export", "--store", str(path), "--format", "csv"]) == 0
    assert capsys.readouterr().out.count("\n") == 3  # header + 2 rows
    out = tmp_path / "report"
    assert main(["report", "--store", str(path), "--out", str(out)]) == 0
    assert (out / "index.html").exists()
    assert _digest(folder) == before  # byte-identical, no -wal/-shm left or made
    with ResultStore(path, read_only=True) as s:
        assert s.read_only and s.count() == 2
        with pytest.raises(StoreError, match="read-only"):
            s.write(_ok("c"))


def test_an_old_read_only_store_says_it_needs_a_migration(tmp_path: Path, read_only,
                                                          capsys) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    path = folder / "v2.db"
    con = sqlite3.connect(path, isolation_level=None)
    for stmt in migrations.DDL_V1:
        con.execute(stmt)
    migrations.MIGRATIONS[1](con)
    con.execute("PRAGMA user_version = 2")
    con.close()
    read_only(folder)
    before = _digest(folder)
    assert main(["store", "--store", str(path)]) == 2
    err = capsys.readouterr().err
    assert "schema version 2" in err and "must be migrated" in err and "read-only" in err
    assert _digest(folder) == before


def test_an_old_writable_store_is_migrated_by_a_reader(tmp_path: Path) -> None:
    path = tmp_path / "v2.db"
    con = sqlite3.connect(path, isolation_level=None)
    for stmt in migrations.DDL_V1:
        con.execute(stmt)
    migrations.MIGRATIONS[1](con)
    con.execute("PRAGMA user_version = 2")
    con.close()
    with ResultStore(path, read_only=True) as s:
        assert s.schema_version == migrations.SCHEMA_VERSION and s.count() == 0


def _foreign(path: Path, *, version: int = 0) -> None:
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    con.execute("INSERT INTO notes (body) VALUES ('keep me')")
    if version:
        con.execute(f"PRAGMA user_version = {version}")
    con.commit()
    con.close()


@pytest.mark.parametrize("version", [0, 1, 3])
def test_a_foreign_sqlite_file_is_refused_untouched(tmp_path: Path, version: int,
                                                    capsys) -> None:
    folder = tmp_path / "f"
    folder.mkdir()
    path = folder / "notes.db"
    _foreign(path, version=version)
    before = _digest(folder)
    for kwargs in ({}, {"read_only": True}, {"must_exist": True}):
        with pytest.raises(StoreError, match="not a wattprint results store"):
            ResultStore(path, **kwargs)
    for argv in (["store"], ["export"], ["report", "--out", str(tmp_path / "r")],
                 ["run", "--task", "text-classification", "--model", "callable:json:dumps"]):
        assert main([*argv, "--store", str(path)]) == 2
        assert "not a wattprint results store" in capsys.readouterr().err
    assert _digest(folder) == before  # same bytes, no -wal/-shm, no tables added
    con = sqlite3.connect(path)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    assert [r[0] for r in con.execute("SELECT name FROM sqlite_master")] == ["notes"]


def test_an_empty_database_file_becomes_a_store_only_for_a_writer(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    path.write_bytes(b"")
    for argv in (["store"], ["export"]):
        assert main([*argv, "--store", str(path)]) == 2
    assert path.read_bytes() == b""  # readers leave it untouched
    with ResultStore(path) as s:
        assert s.schema_version == migrations.SCHEMA_VERSION
    con = sqlite3.connect(path)
    assert con.execute("PRAGMA application_id").fetchone()[0] == migrations.APPLICATION_ID
