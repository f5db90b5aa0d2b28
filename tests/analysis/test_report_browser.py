"""The report opened in headless Chromium (Debian's ``chromium``), driven by Playwright.

Skipped with a reason when /usr/bin/chromium is missing (``make browser`` installs it).
"""

from __future__ import annotations

import pytest
from browser_page import ARTIFACTS, BROWSER_MARKS, launch_browser, open_page
from report_fixtures import XSS, cpu_est, make_result

from wattprint.analysis.report import build_report

pytestmark = BROWSER_MARKS

# Wh per 1,000 queries = energy_j / n × 1000 / 3600 with n = 1000: energy_j = Wh/1k × 3600
BOARD = {  # model → (task, Wh per 1,000 queries)
    "alpha/tiny": ("text-classification", 2.0),
    XSS: ("text-classification", 5.0),
    "gamma/large": ("text-classification", 40.0),
    "delta/gen": ("text-to-image", 3000.0),
}


@pytest.fixture(scope="module")
def page_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    out = tmp_path_factory.mktemp("report")
    rs = []
    for model, (task, wh) in BOARD.items():
        for rep, f in enumerate((0.9, 1.0, 1.1)):
            rs.append(make_result(model=model, task=task, rep=rep, energy_j=wh * 3600 * f,
                                  dataset=f"{XSS}-ds", environment={"host": XSS}))
    rs.append(make_result(model="alpha/tiny", rep=3, status="failed"))
    rs.append(make_result(model="est/only", domains=(cpu_est(7200.0),), hardware_id="laptop"))
    return build_report(rs, out).path.as_uri()


@pytest.fixture(scope="module")
def browser():
    yield from launch_browser()


@pytest.fixture
def page(browser, page_url):
    pg = open_page(browser, page_url)
    yield pg
    pg.context.close()


def _column(page, header: str) -> list[str]:
    idx = page.eval_on_selector_all(
        "#leaderboard thead th", f"ths => ths.findIndex(t => t.textContent.trim() === {header!r})")
    assert idx >= 0, header
    return page.eval_on_selector_all(
        "#leaderboard tbody tr:not([hidden])",
        f"rows => rows.map(r => r.cells[{idx}].textContent.trim())")


def test_loads_without_console_errors_and_screenshot(page):
    assert page.title() == "wattprint report"
    assert page.locator("#leaderboard tbody tr").count() == len(BOARD) + 1
    assert page.locator("figure svg").count() >= 1
    assert page.locator(".labels svg").count() >= 1
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=False)
    page.locator("#sec-figures").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "report-figures.png"), full_page=False)
    page.locator("#sec-labels").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "report-labels.png"), full_page=False)
    assert page.errors == []


def test_header_click_sorts_by_energy(page):
    page.click("#leaderboard thead th:has-text('Wh / 1k queries')")
    up = [float(x.replace(",", "")) for x in _column(page, "Wh / 1k queries")]
    # ascending: 2, 2 (estimated 7200 J → 2 Wh/1k), 5, 40, 3000 — hand-computed from BOARD
    assert up == sorted(up) and up[-1] == pytest.approx(3000.0) and up[0] == pytest.approx(2.0)
    page.click("#leaderboard thead th:has-text('Wh / 1k queries')")
    down = [float(x.replace(",", "")) for x in _column(page, "Wh / 1k queries")]
    assert down == sorted(down, reverse=True)
    models = _column(page, "Model")
    assert models[0] == "delta/gen" and models[1] == "gamma/large"
    assert page.locator("#leaderboard thead th[aria-sort=descending]").count() == 1
    assert page.errors == []


def test_markup_in_names_is_text_never_run(page):
    cell = page.locator("#leaderboard td.model", has_text=XSS)
    assert cell.count() == 1 and cell.first.is_visible()
    assert cell.first.text_content() == XSS
    assert page.locator("img").count() == 0  # nothing became an element
    assert page.dialogs == []
    data = page.evaluate("window.wattprintData.rows.map(r => r.model)")
    assert XSS in data  # the embedded JSON round-trips the name unchanged
    assert page.errors == []


def test_filters(page):
    page.select_option("#f-task", "text-to-image")
    assert _column(page, "Model") == ["delta/gen"]
    page.select_option("#f-task", "")
    page.select_option("#f-prov", "estimated")
    assert _column(page, "Model") == ["est/only"]
    page.select_option("#f-prov", "")
    page.select_option("#f-hw", "hw1")
    assert len(_column(page, "Model")) == len(BOARD)
    page.fill("#f-text", "gamma")
    assert _column(page, "Model") == ["gamma/large"]
    assert "1 of 5 rows shown" in page.text_content("#board-count")
    assert page.errors == []


def test_failed_count_shown(page):
    failed = dict(zip(_column(page, "Model"), _column(page, "Failed")))
    assert failed["alpha/tiny"] == "1" and failed["gamma/large"] == "0"


def test_empty_report_has_no_errors(browser, tmp_path):
    url = build_report([], tmp_path).path.as_uri()
    pg = browser.new_page()
    errors: list[str] = []
    pg.on("console", lambda m: m.type == "error" and errors.append(m.text))
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.goto(url)
    pg.wait_for_load_state("load")
    assert pg.get_by_text("Nothing measured yet").is_visible()
    assert errors == []
    pg.close()
