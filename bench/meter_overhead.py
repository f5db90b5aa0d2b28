"""The meter's own cost beside CodeCarbon's tracker and Zeus's ZeusMonitor, in one run.

Measured per tool, each sample in a fresh Python process (same interpreter for every tool,
tools interleaved so that machine noise hits them alike):

* ``start_ms``: import + construct + start (wattprint ``EnergyMeter().start()``, CodeCarbon
  ``OfflineEmissionsTracker(...).start()``, Zeus ``ZeusMonitor().begin_window(...)``).
* ``rss_added_mb``: resident memory added by that import + start (``/proc/self/status``).
* ``threads_started_at_start``: Python threads started by import + start.
* ``window_us``: open + close of one measurement window (wattprint ``begin/end``, CodeCarbon
  ``start_task/stop_task``, Zeus ``begin_window/end_window(sync_execution=False)``), median.
* ``idle_cpu_s`` / ``idle_cpu_pct_one_core``: CPU time the process (and any helper process)
  used while one window stayed open for ``--idle-s`` seconds with nothing else running.
* ``threads_started_idle``: Python threads started during that idle window (a thread per
  sample shows up here); ``child_processes``: helper processes alive at its end.

Results: ``bench/results/meter_overhead.json`` and a markdown table on stdout (and
``bench/results/meter_overhead.md``). Nothing is asserted: the numbers are for reading.

Usage::

    python bench/meter_overhead.py [--python /work/benchvenv/bin/python] [--reps 5] [--idle-s 10]

``--python`` must have codecarbon and zeus installed (and psutil, which wattprint needs);
wattprint itself is imported from this checkout's ``src`` through PYTHONPATH.
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
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(os.path.dirname(HERE), "src")
TOOLS = ("wattprint", "wattprint-rapl", "codecarbon", "zeus")


# ----------------------------------------------------------------------------- worker side
def _rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _count_thread_starts() -> list[int]:
    import threading

    counter = [0]
    orig = threading.Thread.start

    def start(self: Any) -> None:
        counter[0] += 1
        orig(self)

    threading.Thread.start = start  # type: ignore[method-assign]
    return counter


def _make(tool: str, started: bool = True) -> dict[str, Any]:
    """Import, construct and (optionally) start ``tool``; return begin/end/stop callables."""
    if tool == "wattprint":
        from wattprint import EnergyMeter

        m = EnergyMeter()
        if started:
            m.start()
        return {"begin": m.begin, "end": m.end, "obj": m}
    if tool == "wattprint-rapl":  # the measured path, on a simulated powercap tree
        import atexit
        import shutil
        import tempfile

        from wattprint import EnergyMeter

        root = tempfile.mkdtemp(prefix="fake-powercap-")
        atexit.register(shutil.rmtree, root, True)
        for zid, name in (("intel-rapl:0", "package-0"), ("intel-rapl:0:0", "dram")):
            os.makedirs(os.path.join(root, zid))
            for fname, value in (("name", name), ("energy_uj", "123456789"),
                                 ("max_energy_range_uj", "262143328850")):
                with open(os.path.join(root, zid, fname), "w") as f:
                    f.write(value + "\n")
        m = EnergyMeter(powercap_root=root, components=("cpu", "dram"))
        if started:
            m.start()
        return {"begin": m.begin, "end": m.end, "obj": m}
    if tool == "codecarbon":
        import logging

        from codecarbon import OfflineEmissionsTracker

        t = OfflineEmissionsTracker(country_iso_code="FRA", save_to_file=False, log_level="error")
        logging.getLogger("codecarbon").setLevel(logging.ERROR)
        if started:
            t.start()
        return {"begin": lambda k: t.start_task(k), "end": lambda k: t.stop_task(k), "obj": t}
    if tool == "zeus":
        from zeus.monitor import ZeusMonitor

        z = ZeusMonitor()
        if started:
            z.begin_window("__whole", sync_execution=False)
        return {"begin": lambda k: z.begin_window(k, sync_execution=False),
                "end": lambda k: z.end_window(k, sync_execution=False), "obj": z}
    raise SystemExit(f"unknown tool {tool!r}")


def worker(tool: str, mode: str, idle_s: float) -> dict[str, Any]:
    import resource

    if mode == "start":
        counter = _count_thread_starts()
        rss0 = _rss_mb()
        t0 = time.perf_counter()
        _make(tool)
        t1 = time.perf_counter()
        return {"start_ms": (t1 - t0) * 1e3, "rss_added_mb": _rss_mb() - rss0,
                "threads_started_at_start": counter[0]}
    if mode == "window":
        # CodeCarbon's tasks pause its own scheduler; measure pure task usage for it
        h = _make(tool, started=(tool != "codecarbon"))
        for i in range(5):
            h["begin"](f"w{i}")
            h["end"](f"w{i}")
        times = []
        deadline = time.perf_counter() + 1.0
        i = 0
        while (time.perf_counter() < deadline or i < 20) and i < 5000:
            k = f"k{i}"
            t0 = time.perf_counter()
            h["begin"](k)
            h["end"](k)
            times.append(time.perf_counter() - t0)
            i += 1
        return {"window_us": statistics.median(times) * 1e6,
                "window_us_p90": sorted(times)[int(0.9 * len(times))] * 1e6, "windows": len(times)}
    if mode == "idle":
        import threading

        import psutil

        h = _make(tool)
        h["begin"]("idle")
        counter = _count_thread_starts()
        me = psutil.Process()
        kids0 = {p.pid: p.cpu_times() for p in me.children(recursive=True)}
        r0 = resource.getrusage(resource.RUSAGE_SELF)
        t0 = time.perf_counter()
        threading.Event().wait(idle_s)
        t1 = time.perf_counter()
        r1 = resource.getrusage(resource.RUSAGE_SELF)
        kids = me.children(recursive=True)
        kid_cpu = 0.0
        for p in kids:
            try:
                c = p.cpu_times()
                c0 = kids0.get(p.pid)
                kid_cpu += (c.user + c.system) - ((c0.user + c0.system) if c0 else 0.0)
            except psutil.Error:
                pass
        started = counter[0]
        h["end"]("idle")
        cpu = (r1.ru_utime + r1.ru_stime) - (r0.ru_utime + r0.ru_stime) + kid_cpu
        return {"idle_s": t1 - t0, "idle_cpu_s": cpu, "idle_cpu_pct_one_core": 100 * cpu / (t1 - t0),
                "threads_started_idle": started, "child_processes": len(kids),
                "threads_alive": threading.active_count()}
    raise SystemExit(f"unknown mode {mode!r}")


# ----------------------------------------------------------------------------- driver side
def run_worker(python: str, tool: str, mode: str, idle_s: float) -> dict[str, Any]:
    env = dict(os.environ, PYTHONPATH=SRC + os.pathsep + os.environ.get("PYTHONPATH", ""))
    env.setdefault("CODECARBON_LOG_LEVEL", "error")
    p = subprocess.run([python, os.path.abspath(__file__), "--worker", tool, mode,
                        "--idle-s", str(idle_s)], capture_output=True, text=True, env=env,
                       timeout=idle_s + 120)
    lines = [ln for ln in p.stdout.splitlines() if ln.startswith("{")]
    if p.returncode != 0 or not lines:
        return {"error": (p.stderr.strip().splitlines() or ["no output"])[-1]}
    return json.loads(lines[-1])


def _versions(python: str) -> dict[str, str]:
    code = ("import importlib.metadata as m, json, sys\n"
            "out={'python': sys.version.split()[0]}\n"
            "for d in ('codecarbon','zeus','psutil','nvidia-ml-py'):\n"
            "    try: out[d]=m.version(d)\n"
            "    except Exception as e: out[d]='missing'\n"
            "print(json.dumps(out))")
    p = subprocess.run([python, "-c", code], capture_output=True, text=True)
    return json.loads(p.stdout) if p.returncode == 0 else {}


def _median(rows: list[dict[str, Any]], key: str) -> float | None:
    vals = [r[key] for r in rows if key in r]
    return statistics.median(vals) if vals else None


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--worker", nargs=2, metavar=("TOOL", "MODE"), help=argparse.SUPPRESS)
    ap.add_argument("--python", default=sys.executable,
                    help="interpreter with codecarbon and zeus installed (default: this one)")
    ap.add_argument("--reps", type=int, default=5, help="fresh processes per tool for start")
    ap.add_argument("--idle-reps", type=int, default=2, help="idle windows per tool")
    ap.add_argument("--idle-s", type=float, default=10.0, help="idle window length, seconds")
    ap.add_argument("--tools", default=",".join(TOOLS))
    ap.add_argument("--out", default=os.path.join(HERE, "results", "meter_overhead.json"))
    args = ap.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker[0], args.worker[1], args.idle_s)))
        return 0

    tools = args.tools.split(",")
    t_begin = time.time()
    load0 = os.getloadavg()
    raw: dict[str, dict[str, list[dict[str, Any]]]] = {t: {"start": [], "window": [], "idle": []}
                                                     for t in tools}
    for rep in range(args.reps):  # interleaved, rotating the order
        order = tools[rep % len(tools):] + tools[:rep % len(tools)]
        for t in order:
            raw[t]["start"].append(run_worker(args.python, t, "start", args.idle_s))
            print(f"start rep {rep} {t}: {raw[t]['start'][-1]}", file=sys.stderr)
    for t in tools:
        raw[t]["window"].append(run_worker(args.python, t, "window", args.idle_s))
        print(f"window {t}: {raw[t]['window'][-1]}", file=sys.stderr)
    for rep in range(args.idle_reps):
        for t in tools:
            raw[t]["idle"].append(run_worker(args.python, t, "idle", args.idle_s))
            print(f"idle rep {rep} {t}: {raw[t]['idle'][-1]}", file=sys.stderr)

    summary: dict[str, dict[str, Any]] = {}
    for t in tools:
        rows_s, rows_w, rows_i = raw[t]["start"], raw[t]["window"], raw[t]["idle"]
        summary[t] = {
            "start_ms_median": _median(rows_s, "start_ms"),
            "start_ms_samples": [r.get("start_ms") for r in rows_s],
            "rss_added_mb_median": _median(rows_s, "rss_added_mb"),
            "threads_started_at_start": _median(rows_s, "threads_started_at_start"),
            "window_us_median": _median(rows_w, "window_us"),
            "window_us_p90": _median(rows_w, "window_us_p90"),
            "idle_cpu_s_median": _median(rows_i, "idle_cpu_s"),
            "idle_cpu_pct_one_core_median": _median(rows_i, "idle_cpu_pct_one_core"),
            "threads_started_idle_median": _median(rows_i, "threads_started_idle"),
            "child_processes": _median(rows_i, "child_processes"),
            "errors": [r["error"] for rows in (rows_s, rows_w, rows_i) for r in rows if "error" in r],
        }
    base = summary.get("wattprint", {})
    for t in tools:
        if t == "wattprint":
            continue
        for k in ("start_ms_median", "window_us_median", "rss_added_mb_median"):
            a, b = summary[t].get(k), base.get(k)
            summary[t][f"{k}_ratio_to_wattprint"] = (a / b) if a and b else None
    doc = {
        "benchmark": "meter_overhead",
        "started_at_unix": t_begin,
        "wall_s": time.time() - t_begin,
        "machine": {"platform": platform.platform(), "cpu": _cpu_name(), "logical_cpus": os.cpu_count(),
                    "loadavg_before": load0, "loadavg_after": os.getloadavg(),
                    "powercap": os.path.isdir("/sys/class/powercap"),
                    "nvidia_driver": os.path.exists("/dev/nvidiactl")},
        "versions": _versions(args.python),
        "settings": {"reps": args.reps, "idle_reps": args.idle_reps, "idle_s": args.idle_s,
                     "python": args.python},
        "summary": summary,
        "raw": raw,
    }
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(doc, f, indent=2)
    table = markdown_table(doc)
    with open(os.path.splitext(args.out)[0] + ".md", "w") as f:
        f.write(table)
    print(table)
    return 0


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def _fmt(v: Any, spec: str) -> str:
    return "n/a" if v is None else format(v, spec)


def markdown_table(doc: dict[str, Any]) -> str:
    s = doc["summary"]
    v = doc["versions"]
    names = {"wattprint": "wattprint EnergyMeter (estimate path)",
             "wattprint-rapl": "wattprint EnergyMeter (simulated RAPL tree, measured path)", "codecarbon": f"CodeCarbon {v.get('codecarbon', '')} OfflineEmissionsTracker",
             "zeus": f"Zeus {v.get('zeus', '')} ZeusMonitor"}
    rows = ["| tool | import + start (ms, median) | window open + close (µs, median) | CPU while a "
            f"{doc['settings']['idle_s']:g} s window is open (% of one core) | RSS added (MB) | threads started at start / during the window | helper processes |",
            "|---|---|---|---|---|---|---|"]
    for t, r in s.items():
        rows.append(f"| {names.get(t, t)} | {_fmt(r['start_ms_median'], '.0f')} | "
                    f"{_fmt(r['window_us_median'], '.1f')} | {_fmt(r['idle_cpu_pct_one_core_median'], '.3f')} | "
                    f"{_fmt(r['rss_added_mb_median'], '.1f')} | {_fmt(r['threads_started_at_start'], '.0f')} / "
                    f"{_fmt(r['threads_started_idle_median'], '.0f')} | {_fmt(r['child_processes'], '.0f')} |")
    m = doc["machine"]
    rows.append("")
    rows.append(f"Machine: {m['cpu']}, {m['logical_cpus']} logical CPUs, RAPL "
                f"{'present' if m['powercap'] else 'absent'}, NVIDIA driver {'present' if m['nvidia_driver'] else 'absent'}; "
                f"load average {m['loadavg_before'][0]:.2f} before, {m['loadavg_after'][0]:.2f} after "
                f"(shared machine: read ratios, not absolutes). {doc['settings']['reps']} fresh processes per "
                f"tool for start-up (interleaved), {doc['settings']['idle_reps']} idle windows per tool; "
                f"Python {v.get('python', '?')}.")
    return "\n".join(rows) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
