"""``wattprint load``: measure a served model under load (docs/serving.md)."""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from wattprint.cli.store_cmd import add_store_arg

if TYPE_CHECKING:
    from wattprint.carbon.record import CarbonRecord
    from wattprint.results.serving_record import ServingPoint
    from wattprint.serving.session import ServingConfig


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``wattprint load``."""
    from wattprint.cli.common import (
        non_negative_seconds,
        positive_seconds,
        sampling_interval,
        whole_number,
    )
    from wattprint.serving import limits

    rate, factor = _bounded(limits.MAX_RATE_RPS), _bounded(limits.MAX_FACTOR)
    p = sub.add_parser("load", help="energy of a served model (OpenAI-compatible endpoint) under load",
                       description="Put load on an OpenAI-compatible endpoint and measure the "
                       "server's energy per request and per output token at each offered load. "
                       "Exit status: 0 all requests ok; 1 a request failed or was truncated, or "
                       "a point's energy was not measured; 2 bad input; 3 the client lagged; "
                       "130 interrupted (docs/cli.md).")
    p.add_argument("--endpoint", required=True,
                   help="base URL, e.g. http://127.0.0.1:8000 (with --launch, "
                        "http://127.0.0.1:{port} picks a free port, given to the command as {port})")
    p.add_argument("--model", required=True, help="the served model name (as /v1/models lists it)")
    p.add_argument("--api", choices=("chat", "completions"), default="chat")
    p.add_argument("--engine", default="auto",
                   help="engine profile for length forcing: auto (recognised from the server's "
                        "answers), or a registered engine: vllm, sglang, llamacpp, transformers, "
                        "generic (docs/serving.md)")
    p.add_argument("--extra-body", metavar="JSON",
                   help="a JSON object of fields added to every request, e.g. "
                        "'{\"temperature\": 0}' (engine-specific fields included)")
    g = p.add_argument_group("arrivals (one of)")
    g.add_argument("--rate", type=rate, action="append", metavar="RPS",
                   help="open-loop rate, req/s (repeatable: one load point each)")
    g.add_argument("--burstiness", type=factor, default=1.0,
                   help="gamma shape of inter-arrival gaps (1 = Poisson)")
    g.add_argument("--concurrency", type=whole_number(1, limits.MAX_CONCURRENCY), action="append",
                   metavar="N", help="closed loop with N requests in flight (repeatable)")
    g.add_argument("--sweep", action="store_true", help="double the rate until the server saturates")
    g.add_argument("--sweep-start", type=rate, default=1.0, metavar="RPS")
    g.add_argument("--sweep-max-points", type=whole_number(1, limits.MAX_SWEEP_POINTS), default=6)
    g.add_argument("--trace", metavar="CSV", help="replay an Azure or BurstGPT trace")
    g.add_argument("--trace-speedup", type=factor, default=1.0)
    p.add_argument("--requests", type=whole_number(1, limits.MAX_REQUESTS), default=50,
                   help=f"requests per load point (at most {limits.MAX_REQUESTS:,})")
    p.add_argument("--prompts", default="builtin", help="builtin, a JSONL file, or hf:NAME[:SPLIT[:COLUMN]]")
    p.add_argument("--input-len", help="input tokens: N or LOW:HIGH (default: prompts as they are)")
    p.add_argument("--output-len", default="64", help="output tokens: N or LOW:HIGH")
    p.add_argument("--no-fixed-length", action="store_true",
                   help="let the model stop early (default: force exactly max_tokens where the engine can)")
    p.add_argument("--launch", metavar="CMD",
                   help="start the engine with CMD, measure it, stop it (the port must be free; "
                        "the launched process tree must own the listening socket)")
    p.add_argument("--ready-timeout", type=positive_seconds, default=300.0, metavar="S")
    p.add_argument("--agent", metavar="URL",
                   help="measure the server host through its `wattprint agent` (instead of this host)")
    p.add_argument("--agent-token", default=os.environ.get("WATTPRINT_AGENT_TOKEN"),
                   help="the agent's token (default $WATTPRINT_AGENT_TOKEN)")
    p.add_argument("--idle", type=non_negative_seconds, default=5.0, metavar="S",
                   help="idle power measurement, s")
    p.add_argument("--interval", type=sampling_interval, default=0.1, metavar="S",
                   help="power timeline period, s")
    p.add_argument("--max-lag", type=positive_seconds, default=0.05, metavar="S",
                   help="refuse a point whose p99 send lag exceeds this, s")
    p.add_argument("--slo-ttft", type=positive_seconds, metavar="S",
                   help="goodput objective: time to first token")
    p.add_argument("--slo-itl", type=positive_seconds, metavar="S",
                   help="goodput objective: p95 inter-token latency")
    p.add_argument("--tokenizer", metavar="DIR|GGUF",
                   help="count tokens with this model folder's or GGUF file's tokenizer when the "
                   "server gives no usage (default: the served --model's own, when it is a local "
                   "folder or .gguf file: prompts only)")
    p.add_argument("--timeout", type=positive_seconds, default=300.0, metavar="S",
                   help="per-request limit")
    p.add_argument("--whole-window", action="store_true", help="report energy over the whole run, not the steady window")
    p.add_argument("--run-id", help="resume this run (stored points are skipped)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true", help="print the points as JSON")
    add_store_arg(p)
    from wattprint.cli.carbon_options import add_carbon_arguments

    add_carbon_arguments(p)  # carbon and impacts (water, embodied carbon) of each point
    p.set_defaults(func=_load)


def _bounded(high: float) -> Callable[[str], float]:
    """argparse type: a finite number > 0 and at most ``high``."""
    from wattprint.cli.common import positive_float

    def parse(text: str) -> float:
        value = positive_float(text)
        if value > high:
            raise argparse.ArgumentTypeError(f"expected at most {high:g}, got {text!r}")
        return value
    return parse


def config_from_args(args: argparse.Namespace) -> ServingConfig:
    """Build a :class:`~wattprint.serving.session.ServingConfig` from parsed flags."""
    from wattprint.errors import ConfigError
    from wattprint.serving.arrivals import Arrivals
    from wattprint.serving.lengths import parse_length
    from wattprint.serving.limits import parse_extra_body
    from wattprint.serving.session import ServingConfig

    modes = [bool(args.rate or args.concurrency), args.sweep, bool(args.trace)]
    if sum(modes) != 1:
        raise ConfigError("give --rate and/or --concurrency (one load point each), or --sweep, "
                          "or --trace")
    kind = "poisson" if args.burstiness == 1 else "gamma"
    loads = tuple(Arrivals(kind, rate_rps=r, burstiness=args.burstiness) for r in args.rate or ()) + \
        tuple(Arrivals("closed", concurrency=c) for c in args.concurrency or ())
    slo = {k: v for k, v in (("ttft_s", args.slo_ttft), ("itl_s", args.slo_itl)) if v is not None}
    return ServingConfig(
        endpoint=args.endpoint, model=args.model, loads=loads, api=args.api, engine=args.engine,
        requests=args.requests,
        input_len=parse_length(args.input_len, "--input-len") if args.input_len else None,
        output_len=parse_length(args.output_len, "--output-len"),
        fixed_length=not args.no_fixed_length, prompts=args.prompts, trace=args.trace,
        trace_speedup=args.trace_speedup, launch=args.launch, ready_timeout_s=args.ready_timeout,
        idle_s=args.idle, interval_s=args.interval, max_lag_s=args.max_lag, slo=slo,
        tokenizer=args.tokenizer, timeout_s=args.timeout, sweep=args.sweep,
        sweep_start_rps=args.sweep_start, sweep_max_points=args.sweep_max_points,
        use_steady=not args.whole_window, seed=args.seed,
        extra=parse_extra_body(args.extra_body) if args.extra_body is not None else {})


def _load(args: argparse.Namespace) -> int:
    from wattprint.cli.impact_options import carbon_record_from_args, point_impact_lines
    from wattprint.harness.environment import fingerprint
    from wattprint.results.serving_store import stored_point_ids, write_points
    from wattprint.results.store import ResultStore
    from wattprint.serving.session import ServingSession

    cfg = config_from_args(args)
    # bad carbon or impact flags fail before the load; the factors are stored with each point
    carbon = carbon_record_from_args(args, per="load point")
    run_id = args.run_id or f"serving-{cfg.key()}"
    meter = None
    if args.agent:
        from wattprint.meters.energy_meter import EnergyMeter
        from wattprint.serving.agent import RemoteMeter

        remote = RemoteMeter(args.agent, args.agent_token or "", interval_s=cfg.interval_s)
        print(f"agent {args.agent}: clock offset {remote.clock.offset_s * 1e3:.2f} ms "
              f"(± {remote.clock.error_s * 1e3:.2f} ms)", file=sys.stderr)
        meter = EnergyMeter(meters=[remote], interval_s=cfg.interval_s)
    with ResultStore(args.store) as store:
        done = stored_point_ids(store, run_id)
        session = ServingSession(cfg, run_id, done=done, meter=meter,
                                 on_point=lambda p: write_points(store, [with_carbon(p, carbon)]),
                                 environment=fingerprint(),
                                 log=lambda m: print(m, file=sys.stderr))
        points = [with_carbon(p, carbon) for p in session.run()]
    if args.json:
        from wattprint.results.serving_impacts import serving_impacts_json

        print(json.dumps([{**p.to_dict(), "impacts": serving_impacts_json(p)} for p in points],
                         indent=1, default=str))
    else:
        for p in points:
            print(p.summary_line())
        for line in point_impact_lines(points):
            print(line)
    print(f"run {run_id}: {len(points)} point(s) stored", file=sys.stderr)
    lost = [f"{a}: {why}" for a, why in session.lost]
    return exit_status(points, lost, interrupted=session.interrupted, max_lag_s=args.max_lag)


def with_carbon(point: ServingPoint, carbon: CarbonRecord) -> ServingPoint:
    """The point with the run's carbon and impact factors recorded (a point that already
    has a record, e.g. one measured on a Ray node, keeps it)."""
    if point.carbon is not None:
        return point
    return dataclasses.replace(point, carbon=carbon)


def exit_status(points: list[ServingPoint], lost: list[str], *, interrupted: bool,
                max_lag_s: float | None = None) -> int:
    """The exit status of ``load`` or a serving suite, each problem named on stderr.

    130: Ctrl-C stopped a load point (what was measured is stored). 1: a request failed or
    was truncated, a point's attribution failed its sum check, or a point's energy could not be
    measured (``lost``). 3 (with ``max_lag_s``, ``load`` only): the client lagged. 0 otherwise.
    """
    failed = _failed_sum_checks(points)
    bad = _failed_requests(points)
    if lost:
        print("wattprint: error: energy not measured (not stored): " + "; ".join(lost),
              file=sys.stderr)
    if interrupted or any("interrupted" in p.flags for p in points):
        return 130
    if lost or failed or bad:
        return 1
    lagged = [p for p in points if "client_lag" in p.flags]
    if lagged and max_lag_s is not None:
        print(f"wattprint: error: the client lagged (p99 send lag over {max_lag_s} s) at "
              f"{', '.join(p.arrivals for p in lagged)}: those points are stored but flagged "
              "invalid; lower the rate or run the client on a quieter machine", file=sys.stderr)
        return 3
    return 0


def _failed_requests(points: list[ServingPoint]) -> list[ServingPoint]:
    """The points with failed or truncated requests, each named on stderr with its failures."""
    bad = [p for p in points if p.requests_failed or p.requests_truncated]
    for p in bad:
        print(f"wattprint: error: {p.arrivals}: {p.requests_failed} request(s) failed and "
              f"{p.requests_truncated} truncated of {p.requests_ok + p.requests_failed + p.requests_truncated}"
              "; the point is stored, flagged, and its per-token figures count only the "
              f"{p.requests_ok} ok request(s)", file=sys.stderr)
        for line in p.failure_lines():
            print(f"  {line}", file=sys.stderr)
    return bad


def serving_suite_of(name_or_path: str | None) -> tuple[str, str] | None:
    """``(source, text)`` when ``name_or_path`` names a suite of ``kind: serving``, else None."""
    if not name_or_path:
        return None
    from wattprint.harness.plan import resolve_suite_path
    from wattprint.serving.suite import is_serving_text

    try:
        source, text = resolve_suite_path(name_or_path)
    except Exception:  # not a suite at all: the ordinary path reports it
        return None
    return (source, text) if is_serving_text(text) else None


def validate_serving_suite(source: str, text: str, as_json: bool) -> int:
    """``wattprint validate`` for a serving suite."""
    from wattprint.serving.suite import parse_serving_suite

    suite = parse_serving_suite(text, source)
    loads = sum(max(len(j.loads), 1) for j in suite.spec.jobs)
    if as_json:
        print(json.dumps({"suite": suite.name, "source": source, "valid": True, "kind": "serving",
                          "jobs": len(suite.spec.jobs), "load_points": loads}))
    else:
        print(f"{source}: valid suite {suite.name!r}: serving, {len(suite.spec.jobs)} job(s), "
              f"{loads} load point(s)")
    return 0


def run_serving_suite(args: argparse.Namespace, source: str, text: str) -> int:
    """``wattprint run SUITE`` for a suite of ``kind: serving`` (resumable: stored points are
    skipped). Runs here (``--executor local``) or one Ray task per job (``--executor ray``)."""
    from wattprint.errors import ConfigError
    from wattprint.harness.environment import fingerprint
    from wattprint.results.serving_store import stored_point_ids, write_points
    from wattprint.results.store import ResultStore
    from wattprint.serving.session import ServingSession
    from wattprint.serving.suite import job_config, parse_serving_suite, suite_run_id

    suite = parse_serving_suite(text, source)
    carbon = _suite_carbon(args)
    executor = getattr(args, "executor", "local")
    if executor not in ("local", "inprocess", "ray"):
        raise ConfigError(f"suite {suite.name!r} is a serving suite: it runs here "
                          "(--executor local) or on Ray (--executor ray), not with "
                          f"--executor {executor}")
    if getattr(args, "dry_run", False):
        return validate_serving_suite(source, text, getattr(args, "json", False))
    if getattr(args, "no_store", False):
        raise ConfigError("serving suites store their load points: drop --no-store")
    log = lambda m: print(m, file=sys.stderr)  # noqa: E731
    total: list = []
    lost: list[tuple[str, str, str]] = []
    interrupted = False
    with ResultStore(getattr(args, "store", None)) as store:
        def store_point(p) -> None:
            write_points(store, [with_carbon(p, carbon)])
        if executor == "ray":
            total, lost = _run_serving_on_ray(args, suite, store, store_point, log)
        else:
            env = fingerprint()
            for job in suite.spec.jobs:
                cfg = job_config(job, log)
                run_id = suite_run_id(suite.name, job.name, cfg)
                session = ServingSession(cfg, run_id, suite=suite.name, environment=env, log=log,
                                         done=stored_point_ids(store, run_id),
                                         on_point=store_point)
                total += session.run()
                lost += [(job.name, a, why) for a, why in session.lost]
                if session.interrupted:
                    interrupted = True
                    log(f"interrupted: the jobs after {job.name!r} were not run")
                    break
    log(f"suite {suite.name}: {len(total)} load point(s) stored")  # each logged as measured
    return exit_status(total, [f"{j} {a}: {why}" for j, a, why in lost], interrupted=interrupted)


def _suite_carbon(args: argparse.Namespace) -> CarbonRecord:
    """The carbon and impact factors a serving suite records with its points (from the carbon
    flags of ``wattprint run``)."""
    from wattprint.cli.impact_options import carbon_record_from_args

    return carbon_record_from_args(args, per="load point")


def _failed_sum_checks(points: list) -> list:
    """The points the session flagged for a failed attribution sum check, each named on
    stderr; they are stored, flagged, and make the command exit 1. (A window with no energy
    to split has an infinite residual but no sum check: it is flagged otherwise.)"""
    from wattprint.serving.attribution import MAX_RESIDUAL, RESIDUAL_FLAG

    bad = [p for p in points if RESIDUAL_FLAG in p.flags]
    for p in bad:
        print(f"wattprint: error: {p.arrivals}: the per-request energies do not add up to the "
              f"measured total (residual {p.attribution_residual:.2e} > {MAX_RESIDUAL:.0e}); "
              f"the point is stored, flagged {RESIDUAL_FLAG}", file=sys.stderr)
    return bad


def _run_serving_on_ray(args: argparse.Namespace, suite, store, store_point,
                        log) -> tuple[list, list[tuple[str, str, str]]]:
    """One Ray task per job (serving/ray_run.py); the points are stored here, as they arrive."""
    from wattprint.harness.environment import fingerprint
    from wattprint.results.serving_store import stored_point_ids_by_run
    from wattprint.serving.ray_run import RayServingRunner

    runner = RayServingRunner(address=getattr(args, "address", None),
                              gpus_per_job=getattr(args, "gpus_per_job", 1.0),
                              cpus_per_job=getattr(args, "cpus_per_job", None))
    try:
        outcomes = runner.run(suite.name, list(suite.spec.jobs),
                              stored_point_ids_by_run(store, suite.name), fingerprint,
                              on_point=store_point, log=log)
    finally:
        runner.close()
    points = [p for o in outcomes for p in o.points]
    lost = [(o.job.name, a, why) for o in outcomes for a, why in o.lost]
    return points, lost
