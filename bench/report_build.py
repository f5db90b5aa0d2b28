"""Benchmark: build the HTML report over 100,000 synthetic stored results (target ≤ 10 s).

Run: ``PYTHONPATH=src python bench/report_build.py [--n 100000]``. Writes
``bench/results/report_build.json``. Timings are written, not asserted.

The results are built in memory (the store's read time is measured separately by the store's
own benchmark); stages timed: flatten to a table, aggregate (pandas groupby), figures, the
whole ``build_report`` (which includes all stages and writing the page).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import tempfile
import time
from pathlib import Path

from wattprint.analysis.figures import all_figures
from wattprint.analysis.frame import results_frame
from wattprint.analysis.metrics import DETAIL_KEYS, MODEL_KEYS, aggregate
from wattprint.analysis.report import build_report
from wattprint.meters.base import DomainEnergy, EstimateModel, Provenance
from wattprint.results.schema import JobResult, job_id_for

TASKS = ("text-classification", "token-classification", "question-answering", "fill-mask",
         "text-generation", "summarization", "image-classification", "object-detection",
         "image-to-text", "text-to-image")
EST = EstimateModel("cpu-linear-tdp", "P = P_idle + (TDP - P_idle) * u", {"tdp_w": 65.0}, "bench")


def synthetic(n: int, models_per_task: int = 50, datasets: int = 3, seed: int = 0) -> list[JobResult]:
    """``n`` results over 10 tasks × models × datasets, repetitions filling the rest."""
    rng = random.Random(seed)
    jobs = [(t, f"org{m % 7}/model-{t[:4]}-{m}", f"dataset-{d}", ti)
            for ti, t in enumerate(TASKS) for m in range(models_per_task) for d in range(datasets)]
    out: list[JobResult] = []
    rep = 0
    while len(out) < n:
        for task, model, ds, ti in jobs:
            if len(out) >= n:
                break
            e = 3600.0 * 10 ** (ti / 3) * (1 + rng.random())
            doms = [DomainEnergy("gpu:0", "gpu", "GPU board", Provenance.MEASURED, "nvml",
                                 e, idle_energy_j=e * 0.3, dynamic_energy_j=e * 0.7)]
            if rng.random() < 0.5:
                doms.append(DomainEnergy("cpu:0", "cpu", "CPU package", Provenance.ESTIMATED,
                                         "estimate", e * 0.2, uncertainty=0.4, model=EST))
            status = "failed" if rng.random() < 0.01 else "ok"
            out.append(JobResult(
                job_id=job_id_for({"t": task, "m": model, "d": ds}), repetition=rep, task=task,
                model=model, dataset=ds, n=1000, status=status, duration_s=10.0,
                domains=tuple(doms) if status == "ok" else (),
                error="RuntimeError: synthetic" if status == "failed" else None,
                run_id=f"run-{rep}", hardware_id="bench-hw", output_tokens=rng.randint(9000, 11000),
                quality={"accuracy": rng.random()}, extra={"parameters": 1e7 * (1 + hash(model) % 1000)},
                environment={"python": platform.python_version()},
                created_at="2026-11-21T00:00:00Z"))
        rep += 1
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--out", default=str(Path(__file__).parent / "results" / "report_build.json"))
    args = ap.parse_args()
    t0 = time.perf_counter()
    results = synthetic(args.n)
    t_gen = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        df = results_frame(results)
        t_frame = time.perf_counter() - t
        t = time.perf_counter()
        aggregate(df, MODEL_KEYS)
        aggregate(df, DETAIL_KEYS)
        t_agg = time.perf_counter() - t
        t = time.perf_counter()
        all_figures(df, Path(tmp) / "figs")
        t_fig = time.perf_counter() - t
        t = time.perf_counter()
        rep = build_report(results, Path(tmp) / "site")
        t_total = time.perf_counter() - t
        size = rep.path.stat().st_size
    doc = {
        "benchmark": "report_build",
        "n_results": args.n, "table_rows": int(len(df)),
        "leaderboard_rows": rep.n_leaderboard_rows,
        "generate_s": round(t_gen, 3), "frame_s": round(t_frame, 3),
        "aggregate_s": round(t_agg, 3), "figures_s": round(t_fig, 3),
        "build_report_s": round(t_total, 3), "target_s": 10.0, "within_target": t_total <= 10.0,
        "html_bytes": size,
        "machine": {"python": sys.version.split()[0], "platform": platform.platform(),
                    "cpus": os.cpu_count(),
                    "load_average_1m_at_end": round(os.getloadavg()[0], 2)},
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(doc, indent=2) + "\n")
    print(json.dumps(doc, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
