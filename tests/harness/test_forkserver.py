"""Workers forked from the pre-warmed forkserver: still one fresh process per job.

The probe model below runs inside the worker. It reports (through the result's token counts
and a marker file) its pid, its parent's pid, whether a module global and an environment
variable set by an earlier job are visible, and what the preload did.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest
from harness_fakes import fake_meter, integer_examples, make_job, parity_task

from wattprint.backends.base import Backend
from wattprint.backends.callable import CallableBackend
from wattprint.errors import ConfigError
from wattprint.harness.executors.local import LocalExecutor
from wattprint.harness.plan import Job
from wattprint.harness.worker import Toolkit
from wattprint.tasks.base import Prediction

_LEAK: dict[str, Any] = {}
"""Module state a job sets; a later job must never see it."""


def _probe(x: int) -> Prediction:
    report: dict[str, Any] = {
        "pid": os.getpid(), "ppid": os.getppid(),
        "global_seen": "job" in _LEAK,
        "env_seen": os.environ.get("WATTPRINT_TEST_LEAK"),
        "driver_env": os.environ.get("WATTPRINT_TEST_DRIVER"),
        "torch_preloaded": "torch" in _PRELOADED,
    }
    try:
        from wattprint.harness.executors import preload

        report["server_threads"] = list(preload.PYTHON_THREADS_AFTER_WARM)
        report["import_errors"] = preload.IMPORT_ERRORS
    except ImportError:  # spawn: nothing was preloaded
        pass
    try:
        import torch
    except ImportError:
        pass
    else:
        report["cuda_initialized"] = bool(torch.cuda.is_initialized())
        report["torch_threads"] = torch.get_num_threads()
    _LEAK["job"] = os.getpid()
    os.environ["WATTPRINT_TEST_LEAK"] = str(os.getpid())
    out = Path(os.environ["WATTPRINT_TEST_PROBE_DIR"]) / f"{os.getpid()}.json"
    out.write_text(json.dumps(report))
    return Prediction(output=x % 2, input_tokens=os.getpid())


def _cuda_probe(x: int) -> Prediction:
    import torch

    total = torch.ones(4, device="cuda").sum().item()  # a forked worker can still use CUDA
    return Prediction(output=int(total), input_tokens=os.getpid())


_PRELOADED: set[str] = set()


def _probe_backend(job: Job) -> Backend:
    # runs in the worker before any model code: what was already imported came from the server
    _PRELOADED.update(m for m in ("torch", "transformers") if m in sys.modules)
    return CallableBackend(_cuda_probe if job.model == "cuda" else _probe, name=job.model)


TOOLKIT = Toolkit(meter_factory=fake_meter, task_loader=parity_task,
                  examples_loader=integer_examples, backend_loader=_probe_backend)


def _run(probe_dir: Path, monkeypatch: pytest.MonkeyPatch, start_method: str,
         jobs: int = 2) -> list[dict[str, Any]]:
    """Run ``jobs`` probe jobs; their reports, in job order."""
    probe_dir.mkdir(exist_ok=True)
    monkeypatch.setenv("WATTPRINT_TEST_PROBE_DIR", str(probe_dir))
    monkeypatch.delenv("WATTPRINT_TEST_LEAK", raising=False)
    results: list[Any] = []
    executor = LocalExecutor(TOOLKIT, environment={"host": "test"}, start_method=start_method)
    executor.run([make_job("probe", n=1, repeat=1, warmup=0, job_id=f"j{i}") for i in range(jobs)],
                 results.append, run_id="r")
    assert [r.status for r in results] == ["ok"] * jobs, [r.error for r in results]
    reports = {p.stem: json.loads(p.read_text()) for p in probe_dir.glob("*.json")}
    return [reports[str(r.input_tokens)] for r in results]


def test_two_jobs_never_share_a_process_or_its_state(tmp_path, monkeypatch):
    first, second = _run(tmp_path, monkeypatch, "forkserver")
    assert first["pid"] != second["pid"]
    assert os.getpid() not in (first["pid"], second["pid"])
    # both are children of the forkserver, not of the driver nor of each other
    assert first["ppid"] == second["ppid"] != os.getpid()
    assert second["ppid"] != first["pid"]
    # what job 1 set (a module global, an environment variable) is not there in job 2
    assert first["global_seen"] is False and second["global_seen"] is False
    assert first["env_seen"] is None and second["env_seen"] is None


def test_the_server_preloaded_torch_and_started_nothing(tmp_path, monkeypatch):
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    (report,) = _run(tmp_path, monkeypatch, "forkserver", jobs=1)
    assert report["torch_preloaded"] is True
    assert report["import_errors"] == {}
    assert report["server_threads"] == ["MainThread"]
    assert report["cuda_initialized"] is False
    # the parent of every worker is the multiprocessing forkserver
    server = Path(f"/proc/{report['ppid']}/cmdline")
    if server.exists():
        assert b"forkserver" in server.read_bytes()


@pytest.mark.slow  # the spawned worker pays the torch import (the cost the forkserver removes)
def test_a_forked_worker_is_configured_like_a_spawned_one(tmp_path, monkeypatch):
    pytest.importorskip("torch")
    (forked,) = _run(tmp_path / "forked", monkeypatch, "forkserver", jobs=1)
    (spawned,) = _run(tmp_path / "spawned", monkeypatch, "spawn", jobs=1)
    assert forked["torch_threads"] == spawned["torch_threads"]
    assert forked["cuda_initialized"] is spawned["cuda_initialized"] is False
    assert spawned["torch_preloaded"] is False  # spawn pays the import in every job


def test_the_drivers_environment_reaches_a_forked_worker(tmp_path, monkeypatch):
    _run(tmp_path / "a", monkeypatch, "forkserver", jobs=1)
    # the server is running now, with the environment of that moment; a later change arrives
    monkeypatch.setenv("WATTPRINT_TEST_DRIVER", "set-after-the-server-started")
    (report,) = _run(tmp_path / "b", monkeypatch, "forkserver", jobs=1)
    assert report["driver_env"] == "set-after-the-server-started"


def test_unknown_start_method_is_a_clear_error():
    with pytest.raises(ConfigError, match=r"unknown start method 'frok'.*valid: forkserver, spawn"):
        LocalExecutor(TOOLKIT, start_method="frok")


@pytest.mark.gpu
def test_a_forked_worker_uses_cuda(tmp_path, monkeypatch):
    pytest.importorskip("torch")
    monkeypatch.setenv("WATTPRINT_TEST_PROBE_DIR", str(tmp_path))
    results: list[Any] = []
    executor = LocalExecutor(TOOLKIT, environment={"host": "test"}, start_method="forkserver")
    executor.run([make_job("cuda", n=1, repeat=1, warmup=0, job_id="c1"),
                  make_job("cuda", n=1, repeat=1, warmup=0, job_id="c2")], results.append, run_id="r")
    assert [r.status for r in results] == ["ok", "ok"], [r.error for r in results]
    assert results[0].input_tokens != results[1].input_tokens


def test_a_killed_forkserver_costs_no_job(tmp_path, monkeypatch):
    import multiprocessing.forkserver as mp_forkserver
    import signal
    import time

    probe_dir = tmp_path / "p"
    probe_dir.mkdir()
    monkeypatch.setenv("WATTPRINT_TEST_PROBE_DIR", str(probe_dir))
    results: list[Any] = []
    executor = LocalExecutor(TOOLKIT, environment={"host": "test"}, start_method="forkserver")
    executor.run([make_job("probe", n=1, repeat=1, warmup=0, job_id="k1")], results.append,
                 run_id="r")
    server_pid = mp_forkserver._forkserver._forkserver_pid
    assert server_pid is not None
    os.kill(server_pid, signal.SIGKILL)  # as the OOM killer would, between two jobs
    stat = Path(f"/proc/{server_pid}/stat")
    deadline = time.monotonic() + 60  # the kernel marks it a zombie soon; a loaded machine later
    while time.monotonic() < deadline and stat.exists() and \
            stat.read_text().rsplit(")", 1)[1].split()[0] != "Z":
        time.sleep(0.05)  # dead, not yet reaped: multiprocessing notices at the next start
    executor.run([make_job("probe", n=1, repeat=1, warmup=0, job_id="k2")], results.append,
                 run_id="r")
    assert [r.status for r in results] == ["ok", "ok"], [r.error for r in results]
    assert mp_forkserver._forkserver._forkserver_pid not in (None, server_pid)


class _DyingServer:
    """A worker whose start meets a forkserver that closes the connection ``fails`` times."""

    def __init__(self, fails: int) -> None:
        self.fails = fails
        self.starts = 0

    def start(self) -> None:
        self.starts += 1
        if self.starts <= self.fails:
            raise EOFError


def test_a_worker_start_is_retried_once_then_fails_only_that_job():
    once = _DyingServer(fails=1)
    assert LocalExecutor._start(once) is None and once.starts == 2
    always = _DyingServer(fails=5)
    reason = LocalExecutor._start(always)
    assert always.starts == 2 and reason is not None and "could not start a worker" in reason
