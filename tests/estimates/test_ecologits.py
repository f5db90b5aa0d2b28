"""EcoLogits' formula, checked against numbers worked out by hand from its published constants
(docs/methodology/llm_inference.md: alpha 1.17e-6, beta -1.12e-2, gamma 4.05e-5, batch 64)."""

import math

import pytest

from wattprint.estimates.catalog import Range
from wattprint.estimates.ecologits import (
    ecologits_llm,
    gpu_count,
    gpu_energy_per_token_kwh,
    impacts_block,
)


def test_gpu_counts_round_memory_up_to_a_power_of_two():
    assert gpu_count(8) == 1       # 1.2 * 16 GB = 19.2 GB
    assert gpu_count(70) == 4      # 168 GB / 80 -> 3 -> 4
    assert gpu_count(440) == 16    # 1056 GB / 80 -> 14 -> 16


def test_energy_per_token_at_batch_64():
    # 1.1665e-6 * exp(-0.0112059 * 64) * 70 + 4.0529e-5 Wh = 8.0385e-5 Wh
    assert gpu_energy_per_token_kwh(70) * 1000 == pytest.approx(8.0385e-5, rel=1e-3)


def test_a_whole_request_by_hand():
    r = ecologits_llm(Range(70, 70), Range(70, 70), 100, pue=Range(1.2, 1.2),
                      grid_kg_per_kwh=0.4)
    gpu = 4 * 100 * 8.0385e-5 / 1000                       # 4 GPUs, 100 tokens, kWh
    latency = 100 * (6.785e-4 * 70 + 3.119e-4 * 64 + 1.9474e-2)   # 8.7e0 s
    server = latency / 3600 * 1.2 * 4 / 8 / 64
    assert r.gpu_energy_kwh.lo == pytest.approx(gpu, rel=1e-3)
    assert r.energy_kwh.lo == pytest.approx(1.2 * (gpu + server), rel=1e-3)
    assert r.gwp_usage_kg.lo == pytest.approx(0.4 * 1.2 * (gpu + server), rel=1e-3)
    embodied = latency * (4 / 8 * 5700 + 4 * 164) / (3 * 365 * 24 * 3600 * 64)
    assert r.gwp_embodied_kg.lo == pytest.approx(embodied, rel=1e-3)
    assert r.gpus == (4, 4)


def test_ranges_use_the_min_and_max_corners():
    r = ecologits_llm(Range(44, 132), Range(440, 440), 50, pue=Range(1.1, 1.2),
                      grid_kg_per_kwh=0.4)
    lo = ecologits_llm(Range(44, 44), Range(440, 440), 50, pue=Range(1.1, 1.1),
                       grid_kg_per_kwh=0.4)
    hi = ecologits_llm(Range(132, 132), Range(440, 440), 50, pue=Range(1.2, 1.2),
                       grid_kg_per_kwh=0.4)
    assert r.energy_kwh == Range(lo.energy_kwh.lo, hi.energy_kwh.hi)


def test_the_block_has_ecologits_field_shapes():
    b = impacts_block(Range(1e-4, 3e-4), Range(4e-5, 1e-4), None, ["w"])
    assert b["energy"] == {"type": "energy", "name": "Energy",
                           "value": {"min": 1e-4, "max": 3e-4}, "unit": "kWh"}
    assert b["usage"]["gwp"]["unit"] == "kgCO2eq" and b["embodied"]["gwp"] is None
    assert b["wcf"] is None and b["warnings"][0]["message"] == "w"
    exact = impacts_block(Range(2e-4, 2e-4), Range(1e-5, 1e-5), Range(1e-6, 1e-6), [])
    assert exact["energy"]["value"] == 2e-4
    assert math.isclose(exact["gwp"]["value"], 1.1e-5)
