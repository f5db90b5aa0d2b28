"""Water and embodied carbon in the analysis table, the leaderboard, labels and methodology."""

from __future__ import annotations

import math

import pytest
from report_fixtures import make_result

from wattprint.analysis import fmt
from wattprint.analysis.frame import results_frame
from wattprint.analysis.labels import energy_label_svg, label_from_row
from wattprint.analysis.metrics import MODEL_KEYS, aggregate
from wattprint.analysis.report import build_report
from wattprint.carbon.impact_settings import resolve_impact_settings
from wattprint.carbon.record import CarbonRecord
from wattprint.meters.base import DomainEnergy, Provenance

SETTINGS = resolve_impact_settings(wue=0.5, water_intensity=2.0)


def h100(energy_j: float) -> DomainEnergy:
    return DomainEnergy(name="gpu:0", component="gpu", boundary="whole GPU NVIDIA H100 80GB HBM3",
                        provenance=Provenance.MEASURED, source="nvml:total_energy",
                        energy_j=energy_j)


def _results():
    carbon = CarbonRecord(intensity_g_per_kwh=100.0, intensity_source="t", pue=1.0,
                          impacts=SETTINGS)
    new = [make_result(model="new", rep=i, domains=(h100(3.6e6),), duration_s=3600.0,
                       carbon=carbon) for i in range(2)]
    old = [make_result(model="old", rep=0, energy_j=3.6e6,
                       carbon=CarbonRecord(intensity_g_per_kwh=100.0, intensity_source="t"))]
    return new + old


def test_frame_and_leaderboard_columns_known_by_construction():
    df = results_frame(_results())
    new = df[df["model"] == "new"].iloc[0]
    # 1 kWh over 1,000 inferences: 1 kWh/1k; water 0.5 + 1 x 2 = 2.5 L/kWh -> 2,500 mL/1k
    assert new["water_ml_per_1k"] == pytest.approx(2500.0)
    emb = (164 + 5700 / 8) * 1000 * 3600 / (3 * 365 * 24 * 3600)  # one H100 for an hour
    assert new["embodied_g_per_1k"] == pytest.approx(emb)  # n = 1000
    assert new["total_g_per_1k"] == pytest.approx(100.0 + emb)
    old = df[df["model"] == "old"].iloc[0]
    assert math.isnan(old["water_ml_per_1k"]) and math.isnan(old["total_g_per_1k"])
    board = aggregate(df, MODEL_KEYS)
    row = board[board["model"] == "new"].iloc[0]
    assert row["water_ml_per_1k_mean"] == pytest.approx(2500.0)
    label = energy_label_svg(label_from_row(row.to_dict()))
    assert f"{fmt.num(100.0 + emb)} g CO2eq incl. embodied, {fmt.num(2500.0)} mL water" in label


def test_report_shows_and_ranks_impacts(tmp_path):
    out = build_report(_results(), tmp_path)
    page = out.path.read_text()
    for text in ("Water mL / 1k", "Total g CO2eq / 1k", "Embodied g CO2eq / 1k",
                 "Water and embodied carbon (estimated)", "HGX H100",
                 "1 ok result(s) recorded no impact factors"):
        assert text in page, text
    assert 'data-v="2500.0"' in page  # the water cell is sortable by its number
