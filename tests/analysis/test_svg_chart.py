"""The report's hand-written SVG charts: ticks, one line per series over its valid points,
hollow flagged points, bars on one scale with outliers cut and marked."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from wattprint.analysis.svg_chart import (
    FLAGGED_COLOUR,
    Bar,
    Mark,
    Segment,
    Series,
    nice_ticks,
    stacked_bars,
    xy_chart,
)

NS = "{http://www.w3.org/2000/svg}"


def test_nice_ticks_cover_the_range_in_1_2_5_steps():
    assert nice_ticks(0.83) == pytest.approx([0, 0.2, 0.4, 0.6, 0.8, 1.0])
    assert nice_ticks(8.0) == pytest.approx([0, 2, 4, 6, 8])
    assert nice_ticks(0.0) == [0.0, 1.0]


def test_lines_join_only_valid_points_of_one_series_and_flagged_are_hollow():
    a = Series("a <b>", "#123456", (Mark(2, 1, "a2"), Mark(1, 2, "a1"), Mark(3, 0.5, "bad", True)),
               attrs={"run": "A"})
    b = Series("b", "#654321", (Mark(1, 1, "b1"),), attrs={"run": "B"})
    svg = ET.fromstring(xy_chart([a, b], xlabel="x", ylabel="y & z", cls="t"))
    lines = svg.findall(f"{NS}polyline")
    assert [ln.get("data-run") for ln in lines] == ["A"]   # b has one point: no line
    coords = lines[0].get("points").split()
    assert len(coords) == 2 and float(coords[0].split(",")[0]) < float(coords[1].split(",")[0])
    bad = [c for c in svg.findall(f"{NS}circle") if c.find(f"{NS}title").text == "bad"][0]
    assert bad.get("class") == "pt flagged" and bad.get("fill") == "#fff"
    assert bad.get("stroke") == FLAGGED_COLOUR and bad.get("data-run") == "A"


def test_bars_share_one_scale_and_an_outlier_is_cut_and_marked():
    bars = [Bar("one", (Segment("idle", 1.0, "i"), Segment("decode", 1.0, "d"))),
            Bar("huge", (Segment("idle", 40.0, "i"),), flagged=True)]
    svg = ET.fromstring(stacked_bars(bars, {"idle": "#999"}, xlabel="J", cls="s", scale_max=2.0))
    g_one, g_huge = svg.findall(f"{NS}g")[1:]
    w = [float(r.get("width")) for r in g_one.findall(f"{NS}rect")]
    assert w[0] == pytest.approx(w[1])                   # 1 J and 1 J: equal lengths
    (cut,) = g_huge.findall(f"{NS}rect")
    assert float(cut.get("width")) == pytest.approx(sum(w))  # cut at the axis end
    assert "» 40" in "".join(t.text for t in g_huge.findall(f"{NS}text"))
    assert g_huge.get("class") == "bar flagged"
