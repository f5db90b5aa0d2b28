"""The ``wattprint`` command line. Parses, builds objects, calls the public API; holds no logic.

Each command group lives in its own module exposing ``register(subparsers)``, which adds its
parser(s) and sets ``func`` to a handler ``(args) -> int``. Handlers import heavy modules
lazily so that ``wattprint --help`` stays fast.

Exit codes common to every command: 0 success, 2 bad input (a one-line ``wattprint: error:``
message on stderr naming the file, line or flag; never a traceback), 130 interrupted (Ctrl-C),
141 when the reader of stdout went away (``wattprint export | head``: quiet, as SIGPIPE).
Commands document their other codes (``run``: 1 when a repetition failed; ``measure``: the
command's own code).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Iterator, Sequence

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
    "wattprint.cli.load_cmd",
    "wattprint.cli.agent_cmd",
    "wattprint.cli.proxy_cmd",
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


def command_paths(parser: argparse.ArgumentParser | None = None) -> list[tuple[str, ...]]:
    """Every command and subcommand, e.g. ``("run",)``, ``("import", "codecarbon")``.

    Args:
        parser: A parser to walk; default: :func:`build_parser`'s.
    """
    def walk(p: argparse.ArgumentParser, prefix: tuple[str, ...]) -> Iterator[tuple[str, ...]]:
        for action in p._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    yield (*prefix, name)
                    yield from walk(sub, (*prefix, name))

    return list(walk(parser or build_parser(), ()))


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the process exit code."""
    parser = build_parser()
    try:
        try:
            args = parser.parse_args(argv)
        except SystemExit:  # --help, --version, usage errors: flush here, where a closed
            sys.stdout.flush()  # pipe is caught below, not at interpreter exit
            raise
        if not getattr(args, "func", None):
            parser.print_help(sys.stderr)
            return 2
        code = int(args.func(args) or 0)
        sys.stdout.flush()  # a closed pipe shows here, not at interpreter exit
        return code
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_BROKEN_PIPE
    except WattprintError as err:
        print(f"wattprint: error: {err}", file=sys.stderr)
        return 2
    except OSError as err:  # the file system or network refused: name the file, no traceback
        print(f"wattprint: error: {_os_error_text(err)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("wattprint: interrupted", file=sys.stderr)
        return 130


#: Exit code when stdout's reader went away (128 + SIGPIPE, what a shell reports for ``seq``).
EXIT_BROKEN_PIPE = 141


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush cannot fail loudly."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # stdout replaced by an object without a descriptor
        pass


def _os_error_text(err: OSError) -> str:
    """``PATH: reason`` (both paths for a rename or copy) from an OS error."""
    reason = err.strerror or str(err)
    names = [str(f) for f in (err.filename, err.filename2) if f is not None]
    return f"{' -> '.join(names)}: {reason}" if names else reason
