"""Benchmark: import the study's 6,513 CodeCarbon logs, store them, and produce its tables.

Target (issue 5): at most 10 s on the development machine (2 shared cores).

Usage::

    PYTHONPATH=src python bench/study_import.py [STUDY_DIR] [--repeat N]

Writes ``bench/results/study_import.json`` (timings per stage, best and median of N runs,
machine description). Timings are written, never asserted.
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

from wattprint.analysis.study_tables import reproduce
from wattprint.results.store import ResultStore
from wattprint.results.study import load_study

HERE = Path(__file__).resolve().parent


def _default_dir() -> Path:
    env = os.environ.get("WATTPRINT_STUDY_DIR")
    if env:
        return Path(env)
    for p in HERE.parents:
        c = p / "shared" / "reference" / "co2_inference"
        if c.is_dir():
            return c
    sys.exit("give the study folder (sashavor/co2_inference layout) or set WATTPRINT_STUDY_DIR")


def one_run(study: Path) -> dict[str, float]:
    """One full pass on a fresh store; stage timings in seconds."""
    t0 = time.perf_counter()
    data = load_study(study)
    t1 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp, ResultStore(Path(tmp) / "r.db") as s:
        s.begin_run("bench", None, {}, {})
        n = s.write_many(data.records)
        t2 = time.perf_counter()
        out = reproduce(data)
        t3 = time.perf_counter()
    assert n == len(data.records) and out.table2
    return {"parse_and_label_s": t1 - t0, "store_s": t2 - t1, "tables_s": t3 - t2,
            "total_s": t3 - t0, "files": len(data.records), "records_stored": n}


def _cli_wall_s(study: Path) -> float:
    """Wall-clock seconds of the whole command in a fresh interpreter."""
    import subprocess

    env = {**os.environ, "PYTHONPATH": str(HERE.parent / "src")}
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "wattprint", "study", "reproduce", str(study),
                        "--json", "--store", str(Path(tmp) / "r.db")], check=True, env=env,
                       stdout=subprocess.DEVNULL)
        return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("dir", nargs="?", type=Path, default=None)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    study = args.dir or _default_dir()
    runs = [one_run(study) for _ in range(args.repeat)]
    totals = [r["total_s"] for r in runs]
    cli = _cli_wall_s(study)
    result = {
        "benchmark": "study_import",
        "what": "import 6,513 CodeCarbon logs + label runs + store in a fresh SQLite store + "
                "Tables 2-5 and findings",
        "target_s": 10.0,
        "best_total_s": min(totals), "median_total_s": statistics.median(totals),
        "runs": runs,
        "cli_wall_s": cli,
        "cli_command": "wattprint study reproduce DIR --json --store TMP (fresh store, "
                       "interpreter start-up and imports included)",
        "machine": {"python": platform.python_version(), "platform": platform.platform(),
                    "cpu_count": os.cpu_count(), "note": "shared development machine"},
        "when_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "study_import.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({k: result[k] for k in ("best_total_s", "median_total_s", "cli_wall_s",
                                             "target_s")}))
    for r in runs:
        print({k: round(v, 3) if isinstance(v, float) else v for k, v in r.items()})


if __name__ == "__main__":
    main()
