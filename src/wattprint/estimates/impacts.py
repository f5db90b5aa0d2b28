"""From a request's estimated energy to facility energy and carbon, and the EcoLogits view.

``IT energy`` is the estimate at the fit's boundary plus, for GPU-only fits, the host's share
(:func:`~wattprint.estimates.llm.estimate_llm`); ``facility energy`` multiplies it by the PUE
(a range for providers that publish one); usage GWP multiplies that by the grid's intensity
(:mod:`wattprint.carbon.intensity`). Embodied emissions are not estimated here (``null`` in the
EcoLogits block). EcoLogits' own formula is evaluated on the same inputs beside it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from wattprint.carbon.intensity import Intensity
from wattprint.estimates.catalog import Range
from wattprint.estimates.ecologits import SOURCE, EcoLogitsResult, ecologits_llm, impacts_block
from wattprint.estimates.llm import Interval, LlmEstimate

J_PER_KWH = 3.6e6


@dataclass(frozen=True)
class RequestImpacts:
    """Energy and usage carbon of one estimated request.

    Attributes:
        estimate: The energy estimate.
        it_energy: Estimate plus host share, J.
        facility_energy: IT energy x PUE, J.
        pue: PUE range applied.
        pue_source: Where the PUE comes from.
        intensity: The grid intensity used.
        gwp_usage_g: Usage emissions, g CO2eq.
        ecologits_formula: EcoLogits' formula on the same inputs.
    """

    estimate: LlmEstimate
    it_energy: Interval
    facility_energy: Interval
    pue: Range
    pue_source: str
    intensity: Intensity
    gwp_usage_g: Interval
    ecologits_formula: EcoLogitsResult

    def to_dict(self) -> dict[str, Any]:
        """The estimate's dict plus ``impacts`` (EcoLogits-shaped), ``carbon`` and
        ``ecologits_formula``."""
        e = self.estimate
        fac_kwh = Range(self.facility_energy.low_j / J_PER_KWH,
                        self.facility_energy.high_j / J_PER_KWH)
        gwp_kg = Range(self.gwp_usage_g.low_j / 1000, self.gwp_usage_g.high_j / 1000)
        warnings = [*e.warnings, f"wattprint estimate ({e.request.level:.0%} interval), "
                    "provenance estimated; embodied, ADPe, PE and water not estimated"]
        eco = self.ecologits_formula
        return {
            **e.to_dict(),
            "it_energy": self.it_energy.to_dict(),
            "facility_energy": self.facility_energy.to_dict(),
            "facility_energy_kwh": self.facility_energy.central_j / J_PER_KWH,
            "carbon": {"gwp_usage_g": self.gwp_usage_g.to_dict(), "pue": self.pue.to_list(),
                       "pue_source": self.pue_source, "intensity": self.intensity.to_dict(),
                       "embodied_g": None,
                       "embodied_note": "not estimated by `estimate llm`"},
            "impacts": impacts_block(fac_kwh, gwp_kg, None, warnings),
            "ecologits_formula": {
                "source": SOURCE, "batch": 64,
                "energy_kwh": eco.energy_kwh.to_list(),
                "gpu_energy_kwh": eco.gpu_energy_kwh.to_list(),
                "gwp_usage_kg": eco.gwp_usage_kg.to_list(),
                "gwp_embodied_kg": eco.gwp_embodied_kg.to_list(), "gpus": list(eco.gpus)},
        }


def _scale(i: Interval, lo: float, mid: float, hi: float) -> Interval:
    return Interval(i.central_j * mid, i.low_j * lo, i.high_j * hi)


def request_impacts(e: LlmEstimate, intensity: Intensity, pue: Range | None = None,
                    pue_source: str = "") -> RequestImpacts:
    """Facility energy and usage carbon of ``e``.

    Args:
        e: The estimate.
        intensity: Grid intensity (g CO2eq/kWh).
        pue: PUE range; None takes the provider's, else 1.0 (IT energy only).
        pue_source: Where ``pue`` comes from, in words.
    """
    if pue is None:
        if e.provider is not None:
            pue, pue_source = e.provider.pue, e.provider.source
        else:
            pue, pue_source = Range(1.0, 1.0), "none given (1.0: IT energy)"
    host = e.host or Interval(0.0, 0.0, 0.0)
    it = Interval(e.energy.central_j + host.central_j, e.energy.low_j + host.low_j,
                  e.energy.high_j + host.high_j)
    facility = _scale(it, pue.lo, pue.central, pue.hi)
    g = intensity.value_g_per_kwh / J_PER_KWH
    m = e.model
    eco = ecologits_llm(m.active_params_b, m.total_params_b, e.request.output_tokens, pue=pue,
                        grid_kg_per_kwh=intensity.value_g_per_kwh / 1000)
    return RequestImpacts(e, it, facility, pue, pue_source, intensity, _scale(facility, g, g, g),
                          eco)
