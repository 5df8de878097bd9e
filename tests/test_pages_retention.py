"""AppTest of the Retention page: on a hand-made fixture the tiles, the curve's numbers and the
follow-up list show what was worked out by hand below; on an empty period the page draws
readable empty states and no exception. (A real-browser test of the split selector and the
retention-day slider is at the end, marked browser.)

The fixture (also used by tests/test_pages_transitions.py), with the as-of date 2024-06-30 (the
latest date in it, C3's relapse event):
- A  (C1) 2.1 2024-01-01 .. 02-20 completed; attended 01-01 .. 01-05 (5 groups) and 02-19.
- B  (C2) 2.1 01-10 .. 01-25 dropped out; attended 01-10, 01-12, no-shows 01-15, 01-17; a
  relapse 01-24; then RB 3.5 02-01 .. 02-28 completed: 7 days later, so the same stay (a
  step-up), and the stay ends completed.
- C  (C3) 2.1 01-15, open; attended 01-15 .. 01-19 (5), cancelled 01-20, attended 03-10; a
  relapse (self report) 06-30.
- D0 (C4) 3.5 2023-12-01 .. 2024-01-19 transferred, then D 2.1 01-20 .. 01-29 transferred: one
  stay, ended transferred; attended 01-21.
- F  (C7) 2.1 01-05, open; attended 01-05 and 04-01.
- E  (C5) 2.1 02-01 .. 02-20 completed: February, not in January.
- P  (C6) 2.1 2023-12-10 .. 12-20 dropped out: the previous period (December 2023); attended
  12-11, no-show 12-12.

January 2024 by hand (previous period: December 2023):
- Admissions A B C D F = 5 (previous: P = 1, change +4). Discharges B, D = 2 (previous 1).
- Active census at the close of 01-31: A (discharged 02-20), C, F = 3 (previous: 0).
- Show rate: attended C1 5 + C2 2 + C3 5 + C4 1 + C7 1 = 14; no-shows C2 2; the cancelled
  session counts in neither -> 14/16 = 87.5% (previous 1/2 = 50.0%: +37.5 pp).
- Continuation (5 attended in admit .. admit + 30): A 5 yes, B 2, C 5 yes, D 1 (its stay's
  sessions from 01-20), F 1 -> 2/5 = 40.0%.
- Retention at N (D's stay ended transferred 01-29, before day N: left out; A and B's stays
  ended completed: retained): C's last session 03-10 (day 55), F's 04-01 (day 87).
  30: C, F yes -> 4/4 = 100.0%; 60: C no, F yes -> 3/4 = 75.0%; 90: both no -> 2/4 = 50.0%;
  70: C no (03-25), F yes (03-15) -> 3/4 = 75.0%.
- Completion: 0 of 2 = 0.0%; median length of stay: B 15, D 9 -> 12 days (previous P 10: +2).
- Kaplan-Meier: D 1 (censored, transferred), B 2 (censored: its stay completed), A 49
  (censored), C 55 (lost: open, last attended 112 days before the as-of date), F 87 (lost: 90
  days). At 55: 2 at risk, 1 lost -> S = 50%; at 87: 1 at risk -> 0%. S(70) = 50%.
- Follow-up list as of 06-30: the open focus clients C3 (112 days without attendance and a
  relapse 0 days ago) and C7 (90 days).
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import pytest

import helpers
from helpers import build_fixture

ROOT = Path(__file__).resolve().parent.parent
JANUARY = (dt.date(2024, 1, 1), dt.date(2024, 1, 31))
EMPTY = (dt.date(2030, 1, 1), dt.date(2030, 1, 31))   # starts after the as-of date


def _ep(eid, cid, level, admit, discharge=None, reason=None):
    return {"episode_id": eid, "client_id": cid, "level_of_care": level, "admit_date": admit,
            "discharge_date": discharge, "discharge_reason": reason, "program": "Adult IOP"}


def _att(cid, date, status="attended"):
    return {"client_id": cid, "session_date": date, "session_type": "group", "status": status}


def build_page_fixture(tmp_path: Path) -> Path:
    """The fixture of the module docstring."""
    return build_fixture(tmp_path, episodes=[
        _ep("A", "C1", "2.1", "2024-01-01", "2024-02-20", "completed"),
        _ep("B", "C2", "2.1", "2024-01-10", "2024-01-25", "dropped_out"),
        _ep("RB", "C2", "3.5", "2024-02-01", "2024-02-28", "completed"),
        _ep("C", "C3", "2.1", "2024-01-15"),
        _ep("D0", "C4", "3.5", "2023-12-01", "2024-01-19", "transferred"),
        _ep("D", "C4", "2.1", "2024-01-20", "2024-01-29", "transferred"),
        _ep("F", "C7", "2.1", "2024-01-05"),
        _ep("E", "C5", "2.1", "2024-02-01", "2024-02-20", "completed"),
        _ep("P", "C6", "2.1", "2023-12-10", "2023-12-20", "dropped_out"),
    ], attendance=[
        *(_att("C1", f"2024-01-0{d}") for d in range(1, 6)), _att("C1", "2024-02-19"),
        _att("C2", "2024-01-10"), _att("C2", "2024-01-12"),
        _att("C2", "2024-01-15", "no_show"), _att("C2", "2024-01-17", "no_show"),
        *(_att("C3", f"2024-01-{d}") for d in range(15, 20)), _att("C3", "2024-01-20", "cancelled"),
        _att("C3", "2024-03-10"),
        _att("C4", "2024-01-21"),
        _att("C7", "2024-01-05"), _att("C7", "2024-04-01"),
        _att("C6", "2023-12-11"), _att("C6", "2023-12-12", "no_show"),
    ], relapse_events=[
        {"client_id": "C2", "event_date": "2024-01-24", "event_type": "positive_screen"},
        {"client_id": "C3", "event_date": "2024-06-30", "event_type": "self_report"},
    ])


@pytest.fixture(scope="module")
def page_db(tmp_path_factory):
    return build_page_fixture(tmp_path_factory.mktemp("pages"))


def open_page(db, monkeypatch, period, page="pages/retention.py", **state):
    return helpers.open_page(db, monkeypatch, page, period, **state)

def metrics(at) -> dict[str, tuple[str, str]]:
    return {m.label: (m.value, m.delta) for m in at.metric}


def texts(at) -> str:
    return "\n".join(str(e.value) for kind in ("markdown", "caption", "info") for e in getattr(at, kind))


def test_retention_tiles_show_the_hand_computed_values(page_db, monkeypatch):
    at = open_page(page_db, monkeypatch, JANUARY)
    assert not at.exception
    assert not at.error, [e.value for e in at.error]
    got = metrics(at)
    assert got["Admissions"] == ("5", "+4")
    assert got["Discharges"] == ("2", "+1")
    assert got["Active census"] == ("3", "+3")
    assert got["Show rate"] == ("87.5%", "+37.5 pp")
    assert got["Continuation (NIATx)"][0] == "40.0%"
    assert got["30-day retention"][0] == "100.0%"
    assert got["60-day retention"][0] == "75.0%"
    assert got["90-day retention"][0] == "50.0%"
    assert got["Completion"] == ("0.0%", "no change")  # 0% in both periods
    assert got["Median length of stay"] == ("12 days", "+2 days")
    captions = [c.value for c in at.caption]
    for note in ("14 of 16", "2 of 5", "4 of 4", "3 of 4", "2 of 4", "0 of 2"):
        assert any(c.startswith(note) for c in captions), note


def test_retention_tiles_match_the_kpis_command(page_db, monkeypatch):
    """The tiles go through ui.kpis, the code path of `kpis --json`: same numbers."""
    from helpers import kpis_for

    k = kpis_for(str(page_db), "2024-01-01", "2024-01-31")
    assert (k["admissions"], k["discharges"], k["active_census_end"]) == (5, 2, 3)
    assert k["detail"]["attendance_rate"] == {"numerator": 14, "denominator": 16}
    assert k["detail"]["retention_60d"] == {"numerator": 3, "denominator": 4}
    assert k["median_los_days"] == 12


def test_retention_day_slider_recomputes_the_tile_and_the_curve_text(page_db, monkeypatch):
    at = open_page(page_db, monkeypatch, JANUARY, retention_day=70)
    assert not at.exception
    assert metrics(at)["70-day retention"][0] == "75.0%"
    assert "Still in care on day 70 by the curve" in texts(at)
    assert "All admissions (n=5): **50%**" in texts(at)
    curve = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert "<b>day 70</b>" in [a["text"] for a in curve["layout"]["annotations"]]
    marked = [t for t in curve["data"] if t.get("mode") == "markers+text"]
    assert [(t["x"][0], t["text"][0]) for t in marked] == [(30, "100%"), (60, "50%"), (70, "50%"), (90, "0%")]


def test_retention_curve_split_pools_groups_under_11(page_db, monkeypatch):
    """Split by the level the stay began at: 2.1 (A, B, C, F: 4) and 3.5 (D: 1): both under 11
    admissions, so they are pooled and the page says the curve is not split."""
    at = open_page(page_db, monkeypatch, JANUARY, km_split="stay_first_level")
    assert not at.exception
    assert "All admissions (n=5)" in texts(at)
    assert "No level the stay began at has 11 admissions or more" in texts(at)


def test_retention_follow_up_list(page_db, monkeypatch):
    at = open_page(page_db, monkeypatch, JANUARY)
    tables = [d.value for d in at.dataframe]
    follow = next(t for t in tables if "triggers" in t.columns)
    assert list(follow["client_id"]) == ["C3", "C7"]
    assert follow.iloc[0]["triggers"] == "no attended session for 112 days; relapse (self report) 0 days ago"
    assert follow.iloc[1]["triggers"] == "no attended session for 90 days"
    assert "**2** clients to call" in texts(at)


def test_retention_small_numbers_are_said(page_db, monkeypatch):
    at = open_page(page_db, monkeypatch, JANUARY)
    shown = texts(at)
    assert "Small numbers: based on 5 admissions" in shown
    assert "Kaplan-Meier estimate over the 5 focus admissions" in shown


def test_retention_empty_period(page_db, monkeypatch):
    """A period after the as-of date: counts 0, rates n/a, every panel says why it is empty."""
    at = open_page(page_db, monkeypatch, EMPTY)
    assert not at.exception
    assert not at.error, [e.value for e in at.error]
    got = metrics(at)
    assert got["Admissions"][0] == "0" and got["Active census"][0] == "0"
    assert got["Show rate"][0] == "n/a" and got["90-day retention"][0] == "n/a"
    assert got["Median length of stay"][0] == "n/a"
    infos = "\n".join(i.value for i in at.info)
    assert "No admissions to the focus levels in 01 Jan 2030 - 31 Jan 2030" in infos
    assert "No discharges from the focus levels" in infos
    assert "No attended or missed sessions" in infos
    # the follow-up list is as of the as-of date, whatever the period
    assert any("triggers" in d.value.columns for d in at.dataframe)
    assert len(at.get("plotly_chart")) == 0


# ------------------------------------------------------------------------ real browser


@pytest.mark.browser
def test_browser_split_selector_and_slider(demo_db, tmp_path):
    """On demo data in Debian's Chromium: the page draws without an exception box, choosing a
    split draws one curve per group, moving the slider moves the marker and the tile, and the
    URL keeps both; a click on a month's bar or on a cohort narrows the page to that month.
    Screenshots at 1280 and 1440 px go to artifacts/screenshots/."""
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
        page.goto(url + "/")                      # the first request goes through dashboard.py
        browser.wait_drawn(page)
        page.goto(url + "/retention?km_split=Program&retention_day=45")   # the URL names the choice
        browser.wait_drawn(page)
        assert browser.exceptions(page) == []
        main = page.locator('[data-testid="stMain"]')
        assert "45-day retention" in main.inner_text()
        legend = page.locator('[data-testid="stPlotlyChart"]').first.locator(".legendtext").all_text_contents()
        assert len(legend) >= 2 and all("(n=" in t for t in legend), legend
        assert page.locator("text=day 45").count() >= 1
        browser.screenshot(page, shots / "retention-split-program-1280.png", width=1280)
        page.goto(url + "/retention")
        browser.wait_drawn(page)
        slider = page.get_by_role("slider").first
        slider.focus()
        for _ in range(5):
            slider.press("ArrowRight")
        browser.wait_drawn(page)
        assert "125-day retention" in main.inner_text()
        assert "retention_day=125" in page.url
        # a click on a month's bar of the discharge reasons makes that month the period
        page.goto(url + "/retention")
        browser.wait_drawn(page)
        reasons = page.locator('[data-testid="stPlotlyChart"]').nth(2)
        reasons.scroll_into_view_if_needed()
        reasons.locator(".bars path").first.click(force=True)   # the oldest month's first stack
        page.wait_for_timeout(500)
        browser.wait_drawn(page)
        assert "period=Custom" in page.url and "dates=" in page.url
        header = page.locator('[data-testid="stMain"] [data-testid="stCaptionContainer"]').first.inner_text()
        first, last = header.split(" · ")[0].split(" - ")
        start, end = (dt.datetime.strptime(d, "%d %b %Y").date() for d in (first, last))
        assert start.day == 1 and (end + dt.timedelta(days=1)).day == 1 and start.month == end.month
        # so does a click on a cohort of the heat-map (its row's admission month)
        page.goto(url + "/retention")
        browser.wait_drawn(page)
        cohorts = page.locator('[data-testid="stPlotlyChart"]').nth(1)
        cohorts.scroll_into_view_if_needed()
        cohorts.locator(".scatterlayer .trace .points path").first.click(force=True)   # oldest cohort
        page.wait_for_timeout(500)
        browser.wait_drawn(page)
        header = page.locator('[data-testid="stMain"] [data-testid="stCaptionContainer"]').first.inner_text()
        assert header.startswith("01 Nov 2025 - 30 Nov 2025"), header   # the first month of the last 12
        for width in (1280, 1440):
            page.goto(url + "/retention")
            browser.wait_drawn(page)
            assert browser.exceptions(page) == []
            name = "retention.png" if width == 1440 else f"retention-{width}.png"
            assert browser.screenshot(page, shots / name, width=width).stat().st_size > 10_000
        chromium.close()
