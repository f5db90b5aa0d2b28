"""What `wattprint proxy` adds: latency per request and the proxy's CPU, against direct calls to
the same upstream in the same run.

The upstream is ``bench/serving_client.py``'s minimal OpenAI-style streaming server (aiohttp, 8
chunks per answer 1 ms apart) in its own process pinned to CPU 0. ``wattprint proxy`` runs as
users run it (its own process, ``--energy measure``) in front of it, measuring a simulated RAPL
counter (so that its power timeline and window attribution run as on a real node; windows of
2 s attributed 1 s after they end). wattprint's load generator, pinned to CPU 1, sends Poisson
load at each rate, alternating direct and proxied phases of ``--seconds`` each, ``--rounds``
times. Per request: send to last byte. Added latency is proxied minus direct at p50 and p99;
the proxy's CPU is its process's CPU time over the proxied phases' wall time (fraction of one
core), and per request.

Targets (issue 23): p99 added < 2 ms and CPU < 10 % of one core at 500 req/s. Timings depend
on the machine's load, which is recorded; nothing here asserts.

Writes ``bench/results/proxy_overhead.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import platform
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from serving_client import MODEL, _pin, _wait_ready, serve

HERE = Path(__file__).resolve().parent
SRC = HERE.parent / "src"


def phase(url: str, rate: float, seconds: float) -> tuple[list[float], int, float]:
    """One Poisson phase: (latencies of the ok requests in s, failures, wall s)."""
    from wattprint.serving.arrivals import Arrivals
    from wattprint.serving.engines import profile
    from wattprint.serving.generator import Target, run_point
    from wattprint.serving.prompts import RequestSpec

    n = max(50, int(rate * seconds))
    target = Target(url, MODEL, "chat", profile("generic"), timeout_s=30)
    run = asyncio.run(run_point(target, [RequestSpec("hello " * 16, 8) for _ in range(n)],
                                Arrivals("poisson", rate_rps=rate)))
    lat = [r.end_s - r.sent_s for r in run.records
           if r.ok and r.end_s is not None and r.sent_s is not None]
    return lat, n - len(lat), run.ended_s - run.started_s


def start_proxy(upstream: str, powercap: Path) -> tuple[subprocess.Popen[str], str]:
    """``wattprint proxy`` in its own process; (process, its URL)."""
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "wattprint", "proxy", "--upstream", upstream,
         "--listen", "127.0.0.1:0", "--energy", "measure", "--powercap-root", str(powercap),
         "--idle", "2", "--window", "2", "--lag", "1", "--interval", "0.1"],
        stderr=subprocess.PIPE, text=True, env=env)
    assert proc.stderr is not None
    for line in proc.stderr:
        m = re.search(r"serving (http://127\.0\.0\.1:\d+)", line)
        if m:
            return proc, m.group(1)
    raise SystemExit(f"wattprint proxy did not start (exit {proc.wait()})")


def pct(xs: list[float], q: float) -> float:
    import numpy as np

    return float(np.percentile(xs, q)) if xs else float("nan")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rates", default="100,500", help="req/s, comma-separated")
    ap.add_argument("--seconds", type=float, default=5.0, help="one phase, s")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--out", default=str(HERE / "results" / "proxy_overhead"))
    args = ap.parse_args(argv)
    import psutil

    from wattprint.serving.launch import free_port
    from wattprint.serving.reference.config import REAL_RAPL_RANGE_UJ
    from wattprint.serving.reference.sysfs import SimulatedMachine

    port = free_port()
    server = multiprocessing.Process(target=lambda: (_pin(0), serve(port, 8, 0.001)),
                                     daemon=True)
    server.start()
    upstream = f"http://127.0.0.1:{port}"
    _wait_ready(upstream)
    machine = SimulatedMachine(Path(tempfile.mkdtemp()) / "machine", 20.0, period_s=0.005,
                               max_energy_range_uj=REAL_RAPL_RANGE_UJ)
    machine.start()
    proc, url = start_proxy(upstream, machine.powercap_root)
    _pin(1)
    me = psutil.Process(proc.pid)
    load0 = os.getloadavg()
    rows = []
    try:
        phase(url, 50, 1.0)            # warm both paths
        phase(upstream, 50, 1.0)
        for rate in [float(r) for r in args.rates.split(",")]:
            direct: list[float] = []
            proxied: list[float] = []
            failed = {"direct": 0, "proxied": 0}
            cpu_s = wall_s = 0.0
            for _ in range(args.rounds):
                lat, bad, _wall = phase(upstream, rate, args.seconds)
                direct += lat
                failed["direct"] += bad
                c0 = sum(me.cpu_times()[:2])
                lat, bad, wall = phase(url, rate, args.seconds)
                cpu_s += sum(me.cpu_times()[:2]) - c0
                wall_s += wall
                proxied += lat
                failed["proxied"] += bad
            row = {"offered_rps": rate, "requests_direct": len(direct),
                   "requests_proxied": len(proxied), "failed": failed,
                   "achieved_proxied_rps": len(proxied) / wall_s if wall_s else None,
                   "direct_p50_ms": 1e3 * pct(direct, 50), "direct_p99_ms": 1e3 * pct(direct, 99),
                   "proxied_p50_ms": 1e3 * pct(proxied, 50),
                   "proxied_p99_ms": 1e3 * pct(proxied, 99),
                   "proxy_cpu_core_fraction": cpu_s / wall_s if wall_s else None,
                   "proxy_cpu_ms_per_request": 1e3 * cpu_s / len(proxied) if proxied else None}
            row["added_p50_ms"] = row["proxied_p50_ms"] - row["direct_p50_ms"]
            row["added_p99_ms"] = row["proxied_p99_ms"] - row["direct_p99_ms"]
            rows.append(row)
            print(json.dumps(row), flush=True)
        import urllib.request

        with urllib.request.urlopen(url + "/wattprint/status", timeout=10) as r:
            status = json.loads(r.read())
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(60)
        machine.stop()
        server.terminate()
    out = {"benchmark": "proxy_overhead",
           "run": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
           "machine": {"platform": platform.machine(), "cpus": os.cpu_count(),
                       "loadavg_1_at_start": load0[0], "loadavg_1_at_end": os.getloadavg()[0]},
           "setup": "upstream: aiohttp, 8 chunks 1 ms apart, pinned to CPU 0; load generator "
                    "pinned to CPU 1; proxy unpinned, --energy measure on a simulated RAPL "
                    f"counter, windows of 2 s; {args.rounds} rounds of {args.seconds:g} s "
                    "direct then proxied per rate",
           "targets": {"added_p99_ms": 2.0, "proxy_cpu_core_fraction_at_500_rps": 0.10},
           "windows_attributed": status.get("windows_attributed"),
           "rows": rows}
    Path(args.out + ".json").write_text(json.dumps(out, indent=1))
    Path(args.out + ".md").write_text(markdown(out))
    return 0


def markdown(out: dict) -> str:
    m = out["machine"]
    lines = [
        "# `wattprint proxy` overhead (`bench/proxy_overhead.py`)", "",
        f"Run {out['run']} on {m['platform']}, {m['cpus']} CPUs, load average "
        f"{m['loadavg_1_at_start']:.1f} at start, {m['loadavg_1_at_end']:.1f} at end. "
        f"{out['setup']}; {out['windows_attributed']} windows attributed meanwhile.", "",
        "Targets: added p99 < 2 ms; proxy CPU < 10 % of one core at 500 req/s.", "",
        "| req/s offered | achieved (proxied) | direct p50 / p99 ms | proxied p50 / p99 ms | "
        "added p50 / p99 ms | proxy CPU (core) | CPU ms/request | failed direct / proxied |",
        "|---|---|---|---|---|---|---|---|"]
    for r in out["rows"]:
        lines.append(
            f"| {r['offered_rps']:g} | {r['achieved_proxied_rps']:.0f} | "
            f"{r['direct_p50_ms']:.2f} / {r['direct_p99_ms']:.2f} | "
            f"{r['proxied_p50_ms']:.2f} / {r['proxied_p99_ms']:.2f} | "
            f"{r['added_p50_ms']:.2f} / {r['added_p99_ms']:.2f} | "
            f"{100 * r['proxy_cpu_core_fraction']:.0f} % | {r['proxy_cpu_ms_per_request']:.2f} | "
            f"{r['failed']['direct']} / {r['failed']['proxied']} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
