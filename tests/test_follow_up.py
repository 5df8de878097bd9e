"""follow_up_list: open focus-episode clients who missed their last two scheduled sessions, have
no attended session in 7 days, or had a relapse event in the last 14 days, as of the as-of
date.

The as-of date is 2024-03-31 throughout: 7 days before is 03-24 (still "in 7 days"), 8 days
before is 03-23 (flagged); 14 days before is 03-17 (flagged), 15 days before is 03-16 (not).
Each client below tests one rule or one boundary; the comment says why it is in or out.
"""

from __future__ import annotations

import datetime as dt

import pytest

from helpers import att, build_fixture, ep
from outcomes.db import open_as_of
from outcomes.filters import Filters
from outcomes.runner import run

AS_OF = dt.date(2024, 3, 31)


def rel(cid, date, event_type="positive_screen", **extra):
    return {"client_id": cid, "event_date": date, "event_type": event_type, **extra}


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    return build_fixture(tmp_path_factory.mktemp("follow"), episodes=[
        ep("E-MISS2", "MISS2", "2.1", "2024-03-01", program="North"),
        ep("E-MISS1", "MISS1", "2.1", "2024-03-01"),
        ep("E-CANC", "CANC", "2.1", "2024-03-01"),
        ep("E-TIE", "TIE", "2.1", "2024-03-01"),
        ep("E-SEEN7", "SEEN7", "2.1", "2024-03-01"),
        ep("E-SEEN8", "SEEN8", "2.1", "2024-03-01", program="South"),
        ep("E-NEW7", "NEW7", "2.1", "2024-03-24"),
        ep("E-NEW8", "NEW8", "2.1", "2024-03-23"),
        ep("E-WS", "WS", "2.1", "2024-03-01"),
        ep("E-REL14", "REL14", "2.1", "2024-03-01"),
        ep("E-REL15", "REL15", "2.1", "2024-03-01"),
        ep("E-ALL3", "ALL3", "2.1", "2024-02-01", program="North"),
        ep("E-SHUT", "SHUT", "2.1", "2024-03-01", "2024-03-10", "dropped_out"),
        ep("E-RES", "RES", "3.5", "2024-03-01"),
        ep("E-OLD", "OLD", "2.1", "2023-10-01", "2023-12-01", "completed"),
        ep("E-NEWSTAY", "OLD", "2.1", "2024-03-20"),
        ep("E-PHP", "PHP", "2.5", "2024-03-01"),
    ], attendance=[
        # MISS2: last two scheduled are no-shows (03-27, 03-29); seen 03-25 (6 days) -> listed
        att("MISS2", "2024-03-25"), att("MISS2", "2024-03-27", status="no_show"),
        att("MISS2", "2024-03-29", status="no_show", session_type="individual"),
        # MISS1: only the last one missed -> not listed
        att("MISS1", "2024-03-27"), att("MISS1", "2024-03-29", status="no_show"),
        # CANC: no-show 03-26, 03-28, then cancelled and excused (not scheduled) -> listed;
        # attended 03-25 (6 days)
        att("CANC", "2024-03-25"), att("CANC", "2024-03-26", status="no_show"),
        att("CANC", "2024-03-28", status="no_show"), att("CANC", "2024-03-30", status="cancelled"),
        att("CANC", "2024-03-31", status="excused"),
        # TIE: on 03-30 two no-shows and an attended session: on one day the attended one counts
        # as the later, so the last two are attended 03-30, no-show 03-30 -> not listed
        att("TIE", "2024-03-28", status="no_show"), att("TIE", "2024-03-30", status="no_show"),
        att("TIE", "2024-03-30", status="no_show", session_type="medication"),
        att("TIE", "2024-03-30", session_type="individual"),
        # SEEN7: last attended 03-24 = as-of - 7 -> not listed; SEEN8: 03-23 -> listed
        att("SEEN7", "2024-03-24"), att("SEEN8", "2024-03-23"),
        # NEW7 admitted 03-24, never attended (7 days) -> not listed; NEW8 admitted 03-23 -> listed
        # WS: attended only a workshop on 03-30 (not a treatment session); last treatment
        # session 03-20 (11 days) -> listed
        att("WS", "2024-03-20"), att("WS", "2024-03-30", session_type="workshop"),
        # REL14: relapse 03-17 (14 days) -> listed; REL15: 03-16 (15 days) -> not listed
        att("REL14", "2024-03-30"), att("REL15", "2024-03-30"),
        # ALL3: last attended 03-01 (30 days), no-shows 03-20 and 03-22, relapse 03-30
        att("ALL3", "2024-03-01"), att("ALL3", "2024-03-20", status="no_show"),
        att("ALL3", "2024-03-22", status="no_show"),
        # SHUT: discharged, everything wrong after -> not listed (not open)
        att("SHUT", "2024-03-05"),
        # RES: open 3.5 (not a focus level) with a relapse -> not listed
        # OLD: no-shows in the earlier stay do not count; current stay: attended 03-28 only
        att("OLD", "2023-11-20", status="no_show"), att("OLD", "2023-11-25", status="no_show"),
        att("OLD", "2024-03-28"),
        # PHP: open 2.5, 20 days without attendance: listed only when 2.5 is a focus level
        att("PHP", "2024-03-11"),
    ], relapse_events=[
        rel("REL14", "2024-03-17", "self_report"), rel("REL15", "2024-03-16"),
        rel("ALL3", "2024-03-30"), rel("SHUT", "2024-03-25"), rel("RES", "2024-03-29"),
    ])


def follow_up(db, focus=("2.1",), program=None):
    con = open_as_of(db, AS_OF)
    try:
        params = Filters(dt.date(2024, 1, 1), dt.date(2024, 1, 31), focus=focus, program=program).params()
        return run(con, "follow_up_list", params).set_index("client_id")
    finally:
        con.close()


def test_who_is_listed(db):
    rows = follow_up(db)
    assert sorted(rows.index) == ["ALL3", "CANC", "MISS2", "NEW8", "REL14", "SEEN8", "WS"]


def test_each_trigger_and_its_words(db):
    rows = follow_up(db)
    flags = {c: (r.missed_last_two, r.no_recent_attendance, r.recent_relapse) for c, r in rows.iterrows()}
    assert flags == {
        "MISS2": (True, False, False),
        "CANC": (True, False, False),
        "SEEN8": (False, True, False),
        "NEW8": (False, True, False),
        "WS": (False, True, False),
        "REL14": (False, False, True),
        "ALL3": (True, True, True),
    }
    assert rows.loc["MISS2", "triggers"] == "missed the last 2 scheduled sessions"
    assert rows.loc["SEEN8", "triggers"] == "no attended session for 8 days"
    assert rows.loc["NEW8", "triggers"] == "no attended session since admission 8 days ago"
    assert rows.loc["REL14", "triggers"] == "relapse (self report) 14 days ago"
    assert rows.loc["ALL3", "triggers"] == ("missed the last 2 scheduled sessions; no attended session for "
                                            "30 days; relapse (positive screen) 1 day ago")


def test_dates_and_days_since_last_attendance(db):
    rows = follow_up(db)
    assert rows.loc["SEEN8", "last_attended_date"].date() == dt.date(2024, 3, 23)
    assert rows.loc["SEEN8", "days_since_attended"] == 8
    assert rows.loc["WS", "last_attended_date"].date() == dt.date(2024, 3, 20)   # not the workshop
    assert rows.loc["WS", "days_since_attended"] == 11
    assert rows.loc["NEW8", "last_attended_date"] is None or str(rows.loc["NEW8", "last_attended_date"]) == "NaT"
    assert rows.loc["MISS2", "last_two_statuses"] == "no_show, no_show"
    assert rows.loc["CANC", "last_two_statuses"] == "no_show, no_show"
    assert rows.loc["REL14", "last_relapse_date"].date() == dt.date(2024, 3, 17)
    assert rows.loc["ALL3", "last_relapse_type"] == "positive_screen"
    assert (rows["as_of"].dt.date == AS_OF).all()


def test_most_triggers_first(db):
    rows = follow_up(db)
    assert rows.index[0] == "ALL3"


def test_program_filter_and_focus_levels(db):
    assert sorted(follow_up(db, program="North").index) == ["ALL3", "MISS2"]
    assert sorted(follow_up(db, program="South").index) == ["SEEN8"]
    both = follow_up(db, focus=("2.1", "2.5"))
    assert "PHP" in both.index and both.loc["PHP", "days_since_attended"] == 20


def test_an_earlier_as_of_sees_the_list_of_that_day(db):
    """As of 03-24: SEEN8's 03-23 visit is 1 day old, MISS2's no-shows are after that day (its
    last two scheduled sessions are unknown: only 03-25... none by then; admitted 03-01 with no
    attendance dated by 03-24 -> 23 days since admission), REL14's relapse 03-17 is 7 days old."""
    con = open_as_of(db, dt.date(2024, 3, 24))
    try:
        params = Filters(dt.date(2024, 1, 1), dt.date(2024, 1, 31)).params()
        rows = run(con, "follow_up_list", params).set_index("client_id")
    finally:
        con.close()
    assert "SEEN8" not in rows.index
    assert rows.loc["MISS2", "triggers"] == "no attended session since admission 23 days ago"
    assert rows.loc["REL14", "triggers"].startswith("no attended session since admission 23 days ago; relapse")
    assert "NEW8" not in rows.index   # admitted 03-23: 1 day
