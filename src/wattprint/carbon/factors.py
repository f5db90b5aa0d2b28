"""Impact factors (WUE, water intensity of electricity, embodied carbon of a device ...) with
where each comes from, and the reader of the shipped factor tables.

A :class:`Factor` is one number used to turn a measurement into an impact, together with its
unit, interval (``low``/``high``: the range the sources publish, or the stated rule that made
it; equal to ``value`` where no range is published), source, source URL, licence, version and
year. Every impact figure carries the factors it was computed with
(:class:`~wattprint.carbon.impacts.ImpactFigure`), and a result stores the factors its run
resolved (:class:`~wattprint.carbon.impact_settings.ImpactSettings`), so a report rebuilt
anywhere uses the same numbers.

The tables live in ``wattprint/carbon/data`` (provenance in ``data/README.md``); a row that
does not parse is an error naming the file, the line and the column.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from importlib import resources
from typing import Any

from wattprint.errors import ConfigError

_DATA_PACKAGE = "wattprint.carbon.data"


@dataclass(frozen=True)
class Factor:
    """One impact factor and its provenance.

    Attributes:
        name: What it is, in words (``"on-site WUE"``, ``"off-site water intensity"``,
            ``"GPU embodied carbon"``).
        key: The table row it comes from (``google``, ``FR``, ``nvidia-h100``), or ``user``.
        value: The factor, in ``unit``.
        unit: ``L/kWh``, ``kg CO2eq`` ...
        low: Lower end of its interval (same unit).
        high: Upper end of its interval (same unit).
        source: Who published it, and what.
        source_url: Where to check it.
        licence: Licence of the source data.
        version: Version of the source (report, release, commit).
        year: Year the value describes (None for a user value).
        note: Derivation and caveats.
        defaulted: True when nothing was asked for and a stated default was used.
    """

    name: str
    key: str
    value: float
    unit: str
    low: float
    high: float
    source: str
    source_url: str = ""
    licence: str = ""
    version: str = ""
    year: int | None = None
    note: str = ""
    defaulted: bool = False

    def cite(self) -> str:
        """``source, year (version; licence)`` in one line."""
        year = f", {self.year}" if self.year is not None else ""
        extra = "; ".join(x for x in (self.version, self.licence) if x)
        return f"{self.source}{year}" + (f" ({extra})" if extra else "")

    def interval_text(self) -> str:
        """``"[low–high]"``, or ``"no published range"`` for a point value."""
        if self.low == self.high == self.value:
            return "no published range"
        return f"interval {self.low:.4g}-{self.high:.4g} {self.unit}"

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for JSON and result records."""
        return asdict(self)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Factor:
        """Inverse of :meth:`to_dict`; keys it does not know are ignored.

        Raises:
            ValueError: a missing or non-numeric value (naming the key).
        """
        known = {k: d[k] for k in cls.__dataclass_fields__ if k in d}
        for k in ("value", "low", "high"):
            try:
                known[k] = float(known[k])
            except KeyError:
                raise ValueError(f"impact factor is missing {k!r}") from None
            except (TypeError, ValueError):
                raise ValueError(f"impact factor {k} must be a number, got {known[k]!r}") from None
        for k in ("name", "key", "unit", "source"):
            known.setdefault(k, "")
        if known.get("year") is not None:
            known["year"] = int(known["year"])
        return cls(**known)

    def with_(self, **changes: Any) -> Factor:
        """A copy with some fields changed."""
        return replace(self, **changes)


def user_factor(name: str, value: float, unit: str, flag: str) -> Factor:
    """A factor given on the command line: its interval is the value itself.

    Args:
        name: What it is (``"on-site WUE"``).
        value: The value, already checked.
        unit: Its unit.
        flag: The flag it came from (``--wue``), named as its source.
    """
    return Factor(name=name, key="user", value=value, unit=unit, low=value, high=value,
                  source=f"user-supplied ({flag})")


def check_value(value: float | str, what: str, unit: str, *, high: float,
                low_exclusive: bool = False, hint: str = "") -> float:
    """Parse and bound-check a factor given by the user.

    Args:
        value: The text or number given.
        what: The flag or field named in the message (``--wue``).
        unit: Its unit, for the message.
        high: Largest plausible value (inclusive).
        low_exclusive: True when 0 is not valid (a lifetime), False when it is (a WUE).
        hint: What typical values are, added to the message.

    Raises:
        ConfigError: not a number, not finite, negative (or zero when excluded), or above
            ``high``; the message names ``what`` and the valid range.
    """
    bound = "> 0" if low_exclusive else ">= 0"
    tail = f"; {hint}" if hint else ""
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{what}: expected a number {bound} {unit}, got {value!r}{tail}") from None
    if not math.isfinite(x) or x < 0 or (low_exclusive and x == 0):
        raise ConfigError(f"{what}: expected a number {bound} {unit}, got {value!r}{tail}")
    if x > high:
        raise ConfigError(f"{what}: {x:g} {unit} is above any plausible value (max {high:g})"
                          f"{tail}")
    return x


def read_table(name: str, columns: Sequence[str]) -> list[tuple[int, dict[str, str]]]:
    """The rows of a shipped table with their line numbers (the header is line 1).

    Args:
        name: File name inside ``wattprint/carbon/data``.
        columns: Columns every row must have.

    Raises:
        ConfigError: a missing column or a short row (the shipped files are tested, so this
            means one was edited).
    """
    text = resources.files(_DATA_PACKAGE).joinpath(name).read_text(encoding="utf-8")
    reader = csv.DictReader(text.splitlines())
    missing = [c for c in columns if c not in (reader.fieldnames or ())]
    if missing:
        raise ConfigError(f"{name}: line 1: missing column(s) {', '.join(missing)}")
    rows = []
    for line_no, rec in enumerate(reader, start=2):
        if None in rec:
            raise ConfigError(f"{name}: line {line_no}: more fields than the "
                              f"{len(reader.fieldnames or ())} columns of the header (quote a "
                              f"value that holds a comma)")
        short = [c for c in columns if rec.get(c) is None]
        if short:
            raise ConfigError(f"{name}: line {line_no}: missing value(s) for {', '.join(short)}")
        rows.append((line_no, rec))
    return rows


def row_number(rec: Mapping[str, str], column: str, name: str, line_no: int) -> float:
    """A finite, non-negative number from a table cell.

    Raises:
        ConfigError: naming the file, line and column.
    """
    try:
        x = float(rec[column])
    except (TypeError, ValueError):
        raise ConfigError(f"{name}: line {line_no}: {column} = {rec[column]!r} is not a "
                          f"number") from None
    if not math.isfinite(x) or x < 0:
        raise ConfigError(f"{name}: line {line_no}: {column} = {rec[column]!r} must be a finite "
                          f"number >= 0")
    return x


def row_factor(rec: Mapping[str, str], *, name: str, key: str, unit: str, table: str,
               line_no: int, value: str, low: str, high: str) -> Factor:
    """A :class:`Factor` from one table row (the columns named by ``value``, ``low``,
    ``high``; ``year``, ``source``, ``source_url``, ``version``, ``licence``, ``note``).

    Raises:
        ConfigError: a bad number or year, or an interval that does not hold the value.
    """
    v, lo, hi = (row_number(rec, c, table, line_no) for c in (value, low, high))
    if not lo <= v <= hi:
        raise ConfigError(f"{table}: line {line_no}: interval {lo:g}-{hi:g} does not hold the "
                          f"value {v:g}")
    try:
        year = int(rec["year"])
    except (KeyError, TypeError, ValueError):
        raise ConfigError(f"{table}: line {line_no}: year = {rec.get('year')!r} is not a "
                          f"whole year") from None
    return Factor(name=name, key=key, value=v, unit=unit, low=lo, high=hi,
                  source=rec["source"], source_url=rec.get("source_url", ""),
                  licence=rec.get("licence", ""), version=rec.get("version", ""), year=year,
                  note=rec.get("note", ""))
