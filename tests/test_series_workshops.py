"""The Family workshops page's series, on small hand-written fixtures.

A workshop is its session_id, else (date, topic compared case-insensitively with spaces,
hyphens and underscores alike); it is held when it has an attended row (SPEC section 4,
workshops_held). The curriculum is definitions.WORKSHOP_TOPICS; the plan is a workshop every
14 days at each site, and a gap of more than 21 days is flagged.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from helpers import build_fixture, kpis_for
from outcomes import definitions
from outcomes.db import open_as_of
from outcomes.figures import workshops as figures
from outcomes.filters import Filters
from outcomes.runner import get_query, run

D = dt.date.fromisoformat
LATE = "2024-12-31"
SPRING = ("2024-03-01", "2024-04-30")
TOPICS = list(definitions.WORKSHOP_TOPICS)
NEURO, BOUNDARIES, AVOIDED, LISTENING = TOPICS


def ep(eid, cid, level, admit, discharge=None, reason=None, **extra):
    row = {"episode_id": eid, "client_id": cid, "level_of_care": level, "admit_date": admit,
           "discharge_date": discharge, "discharge_reason": reason if discharge else None}
    row.update(extra)
    return row


def ws(cid, date, guests=None, topic=None, session_id=None, status="attended"):
    return {"client_id": cid, "session_date": date, "session_type": "workshop", "status": status,
            "session_id": session_id, "topic": topic, "guests": guests}


def series(db, name, start=SPRING[0], end=SPRING[1], as_of=LATE, site=None, **extra) -> pd.DataFrame:
    con = open_as_of(db, D(as_of) if as_of else None)
    try:
        return run(con, name, {**Filters(D(start), D(end), site=site).params(), **extra})
    finally:
        con.close()


CADENCE_EPISODES = [
    ep("A", "CA", "2.1", "2024-01-01", site="North"),
    ep("B", "CB", "2.1", "2024-01-01", site="North"),
    ep("C", "CC", "2.5", "2024-01-01", site="South"),
    ep("D", "CD", "3.5", "2024-01-01", site="North"),     # workshops count at any level
]
CADENCE_ROWS = [
    ws("CA", "2024-02-17", 1, NEURO, "WS-N-0217"),                         # before the period
    ws("CA", "2024-03-02", 0, BOUNDARIES, "WS-N-0302"),                    # 14 days later
    ws("CB", "2024-03-02", 3, BOUNDARIES, "WS-N-0302"),                    # 3 guests: the limit
    ws("CD", "2024-03-02", 4, BOUNDARIES, "WS-N-0302"),                    # 4: a rule break
    ws("CE", "2024-03-02", 2, BOUNDARIES, "WS-N-0302", status="no_show"),  # not attended
    ws("CC", "2024-03-09", 2, NEURO, "WS-S-0309"),                         # South's first
    ws("CE", "2024-03-09", 1, NEURO, "WS-S-0309"),                         # CE: no episode
    ws("CA", "2024-03-23", 2, "talking-about avoided_topics"),             # no session id:
    ws("CB", "2024-03-23", None, "Talking about avoided topics"),          # one workshop, 21 days
    ws("CC", "2024-03-30", 0, "Relapse prevention", "WS-S-0330"),          # off the curriculum
    ws("CA", "2024-04-14", 1, LISTENING, "WS-N-0414"),                     # 22 days: flagged
]


@pytest.fixture(scope="module")
def cadence_db(tmp_path_factory):
    return build_fixture(tmp_path_factory.mktemp("workshops"), episodes=CADENCE_EPISODES,
                         attendance=CADENCE_ROWS)


def cadence(db, **kwargs):
    return series(db, "workshop_cadence", topics=TOPICS, guest_limit=3, gap_days=21, **kwargs)


def test_workshop_cadence_gaps_per_site(cadence_db):
    """Held in March-April: North 03-02 (14 days after 02-17, which is before the period),
    03-23 (21 days: not over 21), 04-14 (22 days: flagged); South 03-09 (its first: no gap),
    03-30 (21 days). Site = the site of the attendees' episodes (CE has none)."""
    frame = cadence(cadence_db)
    got = [(pd.Timestamp(r.workshop_date).date(), r.site,
            None if pd.isna(r.days_since_previous) else int(r.days_since_previous), bool(r.over_gap))
           for r in frame.itertuples()]
    assert got == [
        (D("2024-03-02"), "North", 14, False),
        (D("2024-03-09"), "South", None, False),
        (D("2024-03-23"), "North", 21, False),
        (D("2024-03-30"), "South", 21, False),
        (D("2024-04-14"), "North", 22, True),
    ]


def test_workshop_attendance_and_topics_per_workshop(cadence_db):
    """03-02: CA 0, CB 3, CD 4 guests (CE's no-show does not count): 3 clients, 7 guests, 10
    people, one row over the limit. 03-09: CC 2 + CE 1. 03-23: CA 2, CB empty (0): the two
    spellings of the topic are one workshop, shown as the curriculum topic. 03-30: off the
    curriculum, shown as written."""
    frame = cadence(cadence_db)
    assert frame["clients"].tolist() == [3, 2, 2, 1, 1]
    assert frame["guests"].tolist() == [7, 3, 2, 0, 1]
    assert frame["total"].tolist() == [10, 5, 4, 1, 2]
    assert frame["over_limit_rows"].tolist() == [1, 0, 0, 0, 0]
    assert frame["topic"].tolist() == [BOUNDARIES, NEURO, AVOIDED, "Relapse prevention", LISTENING]
    assert frame["curriculum"].tolist() == [True, True, True, False, True]
    # the kpis count the same workshops (workshops_held.sql)
    assert kpis_for(cadence_db, *SPRING, as_of=LATE)["workshops_held"] == 5


def test_workshop_cadence_site_filter_and_empty_period(cadence_db):
    """With site South only rows of South episodes count: 03-09 has CC only (CE belongs to no
    episode), and the first South workshop has no gap before it."""
    frame = cadence(cadence_db, site="South")
    assert [pd.Timestamp(d).date() for d in frame["workshop_date"]] == [D("2024-03-09"), D("2024-03-30")]
    assert frame["clients"].tolist() == [1, 1] and frame["guests"].tolist() == [2, 0]
    assert cadence(cadence_db, start="2024-06-01", end="2024-06-30").empty


def test_guests_per_client_limit_3_vs_4(cadence_db):
    """Attended rows in March-April: guests 0 (CA 03-02, CC 03-30), 1 (CE 03-09, CA 04-14),
    2 (CC 03-09, CA 03-23), 3 (CB 03-02: within the rule), 4 (CD 03-02: more than 3, flagged),
    empty (CB 03-23: not recorded)."""
    frame = series(cadence_db, "guests_per_client", guest_limit=3)
    assert frame["guests"].tolist() == ["0", "1", "2", "3", "more than 3", "not recorded"]
    assert frame["attendances"].tolist() == [2, 2, 2, 1, 1, 1]
    assert frame["over_limit"].tolist() == [False, False, False, False, True, False]
    empty = series(cadence_db, "guests_per_client", "2024-06-01", "2024-06-30", guest_limit=3)
    assert empty["guests"].tolist() == ["0", "1", "2", "3", "more than 3"]
    assert empty["attendances"].tolist() == [0, 0, 0, 0, 0]


def test_workshop_topics(cadence_db):
    """Per topic (the 02-17 workshop is before the period): neuroscience 03-09: 2 attendances,
    3 guests, families CC and CE; boundaries 03-02: 3, 7, families CB and CD (CA brought none);
    avoided topics 03-23: 2, 2, family CA (CB's empty guests is none); listening 04-14: 1, 1,
    CA; 'Relapse prevention' (not curriculum): 1, 0, no family."""
    frame = series(cadence_db, "workshop_topics", topics=TOPICS)
    assert frame["topic"].tolist() == TOPICS + ["Relapse prevention"]
    assert frame["curriculum"].tolist() == [True] * 4 + [False]
    assert frame["workshops"].tolist() == [1, 1, 1, 1, 1]
    assert frame["client_attendances"].tolist() == [2, 3, 2, 1, 1]
    assert frame["guests"].tolist() == [3, 7, 2, 1, 0]
    assert frame["families"].tolist() == [2, 2, 1, 1, 0]
    empty = series(cadence_db, "workshop_topics", "2024-06-01", "2024-06-30", topics=TOPICS)
    assert empty["topic"].tolist() == TOPICS and empty["workshops"].tolist() == [0] * 4


def test_family_topic_coverage_counts_topics_attended_with_a_guest(cadence_db):
    """Families (a guest at a workshop in the period): CA avoided topics + listening = 2 (its
    03-02 visit had no guest); CB boundaries = 1 (03-23 guests empty); CC neuroscience = 1
    (03-30 had no guest); CD boundaries = 1; CE neuroscience = 1."""
    frame = series(cadence_db, "family_topic_coverage", topics=TOPICS)
    assert frame["topics_covered"].tolist() == [0, 1, 2, 3, 4]
    assert frame["families"].tolist() == [0, 4, 1, 0, 0]


def test_family_covering_all_four_topics(tmp_path):
    """CF brings a guest to all four topics (one twice, with another spelling): 4 topics.
    CG brings one only to an off-curriculum workshop: a family that covers 0 topics."""
    db = build_fixture(tmp_path, episodes=[ep("F", "CF", "2.1", "2024-01-01"), ep("G", "CG", "2.1", "2024-01-01")],
                       attendance=[
                           ws("CF", "2024-03-02", 1, NEURO), ws("CF", "2024-03-16", 2, BOUNDARIES),
                           ws("CF", "2024-03-30", 1, "TALKING ABOUT AVOIDED TOPICS"),
                           ws("CF", "2024-04-13", 3, LISTENING), ws("CF", "2024-04-27", 1, "neuroscience-of-addiction"),
                           ws("CG", "2024-03-02", 1, "Open house"),
                       ])
    frame = series(db, "family_topic_coverage", topics=TOPICS)
    assert frame["families"].tolist() == [1, 0, 0, 0, 1]
    fig = figures.topic_coverage(frame)
    assert list(fig.data[0].x) == ["0 of 4", "1 of 4", "2 of 4", "3 of 4", "4 of 4"]


# --------------------------------------------------------------------------- family and retention


def test_family_retention_cohort_and_groups(tmp_path):
    """Focus admissions in March 2024 with admit + 60 on or before the as-of date (late).
    A (03-01, open): guest at a workshop on day 30 (03-31, the last day that counts) -> brought
      family; an attended group on day 60 (04-30) -> retained.
    B (03-01 .. 05-15 completed): its guest came on day 31 -> did not bring family; retained
      (the stay ended completed).
    C (03-05 .. 03-20 dropped out): guests on 03-10 -> brought family; not retained.
    D (03-10 .. 03-20 transferred): the stay ended transferred before day 60 -> left out.
    E (03-15, open): a workshop without guests and a no-show with guests -> did not bring family;
      last attended session on day 59 -> not retained.
    Brought family: A, C -> 1 of 2 retained. Did not: B, E -> 1 of 2."""
    db = build_fixture(tmp_path, episodes=[
        ep("A", "CA", "2.1", "2024-03-01"),
        ep("B", "CB", "2.1", "2024-03-01", "2024-05-15", "completed"),
        ep("C", "CC", "2.1", "2024-03-05", "2024-03-20", "dropped_out"),
        ep("D", "CD", "2.1", "2024-03-10", "2024-03-20", "transferred"),
        ep("E", "CE", "2.1", "2024-03-15"),
    ], attendance=[
        ws("CA", "2024-03-31", 1), {"client_id": "CA", "session_date": "2024-04-30",
                                    "session_type": "group", "status": "attended"},
        ws("CB", "2024-04-01", 1),
        ws("CC", "2024-03-10", 2),
        ws("CD", "2024-03-12", 1),
        ws("CE", "2024-03-20", 0), ws("CE", "2024-03-22", 2, status="no_show"),
        {"client_id": "CE", "session_date": "2024-05-13", "session_type": "group", "status": "attended"},
    ])
    frame = series(db, "family_retention", "2024-03-01", "2024-03-31", retention_days=60, early_days=30)
    assert frame["brought_family"].tolist() == [True, False]
    assert frame["retained"].tolist() == [1, 1]
    assert frame["eligible"].tolist() == [2, 2]
    assert frame["rate"].tolist() == pytest.approx([0.5, 0.5])
    # the same cohort and rule as retention_60d: 2 of 4
    k = kpis_for(db, "2024-03-01", "2024-03-31", as_of=LATE)
    assert k["detail"]["retention_60d"] == {"numerator": 2, "denominator": 4}
    table = figures.retention_table(frame)
    assert table["eligible"].tolist() == [2, 2]
    low, high = figures.wilson(1, 2)     # by hand: 0.0945 .. 0.9055
    assert (low, high) == pytest.approx((0.0945, 0.9055), abs=1e-4)
    empty = series(db, "family_retention", "2025-03-01", "2025-03-31", retention_days=60, early_days=30)
    assert empty["eligible"].tolist() == [0, 0] and empty["rate"].isna().all()


WORKSHOP_QUERIES = ("workshop_cadence", "guests_per_client", "workshop_topics", "family_topic_coverage",
                    "family_retention")
EXTRA = {"topics": TOPICS, "guest_limit": 3, "gap_days": 21, "retention_days": 60, "early_days": 30}


@pytest.mark.parametrize("name", WORKSHOP_QUERIES)
def test_workshop_query_headers_match_the_sql(cadence_db, name):
    query = get_query(name)
    assert set(query.param_names) == query.used_params()
    frame = series(cadence_db, name, **{k: v for k, v in EXTRA.items() if k in query.param_names})
    assert tuple(frame.columns) == query.columns
