"""One call from an energy figure to emissions + equivalents, as lines or as a JSON dict.

Used by ``wattprint carbon`` and by the commands that print a measurement (``measure``,
``run``), so every command shows carbon the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from wattprint.carbon.emissions import Emissions, emissions_window
from wattprint.carbon.equivalents import (
    PHONE_KWH_EPA_2024,
    EquivalentValue,
    compute_equivalents,
    default_keys,
    format_count,
)
from wattprint.carbon.intensity import Intensity
from wattprint.carbon.timeseries import IntensitySeries
from wattprint.units import format_energy


@dataclass(frozen=True)
class CarbonSummary:
    """Emissions of one energy figure, the intensity behind them, and equivalents.

    Attributes:
        emissions: The emissions record (energy, PUE, carbon, intensity used).
        intensity: The resolved intensity (None for a time series).
        series: The time series used (None for an average intensity).
        equivalents: Equivalents of the facility energy / the emissions.
    """

    emissions: Emissions
    intensity: Intensity | None
    series: IntensitySeries | None
    equivalents: list[EquivalentValue] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: ``emissions_g``, ``intensity_g_per_kwh``, ``intensity_source``,
        ``pue``, ``intensity`` (details), ``equivalents`` (list) and the energies."""
        d = self.emissions.to_dict()
        d["intensity"] = (self.intensity.to_dict() if self.intensity is not None
                          else self.series.to_dict() if self.series is not None else None)
        d["equivalents"] = [e.to_dict() for e in self.equivalents]
        return d

    def lines(self) -> list[str]:
        """Human-readable lines (no trailing newlines)."""
        em = self.emissions
        out = [f"emissions: {em.carbon_g:.4g} g CO2eq"]
        where = em.intensity_label
        year = f", {em.intensity_year}" if em.intensity_year else ""
        out.append(f"  intensity: {em.intensity_g_per_kwh:.5g} g CO2eq/kWh, {where} "
                   f"[{em.intensity_source}{year}]")
        if em.intensity_defaulted:
            out.append("  note: no location given (--country/--region/--cloud/--intensity); "
                       "the world average was used")
        if em.pue != 1.0:
            out.append(f"  PUE {em.pue:g}: facility energy {format_energy(em.energy_facility_j)} "
                       f"(measured {format_energy(em.energy_j)})")
        if self.equivalents:
            out.append("  equivalent to:")
            for e in self.equivalents:
                out.append(f"    {format_count(e.value)} {e.label}  "
                           f"({e.constant:.4g} {e.constant_unit}; {e.source}, {e.year})")
        return out


def carbon_summary(energy_j: float, intensity: Intensity | IntensitySeries, pue: float = 1.0,
                   *, start_s: float | None = None, end_s: float | None = None,
                   phone_kwh_per_charge: float = PHONE_KWH_EPA_2024,
                   car_factor: str = "epa", with_equivalents: bool = True) -> CarbonSummary:
    """Emissions and equivalents of ``energy_j`` joules.

    Args:
        energy_j: Energy at the IT boundary, J.
        intensity: An average intensity, or a time series (then ``start_s``/``end_s``, Unix
            seconds, are required and the energy is spread evenly over them).
        pue: Power usage effectiveness (>= 1.0).
        phone_kwh_per_charge: 0.022 (EPA 2024, default) or 0.012 (EPA before 2024).
        car_factor: ``"epa"`` (393 g/mile) or ``"study"`` (388.8 g/mile).
        with_equivalents: False to skip equivalents.

    Raises:
        ConfigError: bad energy, PUE, factors, or a window outside the time series.
    """
    em = emissions_window(energy_j, intensity, pue, start_s=start_s, end_s=end_s)
    eq: list[EquivalentValue] = []
    if with_equivalents:
        keys = default_keys(phone_kwh_per_charge=phone_kwh_per_charge, car_factor=car_factor)
        eq = compute_equivalents(em.energy_facility_j, em.carbon_g, keys)
    return CarbonSummary(emissions=em,
                         intensity=intensity if isinstance(intensity, Intensity) else None,
                         series=intensity if isinstance(intensity, IntensitySeries) else None,
                         equivalents=eq)
