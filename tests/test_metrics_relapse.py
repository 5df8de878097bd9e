"""relapse_rate_per_1000_days, relapse_episode_rate.

Expected values worked out by hand from SPEC section 4: relapse day = distinct (client, date)
in the period and inside a focus episode window; client-days = distinct (client, day) in the
period and inside a focus window; windows end at the discharge date, or the as-of date when
open; windows are matched by date alone (whatever the event's episode_id).
"""

from __future__ import annotations

import pytest

from helpers import assert_rate, build_fixture, ep, ev, kpis_for

MARCH = ("2024-03-01", "2024-03-31")
LATE = "2024-12-31"


def test_relapse_days_and_client_days(tmp_path):
    """Two events on one day = one relapse day; events outside the period or outside every
    focus window are not counted; overlapping focus windows count each client-day once; an
    open episode's window runs to as-of and is cut by the period's end."""
    db = build_fixture(tmp_path, episodes=[
        ep("A", "CA", "2.1", "2024-02-20", "2024-03-10", "completed"),  # in March: 03-01..03-10
        ep("B1", "CB", "2.1", "2024-03-05", "2024-03-20", "transferred"),
        ep("B2", "CB", "2.1", "2024-03-15", "2024-03-25", "completed"),  # union 03-05..03-25
        ep("C", "CC", "3.5", "2024-03-01", "2024-03-31", "completed"),   # not focus
        ep("D", "CD", "2.1", "2024-03-25"),                              # open: 03-25..03-31
        ep("E", "CE", "2.1", "2024-02-01", "2024-03-03", "completed"),   # 03-01..03-03
    ], relapse_events=[
        ev("CA", "2024-03-05"), ev("CA", "2024-03-05", "self_report"),  # one relapse day
        ev("CA", "2024-02-25"),          # in A's window, before the period
        ev("CA", "2024-03-15"),          # after A's discharge: in no focus window
        ev("CB", "2024-03-18", "overdose"),  # inside both B1 and B2: one day
        ev("CC", "2024-03-10"),          # 3.5 window only
        ev("CE", "2024-02-15"),          # in E's window, before the period
    ])
    k = kpis_for(db, *MARCH, as_of=LATE)
    # client-days: CA 10 (03-01..03-10) + CB 21 (03-05..03-25) + CD 7 (03-25..03-31)
    #              + CE 3 (03-01..03-03) = 41; relapse days: (CA, 03-05), (CB, 03-18) = 2
    assert_rate(k, "relapse_rate_per_1000_days", 2, 41, 1000 * 2 / 41)
    # episodes overlapping March: A, B1, B2, D, E = 5; with a relapse day inside window and
    # period: A (03-05), B1 (03-18 in 03-05..03-20), B2 (03-18 in 03-15..03-25) = 3
    assert_rate(k, "relapse_episode_rate", 3, 5, 0.6)


def test_relapse_event_in_non_focus_episode_of_a_focus_client(tmp_path):
    """A client with a 2.1 and a 3.5 episode: an event inside only the 3.5 window is not a
    relapse day; the 3.5 days are not client-days."""
    db = build_fixture(tmp_path, episodes=[
        ep("F1", "CF", "2.1", "2024-03-01", "2024-03-05", "transferred"),  # 5 days
        ep("F2", "CF", "3.5", "2024-03-10", "2024-03-20", "completed"),
    ], relapse_events=[ev("CF", "2024-03-12")])
    k = kpis_for(db, *MARCH, as_of=LATE)
    assert_rate(k, "relapse_rate_per_1000_days", 0, 5, 0.0)
    assert_rate(k, "relapse_episode_rate", 0, 1, 0.0)


def test_relapse_windows_matched_by_date_not_episode_id(tmp_path):
    """'inside the window' matches by date alone: an event naming the 3.5 episode but dated in
    the 2.1 window counts; one naming the 2.1 episode but dated outside it does not."""
    db = build_fixture(tmp_path, episodes=[
        ep("F1", "CF", "2.1", "2024-03-01", "2024-03-10", "transferred"),  # 10 days
        ep("F2", "CF", "3.5", "2024-03-10", "2024-03-25", "completed"),
    ], relapse_events=[
        ev("CF", "2024-03-04", episode_id="F2"),   # dated in F1's window: counts
        ev("CF", "2024-03-20", episode_id="F1"),   # dated in F2's window only: not
    ])
    k = kpis_for(db, *MARCH, as_of=LATE)
    assert_rate(k, "relapse_rate_per_1000_days", 1, 10, 100.0)
    assert_rate(k, "relapse_episode_rate", 1, 1, 1.0)


def test_relapse_period_cut_at_earlier_as_of(tmp_path):
    """Period 03-01..03-31 with as-of 03-10 becomes 03-01..03-10: client-days and relapse days
    stop there; a discharge after as-of counts as open; an event after as-of is left out."""
    db = build_fixture(tmp_path, episodes=[
        ep("A", "CA", "2.1", "2024-02-01"),                              # 03-01..03-10: 10
        ep("B", "CB", "2.1", "2024-03-05", "2024-03-20", "completed"),   # 03-05..03-10: 6
        ep("C", "CC", "2.1", "2024-03-11"),                              # after as-of
    ], relapse_events=[
        ev("CA", "2024-03-10"),     # on the as-of date: counts
        ev("CA", "2024-03-12"),     # after as-of: left out
        ev("CB", "2024-03-15"),     # after as-of: left out
        ev("CC", "2024-03-11"),
    ])
    k = kpis_for(db, *MARCH, as_of="2024-03-10")
    assert_rate(k, "relapse_rate_per_1000_days", 1, 16, 62.5)  # 1000 * 1 / 16
    assert_rate(k, "relapse_episode_rate", 1, 2, 0.5)          # A yes, B no; C not known


def test_relapse_period_cuts_window_on_both_sides(tmp_path):
    """A window longer than the period counts only the period's days, ends included; a window
    touching the period on one day overlaps it, one ending the day before does not."""
    db = build_fixture(tmp_path, episodes=[
        ep("A", "CA", "2.1", "2024-01-15", "2024-04-15", "completed"),  # 31 days in March
        ep("B", "CB", "2.1", "2024-02-01", "2024-02-29", "completed"),  # ends before March
        ep("C", "CC", "2.1", "2024-02-01", "2024-03-01", "completed"),  # 1 day: 03-01
        ep("D", "CD", "2.1", "2024-03-31", "2024-04-20", "completed"),  # 1 day: 03-31
        ep("E", "CE", "2.1", "2024-04-01", "2024-04-20", "completed"),  # starts after March
    ], relapse_events=[
        ev("CA", "2024-02-29"), ev("CA", "2024-03-01"), ev("CA", "2024-03-31"),
        ev("CA", "2024-04-01"),
        ev("CB", "2024-02-20"), ev("CC", "2024-03-01"), ev("CD", "2024-04-01"),
        ev("CE", "2024-04-02"),
    ])
    k = kpis_for(db, *MARCH, as_of=LATE)
    # client-days 31 + 1 + 1 = 33; relapse days (CA 03-01), (CA 03-31), (CC 03-01) = 3
    assert_rate(k, "relapse_rate_per_1000_days", 3, 33, 1000 * 3 / 33)
    # overlapping: A, C, D; with a relapse day in window and period: A, C (D's is 04-01)
    assert_rate(k, "relapse_episode_rate", 2, 3, 2 / 3)


def test_relapse_program_filter_and_focus(tmp_path):
    """A program filter keeps the focus episodes (windows) of that program; focus 2.1,2.5 adds
    2.5 windows."""
    db = build_fixture(tmp_path, episodes=[
        ep("N", "C1", "2.1", "2024-03-01", "2024-03-10", "transferred", program="North"),
        ep("S", "C1", "2.1", "2024-03-21", "2024-03-31", "completed", program="South"),
        ep("P", "C2", "2.5", "2024-03-01", "2024-03-04", "completed", program="North"),
    ], relapse_events=[ev("C1", "2024-03-05"), ev("C1", "2024-03-25"), ev("C1", "2024-03-26"),
                       ev("C2", "2024-03-02")])
    north = kpis_for(db, *MARCH, as_of=LATE, program="North")
    assert_rate(north, "relapse_rate_per_1000_days", 1, 10, 100.0)      # N: 10 days, 03-05
    assert_rate(north, "relapse_episode_rate", 1, 1, 1.0)
    south = kpis_for(db, *MARCH, as_of=LATE, program="South")
    assert_rate(south, "relapse_rate_per_1000_days", 2, 11, 1000 * 2 / 11)  # 03-21..03-31
    both = kpis_for(db, *MARCH, as_of=LATE, focus="2.1,2.5")
    # client-days 10 + 11 + 4 (P: 03-01..03-04) = 25; relapse days 3 + 1 = 4
    assert_rate(both, "relapse_rate_per_1000_days", 4, 25, 160.0)
    assert_rate(both, "relapse_episode_rate", 3, 3, 1.0)


def test_relapse_no_client_days_is_null(tmp_path):
    """No focus window in the period: no client-days, rate null (not 0)."""
    db = build_fixture(tmp_path, episodes=[
        ep("A", "CA", "3.5", "2024-03-01", "2024-03-20", "completed"),
    ], relapse_events=[ev("CA", "2024-03-05")])
    k = kpis_for(db, *MARCH, as_of=LATE)
    assert_rate(k, "relapse_rate_per_1000_days", 0, 0, None)
    assert_rate(k, "relapse_episode_rate", 0, 0, None)


def test_relapse_client_days_windows_sharing_one_day_counted_once(tmp_path):
    """A transfer 2.1 -> 2.1 on the same day: windows 03-01..03-10 and 03-10..03-20 share
    03-10, which is one client-day (union 03-01..03-20 = 20 days, not 21)."""
    db = build_fixture(tmp_path, episodes=[
        ep("A1", "CA", "2.1", "2024-03-01", "2024-03-10", "transferred"),
        ep("A2", "CA", "2.1", "2024-03-10", "2024-03-20", "completed"),
    ], relapse_events=[ev("CA", "2024-03-10")])
    k = kpis_for(db, *MARCH, as_of=LATE)
    assert_rate(k, "relapse_rate_per_1000_days", 1, 20, 50.0)
    assert_rate(k, "relapse_episode_rate", 2, 2, 1.0)  # 03-10 is inside both windows
