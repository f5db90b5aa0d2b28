"""Each equivalent against a hand-computed value from its stated constant; docs in step."""

from __future__ import annotations

from pathlib import Path

import pytest

from wattprint.carbon.equivalents import (
    EQUIVALENTS,
    compute_equivalents,
    default_keys,
    equivalent,
)
from wattprint.errors import ConfigError

KWH = 3.6e6

# (key, energy_kwh, carbon_g, expected count), each worked out by hand from the constant.
CASES = [
    ("smartphone_charges", 11.49, 0, 11.49 / 0.022),           # 522.3: the study's "522"
    ("smartphone_charges_epa_pre2024", 11.49, 0, 957.5),      # the study's "950" (v1)
    ("smartphone_charges_epa_pre2024", 0.001914, 0, 0.1595),  # the study's "16 %" (v1)
    ("car_miles_study", 0, 1594, 4.1),                        # the study's 4.1 miles
    ("car_miles", 0, 393, 1.0),
    ("car_km", 0, 393, 1.609344),
    ("petrol_litres", 0, 8887, 3.785411784),                  # one US gallon
    ("web_searches", 0.3, 0, 1000.0),                         # 0.3 Wh each
    ("led_bulb_hours", 1.0, 0, 100.0),                        # 10 W
    ("kettle_boils", 1.0, 0, 10.0),
    ("video_streaming_hours", 0.077, 0, 1.0),
]


@pytest.mark.parametrize("key, kwh, carbon_g, expected", CASES)
def test_equivalent_by_hand(key, kwh, carbon_g, expected):
    [v] = compute_equivalents(kwh * KWH, carbon_g, [key])
    assert v.value == pytest.approx(expected, rel=1e-3)


def test_every_row_is_sourced_and_has_a_basis():
    for e in EQUIVALENTS:
        assert e.basis in ("energy", "co2", "water")
        assert e.constant > 0 and e.source and e.url.startswith("https://") and e.year >= 2008
        assert ("kWh" in e.constant_unit) == (e.basis == "energy"), e


def test_energy_rows_ignore_carbon_and_co2_rows_ignore_energy():
    for e in EQUIVALENTS:
        a = e.count(1.0, 100.0)
        b = e.count(1.0, 200.0) if e.basis == "energy" else e.count(2.0, 100.0)
        assert a == b


def test_factor_selection():
    assert "smartphone_charges" in default_keys()
    assert "smartphone_charges_epa_pre2024" in default_keys(phone_kwh_per_charge=0.012)
    assert "car_miles_study" in default_keys(car_factor="study")
    with pytest.raises(ConfigError, match="0.022"):
        default_keys(phone_kwh_per_charge=0.05)
    with pytest.raises(ConfigError, match="car factor"):
        default_keys(car_factor="bus")
    with pytest.raises(ConfigError, match="unknown equivalent"):
        equivalent("tree_years")
    with pytest.raises(ConfigError):
        compute_equivalents(-1.0, 0.0)


def test_docs_table_matches_code():
    doc = (Path(__file__).resolve().parents[2] / "docs" / "equivalents.md").read_text("utf-8")
    rows = {line.split("|")[1].strip().strip("`"): line for line in doc.splitlines()
            if line.startswith("| `")}
    assert set(rows) == {e.key for e in EQUIVALENTS}
    for e in EQUIVALENTS:
        cells = [c.strip() for c in rows[e.key].split("|")]
        assert cells[3] == e.basis, e.key
        assert float(cells[4]) == pytest.approx(e.constant, rel=1e-3), e.key
        assert cells[5] == e.constant_unit, e.key


def test_water_equivalents_known_by_construction():
    from wattprint.carbon.equivalents import water_equivalents

    by_key = {v.key: v.value for v in water_equivalents(0.26e-3)}
    assert by_key["water_drops"] == pytest.approx(5.2)  # Google: 0.26 mL is "five drops"
    assert by_key["teaspoons"] == pytest.approx(0.26 / 4.92892159375)
    assert {v.key: v.value for v in water_equivalents(6.05666)}["toilet_flushes"] == \
        pytest.approx(1.0, rel=1e-5)
    with pytest.raises(ConfigError, match="water >= 0"):
        water_equivalents(-1.0)
    with pytest.raises(ConfigError, match="not water-based"):
        water_equivalents(1.0, ["car_km"])
    # water rows never count energy or carbon
    assert all(e.count(5.0, 500.0) == 0.0 for e in EQUIVALENTS if e.basis == "water")
