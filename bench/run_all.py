"""Run every benchmark in this folder, one after another, and list where each wrote its results.

Usage (what ``make bench`` runs)::

    python bench/run_all.py [--only NAME ...] [--peer-python PATH]

Each benchmark writes ``bench/results/<name>.json`` itself; nothing here asserts a timing.
``meter_overhead`` compares against CodeCarbon and Zeus, which need their own interpreter
(``--peer-python``, default: this one; ``make bench`` installs the ``bench`` extra into .venv).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHES = ("meter_overhead", "harness_overhead", "job_start", "study_import", "import_codecarbon",
           "report_build", "zoo_latency", "serving_client", "study_mini",
           "proxy_overhead")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", nargs="*", choices=BENCHES, help="run only these benchmarks")
    ap.add_argument("--peer-python", default=sys.executable,
                    help="interpreter with codecarbon and zeus, for meter_overhead")
    args = ap.parse_args(argv)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE.parent / "src"),
                                                        os.environ.get("PYTHONPATH", "")])}
    failed = []
    for name in args.only or BENCHES:
        cmd = [sys.executable, str(HERE / f"{name}.py")]
        if name == "meter_overhead":
            cmd += ["--python", args.peer_python]
        print(f"== {name}: {' '.join(cmd)}", flush=True)
        t0 = time.monotonic()
        rc = subprocess.call(cmd, env=env, cwd=HERE.parent)
        print(f"== {name}: exit {rc} after {time.monotonic() - t0:.0f} s", flush=True)
        if rc != 0:
            failed.append(name)
    print("results in", HERE / "results")
    if failed:
        print("failed:", ", ".join(failed), file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
