"""SIGKILL `wattprint run` at seeded random moments; every resume must keep the store right
(issue 10: crash test).

Each round starts `wattprint run` (resuming the same store) on cheap callable-model jobs and
kills it at a random moment drawn uniformly over the length of a short run (start, one model
load, two repetitions), measured first: so the kills land in start-up, model loads (the
model module takes 0.3 s to import), idle-baseline windows, query windows and store writes
alike, and the work (2 jobs × 12 repetitions) is rarely done before the last round (the last
two runs ask for a 13th repetition, so they always have work). Even rounds kill the driver
with its worker (a crash of the whole run); odd rounds kill only the worker (a job dies: the
driver records a failure and goes on), then the driver a moment later. After every round the store must pass
`PRAGMA integrity_check` and wattprint's own checks, hold at most one success per repetition
and no failure answering for a repetition that has a success. One more round waits for a job
worker (a child of the forkserver) and kills it, so that a worker death is tested even when
a loaded machine makes every random moment fall in start-up. A last, uninterrupted run must
then complete every repetition, each stored exactly once as the answer.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from wattprint.results.store import ResultStore

pytestmark = pytest.mark.slow

ROUNDS = 20
SEED = 20261129
MODULE = '''\
import time
time.sleep(0.3)  # a visible model-load window


def f(x):
    time.sleep(0.02)
    return 1


def g(x):
    time.sleep(0.02)
    return 0
'''


REPEAT = 12
"""Repetitions per job: enough work that 20 short rounds usually do not finish it."""

LAST_REPEAT = REPEAT + 1
"""The last two runs ask for one more repetition per job, so they find work left even when
the random rounds finished all of ``REPEAT`` (they can, when the reference run that sets their
length was slowed by a load that went away: raising ``repeat`` resumes the same jobs)."""


def _command(store: Path, models: tuple[str, ...] = ("f", "g"), repeat: int = REPEAT) -> list[str]:
    cmd = [sys.executable, "-m", "wattprint", "run", "--task", "text-classification"]
    for m in models:
        cmd += ["--model", f"callable:wp_crash_mod:{m}"]
    return cmd + ["-n", "5", "--repeat", str(repeat), "--idle", "0.1", "--store", str(store),
                  "--no-progress", "--json"]


def _env(folder: Path) -> dict[str, str]:
    src = Path(__file__).resolve().parents[2] / "src"
    path = os.pathsep.join([str(src), str(folder), os.environ.get("PYTHONPATH", "")])
    return {**os.environ, "PYTHONPATH": path}


def _start(store: Path, folder: Path, **kw: object) -> subprocess.Popen[bytes]:
    return subprocess.Popen(_command(store, **kw), cwd=folder, env=_env(folder),  # type: ignore[arg-type]
                            start_new_session=True, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(30)


def _kill_worker(proc: subprocess.Popen[bytes]) -> bool:
    """SIGKILL the job's worker process (not multiprocessing's resource tracker)."""
    killed = False
    try:
        children = psutil.Process(proc.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return False
    for child in children:
        try:
            cmdline = " ".join(child.cmdline())
            if "resource_tracker" in cmdline:
                continue
            if "forkserver" in cmdline and child.ppid() == proc.pid:
                continue  # the forkserver itself; the workers are its children
            child.send_signal(signal.SIGKILL)
            killed = True
        except psutil.NoSuchProcess:
            continue
    return killed


def _kill_forked_worker(proc: subprocess.Popen[bytes]) -> bool:
    """SIGKILL a job worker for sure: a child of the driver's forkserver (nothing else)."""
    try:
        servers = [c for c in psutil.Process(proc.pid).children()
                   if "forkserver" in " ".join(c.cmdline())]
        workers = [w for srv in servers for w in srv.children()]
        for w in workers:
            w.send_signal(signal.SIGKILL)
    except psutil.NoSuchProcess:
        return False
    return bool(workers)


def _failures(store: Path) -> int:
    if not store.exists():
        return 0
    con = sqlite3.connect(f"file:{store}?mode=ro", uri=True)
    try:
        return int(con.execute("SELECT COUNT(*) FROM results WHERE status = 'failed'").fetchone()[0])
    except sqlite3.Error:
        return 0
    finally:
        con.close()


def _wait_for_a_new_failure(store: Path, before: int, timeout_s: float = 10.0) -> None:
    """Give the driver time to record the dead worker's repetition as failed."""
    end = time.monotonic() + timeout_s
    while time.monotonic() < end and _failures(store) <= before:
        time.sleep(0.1)


def _check(store: Path) -> None:
    with ResultStore(store) as s:
        assert s.integrity_check() == []
    con = sqlite3.connect(store)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        dup = con.execute("SELECT job_id, repetition FROM results WHERE status = 'ok' "
                          "GROUP BY job_id, repetition HAVING COUNT(*) > 1").fetchall()
        assert dup == []
        shadow = con.execute(
            "SELECT f.job_id, f.repetition FROM results f JOIN results o ON o.job_id = f.job_id "
            "AND o.repetition = f.repetition AND o.status = 'ok' "
            "WHERE f.status = 'failed' AND f.is_answer = 1").fetchall()
        assert shadow == []
    finally:
        con.close()


def test_sigkill_at_random_moments_then_resume(tmp_path: Path) -> None:
    (tmp_path / "wp_crash_mod.py").write_text(MODULE)
    # a short whole run (start, one model load, two repetitions), to know how long that takes
    # here: each round is killed within about that long, so it never gets far
    t0 = time.monotonic()
    reference = _start(tmp_path / "reference.db", tmp_path, models=("f",), repeat=2)
    assert reference.wait(300) == 0
    run_s = time.monotonic() - t0
    store = tmp_path / "crash.db"
    rng = random.Random(SEED)
    worker_kills = 0
    for i in range(ROUNDS):
        proc = _start(store, tmp_path)
        time.sleep(rng.uniform(0.0, run_s))
        before = _failures(store)
        if i % 2 and proc.poll() is None and _kill_worker(proc):
            worker_kills += 1
            _wait_for_a_new_failure(store, before)  # the driver records it and goes on
            time.sleep(rng.uniform(0.0, 0.5))
        _kill_group(proc)
        _check(store)
    # one more worker kill that cannot miss: wait for a worker to exist (on a loaded machine
    # the random moments may all fall in start-up, before any worker is forked)
    proc = _start(store, tmp_path, repeat=LAST_REPEAT)
    before = _failures(store)
    end = time.monotonic() + 120
    killed = False
    while not killed and proc.poll() is None and time.monotonic() < end:
        killed = _kill_forked_worker(proc)
        time.sleep(0.05)
    assert killed, "no job worker appeared within 120 s"
    worker_kills += 1
    _wait_for_a_new_failure(store, before, timeout_s=30)
    _kill_group(proc)
    _check(store)
    final = _start(store, tmp_path, repeat=LAST_REPEAT)
    assert final.wait(300) == 0
    _check(store)
    with ResultStore(store) as s:
        answers = s.results()
        assert len(answers) == 2 * LAST_REPEAT and all(r.status == "ok" for r in answers)
        assert len({(r.job_id, r.repetition) for r in answers}) == 2 * LAST_REPEAT
        assert s.count(status="failed") == 0
        history = s.results(history=True)
    failed = [r for r in history if r.status == "failed"]
    # killed workers left failures; each is history now, superseded by its repetition's success
    assert worker_kills >= 1 and failed
    assert {(r.job_id, r.repetition) for r in failed} <= {(r.job_id, r.repetition) for r in answers}
