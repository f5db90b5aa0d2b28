"""The local executor: one worker process per job; crashes become failed results."""

from __future__ import annotations

import os

import pytest
from harness_fakes import TOOLKIT, make_job

from wattprint.errors import ConfigError
from wattprint.harness.executors import get_executor
from wattprint.harness.executors.local import LocalExecutor, exit_reason
from wattprint.results.schema import STATUS_FAILED, STATUS_OK


def run(jobs):
    results, phases = [], []
    LocalExecutor(TOOLKIT, environment={"host": "test"}).run(
        jobs, results.append, run_id="r", on_phase=lambda job, p: phases.append((job.model, p)))
    return results, phases


def test_jobs_run_in_their_own_processes_and_crashes_do_not_stop_the_suite():
    jobs = [make_job("parity", n=3, repeat=2, job_id="a"),
            make_job("exit", n=3, repeat=2, job_id="b", warmup=0),
            make_job("kill", n=3, repeat=2, job_id="c", warmup=0),
            make_job("boom", n=3, repeat=1, job_id="d", warmup=0),
            make_job("one", n=3, repeat=1, job_id="e")]
    results, phases = run(jobs)
    by = {(r.job_id, r.repetition): r for r in results}
    assert sorted(by) == [("a", 0), ("a", 1), ("b", 0), ("b", 1), ("c", 0), ("c", 1), ("d", 0),
                          ("e", 0)]
    assert by[("a", 0)].status == by[("a", 1)].status == by[("e", 0)].status == STATUS_OK
    assert by[("b", 0)].error == by[("b", 1)].error == "worker exited with exit code 3"
    assert by[("c", 0)].error == "worker exited with signal 9 (SIGKILL)"
    assert by[("d", 0)].status == STATUS_FAILED and by[("d", 0)].error.startswith("RuntimeError: boom")
    assert ("parity", "query 2/2") in phases
    # the worker is a different process from the driver
    assert by[("a", 0)].environment == {"host": "test"}


def test_a_job_past_its_timeout_is_killed_and_recorded():
    results, _ = run([make_job("hang", n=2, repeat=2, warmup=0, timeout_s=1.0)])
    assert [r.repetition for r in results] == [0, 1]
    assert all(r.error == "timed out after 1 s (worker killed)" for r in results)


def test_exit_reason_words():
    assert exit_reason(-15) == "worker exited with signal 15 (SIGTERM)"
    assert exit_reason(1) == "worker exited with exit code 1"


def test_get_executor_by_name():
    assert get_executor("local").name == "local"
    with pytest.raises(ConfigError, match=r"unknown executor 'lcoal' \(did you mean 'local'\?\)"):
        get_executor("lcoal")


def test_each_job_runs_in_a_fresh_process_other_than_the_driver():
    # the "pid" model reports its process id as input_tokens (one inference per job)
    results, _ = run([make_job("pid", n=1, repeat=1, job_id="p1"),
                      make_job("pid", n=1, repeat=1, job_id="p2")])
    pids = [r.input_tokens for r in results]
    assert os.getpid() not in pids
    assert pids[0] != pids[1]
