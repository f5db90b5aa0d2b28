"""Zoo build times and per-inference latency per task (batch 1, this machine). Results are written, not asserted.

Usage:
    PYTHONPATH=src python bench/zoo_latency.py [--size tiny|real-size] [--names a,b] [--repeat 20] [--out FILE]

For each zoo model: build it into a fresh temporary cache (timed), load it, warm up once, then time
``--repeat`` single inferences on a study-shaped input and report the median (ms), along with the
parameter count. Generative tasks use the backend's defaults (text-generation 10 new tokens,
summarization 15, captioning 20; text-to-image: the pipeline's default size, ``--steps`` steps).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from wattprint.backends import load_backend  # noqa: E402
from wattprint.backends.zoo import SPECS, build  # noqa: E402
from wattprint.tasks.base import Example  # noqa: E402

WORDS = ("Alice bought a green bicycle in Paris for 846 dollars and rode it along the river to the old museum "
         "where the Science Academy announced a new energy report").split()
IMAGE = Image.new("RGB", (640, 480), (90, 140, 200))
INPUTS = {
    "text-classification": " ".join(WORDS * 2),
    "token-classification": " ".join(WORDS),
    "question-answering": {"question": "Where did Alice ride?", "context": " ".join(WORDS * 5)},
    "fill-mask": " ".join(WORDS[:19]) + " [MASK]",
    "text-generation": " ".join(WORDS[:20]),
    "summarization": " ".join(WORDS * 10),
    "image-classification": IMAGE,
    "object-detection": IMAGE,
    "image-to-text": IMAGE,
    "text-to-image": " ".join(WORDS[:30]),
}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", default="tiny")
    ap.add_argument("--names", default=",".join(SPECS))
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as cache:
        for name in args.names.split(","):
            spec = SPECS[name]
            t0 = time.perf_counter()
            build(name, args.size, Path(cache))
            build_s = time.perf_counter() - t0
            settings = {"zoo_cache_dir": Path(cache)}
            if spec.zero_shot:   # the study's summarization prompt (wattprint.tasks.zeroshot has the full set)
                settings["mode"] = "zero-shot"
                settings["prompt_fn"] = lambda task, ex, family: "summarize the following text: " + ex.inputs
            if spec.task == "text-to-image":
                settings["num_inference_steps"] = args.steps
            task = spec.task if not spec.zero_shot else "summarization"
            backend = load_backend(task, f"zoo:{name}@{args.size}", **settings)
            t0 = time.perf_counter()
            info = backend.load()
            load_s = time.perf_counter() - t0
            example = Example(INPUTS[task] if not spec.zero_shot else INPUTS["summarization"])
            pred = backend.infer(example)
            times = []
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                pred = backend.infer(example)
                times.append(time.perf_counter() - t0)
            row = {"name": name, "task": task, "size": args.size, "architecture": info.extra["architecture"],
                   "parameters": info.parameters, "build_s": round(build_s, 3), "load_s": round(load_s, 3),
                   "infer_median_ms": round(1000 * statistics.median(times), 2),
                   "infer_min_ms": round(1000 * min(times), 2), "output_tokens": pred.output_tokens,
                   "repeat": args.repeat}
            rows.append(row)
            print(json.dumps(row), flush=True)
            backend.unload()
    meta = {"machine": platform.processor() or platform.machine(), "cpus": os.cpu_count(),
            "python": platform.python_version(), "note": "batch 1, shared noisy 2-core machine, wall clock"}
    if args.out:
        args.out.write_text(json.dumps({"meta": meta, "rows": rows}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
