"""The typed impact figure: water or carbon of one energy figure and busy time, split into
usage and embodied parts, with an interval, its factors and the parameters of its rule.

Every :class:`ImpactFigure` has provenance ``estimated`` (it multiplies a measurement by
published factors). Its parts are kept apart and each says how it was computed:

* water: ``on-site`` = IT energy × WUE, ``off-site`` = IT energy × PUE × the grid's water
  intensity (both *usage*); embodied water is outside the boundary (no open data), said so;
* carbon: ``operational`` = IT energy × PUE × grid carbon intensity (*usage*) and
  ``embodied`` = device embodied carbon allocated by measured busy time and device share over
  a stated lifetime (see :mod:`wattprint.carbon.embodied`).

A part that cannot be computed has ``value`` None and a ``reason``; a total that needs it is
None too (shown as "—" with the reason), never a zero. Intervals add the parts' lows and highs
(worst case: the factors are not independent), and each part's interval comes from its
factors' published ranges and the energy's uncertainty.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from wattprint.carbon.factors import Factor

PROVENANCE = "estimated"
"""Provenance of every impact figure: a measurement times published factors."""

USAGE = "usage"
EMBODIED = "embodied"
WATER = "water"
CARBON = "carbon"
MISSING = "—"


@dataclass(frozen=True)
class Part:
    """One part of a figure.

    Attributes:
        name: ``on-site``, ``off-site``, ``operational`` or ``embodied``.
        phase: ``usage`` or ``embodied``.
        value: The part, in the figure's unit (None: could not be computed, see ``reason``).
        low: Lower end of its interval (None with ``value``).
        high: Upper end of its interval (None with ``value``).
        formula: How it was computed, in words with the numbers.
        reason: Why there is no value (empty when there is one).
        counted: False for a part outside the boundary (embodied water): shown, never added.
    """

    name: str
    phase: str
    value: float | None
    low: float | None
    high: float | None
    formula: str = ""
    reason: str = ""
    counted: bool = True

    def scaled(self, k: float) -> Part:
        """This part times ``k`` (for per-request and per-1,000 figures)."""
        return replace(self, value=_mul(self.value, k), low=_mul(self.low, k),
                       high=_mul(self.high, k))

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for JSON."""
        return {"name": self.name, "phase": self.phase, "value": self.value, "low": self.low,
                "high": self.high, "formula": self.formula, "reason": self.reason or None,
                "counted": self.counted}


def _mul(x: float | None, k: float) -> float | None:
    return None if x is None else x * k


def _total(parts: Sequence[Part], attr: str) -> float | None:
    counted = [p for p in parts if p.counted]
    if not counted:
        return None
    values = [getattr(p, attr) for p in counted]
    return None if any(v is None for v in values) else float(sum(values))


@dataclass(frozen=True)
class ImpactFigure:
    """Water (L) or carbon (g CO2eq) of one energy figure, with its parts and provenance.

    Attributes:
        criterion: ``water`` or ``carbon``.
        unit: ``L`` or ``g CO2eq``.
        parts: The usage and embodied parts.
        factors: Every factor used, with source, licence, version and year.
        parameters: The inputs and rule parameters (``energy_j``, ``pue``, ``busy_s``,
            ``device_share``, ``lifetime_s``, ``allocation_rule`` ...).
        per: What the figure is for: ``run``, ``request``, ``1,000 inferences`` ...
        provenance: Always ``estimated``.
    """

    criterion: str
    unit: str
    parts: tuple[Part, ...]
    factors: tuple[Factor, ...] = ()
    parameters: Mapping[str, Any] = field(default_factory=dict)
    per: str = "run"
    provenance: str = PROVENANCE

    @property
    def value(self) -> float | None:
        """The total over the counted parts, or None when one of them is unknown."""
        return _total(self.parts, "value")

    @property
    def low(self) -> float | None:
        """Lower end of the total's interval (sum of the parts' lows)."""
        return _total(self.parts, "low")

    @property
    def high(self) -> float | None:
        """Upper end of the total's interval (sum of the parts' highs)."""
        return _total(self.parts, "high")

    def phase_total(self, phase: str) -> float | None:
        """Sum of the counted parts of one phase (``usage``/``embodied``); None when one is
        unknown or the phase has no counted part."""
        return _total([p for p in self.parts if p.phase == phase], "value")

    @property
    def usage(self) -> float | None:
        """The usage part (energy-driven), in the figure's unit."""
        return self.phase_total(USAGE)

    @property
    def embodied(self) -> float | None:
        """The embodied part (manufacturing), in the figure's unit; None when unknown or
        outside the boundary (the part's ``reason`` says which)."""
        return self.phase_total(EMBODIED)

    def missing_reasons(self) -> list[str]:
        """Why some parts have no value (``part: reason``)."""
        return [f"{p.name}: {p.reason}" for p in self.parts if p.value is None and p.reason]

    def scaled(self, k: float, per: str) -> ImpactFigure:
        """The figure times ``k`` (e.g. ``1 / requests``), described as ``per``."""
        return replace(self, parts=tuple(p.scaled(k) for p in self.parts), per=per)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: total, interval, usage/embodied split, parts, factors, parameters."""
        return {"criterion": self.criterion, "unit": self.unit, "per": self.per,
                "provenance": self.provenance, "value": self.value, "low": self.low,
                "high": self.high, "usage": self.usage, "embodied": self.embodied,
                "parts": [p.to_dict() for p in self.parts],
                "factors": [f.to_dict() for f in self.factors],
                "parameters": dict(self.parameters)}

    def headline(self) -> str:
        """One line: total, interval and the usage/embodied split (``—`` where unknown)."""
        total = fmt_amount(self.value, self.unit)
        lo, hi = fmt_amount(self.low, self.unit), fmt_amount(self.high, self.unit)
        band = "" if self.low is None or self.high is None or lo == hi else f" ({lo} - {hi})"
        split = ", ".join(
            f"{p.name} {fmt_amount(p.value, self.unit)}"
            + ("" if p.counted else " (not counted)") for p in self.parts)
        return f"{self.criterion} per {self.per}: {total}{band} [{self.provenance}]; {split}"


def fmt_amount(x: float | None, unit: str) -> str:
    """An amount with a readable unit: water in mL below 1 L, carbon in mg below 0.01 g;
    ``—`` for None."""
    if x is None:
        return MISSING
    if unit == "L":
        return f"{x * 1000:.3g} mL" if abs(x) < 1 else f"{x:.4g} L"
    if unit == "g CO2eq" and 0 < abs(x) < 0.01:
        return f"{x * 1000:.3g} mg CO2eq"
    return f"{x:.4g} {unit}"
