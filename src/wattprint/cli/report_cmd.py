"""``wattprint report`` and ``wattprint serve``: the static HTML report and a localhost server."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from wattprint.cli.common import port
from wattprint.errors import ConfigError

DEFAULT_OUT = Path("wattprint-results") / "report"


def idle_share_arg(text: str) -> float:
    """argparse type: a fraction of provisioned capacity held idle, ``0 ≤ f < 1``."""
    from wattprint.results.boundaries import check_idle_share

    try:
        return check_idle_share(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def pue_arg(text: str) -> float:
    """argparse type: a PUE (facility energy / IT energy), ``1 ≤ PUE ≤ 5``."""
    from wattprint.carbon.emissions import check_pue
    from wattprint.errors import ConfigError

    try:
        return check_pue(text)
    except ConfigError as err:
        raise argparse.ArgumentTypeError(str(err).removeprefix("--pue: ")) from None


def add_boundary_args(p: argparse.ArgumentParser) -> None:
    """``--idle-share`` and ``--pue``: the stated factors of the four nested boundaries."""
    p.add_argument("--idle-share", type=idle_share_arg, default=0.0, metavar="F",
                   help="fraction of provisioned capacity held idle (0 <= F < 1), for the third "
                        "boundary (+ idle capacity at the measured idle power); default 0")
    p.add_argument("--pue", type=pue_arg, default=None, metavar="P",
                   help="PUE for results that recorded none, for the fourth boundary "
                        "(default: only the PUE recorded with each result)")


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``report`` and ``serve`` commands."""
    for name, help_text in (
        ("report", "write one self-contained HTML report (leaderboard, figures, labels)"),
        ("serve", "build the report and serve it on http://127.0.0.1:PORT/"),
    ):
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.add_argument("--store", metavar="PATH",
                       help="results store (SQLite) or .jsonl export; default: the default store")
        p.add_argument("--out", metavar="DIR", default=str(DEFAULT_OUT),
                       help=f"output folder for index.html, figures/ and labels/ (default {DEFAULT_OUT})")
        p.add_argument("--model-parameters", metavar="CSV",
                       help="model_name,num_parameters CSV for the size figure (default: found "
                            "beside imported study logs when present)")
        p.add_argument("--thresholds", metavar="JSON",
                       help="absolute rating threshold table (default: the packaged v1 table)")
        p.add_argument("--study", action="store_true",
                       help="keep only the runs the Power Hungry Processing study's figures use "
                            "(records from 'wattprint study reproduce')")
        p.add_argument("--include-shared", action="store_true",
                       help="also rate, label and rank results measured on a shared host (other "
                            "processes used more than the limit of its CPU time during the "
                            "window); by default they are left out of those and counted")
        add_boundary_args(p)
        if name == "serve":
            p.add_argument("--port", type=port, default=8000,
                           help="TCP port on 127.0.0.1, 0-65535; 0 picks a free one "
                                "(default 8000)")
            p.set_defaults(func=_serve)
        else:
            p.set_defaults(func=_report)


def _build(args: argparse.Namespace) -> Path:
    from wattprint.analysis.carbon_info import carbon_info
    from wattprint.analysis.params import find_model_parameters, load_model_parameters
    from wattprint.analysis.ratings import load_thresholds
    from wattprint.analysis.report import build_report
    from wattprint.analysis.source import load_stored

    out_dir = Path(args.out)
    if out_dir.exists() and not out_dir.is_dir():
        raise ConfigError(f"--out {out_dir}: is a file; the report needs a folder "
                          f"(index.html, figures/, labels/)")
    # the files given are read before the store, so bad input fails before any work
    table = load_thresholds(args.thresholds) if args.thresholds else None
    params = load_model_parameters(args.model_parameters) if args.model_parameters else None
    stored = load_stored(args.store)  # no store there: an error naming the path
    results, store_path = stored.results, stored.path
    if args.study:
        from wattprint.analysis.study_view import study_selection

        kept = study_selection(results)
        print(f"wattprint: --study keeps {len(kept):,} of {len(results):,} results", file=sys.stderr)
        results = kept
    if not results:
        by_study = " kept by --study" if args.study else ""
        points = len(stored.serving_points)
        print(f"wattprint: no job results{by_study} in {store_path}; " + (
            f"the report shows its {points:,} serving point(s)" if points else
            "no serving points either; writing an empty report"), file=sys.stderr)
    if params is None:
        found = find_model_parameters(results)
        params = load_model_parameters(found) if found else None
    out = build_report(results, args.out, model_parameters=params, thresholds=table,
                       source_label=f"store {store_path}", carbon=carbon_info(),
                       serving_points=stored.serving_points,
                       idle_share=args.idle_share, default_pue=args.pue,
                       include_shared=args.include_shared)
    for f in out.figures:
        if f.path is None:
            print(f"wattprint: figure {f.name} skipped: {f.note}", file=sys.stderr)
    for line in out.finding_lines:   # the report opens with the finding; so does the terminal
        print(line, file=sys.stderr)
    return out.path


def _report(args: argparse.Namespace) -> int:
    path = _build(args)
    print(path.resolve())
    return 0


def _serve(args: argparse.Namespace) -> int:
    from wattprint.analysis.serve import make_server

    server = make_server(args.out, args.port)  # a busy port fails before the report is built
    try:
        path = _build(args)
        host, bound = server.server_address[:2]
        print(f"serving {path.resolve()} at http://{host}:{bound}/ (Ctrl-C to stop)",
              flush=True)
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0
