"""Headless Chromium (Debian's ``chromium``) driven by Playwright, for the report's browser
tests: the launch arguments, the artifacts folder, and a page that records console errors and
dialogs. Tests using it skip with a reason when /usr/bin/chromium is missing (``make browser``
installs it)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

BROWSER_MARKS = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM),
                       reason=f"{CHROMIUM} missing: install Debian's chromium (make browser)"),
]


def launch_browser() -> Iterator[Any]:
    """A headless Chromium for a module's tests (a generator for a fixture)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


def open_page(browser: Any, url: str, width: int = 1400, height: int = 1000) -> Any:
    """A page at ``url`` whose ``errors`` (console errors, uncaught exceptions) and
    ``dialogs`` (dismissed) are recorded; close its ``context`` when done."""
    ctx = browser.new_context(viewport={"width": width, "height": height})
    pg = ctx.new_page()
    pg.errors, pg.dialogs = [], []
    pg.on("console", lambda m: m.type == "error" and pg.errors.append(m.text))
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))
    pg.on("dialog", lambda d: (pg.dialogs.append(d.message), d.dismiss()))
    pg.goto(url)
    pg.wait_for_load_state("load")
    return pg
