"""Killing the driver of a Ray run and running again stores every repetition exactly once;
``wattprint run smoke --executor ray`` runs every job of the local plan, each ok."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("ray")

pytestmark = [pytest.mark.ray, pytest.mark.timeout(600)]

TESTS_DIR = str(Path(__file__).parent)

DRIVER = """
import os, sys
sys.path[:0] = {paths!r}
from harness_fakes import make_job
from ray_fakes import SLOW_TOOLKIT
from wattprint.harness.executors.ray import RayExecutor
from wattprint.harness.runner import run_jobs
from wattprint.harness.sinks import StoreSink
path = os.pathsep.join(sys.path)
jobs = [make_job("slow", n=4, repeat=2, job_id=j, warmup=0) for j in "abcd"]
ex = RayExecutor(SLOW_TOOLKIT, environment={{}}, init_options={{"num_cpus": 2,
                 "runtime_env": {{"env_vars": {{"PYTHONPATH": path}}}}}})
sink = StoreSink({db!r})
out = run_jobs(jobs, executor=ex, sinks=[sink], environment={{}}, progress=False)
ex.close()
print(len(out.results), len(out.skipped))
"""


def _stored(db: Path) -> list[tuple[str, int, str]]:
    from wattprint.results.store import ResultStore

    if not db.exists():
        return []
    with ResultStore(db) as store:
        return sorted((r.job_id, r.repetition, r.status) for r in store.results())


def test_a_killed_ray_driver_resumes_with_each_repetition_stored_once(tmp_path):
    db = tmp_path / "r.db"
    script = DRIVER.format(paths=[TESTS_DIR, *sys.path], db=str(db))
    first = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.monotonic() + 240
    while len(_stored(db)) < 2 and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    assert first.poll() is None, f"the driver ended before it could be killed: {first.communicate()}"
    os.kill(first.pid, signal.SIGKILL)  # the driver only; the Ray it started notices and ends
    first.wait(timeout=60)
    partial = _stored(db)
    assert 2 <= len(partial) < 8
    second = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=300)
    assert second.returncode == 0, second.stderr[-3000:]
    ran, skipped = map(int, second.stdout.split()[-2:])
    assert skipped == len(partial) and ran == 8 - len(partial)
    final = _stored(db)
    assert final == [(j, r, "ok") for j in "abcd" for r in (0, 1)]  # each exactly once


def _run_cli(*args: str, cwd: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    p = subprocess.run([sys.executable, "-m", "wattprint", "run", *args, "--json", "--no-progress"],
                       cwd=cwd, capture_output=True, text=True, timeout=540, env=env)
    assert p.returncode == 0, p.stderr[-3000:]
    return json.loads(p.stdout)


@pytest.mark.slow
def test_smoke_suite_over_ray_runs_every_job_of_the_local_plan(tmp_path):
    """Over Ray, the smoke suite runs exactly the jobs the local plan holds (same job ids,
    tasks, models, data sets, repetitions), each ok. The plan comes from ``--dry-run`` (job ids
    are computed from what defines a job, never from the executor); the local executor's own
    run of the smoke suite is ``test_cli_run.py::test_smoke_suite_acceptance``, so running it
    again here would only double the time of the longest test of the suite."""
    common = ["smoke", "-n", "2", "--repeat", "1", "--idle", "0.2"]
    plan = _run_cli(*common, "--dry-run", "--store", str(tmp_path / "local.db"), cwd=tmp_path)
    over_ray = _run_cli(*common, "--executor", "ray", "--store", str(tmp_path / "ray.db"),
                        cwd=tmp_path)

    expected = sorted((j["job_id"], j["task"], j["model"], j["dataset"], rep, "ok")
                      for j in plan["jobs"] for rep in range(j["repeat"]))
    ran = sorted((r["job_id"], r["task"], r["model"], r["dataset"], r["repetition"], r["status"])
                 for r in over_ray["results"])
    assert ran == expected
    tasks = {r["task"] for r in over_ray["results"]}
    assert len(tasks) == 10
    assert all(r["node"] and r["attempt"] == 1 and r["shared"] is False for r in over_ray["results"])
