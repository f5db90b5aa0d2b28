"""Harness overhead: throughput of the measured window against a bare loop, in one run.

Both sides run in a fresh worker process, call the same backend (same zoo model, same
settings) on the same prepared inputs, after the same warm-up:

* **bare**: ``for ex in examples: backend.infer(ex)`` timed with ``time.perf_counter``;
* **harness**: the full protocol through :class:`LocalExecutor` with the real
  :class:`EnergyMeter` (its sampler thread running), throughput = n / query-window duration.

Rounds alternate bare and harness to spread machine noise evenly; the ratio of medians is
reported (target: harness >= 99 % of the bare loop). Then the smoke suite's wall time
(``wattprint run smoke --no-store``) is measured once.

Usage::

    PYTHONPATH=src python bench/harness_overhead.py [--rounds 5] [-n 200] [--model zoo:distilbert-sst2@tiny]

Writes ``bench/results/harness_overhead.json``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

from wattprint.harness.executors.local import LocalExecutor
from wattprint.harness.plan import make_plan
from wattprint.harness.sinks import MemorySink
from wattprint.harness.worker import Toolkit

HERE = Path(__file__).resolve().parent


def _bare(job, conn) -> None:
    """In a worker process: load, warm up, time a bare loop over the same inputs."""
    tk = Toolkit()
    task = tk.task_loader(job.task)
    examples = tk.examples_loader(task, job)
    backend = tk.backend_loader(job)
    backend.load()
    backend.warmup(examples[0], job.warmup)
    out = []
    for _ in job.repetitions:
        backend.sync()
        t0 = time.perf_counter()
        for ex in examples:
            backend.infer(ex)
        backend.sync()
        out.append(time.perf_counter() - t0)
    conn.send(out)
    conn.close()


def bare_durations(job) -> list[float]:
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe(duplex=False)
    p = ctx.Process(target=_bare, args=(job, child))
    p.start()
    child.close()
    durations = parent.recv()
    p.join()
    return durations


def harness_durations(job) -> list[float]:
    sink = MemorySink()
    LocalExecutor().run([job], sink.write, run_id="bench")
    bad = [r.error for r in sink.results if r.status != "ok"]
    if bad:
        raise RuntimeError(f"harness run failed: {bad[0]}")
    return [r.duration_s for r in sink.results]


def smoke_wall_time() -> dict:
    env = {**os.environ, "PYTHONPATH": str(HERE.parent / "src")}
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "wattprint", "run", "smoke", "--no-store", "--json"],
                          capture_output=True, text=True, env=env)
    wall = time.perf_counter() - t0
    try:
        data = json.loads(proc.stdout)
        ok = sum(1 for r in data["results"] if r["status"] == "ok")
        total = len(data["results"])
        tasks = sorted({r["task"] for r in data["results"] if r["status"] == "ok"})
    except (ValueError, KeyError):
        ok, total, tasks = 0, 0, []
    return {"wall_s": wall, "exit_code": proc.returncode, "repetitions_ok": ok,
            "repetitions": total, "tasks_ok": len(tasks)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default="zoo:distilbert-sst2@tiny")
    ap.add_argument("--task", default="text-classification")
    ap.add_argument("-n", type=int, default=200)
    ap.add_argument("--repeat", type=int, default=3, help="windows per worker")
    ap.add_argument("--rounds", type=int, default=4)
    ap.add_argument("--no-smoke", action="store_true")
    ap.add_argument("--out", default=str(HERE / "results" / "harness_overhead.json"))
    args = ap.parse_args()

    _, (job,) = make_plan(None, tasks=[args.task], models=[args.model],
                          settings={"n": args.n, "repeat": args.repeat, "warmup": 5, "idle_s": 0.5},
                          hardware_id="bench")
    bare: list[float] = []
    harness: list[float] = []
    for _ in range(args.rounds):
        bare += bare_durations(job)
        harness += harness_durations(job)
    bare_tput = [args.n / d for d in bare]
    harness_tput = [args.n / d for d in harness]
    ratio = statistics.median(harness_tput) / statistics.median(bare_tput)
    result = {
        "benchmark": "harness_overhead",
        "model": args.model, "task": args.task, "n": args.n,
        "windows_per_side": len(bare),
        "bare_inferences_per_s": {"median": statistics.median(bare_tput),
                                  "min": min(bare_tput), "max": max(bare_tput)},
        "harness_inferences_per_s": {"median": statistics.median(harness_tput),
                                     "min": min(harness_tput), "max": max(harness_tput)},
        "harness_to_bare_throughput": ratio,
        "target": 0.99,
        "meets_target": ratio >= 0.99,
        "machine": {"cpu_count": os.cpu_count(), "platform": platform.platform(),
                    "python": platform.python_version()},
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    if not args.no_smoke:
        result["smoke_suite"] = smoke_wall_time()
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
