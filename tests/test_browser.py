"""Real-browser tests: serve the app on demo data, load every page in Debian's Chromium
(Playwright), wait until it is fully drawn, check that no exception box shows, and keep a
screenshot of each page under artifacts/screenshots/ (git-ignored) for a person to open."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from outcomes import browser, navigation
from outcomes.config import ROOT

pytestmark = pytest.mark.browser
SHOTS = ROOT / "artifacts" / "screenshots"


def _chromium_or_skip():
    if not Path(browser.CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{browser.CHROMIUM} is missing: on CI the browser tests must run")
        pytest.skip("Debian's chromium is not installed (scripts/ensure-chromium installs it)")


@pytest.fixture(scope="module")
def app_url(demo_db, tmp_path_factory):
    _chromium_or_skip()
    log = tmp_path_factory.mktemp("server") / "streamlit.log"
    with browser.serve(demo_db, log=log) as url:
        yield url


@pytest.fixture(scope="module")
def chromium():
    """Debian's Chromium through Playwright, one for the module's tests."""
    _chromium_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = browser.launch(playwright)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def page(app_url, chromium):
    context = chromium.new_context(viewport={"width": 1440, "height": 1000})
    yield context.new_page()
    context.close()


PAGES = [p for p in navigation.available(navigation.pages_for("local"))]


@pytest.mark.parametrize("spec", PAGES, ids=[p.url_path for p in PAGES])
def test_page_draws_without_errors(page, app_url, spec):
    url = app_url + ("/" if spec.default else f"/{spec.url_path}")
    page.set_viewport_size({"width": 1440, "height": 1000})
    page.goto(url)
    browser.wait_drawn(page)
    assert browser.exceptions(page) == []
    # The page's own title is on it, and the sidebar carries the data's as-of date.
    assert page.locator("h1").first.inner_text().strip()
    assert "Data as of" in page.locator('[data-testid="stSidebar"]').inner_text()
    shot = browser.screenshot(page, SHOTS / f"{spec.url_path}.png")
    assert shot.stat().st_size > 10_000


def test_filters_are_kept_in_the_url(page, app_url):
    """A link with the filters in its query string reproduces the view."""
    # the pills write their labels to the URL (focus=2.1+IOP&focus=2.5+PHP)
    page.goto(app_url + "/?period=Last+quarter&focus=2.1+IOP&focus=2.5+PHP")
    browser.wait_drawn(page)
    main = page.locator('[data-testid="stMain"]').inner_text()
    # demo data ends 31 Oct 2026: the last complete quarter is July - September 2026
    assert "01 Jul 2026 - 30 Sep 2026" in main
    assert "2.1 IOP + 2.5 PHP" in main


@pytest.fixture(scope="module")
def broken_db(tmp_path_factory):
    """Demo exports with broken rows added: a bad date, an unknown status, a future date,
    an unknown level, a PHQ-9 score out of range and an exact duplicate."""
    import csv
    import shutil

    from outcomes.build import build
    from outcomes.demo import generate

    folder = tmp_path_factory.mktemp("broken")
    exports = folder / "exports"
    generate(exports, clients=300, seed=11, fmt="csv")
    with (exports / "attendance.csv").open(newline="") as handle:
        rows = list(csv.reader(handle))
    header, first = rows[0], rows[1]
    bad_date = dict(zip(header, first)) | {"session_date": "2025-13-40"}
    bad_status = dict(zip(header, first)) | {"status": "maybe"}
    future = dict(zip(header, first)) | {"session_date": "2999-01-01"}
    with (exports / "attendance.csv").open("a", newline="") as handle:
        writer = csv.writer(handle)
        for row in (bad_date, bad_status, future):
            writer.writerow([row[h] for h in header])
        writer.writerow(first)  # an exact duplicate of line 2
    with (exports / "episodes.csv").open(newline="") as handle:
        episodes = list(csv.reader(handle))
    unknown_level = dict(zip(episodes[0], episodes[1])) | {"episode_id": "EBROKEN1", "level_of_care": "9.9"}
    with (exports / "episodes.csv").open("a", newline="") as handle:
        csv.writer(handle).writerow([unknown_level[h] for h in episodes[0]])
    db = folder / "broken.duckdb"
    build(exports, db)
    shutil.rmtree(exports)  # the page must not need the exports once built
    return db


def test_data_page_lists_rejected_rows(broken_db, chromium, tmp_path_factory):
    """The Data page shows the rejects by reason and the rest loaded."""
    log = tmp_path_factory.mktemp("server-broken") / "streamlit.log"
    with browser.serve(broken_db, log=log) as url:
        page = chromium.new_page(viewport={"width": 1440, "height": 1000})
        page.goto(url + "/data")
        browser.wait_drawn(page)
        assert browser.exceptions(page) == []
        text = page.locator('[data-testid="stMain"]').inner_text()
        # four broken rules: a bad date, an unknown status, a future date, an unknown level
        # (the table itself is a canvas grid: its cells are checked in the screenshot)
        assert "4 broken rules" in text
        assert "No rows were rejected" not in text
        browser.screenshot(page, SHOTS / "data-with-rejects.png")
        page.close()
