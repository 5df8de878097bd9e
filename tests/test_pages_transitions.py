"""AppTest of the Transitions page on the hand-made fixture of tests/test_pages_retention.py
(see its docstring for the rows; as-of date 2024-06-30) and on an empty period; and a
real-browser screenshot of the page at 1280 and 1440 px (marked browser).

January 2024 by hand (previous period: December 2023):
- Step-down: level 3+ episodes discharged completed or transferred in January: D0 (3.5, 01-19,
  transferred); C4's 2.1 admitted 01-20 is lower, 1 day later -> 7 days 1/1 = 100.0%, 30 days
  1/1. December has none -> n/a, no change shown.
- Step-up: focus discharges of January with 14 days known: B (01-25) and D (01-29); B's client
  started 3.5 on 02-01 (7 days) -> 1/2 = 50.0%; December: P, not stepped up -> 0/1, so +50.0 pp.
  C2's relapse on 01-24 is in the 14 days up to that 02-01 admission: 1 of 1 step-ups.
- Stays that started in January: C1, C7, C2, C3 -> 4 (C4's began 2023-12-01).
- Moves whose next episode started in January: D0 -> D (3.5 -> 2.1) -> 1 move (B -> RB is in
  February).
- Stays that ended in January: C4's (transferred 01-29); 90 days later (04-28) known, no return
  -> 0/1; 180 days not known yet.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from test_pages_retention import EMPTY, JANUARY, ROOT, build_page_fixture, metrics, open_page, texts

PAGE = "pages/transitions.py"


@pytest.fixture(scope="module")
def page_db(tmp_path_factory):
    return build_page_fixture(tmp_path_factory.mktemp("transitions"))


def test_transition_tiles_show_the_hand_computed_values(page_db, monkeypatch):
    at = open_page(page_db, monkeypatch, JANUARY, page=PAGE)
    assert not at.exception
    assert not at.error, [e.value for e in at.error]
    got = metrics(at)
    assert got["Step-down within 7 days"] == ("100.0%", "")
    assert got["Step-down within 30 days"] == ("100.0%", "")
    assert got["Step-up within 14 days"] == ("50.0%", "+50.0 pp")
    captions = [c.value for c in at.caption]
    assert captions.count("1 of 1 · small numbers") == 2 and "1 of 2 · small numbers" in captions


def test_transition_charts_and_captions(page_db, monkeypatch):
    at = open_page(page_db, monkeypatch, JANUARY, page=PAGE)
    shown = texts(at)
    assert "The 4 stays that started in the period" in shown
    assert "Small numbers: based on 4 stays" in shown
    assert "(1 move;" in shown
    assert "(1 of 1 did)" in shown
    specs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    assert len(specs) == 8   # sankey, matrix, step-down by month, gaps, step-ups, time, waits, returns
    sankey = specs[0]["data"][0]
    assert sankey["type"] == "sankey" and sum(
        v for t, v in zip(sankey["link"]["target"], sankey["link"]["value"])
        if sankey["node"]["label"][t].startswith(("Completed", "Still in care"))) == 4
    matrix = [t for t in specs[1]["data"] if t["type"] == "heatmap"]
    assert [t["name"] for t in matrix] == ["Step-down (to a lower level)"]
    assert "1<br>100%" in [c for row in matrix[0]["text"] for c in row]
    returns = specs[7]["data"]
    assert [t["name"] for t in returns] == ["Within 90 days"]   # 180 days not known yet
    assert returns[0]["text"] == ["0%<br>0/1", "0%<br>0/1"]     # all stays, transferred


def test_transition_empty_period(page_db, monkeypatch):
    at = open_page(page_db, monkeypatch, EMPTY, page=PAGE)
    assert not at.exception
    assert not at.error, [e.value for e in at.error]
    got = metrics(at)
    assert {v[0] for v in got.values()} == {"n/a"}
    infos = "\n".join(i.value for i in at.info)
    for message in ("No stay started in 01 Jan 2030 - 31 Jan 2030",
                    "No moves between levels of care started",
                    "No level 3+ episode was discharged completed or transferred",
                    "No focus episode was discharged in 01 Jan 2030 - 31 Jan 2030",
                    "No episode was discharged", "No move out of a discharged episode",
                    "No stay ended"):
        assert message in infos, message
    assert len(at.get("plotly_chart")) == 0


@pytest.mark.browser
def test_browser_transitions_page(demo_db, tmp_path):
    """On demo data in Debian's Chromium: every chart drawn, no exception box; screenshots at
    1280 and 1440 px in artifacts/screenshots/."""
    from outcomes import browser

    if not Path(browser.CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{browser.CHROMIUM} is missing")
        pytest.skip("Debian's chromium is not installed")
    from playwright.sync_api import sync_playwright

    shots = ROOT / "artifacts" / "screenshots"
    with browser.serve(demo_db, log=tmp_path / "server.log") as url, sync_playwright() as playwright:
        chromium = browser.launch(playwright)
        page = chromium.new_page(viewport={"width": 1280, "height": 1000})
        page.goto(url + "/")
        browser.wait_drawn(page)
        for width in (1280, 1440):
            page.set_viewport_size({"width": width, "height": 1000})
            page.goto(url + "/transitions")
            browser.wait_drawn(page)
            assert browser.exceptions(page) == []
            assert page.locator('[data-testid="stPlotlyChart"]').count() == 8
            assert page.locator(".sankey .sankey-node").count() > 5
            name = "transitions.png" if width == 1440 else f"transitions-{width}.png"
            assert browser.screenshot(page, shots / name, width=width).stat().st_size > 10_000
        chromium.close()
