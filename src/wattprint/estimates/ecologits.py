"""EcoLogits' LLM formula, re-implemented from its published description, and the
EcoLogits-shaped output block wattprint prints beside its own estimate.

EcoLogits (genai-impact/ecologits, ``ecologits/impacts/llm.py`` at commit ``2d0a1c7``, 2025-11-13,
MPL-2.0; method in ``docs/methodology/llm_inference.md``) estimates a request from its output
tokens only, at a fixed batch of 64::

    E_gpu/token (Wh)  = alpha * exp(beta * B) * P_active + gamma        (per GPU; /1000 -> kWh)
    GPUs              = 2 ** ceil(log2(ceil(1.2 * P_total * 16 / 8 / 80 GB)))
    latency (s)       = N_out * (a_L * P_active + b_L * B + c_L)   (capped by a measured latency)
    E_server (kWh)    = latency / 3600 * 1.2 kW * GPUs / 8 / B
    E_request (kWh)   = PUE * (E_server + GPUs * N_out * E_gpu/token)
    GWP usage         = E_request * F_grid (kgCO2eq/kWh)
    GWP embodied      = latency * (GPUs/8 * 5700 + GPUs * 164 kgCO2eq) / (3 years * B)

A parameter range is evaluated at its (min, min) and (max, max) corners; the result is the
``[min, max]`` of those (EcoLogits' ``RangeValue``). The constants below are EcoLogits'; the code
is wattprint's (written from the formula, not copied). Used only for the documented comparison
(docs/estimates.md) and the ``ecologits_formula`` field of ``estimate llm --json``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from wattprint.estimates.catalog import Range

SOURCE = ("EcoLogits ecologits/impacts/llm.py @2d0a1c7 (2025-11-13), formula re-implemented; "
          "constants as published")
GPU_ENERGY_ALPHA = 1.1665273170451914e-06
GPU_ENERGY_BETA = -0.011205921025579175
GPU_ENERGY_GAMMA = 4.052928146734005e-05
LATENCY_ALPHA = 0.0006785088094353663
LATENCY_BETA = 0.0003119310311688259
LATENCY_GAMMA = 0.019473717579473387
GPU_MEMORY_GB = 80.0
QUANTIZATION_BITS = 16
SERVER_GPUS = 8
SERVER_POWER_KW = 1.2
SERVER_EMBODIED_KG = 5700.0
GPU_EMBODIED_KG = 164.0
LIFESPAN_S = 3 * 365 * 24 * 3600
BATCH_SIZE = 64


@dataclass(frozen=True)
class EcoLogitsResult:
    """EcoLogits' figures for one request (ranges where its inputs are ranges).

    Attributes:
        energy_kwh: Request energy, PUE included, kWh.
        gpu_energy_kwh: The GPUs' part, PUE excluded, kWh.
        gwp_usage_kg, gwp_embodied_kg: kgCO2eq.
        gpus: Required GPUs at the (min, max) corners.
    """

    energy_kwh: Range
    gpu_energy_kwh: Range
    gwp_usage_kg: Range
    gwp_embodied_kg: Range
    gpus: tuple[int, int]


def gpu_count(total_params_b: float, bits: int = QUANTIZATION_BITS,
              gpu_memory_gb: float = GPU_MEMORY_GB) -> int:
    """GPUs EcoLogits assumes: 1.2 x weight memory over 80 GB, rounded up to a power of two."""
    n = math.ceil(1.2 * total_params_b * bits / 8 / gpu_memory_gb)
    return int(2 ** math.ceil(math.log2(max(n, 1))))


def gpu_energy_per_token_kwh(active_params_b: float, batch: float = BATCH_SIZE) -> float:
    """EcoLogits' energy of one output token on one GPU, kWh."""
    wh = GPU_ENERGY_ALPHA * math.exp(GPU_ENERGY_BETA * batch) * active_params_b + GPU_ENERGY_GAMMA
    return wh / 1000.0


def _corner(active: float, total: float, out_tokens: float, pue: float, grid_kg_per_kwh: float,
            latency_s: float | None, batch: float) -> tuple[float, float, float, float, int]:
    gpus = gpu_count(total)
    gpu_kwh = gpus * out_tokens * gpu_energy_per_token_kwh(active, batch)
    lat = out_tokens * (LATENCY_ALPHA * active + LATENCY_BETA * batch + LATENCY_GAMMA)
    if latency_s is not None:
        lat = min(lat, latency_s)
    server_kwh = lat / 3600 * SERVER_POWER_KW * gpus / SERVER_GPUS / batch
    energy = pue * (server_kwh + gpu_kwh)
    embodied = lat * (gpus / SERVER_GPUS * SERVER_EMBODIED_KG + gpus * GPU_EMBODIED_KG) / \
        (LIFESPAN_S * batch)
    return energy, gpu_kwh, energy * grid_kg_per_kwh, embodied, gpus


def ecologits_llm(active_params_b: Range, total_params_b: Range, output_tokens: float, *,
                  pue: Range, grid_kg_per_kwh: float, latency_s: float | None = None,
                  batch: float = BATCH_SIZE) -> EcoLogitsResult:
    """EcoLogits' estimate of one request (module docstring).

    Args:
        active_params_b, total_params_b: Parameters, billions (ranges evaluated at both ends).
        output_tokens: Generated tokens.
        pue: Data-centre PUE (a range gives a range).
        grid_kg_per_kwh: Electricity's GWP factor, kgCO2eq/kWh.
        latency_s: Measured request latency (caps the modelled one), or None.
        batch: EcoLogits' fixed batch (64).
    """
    lo = _corner(active_params_b.lo, total_params_b.lo, output_tokens, pue.lo, grid_kg_per_kwh,
                 latency_s, batch)
    hi = _corner(active_params_b.hi, total_params_b.hi, output_tokens, pue.hi, grid_kg_per_kwh,
                 latency_s, batch)
    return EcoLogitsResult(Range(lo[0], hi[0]), Range(lo[1], hi[1]), Range(lo[2], hi[2]),
                           Range(lo[3], hi[3]), (lo[4], hi[4]))


def impact(kind: str, value: Range | None, unit: str) -> dict[str, Any] | None:
    """One EcoLogits ``BaseImpact`` object (``type``, ``name``, ``value``, ``unit``); a range
    is ``{"min": .., "max": ..}`` as EcoLogits' ``RangeValue``; None when not estimated."""
    names = {"energy": "Energy", "GWP": "Global Warming Potential",
             "ADPe": "Abiotic Depletion Potential (elements)", "PE": "Primary Energy",
             "WCF": "Water Consumption Footprint"}
    if value is None:
        return None
    v: Any = value.lo if value.exact else {"min": value.lo, "max": value.hi}
    return {"type": kind, "name": names[kind], "value": v, "unit": unit}


def impacts_block(energy_kwh: Range, gwp_usage_kg: Range, gwp_embodied_kg: Range | None,
                  warnings: list[str]) -> dict[str, Any]:
    """An object shaped like EcoLogits' ``ImpactsOutput`` (``energy``, ``gwp``, ``usage``,
    ``embodied``, ``warnings``), so a dashboard that reads EcoLogits reads this too. ADPe, PE
    and water are not estimated by wattprint here: ``null``."""
    total_gwp = gwp_usage_kg if gwp_embodied_kg is None else Range(
        gwp_usage_kg.lo + gwp_embodied_kg.lo, gwp_usage_kg.hi + gwp_embodied_kg.hi)
    return {
        "energy": impact("energy", energy_kwh, "kWh"),
        "gwp": impact("GWP", total_gwp, "kgCO2eq"),
        "adpe": None, "pe": None, "wcf": None,
        "usage": {"energy": impact("energy", energy_kwh, "kWh"),
                  "gwp": impact("GWP", gwp_usage_kg, "kgCO2eq"),
                  "adpe": None, "pe": None, "wcf": None},
        "embodied": {"gwp": impact("GWP", gwp_embodied_kg, "kgCO2eq"), "adpe": None, "pe": None},
        "warnings": [{"code": "wattprint-estimate", "message": w} for w in warnings],
        "errors": [],
    }
