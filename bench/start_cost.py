"""Start-up cost: ``import wattprint`` + ``EnergyMeter().start()`` beside CodeCarbon's tracker.

Each sample is a fresh Python process (the same interpreter for both tools, the tools
interleaved so that machine noise hits them alike) that times, from just before the import
to just after the meter started:

* ``start_ms``: wall-clock time (``time.perf_counter``);
* ``cpu_ms``: CPU time of the process over the same span (``getrusage``), less sensitive to
  other processes on a shared machine than the wall clock;
* ``modules_added``: how many modules the import + start loaded, and which of the heavy
  ones (pandas, numpy, pydantic, rich, yaml, torch ...) among them;
* with ``--instructions``, ``instructions_m``: millions of instructions the import + start
  executes (valgrind's callgrind, ``PYTHONHASHSEED=0``; the interpreter's own start-up and the
  bench prelude subtracted). Unlike times, this count does not move with the machine's load,
  so it compares two versions fairly on a shared machine.

Bytecode is cached before sampling (one unmeasured run per tool with bytecode writing on), so
the samples time imports as an installed package runs them, not the compilation of sources.

Results: ``bench/results/start_cost.json`` and a markdown table (stdout and
``bench/results/start_cost.md``). Nothing is asserted: the numbers are for reading.

Usage::

    python bench/start_cost.py [--reps 15] [--baseline-src OTHER_CHECKOUT/src] [--instructions]

CodeCarbon must be importable by this interpreter (``pip install codecarbon``, in the
``bench`` extra); wattprint is imported from this checkout's ``src``, and with
``--baseline-src`` also from another checkout's (e.g. the commit before a change), sampled
in the same interleaved run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(os.path.dirname(HERE), "src")
HEAVY = ("pandas", "numpy", "scipy", "pydantic", "rich", "yaml", "torch", "matplotlib",
         "pyarrow", "orjson", "zstandard", "sqlite3", "requests", "psutil", "pynvml")
"""Modules a meter does not need, reported when an import + start loads them."""

WORKER = r"""
import json, resource, sys, time

def cpu_s():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime

tool = sys.argv[1]
before = set(sys.modules)
c0, t0 = cpu_s(), time.perf_counter()
if tool == "wattprint":
    import wattprint
    meter = wattprint.EnergyMeter()
    meter.start()
elif tool == "floor":
    import importlib
    for name in json.loads(sys.argv[2]):
        try:
            importlib.import_module(name)
        except ImportError:
            pass
    meter = None
else:
    import logging
    from codecarbon import OfflineEmissionsTracker
    meter = OfflineEmissionsTracker(country_iso_code="FRA", save_to_file=False, log_level="error")
    logging.getLogger("codecarbon").setLevel(logging.ERROR)
    meter.start()
t1, c1 = time.perf_counter(), cpu_s()
added = set(sys.modules) - before
heavy = sorted(m for m in HEAVY if m in added)
if meter is not None:
    meter.stop()
print(json.dumps({"start_ms": (t1 - t0) * 1e3, "cpu_ms": (c1 - c0) * 1e3,
                  "modules_added": len(added), "heavy": heavy, "added": sorted(added)}))
"""


def sample(python: str, tool: str, src: str = SRC, *, write_bytecode: bool = False,
           floor: list[str] | None = None) -> dict[str, Any]:
    """One fresh process: import + start ``tool`` (wattprint from ``src``); its timings.

    ``tool`` ``floor`` imports only ``floor``, the modules outside wattprint that wattprint's
    import + start loads (the standard library's part of its cost, which no change to
    wattprint's own code can remove)."""
    env = dict(os.environ, PYTHONPATH=src, CODECARBON_LOG_LEVEL="error")
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    code = f"HEAVY = {HEAVY!r}\n{WORKER}"
    name = tool if tool in ("codecarbon", "floor") else "wattprint"
    args = [python, *([] if write_bytecode else ["-B"]), "-c", code, name,
            *([json.dumps(floor)] if floor is not None else [])]
    p = subprocess.run(args, capture_output=True, text=True, env=env, timeout=300)
    lines = [ln for ln in p.stdout.splitlines() if ln.startswith("{")]
    if p.returncode != 0 or not lines:
        raise SystemExit(f"{tool}: {(p.stderr.strip().splitlines() or ['no output'])[-1]}")
    row: dict[str, Any] = json.loads(lines[-1])
    return row


def instructions_m(python: str, tool: str, src: str) -> float:
    """Millions of instructions of import + start (callgrind), less those of the prelude."""
    env = dict(os.environ, PYTHONPATH=src, CODECARBON_LOG_LEVEL="error", PYTHONHASHSEED="0")
    env.pop("PYTHONDONTWRITEBYTECODE", None)

    def count(code: str) -> int:
        p = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
                            python, "-B", "-c", code,
                            "codecarbon" if tool == "codecarbon" else "wattprint"],
                           capture_output=True, text=True, env=env, timeout=1800)
        refs = [ln for ln in p.stderr.splitlines() if "refs:" in ln]
        if p.returncode != 0 or not refs:
            raise SystemExit(f"callgrind {tool}: {p.stderr.strip()[-500:]}")
        return int(refs[-1].split("refs:")[1].replace(",", "").strip())

    prelude = WORKER.split("tool = sys.argv[1]")[0] + "tool = sys.argv[1]\n"
    return (count(f"HEAVY = {HEAVY!r}\n{WORKER}") - count(prelude)) / 1e6


def _floor(tool: str, floor: list[str]) -> list[str] | None:
    return floor if tool == "floor" else None


def _version(python: str, dist: str) -> str:
    code = f"import importlib.metadata as m; print(m.version({dist!r}))"
    p = subprocess.run([python, "-c", code], capture_output=True, text=True)
    return p.stdout.strip() or "missing"


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Median and minimum of the samples of one tool."""
    ms = [r["start_ms"] for r in rows]
    cpu = [r["cpu_ms"] for r in rows]
    return {"start_ms_median": statistics.median(ms), "start_ms_min": min(ms),
            "cpu_ms_median": statistics.median(cpu), "cpu_ms_min": min(cpu),
            "modules_added": rows[-1]["modules_added"], "heavy": rows[-1]["heavy"],
            "samples": len(rows)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--python", default=sys.executable)
    ap.add_argument("--reps", type=int, default=15)
    ap.add_argument("--baseline-src", default=None,
                    help="also sample wattprint from this src folder (another checkout)")
    ap.add_argument("--instructions", action="store_true",
                    help="also count instructions with valgrind (slow; independent of load)")
    ap.add_argument("--out", default=os.path.join(HERE, "results", "start_cost.json"))
    args = ap.parse_args()
    srcs = {"wattprint": SRC, "codecarbon": SRC}
    if args.baseline_src:
        srcs["wattprint-baseline"] = os.path.abspath(args.baseline_src)
    srcs["floor"] = SRC
    tools = list(srcs)
    load0 = os.getloadavg()[0]
    # the modules outside wattprint that its import + start loads, in the order a set gives
    floor = sorted(m for m in sample(args.python, "wattprint", SRC, write_bytecode=True)["added"]
                   if m.split(".")[0] != "wattprint")
    for tool in tools:  # write bytecode once, unmeasured
        sample(args.python, tool, srcs[tool], write_bytecode=True, floor=_floor(tool, floor))
    rows: dict[str, list[dict[str, Any]]] = {t: [] for t in tools}
    for _ in range(args.reps):
        for tool in tools:
            row = sample(args.python, tool, srcs[tool], floor=_floor(tool, floor))
            row.pop("added")
            rows[tool].append(row)
    load1 = os.getloadavg()[0]
    out = {t: summarise(r) for t, r in rows.items()}
    if args.instructions:
        for tool in tools:
            if tool == "floor":
                continue
            out[tool]["instructions_m"] = instructions_m(args.python, tool, srcs[tool])
    doc = {"results": out, "samples": rows,
           "ratio_median": out["codecarbon"]["start_ms_median"] / out["wattprint"]["start_ms_median"],
           "machine": {"cpu": platform.processor() or platform.machine(),
                       "logical_cpus": os.cpu_count(), "load_before": load0, "load_after": load1,
                       "python": platform.python_version()},
           "codecarbon": _version(args.python, "codecarbon"), "baseline_src": args.baseline_src}
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")
    lines = [
        "| tool | import + start, ms (median / min) | CPU, ms (median / min) | instructions (M) "
        "| modules loaded | heavy modules loaded |",
        "|---|---|---|---|---|---|"]
    names = {"wattprint": "wattprint EnergyMeter",
             "wattprint-baseline": f"wattprint EnergyMeter, baseline ({args.baseline_src})",
             "codecarbon": f"CodeCarbon {doc['codecarbon']} OfflineEmissionsTracker",
             "floor": "floor: only the standard-library modules wattprint's import + start "
                      f"loads ({len(floor)})"}
    for tool in tools:
        r = out[tool]
        instr = f"{r['instructions_m']:.0f}" if "instructions_m" in r else "–"
        lines.append(f"| {names[tool]} | {r['start_ms_median']:.1f} / {r['start_ms_min']:.1f} "
                     f"| {r['cpu_ms_median']:.1f} / {r['cpu_ms_min']:.1f} | {instr} "
                     f"| {r['modules_added']} | {', '.join(r['heavy']) or 'none'} |")
    lines.append("")
    own = out["wattprint"]["cpu_ms_median"] - out["floor"]["cpu_ms_median"]
    doc["wattprint_own_cpu_ms_median"] = own
    lines.append(f"wattprint's own code (its CPU median less the floor's): {own:.1f} ms.")
    lines.append("")
    lines.append(f"{args.reps} fresh processes per tool, interleaved, bytecode cached; "
                 f"CodeCarbon / wattprint, median: {doc['ratio_median']:.0f}×. Load average "
                 f"{load0:.2f} before, {load1:.2f} after on {os.cpu_count()} logical CPUs "
                 "(on a shared machine read the ratio and the minimum, not the median alone).")
    text = "\n".join(lines)
    print(text)
    with open(os.path.splitext(args.out)[0] + ".md", "w", encoding="utf-8") as f:
        f.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
