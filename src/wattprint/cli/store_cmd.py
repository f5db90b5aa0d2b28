"""``wattprint store``, ``wattprint export`` and ``wattprint import codecarbon``."""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Callable, Iterator

from wattprint.cli.common import help_of, non_negative_int, positive_int, print_json
from wattprint.cli.report_cmd import add_boundary_args


def add_store_arg(p: argparse.ArgumentParser) -> None:
    """The ``--store PATH`` option every results command takes."""
    p.add_argument("--store", metavar="PATH", default=None,
                   help="results store (SQLite file); default $WATTPRINT_STORE or "
                        "./wattprint-results/results.db")


def register(sub: argparse._SubParsersAction) -> None:
    """Add the results-store commands."""
    p = sub.add_parser("store", help="show the results store: path, schema version, counts")
    add_store_arg(p)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=_store)

    p = sub.add_parser("export", help="export stored results as json, csv or parquet")
    add_store_arg(p)
    p.add_argument("--format", default="json", choices=("json", "csv", "parquet"),
                   help="json: array of full records; csv/parquet: one flat row per result")
    p.add_argument("--task", action="append", help="only this task (repeatable)")
    p.add_argument("--model", action="append",
                   help="only this model: its id or the name shown for it, e.g. an imported "
                        "CodeCarbon project name (repeatable)")
    p.add_argument("--dataset", action="append", help="only this dataset (repeatable)")
    p.add_argument("--status", choices=("ok", "failed"), help="only results with this status")
    p.add_argument("--source", help="only results from this source (wattprint, codecarbon)")
    p.add_argument("--out", metavar="FILE", help="write here instead of stdout")
    p.add_argument("--kind", choices=("jobs", "serving"), default="jobs",
                   help="jobs: suite/measure results; serving: served load points (json: "
                        "one object per line, kind \"serving\", with its impacts; csv/parquet: "
                        "one flat row per point)")
    add_boundary_args(p)
    p.set_defaults(func=_export)

    p = sub.add_parser("import", help="import energy logs written by other tools")
    isub = p.add_subparsers(dest="import_kind", metavar="KIND")
    c = isub.add_parser("codecarbon", help="CodeCarbon emissions CSVs (2.x, 3.x; per-run or "
                                           "task-mode rows), files or folders")
    c.add_argument("paths", nargs="+", metavar="PATH", help="CSV files or folders (recursive *.csv)")
    add_store_arg(c)
    c.add_argument("--project-as-model", action="store_true",
                   help="use CodeCarbon's project_name as the model id")
    c.add_argument("--model", help="model id for every imported row")
    c.add_argument("--task", default="unknown", help="task id for every imported row")
    c.add_argument("--dataset", default="unknown", help="dataset id for every imported row")
    c.add_argument("--n", type=non_negative_int, default=0,
                   help="inferences per query window (0 = unknown; no per-inference figures)")
    c.add_argument("--query-task", default="query model",
                   help="task-mode task_name that is the measured window (default: %(default)s)")
    c.add_argument("--cpu-measured", action="store_true",
                   help="CodeCarbon read RAPL counters for the CPU (marks non-constant CPU "
                        "energy as measured; constant estimates stay estimated)")
    c.add_argument("--dry-run", action="store_true", help="check the files, store nothing")
    c.add_argument("--jobs", type=positive_int, default=None, metavar="N",
                   help="worker processes that read and encode rows (default: the whole CPUs "
                        "this process may use, container quota and affinity included, at most "
                        "8; 1: no workers)")
    c.add_argument("--json", action="store_true", help="print a JSON summary")
    c.set_defaults(func=_import_codecarbon)
    p.set_defaults(func=help_of(p))


def _store(args: argparse.Namespace) -> int:
    from wattprint.results.store import ResultStore, default_store_path

    path = args.store or default_store_path()
    from pathlib import Path

    if not Path(path).exists():
        info = {"path": str(path), "exists": False}
        if args.json:
            print_json(info)
        else:
            print(f"results store: {path} (not created yet)")
        return 0
    with ResultStore(path, read_only=True) as s:
        info = {"exists": True, **s.info()}
    if args.json:
        print_json(info)
    else:
        print(f"results store: {info['path']}")
        print(f"  schema version {info['schema_version']} · {info['runs']} run(s) · "
              f"{info['results']} result(s) ({info['ok']} ok, {info['failed']} failed) · "
              f"{info['environments']} environment(s)")
        if info["history"]:
            print(f"  {info['history']} earlier failure(s) kept as history (superseded by a "
                  "later success, or repeated after one)")

    return 0


def _export(args: argparse.Namespace) -> int:
    from wattprint.results.export import export
    from wattprint.results.names import display_model
    from wattprint.results.store import ResultStore

    if getattr(args, "kind", "jobs") == "serving":
        return _export_serving(args)
    with ResultStore(args.store, read_only=True) as s:
        results = s.results(task=args.task, dataset=args.dataset, status=args.status,
                            source=args.source)
    if args.model:  # a model id, or the name shown for it (an imported log's project name)
        wanted = set(args.model)
        results = [r for r in results if r.model in wanted or display_model(r) in wanted]
    export(results, args.format, args.out, idle_share=args.idle_share, default_pue=args.pue)
    if args.out:
        print(f"wrote {len(results)} result(s) to {args.out}", file=sys.stderr)
    return 0


def _export_serving(args: argparse.Namespace) -> int:
    from wattprint.results.serving_export import export_points
    from wattprint.results.serving_store import read_points
    from wattprint.results.store import ResultStore

    with ResultStore(args.store, read_only=True) as s:
        points = read_points(s)
    export_points(points, args.format, args.out)
    if args.out:
        print(f"wrote {len(points)} serving point(s) to {args.out}", file=sys.stderr)
    return 0


def _import_codecarbon(args: argparse.Namespace) -> int:
    import uuid

    from wattprint.results.importers.bulk import import_codecarbon
    from wattprint.results.importers.codecarbon import ImportOptions
    from wattprint.results.store import ResultStore
    from wattprint.tasks.base import TASK_IDS

    if args.task != "unknown" and args.task not in TASK_IDS:
        from wattprint.errors import unknown_choice

        raise unknown_choice("task", args.task, (*TASK_IDS, "unknown"))
    run_id = f"import-codecarbon-{uuid.uuid4().hex[:12]}"
    opts = ImportOptions(task=args.task, dataset=args.dataset, model=args.model,
                         project_as_model=args.project_as_model, n=args.n,
                         query_task=args.query_task, cpu_measured=args.cpu_measured,
                         run_id=run_id)
    run_config = {"command": "import codecarbon", "paths": [str(p) for p in args.paths],
                  "options": {k: getattr(opts, k) for k in opts.__dataclass_fields__}}
    store = None if args.dry_run else ResultStore(args.store)
    try:
        with _import_progress() as progress:
            result = import_codecarbon(args.paths, opts, store, run_config=run_config,
                                       workers=args.jobs, progress=progress)
        report, records, new = result.report, result.records, result.stored
        if store is not None and records:
            where = str(store.path)
        else:
            where = "(dry run, nothing stored)" if args.dry_run else "(nothing to store)"
    finally:
        if store is not None:
            store.close()
    summary = {"files": report.files, "rows": report.rows, "records": records,
               "stored": new, "already_stored": records - new if not args.dry_run else 0,
               "errors": [str(e) for e in report.errors], "n_errors": report.n_errors,
               "store": where, "run_id": run_id, "workers": result.workers}
    if args.json:
        print_json(summary)
    else:
        print(f"read {report.files} file(s), {report.rows} row(s) → {records} "
              f"record(s); stored {new} new, {summary['already_stored']} already there → {where}")
    for e in report.errors:
        print(f"wattprint: import error: {e}", file=sys.stderr)
    if report.n_errors > len(report.errors):
        print(f"wattprint: ... and {report.n_errors - len(report.errors)} more import error(s)",
              file=sys.stderr)
    return 1 if report.n_errors else 0


@contextlib.contextmanager
def _import_progress() -> Iterator[Callable[[int, int], None] | None]:
    """A rich progress bar over CSV rows on a terminal (stderr); None otherwise.

    Yields:
        ``progress(rows_read_so_far, rows_in_all)``.
    """
    if not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    with Progress(TextColumn("importing CodeCarbon rows"), BarColumn(), MofNCompleteColumn(),
                  TimeRemainingColumn(), console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("import", total=None)
        yield lambda rows, total: bar.update(task, completed=rows, total=total or None)
