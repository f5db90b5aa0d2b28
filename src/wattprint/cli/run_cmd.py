"""``wattprint run``, ``wattprint validate`` and ``wattprint suites``.

Exit codes of ``wattprint run``: 0 when every repetition it ran succeeded (or there was
nothing left to run), 1 when at least one failed (each failure is listed with its reason and
stored with ``status=failed``), 2 for bad input (unknown suite, task, model, flag ...).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from wattprint.cli.common import non_negative_float, positive_float, positive_int, print_json
from wattprint.errors import ConfigError

RUN_EPILOG = """\
examples:
  wattprint run                                   the offline smoke suite (all ten tasks)
  wattprint run study --task summarization        part of the study suite (needs hub access)
  wattprint run --task text-classification --model ./my-checkpoint -n 100 --repeat 3
  wattprint run my-suite.yaml --device cuda --out results.jsonl

Results go to the store (--store, default ./wattprint-results/results.db) and, with --out,
to a JSON Lines file. Repetitions already complete in the store are skipped, so a run that
was interrupted resumes where it stopped. Exit code 1 when any repetition failed.
"""


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``run``, ``validate`` and ``suites``."""
    p = sub.add_parser("run", help="run a suite (default: smoke) or an ad-hoc job",
                       description="Run a benchmark suite, or one task/model given on the command "
                       "line, measuring the energy of every repetition.",
                       epilog=RUN_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("suite", nargs="?", metavar="SUITE_OR_FILE",
                   help="shipped suite name (see `wattprint suites`) or a YAML file; "
                   "default: smoke, or an ad-hoc job when --task is given")
    p.add_argument("--task", action="append", default=[], metavar="TASK",
                   help="select this task (repeatable); alone, defines an ad-hoc job")
    p.add_argument("--model", action="append", default=[], metavar="MODEL",
                   help="select this model, or the model of an ad-hoc job: zoo:NAME[@tiny|@real-size], "
                   "a local folder, a hub id, or callable:module:function (repeatable)")
    p.add_argument("--dataset", action="append", default=[], metavar="DATASET",
                   help="select this dataset: builtin, a study dataset (imdb ...) or a file (repeatable)")
    p.add_argument("--mode", choices=("task-specific", "zero-shot"), default="task-specific",
                   help="for ad-hoc jobs: run the model zero-shot (text generation models)")
    p.add_argument("-n", type=positive_int, metavar="N", help="inferences per measured window")
    p.add_argument("--repeat", type=positive_int, metavar="R", help="repetitions per job")
    p.add_argument("--batch-size", type=positive_int, metavar="B", help="inputs per model call")
    p.add_argument("--device", metavar="DEVICE", help="cpu, cuda, cuda:N")
    p.add_argument("--dtype", metavar="DTYPE", help="float32, float16, bfloat16")
    p.add_argument("--warmup", type=int, metavar="K", help="unmeasured warm-up inferences")
    p.add_argument("--idle", type=non_negative_float, metavar="S",
                   help="idle-baseline length in seconds (0: none)")
    p.add_argument("--timeout", type=positive_float, metavar="S",
                   help="wall-clock limit per job, seconds (the worker is killed past it)")
    p.add_argument("--out", metavar="FILE.jsonl", help="also append each result to this JSON Lines file")
    p.add_argument("--store", metavar="PATH", help="results store (default: ./wattprint-results/results.db "
                   "or $WATTPRINT_STORE)")
    p.add_argument("--no-store", action="store_true",
                   help="write no store and resume nothing (results only in --out / the summary)")
    p.add_argument("--executor", default="local", metavar="NAME",
                   help="where jobs run: local (one process per job, default), inprocess, or ray")
    from wattprint.cli.carbon_options import add_carbon_arguments

    add_carbon_arguments(p)
    ray = p.add_argument_group("Ray cluster (with --executor ray; needs wattprint[ray])")
    ray.add_argument("--address", metavar="ADDR",
                     help="Ray cluster to join (auto, HOST:6379, ray://HOST:10001); "
                          "default: RAY_ADDRESS, else a local Ray")
    ray.add_argument("--gpus-per-job", type=positive_float, default=1.0, metavar="G",
                     help="GPUs a GPU job asks for (default 1: no two jobs share a GPU)")
    ray.add_argument("--cpus-per-job", type=positive_float, metavar="C",
                     help="CPUs a CPU job asks for; default: a whole node (jobs never share); "
                          "a smaller number lets jobs share nodes and marks results shared")
    ray.add_argument("--max-attempts", type=positive_int, default=3, metavar="K",
                     help="tries per job when its worker or node dies (default 3)")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="show a progress bar (default: when stderr is a terminal)")
    p.add_argument("--dry-run", action="store_true",
                   help="check the plan as a run would (pre-flight: extras, devices, models, "
                        "datasets), list the jobs and how many repetitions are left; run "
                        "nothing")
    p.add_argument("--json", action="store_true", help="print the summary and results as JSON")
    p.set_defaults(func=run_command)

    v = sub.add_parser("validate", help="check a suite file without running it")
    v.add_argument("suite", metavar="FILE_OR_NAME", help="a suite YAML file or shipped suite name")
    v.add_argument("--json", action="store_true", help="print the expanded jobs as JSON")
    v.add_argument("--here", action="store_true",
                   help="also check that it can run on this machine, as `run` does before its "
                        "first job (extras installed, devices present, callables importable, "
                        "local models and datasets readable)")
    v.set_defaults(func=validate_command)

    s = sub.add_parser("suites", help="list the shipped suites")
    s.add_argument("--json", action="store_true", help="print as JSON")
    s.set_defaults(func=suites_command)


def _settings(args: argparse.Namespace) -> dict[str, Any]:
    """The setting flags by setting name (validated by the plan, like a suite's YAML)."""
    return {"n": args.n, "repeat": args.repeat, "batch_size": args.batch_size,
            "device": args.device, "dtype": args.dtype, "warmup": args.warmup,
            "idle_s": args.idle, "timeout_s": args.timeout}


def _executor_options(args: argparse.Namespace) -> dict[str, Any]:
    """Keyword options for the chosen executor (the Ray flags only mean something for ray)."""
    if args.executor != "ray":
        if args.address is not None or args.cpus_per_job is not None:
            raise ConfigError("--address and --cpus-per-job need --executor ray")
        return {}
    return {"address": args.address, "gpus_per_job": args.gpus_per_job,
            "cpus_per_job": args.cpus_per_job, "max_attempts": args.max_attempts}


def run_command(args: argparse.Namespace) -> int:
    """Handler of ``wattprint run``."""
    from wattprint.cli.load_cmd import run_serving_suite, serving_suite_of
    from wattprint.harness.executors import get_executor
    from wattprint.harness.plan import make_plan
    from wattprint.harness.runner import run_jobs
    from wattprint.harness.sinks import JsonlSink, StoreSink
    from wattprint.harness.summary import summarize

    serving = serving_suite_of(args.suite)
    if serving is not None:
        return run_serving_suite(args, *serving)
    from wattprint.cli.impact_options import carbon_record_from_args

    carbon = carbon_record_from_args(args)  # bad carbon flags fail before anything starts
    executor = get_executor(args.executor, **_executor_options(args))
    suite, jobs = make_plan(args.suite, tasks=args.task, models=args.model, datasets=args.dataset,
                            settings=_settings(args), mode=args.mode,
                            hardware_id=executor.hardware_id())
    from wattprint.harness.preflight import preflight

    try:  # one clear error, with the fix, before any job starts or any row is stored
        preflight(jobs, check_devices=args.executor != "ray", source=suite.source)
    except ConfigError:
        executor.close()
        raise
    if args.dry_run:
        executor.close()
        return _dry_run(args, suite, jobs)
    sinks: list[Any] = []
    store_path = None
    store_sink = None
    try:
        if not args.no_store:
            from wattprint.results.store import default_store_path

            store_path = args.store or str(default_store_path())
            store_sink = StoreSink(store_path)
            sinks.append(store_sink)
        if args.out:
            sinks.append(JsonlSink(args.out))
        outcome = run_jobs(jobs, executor=executor, sinks=sinks, suite=suite,
                           progress=args.progress, carbon=carbon)
    finally:
        for sink in sinks:
            sink.close()
        executor.close()
    rows = summarize(jobs, outcome.all_results())
    stored = None if store_sink is None else {"written": store_sink.written,
                                              "not_written": store_sink.not_written}
    if args.json:
        print_json({"run_id": outcome.run_id, "suite": outcome.suite, "store": store_path,
                    "stored": stored,
                    "out": args.out, "jobs": len(jobs), "ran": len(outcome.results),
                    "skipped": len(outcome.skipped), "failed": len(outcome.failed),
                    "summary": [r.to_dict() for r in rows],
                    "results": [r.to_dict() for r in outcome.results]})
    else:
        _print_summary(outcome, rows, store_path, args.out, stored)
    return 1 if outcome.failed else 0


def _dry_run(args: argparse.Namespace, suite: Any, jobs: list[Any]) -> int:
    """Print the plan and what the store already holds; run nothing."""
    from wattprint.harness.runner import pending_jobs

    completed: set[tuple[str, int]] = set()
    store_path = None
    if not args.no_store:
        from wattprint.results.store import ResultStore, default_store_path

        store_path = args.store or str(default_store_path())
        from pathlib import Path

        if Path(store_path).exists():
            with ResultStore(store_path, read_only=True) as store:
                completed = store.completed_keys([j.job_id for j in jobs])
    todo = {j.job_id: len(j.repetitions) for j in pending_jobs(jobs, completed)}
    rows = [{"job_id": j.job_id, "task": j.task, "model": j.model, "dataset": j.dataset,
             "model_fingerprint": j.model_fingerprint, "mode": j.mode, "n": j.settings.n, "repeat": j.settings.repeat, "to_run": todo.get(j.job_id, 0)}
            for j in jobs]
    if args.json:
        print_json({"suite": suite.name, "store": store_path, "jobs": rows,
                    "repetitions_to_run": sum(todo.values())})
        return 0
    for r in rows:
        print(f"{r['job_id']}  {r['task']:<20} {r['model']:<40} {r['dataset']:<16} "
              f"n={r['n']} reps {r['repeat'] - r['to_run']}/{r['repeat']} done")
    print(f"suite {suite.name!r}: {len(rows)} jobs, {sum(todo.values())} repetitions to run"
          + (f" (store {store_path})" if store_path else ""))
    return 0


def _fmt_stat(s: Any, scale: float = 1.0, dynamic: Any = None) -> str:
    """``mean (low–high)`` with the repetition interval, ``mean (n=2)`` without one; flagged
    when the dynamic (idle-subtracted) energy of a repetition came out negative."""
    if s is None:
        return "—"
    mean = s.mean * scale
    flag = " ⚠ dynamic<0" if dynamic is not None and dynamic.n_negative else ""
    if s.low is None or s.high is None:
        return f"{mean:.3g} (n={s.count}){flag}"
    return f"{mean:.3g} ({s.low * scale:.2g}–{s.high * scale:.2g}){flag}"


def _quality(q: dict[str, float]) -> str:
    """The first metric, counts (``n_*``) left out."""
    items = [(k, v) for k, v in q.items() if not k.startswith("n_")][:1]
    return ", ".join(f"{k} {v:.2g}" for k, v in items) or "—"


def _print_summary(outcome: Any, rows: list[Any], store_path: str | None, out: str | None,
                   stored: dict[str, int] | None = None) -> None:
    from rich.table import Table

    from wattprint.cli.common import console as make_console
    from wattprint.cli.common import text

    console = make_console()
    provs = [p for p in ("measured", "integrated", "estimated")
             if any(p in r.kwh_per_1k for r in rows)]
    table = Table(title=text(f"wattprint run {outcome.run_id} · suite {outcome.suite}"),
                  caption="Wh per 1,000 inferences by provenance (never summed across "
                  "provenances or scopes; † the process's own share, on a shared host), mean "
                  "(95 % repetition interval, log-normal, from 3 repetitions on; "
                  "it shows repeatability, not variation over inputs). "
                  "* random weights: quality is meaningless, cost is real.")
    table.add_column("task")
    table.add_column("model", overflow="fold")
    table.add_column("dataset")
    table.add_column("n×reps", justify="right")
    for p in provs:
        table.add_column(f"Wh/1k {p}", justify="right")
    table.add_column("J/unit (mean)", justify="right")
    table.add_column("quality")
    table.add_column("J/correct", justify="right")
    table.add_column("status")
    from wattprint.results.schema import short_fingerprint

    prints = {j.job_id: j.model_fingerprint for j in outcome.jobs}
    for r in rows:
        best = next((p for p in provs if p in r.j_per_unit), None)
        unit = "—" if best is None else f"{r.j_per_unit[best].mean:.3g}/{r.work_unit}"
        quality = _quality(r.quality)
        if r.weights == "random" and quality != "—":
            quality += " *"
        status = text(r.status, {"ok": "green", "partial": "yellow", "failed": "red"}[r.status])
        model = r.model[4:] if r.model.startswith("zoo:") else r.model
        fp = prints.get(r.job_id)
        if fp and fp.startswith(("files:", "commit:")):  # local folders and hub snapshots
            model += f" ({short_fingerprint(fp)})"
        task = r.task + (" (0-shot)" if r.mode == "zero-shot" else "")
        mark = " †" if r.basis == "process" else ""
        table.add_row(text(task), text(model), text(r.dataset), f"{r.n}×{r.ok}/{r.repetitions}",
                      *[_fmt_stat(r.kwh_per_1k.get(p), 1000.0, r.dynamic_kwh_per_1k.get(p))
                        + (mark if p in r.kwh_per_1k else "") for p in provs],
                      text(unit), text(quality), text(_per_correct(r, best)), status)
    console.print(table)
    for r in rows:
        if r.basis == "process" or r.beside_kwh_per_1k:
            beside = ", ".join(f"{_fmt_stat(st, 1000.0)} {p}"
                               for p, st in r.beside_kwh_per_1k.items())
            what = ("† shared host: the Wh/1k shown are the process's own share; the job's "
                    "boundary" if r.basis == "process" else "kept apart (whole host)")
            console.print(text(f"{what} for {r.task} · {r.model}: {beside} Wh/1k. "
                               f"Why: {r.reason}"), soft_wrap=True)
    ran, skipped = len(outcome.results), len(outcome.skipped)
    console.print(f"{ran} repetition(s) run, {skipped} already complete (skipped), "
                  f"{len(outcome.failed)} failed.")
    for r in rows:
        for err in r.errors:
            console.print(text("failed", "red"),
                          text(f"{r.task} · {r.model} · {r.dataset}: {err}"), soft_wrap=True)
    if store_path and stored is not None:
        note = (f" ({stored['not_written']} already held by the store, not written again)"
                if stored["not_written"] else "")
        console.print(text(f"{stored['written']} result(s) written to {store_path}{note}"),
                      soft_wrap=True)
    if out:
        console.print(text(f"results appended to {out}"), soft_wrap=True)
    from wattprint.cli.impact_options import run_impact_lines

    for line in run_impact_lines(outcome.results):
        console.print(text(line), soft_wrap=True)
    from wattprint.analysis.finding import finding_lines
    from wattprint.analysis.frame import results_frame

    for line in finding_lines(results_frame(outcome.results)):
        console.print(text(line), soft_wrap=True)


def _per_correct(r: Any, provenance: str | None) -> str:
    """Energy per correct answer of a summary row (J, 95 % interval), or "—" and why not."""
    from wattprint.analysis.correct import per_correct

    stat = r.kwh_per_1k.get(provenance) if provenance else None
    metric = next((k for k in r.quality if not k.startswith("n_")), None)
    if stat is None:
        return "—"
    j = 3600.0   # J per inference per kWh per 1,000 inferences
    c = per_correct(stat.mean * j, None if stat.low is None else stat.low * j,
                    None if stat.high is None else stat.high * j,
                    r.quality.get(metric) if metric else None,
                    int(r.quality.get("n_scored", r.n)), weights=r.weights, metric=metric)
    if c.mean is None:
        return "—"
    if c.mean == float("inf"):
        return "∞ (none correct)"
    if c.low is None or c.high is None:
        return f"{c.mean:.3g}"
    return f"{c.mean:.3g} ({c.low:.2g}–{c.high:.2g})"


def validate_command(args: argparse.Namespace) -> int:
    """Handler of ``wattprint validate``."""
    from wattprint.cli.load_cmd import serving_suite_of, validate_serving_suite
    from wattprint.harness.plan import load_suite

    serving = serving_suite_of(args.suite)
    if serving is not None:
        return validate_serving_suite(*serving, args.json)
    suite = load_suite(args.suite)
    jobs = suite.expand(hardware_id="validate")
    reps = sum(j.settings.repeat for j in jobs)
    if args.here:
        from wattprint.harness.preflight import preflight

        preflight(jobs, source=suite.source)  # raises, listing every cause and its fix
    if args.json:
        print_json({"suite": suite.name, "source": suite.source, "valid": True, "jobs": len(jobs),
                    "repetitions": reps, "checked_here": bool(args.here),
                    "expanded": [{"task": j.task, "model": j.model, "dataset": j.dataset,
                                  "mode": j.mode, "n": j.settings.n, "repeat": j.settings.repeat} for j in jobs]})
    else:
        tasks = sorted({j.task for j in jobs})
        models = {j.model for j in jobs}
        print(f"{suite.source}: valid suite {suite.name!r}: {len(jobs)} jobs "
              f"({len(tasks)} tasks, {len(models)} models), {reps} repetitions"
              + ("; it can run here (pre-flight passed)" if args.here else ""))
    return 0


def suites_command(args: argparse.Namespace) -> int:
    """Handler of ``wattprint suites``."""
    from wattprint.harness.plan import shipped_suites

    suites = shipped_suites()
    if args.json:
        print_json(suites)
    else:
        width = max(map(len, suites), default=0)
        for name, desc in suites.items():
            print(f"{name:<{width}}  {desc}")
    sys.stdout.flush()
    return 0
