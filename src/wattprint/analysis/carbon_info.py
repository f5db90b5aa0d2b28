"""Carbon methodology and relatable equivalents for the report, from ``wattprint.carbon``.

The report converts energy to carbon only with the intensity stored with each result (the
one the run or the import recorded); it never invents one. Equivalents (smartphone charges,
km driven by a petrol car, as in the study) come from ``wattprint.carbon.EQUIVALENTS``, each
with its constant, source and year.
"""

from __future__ import annotations

import math

from wattprint.analysis.report import CarbonInfo
from wattprint.carbon import EQUIVALENTS, compute_equivalents
from wattprint.units import J_PER_KWH

REPORT_EQUIVALENTS: tuple[str, ...] = ("smartphone_charges", "car_km")
"""The study's two equivalents (smartphone charges from energy, km by car from CO2)."""


def carbon_info() -> CarbonInfo:
    """The equivalents the report uses, one sentence each with constant, source, year and URL."""
    rows = [e for e in EQUIVALENTS if e.key in REPORT_EQUIVALENTS]
    lines = tuple(
        f"{e.label}: {e.constant:.4g} {e.constant_unit} "
        f"({'from energy' if e.basis == 'energy' else 'from CO2eq'}) — {e.source}, {e.year}, "
        f"{e.url}" + (f"; {e.note}" if e.note else "")
        for e in rows)
    return CarbonInfo(lines=lines, available=True, equivalents=equivalents_per_1k)


def equivalents_per_1k(kwh_per_1k: float, g_per_1k: float | None) -> dict[str, float | None]:
    """The report's equivalents for one per-1,000-queries figure.

    Args:
        kwh_per_1k: Energy, kWh per 1,000 queries.
        g_per_1k: Emissions, g CO2eq per 1,000 queries, or None when no intensity was stored
            (CO2-based equivalents are then None, never 0).

    Returns:
        Equivalent label → count per 1,000 queries (None where it cannot be computed).
    """
    if not math.isfinite(kwh_per_1k) or kwh_per_1k < 0:
        return {e.label: None for e in EQUIVALENTS if e.key in REPORT_EQUIVALENTS}
    has_c = g_per_1k is not None and math.isfinite(g_per_1k) and g_per_1k >= 0
    values = compute_equivalents(kwh_per_1k * J_PER_KWH, g_per_1k if has_c else 0.0,
                                 REPORT_EQUIVALENTS)
    return {v.label: (v.value if (v.basis == "energy" or has_c) else None) for v in values}
