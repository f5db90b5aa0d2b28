"""Unit conversions. Conversions happen at meter boundaries only; everything inside is SI.

Internal units: energy in joules (``energy_j``), power in watts (``power_w``), time in
seconds (``duration_s``), carbon in grams CO2eq (``carbon_g``), intensity in g CO2eq per kWh.
"""

from __future__ import annotations

J_PER_KWH: float = 3.6e6
J_PER_WH: float = 3600.0


def j_to_kwh(energy_j: float) -> float:
    """Joules to kilowatt-hours."""
    return energy_j / J_PER_KWH


def kwh_to_j(energy_kwh: float) -> float:
    """Kilowatt-hours to joules."""
    return energy_kwh * J_PER_KWH


def j_to_wh(energy_j: float) -> float:
    """Joules to watt-hours."""
    return energy_j / J_PER_WH


def format_energy(energy_j: float) -> str:
    """Human-readable energy with a unit chosen for its size (J, kJ, Wh or kWh)."""
    a = abs(energy_j)
    if a < 1e3:
        return f"{energy_j:.3g} J"
    if a < J_PER_WH * 10:
        return f"{energy_j / 1e3:.3g} kJ"
    if a < J_PER_KWH:
        return f"{j_to_wh(energy_j):.3g} Wh"
    return f"{j_to_kwh(energy_j):.4g} kWh"
