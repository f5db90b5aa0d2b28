import math

import pytest

from wattprint.carbon.factors import Factor
from wattprint.carbon.water import (
    facilities,
    load_wue_csv,
    offsite_factors,
    resolve_water_intensity,
    resolve_wue,
    water_figure,
    wue_from_series,
)
from wattprint.errors import ConfigError

KWH = 3.6e6


def _f(value, low=None, high=None):
    return Factor("x", "k", value, "L/kWh", value if low is None else low,
                  value if high is None else high, "test")


def test_every_shipped_row_is_sourced_and_in_range():
    for fac in facilities().values():
        for f in (fac.pue, fac.wue):
            if f is None:
                continue
            assert f.source and f.year and f.licence and f.version and f.source_url, f
            assert f.low <= f.value <= f.high
    table = offsite_factors()
    assert "world" in table and len(table) >= 40
    for f in table.values():
        assert f.source and f.year and f.licence and f.version and 0 < f.value < 30


def test_water_formula_known_by_construction():
    # 2 kWh IT energy, WUE 0.5, PUE 1.2, grid 3 L/kWh: 1 L on site, 7.2 L off site
    fig = water_figure(2 * KWH, 1.2, _f(0.5), _f(3.0))
    parts = {p.name: p for p in fig.parts}
    assert parts["on-site"].value == pytest.approx(1.0)
    assert parts["off-site"].value == pytest.approx(7.2)
    assert fig.value == pytest.approx(8.2) and fig.usage == pytest.approx(8.2)
    assert fig.provenance == "estimated" and fig.unit == "L"
    # embodied water is shown, outside the boundary, never counted and never a zero
    assert parts["embodied"].value is None and not parts["embodied"].counted
    assert "not modelled" in parts["embodied"].reason
    assert fig.embodied is None


def test_interval_adds_factor_and_energy_ranges():
    fig = water_figure(1 * KWH, 1.0, _f(0.3, 0.0, 1.15), _f(2.0),
                       energy_low_j=0.5 * KWH, energy_high_j=2 * KWH)
    assert fig.low == pytest.approx(0.0 + 0.5 * 2.0)
    assert fig.high == pytest.approx(2 * 1.15 + 2 * 2.0)
    assert fig.low <= fig.value <= fig.high


def test_wue_resolution_order_and_defaults():
    assert resolve_wue(wue="0.2", provider="google").value == 0.2  # the flag wins
    assert resolve_wue(provider="google").value == pytest.approx(1.15)
    assert resolve_wue(cloud="aws:us-west-2").value == pytest.approx(0.15)
    assert resolve_wue(cloud="azure:westeurope").key == "microsoft"
    d = resolve_wue()
    assert d.defaulted and d.low == 0.0 and d.high == pytest.approx(1.15)
    # the default is the median of the shipped fleet values, as its source says
    fleet = sorted(f.wue.value for k, f in facilities().items() if k != "default" and f.wue)
    assert d.value == pytest.approx(fleet[len(fleet) // 2])


@pytest.mark.parametrize("bad,match", [("-0.1", "--wue: expected a number >= 0 L/kWh"),
                                       ("abc", "--wue: expected a number"),
                                       ("nan", "--wue"), ("50", "above any plausible")])
def test_bad_wue_names_the_flag(bad, match):
    with pytest.raises(ConfigError, match=match):
        resolve_wue(wue=bad)


def test_unknown_provider_lists_valid():
    with pytest.raises(ConfigError, match="unknown --provider 'googel'.*google"):
        resolve_wue(provider="googel")


def test_offsite_by_location():
    assert resolve_water_intensity(country="SE").value == pytest.approx(6.0315)
    us = resolve_water_intensity(region="US-OR")
    assert us.key == "US" and "country average" in us.note
    assert resolve_water_intensity(cloud="gcp:europe-west4").key == "NL"
    w = resolve_water_intensity()
    assert w.key == "world" and w.defaulted
    ke = resolve_water_intensity(country="KE")  # not in the water table: world, and says so
    assert ke.defaulted and "world average used" in ke.note
    with pytest.raises(ConfigError, match="--water-intensity"):
        resolve_water_intensity(value="-3")


def test_wue_time_series(tmp_path):
    p = tmp_path / "wue.csv"
    p.write_text("timestamp,wue\n2024-01-01T00:00:00Z,0.2\n2024-01-01T01:00:00Z,0.6\n"
                 "2024-01-01T02:00:00Z,0.6\n")
    s = load_wue_csv(p)
    t0 = s.times_s[0]
    f = wue_from_series(s, t0 + 1800, t0 + 7200)  # half an hour at 0.2, an hour at 0.6
    assert f.value == pytest.approx((0.5 * 0.2 + 1.0 * 0.6) / 1.5)
    assert "--wue-csv" in f.source


@pytest.mark.parametrize("text,match", [
    ("timestamp,wue\n2024-01-01T00:00:00Z,0.2\n2024-01-01T01:00:00Z,-1\n", "line 3: WUE '-1'"),
    ("timestamp,wue\n2024-01-01T00:00:00Z,0.2\nnot-a-time,0.3\n", "line 3: 'timestamp'"),
    ("timestamp,wue\n2024-01-01T00:00:00Z,0.2\n2024-01-01T01:00:00Z,40\n", "line 3: WUE 40"),
    ("time,foo\n2024-01-01T00:00:00Z,0.2\n", "line 1: no WUE column"),
])
def test_bad_wue_csv_names_file_and_line(tmp_path, text, match):
    p = tmp_path / "w.csv"
    p.write_text(text)
    with pytest.raises(ConfigError, match=match) as err:
        load_wue_csv(p)
    assert str(p) in str(err.value)


def test_bad_inputs_to_the_formula():
    with pytest.raises(ConfigError, match="energy"):
        water_figure(-1.0, 1.0, _f(0.1), _f(1.0))
    with pytest.raises(ConfigError, match="PUE"):
        water_figure(1.0, 0.9, _f(0.1), _f(1.0))
    assert math.isclose(water_figure(0.0, 1.0, _f(0.1), _f(1.0)).value, 0.0)
