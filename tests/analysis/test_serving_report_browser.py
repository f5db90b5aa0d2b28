"""The serving section in headless Chromium: the stack drawn to scale, the counts on screen,
the latency-objective picker saying why nothing qualifies, and its switch for flagged points,
by typing and clicking in the page; no console error; a screenshot in test-artifacts/."""

from __future__ import annotations

import pytest
from browser_page import ARTIFACTS, BROWSER_MARKS, launch_browser, open_page
from serving_points import phases, point, v1_point

from wattprint.analysis.report import build_report

pytestmark = BROWSER_MARKS

TF = {"engine": {"name": "transformers", "version": "5.25"}}


def _points():
    """run-a (vllm): 4 valid loads, idle 81-79 %; run-b (transformers): 2 valid loads and one
    with 15 of 16 requests failed that looks best on both axes; one v1 point."""
    a = [point(f"a{r}", "run-a", r, j_per_output_token=0.28 / (r + 1), p95_ttft_s=0.1 * r,
               phase_energy=phases(100.0, idle, 0.01, 0.04, 0.95 - idle))
         for r, idle in ((1, 0.81), (2, 0.80), (4, 0.80), (8, 0.79))]
    b = [point("b1", "run-b", 1, j_per_output_token=0.15, p95_ttft_s=0.15, **TF),
         point("b2", "run-b", 2, j_per_output_token=0.075, p95_ttft_s=0.3, **TF),
         point("b4", "run-b", 4, requests_ok=1, requests_failed=15, output_tokens=64,
               j_per_output_token=0.02, p95_ttft_s=0.05, flags=("failed_requests",), **TF)]
    return [*a, *b, v1_point()]


@pytest.fixture(scope="module")
def browser():
    yield from launch_browser()


@pytest.fixture(scope="module")
def urls(tmp_path_factory):
    mixed = build_report([], tmp_path_factory.mktemp("mixed"), serving_points=_points())
    flagged = [point("f1", "run-f", 1, flags=("failed_requests",), requests_failed=3),
               point("f2", "run-f", 2, flags=("truncated_requests",), requests_truncated=2,
                     p95_ttft_s=0.05, j_per_output_token=0.04)]
    allbad = build_report([], tmp_path_factory.mktemp("flagged"), serving_points=flagged)
    return {"mixed": mixed.path.as_uri(), "flagged": allbad.path.as_uri()}


@pytest.fixture
def page(browser, urls):
    pg = open_page(browser, urls["mixed"])
    yield pg
    pg.context.close()


def _pick(page, slo: str, include_flagged: bool) -> str:
    page.fill("#serving-slo", slo)
    box = page.locator("#serving-include-flagged")
    if box.is_checked() != include_flagged:
        box.click()
    return page.text_content("#serving-pick")


def test_loads_without_errors_and_screenshot(page):
    page.locator("#sec-serving").scroll_into_view_if_needed()
    assert page.locator("svg.serving-energy polyline.run-line").count() == 2   # one per run
    assert page.locator("svg.serving-energy circle.pt.flagged").count() == 1
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "serving-report.png"), full_page=True)
    page.locator("h3", has_text="What an output token cost").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "serving-report-stack.png"), full_page=False)
    assert page.errors == []


def test_the_stack_is_drawn_to_scale(page):
    bar = page.locator("svg.serving-stack g.bar", has_text="vllm · poisson 2 req/s")
    seg = {s.get_attribute("data-part"): s.bounding_box()["width"]
           for s in bar.locator("rect.seg").all()}
    # 100 J: idle 80, queued 1, prefill 4, decode 15 (one scale for every bar)
    assert seg["idle"] / seg["decode"] == pytest.approx(80 / 15, rel=0.02)
    assert seg["prefill"] / seg["queued"] == pytest.approx(4, rel=0.05)
    assert "idle: 0.08 J/output token, 80 %" in bar.locator("rect.seg").first.text_content()
    assert page.locator("text=idle was 79–81 % of the energy per output token at every load") \
        .is_visible()
    flagged = page.locator("svg.serving-stack g.bar.flagged")
    assert flagged.count() == 1 and "» 1.56" in flagged.text_content()   # 100 J / 64 tokens
    assert page.errors == []


def test_counts_are_on_screen(page):
    row = page.locator("table.serving-points tr.flagged")
    row.scroll_into_view_if_needed()
    cells = row.locator("td")
    assert [cells.nth(i).text_content() for i in (2, 3, 4)] == ["1", "15", "0"]
    failed = cells.nth(3).bounding_box()
    assert failed["x"] + failed["width"] <= 1400   # visible without scrolling sideways
    assert cells.nth(3).is_visible()


def test_picker_says_why_nothing_qualifies_and_the_switch_includes_flagged_points(page):
    # default 1 s: the lowest J/output token among valid points, marked in the figures
    assert _pick(page, "1", False) == ("lowest energy meeting it: tiny-chat · vllm at poisson "
                                       "8 req/s: 0.0311 J/output token, p95 TTFT 0.8 s")
    assert page.locator("svg.serving-energy circle.picked").count() == 1
    # the flagged point (p95 TTFT 0.05 s) is the only one under 0.08 s
    assert _pick(page, "0.08", False) == (
        "no valid point has p95 TTFT ≤ 0.08 s; the lowest is 0.1 s (tiny-chat · vllm at "
        "poisson 1 req/s); 1 flagged point(s) meet it (failed_requests ×1): tick “include "
        "flagged points” to see them.")
    assert page.locator("circle.picked").count() == 0
    assert _pick(page, "0.08", True) == ("lowest energy meeting it: tiny-chat · transformers at "
                                         "poisson 4 req/s: 0.02 J/output token, p95 TTFT 0.05 s "
                                         "— flagged: failed_requests")
    assert page.locator("svg.serving-pareto circle.pt.flagged.picked").count() == 1
    assert _pick(page, "0.01", True) == ("no point has p95 TTFT ≤ 0.01 s; the lowest is 0.05 s "
                                         "(tiny-chat · transformers at poisson 4 req/s).")
    assert _pick(page, "-1", False) == "type the objective as a number of seconds (0 or more)"
    assert page.errors == []


def test_every_point_flagged_says_so_not_that_none_meets_it(browser, urls):
    pg = open_page(browser, urls["flagged"])
    text = _pick(pg, "5", False)
    assert text == ("every point is flagged (2 of 2): failed_requests ×1, truncated_requests ×1. "
                    "Tick “include flagged points” to pick among them anyway.")
    assert _pick(pg, "5", True).endswith("0.04 J/output token, p95 TTFT 0.05 s — flagged: "
                                         "truncated_requests")
    assert pg.errors == []
    pg.context.close()


def test_flags_on_hover(page):
    c = page.locator("svg.serving-energy circle.pt.flagged")
    c.hover()
    assert "flags: failed_requests" in c.locator("title").text_content()
    assert "1 ok, 15 failed, 0 truncated of 16" in c.locator("title").text_content()
