"""The ``wattprint`` command line. Parses, builds objects, calls the public API; holds no logic.

Each command group lives in its own module exposing ``register(subparsers)``, which adds its
parser(s) and sets ``func`` to a handler ``(args) -> int``. Handlers import heavy modules
lazily so that ``wattprint --help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from wattprint import __version__
from wattprint.errors import WattprintError

COMMAND_MODULES: tuple[str, ...] = (
    "wattprint.cli.meters_cmd",
    "wattprint.cli.carbon_cmd",
    "wattprint.cli.tasks_cmd",
    "wattprint.cli.zoo_cmd",
    "wattprint.cli.run_cmd",
    "wattprint.cli.store_cmd",
    "wattprint.cli.study_cmd",
    "wattprint.cli.report_cmd",
    "wattprint.cli.exporter_cmd",
)


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with every registered command."""
    parser = argparse.ArgumentParser(
        prog="wattprint",
        description="Measure the energy and carbon of AI inference, with the boundary and "
        "provenance of every number.",
    )
    parser.add_argument("--version", action="version", version=f"wattprint {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except WattprintError as err:
        print(f"wattprint: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("wattprint: interrupted", file=sys.stderr)
        return 130
