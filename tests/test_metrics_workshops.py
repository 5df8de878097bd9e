"""workshops_held, workshop_reach_rate, family_reach_rate.

Expected values worked out by hand from SPEC section 4. Period = March 2024.
"""

from __future__ import annotations

import pytest

from helpers import assert_rate, build_fixture, ep, kpis_for

MARCH = ("2024-03-01", "2024-03-31")
LATE = "2024-12-31"


def ws(cid, date, status="attended", **extra):
    row = {"client_id": cid, "session_date": date, "session_type": "workshop", "status": status}
    row.update(extra)
    return row


# --------------------------------------------------------------------------- workshops_held


def test_workshops_held_by_session_id_or_date_and_topic(tmp_path):
    """A workshop is its session_id; rows without one group by (date, topic) with case, spaces,
    hyphens and underscores alike; no_show-only, non-workshop and out-of-period rows do not
    count; rows of clients with no episode (or a 3.5 one) count."""
    db = build_fixture(tmp_path, episodes=[
        ep("E1", "C1", "2.1", "2024-01-01"), ep("E5", "C5", "3.5", "2024-01-01"),
    ], attendance=[
        ws("C1", "2024-03-05", session_id="WS-1", topic="Boundaries"),
        ws("C2", "2024-03-05", session_id="WS-1", topic="Boundaries"),      # same workshop
        ws("C3", "2024-03-05", status="no_show", session_id="WS-1"),
        ws("C1", "2024-03-19", topic="Family-Systems"),                     # workshop 2
        ws("C2", "2024-03-19", topic="family systems"),                     # same as 2
        ws("C5", "2024-03-19", topic="FAMILY_SYSTEMS"),                     # same as 2
        ws("C4", "2024-03-19", topic="Communication"),                      # workshop 3
        ws("C5", "2024-03-20", status="no_show", topic="Family Systems"),   # not held
        ws("C1", "2024-02-29", topic="Neuroscience"),                       # before period
        ws("C1", "2024-04-01", topic="Neuroscience"),                       # after period
        {"client_id": "C1", "session_date": "2024-03-25", "session_type": "group",
         "status": "attended", "topic": "Neuroscience"},                    # not a workshop
        ws("C6", "2024-03-31", topic="Neuroscience"),                       # workshop 4 (end)
        ws("C6", "2024-03-01", session_id="WS-0"),                          # workshop 5 (start)
    ])
    k = kpis_for(db, *MARCH, as_of=LATE)
    assert k["workshops_held"] == 5


def test_workshops_held_program_and_site_filter(tmp_path):
    """With a program (site) filter only rows that belong to an episode of that program (site)
    count, at any level of care; rows belonging to no episode do not."""
    db = build_fixture(tmp_path, episodes=[
        ep("E1", "C1", "2.1", "2024-01-01", program="North", site="Downtown"),
        ep("E2", "C2", "2.1", "2024-01-01", program="South", site="Uptown"),
        ep("E3", "C3", "3.5", "2024-01-01", program="North", site="Uptown"),
    ], attendance=[
        ws("C2", "2024-03-05", session_id="WS-A"),                    # South
        ws("C1", "2024-03-12", session_id="WS-B"),                    # North
        ws("C2", "2024-03-12", session_id="WS-B"),                    # South
        ws("C3", "2024-03-19", topic="Boundaries"),                   # North (3.5 episode)
        ws("C4", "2024-03-26", topic="Communication"),                # no episode
        ws("C1", "2024-03-27", status="no_show", topic="Listening"),  # not attended
    ])
    assert kpis_for(db, *MARCH, as_of=LATE)["workshops_held"] == 4
    assert kpis_for(db, *MARCH, as_of=LATE, program="North")["workshops_held"] == 2  # B, 03-19
    assert kpis_for(db, *MARCH, as_of=LATE, program="South")["workshops_held"] == 2  # A, B
    assert kpis_for(db, *MARCH, as_of=LATE, site="Uptown")["workshops_held"] == 3  # A, B, 03-19
    assert kpis_for(db, *MARCH, as_of=LATE, site="Downtown")["workshops_held"] == 1  # B


def test_workshops_held_period_cut_at_as_of(tmp_path):
    """A workshop dated after an earlier as-of is left out."""
    db = build_fixture(tmp_path, episodes=[ep("E1", "C1", "2.1", "2024-01-01")], attendance=[
        ws("C1", "2024-03-10", session_id="W1"), ws("C1", "2024-03-11", session_id="W2"),
    ])
    assert kpis_for(db, *MARCH, as_of="2024-03-10")["workshops_held"] == 1


# --------------------------------------------------------------------------- reach rates


def test_workshop_and_family_reach(tmp_path):
    """Of focus episodes overlapping the period with window end - admit >= 13, share whose client
    attended a workshop inside the window (also outside the period); family reach needs
    guests >= 1."""
    db = build_fixture(tmp_path, episodes=[
        ep("A", "CA", "2.1", "2024-03-01", "2024-03-14", "completed"),    # 13: eligible
        ep("B", "CB", "2.1", "2024-03-01", "2024-03-13", "completed"),    # 12: not eligible
        ep("C", "CC", "2.1", "2024-02-01", "2024-03-02", "dropped_out"),  # overlaps March
        ep("D", "CD", "2.1", "2024-03-10"),                               # open to as-of
        ep("E", "CE", "2.1", "2024-03-10", "2024-04-30", "completed"),
        ep("F", "CF", "2.1", "2024-03-10", "2024-04-30", "completed"),
        ep("G", "CG", "3.5", "2024-03-01", "2024-03-31", "completed"),    # not focus
        ep("H", "CH", "2.1", "2024-01-01", "2024-02-29", "completed"),    # ends before March
    ], attendance=[
        ws("CA", "2024-03-14", session_id="W1", guests=2),   # last window day: reach + family
        ws("CB", "2024-03-05", session_id="W2", guests=1),
        ws("CC", "2024-02-10", session_id="W3", guests=0),   # before period, in window: reach
        ws("CD", "2024-05-01", session_id="W4", guests=1),   # after period, in window: both
        ws("CE", "2024-03-20", status="no_show", session_id="W5", guests=3),  # not attended
        ws("CE", "2024-05-05", session_id="W6", guests=1),   # after E's discharge: outside
        {"client_id": "CF", "session_date": "2024-03-20", "session_type": "group",
         "status": "attended", "guests": 1},                 # not a workshop
        ws("CG", "2024-03-05", session_id="W2", guests=1),
        ws("CH", "2024-02-10", session_id="W3", guests=1),
    ])
    k = kpis_for(db, *MARCH, as_of=LATE)
    # denominator: A, C, D, E, F (B spans 13 days only; G not focus; H ends 02-29)
    assert_rate(k, "workshop_reach_rate", 3, 5, 0.6)  # A, C, D
    assert_rate(k, "family_reach_rate", 2, 5, 0.4)    # A (2 guests), D (1); C had 0


def test_reach_window_span_of_open_episode_ends_at_as_of(tmp_path):
    """An open episode's window ends at as-of: admitted 03-25 with as-of 04-07 spans 14 days
    counting both ends (04-07 - 03-25 = 13: eligible); admitted 03-26 spans 13 (not)."""
    db = build_fixture(tmp_path, episodes=[
        ep("A", "CA", "2.1", "2024-03-25"),
        ep("B", "CB", "2.1", "2024-03-26"),
    ], attendance=[
        ws("CA", "2024-04-07", session_id="W1"),             # on the as-of date: inside
        ws("CB", "2024-04-07", session_id="W1", guests=1),
        ws("CA", "2024-04-08", session_id="W2", guests=1),   # after as-of: left out
    ])
    k = kpis_for(db, *MARCH, as_of="2024-04-07")
    assert_rate(k, "workshop_reach_rate", 1, 1, 1.0)
    assert_rate(k, "family_reach_rate", 0, 1, 0.0)


def test_reach_program_filter(tmp_path):
    """A program filter keeps the focus episodes of that program in the denominator."""
    db = build_fixture(tmp_path, episodes=[
        ep("A", "CA", "2.1", "2024-03-01", "2024-03-20", "completed", program="North"),
        ep("B", "CB", "2.1", "2024-03-01", "2024-03-20", "completed", program="South"),
    ], attendance=[ws("CA", "2024-03-05", session_id="W1", guests=1)])
    k = kpis_for(db, *MARCH, as_of=LATE, program="North")
    assert_rate(k, "workshop_reach_rate", 1, 1, 1.0)
    assert_rate(k, "family_reach_rate", 1, 1, 1.0)
    k = kpis_for(db, *MARCH, as_of=LATE, program="South")
    assert_rate(k, "workshop_reach_rate", 0, 1, 0.0)
    assert_rate(k, "family_reach_rate", 0, 1, 0.0)


def test_reach_workshop_matched_by_date_not_episode_id(tmp_path):
    """'dated inside that window' is by date alone: a workshop naming the client's 3.5 episode
    but dated in the 2.1 window counts; one naming the 2.1 episode but dated after it does not."""
    db = build_fixture(tmp_path, episodes=[
        ep("A", "CA", "2.1", "2024-03-01", "2024-03-20", "transferred"),
        ep("AR", "CA", "3.5", "2024-03-21", "2024-03-31", "completed"),
        ep("B", "CB", "2.1", "2024-03-01", "2024-03-20", "completed"),
    ], attendance=[
        ws("CA", "2024-03-10", session_id="W1", guests=1, episode_id="AR"),
        ws("CB", "2024-03-25", session_id="W2", guests=1, episode_id="B"),
    ])
    k = kpis_for(db, *MARCH, as_of=LATE)
    assert_rate(k, "workshop_reach_rate", 1, 2, 0.5)
    assert_rate(k, "family_reach_rate", 1, 2, 0.5)


def test_reach_window_overlapping_the_period_on_one_day(tmp_path):
    """A window ending on the period's first day or starting on its last day overlaps it; one
    ending the day before or starting the day after does not."""
    db = build_fixture(tmp_path, episodes=[
        ep("A", "CA", "2.1", "2024-02-01", "2024-03-01", "completed"),   # ends on 03-01: in
        ep("B", "CB", "2.1", "2024-03-31", "2024-04-20", "completed"),   # starts 03-31: in
        ep("C", "CC", "2.1", "2024-02-01", "2024-02-29", "completed"),   # ends 02-29: out
        ep("D", "CD", "2.1", "2024-04-01", "2024-04-20", "completed"),   # starts 04-01: out
    ], attendance=[
        ws("CA", "2024-02-10", session_id="W1"),                 # reach, no guests
        ws("CB", "2024-04-10", session_id="W2", guests=2),       # reach + family
        ws("CC", "2024-02-10", session_id="W1", guests=1),
        ws("CD", "2024-04-10", session_id="W2", guests=1),
    ])
    k = kpis_for(db, *MARCH, as_of=LATE)
    assert_rate(k, "workshop_reach_rate", 2, 2, 1.0)
    assert_rate(k, "family_reach_rate", 1, 2, 0.5)
