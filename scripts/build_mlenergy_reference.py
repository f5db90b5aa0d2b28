"""Derive wattprint's compact ML.ENERGY reference CSV from a checkout of ml-energy/leaderboard.

The ML.ENERGY Leaderboard (v3, github.com/ml-energy/leaderboard) publishes every stable LLM run
of the ML.ENERGY Benchmark as ``public/data/tasks/<task>.json``: vLLM 0.11.1 on H100 or B200,
``max_num_seqs`` swept, GPU energy read from NVML counters over the steady-state window
(Zeus). The data are the ML.ENERGY Benchmark V3 dataset, Apache-2.0
(github.com/ml-energy/data, ``data_publishing/LICENSE`` and ``DATASET_CARD.md``).

This keeps the three text tasks (``lm-arena-chat``, ``gpqa``, ``sourcegraph-fim``) and the
columns the estimator uses, adds a ``family`` (the unit held out in cross-validation: models
of one family share training data and architecture, so holding out a size alone would leak),
and writes ``mlenergy_llm_v3.csv`` plus ``mlenergy_llm_v3.json`` (source commit, data date,
licence, row counts, SHA-256 of the CSV) into ``src/wattprint/estimates/data/``; then fits the
estimator on it and writes the shipped fit, ``reference_fit.json`` (wattprint from this
checkout's ``src``).

Usage::

    python scripts/build_mlenergy_reference.py /path/to/ml-energy/leaderboard [--commit SHA]

It reads the files at ``--commit`` through ``git show`` (default: HEAD of the checkout), so the
CSV is reproducible from the commit named in its metadata.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import subprocess
import sys
from pathlib import Path

TASKS = ("lm-arena-chat", "gpqa", "sourcegraph-fim")
OUT = Path(__file__).resolve().parents[1] / "src" / "wattprint" / "estimates" / "data"
BYTES_PER_PARAM = {"bfloat16": 2.0, "float16": 2.0, "fp8": 1.0, "mxfp4": 0.5}
"""Weight bytes per parameter by the leaderboard's ``weight_precision`` (mxfp4: 4-bit values,
scales neglected)."""

FAMILIES = (  # first matching substring of the model id wins
    ("Qwen3-Coder-480B", "qwen3-moe"), ("Qwen3-235B", "qwen3-moe"), ("Qwen3-30B-A3B", "qwen3-moe"),
    ("Qwen3-Coder-30B", "qwen3-moe"), ("Qwen/Qwen3-", "qwen3-dense"), ("Llama-3.", "llama-3"),
    ("Llama-4", "llama-4"), ("gemma-3", "gemma-3"), ("Nemotron", "nemotron-h"),
    ("gpt-oss", "gpt-oss"), ("DeepSeek", "deepseek-v3"),
)
COLUMNS = ("model_id", "family", "task", "gpu_model", "num_gpus", "tensor_parallel",
           "expert_parallel", "data_parallel", "max_num_seqs", "avg_batch_size",
           "active_params_b", "total_params_b", "weight_precision", "bytes_per_param",
           "architecture", "avg_output_len", "energy_per_token_j", "energy_per_request_j",
           "avg_power_w", "median_itl_ms", "output_tokens_per_s")


def family(model_id: str) -> str:
    """The family of a leaderboard model id (see :data:`FAMILIES`)."""
    for needle, fam in FAMILIES:
        if needle in model_id:
            return fam
    raise SystemExit(f"no family for {model_id!r}: add it to FAMILIES")


def show(repo: Path, commit: str, path: str) -> str:
    """A file of ``repo`` at ``commit``."""
    return subprocess.run(["git", "-C", str(repo), "show", f"{commit}:{path}"], check=True,
                          capture_output=True, text=True).stdout


def rows(repo: Path, commit: str) -> list[dict[str, object]]:
    """The kept configurations, sorted for a stable file."""
    out: list[dict[str, object]] = []
    for task in TASKS:
        for c in json.loads(show(repo, commit, f"public/data/tasks/{task}.json"))["configurations"]:
            out.append({
                "model_id": c["model_id"], "family": family(c["model_id"]), "task": task,
                "gpu_model": c["gpu_model"], "num_gpus": c["num_gpus"],
                "tensor_parallel": c["tensor_parallel"], "expert_parallel": c["expert_parallel"],
                "data_parallel": c["data_parallel"], "max_num_seqs": c["max_num_seqs"],
                "avg_batch_size": round(c["avg_batch_size"], 4),
                "active_params_b": c["activated_params_billions"],
                "total_params_b": c["total_params_billions"],
                "weight_precision": c["weight_precision"],
                "bytes_per_param": BYTES_PER_PARAM[c["weight_precision"]],
                "architecture": c["architecture"],
                "avg_output_len": round(c["avg_output_len"], 2),
                "energy_per_token_j": f"{c['energy_per_token_joules']:.6g}",
                "energy_per_request_j": f"{c['energy_per_request_joules']:.6g}",
                "avg_power_w": round(c["avg_power_watts"], 2),
                "median_itl_ms": round(c["median_itl_ms"], 4),
                "output_tokens_per_s": round(c["output_throughput_tokens_per_sec"], 2),
            })
    out.sort(key=lambda r: (str(r["task"]), str(r["model_id"]), str(r["gpu_model"]),
                            int(str(r["num_gpus"])), int(str(r["max_num_seqs"]))))
    return out


def main() -> None:
    """Write the CSV and its metadata."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("repo", type=Path, help="a git checkout of ml-energy/leaderboard")
    ap.add_argument("--commit", default="HEAD")
    args = ap.parse_args()
    commit = subprocess.run(["git", "-C", str(args.repo), "rev-parse", args.commit], check=True,
                            capture_output=True, text=True).stdout.strip()
    index = json.loads(show(args.repo, commit, "public/data/index.json"))
    data = rows(args.repo, commit)
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    w.writeheader()
    w.writerows(data)
    text = buf.getvalue()
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "mlenergy_llm_v3.csv").write_text(text, encoding="utf-8")
    meta = {
        "name": "ML.ENERGY Leaderboard v3, LLM text tasks",
        "version": f"mlenergy-v3@{commit[:7]} (data {index['last_updated']})",
        "source_repository": "https://github.com/ml-energy/leaderboard",
        "source_commit": commit,
        "source_files": [f"public/data/tasks/{t}.json" for t in TASKS],
        "data_last_updated": index["last_updated"],
        "licence": "Apache-2.0 (ML.ENERGY Benchmark V3 dataset: github.com/ml-energy/data "
                   "data_publishing/LICENSE and DATASET_CARD.md); see LICENSE-mlenergy-data.txt",
        "citation": "Chung et al., The ML.ENERGY Benchmark: Toward Automated Inference Energy "
                    "Measurement and Optimization, NeurIPS Datasets and Benchmarks 2025",
        "measurement": "vLLM 0.11.1, all requests at once, max_num_seqs swept; GPU energy from "
                       "NVML counters (Zeus) over the steady-state window, divided by output "
                       "tokens (prefill of requests inside the window included; idle not "
                       "subtracted); GPUs only (no CPU, DRAM, host or cooling)",
        "build_script": "scripts/build_mlenergy_reference.py",
        "rows": len(data),
        "rows_by_task": {t: sum(1 for r in data if r["task"] == t) for t in TASKS},
        "models": len({r["model_id"] for r in data}),
        "families": sorted({str(r["family"]) for r in data}),
        "csv_sha256": hashlib.sha256(text.encode()).hexdigest(),
    }
    (OUT / "mlenergy_llm_v3.json").write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {len(data)} rows from {commit[:7]} to {OUT}")
    sys.path.insert(0, str(OUT.parents[2]))
    from wattprint.estimates.model_file import write_fit
    from wattprint.estimates.observations import reference_data
    from wattprint.estimates.reference import REFERENCE_FIT, fit_reference_data

    reference_data.cache_clear()
    fit = fit_reference_data()
    write_fit(fit, OUT / REFERENCE_FIT)
    print(f"wrote {REFERENCE_FIT}: terms {', '.join(fit.terms)}; held out by family: median "
          f"error {fit.holdout.median_abs_rel:.0%}")


if __name__ == "__main__":
    main()
