"""Carbon per provenance total of a meter window; never mixed."""

from __future__ import annotations

import pytest

from wattprint.carbon.intensity import resolve_intensity
from wattprint.carbon.timeseries import IntensitySeries
from wattprint.carbon.window import window_emissions
from wattprint.meters.base import DomainEnergy, DomainSpec, EnergyResult, EstimateModel, Provenance

MODEL = EstimateModel("m", "P = c", {"c_w": 10.0}, "test")


def _result(started_at: float = 0.0) -> EnergyResult:
    gpu = DomainEnergy.from_spec(DomainSpec("gpu:0", "gpu", "b", Provenance.MEASURED, "s"),
                                 3.6e6, 100.0)
    cpu = DomainEnergy.from_spec(DomainSpec("cpu:0", "cpu", "b", Provenance.ESTIMATED, "s",
                                            uncertainty=0.5, model=MODEL), 1.8e6, 100.0)
    return EnergyResult("query", started_at, 100.0, (gpu, cpu))


def test_one_emissions_per_provenance():
    out = window_emissions(_result(), resolve_intensity(intensity_g_per_kwh=100), pue=1.5)
    by = {w.provenance: w for w in out}
    assert set(by) == {"measured", "estimated"}
    assert by["measured"].emissions.carbon_g == pytest.approx(150.0)   # 1 kWh × 1.5 × 100
    assert by["estimated"].emissions.carbon_g == pytest.approx(75.0)   # 0.5 kWh × 1.5 × 100
    assert by["estimated"].uncertainty_g == pytest.approx(37.5)        # ±50 %
    assert by["measured"].uncertainty_g is None
    assert by["measured"].to_dict()["emissions_g"] == pytest.approx(150.0)


def test_window_uses_time_series_over_its_span():
    s = IntensitySeries(times_s=(1000.0, 1050.0), values_g_per_kwh=(100.0, 300.0), step_s=50.0,
                        source="test")
    out = window_emissions(_result(started_at=1000.0), s)
    measured = next(w for w in out if w.provenance == "measured")
    assert measured.emissions.carbon_g == pytest.approx(200.0)  # half 100, half 300
