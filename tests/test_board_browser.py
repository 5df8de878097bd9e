"""The Board summary page in a real browser (Debian's Chromium through Playwright) on the demo
data: it draws without an error, the sidebar starts collapsed, the browser's Print gives one
landscape page, the "Board pack (PDF)" button downloads a PDF, and screenshots at 1280x800 and
1920x1080 are kept under artifacts/screenshots/ for a person to look at:

- board-1280.png, board-1920.png: what the screen shows at a glance (the viewport);
- board-1280-full.png, board-1920-full.png: the whole page.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest

from outcomes import browser
from outcomes.config import ROOT

pytestmark = pytest.mark.browser
SHOTS = ROOT / "artifacts" / "screenshots"


@pytest.fixture(scope="module")
def board_page(demo_db, tmp_path_factory):
    if not Path(browser.CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{browser.CHROMIUM} is missing: on CI the browser tests must run")
        pytest.skip("Debian's chromium is not installed (scripts/ensure-chromium installs it)")
    from playwright.sync_api import sync_playwright

    log = tmp_path_factory.mktemp("board_server") / "streamlit.log"
    with browser.serve(demo_db, log=log) as url, sync_playwright() as playwright:
        chromium = browser.launch(playwright)
        context = chromium.new_context(viewport={"width": 1280, "height": 800}, accept_downloads=True)
        page = context.new_page()
        page.goto(url + "/board")
        browser.wait_drawn(page)
        yield page, url
        context.close()
        chromium.close()


def _sidebar_open(page) -> bool:
    return page.evaluate("""() => {
      const bar = document.querySelector('[data-testid="stSidebar"]');
      return !!bar && bar.getBoundingClientRect().right > 10;
    }""")


@pytest.mark.parametrize("width, height", [(1280, 800), (1920, 1080)])
def test_board_page_screenshots(board_page, width, height):
    page, _url = board_page
    page.set_viewport_size({"width": width, "height": height})
    page.wait_for_timeout(500)
    browser.wait_drawn(page)
    assert browser.exceptions(page) == []
    main = page.locator('[data-testid="stMain"]').inner_text()
    assert "Board summary" in main and "Data as of" in main
    for group in ("ACCESS", "RETENTION", "TRANSITIONS", "RECOVERY", "FAMILIES"):
        assert group in main.upper()
    assert "Small numbers are suppressed" in main
    assert not _sidebar_open(page), "the board page starts with the sidebar collapsed"
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"board-{width}.png"))  # the screen, as the board sees it
    full = browser.screenshot(page, SHOTS / f"board-{width}-full.png", width=width)
    assert full.stat().st_size > 50_000
    # three charts are drawn, each inside the page (no chart wider than its column)
    boxes = page.evaluate("""() => [...document.querySelectorAll('[data-testid="stPlotlyChart"]')]
      .map(c => { const r = c.getBoundingClientRect(); return [r.left, r.right]; })""")
    assert len(boxes) == 3
    assert all(right <= width for _left, right in boxes)


def test_print_gives_one_landscape_page(board_page, tmp_path):
    """The browser's Print: the page asks for a landscape page (@page { size: landscape }),
    which the print dialog then uses, on the user's paper (US Letter or A4); the print
    stylesheet hides the sidebar, header, toolbar and buttons and fits the page on one sheet,
    whatever the width of the window it is printed from."""
    from pypdf import PdfReader

    page, _url = board_page
    css = "\n".join(page.evaluate("() => [...document.querySelectorAll('style')].map(s => s.textContent)"))
    assert re.search(r"@page\s*\{\s*size:\s*landscape", css)
    for width, height in ((1280, 800), (1920, 1080)):
        page.set_viewport_size({"width": width, "height": height})
        page.wait_for_timeout(400)
        browser.wait_drawn(page)
        for paper in ("Letter", "A4"):
            target = tmp_path / f"print-{width}-{paper}.pdf"
            page.pdf(path=str(target), format=paper, landscape=True, print_background=True)
            reader = PdfReader(str(target))
            assert len(reader.pages) == 1, f"printed from {width} px on {paper}: {len(reader.pages)} pages"
            box = reader.pages[0].mediabox
            assert float(box.width) > float(box.height)
            text = " ".join(reader.pages[0].extract_text().split())
            assert "Board pack" not in text and "Download CSV" not in text  # no buttons on paper
            assert "Local mode" not in text  # no sidebar
            assert "Board summary" in text and "Small numbers are suppressed" in text
            assert "Changes are against the previous period" in text  # the last line made it


def test_board_pack_download(board_page, tmp_path):
    from pypdf import PdfReader

    page, _url = board_page
    page.set_viewport_size({"width": 1280, "height": 800})
    started = time.perf_counter()
    with page.expect_download(timeout=120_000) as download:
        page.get_by_role("button", name="Board pack (PDF)").click()
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(str(path))
    seconds = time.perf_counter() - started
    print(f"board pack download took {seconds:.1f} s")
    assert path.name.startswith("board-") and path.suffix == ".pdf"
    reader = PdfReader(str(path))
    assert 1 <= len(reader.pages) <= 2
    text = " ".join(reader.pages[0].extract_text().split())
    assert "Board summary" in text and "Data as of" in text and "Small numbers are suppressed" in text
    assert browser.exceptions(page) == []
