"""Cross-checks of the impact layer against published figures, computed from their inputs.

Tolerance: a published figure is rounded (``0.23`` Wh means [0.225, 0.235)). Where the inputs
are exact constants (EcoLogits' code), the figure computed from them must fall inside the
published figure's rounding interval. Where an input is itself rounded (Google's 0.24 Wh), the
interval of figures computed over the input's rounding interval must overlap the published
figure's rounding interval. Each check is shown to fail on a plausible mistake (the PUE
applied twice or not at all, the wrong latency), so it can fail.

Sources of the inputs:

* EcoLogits 0.9.1 (github.com/genai-impact/ecologits, commit 2d0a1c7, MPL-2.0):
  ``ecologits/impacts/llm.py`` (GPU energy and latency fits, server power 1.2 kW, 8 GPUs per
  server, H100 80 GB, 16-bit weights, batch 64, 164 kg CO2eq per GPU, 5,700 kg per server,
  3-year lifespan), ``ecologits/tracers/utils.py`` (mistralai: Sweden, PUE 1.16, WUE 0.09),
  ``ecologits/data/electricity_mixes.csv`` (SWE: 0.03582 kg CO2eq/kWh, 6.0315 L/kWh),
  ``ecologits/data/models.json`` (mistral-large-2407: dense, 123 B parameters); the EcoLogits
  Calculator (github.com/genai-impact/ecologits-calculator, commit c6c2a93)
  ``src/data/throughputs.json`` (mistral-large-latest: 48.6 tokens/s) sets the latency of its
  published example: 400 output tokens -> 0.23 Wh, 0.013 g CO2eq, 1.63 mL (blog post
  "Major update in our methodology", 2025-11-13).
* Google, Elsworth et al., arXiv:2508.15734: median Gemini Apps text prompt 0.24 Wh (of which
  0.02 Wh data-centre overhead; fleet PUE 1.09), water = IT energy x fleet WUE 1.15 L/kWh, on
  site only -> 0.26 mL; accelerator-only boundary 0.10 Wh -> 0.12 mL.
"""

import math

import pytest

from wattprint.carbon.embodied import devices
from wattprint.carbon.factors import Factor
from wattprint.carbon.impact_settings import resolve_impact_settings
from wattprint.carbon.impact_summary import impact_summary, intensity_factor
from wattprint.carbon.water import facilities, offsite_factors, water_figure

J_PER_WH = 3600.0


def rounding_interval(published: float, decimals: int) -> tuple[float, float]:
    """The values a figure rounded to ``decimals`` places can stand for."""
    half = 0.5 * 10 ** -decimals
    return published - half, published + half


def inside(x: float, published: float, decimals: int) -> bool:
    lo, hi = rounding_interval(published, decimals)
    return lo <= x < hi


def overlaps(a: tuple[float, float], b: tuple[float, float]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


# ---------------------------------------------------------------- EcoLogits (Mistral Large 2)

ALPHA, BETA, GAMMA = 1.1665273170451914e-06, -0.011205921025579175, 4.052928146734005e-05
LAT_ALPHA, LAT_BETA, LAT_GAMMA = 0.0006785088094353663, 0.0003119310311688259, 0.019473717579473387
BATCH = 64
SERVER_W, SERVER_GPUS, GPU_MEMORY_GB, BITS = 1200.0, 8, 80.0, 16
PARAMS_B, TOKENS, TPS = 123.0, 400, 48.6
PUE_MISTRAL, WUE_MISTRAL = 1.16, 0.09
SWE_G_PER_KWH = 35.82  # 0.03582 kg CO2eq/kWh


def ecologits_it_energy_wh(latency_s: float) -> tuple[float, int]:
    """EcoLogits' modelled IT energy of one request (our code, their formulas): GPUs + the
    request's share of the host."""
    per_token_wh = ALPHA * math.exp(BETA * BATCH) * PARAMS_B + GAMMA
    n = math.ceil(1.2 * PARAMS_B * BITS / 8 / GPU_MEMORY_GB)
    n = 2 ** math.ceil(math.log2(n))
    host_wh = latency_s / 3600 * SERVER_W * n / SERVER_GPUS / BATCH
    return host_wh + n * TOKENS * per_token_wh, n


def _ecologits_case(latency_s: float):
    it_wh, n = ecologits_it_energy_wh(latency_s)
    settings = resolve_impact_settings(wue=WUE_MISTRAL, country="SE", gpu_model="h100",
                                       device_share=1 / BATCH)
    s = impact_summary(it_wh * J_PER_WH, settings, pue=PUE_MISTRAL,
                       intensity=intensity_factor(SWE_G_PER_KWH, "EcoLogits SWE"),
                       busy_s=latency_s, gpu_count=n)
    return it_wh, n, s, settings


def test_our_tables_hold_ecologits_constants():
    # the factors wattprint ships are the ones EcoLogits used (else the check proves nothing)
    d = devices()
    assert d["nvidia-h100"].factor.value == 164 and d["nvidia-h100"].server == "aws-p5.48xlarge"
    assert d["aws-p5.48xlarge"].factor.value == 5700 and d["aws-p5.48xlarge"].gpu_slots == 8
    assert offsite_factors()["SE"].value == pytest.approx(6.0315)


def test_ecologits_mistral_large_2_example():
    latency = TOKENS / TPS
    it_wh, n, s, settings = _ecologits_case(latency)
    assert n == 4  # 1.2 x 123 B x 2 bytes = 295 GB -> 4 H100 80 GB
    assert settings.lifetime_s == pytest.approx(3 * 365 * 24 * 3600)
    energy_wh = it_wh * PUE_MISTRAL
    assert inside(energy_wh, 0.23, 2), energy_wh                   # 0.2301 Wh
    assert inside(s.carbon.value, 0.013, 3), s.carbon.value         # 0.01301 g
    assert s.carbon.usage == pytest.approx(energy_wh / 1000 * SWE_G_PER_KWH)
    assert s.carbon.embodied == pytest.approx(0.0047657, rel=1e-4)  # 37 % of the total

    # Water: EcoLogits multiplies its request energy (IT x PUE) by (WUE + PUE x off-site).
    # wattprint applies WUE to the IT energy and PUE once (ISO/IEC 30134-9: WUE is per kWh of
    # IT energy): from the same inputs it gives 1/PUE of EcoLogits' figure, 1.41 mL.
    ours = s.water.value * 1000
    theirs = water_figure(energy_wh * J_PER_WH, PUE_MISTRAL, settings.wue,
                          settings.water_intensity).value * 1000
    assert inside(theirs, 1.63, 2), theirs                          # 1.6304 mL
    assert ours == pytest.approx(theirs / PUE_MISTRAL)
    assert not inside(ours, 1.63, 2)                                # a real difference


def test_ecologits_check_can_fail():
    # with EcoLogits' fitted latency (ML.ENERGY, batch 64) instead of the calculator's
    # measured throughput, the same code misses the published figure by far
    latency = TOKENS * (LAT_ALPHA * PARAMS_B + LAT_BETA * BATCH + LAT_GAMMA)
    it_wh, _, s, _ = _ecologits_case(latency)
    assert not inside(it_wh * PUE_MISTRAL, 0.23, 2)
    assert not inside(s.carbon.value, 0.013, 3)


# ---------------------------------------------------------------------- Google (Gemini)

def _google_onsite_ml(total_wh: float, pue: float) -> float:
    g = facilities()["google"]
    assert g.wue is not None
    no_offsite = Factor("off-site water intensity", "none", 0.0, "L/kWh", 0.0, 0.0,
                        "Google's boundary: on-site only")
    fig = water_figure(total_wh / pue * J_PER_WH, pue, g.wue, no_offsite)
    return {p.name: p.value for p in fig.parts}["on-site"] * 1000


def _google_interval(wh: float, pue: float) -> tuple[float, float]:
    lo, hi = rounding_interval(wh, 2)
    return _google_onsite_ml(lo, pue), _google_onsite_ml(hi, pue)


def test_google_median_prompt_water():
    g = facilities()["google"]
    assert g.pue is not None and g.pue.value == pytest.approx(1.09)
    # comprehensive boundary: 0.24 Wh at the facility, PUE 1.09 -> 0.220 Wh IT -> 0.253 mL
    assert _google_onsite_ml(0.24, 1.09) == pytest.approx(0.24 / 1.09 * 1.15)
    assert overlaps(_google_interval(0.24, 1.09), rounding_interval(0.26, 2))
    # accelerator-only boundary has no facility overhead: 0.10 Wh -> 0.115 mL
    assert overlaps(_google_interval(0.10, 1.0), rounding_interval(0.12, 2))


def test_google_check_can_fail():
    # WUE applied to the facility energy (PUE not removed): 0.276 mL, outside 0.26
    assert not overlaps(_google_interval(0.24, 1.0), rounding_interval(0.26, 2))
    # off-site water added (world average grid): far above Google's on-site figure
    g = facilities()["google"]
    assert g.wue is not None
    total = water_figure(0.24 / 1.09 * J_PER_WH, 1.09, g.wue, offsite_factors()["world"])
    assert total.value * 1000 > 0.265
