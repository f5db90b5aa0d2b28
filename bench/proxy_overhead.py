"""What `wattprint proxy` adds: latency per request and the proxy's CPU, against direct calls to
the same upstream in the same run, beside the floor under it (a bare aiohttp relay).

The upstream is ``bench/serving_client.py``'s minimal OpenAI-style streaming server (aiohttp, 8
chunks per answer 1 ms apart) in its own process pinned to CPU 0. ``wattprint proxy`` runs as
users run it (its own process, ``--energy measure``) in front of it, measuring a simulated RAPL
counter (so that its power timeline and window attribution run as on a real node; windows of
2 s attributed 1 s after they end). Beside it, in the same run and against the same upstream
(each its own process, all started before the first phase):

* ``wattprint proxy --loop asyncio`` (the standard event loop) when uvloop is installed, so that
  both loops are measured;
* ``--baseline-src DIR``: the proxy from another source tree (e.g. the commit before a change),
  run with ``PYTHONPATH=DIR/src``;
* ``bench/bare_relay.py`` on the standard loop (and on uvloop when installed): the same aiohttp
  server and client relaying chunk by chunk and recording nothing — the floor under any
  aiohttp proxy's CPU.

wattprint's load generator, pinned to CPU 1, sends Poisson load at each rate, in phases of
``--seconds`` each: direct, then through each relay in turn, ``--rounds`` times. Per request:
send to last byte. Added latency is a relay's minus direct at p50 and p99. A relay's CPU is its
process's CPU time (``/proc/PID/task/*/stat``, all threads, and its child processes': the
proxy splits its windows in a worker process) over its phases' wall time (fraction of one core),
and per request; for the proxy it is split by thread (the event loop, the power timeline, the
window attribution thread, the window process, others; thread names from ``py-spy dump`` when py-spy is
installed, else the event loop against all others).

Targets (issue 23): p99 added < 2 ms and CPU < 10 % of one core at 500 req/s. Timings depend
on the machine's load, which is recorded (load average at the start of each rate); compare
ratios within one run. Nothing here asserts.

Writes ``bench/results/proxy_overhead.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import multiprocessing
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from serving_client import MODEL, _pin, _wait_ready, serve

HERE = Path(__file__).resolve().parent
SRC = HERE.parent / "src"
TICK_S = 1.0 / os.sysconf("SC_CLK_TCK")
BASELINE = "wattprint proxy (baseline)"


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


@dataclass
class Relay:
    """One relay under test: its process, URL and CPU so far."""

    name: str
    proc: subprocess.Popen[str]
    url: str
    wattprint: bool
    children: set[int] = field(default_factory=set)

    def pids(self) -> list[int]:
        """The process and its descendants (``wattprint proxy`` splits its windows in a worker
        process: a forkserver's child)."""
        out, todo = [], [self.proc.pid]
        while todo:
            pid = todo.pop()
            out.append(pid)
            try:
                tasks = os.listdir(f"/proc/{pid}/task")
            except OSError:
                continue
            for tid in tasks:
                try:
                    with open(f"/proc/{pid}/task/{tid}/children") as f:
                        todo += [int(c) for c in f.read().split()]
                except OSError:
                    continue
        return out

    def thread_cpu_s(self) -> dict[int, tuple[float, float]]:
        """CPU s of each live thread of the process and its descendants: (user, system)."""
        out: dict[int, tuple[float, float]] = {}
        for pid in self.pids():
            base = f"/proc/{pid}/task"
            try:
                tids = os.listdir(base)
            except OSError:
                continue
            for tid in tids:
                try:
                    with open(f"{base}/{tid}/stat") as f:
                        fields = f.read().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                out[int(tid)] = int(fields[11]) * TICK_S, int(fields[12]) * TICK_S
                if pid != self.proc.pid:
                    self.children.add(int(tid))
        return out

    def thread_names(self) -> dict[int, str]:
        """Thread id -> Python thread name (``py-spy dump``; empty without py-spy)."""
        spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
        if not self.wattprint or not Path(spy).exists():
            return {}
        txt = subprocess.run([spy, "dump", "--pid", str(self.proc.pid)], capture_output=True,
                             text=True, timeout=60).stdout
        return {int(m.group(1)): m.group(2)
                for m in re.finditer(r'Thread (\d+) \(\w+\): "([^"]*)"', txt)}

    def stop(self) -> None:
        """SIGINT, then wait."""
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(60)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def start(name: str, cmd: list[str], pythonpath: str, wattprint: bool) -> Relay:
    """Start one relay process and wait for its ``serving URL`` line."""
    env = {**os.environ, "PYTHONPATH": pythonpath}
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True, env=env)
    assert proc.stderr is not None
    for line in proc.stderr:
        m = re.search(r"serving (http://127\.0\.0\.1:\d+)", line)
        if m:
            return Relay(name, proc, m.group(1), wattprint)
    raise SystemExit(f"{name} did not start (exit {proc.wait()})")


def proxy_cmd(upstream: str, powercap: Path, loop: str | None) -> list[str]:
    """``wattprint proxy`` as users run it (measure mode on the simulated counter)."""
    return [sys.executable, "-m", "wattprint", "proxy", "--upstream", upstream,
            "--listen", "127.0.0.1:0", "--energy", "measure", "--powercap-root", str(powercap),
            "--idle", "2", "--window", "2", "--lag", "1", "--interval", "0.1",
            *(["--loop", loop] if loop else [])]


def pct(xs: list[float], q: float) -> float:
    """Percentile ``q`` of ``xs`` (NaN when empty)."""
    import numpy as np

    return float(np.percentile(xs, q)) if xs else float("nan")


def thread_group(name: str | None, tid: int, pid: int, children: set[int]) -> str:
    """The part of the proxy a thread is: ``event_loop``, ``power_timeline``, ``windows`` (the
    thread that splits them, or waits for the process that does), ``window_process`` (its child
    processes: the worker that splits the windows and the forkserver), ``other``."""
    if tid == pid:
        return "event_loop"
    if tid in children:
        return "window_process"
    if name and "power-timeline" in name:
        return "power_timeline"
    if name and "proxy-window" in name:
        return "windows"
    return "other"


def main(argv: list[str] | None = None) -> int:
    """Run the bench (module docstring)."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rates", default="100,500", help="req/s, comma-separated")
    ap.add_argument("--seconds", type=float, default=5.0, help="one phase, s")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--baseline-src", metavar="DIR",
                    help="also run the proxy of this source tree (DIR/src), e.g. an earlier "
                    "commit's (git archive COMMIT src | tar -x -C DIR)")
    ap.add_argument("--baseline-name", metavar="TEXT",
                    help="what the baseline is, for the results (default: DIR)")
    ap.add_argument("--no-bare", action="store_true", help="skip the bare aiohttp relays")
    ap.add_argument("--out", default=str(HERE / "results" / "proxy_overhead"))
    args = ap.parse_args(argv)

    from wattprint.serving.launch import free_port
    from wattprint.serving.reference.config import REAL_RAPL_RANGE_UJ
    from wattprint.serving.reference.sysfs import SimulatedMachine

    has_uvloop = importlib.util.find_spec("uvloop") is not None
    port = free_port()
    server = multiprocessing.Process(target=lambda: (_pin(0), serve(port, 8, 0.001)),
                                     daemon=True)
    server.start()
    upstream = f"http://127.0.0.1:{port}"
    _wait_ready(upstream)
    machine = SimulatedMachine(Path(tempfile.mkdtemp()) / "machine", 20.0, period_s=0.005,
                               max_energy_range_uj=REAL_RAPL_RANGE_UJ)
    machine.start()
    path = os.environ.get("PYTHONPATH", "")
    here_path = os.pathsep.join(p for p in (str(SRC), path) if p)
    relays: list[Relay] = []
    try:
        relays.append(start("wattprint proxy", proxy_cmd(upstream, machine.powercap_root, None),
                            here_path, True))
        if has_uvloop:
            relays.append(start("wattprint proxy --loop asyncio",
                                proxy_cmd(upstream, machine.powercap_root, "asyncio"),
                                here_path, True))
        if args.baseline_src:
            base = os.pathsep.join(p for p in (str(Path(args.baseline_src) / "src"), path) if p)
            relays.append(start(BASELINE,
                                proxy_cmd(upstream, machine.powercap_root, None), base, True))
        if not args.no_bare:
            bare = [sys.executable, str(HERE / "bare_relay.py"), upstream]
            relays.append(start("bare aiohttp relay", [*bare, "asyncio"], here_path, False))
            if has_uvloop:
                relays.append(start("bare aiohttp relay, uvloop", [*bare, "uvloop"], here_path,
                                    False))
        _pin(1)
        rows = run_rates(args, upstream, relays)
        import urllib.request

        windows = {}
        names: dict[str, dict[int, str]] = {}
        for r in relays:
            names[r.name] = r.thread_names()
            if r.wattprint:
                with urllib.request.urlopen(r.url + "/wattprint/status", timeout=10) as resp:
                    windows[r.name] = json.loads(resp.read()).get("windows_attributed")
    finally:
        for r in relays:
            r.stop()
        machine.stop()
        server.terminate()
    for row in rows:
        for rr in row["relays"]:
            relay = next(r for r in relays if r.name == rr["relay"])
            split: dict[str, float] = {}
            for tid, s in rr.pop("thread_cpu_s").items():
                group = thread_group(names[relay.name].get(tid), tid, relay.proc.pid,
                                     relay.children)
                if not names[relay.name] and group == "other":
                    group = "other_threads"
                split[group] = split.get(group, 0.0) + s
            n = rr["requests"]
            rr["cpu_ms_per_request_by_thread"] = {k: 1e3 * v / n if n else None
                                                  for k, v in sorted(split.items())}
    out = {"benchmark": "proxy_overhead",
           "run": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
           "machine": {"platform": platform.machine(), "cpus": os.cpu_count(),
                       "python": platform.python_version(), "uvloop": has_uvloop},
           "setup": "upstream: aiohttp, 8 chunks 1 ms apart, pinned to CPU 0; load generator "
                    "pinned to CPU 1; relays unpinned, all running throughout; wattprint proxy "
                    "--energy measure on a simulated RAPL counter, windows of 2 s; "
                    f"{args.rounds} rounds of {args.seconds:g} s per rate: direct, then each "
                    "relay in turn",
           "targets": {"added_p99_ms": 2.0, "proxy_cpu_core_fraction_at_500_rps": 0.10},
           "baseline": (args.baseline_name or args.baseline_src) if args.baseline_src else None,
           "windows_attributed": windows,
           "rows": rows}
    Path(args.out + ".json").write_text(json.dumps(out, indent=1))
    Path(args.out + ".md").write_text(markdown(out))
    print(markdown(out))
    return 0


def run_rates(args: argparse.Namespace, upstream: str, relays: list[Relay]) -> list[dict]:
    """Every rate: rounds of direct then each relay (module docstring)."""
    for r in relays:               # warm every path
        phase(r.url, 50, 1.0)
    phase(upstream, 50, 1.0)
    rows = []
    for rate in [float(x) for x in args.rates.split(",")]:
        load = os.getloadavg()[0]
        direct: list[float] = []
        failed_direct = 0
        lat: dict[str, list[float]] = {r.name: [] for r in relays}
        failed = dict.fromkeys(lat, 0)
        wall = dict.fromkeys(lat, 0.0)
        cpu: dict[str, dict[int, float]] = {r.name: {} for r in relays}    # thread: user+sys
        system: dict[str, float] = dict.fromkeys(lat, 0.0)
        for _ in range(args.rounds):
            got, bad, _w = phase(upstream, rate, args.seconds)
            direct += got
            failed_direct += bad
            for r in relays:
                c0 = r.thread_cpu_s()
                got, bad, w = phase(r.url, rate, args.seconds)
                for tid, (u, k) in r.thread_cpu_s().items():
                    u0, k0 = c0.get(tid, (0.0, 0.0))
                    cpu[r.name][tid] = cpu[r.name].get(tid, 0.0) + u - u0 + k - k0
                    system[r.name] += k - k0
                lat[r.name] += got
                failed[r.name] += bad
                wall[r.name] += w
        d50, d99 = 1e3 * pct(direct, 50), 1e3 * pct(direct, 99)
        row: dict = {"offered_rps": rate, "loadavg_1_at_start": load,
                     "direct": {"requests": len(direct), "failed": failed_direct,
                                "p50_ms": d50, "p99_ms": d99}, "relays": []}
        for r in relays:
            xs, n, cpu_s = lat[r.name], len(lat[r.name]), sum(cpu[r.name].values())
            p50, p99 = 1e3 * pct(xs, 50), 1e3 * pct(xs, 99)
            row["relays"].append({
                "relay": r.name, "requests": n, "failed": failed[r.name],
                "achieved_rps": n / wall[r.name] if wall[r.name] else None,
                "p50_ms": p50, "p99_ms": p99, "added_p50_ms": p50 - d50,
                "added_p99_ms": p99 - d99,
                "cpu_core_fraction": cpu_s / wall[r.name] if wall[r.name] else None,
                "cpu_ms_per_request": 1e3 * cpu_s / n if n else None,
                "system_cpu_ms_per_request": 1e3 * system[r.name] / n if n else None,
                "thread_cpu_s": cpu[r.name]})
        rows.append(row)
        print(json.dumps({"rate": rate, "relays": [
            {k: v for k, v in x.items() if k != "thread_cpu_s"} for x in row["relays"]]}),
            flush=True)
    return rows


def markdown(out: dict) -> str:
    """The results as a Markdown page."""
    m = out["machine"]
    lines = [
        "# `wattprint proxy` overhead (`bench/proxy_overhead.py`)", "",
        f"Run {out['run']} on {m['platform']}, {m['cpus']} CPUs, Python {m['python']}, "
        f"uvloop {'installed' if m['uvloop'] else 'not installed'}. {out['setup']}. Windows "
        "attributed meanwhile: " + ", ".join(f"{k}: {v}" for k, v in
                                             out["windows_attributed"].items()) + "."
        + (f" The baseline: {out['baseline']}." if out.get("baseline") else ""), "",
        "Targets: added p99 < 2 ms; proxy CPU < 10 % of one core at 500 req/s. CPU per request "
        "is the process's CPU time (all threads and child processes, user and kernel; in brackets the kernel's "
        "part: sockets, mostly) over the requests it relayed in its phases; the split is by "
        "thread (event loop, power timeline, window attribution thread, window_process: the "
        "proxy's child processes that split the windows, other).", ""]
    for row in out["rows"]:
        d = row["direct"]
        lines += [
            f"## {row['offered_rps']:g} req/s offered (load average {row['loadavg_1_at_start']:.1f}"
            f" at its start)", "",
            f"Direct: {d['requests']} requests, p50 {d['p50_ms']:.2f} ms, p99 "
            f"{d['p99_ms']:.2f} ms, {d['failed']} failed.", "",
            "| relay | achieved req/s | p50 / p99 ms | added p50 / p99 ms | CPU (core) | "
            "CPU ms/request (of it in the kernel) | CPU/request ÷ baseline's | "
            "by thread, ms/request | failed |",
            "|---|---|---|---|---|---|---|---|---|"]
        base = next((r["cpu_ms_per_request"] for r in row["relays"]
                     if r["relay"] == BASELINE), None)
        for r in row["relays"]:
            split = ", ".join(f"{k} {v:.3f}" for k, v in r["cpu_ms_per_request_by_thread"].items()
                              if v is not None)
            lines.append(
                f"| {r['relay']} | {r['achieved_rps']:.0f} | {r['p50_ms']:.2f} / "
                f"{r['p99_ms']:.2f} | {r['added_p50_ms']:.2f} / {r['added_p99_ms']:.2f} | "
                f"{100 * r['cpu_core_fraction']:.0f} % | {r['cpu_ms_per_request']:.3f} "
                f"({r['system_cpu_ms_per_request']:.3f}) | "
                f"{r['cpu_ms_per_request'] / base if base else float('nan'):.2f} | {split} | "
                f"{r['failed']} |")
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
