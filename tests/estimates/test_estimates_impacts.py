import pytest

from wattprint.carbon.intensity import lookup_country
from wattprint.estimates.catalog import Range
from wattprint.estimates.impacts import request_impacts
from wattprint.estimates.llm import LlmRequest, estimate_llm
from wattprint.estimates.reference import reference_fit


@pytest.fixture(scope="module")
def fit():
    return reference_fit()


def test_facility_energy_and_carbon_follow_pue_and_grid(fit):
    e = estimate_llm(LlmRequest("gpt-4o", 100, 400), fit)
    us = lookup_country("US")
    imp = request_impacts(e, us)
    assert imp.pue == Range(1.2, 1.2) and "EcoLogits" in imp.pue_source    # OpenAI's
    assert imp.it_energy.central_j == pytest.approx(e.energy.central_j + e.host.central_j)
    assert imp.facility_energy.central_j == pytest.approx(1.2 * imp.it_energy.central_j)
    g = imp.gwp_usage_g
    assert g.central_j == pytest.approx(imp.facility_energy.central_j / 3.6e6 * us.value_g_per_kwh)
    d = imp.to_dict()
    en = d["impacts"]["energy"]
    assert en["unit"] == "kWh"
    assert en["value"]["min"] == pytest.approx(imp.facility_energy.low_j / 3.6e6)
    assert en["value"]["max"] == pytest.approx(imp.facility_energy.high_j / 3.6e6)
    assert d["impacts"]["usage"]["gwp"]["value"]["max"] == pytest.approx(g.high_j / 1000)
    assert d["carbon"]["embodied_g"] is None and d["impacts"]["embodied"]["gwp"] is None
    # our total range 200-440B at 16 bits: 480 GB -> 6 -> 8 GPUs, 1056 GB -> 14 -> 16
    assert d["ecologits_formula"]["gpus"] == [8, 16]


def test_without_provider_or_pue_the_it_energy_is_reported(fit):
    e = estimate_llm(LlmRequest("meta-llama/Llama-3.1-8B-Instruct", 10, 10), fit)
    imp = request_impacts(e, lookup_country("FR"))
    assert imp.pue == Range(1.0, 1.0) and "none given" in imp.pue_source
    assert imp.facility_energy == imp.it_energy
