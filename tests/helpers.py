"""Small hand-written fixtures: write export files from rows, build a database from them.

A test states its rows as dicts (only the columns it cares about; the header is the union of
the keys, in the contract's order), builds, and reads the result:

    db = build_fixture(tmp_path, episodes=[{"episode_id": "E1", ...}], attendance=[...])
    values = kpis_for(db, "2024-01-01", "2024-03-31")
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest

from outcomes import contract
from outcomes.build import build
from outcomes.db import open_as_of
from outcomes.filters import Filters, parse_days, parse_focus
from outcomes.kpis import kpis

REQUIRED_FILES = ("episodes", "attendance", "assessments", "relapse_events")


def write_table(folder: Path, table: str, rows: list[dict], fmt: str = "csv") -> Path:
    """Write rows as ``<table>.csv``; a table with no rows gets a header-only file."""
    spec = contract.TABLES_BY_NAME[table]
    keys = [c for c in spec.names if any(c in r for r in rows)] or list(spec.required_names)
    extra = [k for r in rows for k in r if k not in keys]
    header = keys + list(dict.fromkeys(extra))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{table}.{fmt}"
    if fmt == "csv":
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            for row in rows:
                writer.writerow(["" if row.get(k) is None else row.get(k) for k in header])
    else:
        raise ValueError(fmt)
    return path


def make_exports(folder: Path, **tables: list[dict]) -> Path:
    """An exports folder with the given tables; required tables not given are header-only."""
    for table in REQUIRED_FILES:
        write_table(folder, table, tables.get(table, []))
    if "clients" in tables:
        write_table(folder, "clients", tables["clients"])
    return folder


def build_fixture(tmp_path: Path, today: dt.date | None = None, **tables: list[dict]) -> Path:
    """Build a database from hand-written rows; returns its path."""
    exports = make_exports(tmp_path / "exports", **tables)
    db = tmp_path / "fixture.duckdb"
    build(exports, db, today=today)
    return db


def kpis_for(db: Path, start: str, end: str, *, as_of: str | None = None, focus: str = "2.1",
             days: str = "30,60,90", program: str | None = None, site: str | None = None) -> dict:
    """``kpis --json`` for the fixture, as a dict."""
    filters = Filters(
        start=dt.date.fromisoformat(start), end=dt.date.fromisoformat(end),
        focus=parse_focus(focus), program=program, site=site, retention_days=parse_days(days),
    )
    con = open_as_of(db, dt.date.fromisoformat(as_of) if as_of else None)
    try:
        return kpis(con, filters)
    finally:
        con.close()


# ---------------------------------------------------------------------------------------------
# Row builders and checks the metric tests share
# ---------------------------------------------------------------------------------------------


def ep(eid, cid, level, admit, discharge=None, reason=None, **extra):
    """An episodes row."""
    row = {"episode_id": eid, "client_id": cid, "level_of_care": level, "admit_date": admit,
           "discharge_date": discharge, "discharge_reason": reason}
    row.update(extra)
    return row


def att(cid, date, status="attended", session_type="group", **extra):
    """An attendance row (a group session attended, unless said otherwise)."""
    row = {"client_id": cid, "session_date": date, "session_type": session_type, "status": status}
    row.update(extra)
    return row


def ev(cid, date, event_type="positive_screen", **extra):
    """A relapse_events row."""
    row = {"client_id": cid, "event_date": date, "event_type": event_type}
    row.update(extra)
    return row


def assert_rate(k, key, num, den, value):
    """A kpis rate and its numerator and denominator (value None: the rate must be null)."""
    assert k["detail"][key] == {"numerator": num, "denominator": den}, key
    if value is None:
        assert k[key] is None, key
    else:
        assert k[key] == pytest.approx(value, rel=1e-12), key


def open_page(db: Path, monkeypatch, page: str, period, *, role: str | None = None,
              clean: bool = False, **state):
    """``dashboard.py`` through AppTest on ``page`` (e.g. ``"pages/retention.py"``), the database
    ``db``, the sidebar period set to Custom ``period`` (a (start, end) pair of dates or ISO
    strings) and any other session state given. Local mode, with ``role`` as the test role if
    given. ``clean``: assert the run raised no exception and showed no error."""
    from streamlit.testing.v1 import AppTest

    from outcomes.config import ROOT

    monkeypatch.setenv("OUTCOMES_DB", str(db))
    if role:
        monkeypatch.setenv("OUTCOMES_TEST_ROLE", role)
    else:
        monkeypatch.delenv("OUTCOMES_TEST_ROLE", raising=False)
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120)
    at.session_state["period"] = "Custom"
    at.session_state["dates"] = tuple(
        day if isinstance(day, dt.date) else dt.date.fromisoformat(day) for day in period)
    for key, value in state.items():
        at.session_state[key] = value
    at.switch_page(page).run()
    if clean:
        assert not at.exception, [e.value for e in at.exception]
        assert not at.error, [e.value for e in at.error]
    return at
