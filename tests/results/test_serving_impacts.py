"""Impacts of served load points: stored with each point by `wattprint load`, computed from
the recorded factors, shown per request and per 1,000 requests, exported (CSV and JSON)."""

from __future__ import annotations

import dataclasses

import pytest

from wattprint.carbon.impact_settings import resolve_impact_settings
from wattprint.carbon.record import CarbonRecord
from wattprint.cli import main
from wattprint.cli.impact_options import impact_options_from_args
from wattprint.results.serving_impacts import (
    NOT_RECORDED,
    serving_impact_columns,
    serving_impacts_json,
    stored_point_impacts,
)
from wattprint.results.serving_record import ServingPoint
from wattprint.results.serving_store import read_points, write_points
from wattprint.results.store import ResultStore

H100 = "whole GPU NVIDIA H100 80GB HBM3"
CARBON = CarbonRecord(intensity_g_per_kwh=100.0, intensity_source="test grid", pue=1.2,
                      impacts=resolve_impact_settings(wue=0.5, water_intensity=2.0))
YEAR_S = 365 * 24 * 3600
H100_KG = 164 + 5700 / 8     # one GPU and its eighth of the host (embodied.csv)


def _point(**kw) -> ServingPoint:
    base = dict(point_id="p", run_id="r", endpoint="http://x", model="m",
                arrivals="poisson 2 req/s", offered_rps=2.0, achieved_rps=2.0, requests_ok=20,
                requests_failed=0, output_tokens=1280, output_token_source="usage",
                j_per_request=180.0, j_per_output_token=2.8, p50_ttft_s=0.1, p95_ttft_s=0.2,
                p50_itl_s=0.01, p95_itl_s=0.02, steady_window_s=10.0, whole_window_s=12.0,
                energy_window="steady", energy_j=3600.0, avg_power_w=360.0,
                idle_power_w=100.0, energy_provenance="measured", energy_domains=("gpu:0",),
                attribution_residual=0.0, carbon=CARBON,
                domains=({"name": "gpu:0", "component": "gpu", "scope": "device",
                          "boundary": H100, "energy_j": 4000.0},))
    return ServingPoint(**{**base, **kw})


def test_figures_from_the_recorded_factors_per_request_and_per_1000():
    s = stored_point_impacts(_point())
    assert s is not None
    # 3600 J = 1 Wh; water = 0.001 kWh x (WUE 0.5 + PUE 1.2 x 2 L/kWh)
    assert s.water.value == pytest.approx(0.001 * (0.5 + 1.2 * 2.0))
    assert s.carbon.usage == pytest.approx(0.001 * 1.2 * 100.0)
    emb = H100_KG * 1000 * 10.0 / (3 * YEAR_S)   # one H100 held for the 10 s steady window
    assert s.carbon.embodied == pytest.approx(emb)
    per = {c.per: (c, w) for c, w in s.scaled}
    # 3600 J / 180 J per request = 20 request-equivalents served in the window
    assert per["request"][1].value == pytest.approx(0.0029 / 20)
    assert per["request"][0].embodied == pytest.approx(emb / 20)
    assert per["1,000 requests"][0].value == pytest.approx((0.12 + emb) / 20 * 1000)
    # --whole-window: the busy time is the whole run (12 s)
    whole = stored_point_impacts(_point(energy_window="whole"))
    assert whole.carbon.embodied == pytest.approx(emb * 12 / 10)
    assert whole.carbon.parameters["busy_s"] == pytest.approx(12.0)


def test_the_load_flags_give_the_stored_figures():
    import argparse

    from wattprint.cli.carbon_options import carbon_from_args
    from wattprint.cli.impact_options import carbon_record_from_args, point_impacts

    args = argparse.Namespace(intensity="100", pue="1.2", wue="0.5", water_intensity="2")
    intensity, pue = carbon_from_args(args)
    flags = point_impacts(_point(carbon=None), intensity, pue, impact_options_from_args(args))
    stored = stored_point_impacts(_point(carbon=carbon_record_from_args(args)))
    for (fc, fw), (sc, sw) in zip(flags.scaled, stored.scaled, strict=True):
        assert (fc.per, fc.value, fc.embodied, fw.value) == (sc.per, sc.value, sc.embodied,
                                                             sw.value)
    assert stored.water.value == pytest.approx(0.0029)


def test_estimated_energy_carries_its_band():
    p = _point(energy_provenance="estimated", energy_domains=("cpu:machine",),
               domains=({"name": "cpu:machine", "component": "cpu", "energy_j": 4000.0,
                         "uncertainty": 0.4},))
    s = stored_point_impacts(p)
    assert s.water.low == pytest.approx(0.6 * s.water.value)
    assert s.water.high == pytest.approx(1.4 * s.water.value)
    assert s.carbon.embodied is None and "no GPU was measured" in s.carbon.missing_reasons()[0]


def test_point_carbon_round_trips_through_the_store_and_old_points_say_why(tmp_path):
    with ResultStore(tmp_path / "s.db") as s:
        write_points(s, [_point(), _point(point_id="old", carbon=None)])
        new, old = read_points(s)
    assert new.carbon == CARBON and new.carbon.impacts == CARBON.impacts
    assert stored_point_impacts(old) is None
    assert serving_impacts_json(old) == {"note": NOT_RECORDED}
    cols = serving_impact_columns(old)
    assert cols["impact.note"] == NOT_RECORDED and "impact.water_l.per_request" not in cols
    # a record written before the field existed reads, with no figures
    d = _point().to_dict()
    del d["carbon"]
    assert ServingPoint.from_dict(d).carbon is None


def test_export_columns_split_usage_and_embodied_with_sources():
    cols = serving_impact_columns(_point())
    assert cols["impact.water_l.per_request"] == pytest.approx(0.0029 / 20)
    assert cols["impact.water_onsite_l.per_1k_requests"] == pytest.approx(0.0005 / 20 * 1000)
    assert cols["impact.carbon_operational_g.per_request"] == pytest.approx(0.12 / 20)
    assert cols["impact.carbon_embodied_g.per_request"] > 0
    assert cols["impact.carbon_g.per_request"] == pytest.approx(
        cols["impact.carbon_operational_g.per_request"] + cols["impact.carbon_embodied_g.per_request"])
    assert cols["impact.factor.grid carbon intensity.source"] == "test grid"
    assert cols["impact.busy_s"] == pytest.approx(10.0)


def test_export_serving_parquet_and_points_without_factors(tmp_path, capsys):
    pytest.importorskip("pyarrow")
    import pandas as pd

    db = tmp_path / "s.db"
    with ResultStore(db) as s:
        write_points(s, [_point(), dataclasses.replace(_point(point_id="b"), carbon=None)])
    out = tmp_path / "p.parquet"
    assert main(["export", "--kind", "serving", "--format", "parquet", "--store", str(db),
                 "--out", str(out)]) == 0
    df = pd.read_parquet(out)
    assert list(df["point_id"]) == ["p", "b"]
    assert df["impact.water_l.per_request"][0] == pytest.approx(0.0029 / 20)
    assert pd.isna(df["impact.water_l.per_request"][1]) and df["impact.note"][1] == NOT_RECORDED


def test_each_missing_input_is_named_and_gives_no_figure():
    no_grid = _point(carbon=dataclasses.replace(CARBON, intensity_g_per_kwh=None))
    assert stored_point_impacts(no_grid) is None
    assert serving_impacts_json(no_grid)["note"] == "no grid intensity recorded with this load point"
    no_energy = _point(energy_j=0.0)
    assert stored_point_impacts(no_energy) is None
    assert serving_impact_columns(no_energy)["impact.note"] == \
        "no energy measured in the point's window"
    # no request served in the window: figures per window only, none per request
    s = stored_point_impacts(_point(j_per_request=None))
    assert s is not None and s.water.value == pytest.approx(0.0029) and not s.scaled
    cols = serving_impact_columns(_point(j_per_request=None))
    assert cols["impact.water_l.window"] == pytest.approx(0.0029)
    assert "impact.water_l.per_request" not in cols


def test_load_point_lines_give_stored_figures_and_say_why_a_point_has_none():
    """`load`'s text block: figures from the factors stored with each point; a point without
    them (stored before points recorded them) gets its reason, never a zero."""
    from wattprint.cli.impact_options import point_impact_lines

    carbon = dataclasses.replace(CARBON, pue=1.0)
    cpu = dict(energy_domains=("cpu",), domains=())
    old = _point(arrivals="poisson 4 req/s", carbon=None, **cpu)
    lines = point_impact_lines([old, _point(carbon=carbon, **cpu)])
    assert lines[:2] == ["poisson 4 req/s:", f"  impacts: none ({NOT_RECORDED})"]
    assert lines[2] == "poisson 2 req/s:"
    text = "\n".join(lines)
    # 1 Wh x (0.5 + 1.0 x 2.0) L/kWh = 2.5 mL and 1 Wh x 100 g/kWh = 0.1 g, over the 20
    # request-equivalents served in the window (3600 J / 180 J per request)
    assert "water per request: 0.125 mL" in text, text
    assert "operational 5 mg CO2eq" in text
    assert "grid carbon intensity 100 g CO2eq/kWh: test grid" in text
