"""AppTest of the Relapse page: the tiles show hand-computed values on a small fixture, every
chart is drawn, and an empty period gives readable empty states (no traceback, no error box).
"""

from __future__ import annotations

import pytest

from helpers import build_fixture, open_page

PAGE = "pages/relapse.py"


def ep(eid, cid, level, admit, discharge=None, reason=None):
    return {"episode_id": eid, "client_id": cid, "level_of_care": level, "admit_date": admit,
            "discharge_date": discharge, "discharge_reason": reason if discharge else None}


def ev(cid, date, event_type="positive_screen"):
    return {"client_id": cid, "event_date": date, "event_type": event_type}


def sess(cid, date, status="attended"):
    return {"client_id": cid, "session_date": date, "session_type": "group", "status": status}


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    """As-of 2024-06-30 (the latest date: CZ's session). March 2024:
    A (CA 2.1 03-01 .. 03-20, then 3.5 from 03-20), B (CB 2.1 all March), C (CC 2.1 from 03-11,
    open), D (CD 2.1 02-01 .. 03-10). Relapses: CA 03-06 (two events), CB 03-07, CD 03-02."""
    return build_fixture(tmp_path_factory.mktemp("relapse_page"), episodes=[
        ep("A", "CA", "2.1", "2024-03-01", "2024-03-20", "transferred"),
        ep("A2", "CA", "3.5", "2024-03-20", "2024-03-30", "completed"),
        ep("B", "CB", "2.1", "2024-03-01", "2024-03-31", "completed"),
        ep("C", "CC", "2.1", "2024-03-11"),
        ep("D", "CD", "2.1", "2024-02-01", "2024-03-10", "completed"),
    ], relapse_events=[
        ev("CA", "2024-03-06"), ev("CA", "2024-03-06", "self_report"), ev("CB", "2024-03-07"),
        ev("CD", "2024-03-02", "overdose"),
    ], attendance=[
        sess("CA", "2024-03-04"), sess("CA", "2024-03-05", "no_show"), sess("CA", "2024-03-12"),
        sess("CB", "2024-03-05"), sess("CB", "2024-03-20"), sess("CZ", "2024-06-30"),
    ])


def page(db, monkeypatch, start, end, **state):
    return open_page(db, monkeypatch, PAGE, (start, end), clean=True, **state)

def tiles(at) -> dict:
    return {m.label: (m.value, m.delta) for m in at.metric}


def captions(at) -> str:
    return "\n".join(c.value for c in at.caption)


def test_relapse_tiles_match_hand_computed_values(db, monkeypatch):
    """March 2024 (previous period: 30 Jan .. 29 Feb, 31 days).
    Client-days in March inside 2.1 windows: CA 20 (03-01 .. 03-20) + CB 31 + CC 21 (03-11 ..
    03-31) + CD 10 (03-01 .. 03-10) = 82; relapse days CA 03-06, CB 03-07, CD 03-02 = 3:
    1000 x 3 / 82 = 36.6. Previous: CD's 29 days in February, no relapse: 0.0 (change +36.6).
    Episodes overlapping March: A, B, C, D; with a relapse A, B, D: 75.0% (previous: D alone,
    none: 0.0%, change +75.0 pp).
    Step-up: of the 3 relapse days (all with 14 days of follow-up by 06-30), CA's 3.5 on 03-20 is
    14 days after 03-06: 1 of 3 = 33.3%; previous period: no relapse days, n/a.
    Median days to first relapse, March admissions A (5 days), B (6), C (none): 5.5 days, 2 of 3;
    previous period admissions (30 Jan .. 29 Feb): D, first relapse 03-02 = 30 days (change
    -24.5 days)."""
    at = page(db, monkeypatch, "2024-03-01", "2024-03-31")
    values = tiles(at)
    assert values["Relapse rate per 1,000 days"] == ("36.6", "+36.6")
    assert values["Episodes with a relapse"] == ("75.0%", "+75.0 pp")
    assert values["Relapse followed by a step-up"][0] == "33.3%"
    assert values["Relapse followed by a step-up"][1] in (None, "")
    assert values["Median days to first relapse"] == ("5.5 days", "-24.5 days")
    text = captions(at)
    for note in ("3 relapse days / 82 client-days", "3 of 4 episodes", "1 of 3 relapse days",
                 "2 of 3 admissions relapsed"):
        assert note in text, note
    # every panel drew its chart: monthly rate, by type, Kaplan-Meier, early warning (2),
    # by level, by week
    assert len(at.get("plotly_chart")) == 7


def test_relapse_curve_split_by_program_is_kept_in_the_page_state(db, monkeypatch):
    at = page(db, monkeypatch, "2024-03-01", "2024-03-31", relapse_km_split="site",
              relapse_split="Substance")
    assert at.selectbox(key="relapse_km_split").value == "site"
    assert len(at.get("plotly_chart")) == 7


def test_relapse_empty_period(db, monkeypatch):
    """A period after the as-of date: every count 0, every rate n/a, each panel says why."""
    at = page(db, monkeypatch, "2025-01-01", "2025-01-31")
    values = tiles(at)
    assert [v for v, _ in values.values()] == ["n/a", "n/a", "n/a", "n/a"]
    assert len(at.get("plotly_chart")) == 0
    infos = "\n".join(i.value for i in at.info)
    for message in ("no relapse rate to show", "No relapse days in this period",
                    "No focus admissions in this period", "nothing to compare",
                    "No episode at any level", "No focus episode was in care"):
        assert message in infos, message
