"""The Ray executor on a local Ray (2 CPUs): streaming, retries after a dead worker, resume."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ray = pytest.importorskip("ray")

from harness_fakes import make_job  # noqa: E402
from ray_fakes import RAY_TOOLKIT  # noqa: E402

from wattprint.harness.executors import get_executor  # noqa: E402
from wattprint.harness.executors.local import LocalExecutor  # noqa: E402
from wattprint.harness.executors.ray import RayExecutor  # noqa: E402
from wattprint.results.schema import STATUS_FAILED, STATUS_OK  # noqa: E402

pytestmark = [pytest.mark.ray, pytest.mark.timeout(300)]

TESTS_DIR = str(Path(__file__).parent)


@pytest.fixture(scope="module")
def executor():
    # Ray workers must import the test doubles by module name, as spawned local workers do.
    path = os.pathsep.join([TESTS_DIR, *sys.path])
    ex = RayExecutor(RAY_TOOLKIT, environment={"host": "test"}, max_attempts=2,
                     init_options={"num_cpus": 2, "runtime_env": {"env_vars": {"PYTHONPATH": path}}})
    yield ex
    ex.close()


def run(ex, jobs):
    results, phases = [], []
    ex.run(jobs, results.append, run_id="r", on_phase=lambda job, p: phases.append((job.job_id, p)))
    return results, phases


def test_ray_gives_the_same_results_as_the_local_executor(executor):
    jobs = [make_job("parity", n=3, repeat=2, job_id="a"),
            make_job("boom", n=3, repeat=1, job_id="b", warmup=0),
            make_job("one", n=2, repeat=1, job_id="c")]
    got, _ = run(executor, jobs)
    want = []
    LocalExecutor(RAY_TOOLKIT, environment={"host": "test"}).run(jobs, want.append, run_id="r")

    def key(r):
        return (r.job_id, r.repetition, r.status, r.quality.get("accuracy"), r.error)

    assert sorted(map(key, got)) == sorted(map(key, want))
    ok = [r for r in got if r.status == STATUS_OK]
    # each result says where it ran; CPU jobs ask for a whole node, so nothing was shared
    assert all(r.node and r.extra["ray"]["node_id"] for r in ok)
    assert all(r.shared is False and r.attempt == 1 for r in got)
    failed = [r for r in got if r.status == STATUS_FAILED]
    assert [r.error.split(" (at")[0] for r in failed] == ["RuntimeError: boom"]  # not retried


def test_a_killed_worker_is_retried_and_the_retry_recorded(executor, tmp_path):
    marker = tmp_path / "killed"
    job = make_job("kill-once", n=4, repeat=2, job_id="k").with_settings(
        settings={"marker": str(marker)})
    results, phases = run(executor, [job])
    assert marker.exists()  # the first attempt really died
    assert sorted(r.repetition for r in results) == [0, 1]
    assert all(r.status == STATUS_OK for r in results)
    assert all(r.attempt == 2 for r in results)
    retries = results[0].extra["retries"]
    assert retries[0]["attempt"] == 1 and "died" in retries[0]["reason"]
    assert ("k", "retry 2/2") in phases


def test_a_worker_that_always_dies_fails_after_max_attempts(executor):
    results, _ = run(executor, [make_job("kill", n=2, repeat=1, job_id="d", warmup=0)])
    assert len(results) == 1 and results[0].status == STATUS_FAILED
    assert "died" in results[0].error and "after 2 attempts" in results[0].error


def test_cpu_jobs_share_nodes_only_when_allowed(executor):
    job = make_job("parity", n=1, repeat=1)
    assert executor.resources_for(job) == ({"num_cpus": 2.0, "num_gpus": 0}, False)
    executor.cpus_per_job = 1.0
    try:
        assert executor.resources_for(job) == ({"num_cpus": 1.0, "num_gpus": 0}, True)
    finally:
        executor.cpus_per_job = None


def test_gpu_job_without_gpus_is_refused_with_the_reason(executor):
    from wattprint.errors import ConfigError

    job = make_job("parity").with_settings(device="cuda")
    with pytest.raises(ConfigError, match="no alive Ray node has 1 GPU"):
        executor.resources_for(job)


def test_hardware_id_matches_the_local_machine(executor):
    from wattprint.harness.environment import hardware_id

    assert executor.hardware_id() == hardware_id()


def test_get_executor_knows_ray_and_checks_options():
    from wattprint.errors import ConfigError

    with pytest.raises(ConfigError, match="max_attempts"):
        get_executor("ray", max_attempts=0)


def test_without_executor_ray_nothing_of_ray_is_imported(tmp_path):
    import subprocess

    code = (
        "import sys\n"
        "sys.path[:0] = %r\n"
        "from harness_fakes import TOOLKIT, make_job\n"
        "from wattprint.cli import main\n"
        "from wattprint.harness.executors import get_executor\n"
        "from wattprint.harness.runner import run_jobs\n"
        "from wattprint.harness.sinks import StoreSink\n"
        "assert main(['validate', 'smoke']) == 0\n"
        "run_jobs([make_job('parity', n=2, repeat=1)], executor=get_executor('local', toolkit=TOOLKIT),\n"
        "         sinks=[StoreSink(%r)], environment={}, progress=False)\n"
        "print(sorted(m for m in sys.modules if m == 'ray' or m.startswith('ray.')))\n"
    ) % ([TESTS_DIR, *sys.path], str(tmp_path / "r.db"))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "[]"
