"""One error hierarchy for wattprint.

Vendor errors (NVML, OS, transformers, sqlite ...) are translated at the boundary with
``raise WattprintError(...) from err`` so that callers only ever catch these classes.
Every message says what was wrong and, where possible, what would be valid.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


class WattprintError(Exception):
    """Base class of every error wattprint raises on purpose."""


class ConfigError(WattprintError, ValueError):
    """Bad user input: a flag, a config or suite field, a file. The message names it."""


class MeterError(WattprintError):
    """A meter could not be opened or read (missing library, permission, counter fault)."""


class CounterError(MeterError):
    """A cumulative counter behaved impossibly (went backwards, jumped past its range)."""


class WindowError(WattprintError):
    """A measurement window was misused: ended twice, never begun, ended out of order."""


class TaskError(WattprintError):
    """A task, dataset or model cannot be used for the requested task."""


class BackendError(WattprintError):
    """A model backend failed to load or run a model."""


class StoreError(WattprintError):
    """The results store cannot be read or written (schema too new, corrupt file...)."""


def did_you_mean(value: str, choices: Iterable[str], n: int = 3) -> str:
    """Return a ``" (did you mean 'x'?)"`` hint, or an empty string when nothing is close.

    Args:
        value: What the user typed.
        choices: The valid values.
        n: How many close matches to list at most.
    """
    import difflib  # only when a message needs it: every module imports this one

    close = difflib.get_close_matches(value, list(choices), n=n, cutoff=0.6)
    if not close:
        return ""
    return " (did you mean " + " or ".join(repr(c) for c in close) + "?)"


def unknown_choice(kind: str, value: str, choices: Iterable[str]) -> ConfigError:
    """Build the standard error for an unknown name: names the value, the close matches, all choices."""
    choices = sorted(set(choices))
    return ConfigError(
        f"unknown {kind} {value!r}{did_you_mean(value, choices)}; valid: {', '.join(choices)}"
    )


def import_ray() -> Any:
    """Import Ray (an optional extra), or raise ConfigError saying how to install it."""
    try:
        import ray
    except ImportError as err:
        raise ConfigError("--executor ray needs Ray: pip install 'wattprint[ray]'") from err
    return ray


def decode_utf8(data: bytes, source: str) -> str:
    """Decode a user's file as UTF-8 (a leading byte-order mark is dropped).

    Args:
        data: The file's bytes.
        source: How to name the file in the error (usually its path).

    Raises:
        ConfigError: the bytes are not UTF-8; the message names the line and column of the
            first bad byte and how to fix the file.
    """
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        column = err.start - (data.rfind(b"\n", 0, err.start) + 1) + 1
        raise ConfigError(
            f"{source}: line {line}: not UTF-8 text (byte 0x{data[err.start]:02x} at column "
            f"{column}); save the file as UTF-8 (e.g. Excel's 'CSV UTF-8'), or convert it "
            f"with: iconv -f latin1 -t utf-8") from None
