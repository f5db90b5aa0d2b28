"""Emissions of an energy figure: energy × PUE × grid intensity.

``carbon_g = energy_j × pue / 3.6e6 × intensity_g_per_kwh``. The PUE (power usage
effectiveness, facility energy / IT energy) is 1.0 unless asked for, and is always recorded
with the result together with both energies (``energy_j`` as measured, ``energy_facility_j``
= ``energy_j × pue``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from wattprint.carbon.intensity import Intensity
from wattprint.carbon.timeseries import IntensitySeries, iso_utc
from wattprint.errors import ConfigError
from wattprint.units import J_PER_KWH

#: Highest PUE accepted; real data centres are 1.05–2.5, old server rooms up to ~3.
MAX_PLAUSIBLE_PUE: float = 5.0


def check_pue(pue: float | str) -> float:
    """Parse and check a PUE (>= 1.0, <= :data:`MAX_PLAUSIBLE_PUE`).

    Raises:
        ConfigError: not a number, below 1 (a facility cannot use less than its IT load) or
            implausibly large.
    """
    try:
        value = float(pue)
    except (TypeError, ValueError):
        raise ConfigError(f"--pue: expected a number >= 1.0, got {pue!r}") from None
    if not math.isfinite(value) or value < 1.0:
        raise ConfigError(f"--pue: expected a number >= 1.0 (facility energy / IT energy), "
                          f"got {pue!r}")
    if value > MAX_PLAUSIBLE_PUE:
        raise ConfigError(f"--pue: {value:g} is above any real facility "
                          f"(max {MAX_PLAUSIBLE_PUE:g}); typical values are 1.1-1.6")
    return value


@dataclass(frozen=True)
class Emissions:
    """Carbon of one energy figure, with everything needed to recompute it.

    Attributes:
        energy_j: Energy as measured (IT boundary), J.
        pue: Power usage effectiveness applied (1.0 = none).
        energy_facility_j: ``energy_j × pue``, J; the energy that was charged with carbon.
        carbon_g: Emissions, g CO2eq.
        intensity_g_per_kwh: Intensity used (for a time series, the energy-weighted mean).
        intensity_source: Dataset or file the intensity comes from.
        intensity_label: What was resolved (``"France (FR)"``).
        intensity_kind: ``country``, ``cloud``, ``user``, ``timeseries`` ...
        intensity_year: Year of the intensity value (None for user or time-series values).
        intensity_defaulted: True when no location was given and the world average was used.
    """

    energy_j: float
    pue: float
    energy_facility_j: float
    carbon_g: float
    intensity_g_per_kwh: float
    intensity_source: str
    intensity_label: str
    intensity_kind: str
    intensity_year: int | None = None
    intensity_defaulted: bool = False

    @property
    def energy_facility_kwh(self) -> float:
        """Facility energy in kWh."""
        return self.energy_facility_j / J_PER_KWH

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for JSON and result records (``emissions_g`` is ``carbon_g``)."""
        return {
            "energy_j": self.energy_j,
            "energy_kwh": self.energy_j / J_PER_KWH,
            "pue": self.pue,
            "energy_facility_j": self.energy_facility_j,
            "energy_facility_kwh": self.energy_facility_kwh,
            "carbon_g": self.carbon_g,
            "emissions_g": self.carbon_g,
            "intensity_g_per_kwh": self.intensity_g_per_kwh,
            "intensity_source": self.intensity_source,
            "intensity_label": self.intensity_label,
            "intensity_kind": self.intensity_kind,
            "intensity_year": self.intensity_year,
            "intensity_defaulted": self.intensity_defaulted,
        }


def _check_energy(energy_j: float) -> float:
    try:
        e = float(energy_j)
    except (TypeError, ValueError):
        raise ConfigError(f"energy: expected a number of joules, got {energy_j!r}") from None
    if not math.isfinite(e) or e < 0:
        raise ConfigError(f"energy: expected a number >= 0 J, got {energy_j!r}")
    return e


def emissions(energy_j: float, intensity: Intensity, pue: float = 1.0) -> Emissions:
    """Emissions of ``energy_j`` at a constant average intensity.

    Args:
        energy_j: Energy at the IT boundary, J (>= 0).
        intensity: Resolved grid intensity (:func:`~wattprint.carbon.intensity.resolve_intensity`).
        pue: Power usage effectiveness (>= 1.0) applied to ``energy_j``.

    Returns:
        The emissions, g CO2eq, with the intensity and PUE recorded.

    Raises:
        ConfigError: negative/non-numeric energy, or a bad PUE.
    """
    e = _check_energy(energy_j)
    p = check_pue(pue)
    facility_j = e * p
    if not math.isfinite(facility_j):
        raise ConfigError(f"energy {e:g} J × PUE {p:g} overflows a floating-point number")
    return Emissions(energy_j=e, pue=p, energy_facility_j=facility_j,
                     carbon_g=facility_j / J_PER_KWH * intensity.value_g_per_kwh,
                     intensity_g_per_kwh=intensity.value_g_per_kwh,
                     intensity_source=intensity.source, intensity_label=intensity.label,
                     intensity_kind=intensity.kind, intensity_year=intensity.year,
                     intensity_defaulted=intensity.defaulted)


def emissions_timeseries(segments: Sequence[tuple[float, float, float]],
                         series: IntensitySeries, pue: float = 1.0) -> Emissions:
    """Emissions of an energy timeline under a time-varying intensity.

    Args:
        segments: ``(t_start_s, t_end_s, energy_j)``, Unix seconds and joules (IT boundary).
        series: The intensity step function.
        pue: Power usage effectiveness (>= 1.0), applied to every segment.

    Returns:
        Emissions whose ``intensity_g_per_kwh`` is the energy-weighted mean over the run.

    Raises:
        ConfigError: a segment outside the series, or bad energy/PUE.
    """
    p = check_pue(pue)
    if not segments:
        raise ConfigError("energy timeline: no segments to integrate")
    energy = sum(_check_energy(e) for _, _, e in segments)
    carbon = series.carbon_g([(a, b, e * p) for a, b, e in segments])
    facility_j = energy * p
    mean = carbon / (facility_j / J_PER_KWH) if facility_j > 0 else series.value_at(segments[0][0])
    start, end = min(a for a, _, _ in segments), max(b for _, b, _ in segments)
    return Emissions(energy_j=energy, pue=p, energy_facility_j=facility_j, carbon_g=carbon,
                     intensity_g_per_kwh=mean, intensity_source=series.source,
                     intensity_label=f"time series, energy-weighted mean over {iso_utc(start)} "
                                     f"to {iso_utc(end)}",
                     intensity_kind=series.kind)


def emissions_window(energy_j: float, intensity: Intensity | IntensitySeries,
                     pue: float = 1.0, *, start_s: float | None = None,
                     end_s: float | None = None) -> Emissions:
    """Emissions of one measurement window, whatever kind of intensity was chosen.

    With an :class:`IntensitySeries`, the window's energy is spread evenly over
    ``[start_s, end_s]`` (Unix seconds), which are then required.

    Raises:
        ConfigError: a series without a window, or any error of :func:`emissions`.
    """
    if isinstance(intensity, IntensitySeries):
        if start_s is None or end_s is None:
            raise ConfigError("an intensity time series needs the run's start and end time "
                              "(--start and --end)")
        return emissions_timeseries([(start_s, end_s, _check_energy(energy_j))], intensity, pue)
    return emissions(energy_j, intensity, pue)
