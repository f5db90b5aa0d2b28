"""Emissions and PUE, checked by hand."""

from __future__ import annotations

import pytest

from wattprint.carbon.emissions import emissions, emissions_timeseries, emissions_window
from wattprint.carbon.intensity import resolve_intensity
from wattprint.carbon.timeseries import IntensitySeries
from wattprint.errors import ConfigError


def test_study_sdxl_figure():
    # 11.49 kWh at 138.75 g/kWh = 1526.25 + 67.9875 = 1,594.24 g (the study's 1,594 g for SDXL).
    em = emissions(11.49 * 3.6e6, resolve_intensity(intensity_g_per_kwh=138.75))
    assert em.carbon_g == pytest.approx(1594.2375)
    assert em.pue == 1.0 and em.energy_facility_j == em.energy_j


def test_pue_applied_and_recorded():
    fr = resolve_intensity(country="FR")  # 56 g/kWh
    em = emissions(3.6e6, fr, pue=1.5)
    assert em.energy_facility_j == pytest.approx(5.4e6)
    assert em.carbon_g == pytest.approx(1.5 * 56)
    d = em.to_dict()
    assert d["pue"] == 1.5 and d["emissions_g"] == d["carbon_g"] == pytest.approx(84)
    assert d["intensity_source"].startswith("Ember")


def test_defaulted_flag_carried():
    assert emissions(1.0, resolve_intensity()).intensity_defaulted is True


@pytest.mark.parametrize("energy, pue, fragment", [
    (-1.0, 1.0, ">= 0 J"), ("x", 1.0, "number of joules"), (1.0, 0.9, ">= 1.0"),
    (1.0, "abc", ">= 1.0"), (1.0, 12, "above any real facility"),
])
def test_bad_inputs(energy, pue, fragment):
    with pytest.raises(ConfigError) as info:
        emissions(energy, resolve_intensity(country="FR"), pue)
    assert fragment in str(info.value)


def test_timeseries_with_pue_by_hand():
    s = IntensitySeries(times_s=(0.0, 100.0), values_g_per_kwh=(100.0, 300.0), step_s=100.0,
                        source="test")
    # 3.6e6 J over 50..150 s: half at 100, half at 300 -> 200 g; PUE 1.25 -> 250 g.
    em = emissions_timeseries([(50.0, 150.0, 3.6e6)], s, pue=1.25)
    assert em.carbon_g == pytest.approx(250.0)
    assert em.intensity_g_per_kwh == pytest.approx(200.0)
    assert em.intensity_kind == "timeseries"
    with pytest.raises(ConfigError, match="--start"):
        emissions_window(1.0, s)


def test_energy_times_pue_that_overflows_is_refused():
    with pytest.raises(ConfigError, match="overflows"):
        emissions(1.7e308, resolve_intensity(), pue=2.0)
