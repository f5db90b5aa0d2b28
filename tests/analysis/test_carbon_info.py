"""Equivalents in the report come from wattprint.carbon, with hand-computed values."""

from __future__ import annotations

import pytest
from report_fixtures import make_result

from wattprint.analysis.carbon_info import carbon_info, equivalents_per_1k
from wattprint.analysis.report import build_report

CAR_G_PER_KM = 393.0 / 1.609344  # EPA 393 g CO2eq per mile


def test_equivalents_by_hand():
    got = equivalents_per_1k(0.044, CAR_G_PER_KM * 3)
    assert got["smartphone charges"] == pytest.approx(2.0)  # 0.044 kWh / 0.022 kWh per charge
    assert got["km driven by an average petrol car"] == pytest.approx(3.0)


def test_no_intensity_means_no_car_km_not_zero():
    got = equivalents_per_1k(0.022, None)
    assert got["smartphone charges"] == pytest.approx(1.0)
    assert got["km driven by an average petrol car"] is None


def test_methodology_lists_sources_and_task_table_shows_equivalents(tmp_path):
    info = carbon_info()
    assert info.available and any("EPA" in line for line in info.lines)
    # 79,200 J over 1,000 inferences = 0.022 kWh per 1,000 = one smartphone charge
    r = make_result(energy_j=79200.0, carbon={"intensity_g_per_kwh": 100.0})
    text = build_report([r], tmp_path, carbon=info).path.read_text()
    assert "smartphone charges / 1k" in text and "Greenhouse Gas Equivalencies" in text
    assert ">1.00<" in text   # one charge per 1,000 queries
    assert ">2.20<" in text   # 0.022 kWh × 100 g/kWh = 2.2 g CO2eq per 1,000
