"""Job start: the fixed cost per job of a fresh worker, spawn against forkserver, in one run.

Every local job runs in its own process. With *spawn* that process is a fresh interpreter that
imports torch, transformers and the rest before it can run anything; with *forkserver* (the
default now) it is forked from a server that imported them once. Measured here:

* **fixed cost per job**: the driver's wall time for one real job (zoo tiny DistilBERT, text
  classification, n = 1, one repetition, no warm-up, no idle baseline) through the
  ``LocalExecutor``, minus the median wall time of the same job run again in an already warm
  process (``InProcessExecutor`` after one unmeasured run): what a fresh worker costs on top of
  the job's own work. Spawn, forkserver and warm in-process jobs alternate (rotating order) so
  the shared machine's drift hits all three. The forkserver's first job also starts the server;
  that one-off cost is reported apart (``server_start_s``) and kept out of the per-job samples.
* **smoke-suite wall time**: ``smoke`` (12 jobs, 24 repetitions) through ``run_jobs`` with each
  start method, each in its own driver process (so the forkserver run includes starting its
  server), timed around that process.

Usage::

    PYTHONPATH=src python bench/job_start.py [--jobs 5] [--no-smoke]

Writes ``bench/results/job_start.json``. Nothing here asserts a timing.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
JOB = {"task": "text-classification", "model": "zoo:distilbert-sst2@tiny"}
SETTINGS = {"n": 1, "repeat": 1, "warmup": 0, "idle_s": 0.0}


def _job() -> Any:
    from wattprint.harness.plan import make_plan

    _, jobs = make_plan(None, tasks=[JOB["task"]], models=[JOB["model"]], settings=SETTINGS,
                        hardware_id="bench")
    return jobs[0]


def _timed(executor: Any, job: Any) -> float:
    """Wall time (s) of one job through ``executor``; raises unless every result is ok."""
    results: list[Any] = []
    t0 = time.perf_counter()
    executor.run([job], results.append, run_id="bench-job-start")
    wall = time.perf_counter() - t0
    bad = [r.error for r in results if r.status != "ok"]
    if bad or not results:
        raise RuntimeError(f"bench job failed: {bad or 'no result'}")
    return wall


def fixed_cost(jobs: int) -> dict[str, Any]:
    """Per-job wall times of spawn, forkserver and warm in-process runs of one job, interleaved."""
    from wattprint.harness.executors.local import InProcessExecutor, LocalExecutor

    job = _job()
    executors = {"spawn": LocalExecutor(start_method="spawn"),
                 "forkserver": LocalExecutor(start_method="forkserver"),
                 "warm": InProcessExecutor()}
    _timed(executors["warm"], job)  # builds the zoo model once and warms this process
    first_forkserver = _timed(executors["forkserver"], job)  # starts the server
    walls: dict[str, list[float]] = {k: [] for k in executors}
    order = list(executors)
    for i in range(jobs):
        for name in order[i % 3:] + order[:i % 3]:
            walls[name].append(_timed(executors[name], job))
    warm = statistics.median(walls["warm"])
    fixed = {k: statistics.median(walls[k]) - warm for k in ("spawn", "forkserver")}
    return {
        "job": {**JOB, **SETTINGS},
        "samples": jobs,
        "job_wall_s": {k: [round(w, 3) for w in v] for k, v in walls.items()},
        "median_job_wall_s": {k: round(statistics.median(v), 3) for k, v in walls.items()},
        "fixed_cost_per_job_s": {k: round(v, 3) for k, v in fixed.items()},
        "fixed_cost_cut": round(fixed["spawn"] / fixed["forkserver"], 1)
        if fixed["forkserver"] > 0 else None,
        "server_start_s": round(first_forkserver - statistics.median(walls["forkserver"]), 3),
    }


def _smoke_in_this_process(start_method: str) -> None:
    """Run the smoke suite with ``start_method``; print ok/total as JSON (child process)."""
    from wattprint.harness.executors.local import LocalExecutor
    from wattprint.harness.plan import make_plan
    from wattprint.harness.runner import run_jobs
    from wattprint.harness.sinks import MemorySink

    executor = LocalExecutor(start_method=start_method)
    suite, jobs = make_plan("smoke", hardware_id=executor.hardware_id())
    sink = MemorySink()
    try:
        run_jobs(jobs, executor=executor, sinks=[sink], suite=suite, progress=False)
    finally:
        executor.close()
    ok = sum(r.status == "ok" for r in sink.results)
    print(json.dumps({"ok": ok, "results": len(sink.results), "jobs": len(jobs)}))


def smoke_wall(start_method: str) -> dict[str, Any]:
    """Wall time (s) of the smoke suite in its own driver process with ``start_method``."""
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, __file__, "--smoke-child", start_method],
                          capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"smoke ({start_method}) failed: {proc.stderr[-2000:]}")
    counts = json.loads(proc.stdout.strip().splitlines()[-1])
    return {"wall_s": round(wall, 1), **counts}


def main() -> int:
    """Measure and write ``bench/results/job_start.json``."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jobs", type=int, default=5, help="timed jobs per start method")
    ap.add_argument("--no-smoke", action="store_true", help="skip the smoke-suite wall times")
    ap.add_argument("--smoke-child", choices=("spawn", "forkserver"), help=argparse.SUPPRESS)
    ap.add_argument("--out", default=str(HERE / "results" / "job_start.json"))
    args = ap.parse_args()
    if args.smoke_child:
        _smoke_in_this_process(args.smoke_child)
        return 0
    result: dict[str, Any] = {"benchmark": "job_start", "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    result.update(fixed_cost(args.jobs))
    if not args.no_smoke:
        # spawn first, then forkserver; each in a fresh driver process
        smoke = {m: smoke_wall(m) for m in ("spawn", "forkserver")}
        smoke["wall_cut"] = round(smoke["spawn"]["wall_s"] / smoke["forkserver"]["wall_s"], 2)
        result["smoke"] = smoke
    result["machine"] = {"cpu_count": os.cpu_count(), "platform": platform.platform(),
                         "python": platform.python_version(),
                         "load_avg_1m_at_end": round(os.getloadavg()[0], 2)}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
