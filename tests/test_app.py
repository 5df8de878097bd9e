"""AppTest of the app shell: the Home and Data pages on demo data, and the sidebar filters
(kept in the URL) changing what the queries are asked."""

from __future__ import annotations

import datetime as dt

import pytest
from streamlit.testing.v1 import AppTest

from outcomes.config import ROOT


@pytest.fixture
def app(demo_db, monkeypatch):
    monkeypatch.setenv("OUTCOMES_DB", str(demo_db))
    monkeypatch.delenv("OUTCOMES_TEST_ROLE", raising=False)
    return AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120)


def test_home_runs_and_shows_the_period(app):
    app.run()
    assert not app.exception
    assert not app.error
    labels = [m.label for m in app.metric]
    assert labels == ["Admissions", "Active census", "90-day retention", "Completion"]
    # the demo ends 31 Oct 2026: the default period is the last 12 whole months
    assert "01 Nov 2025 - 31 Oct 2026" in app.caption[0].value


def test_data_page_runs(app):
    app.switch_page("pages/data.py").run()
    assert not app.exception
    assert not app.error
    assert [s.value for s in app.subheader][:3] == ["Build and freshness", "Files loaded", "Rejected rows"]


def test_filters_change_the_query_parameters(app):
    """Choosing a period, a program and PHP as a second focus level changes the numbers the
    page asks for, and the choices go to the URL (so a link reproduces the view)."""
    app.run()
    before = app.metric[0].value
    app.sidebar.selectbox(key="period").set_value("Last quarter").run()
    app.sidebar.selectbox(key="program").set_value("Adult IOP").run()
    app.sidebar.get("button_group")[0].set_value(["2.1", "2.5"]).run()
    assert not app.exception
    caption = app.caption[0].value
    assert "01 Jul 2026 - 30 Sep 2026" in caption
    assert "2.1 IOP + 2.5 PHP" in caption and "Adult IOP" in caption
    assert app.metric[0].value != before
    params = dict(app.query_params)
    assert params.get("period") == ["Last quarter"] or params.get("period") == "Last quarter"
    assert "program" in params


def test_custom_dates(app):
    app.session_state["period"] = "Custom"
    app.session_state["dates"] = (dt.date(2026, 1, 1), dt.date(2026, 1, 31))
    app.run()
    assert not app.exception
    assert "01 Jan 2026 - 31 Jan 2026" in app.caption[0].value
