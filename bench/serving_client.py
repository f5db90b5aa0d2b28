"""How fast can wattprint's load generator send, and how well does the attribution add up?

1. A minimal OpenAI-style streaming server (aiohttp, 8 chunks per answer, 1 ms apart) runs in
   its own process pinned to CPU 0; the load generator runs pinned to CPU 1. Poisson rates
   double from 25 req/s; at each, the generator sends ``rate x --seconds`` requests and records
   its p99 send lag (actual minus scheduled send), achieved rate, failures and CPU use. The
   highest rate with p99 lag under 5 ms, no failure and achieved >= 90 % of offered is its
   maximum sustained rate.
2. The same server and rates with an established load generator (GuideLLM 0.8, the vLLM
   project's benchmark client) from ``--peer-python`` when it is installed there (it needs a
   tokenizer folder, ``--processor``): its achieved rate and its own dispatch delay
   (scheduled-to-sent, the counterpart of our send lag), from its JSON report.
3. The attribution's sum residual over every serving load point in ``--store`` (e.g. after
   ``wattprint run serving-smoke``).

Writes ``bench/results/serving_client.json``. Timings depend on the machine's load, which is
recorded (load average); nothing here asserts a timing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
MODEL = "bench-model"


def serve(port: int, chunks: int, gap_s: float) -> None:
    """The minimal streaming server (runs in the child process)."""
    from aiohttp import web

    async def models(_: web.Request) -> web.Response:
        return web.json_response({"object": "list", "data": [{"id": MODEL, "object": "model"}]})

    async def chat(req: web.Request) -> web.StreamResponse:
        body = await req.json()
        n = min(int(body.get("max_tokens", chunks)), chunks)
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await resp.prepare(req)
        for i in range(n):
            await asyncio.sleep(gap_s)
            fin = "length" if i == n - 1 else None
            obj = {"choices": [{"index": 0, "delta": {"content": f"t{i} "}, "text": f"t{i} ",
                                "finish_reason": fin}]}
            if fin:
                obj["usage"] = {"prompt_tokens": 16, "completion_tokens": n, "total_tokens": 16 + n}
            await resp.write(b"data: " + json.dumps(obj).encode() + b"\n\n")
        await resp.write(b"data: [DONE]\n\n")
        return resp

    app = web.Application()
    async def health(_: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    app.router.add_get("/v1/models", models)
    app.router.add_get("/health", health)
    app.router.add_post("/v1/chat/completions", chat)
    app.router.add_post("/v1/completions", chat)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


def _pin(cpu: int) -> None:
    if hasattr(os, "sched_setaffinity") and cpu < (os.cpu_count() or 1):
        os.sched_setaffinity(0, {cpu})


def _wait_ready(url: str, timeout_s: float = 20.0) -> None:
    import urllib.request

    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout_s:
        try:
            with urllib.request.urlopen(url + "/v1/models", timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"the bench server at {url} did not start")


def wattprint_rate(url: str, rate: float, seconds: float) -> dict:
    """One Poisson load point with wattprint's generator."""
    from wattprint.serving.arrivals import Arrivals
    from wattprint.serving.engines import profile
    from wattprint.serving.generator import Target, run_point
    from wattprint.serving.prompts import RequestSpec
    from wattprint.serving.windows import percentile

    n = max(50, int(rate * seconds))
    target = Target(url, MODEL, "chat", profile("generic"), timeout_s=30)
    reqs = [RequestSpec("hello " * 16, 8) for _ in range(n)]
    run = asyncio.run(run_point(target, reqs, Arrivals("poisson", rate_rps=rate)))
    lags = run.send_lags_s()
    ok = [r for r in run.records if r.ok]
    wall = run.ended_s - run.started_s
    last_sched = max(r.scheduled_s for r in run.records) - run.started_s
    return {"offered_rps": rate, "requests": n, "ok": len(ok), "failed": n - len(ok),
            "achieved_rps": len(ok) / wall if wall > 0 else None,
            "schedule_span_s": last_sched, "wall_s": wall,
            "send_lag_p50_ms": 1e3 * percentile(lags, 50), "send_lag_p99_ms": 1e3 * percentile(lags, 99),
            "send_lag_max_ms": 1e3 * max(lags), "client_cpu_fraction": run.client_cpu_fraction}


def peer_guidellm(python: str, url: str, rate: float, seconds: float, processor: str | None) -> dict:
    """One Poisson load point with GuideLLM 0.8 (``guidellm run``); its dispatch delay (its
    own scheduled-to-sent measure) is reported beside ours."""
    exe = Path(python).parent / "guidellm"
    if not exe.exists():
        return {"offered_rps": rate, "error": f"guidellm not installed next to {python}"}
    if not processor:
        return {"offered_rps": rate, "error": "GuideLLM needs a tokenizer folder: --processor DIR"}
    out = Path(tempfile.mkdtemp()) / "guidellm.json"
    cmd = [str(exe), "run", "--backend", f"kind=openai_http,target={url},model={processor}",
           "--profile", f"kind=poisson,rate={rate:g}",
           "--constraint", f"kind=max_duration,seconds={seconds:g}",
           "--data", "kind=synthetic_text,prompt_tokens=16,output_tokens=8",
           "--tokenizer", "kind=hf_auto", "--output", f"kind=json,path={out}",
           "--disable-console-interactive"]
    t0 = time.monotonic()
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds * 10 + 180)
    res: dict = {"offered_rps": rate, "command": " ".join(cmd), "wall_s": time.monotonic() - t0,
                 "returncode": p.returncode}
    if p.returncode != 0 or not out.exists():
        res["error"] = (p.stderr or p.stdout)[-800:]
        return res
    try:
        b = json.loads(out.read_text())["benchmarks"][0]
        m = b["metrics"]
        delay = m["request_dispatch_delay"]["successful"]
        res.update(
            achieved_rps=m["requests_per_second"]["successful"]["mean"],
            ok=m["request_totals"]["successful"], failed=m["request_totals"]["errored"],
            incomplete=m["request_totals"]["incomplete"],
            dispatch_delay_p50_ms=1e3 * delay["percentiles"]["p50"],
            dispatch_delay_p99_ms=1e3 * delay["percentiles"]["p99"],
            processes=b["scheduler_state"].get("num_processes"))
    except (KeyError, IndexError, TypeError, json.JSONDecodeError) as err:
        res["error"] = f"unexpected GuideLLM report layout ({err!r}); kept at {out}"
    return res


def residuals(store: str | None) -> dict:
    """Attribution residuals of every serving point in the store."""
    if not store or not Path(store).is_file():
        return {"store": store, "points": []}
    from wattprint.results.serving_store import read_points
    from wattprint.results.store import ResultStore

    with ResultStore(store, must_exist=True) as s:
        pts = read_points(s)
    return {"store": store, "max_residual": max((p.attribution_residual for p in pts), default=None),
            "points": [{"suite": p.suite, "arrivals": p.arrivals, "residual": p.attribution_residual,
                        "j_per_output_token": p.j_per_output_token,
                        "energy_provenance": p.energy_provenance, "flags": list(p.flags)}
                       for p in pts]}


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and write its JSON."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--serve", type=int, metavar="PORT", help=argparse.SUPPRESS)
    ap.add_argument("--seconds", type=float, default=3.0, help="schedule length per rate, s")
    ap.add_argument("--max-rate", type=float, default=3200.0)
    ap.add_argument("--peer-python", default=shutil.which("python3") or sys.executable,
                    help="interpreter with guidellm installed")
    ap.add_argument("--processor", help="tokenizer folder for GuideLLM's synthetic prompts")
    ap.add_argument("--store", help="results store with serving points (residuals)")
    ap.add_argument("--pin-client", action=argparse.BooleanOptionalAction, default=True,
                    help="pin the generator to CPU 1 (the server is on CPU 0)")
    ap.add_argument("--out", default=str(HERE / "results" / "serving_client.json"))
    args = ap.parse_args(argv)
    if args.serve:
        _pin(0)
        serve(args.serve, 8, 0.001)
        return 0
    sys.path.insert(0, str(HERE.parent / "src"))
    import socket

    from wattprint.serving.windows import percentile  # noqa: F401  (fail early without src)

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([sys.executable, __file__, "--serve", str(port)])
    try:
        _wait_ready(url)
        if args.pin_client:
            _pin(1)
        ours, peer = [], []
        rate = 25.0
        while rate <= args.max_rate:
            r = wattprint_rate(url, rate, args.seconds)
            ours.append(r)
            print(f"wattprint {rate:g} req/s: achieved {r['achieved_rps']:.1f}, p99 lag "
                  f"{r['send_lag_p99_ms']:.2f} ms, failed {r['failed']}", flush=True)
            if r["failed"] or r["send_lag_p99_ms"] > 50:
                break
            rate *= 2
        for r in ours:
            p = peer_guidellm(args.peer_python, url, r["offered_rps"], args.seconds, args.processor)
            peer.append(p)
            print(f"guidellm {p['offered_rps']:g} req/s: achieved {p.get('achieved_rps')}, p99 "
                  f"dispatch delay {p.get('dispatch_delay_p99_ms')} ms {p.get('error', '')[:300]}",
                  flush=True)
            if "error" in p:
                break
    finally:
        server.terminate()
        server.wait(10)
    ok = [r for r in ours if r["failed"] == 0 and r["send_lag_p99_ms"] < 5.0
          and r["achieved_rps"] and r["achieved_rps"] >= 0.9 * r["offered_rps"]]
    result = {
        "benchmark": "serving_client",
        "machine": {"cpus": os.cpu_count(), "loadavg_1_5_15": list(os.getloadavg())},
        "server": "aiohttp, 8 chunks per answer 1 ms apart, pinned to CPU 0",
        "client_pinned_to_cpu1": args.pin_client,
        "wattprint_max_sustained_rps": max((r["offered_rps"] for r in ok), default=None),
        "criterion": "p99 send lag < 5 ms, no failure, achieved >= 0.9 x offered",
        "wattprint": ours, "guidellm": peer,
        "attribution": residuals(args.store),
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=1))
    print(f"wrote {args.out}: max sustained {result['wattprint_max_sustained_rps']} req/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
