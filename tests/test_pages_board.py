"""AppTest of the Board summary page on the fixture of tests/test_report.py (its docstring
works out every number by hand): what the board reads in January 2024, that nothing on the
page names a client, that a board member may open it, and an empty period.
"""

from __future__ import annotations

import datetime as dt
import html
import json

import pytest

from helpers import open_page
from test_report import CLIENT_IDS, ID_PATTERN, build_board_fixture

JANUARY = (dt.date(2024, 1, 1), dt.date(2024, 1, 31))
EMPTY = (dt.date(2030, 1, 1), dt.date(2030, 1, 31))


@pytest.fixture(scope="module")
def page_db(tmp_path_factory):
    return build_board_fixture(tmp_path_factory.mktemp("board_page"))


def open_board(db, monkeypatch, period, role=None):
    return open_page(db, monkeypatch, "pages/board.py", period, role=role)

def page_html(at) -> str:
    return "\n".join(element.proto.body for element in at.get("html"))


def tile_values(at) -> dict[str, str]:
    """Label -> value of each scorecard tile, as the page shows them (unescaped)."""
    body = page_html(at)
    found = {}
    for tile in body.split('<div class="bd-tile"')[1:]:
        label = tile.split('class="bd-label">')[1].split("<")[0]
        value = tile.split('class="bd-value')[1].split(">", 1)[1].split("<")[0]
        found[html.unescape(label)] = html.unescape(value)
    return found


def all_text(at) -> str:
    parts = [page_html(at)]
    for kind in ("markdown", "caption", "info", "error", "warning", "title", "subheader"):
        parts += [str(e.value) for e in getattr(at, kind)]
    parts += [chart.proto.spec for chart in at.get("plotly_chart")]
    return "\n".join(parts)


def test_board_page_shows_the_suppressed_scorecard(page_db, monkeypatch):
    at = open_board(page_db, monkeypatch, JANUARY)
    assert not at.exception and not at.error
    assert tile_values(at) == {
        "Admissions": "27", "Active census": "24", "Continuation (NIATx)": "Withheld",
        "30-day retention": "48.1%", "90-day retention": "48.1%", "Completion": "Withheld",
        "Median length of stay": "Withheld", "Step-down within 7 days": "n/a",
        "Step-up within 14 days": "Withheld", "Relapse rate per 1,000 days": "0.0",
        "PHQ-9 reliable improvement": "n/a", "GAD-7 reliable improvement": "n/a",
        "Workshop reach": "0.0%", "Family reach": "0.0%",
    }
    body = html.unescape(page_html(at))
    assert "Previous period: <11" in body  # December's 3 admissions
    assert "Data as of" in body and "30 June 2024" in body
    assert "01 Jan 2024 – 31 Jan 2024, compared with 01 Dec 2023 – 31 Dec 2023" in body
    assert "All programs · all sites · IOP (ASAM 2.1)" in body
    assert "National 37.7% (TEDS-D 2004)" in body


def test_board_page_charts_and_footnotes(page_db, monkeypatch):
    at = open_board(page_db, monkeypatch, JANUARY)
    charts = at.get("plotly_chart")
    assert len(charts) == 2  # the curve and the monthly relapse rate; the reasons are withheld
    infos = [str(i.value) for i in at.info]
    assert any("Too few discharges" in text for text in infos)
    captions = "\n".join(str(c.value) for c in at.caption)
    assert "Small numbers are suppressed" in captions
    assert "Kaplan-Meier estimate over the 27 focus admissions" in captions
    relapse = json.loads(charts[1].proto.spec)
    bar = next(t for t in relapse["data"] if t["type"] == "bar")
    assert bar["y"] == [0.0]


def test_board_page_names_no_client(page_db, monkeypatch):
    at = open_board(page_db, monkeypatch, JANUARY)
    text = all_text(at)
    assert not ID_PATTERN.search(text)
    assert not any(cid in text for cid in CLIENT_IDS)
    assert not at.get("arrow_data_frame") and not at.dataframe  # no tables of rows


def test_board_member_may_open_it(page_db, monkeypatch):
    at = open_board(page_db, monkeypatch, JANUARY, role="board")
    assert not at.exception
    assert tile_values(at)["Admissions"] == "27"


def test_board_page_empty_period(page_db, monkeypatch):
    at = open_board(page_db, monkeypatch, EMPTY)
    assert not at.exception and not at.error
    values = tile_values(at)
    assert values["Admissions"] == "0" and values["Active census"] == "0"
    assert values["30-day retention"] == "n/a" and values["Completion"] == "n/a"
    assert not at.get("plotly_chart")
    infos = "\n".join(str(i.value) for i in at.info)
    assert "No admissions to the focus levels" in infos
    assert "No discharges from the focus levels" in infos
    assert "no relapse rate to show" in infos
