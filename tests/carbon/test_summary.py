"""carbon_summary: the shared output of every command."""

from __future__ import annotations

from wattprint.carbon.intensity import resolve_intensity
from wattprint.carbon.summary import carbon_summary


def test_lines_and_dict():
    s = carbon_summary(3.6e6, resolve_intensity(country="FR"), 1.2)
    d = s.to_dict()
    assert d["emissions_g"] == 1.2 * 56
    assert d["intensity"]["code"] == "FR"
    # energy-based equivalents use the facility energy: 1.2 kWh / 0.022 kWh per charge.
    phone = next(e for e in d["equivalents"] if e["key"] == "smartphone_charges")
    assert abs(phone["value"] - 1.2 / 0.022) < 1e-9
    text = "\n".join(s.lines())
    assert "67.2 g CO2eq" in text and "PUE 1.2" in text and "France (FR)" in text


def test_default_is_announced():
    text = "\n".join(carbon_summary(3.6e6, resolve_intensity()).lines())
    assert "world average" in text and "no location given" in text
