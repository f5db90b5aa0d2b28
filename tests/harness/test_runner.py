"""The driver: sinks, JSON Lines output, resume from the store."""

from __future__ import annotations

import json

import pytest
from harness_fakes import TOOLKIT, make_job

from wattprint.harness.executors.local import InProcessExecutor, LocalExecutor
from wattprint.harness.runner import pending_jobs, run_jobs
from wattprint.harness.sinks import JsonlSink, MemorySink, StoreSink
from wattprint.results.schema import JobResult

ENV = {"host": "test"}


def test_end_to_end_in_worker_processes_to_jsonl(tmp_path):
    out = tmp_path / "sub" / "results.jsonl"
    sink = JsonlSink(out)
    jobs = [make_job("parity", n=3, repeat=2, job_id="a"), make_job("boom", n=3, repeat=1, job_id="b")]
    outcome = run_jobs(jobs, executor=LocalExecutor(TOOLKIT, environment=ENV), sinks=[sink],
                       environment=ENV, progress=False)
    sink.close()
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    assert [(x["job_id"], x["repetition"], x["status"]) for x in lines] == [
        ("a", 0, "ok"), ("a", 1, "ok"), ("b", 0, "failed")]
    first = lines[0]
    for key in ("task", "model", "dataset", "n", "status", "duration_s", "domains", "work_units",
                "quality", "phases", "environment", "run_id"):
        assert key in first
    assert first["domains"][0].keys() >= {"name", "energy_j", "provenance"}
    assert first["domains"][0]["provenance"] == "measured"
    assert first["run_id"] == outcome.run_id
    assert lines[2]["error"].startswith("RuntimeError: boom")
    assert JobResult.from_dict(first) == outcome.results[0]
    assert len(outcome.failed) == 1


def test_jsonl_appends_across_runs(tmp_path):
    out = tmp_path / "r.jsonl"
    for _ in range(2):
        sink = JsonlSink(out)
        run_jobs([make_job("parity", n=2, repeat=1)], executor=InProcessExecutor(TOOLKIT),
                 sinks=[sink], environment=ENV, progress=False)
        sink.close()
    assert len(out.read_text().splitlines()) == 2


def test_pending_jobs_narrow_to_missing_repetitions():
    jobs = [make_job("parity", repeat=3, job_id="a"), make_job("parity", repeat=2, job_id="b")]
    todo = pending_jobs(jobs, {("a", 0), ("a", 2), ("b", 0), ("b", 1)})
    assert [(j.job_id, j.repetitions) for j in todo] == [("a", (1,))]


def test_resume_skips_completed_keys_and_reruns_failures():
    sink = MemorySink()
    jobs = [make_job("parity", n=2, repeat=3, job_id="a")]
    first = run_jobs(jobs, executor=InProcessExecutor(TOOLKIT), sinks=[sink], environment=ENV,
                     progress=False)
    assert len(first.results) == 3
    # drop repetition 1 as if the run had been killed before it was written
    sink.results = [r for r in sink.results if r.repetition != 1]
    second = run_jobs(jobs, executor=InProcessExecutor(TOOLKIT), sinks=[sink], environment=ENV,
                      progress=False)
    assert [r.repetition for r in second.results] == [1]
    assert second.skipped == {("a", 0), ("a", 2)}
    assert sorted(r.repetition for r in second.all_results()) == [0, 1, 2]


def test_resume_through_the_store_stores_each_repetition_once(tmp_path):
    db = tmp_path / "results.db"
    jobs = [make_job("parity", n=2, repeat=2, job_id="a"), make_job("one", n=2, repeat=1, job_id="b")]
    for expected_new in (3, 0):
        store = StoreSink(db)
        outcome = run_jobs(jobs, executor=InProcessExecutor(TOOLKIT), sinks=[store],
                           environment=ENV, progress=False)
        assert len(outcome.results) == expected_new
        store.close()
    store = StoreSink(db)
    stored = store.store.results()
    assert sorted((r.job_id, r.repetition) for r in stored) == [("a", 0), ("a", 1), ("b", 0)]
    assert len(outcome.previous) == 3  # the second run summarised what the store held
    assert [(run.suite, run.n_results) for run in store.store.runs()] == [("test", 3), ("test", 0)]
    store.close()


def test_a_failing_sink_stops_the_run_and_the_worker():
    class Broken(MemorySink):
        def write(self, result):
            raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        run_jobs([make_job("parity", n=2, repeat=2)], executor=LocalExecutor(TOOLKIT, environment=ENV),
                 sinks=[Broken()], environment=ENV, progress=False)


DRIVER = """
import os
import sys
sys.path[:0] = {paths!r}
os.environ["WATTPRINT_TEST_DRIVER_PID"] = str(os.getpid())
from harness_fakes import TOOLKIT, make_job
from wattprint.harness.executors.local import LocalExecutor
from wattprint.harness.runner import run_jobs
from wattprint.harness.sinks import StoreSink
jobs = [make_job("parity", n=2, repeat=2, job_id="a"),
        make_job("kill-driver-once", n=2, repeat=3, job_id="b", warmup=0),
        make_job("parity", n=2, repeat=1, job_id="c")]
sink = StoreSink({db!r})
out = run_jobs(jobs, executor=LocalExecutor(TOOLKIT, environment={{}}), sinks=[sink],
               environment={{}}, progress=False)
print(len(out.results), len(out.skipped))
"""


@pytest.mark.slow
def test_a_driver_killed_mid_suite_resumes_with_nothing_lost_or_duplicated(tmp_path):
    import os
    import subprocess
    import sys

    db = tmp_path / "r.db"
    script = DRIVER.format(paths=list(sys.path), db=str(db))
    env = {**os.environ, "WATTPRINT_TEST_MARKER": str(tmp_path / "killed")}
    first = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True,
                           timeout=120)
    assert first.returncode == -9  # the driver was SIGKILLed during job b's second window
    with _open(db) as store:
        keys = sorted((r.job_id, r.repetition) for r in store.results())
    # b's first result may still have been in the pipe when the driver died: then it is rerun
    assert keys in ([("a", 0), ("a", 1)], [("a", 0), ("a", 1), ("b", 0)])
    second = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                            text=True, timeout=120, check=True)
    ran, skipped = map(int, second.stdout.split())
    assert (ran, skipped) == (6 - len(keys), len(keys))
    with _open(db) as store:
        results = store.results()
    assert sorted((r.job_id, r.repetition) for r in results) == [
        ("a", 0), ("a", 1), ("b", 0), ("b", 1), ("b", 2), ("c", 0)]
    assert all(r.status == "ok" for r in results)


def _open(db):
    from wattprint.results.store import ResultStore

    return ResultStore(db)
