"""The shipped intensity tables and the resolution API."""

from __future__ import annotations

import pytest

from wattprint.carbon.intensity import (
    cloud_regions,
    grid_rows,
    resolve_intensity,
    search_table,
    us_states,
)
from wattprint.errors import ConfigError


def test_every_grid_row_has_value_source_year_and_licence():
    rows = grid_rows()
    assert len(rows) > 100
    for r in rows:
        assert 0 < r.value_g_per_kwh < 1300, r
        assert 2015 <= r.year <= 2025, r
        assert r.source.strip() and r.source_url.startswith("https://"), r
        assert r.licence.strip(), r
        assert r.name.strip(), r


def test_codes_unique_and_iso_codes_well_formed():
    rows = grid_rows()
    codes = [r.code for r in rows]
    assert len(codes) == len(set(codes))
    countries = [r for r in rows if r.kind == "country"]
    assert len(countries) >= 60
    a2 = [r.alpha2 for r in countries]
    a3 = [r.alpha3 for r in countries]
    assert len(set(a2)) == len(a2) and len(set(a3)) == len(a3)
    for r in countries:
        assert len(r.alpha2) == 2 and r.alpha2.isupper() and r.code == r.alpha2, r
        assert len(r.alpha3) == 3 and r.alpha3.isupper(), r
    assert sum(r.kind == "us-region" for r in rows) >= 20
    assert [r for r in rows if r.kind == "world"]


def test_alpha2_alpha3_and_name_resolve_to_the_same_row():
    for r in grid_rows():
        if r.kind != "country":
            continue
        by2 = resolve_intensity(country=r.alpha2)
        assert by2.code == r.code
        assert resolve_intensity(country=r.alpha3).code == r.code
        assert resolve_intensity(country=r.name.lower()).code == r.code


def test_large_grids_present_with_ember_values():
    # Ember yearly data, as published (two decimals) -> rounded: FR 56.04 (2023), DE 380.95
    # (2023), CN 585.82 (2022), IN 705.13 (2022), US 385.98 (2022), world 485.99 (2022).
    expect = {"FR": (56, 2023), "DE": (381, 2023), "CN": (586, 2022), "IN": (705, 2022),
              "US": (386, 2022), "JP": (513, 2022), "GB": (238, 2023), "BR": (106, 2022)}
    for code, (value, year) in expect.items():
        got = resolve_intensity(country=code)
        assert (got.value_g_per_kwh, got.year) == (value, year), code
    world = resolve_intensity(country="world")
    assert world.value_g_per_kwh == 486 and not world.defaulted


def test_egrid_value_recomputed_by_hand_from_lb_per_mwh():
    # eGRID2022 NWPP: CO2 602.088, CH4 0.056, N2O 0.008 lb/MWh.
    # CO2e = 602.088 + 28*0.056 + 265*0.008 = 605.776 lb/MWh; * 0.45359237 = 274.78 g/kWh.
    nwpp = resolve_intensity(region="US-NWPP")
    assert nwpp.value_g_per_kwh == 275
    assert "602.088" in nwpp.note
    # CAMX: 497.443 + 28*0.03 + 265*0.004 = 499.343 lb/MWh -> 226.50 g/kWh -> 226 (rounded)
    assert resolve_intensity(region="CAMX").value_g_per_kwh == 226


def test_nothing_given_is_world_average_and_says_so():
    got = resolve_intensity()
    assert got.defaulted is True
    assert got.kind == "world"
    assert "no location given" in got.label
    assert got.value_g_per_kwh == 486


def test_cloud_region_maps_to_its_grid():
    got = resolve_intensity(cloud="aws:us-west-2")
    assert got.kind == "cloud" and got.code == "US-NWPP"
    assert got.value_g_per_kwh == resolve_intensity(region="US-NWPP").value_g_per_kwh
    assert "mapping" in got.note
    assert resolve_intensity(cloud="GCP:europe-west9").code == "FR"
    assert resolve_intensity(cloud="azure:westeurope").code == "NL"


def test_cloud_coverage_and_every_mapping_resolves():
    regions = cloud_regions()
    per = {p: sum(c.provider == p for c in regions) for p in ("aws", "gcp", "azure")}
    assert per["aws"] >= 15 and per["gcp"] >= 10 and per["azure"] >= 10
    codes = {r.code for r in grid_rows()}
    keys = [c.key for c in regions]
    assert len(keys) == len(set(keys))
    for c in regions:
        assert c.grid_code in codes, c
        assert c.mapping_source.strip(), c


def test_us_state_resolves_to_subregion_and_says_so():
    got = resolve_intensity(region="US-OR")
    assert got.kind == "us-state" and got.code == "US-NWPP"
    assert "not a state average" in got.note
    assert resolve_intensity(region="texas").code == "US-ERCT"
    codes = {r.code for r in grid_rows()}
    assert all(g in codes for _, _, g, _ in us_states())


def test_user_intensity():
    got = resolve_intensity(intensity_g_per_kwh="138.75")
    assert got.value_g_per_kwh == 138.75 and got.kind == "user" and got.year is None


@pytest.mark.parametrize("kwargs, fragment", [
    ({"country": "Frnace"}, "did you mean 'France'"),
    ({"country": "ZZ"}, "valid codes"),
    ({"country": "US-NWPP"}, "unknown country"),
    ({"region": "US-NWPX"}, "did you mean 'US-NWPP'"),
    ({"cloud": "aws:us-west-9"}, "did you mean 'aws:us-west-2'"),
    ({"cloud": "oracle:us-ashburn-1"}, "unknown cloud provider"),
    ({"cloud": "us-west-2"}, "provider:region"),
    ({"intensity_g_per_kwh": "-5"}, "> 0"),
    ({"intensity_g_per_kwh": "abc"}, "expected a number"),
    ({"intensity_g_per_kwh": "0"}, "> 0"),
    ({"intensity_g_per_kwh": "138750"}, "above any real grid"),
    ({"country": "FR", "cloud": "aws:us-west-2"}, "only one"),
])
def test_bad_input_errors(kwargs, fragment):
    with pytest.raises(ConfigError) as info:
        resolve_intensity(**kwargs)
    assert fragment in str(info.value)


def test_search_table():
    rows = search_table("oregon")
    keys = {r["key"] for r in rows}
    assert {"US-OR", "aws:us-west-2", "gcp:us-west1"} <= keys
    assert all("value_g_per_kwh" in r for r in rows)
    assert len(search_table(None)) == len(grid_rows()) + len(us_states()) + len(cloud_regions())
