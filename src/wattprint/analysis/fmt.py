"""Formatting shared by labels and the report: missing is "—", never zero."""

from __future__ import annotations

import math
from typing import Any

MISSING = "—"


def is_missing(x: Any) -> bool:
    """True for None, NaN, pandas NA/NaT and empty strings."""
    if x is None:
        return True
    if isinstance(x, str):
        return x == ""
    try:
        return bool(x != x)  # NaN, NaT; pandas NA raises below
    except TypeError:
        return True


def num(x: Any, sig: int = 3) -> str:
    """A number with ``sig`` significant digits, plain notation where readable; "—" if missing."""
    if is_missing(x):
        return MISSING
    try:
        v = float(x)
    except (TypeError, ValueError):
        return MISSING
    if not math.isfinite(v):
        return MISSING
    if v == 0:
        return "0"
    a = abs(v)
    if 1e-4 <= a < 1e6:
        decimals = max(0, sig - 1 - int(math.floor(math.log10(a))))
        return f"{v:,.{decimals}f}"
    return f"{v:.{sig - 1}e}"


def text(x: Any) -> str:
    """A string field, "—" when missing."""
    return MISSING if is_missing(x) else str(x)


def interval(low: Any, high: Any, sig: int = 3) -> str:
    """``low – high``, or "—" when either end is missing (e.g. one repetition)."""
    if is_missing(low) or is_missing(high):
        return MISSING
    return f"{num(low, sig)} – {num(high, sig)}"


def integer(x: Any) -> str:
    """A count with thousands separators; "—" if missing."""
    if is_missing(x):
        return MISSING
    try:
        return f"{int(x):,}"
    except (TypeError, ValueError):
        return MISSING
