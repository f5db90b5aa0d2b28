"""Carbon of a meter window (:class:`~wattprint.meters.base.EnergyResult`), per provenance.

A window's energy is reported per (provenance, scope) total and these are never summed
together; the carbon follows the same rule: one :class:`Emissions` per total. With a
time-series intensity the window ``[started_at, started_at + duration_s]`` is used.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from wattprint.carbon.emissions import Emissions, emissions_window
from wattprint.carbon.intensity import Intensity
from wattprint.carbon.timeseries import IntensitySeries
from wattprint.meters.base import EnergyResult


@dataclass(frozen=True)
class WindowEmissions:
    """Emissions of one (provenance, scope) total of a window.

    Attributes:
        provenance: ``measured``, ``integrated`` or ``estimated``.
        scope: ``device``, ``machine`` or ``process``.
        domains: Domain names summed.
        emissions: Carbon of their energy.
        uncertainty_g: Absolute uncertainty of the carbon (g) for estimates, from the energy
            uncertainty; None where the energy's uncertainty is not characterised.
    """

    provenance: str
    scope: str
    domains: tuple[str, ...]
    emissions: Emissions
    uncertainty_g: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain dict: the emissions fields plus provenance, scope, domains, uncertainty."""
        return {"provenance": self.provenance, "scope": self.scope,
                "domains": list(self.domains), "uncertainty_g": self.uncertainty_g,
                **self.emissions.to_dict()}


def window_emissions(result: EnergyResult, intensity: Intensity | IntensitySeries,
                     pue: float = 1.0) -> list[WindowEmissions]:
    """Carbon of each provenance total of ``result`` (most trustworthy first).

    Args:
        result: A meter window.
        intensity: Average intensity or time series.
        pue: Power usage effectiveness (>= 1.0).

    Raises:
        ConfigError: bad PUE, or a window outside the time series.
    """
    start_s = result.started_at
    end_s = result.started_at + result.duration_s
    out = []
    for total in result.totals():
        em = emissions_window(total.energy_j, intensity, pue, start_s=start_s, end_s=end_s)
        unc = None
        if total.uncertainty_j is not None and em.energy_j > 0:
            unc = em.carbon_g * total.uncertainty_j / em.energy_j
        out.append(WindowEmissions(provenance=total.provenance.value, scope=total.scope,
                                   domains=tuple(total.domains), emissions=em,
                                   uncertainty_g=unc))
    return out
