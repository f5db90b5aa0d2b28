"""The report's serving section says what costs what (issue 19, reproduction 9): idle's share
of the J/output token, the phases stacked, attributed beside whole-window J/request, one curve
per run, ok/failed/truncated counts, flagged points drawn apart and off the front, the checks,
the measured per-token weights, and (issue 24) water and carbon per request with sources.

Every expected figure is computed by hand from the points of ``serving_points``."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
from report_fixtures import XSS
from serving_points import WEIGHTS, phases, point, v1_point

from wattprint.analysis.report import build_report
from wattprint.analysis.serving_figures import energy_vs_load, pareto_chart, stack_chart
from wattprint.analysis.serving_report import serving_section
from wattprint.analysis.serving_view import build_runs
from wattprint.analysis.svg_chart import FLAGGED_COLOUR
from wattprint.results.serving_energy import PointCheck
from wattprint.results.serving_impacts import NOT_RECORDED

NS = "{http://www.w3.org/2000/svg}"
FAILED = dict(requests_ok=1, requests_failed=15, output_tokens=64, j_per_output_token=0.01,
              p95_ttft_s=0.01, flags=("failed_requests",),
              checks=(PointCheck("meter_vs_timeline", False, 0.09, 0.03, "timeline 91 J, meter "
                                 "100 J"),))


def _points():
    a = [point(f"a{r:g}", "run-a", r, j_per_output_token=0.2 / r) for r in (1, 2, 4)]
    tf = {"engine": {"name": "transformers", "version": "5.25"}}
    b = [point("b1", "run-b", 1.0, **tf), point("b2", "run-b", 2.0, **tf),
         point("b4", "run-b", 4.0, **tf, **FAILED)]   # 15 of 16 failed: looks best on both axes
    return [*a, *b, v1_point()]


def _row(html: str, pid_index: int) -> list[str]:
    row = re.search(rf'<tr id="serving-pt-{pid_index}"[^>]*>(.*?)</tr>', html, re.S).group(1)
    return [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]


def _index(runs, pid: str) -> int:
    return next(v.index for r in runs for v in r.points if v.point.point_id == pid)


def test_the_page_says_idle_was_80_percent_of_the_energy_per_output_token():
    html = serving_section(_points())
    # every run-a point: 80 J idle of 100 J; queued 1 %, prefill 4 %, decode 15 %
    assert ("tiny-chat · vllm: idle was 80 % of the energy per output token at every load; "
            "queued 1.0 %, prefill 4.0 %, decode 15 %, unattributed 0 % (3 points)") in html
    assert "(3 points, 1 flagged)" in html            # run-b
    assert 'class="num idle-share" data-v="0.8">80 %</td>' in html


def test_j_per_output_token_is_stacked_as_idle_queued_prefill_decode():
    runs = build_runs(_points())
    svg = ET.fromstring(stack_chart(runs))
    bars = {g.get("data-point"): g for g in svg.findall(f"{NS}g") if g.get("data-point")}
    a1 = bars[str(_index(runs, "a1"))]
    parts = {r.get("data-part"): float(r.get("data-value")) for r in a1.findall(f"{NS}rect")}
    # 100 J x (0.80, 0.01, 0.04, 0.15) over 1,000 output tokens of ok requests
    assert parts == pytest.approx({"idle": 0.08, "queued": 0.001, "prefill": 0.004,
                                   "decode": 0.015})   # unattributed 0 J: no segment drawn
    widths = {r.get("data-part"): float(r.get("width")) for r in a1.findall(f"{NS}rect")}
    assert widths["idle"] / widths["decode"] == pytest.approx(0.80 / 0.15, rel=1e-3)
    tick = a1.find(f"{NS}line")                          # the plotted steady-window figure
    assert "0.2" in tick.find(f"{NS}title").text
    # the v1 point stacks what it stored: idle 42, attributed 15, unattributed 3 J / 500 tokens
    old = bars[str(_index(runs, "old"))]
    assert {r.get("data-part"): float(r.get("data-value")) for r in old.findall(f"{NS}rect")} \
        == pytest.approx({"idle": 0.084, "attributed": 0.03, "unattributed": 0.006})
    assert old.find(f"{NS}text").text.endswith("(v1)")


def test_attributed_j_per_request_beside_the_whole_window_one_each_defined():
    pts = _points()
    runs = build_runs(pts)
    html = serving_section(pts)
    head = re.search(r'<table class="sortable serving-points">(.*?)</thead>', html, re.S).group(1)
    heads = [re.sub(r"<[^>]+>", "", x) for x in re.findall(r"<th[^>]*>(.*?)</th>", head)]
    att, whole = heads.index("Attributed J/request (p50)"), heads.index("Whole-window J/request")
    assert whole == att + 1
    cells = _row(html, _index(runs, "a1"))
    assert cells[att] == "1.20" and cells[whole] == "6.25"     # p50 stored; 100 J / 16 ok
    assert _row(html, _index(runs, "old"))[whole] == "6.00"   # v1: its window 60 J / 10 ok
    assert "<strong>Attributed J/request</strong> (provenance <em>attributed</em>): the dynamic" in html
    assert "<strong>Whole-window J/request</strong>: everything the machine drew" in html


def test_one_curve_per_run_never_joining_runs():
    runs = build_runs(_points())
    svg = ET.fromstring(energy_vs_load(runs, "J/output token"))
    lines = {ln.get("data-run"): ln.get("points").split() for ln in svg.findall(f"{NS}polyline")}
    # run-a: 3 points; run-b: its 2 valid points (the flagged one is not joined); run-old: 1
    assert {k: len(v) for k, v in lines.items()} == {"run-a": 3, "run-b": 2}
    circles = svg.findall(f"{NS}circle")
    assert sorted(c.get("data-run") for c in circles) == ["run-a"] * 3 + ["run-b"] * 3 + ["run-old"]
    colours = {c.get("data-run"): c.get("fill") for c in circles if "valid" in c.get("class")}
    assert len(set(colours.values())) == 3


def test_counts_are_shown_first_and_the_failed_point_is_drawn_apart_and_off_the_front():
    pts = _points()
    runs = build_runs(pts)
    html = serving_section(pts)
    b4 = _index(runs, "b4")
    cells = _row(html, b4)
    assert cells[:5] == ["tiny-chat · transformers", "poisson 4 req/s", "1", "15", "0"]
    assert cells[-1] == "⚑ failed_requests"
    assert f'<tr id="serving-pt-{b4}" data-point="{b4}" class="flagged">' in html
    svg = ET.fromstring(pareto_chart(runs, "J/output token"))
    (c,) = [c for c in svg.findall(f"{NS}circle") if c.get("data-point") == str(b4)]
    assert c.get("class") == "pt flagged" and c.get("fill") == "#fff"
    assert c.get("stroke") == FLAGGED_COLOUR
    title = c.find(f"{NS}title").text
    assert "1 ok, 15 failed, 0 truncated of 16" in title and "flags: failed_requests" in title
    # the front starts at the lowest-latency *valid* point (p95 TTFT 0.1 s), not at b4's 0.01 s
    front = svg.find(f"{NS}path").get("d")
    x0 = float(re.match(r"M([\d.]+),", front).group(1))
    assert x0 > float(c.get("cx"))


def test_checks_pass_fail_and_the_weights_of_each_run():
    pts = _points()
    runs = build_runs(pts)
    html = serving_section(pts)
    a1 = _row(html.split("serving-checks")[1], _index(runs, "a1"))
    assert a1[2:5] == ["✓ pass 0.4 % (tolerance 3 %)", "✓ pass 0 % (tolerance 1 %)",
                       "n/a the engine reports no phase times"]
    assert _row(html.split("serving-checks")[1], _index(runs, "b4"))[2] == \
        "✗ FAIL 9 % (tolerance 3 %)"
    old = _row(html.split("serving-checks")[1], _index(runs, "old"))
    assert old[2] == "0.2 % apart v1 point: stored as a figure, no tolerance"
    # WEIGHTS: 0.031 J per prompt token [0.029, 0.033], 0.248 per decoded token [0.241, 0.255]
    assert WEIGHTS.prefill_ci_j == (0.029, 0.033)
    assert "0.0310 [0.0290 – 0.0330]" in html
    assert "0.248 [0.241 – 0.255]" in html and "400 slices of 3 point(s)" in html
    assert "v1 points: per-token weights were not fitted" in html


def test_water_and_carbon_per_request_with_their_sources():
    pts = _points()
    runs = build_runs(pts)
    html = serving_section(pts)
    section = html.split("serving-impacts")[1]
    cells = _row(section, _index(runs, "a1"))
    # 90 J steady window = 2.5e-5 kWh over 90 / 5.6 request-equivalents
    n = 90.0 / 5.6
    kwh = 90.0 / 3.6e6
    operational_mg = kwh * 1.2 * 100.0 * 1000 / n
    embodied_mg = (164 + 5700 / 8) * 1000 * 8.0 / (3 * 365 * 24 * 3600) * 1000 / n
    water_ml = kwh * (0.5 + 1.2 * 2.0) * 1000 / n
    got = [float(x) for x in cells[2:8]]
    assert got == pytest.approx([operational_mg + embodied_mg, operational_mg, embodied_mg,
                                 water_ml, kwh * 0.5 * 1000 / n, kwh * 2.4 * 1000 / n], rel=2e-3)
    # per 1,000 requests in g: the same numbers as mg per request
    assert float(cells[8]) == pytest.approx(operational_mg + embodied_mg, rel=2e-3)
    assert _row(section, _index(runs, "old"))[2] == f"— {NOT_RECORDED}"
    assert "grid carbon intensity 100 g CO2eq/kWh: test grid 2025" in html
    assert "on-site WUE 0.5 L/kWh: user-supplied" in html
    assert "busy time = the point's energy window" in html


def test_names_from_data_are_text(tmp_path):
    pts = [point("x", XSS, 1.0, model=XSS, arrivals=XSS, flags=(XSS,))]
    text = build_report([], tmp_path, serving_points=pts).path.read_text()
    assert XSS not in text and "&lt;img src=x onerror=alert(1)&gt;" in text


def test_a_run_with_only_v1_points_and_no_phases_still_renders():
    html = serving_section([v1_point(), point("z", "run-z", 1.0, phase_energy=None,
                                              attribution={}, weights=None)])
    assert "run-summary" in html and "no point has a phase decomposition to split" in html
    assert "no phase decomposition stored with this point" in html
    assert phases(10, 0.5, 0, 0, 0.5).idle_j == 5.0
