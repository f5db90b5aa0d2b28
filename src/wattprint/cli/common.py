"""Small helpers shared by the CLI modules: argument types, JSON printing, terminal output.

Terminal output and data: every name, path, message or number that reaches ``rich`` goes
through :func:`text` (a :class:`rich.text.Text` that is never parsed) or :func:`esc` (for
data placed inside a markup string), and consoles come from :func:`console` (no emoji codes,
no automatic highlighting). Otherwise ``[batch, seq_len]`` in an error would vanish as an
unknown tag, ``[/]`` would raise ``MarkupError``, ``wattprint[hub]`` would print as
``wattprint`` and a model called ``callable:cat:fn`` would print a cat.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

#: Longest duration a seconds flag accepts (7 days): ``--idle``, ``--interval``, ``--timeout``.
MAX_SECONDS: float = 7 * 24 * 3600.0
#: Shortest power-sampling interval a flag accepts, s (faster sampling only grows memory: no
#: power sensor updates more often than every few milliseconds).
MIN_SAMPLING_INTERVAL_S: float = 0.001
#: Largest count an integer flag accepts unless it states its own limit.
MAX_COUNT: int = 10**12
#: Highest TCP port.
MAX_PORT: int = 65535


def _number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return value


def positive_float(text: str) -> float:
    """argparse type: a finite number > 0."""
    value = _number(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a number > 0, got {text!r}")
    return value


def non_negative_float(text: str) -> float:
    """argparse type: a finite number >= 0."""
    value = _number(text)
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {text!r}")
    return value


def positive_seconds(text: str) -> float:
    """argparse type: a duration in seconds, > 0 and at most :data:`MAX_SECONDS`."""
    return _at_most_max_seconds(positive_float(text), text)


def non_negative_seconds(text: str) -> float:
    """argparse type: a duration in seconds, >= 0 and at most :data:`MAX_SECONDS`."""
    return _at_most_max_seconds(non_negative_float(text), text)


def sampling_interval(text: str) -> float:
    """argparse type: a sampling interval in seconds, from 0.001 to :data:`MAX_SECONDS`."""
    value = positive_seconds(text)
    if value < MIN_SAMPLING_INTERVAL_S:
        raise argparse.ArgumentTypeError(
            f"expected at least {MIN_SAMPLING_INTERVAL_S:g} s, got {text!r}")
    return value


def _at_most_max_seconds(value: float, text: str) -> float:
    if value > MAX_SECONDS:
        raise argparse.ArgumentTypeError(
            f"expected at most {MAX_SECONDS:.0f} s (7 days), got {text!r}")
    return value


def _whole(text: str, low: int, high: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < low:
        raise argparse.ArgumentTypeError(f"expected a whole number >= {low}, got {text!r}")
    if value > high:
        raise argparse.ArgumentTypeError(f"expected a whole number <= {high}, got {text!r}")
    return value


def positive_int(text: str) -> int:
    """argparse type: an integer from 1 to :data:`MAX_COUNT`."""
    return _whole(text, 1, MAX_COUNT)


def non_negative_int(text: str) -> int:
    """argparse type: an integer from 0 to :data:`MAX_COUNT`."""
    return _whole(text, 0, MAX_COUNT)


def whole_number(low: int, high: int) -> Callable[[str], int]:
    """argparse type factory: an integer from ``low`` to ``high`` (a flag's own stated limit)."""
    def parse(text: str) -> int:
        return _whole(text, low, high)
    return parse


def port(text: str) -> int:
    """argparse type: a TCP port, 0-65535 (0: the system picks a free one)."""
    return _whole(text, 0, MAX_PORT)


def help_of(parser: argparse.ArgumentParser) -> Callable[[argparse.Namespace], int]:
    """A handler that prints ``parser``'s help to stderr (a group called without its action);
    the exit code is 2, a usage error."""
    def handler(args: argparse.Namespace) -> int:
        parser.print_help(sys.stderr)
        return 2
    return handler


def print_json(obj: Any) -> None:
    """Print one JSON document to stdout."""
    json.dump(obj, sys.stdout, indent=2, default=str)
    sys.stdout.write("\n")


def console(*, stderr: bool = False, width: int | None = None) -> Console:
    """A rich console for data: no ``:emoji:`` codes, no automatic highlighting.

    Args:
        stderr: Write to stderr instead of stdout.
        width: Columns; None: the terminal's (80 when not a terminal).
    """
    from rich.console import Console

    return Console(stderr=stderr, width=width, emoji=False, highlight=False)


def text(value: object, style: str | None = None) -> Text:
    """``value`` as rich text shown verbatim: never parsed as markup or emoji.

    Use it for every table cell, title and message part that holds data (names, paths, errors).

    Args:
        value: Anything; ``str(value)`` is shown.
        style: Optional rich style for the whole text (e.g. ``"red"``).
    """
    from rich.text import Text

    return Text(str(value), style=style or "")


def esc(value: object) -> str:
    """``str(value)`` escaped for a rich markup string (``f"[red]x[/red] {esc(name)}"``)."""
    from rich.markup import escape

    return escape(str(value))
