"""Tests of the SQLite results store: round trip, migrations, concurrency, crash safety, resume."""

from __future__ import annotations

import multiprocessing as mp
import os
import random
import signal
import sqlite3
import time
from pathlib import Path

import pytest

from wattprint.errors import StoreError
from wattprint.meters.base import DomainEnergy, DomainSpec, EnergyResult, EstimateModel, Provenance
from wattprint.results import migrations
from wattprint.results.schema import JobResult
from wattprint.results.store import ResultStore, default_store_path


def _gpu(e: float = 3600.0) -> DomainEnergy:
    return DomainEnergy.from_spec(
        DomainSpec("gpu:0", "gpu", "GPU 0 board", Provenance.MEASURED, "nvml:total_energy"),
        e, 10.0, idle_power_w=50.0)


def _cpu(e: float = 100.0) -> DomainEnergy:
    model = EstimateModel("cpu-tdp", "P = 0.5 * TDP", {"tdp_w": 85.0}, "CodeCarbon fallback")
    return DomainEnergy.from_spec(
        DomainSpec("cpu:0", "cpu", "CPU package", Provenance.ESTIMATED, "estimate:cpu-tdp",
                   uncertainty=0.5, model=model, scope="machine"), e, 10.0)


def _result(job: str = "job-a", rep: int = 0, status: str = "ok", attempt: int = 1,
            task: str = "text-classification", model: str = "m1", **kw) -> JobResult:
    if status == "failed":
        return JobResult(job, rep, task, model, "imdb", n=10, status="failed", duration_s=None,
                         error="RuntimeError: boom", attempt=attempt, **kw)
    return JobResult(
        job, rep, task, model, "imdb", n=10, status="ok", duration_s=10.0,
        domains=(_gpu(), _cpu()), attempt=attempt, run_id="run-1", backend="callable",
        phases={"load": EnergyResult("load", 1.5, 2.0, (_gpu(7.0),), ("short window",))},
        environment={"cpu": "x", "gpu": "y"}, settings={"max_new_tokens": 10},
        quality={"accuracy": 0.875}, carbon={"emissions_g": 0.1, "intensity_g_per_kwh": 100.0,
                                              "intensity_source": "test", "pue": 1.0},
        extra={"note": [1, 2]}, **kw)


@pytest.fixture
def store(tmp_path: Path):
    with ResultStore(tmp_path / "r.db") as s:
        yield s


def test_round_trip_is_lossless(store: ResultStore) -> None:
    r = _result()
    assert store.write(r) is True
    back = store.results()
    assert back == [r]
    assert store.count() == 1


def test_write_is_idempotent_and_retries_are_kept_apart(store: ResultStore) -> None:
    failed = _result(status="failed", attempt=1)
    assert store.write(failed)
    assert store.write(failed) is False            # same (job, rep, attempt)
    assert store.completed_keys() == set()
    assert store.write(_result(attempt=2))          # the retry succeeded
    assert store.write(_result(attempt=3)) is False  # an ok result already exists
    assert store.count() == 1                        # the repetition's answer: its success
    assert store.count(history=True) == 2            # the failure is kept as history
    assert store.completed_keys() == {("job-a", 0)}


def test_filters_and_completed_keys(store: ResultStore) -> None:
    n = store.write_many([_result("a", 0), _result("a", 1), _result("b", 0, model="m2"),
                          _result("c", 0, status="failed"), _result("a", 0)])
    assert n == 4
    assert {(r.job_id, r.repetition) for r in store.results(model="m1")} == {("a", 0), ("a", 1), ("c", 0)}
    assert [r.job_id for r in store.results(model="m2")] == ["b"]
    assert store.count(status="failed") == 1
    assert store.completed_keys() == {("a", 0), ("a", 1), ("b", 0)}
    assert store.completed_keys(["b", "zzz"]) == {("b", 0)}


def test_tables_hold_the_parts(store: ResultStore, tmp_path: Path) -> None:
    store.begin_run("run-1", "suite-x", {"n": 10}, {"cpu": "x", "gpu": "y"})
    store.begin_run("run-1", "suite-x", {"n": 10}, {"cpu": "x", "gpu": "y"})  # idempotent
    store.write(_result())
    runs = store.runs()
    assert len(runs) == 1 and runs[0].suite == "suite-x" and runs[0].config == {"n": 10}
    assert runs[0].n_results == 1 and runs[0].environment == {"cpu": "x", "gpu": "y"}
    con = sqlite3.connect(tmp_path / "r.db")
    assert con.execute("SELECT COUNT(*) FROM environments").fetchone()[0] == 1  # deduplicated
    rows = con.execute("SELECT window, name, provenance, energy_j FROM domains ORDER BY window, name").fetchall()
    assert rows == [("load", "gpu:0", "measured", 7.0), ("query", "cpu:0", "estimated", 100.0),
                    ("query", "gpu:0", "measured", 3600.0)]
    tot = con.execute("SELECT measured_j, integrated_j, estimated_j, carbon_g FROM results").fetchone()
    assert tot == (3600.0, None, 100.0, 0.1)
    assert store.integrity_check() == []


def test_default_store_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WATTPRINT_STORE", raising=False)
    assert default_store_path() == Path("wattprint-results/results.db")
    monkeypatch.setenv("WATTPRINT_STORE", "/x/y.db")
    assert default_store_path() == Path("/x/y.db")


def test_must_exist_and_not_a_database(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no results store"):
        ResultStore(tmp_path / "missing.db", must_exist=True)
    bad = tmp_path / "bad.db"
    bad.write_text("this is not sqlite, just text " * 100)
    with pytest.raises(StoreError, match="not a usable results store"):
        ResultStore(bad)


# ---- schema versions ---------------------------------------------------------------------

def test_migrates_a_v1_store(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    con = sqlite3.connect(path)
    for stmt in migrations.DDL_V1:
        con.execute(stmt)
    rec = _result("old", 0)
    import json
    con.execute(
        "INSERT INTO results (job_id, repetition, task, model, dataset, n, status, source, "
        "stored_at, record_json) VALUES ('old', 0, 'text-classification', 'm1', 'imdb', 10, "
        "'ok', 'wattprint', '2024-01-01', ?)", (json.dumps(rec.to_dict()),))
    con.execute("PRAGMA user_version = 1")
    con.commit()
    con.close()
    with ResultStore(path) as s:
        assert s.migrated_from == 1 and s.schema_version == migrations.SCHEMA_VERSION
        assert s.results() == [rec]
        assert s.completed_keys() == {("old", 0)}
        # v2 keys retries apart: a failed attempt 2 of another job can sit beside attempt 1
        assert s.write(_result("new", 0, status="failed", attempt=1))
        assert s.write(_result("new", 0, status="failed", attempt=2))
    con = sqlite3.connect(path)
    cols = [r[1] for r in con.execute("PRAGMA table_info(results)")]
    assert "attempt" in cols
    assert con.execute("SELECT attempt FROM results WHERE job_id='old'").fetchone() == (1,)
    idx = {r[1] for r in con.execute("PRAGMA index_list(results)")}
    assert "ix_results_task_model" in idx


def test_refuses_a_newer_schema_and_leaves_it_untouched(tmp_path: Path) -> None:
    path = tmp_path / "future.db"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE results (x)")
    con.execute(f"PRAGMA user_version = {migrations.SCHEMA_VERSION + 1}")
    con.commit()
    con.close()
    before = path.read_bytes()
    with pytest.raises(StoreError, match="newer|upgrade wattprint"):
        ResultStore(path)
    assert path.read_bytes() == before
    assert not Path(str(path) + "-wal").exists()


# ---- several processes -------------------------------------------------------------------

def _writer(path: str, worker: int, count: int) -> None:
    with ResultStore(path) as s:
        for i in range(count):
            s.write(_result(f"w{worker}-{i}", 0))
            s.write(_result("shared", i))  # every worker tries to write the same keys


def test_concurrent_writers(tmp_path: Path) -> None:
    path = str(tmp_path / "c.db")
    ResultStore(path).close()
    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(path, w, 15)) for w in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    with ResultStore(path) as s:
        assert s.count() == 4 * 15 + 15  # own results + one copy of each shared key
        assert len(s.completed_keys()) == 4 * 15 + 15
        assert s.integrity_check() == []


def _endless_writer(path: str) -> None:
    with ResultStore(path) as s:
        i = 0
        while True:
            s.write_many([_result(f"k{i}-{j}", 0) for j in range(20)])
            i += 1


def _wait_until_written(path: str, timeout_s: float = 120.0) -> None:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        before = con.execute("SELECT COUNT(*) FROM results").fetchone()[0]
        end = time.monotonic() + timeout_s
        while time.monotonic() < end:
            if con.execute("SELECT COUNT(*) FROM results").fetchone()[0] > before:
                return
            time.sleep(0.05)
    finally:
        con.close()


def test_writer_killed_mid_write_leaves_store_consistent(tmp_path: Path) -> None:
    path = str(tmp_path / "k.db")
    ResultStore(path).close()
    ctx = mp.get_context("spawn")
    rng = random.Random(7)
    for _ in range(2):
        p = ctx.Process(target=_endless_writer, args=(path,))
        p.start()
        _wait_until_written(path)  # let it get well into its loop (slow machines included)
        time.sleep(rng.random())
        os.kill(p.pid, signal.SIGKILL)
        p.join(60)
        assert p.exitcode == -signal.SIGKILL
    with ResultStore(path) as s:
        assert s.integrity_check() == []
        n = s.count()
        assert n > 0 and n % 20 == 0  # whole batches only
        con = sqlite3.connect(path)
        # every result has exactly its 2 query domains + 1 load domain and 2 windows
        assert con.execute("SELECT COUNT(*) FROM domains").fetchone()[0] == 3 * n
        assert con.execute("SELECT COUNT(*) FROM windows").fetchone()[0] == 2 * n
        assert len(s.results()) == n


# A value unlike the default for every field of JobResult, domains and phases with every
# optional part set: a field added to JobResult without a value here fails the test below.
_EVERY_FIELD = dict(
    job_id="job-all", repetition=3, task="text-generation", model="org/m", dataset="d",
    n=7, status="ok", duration_s=2.5, error="a warning-like note", run_id="run-9",
    suite="suite-x", model_revision="abc123", weights="pretrained", backend="transformers",
    dataset_config="cfg", split="test", work_unit="token", work_units=123.0,
    input_tokens=11, output_tokens=22, batch_size=4, device="cuda:0", dtype="bfloat16",
    settings={"max_new_tokens": 10, "nested": {"a": [1, 2]}}, quality={"rouge1": 0.25},
    environment={"cpu": "x", "gpu": "y"}, hardware_id="hw1",
    carbon={"emissions_g": 0.1, "intensity_g_per_kwh": 100.0, "intensity_source": "test",
            "intensity_defaulted": True, "pue": 1.2},
    source="codecarbon", source_file="f.csv", source_line=5, node="node-1", gpu="GPU-uuid",
    shared=True, attempt=2, created_at="2026-11-29T00:00:00+00:00", mode="zero-shot",
    model_fingerprint="files:0123abcd", parameters=12345, warnings=("clock drift",),
    host_activity={"cpus": 1.5, "duration_s": 2.5, "busy_cpu_s": 3.0, "own_cpu_s": 1.25,
                   "scope": "container", "max_foreign_share": 0.1, "resolution_cpu_s": 0.02},
    extra={"note": [1, 2], "text": "[/] not markup"},
)


def _every_field_result(job_id: str = "job-all") -> JobResult:
    from wattprint.meters.base import HostActivity, TimelineSample

    load = EnergyResult("load", 1.5, 2.0, (_gpu(7.0), _cpu(3.0)), ("short window",),
                        timeline=(TimelineSample(0.1, "gpu:0", 50.0, 40.0, 1400.0, 0.5, "thermal"),),
                        validity={"gpu:0": {"temperature_ok": True}},
                        host_activity=HostActivity(2, 2.0, 3.9, 0.1))
    return JobResult(**{**_EVERY_FIELD, "job_id": job_id, "domains": (_gpu(), _cpu()),
                        "phases": {"load": load, "idle": EnergyResult("idle", 0.0, 1.0, (_gpu(1.0),))}})


def test_every_field_of_a_record_survives_the_store(store: ResultStore) -> None:
    """The store's encoding keeps every field of JobResult, as text and compressed."""
    from dataclasses import MISSING, fields

    r = _every_field_result()
    missing = [f.name for f in fields(JobResult)
               if f.name not in {*_EVERY_FIELD, "domains", "phases"}
               or (f.default is not MISSING and getattr(r, f.name) == f.default)
               or (f.default_factory is not MISSING and getattr(r, f.name) == f.default_factory())]
    assert missing == [], f"give these JobResult fields a non-default value here: {missing}"
    assert store.write(r)  # a single record: text (no dictionary yet)
    batch = [_every_field_result(f"job-{i}") for i in range(70)]  # its own dictionary
    assert store.write_many(batch) == 70
    assert store.write(_every_field_result("job-after"))  # compressed with the latest dictionary
    assert store.results() == [r, *batch, _every_field_result("job-after")]


def test_stored_json_leaves_out_what_is_kept_elsewhere(store: ResultStore, tmp_path: Path) -> None:
    store.write(_result())
    blob = sqlite3.connect(tmp_path / "r.db").execute("SELECT record_json FROM results").fetchone()[0]
    assert "totals" not in blob and "per_inference" not in blob  # derived keys are recomputed
    assert "GPU 0 board" not in blob and '"cpu":"x"' not in blob  # descriptions kept once
    assert '"job_id"' not in blob and '"model"' not in blob  # kept in columns


def test_threads_share_one_store(store: ResultStore) -> None:
    import threading

    def work(t: int) -> None:
        for i in range(10):
            store.write(_result(f"t{t}-{i}", 0))
            store.completed_keys()

    threads = [threading.Thread(target=work, args=(t,)) for t in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert store.count() == 40 and store.integrity_check() == []


def test_closed_store_says_so(tmp_path: Path) -> None:
    s = ResultStore(tmp_path / "x.db")
    s.close()
    s.close()
    with pytest.raises(StoreError, match="closed"):
        s.count()


def test_big_batches_are_compressed_with_a_shared_dictionary_and_read_back(
        store: ResultStore, tmp_path: Path) -> None:
    batch = [_result(f"big-{i}", 0) for i in range(100)]
    assert store.write_many(batch) == 100
    assert store.write(_result("single", 0))  # a later single write uses the same dictionary
    con = sqlite3.connect(tmp_path / "r.db")
    assert con.execute("SELECT COUNT(*) FROM record_dicts").fetchone()[0] == 1
    kinds = {r[0] for r in con.execute("SELECT typeof(record_json) FROM results")}
    assert kinds == {"blob"}
    assert con.execute("SELECT format FROM record_dicts").fetchall() == [("zstd",)]
    assert store.results() == [*batch, _result("single", 0)]


def test_values_the_fast_json_writer_would_change_read_back_as_written(
        store: ResultStore) -> None:
    """orjson writes NaN and infinities as null and refuses some types; those records are
    written by the standard encoder instead, so they read back as they were."""
    import math
    from dataclasses import replace

    import numpy as np

    # one odd value per record, so that each one alone must take the standard path
    odd = [{"nan": math.nan}, {"inf": -math.inf}, {"none": None}, {"huge": 2**70},
           {"np": np.float32(0.5)}, {"int_key": {1: "a"}}, {"tuple": (1, "b")}]
    plain = {"text": "naïve — ünïcode", "nested": {"a": [1.5, 2e-05]}}
    batch = [replace(_result(f"odd-{i}", 0), extra=odd[i % len(odd)]) for i in range(70)]
    assert store.write_many(batch) == 70
    assert store.write(replace(_result("plain", 0), extra=plain))
    back = {r.job_id: r.extra for r in store.results()}
    assert math.isnan(back["odd-0"]["nan"]) and back["odd-1"] == {"inf": -math.inf}
    assert back["odd-2"] == {"none": None} and back["odd-3"] == {"huge": 2**70}
    # what the standard encoder (default=str) has always made of these
    assert back["odd-4"] == {"np": "0.5"} and back["odd-5"] == {"int_key": {"1": "a"}}
    assert back["odd-6"] == {"tuple": [1, "b"]}
    assert all(back[f"odd-{i}"] == back[f"odd-{i % len(odd)}"] or i % len(odd) == 0
               for i in range(70))
    assert back["plain"] == plain


def _to_v4_with_deflate(path: Path) -> None:
    """Turn a v5 store into what v3/v4 wrote: records deflated (raw, 2 KiB window) with the
    same dictionaries, and ``record_dicts`` without ``format``."""
    import zlib

    import zstandard

    con = sqlite3.connect(path)
    dicts = dict(con.execute("SELECT id, zdict FROM record_dicts").fetchall())
    for rid, blob in con.execute("SELECT id, record_json FROM results "
                                 "WHERE typeof(record_json) = 'blob'").fetchall():
        dict_id = int.from_bytes(blob[:4], "little")
        zd = zstandard.ZstdCompressionDict(dicts[dict_id],
                                           dict_type=zstandard.DICT_TYPE_RAWCONTENT)
        text = zstandard.ZstdDecompressor(dict_data=zd).decompress(blob[4:])
        co = zlib.compressobj(6, zlib.DEFLATED, -11, 2, zlib.Z_DEFAULT_STRATEGY, dicts[dict_id])
        con.execute("UPDATE results SET record_json = ? WHERE id = ?",
                    (blob[:4] + co.compress(text) + co.flush(), rid))
    con.execute("ALTER TABLE record_dicts DROP COLUMN format")
    con.execute("PRAGMA user_version = 4")
    con.commit()
    con.close()


def test_a_v4_store_with_deflated_records_is_migrated_and_reads_back(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    batch = [_result(f"old-{i}", 0) for i in range(80)]
    with ResultStore(path) as s:
        s.write_many(batch)
    _to_v4_with_deflate(path)
    with ResultStore(path) as s:
        assert s.migrated_from == 4 and s.schema_version == migrations.SCHEMA_VERSION == 5
        assert s.results() == batch  # the deflated records read back
        assert s.write(_result("after-1", 0))  # no zstd dictionary yet: stored as text
        new = [_result(f"new-{i}", 0) for i in range(70)]
        assert s.write_many(new) == 70  # its own zstd dictionary
        assert s.write(_result("after-2", 0))  # compressed with that one
        assert s.results() == [*batch, _result("after-1", 0), *new, _result("after-2", 0)]
        assert s.integrity_check() == []
    con = sqlite3.connect(path)
    assert con.execute("SELECT format FROM record_dicts ORDER BY id").fetchall() == [
        ("deflate",), ("zstd",)]
    kinds = dict(con.execute("SELECT job_id, typeof(record_json) FROM results").fetchall())
    assert kinds["old-0"] == kinds["new-0"] == kinds["after-2"] == "blob"
    assert kinds["after-1"] == "text"


def test_a_dictionary_of_an_unknown_format_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "r.db"
    with ResultStore(path) as s:
        s.write_many([_result(f"j-{i}", 0) for i in range(70)])
    con = sqlite3.connect(path)
    con.execute("UPDATE record_dicts SET format = 'brotli'")
    con.commit()
    con.close()
    with ResultStore(path) as s, pytest.raises(StoreError, match="unknown compression format "
                                                               "'brotli'.*zstd, deflate"):
        s.results()


def test_a_dangling_environment_reference_is_refused_whole(store: ResultStore) -> None:
    """Per-row foreign-key enforcement is off while writing; the transaction's references are
    checked once instead, and a violation keeps nothing of it."""
    from wattprint.results.codec import environment_entry

    store.write(_result("kept", 0))
    stray = {"cpu": "never stored"}
    store._known_envs.add(environment_entry(stray)[0])  # a cache that claims it is stored
    from dataclasses import replace

    batch = [_result(f"b-{i}", 0) for i in range(5)] + [replace(_result("bad", 0),
                                                                environment=stray)]
    with pytest.raises(StoreError, match="environments .* referenced but not stored"):
        store.write_many(batch)
    assert [r.job_id for r in store.results()] == ["kept"]
    assert store.integrity_check() == []
    assert store.write_many(batch) == 6  # the failure cleared the cache: the retry goes through
    assert store.integrity_check() == []


def test_new_stores_use_16_kib_pages_and_old_ones_keep_theirs(tmp_path: Path) -> None:
    from wattprint.results.store import PAGE_BYTES, WAL_CHECKPOINT_BYTES

    with ResultStore(tmp_path / "new.db") as s:
        assert s._db.execute("PRAGMA page_size").fetchone()[0] == PAGE_BYTES == 16384
        assert s._db.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == (
            WAL_CHECKPOINT_BYTES // PAGE_BYTES)
    old = tmp_path / "old.db"
    con = sqlite3.connect(old)
    con.execute("PRAGMA page_size = 4096")
    con.execute("VACUUM")
    con.close()
    with ResultStore(old) as s:
        assert s._db.execute("PRAGMA page_size").fetchone()[0] == 4096
        assert s._db.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == (
            WAL_CHECKPOINT_BYTES // 4096)
        s.write_many([_result(f"j{i}", 0) for i in range(70)])
        assert len(s.results()) == 70 and s.integrity_check() == []
