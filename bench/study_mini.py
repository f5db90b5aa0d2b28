"""The study's finding on real weights (the study-mini suite), timed. Results are written, not asserted.

Usage:
    PYTHONPATH=src python bench/study_mini.py [--out bench/results/study_mini.json]

Builds the real-weights zoo if the cache lacks it (``wattprint zoo build --real``, timed
separately), then runs ``wattprint run study-mini`` into a fresh temporary store (timed: the
wall time of the suite, what ``make run`` spends on it), reads the finding back from the store
(:func:`wattprint.analysis.finding.findings`) and writes, for both models, energy per 1,000
inferences, accuracy and energy per correct answer with their 95 % intervals, the ratios, the
study's published ratios, the wall times and the machine's load while it ran.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
sys.path.insert(0, str(SRC))

from wattprint.analysis.finding import findings  # noqa: E402
from wattprint.analysis.frame import results_frame  # noqa: E402


def _wattprint(*args: str) -> float:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")])}
    t0 = time.monotonic()
    subprocess.run([sys.executable, "-m", "wattprint", *args], check=True, env=env)
    return time.monotonic() - t0


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "study_mini.json")
    args = ap.parse_args()
    load_before = os.getloadavg()
    build_s = _wattprint("zoo", "build", "--real")
    with tempfile.TemporaryDirectory() as tmp:
        store = Path(tmp) / "store.db"
        run_s = _wattprint("run", "study-mini", "--store", str(store), "--no-progress")
        from wattprint.analysis.source import load_stored

        results = load_stored(str(store)).results
    found = [asdict(f) for f in findings(results_frame(results))]
    record = {
        "bench": "study_mini", "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(),
                    "load_before": load_before, "load_after": os.getloadavg()},
        "build_zoo_s": round(build_s, 1), "run_study_mini_s": round(run_s, 1),
        "findings": found,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(record, indent=2, default=str) + "\n")
    print(json.dumps({k: v for k, v in record.items() if k != "findings"}, indent=2))
    for f in findings(results_frame(results)):
        print("\n".join(f.lines()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
