"""The carbon facts stored with a result: the grid intensity used, its source, PUE, emissions.

:func:`run_carbon_record` builds the record a ``wattprint run`` attaches to every result (the
intensity the user chose, or the world average, saying so); importers build one from what
their log states. Reports convert each provenance's energy to g CO2eq with it.

A :class:`CarbonRecord` is also a read-only mapping of its set fields, so code that reads it
as the dict it used to be (``record.get("emissions_g")``) keeps working.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, fields
from typing import Any

from wattprint.carbon.impact_settings import ImpactSettings
from wattprint.carbon.intensity import Intensity


@dataclass(frozen=True, eq=False)
class CarbonRecord(Mapping[str, Any]):
    """Carbon facts of one result.

    Attributes:
        intensity_g_per_kwh: Grid carbon intensity applied, g CO2eq per kWh (None: unknown).
        intensity_source: Where that intensity comes from (table, year, region; or a log).
        intensity_defaulted: True when no intensity was given and the world average was used.
        pue: Power usage effectiveness applied (None: not stated).
        emissions_g: Emissions of the query window, g CO2eq, when the source stated them
            (imports); None when they are to be computed from energy × intensity.
        impacts: The water and embodied-carbon factors the run resolved (None: records made
            before impacts existed, and imports; see :mod:`wattprint.carbon.impact_settings`).
    """

    intensity_g_per_kwh: float | None = None
    intensity_source: str | None = None
    intensity_defaulted: bool = False
    pue: float | None = None
    emissions_g: float | None = None
    impacts: ImpactSettings | None = None

    def __getitem__(self, key: str) -> Any:
        if key in _FIELDS and getattr(self, key) is not None:
            return getattr(self, key)
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return (k for k in _FIELDS if getattr(self, k) is not None)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def to_dict(self) -> dict[str, Any]:
        """The set fields as a JSON-ready dict."""
        d = {k: v for k in _FIELDS if (v := getattr(self, k)) is not None}
        if self.impacts is not None:
            d["impacts"] = self.impacts.to_dict()
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> CarbonRecord:
        """Inverse of :meth:`to_dict`; keys it does not know are ignored.

        Raises:
            ValueError: a value of the wrong type (naming the key).
        """
        kwargs = {k: d[k] for k in _FIELDS if k in d and d[k] is not None}
        for k in ("intensity_g_per_kwh", "pue", "emissions_g"):
            if k in kwargs:
                try:
                    kwargs[k] = float(kwargs[k])
                except (TypeError, ValueError):
                    raise ValueError(f"carbon.{k} must be a number, got {kwargs[k]!r}") from None
        if "intensity_defaulted" in kwargs:
            kwargs["intensity_defaulted"] = bool(kwargs["intensity_defaulted"])
        if "impacts" in kwargs and not isinstance(kwargs["impacts"], ImpactSettings):
            imp = kwargs["impacts"]
            if not isinstance(imp, Mapping):
                raise ValueError(f"carbon.impacts must be an object, got {imp!r}")
            kwargs["impacts"] = ImpactSettings.from_dict(imp)
        return cls(**kwargs)


_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(CarbonRecord))


def run_carbon_record(intensity: Intensity, pue: float,
                      impacts: ImpactSettings | None = None) -> CarbonRecord:
    """The record a run attaches to each of its results.

    Args:
        intensity: The grid intensity the run uses (resolved from the carbon flags).
        pue: Power usage effectiveness (1.0 when not given).
        impacts: The water and embodied-carbon factors resolved from the impact flags.
    """
    return CarbonRecord(
        intensity_g_per_kwh=intensity.value_g_per_kwh,
        intensity_source=f"{intensity.label} [{intensity.source}, {intensity.year}]",
        intensity_defaulted=intensity.defaulted, pue=pue, impacts=impacts)
