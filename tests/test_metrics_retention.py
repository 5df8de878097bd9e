"""continuation_rate, retention_{N}d, attendance_rate.

Expected values are worked out by hand from SPEC sections 3 (stay, session, belongs to) and 4.
Admissions are on 2024-01-01 unless said otherwise:
admit + 30 = 2024-01-31, admit + 60 = 2024-03-01 (2024 is a leap year), admit + 90 = 2024-03-31.
"""

from __future__ import annotations

import pytest

from helpers import assert_rate, att, build_fixture, ep, kpis_for

JAN = ("2024-01-01", "2024-01-31")
LATE = "2024-06-30"  # an as-of well after every window


# ------------------------------------------------------------------------- continuation


def test_continuation_eligible_when_admit_plus_30_equals_as_of(tmp_path):
    """admit + 30 <= as-of: admitted 03-01 (+30 = 03-31 = as-of) is eligible; admitted 03-02
    (+30 = 04-01) is not, even with five sessions."""
    db = build_fixture(tmp_path, episodes=[
        ep("A", "C1", "2.1", "2024-03-01"),
        ep("B", "C2", "2.1", "2024-03-02"),
    ], attendance=[att("C1", f"2024-03-0{d}") for d in range(1, 6)]
                  + [att("C2", f"2024-03-0{d}") for d in range(2, 7)])
    k = kpis_for(db, "2024-03-01", "2024-03-31", as_of="2024-03-31")
    assert_rate(k, "continuation_rate", 1, 1, 1.0)  # only A eligible; A has 5 sessions


def test_continuation_five_attended_treatment_sessions_days_0_to_30(tmp_path):
    """Five attended treatment sessions dated admit .. admit + 30 (day 0 and day 30 count);
    four do not, whatever else the client has (day 31, a workshop, no_show, cancelled,
    excused)."""
    db = build_fixture(tmp_path, episodes=[
        ep("A", "C1", "2.1", "2024-01-01"),
        ep("B", "C2", "2.1", "2024-01-01"),
    ], attendance=[
        # C1: day 0, 7, 14, 21, 30 of several treatment types -> 5 -> continued
        att("C1", "2024-01-01"), att("C1", "2024-01-08", session_type="individual"),
        att("C1", "2024-01-15", session_type="family"),
        att("C1", "2024-01-22", session_type="medication"),
        att("C1", "2024-01-31", session_type="other"),
        # C2: 4 attended treatment sessions in 0..30 ...
        att("C2", "2024-01-01"), att("C2", "2024-01-08"), att("C2", "2024-01-15"),
        att("C2", "2024-01-22"),
        # ... + day 31 (02-01), a workshop, no_show, cancelled, excused: none count
        att("C2", "2024-02-01"), att("C2", "2024-01-25", session_type="workshop"),
        att("C2", "2024-01-26", status="no_show"), att("C2", "2024-01-27", status="cancelled"),
        att("C2", "2024-01-28", status="excused"),
    ])
    k = kpis_for(db, *JAN, as_of=LATE)
    assert_rate(k, "continuation_rate", 1, 2, 0.5)


def test_continuation_session_id_is_one_session_attended_wins(tmp_path):
    """Rows of one client sharing a session_id are one session; attended wins over no_show;
    the same session_id of another client is that client's own session."""
    db = build_fixture(tmp_path, episodes=[
        ep("C", "C3", "2.1", "2024-01-01"),
        ep("D", "C4", "2.1", "2024-01-01"),
        ep("E", "C5", "2.1", "2024-01-01"),
        ep("F", "C6", "2.1", "2024-01-01"),
    ], attendance=[
        # C3: S1 twice (one session) + 3 others = 4 sessions -> not continued
        att("C3", "2024-01-02", session_id="S1"), att("C3", "2024-01-03", session_id="S1"),
        att("C3", "2024-01-10"), att("C3", "2024-01-11"), att("C3", "2024-01-12"),
        # C4: S2 no_show + attended -> one attended session; + 4 others = 5 -> continued
        att("C4", "2024-01-02", status="no_show", session_id="S2"),
        att("C4", "2024-01-02", status="attended", session_id="S2"),
        att("C4", "2024-01-10"), att("C4", "2024-01-11"), att("C4", "2024-01-12"),
        att("C4", "2024-01-13"),
        # C5: S3 no_show + cancelled -> a no_show session; + 4 attended = 4 -> not
        att("C5", "2024-01-02", status="no_show", session_id="S3"),
        att("C5", "2024-01-02", status="cancelled", session_id="S3"),
        att("C5", "2024-01-10"), att("C5", "2024-01-11"), att("C5", "2024-01-12"),
        att("C5", "2024-01-13"),
        # C6: its own S1 (same id as C3's, another client) + 4 = 5 -> continued
        att("C6", "2024-01-02", session_id="S1"),
        att("C6", "2024-01-10"), att("C6", "2024-01-11"), att("C6", "2024-01-12"),
        att("C6", "2024-01-13"),
    ])
    k = kpis_for(db, *JAN, as_of=LATE)
    assert_rate(k, "continuation_rate", 2, 4, 0.5)  # C4, C6


def test_continuation_counts_sessions_of_earlier_episode_of_the_stay(tmp_path):
    """Sessions that belong (by episode_id) to an earlier, overlapping 3.5 episode of the same
    stay count when dated admit .. admit + 30; ones dated before the admission do not."""
    db = build_fixture(tmp_path, episodes=[
        ep("R1", "C1", "3.5", "2023-12-15", "2024-01-05", "transferred"),
        ep("E1", "C1", "2.1", "2024-01-03"),  # overlaps R1: same stay
    ], attendance=[
        att("C1", "2023-12-20", episode_id="R1"),   # before the 2.1 admission: out
        att("C1", "2024-01-03", episode_id="R1"),   # in (belongs to R1, same stay)
        att("C1", "2024-01-04", episode_id="R1"),   # in
        att("C1", "2024-01-05", episode_id="R1"),   # in
        att("C1", "2024-01-10"), att("C1", "2024-01-12"),  # belong to E1 by date: in
    ])
    k = kpis_for(db, *JAN, as_of=LATE)
    # E1 admit 01-03, + 30 = 02-02; sessions 01-03, 01-04, 01-05, 01-10, 01-12 = 5
    assert_rate(k, "continuation_rate", 1, 1, 1.0)


def test_continuation_ignores_sessions_belonging_to_another_stay(tmp_path):
    """A session whose episode_id names the client's episode of an earlier stay belongs to that
    episode whatever its date, so it is not a session of the admission's stay."""
    db = build_fixture(tmp_path, episodes=[
        ep("R2", "C2", "3.5", "2023-11-01", "2023-12-01", "completed"),
        ep("E2", "C2", "2.1", "2024-01-03"),  # 33 days after R2's discharge: new stay
    ], attendance=[
        att("C2", "2024-01-03", episode_id="R2"), att("C2", "2024-01-04", episode_id="R2"),
        att("C2", "2024-01-05", episode_id="R2"),     # belong to R2 (other stay)
        att("C2", "2024-01-10"), att("C2", "2024-01-12"),  # belong to E2: only 2 count
    ])
    k = kpis_for(db, *JAN, as_of=LATE)
    assert_rate(k, "continuation_rate", 0, 1, 0.0)


def test_continuation_stay_chained_by_14_days_not_15(tmp_path):
    """A 1.0 episode admitted 14 days after the 2.1 discharge joins the stay (its sessions
    count); admitted 15 days after, it starts a new stay (they do not)."""
    db = build_fixture(tmp_path, episodes=[
        ep("A", "C1", "2.1", "2024-01-01", "2024-01-05", "dropped_out"),
        ep("A2", "C1", "1.0", "2024-01-19"),  # 01-05 + 14 = 01-19: same stay
        ep("B", "C2", "2.1", "2024-01-01", "2024-01-05", "dropped_out"),
        ep("B2", "C2", "1.0", "2024-01-20"),  # 01-05 + 15: new stay
    ], attendance=[
        *(att(c, d) for c in ("C1", "C2") for d in ("2024-01-01", "2024-01-03", "2024-01-05")),
        *(att(c, d) for c in ("C1", "C2") for d in ("2024-01-20", "2024-01-25")),
    ])
    k = kpis_for(db, *JAN, as_of=LATE)
    # C1: 3 in A + 2 in A2 (same stay) = 5 -> continued; C2: 3 only -> not
    assert_rate(k, "continuation_rate", 1, 2, 0.5)


def test_continuation_transfer_out_before_day_30_stays_in_denominator(tmp_path):
    """A transfer out before day 30 is not left out of continuation (unlike retention)."""
    db = build_fixture(tmp_path, episodes=[
        ep("A", "C1", "2.1", "2024-01-01", "2024-01-20", "transferred"),
        ep("B", "C2", "2.1", "2024-01-01"),
    ], attendance=[
        *(att("C1", f"2024-01-1{d}") for d in range(1, 5)),   # 4 sessions
        *(att("C2", f"2024-01-1{d}") for d in range(1, 6)),   # 5 sessions
    ])
    k = kpis_for(db, *JAN, as_of=LATE)
    assert_rate(k, "continuation_rate", 1, 2, 0.5)


# ---------------------------------------------------------------------------- retention


def test_retention_session_exactly_on_day_n(tmp_path):
    """Retained at N = an attended treatment session dated on/after admit + N: day N itself
    counts, day N - 1 does not; a workshop or a no_show on day 90 does not count."""
    db = build_fixture(tmp_path, episodes=[
        ep(e, c, "2.1", "2024-01-01") for e, c in
        [("A", "C1"), ("B", "C2"), ("C", "C3"), ("D", "C4"), ("E", "C5"), ("F", "C6")]
    ], attendance=[
        att("C1", "2024-01-31"),                              # day 30
        att("C2", "2024-01-30"),                              # day 29
        att("C3", "2024-03-31", session_type="individual"),   # day 90
        att("C4", "2024-03-31", session_type="workshop"),     # workshop: not treatment
        att("C5", "2024-03-31", status="no_show"),            # not attended
        att("C6", "2024-03-01"),                              # day 60
    ])
    k = kpis_for(db, *JAN, as_of=LATE)
    assert_rate(k, "retention_30d", 3, 6, 0.5)      # C1, C3, C6
    assert_rate(k, "retention_60d", 2, 6, 1 / 3)    # C3, C6
    assert_rate(k, "retention_90d", 1, 6, 1 / 6)    # C3


def test_retention_eligible_when_admit_plus_n_equals_as_of(tmp_path):
    """admit + N <= as-of: with as-of 03-01, admitted 01-01 (+60 = 03-01) is eligible at 60 days,
    admitted 01-02 (+60 = 03-02) is not; nobody is eligible at 90 (rate null)."""
    db = build_fixture(tmp_path, episodes=[
        ep("A", "C1", "2.1", "2024-01-01"),
        ep("B", "C2", "2.1", "2024-01-02"),
    ], attendance=[att("C1", "2024-03-01"), att("C2", "2024-03-01")])
    k = kpis_for(db, *JAN, as_of="2024-03-01")
    # 30d: 01-31 and 02-01 <= 03-01, both eligible; sessions 03-01 on/after both -> 2/2
    assert_rate(k, "retention_30d", 2, 2, 1.0)
    # 60d: only A; its session on 03-01 = admit + 60 -> retained
    assert_rate(k, "retention_60d", 1, 1, 1.0)
    assert_rate(k, "retention_90d", 0, 0, None)


def test_retention_any_n_on_request(tmp_path):
    """days='45' gives retention_45d only: admit + 45 = 02-15; session on 02-15 retained,
    one on 02-14 not."""
    db = build_fixture(tmp_path, episodes=[
        ep("A", "C1", "2.1", "2024-01-01"), ep("B", "C2", "2.1", "2024-01-01"),
    ], attendance=[att("C1", "2024-02-15"), att("C2", "2024-02-14")])
    k = kpis_for(db, *JAN, as_of=LATE, days="45")
    assert_rate(k, "retention_45d", 1, 2, 0.5)
    assert "retention_30d" not in k


def test_retention_stay_ended_transferred_before_day_n_left_out(tmp_path):
    """A stay ended transferred one day before admit + N is left out; ended transferred on
    admit + N it stays in; a transfer followed by an episode within 14 days is no ended stay."""
    db = build_fixture(tmp_path, episodes=[
        ep("T1", "C1", "2.1", "2024-01-01", "2024-01-30", "transferred"),  # day 29: out of 30
        ep("T2", "C2", "2.1", "2024-01-01", "2024-01-31", "transferred"),  # day 30: kept
        ep("T3", "C3", "2.1", "2024-01-01", "2024-01-20", "transferred"),
        ep("T3b", "C3", "1.0", "2024-01-25"),                              # stay still open
        ep("T4", "C4", "2.1", "2024-01-01", "2024-01-15", "transferred"),  # out of all N
    ], attendance=[att("C3", "2024-02-05"), att("C4", "2024-02-10")])
    k = kpis_for(db, *JAN, as_of=LATE)
    # 30: T2 (not retained: no session on/after 01-31, not completed), T3 (session 02-05
    #     belongs to T3b, same stay, on/after 01-31 -> retained)
    assert_rate(k, "retention_30d", 1, 2, 0.5)
    # 60 (03-01): T1, T2, T4 ended transferred before 03-01 -> out; T3: 02-05 < 03-01 -> not
    assert_rate(k, "retention_60d", 0, 1, 0.0)
    assert_rate(k, "retention_90d", 0, 1, 0.0)


def test_retention_stay_ended_completed_is_retained(tmp_path):
    """A stay ended completed (reason of its latest discharge, latest-admitted on a tie) is
    retained at every N, even when it ended before day N."""
    db = build_fixture(tmp_path, episodes=[
        # completed on day 14 -> retained
        ep("A", "C1", "2.1", "2024-01-01", "2024-01-15", "completed"),
        # overlapping 1.0 episode ends later, completed -> stay ended completed -> retained
        ep("B", "C2", "2.1", "2024-01-01", "2024-01-20", "dropped_out"),
        ep("B2", "C2", "1.0", "2024-01-10", "2024-02-10", "completed"),
        # 2.1 completed, then 1.0 within 14 days dropped out -> stay ended dropped_out
        ep("C", "C3", "2.1", "2024-01-01", "2024-01-15", "completed"),
        ep("C2", "C3", "1.0", "2024-01-20", "2024-01-25", "dropped_out"),
        # tie on the latest discharge 01-20: latest-admitted (1.0, dropped_out) gives the reason
        ep("D", "C4", "2.1", "2024-01-01", "2024-01-20", "completed"),
        ep("D2", "C4", "1.0", "2024-01-10", "2024-01-20", "dropped_out"),
        # dropped out, no session -> not retained
        ep("E", "C5", "2.1", "2024-01-01", "2024-01-20", "dropped_out"),
    ])
    k = kpis_for(db, *JAN, as_of=LATE)
    for n in (30, 60, 90):
        assert_rate(k, f"retention_{n}d", 2, 5, 0.4)  # A, B


def test_retention_stay_chained_by_14_days_not_15(tmp_path):
    """A session in a 1.0 episode admitted 14 days after the 2.1 discharge (same stay) retains
    the 2.1 admission; admitted 15 days after (new stay) it does not."""
    db = build_fixture(tmp_path, episodes=[
        ep("A", "C1", "2.1", "2024-01-01", "2024-01-20", "dropped_out"),
        ep("A2", "C1", "1.0", "2024-02-03"),  # 01-20 + 14 = 02-03: same stay
        ep("B", "C2", "2.1", "2024-01-01", "2024-01-20", "dropped_out"),
        ep("B2", "C2", "1.0", "2024-02-04"),  # 01-20 + 15: new stay
    ], attendance=[att("C1", "2024-02-15"), att("C2", "2024-02-15")])
    k = kpis_for(db, *JAN, as_of=LATE)
    assert_rate(k, "retention_30d", 1, 2, 0.5)  # 02-15 >= 01-31 for C1's stay only
    assert_rate(k, "retention_60d", 0, 2, 0.0)  # 02-15 < 03-01


def test_retention_with_as_of_before_discharge(tmp_path):
    """As-of 02-15: the 03-01 completed discharge is not known (stay open) and the 02-20 session
    is left out -> not retained at 30; as of the data (03-01) the stay ended completed."""
    db = build_fixture(tmp_path, episodes=[
        ep("A", "C1", "2.1", "2024-01-01", "2024-03-01", "completed"),
    ], attendance=[att("C1", "2024-02-20")])
    early = kpis_for(db, *JAN, as_of="2024-02-15")
    assert_rate(early, "retention_30d", 0, 1, 0.0)
    assert_rate(early, "retention_60d", 0, 0, None)  # 03-01 > 02-15
    full = kpis_for(db, *JAN)  # as-of = latest date = 03-01
    assert full["as_of"] == "2024-03-01"
    assert_rate(full, "retention_30d", 1, 1, 1.0)
    assert_rate(full, "retention_60d", 1, 1, 1.0)  # 01-01 + 60 = 03-01 <= as-of
    assert_rate(full, "retention_90d", 0, 0, None)


# ---------------------------------------------------------------------------- attendance


def test_attendance_rate_statuses_period_and_focus(tmp_path):
    """attended / (attended + no_show), sessions of any type (workshops too) dated in the period
    and belonging to a focus episode; cancelled/excused in neither count."""
    db = build_fixture(tmp_path, episodes=[
        ep("E1", "C1", "2.1", "2024-01-01"),
        ep("R1", "C2", "3.5", "2024-01-01"),   # not focus
    ], attendance=[
        att("C1", "2024-01-31"),                                      # before period
        att("C1", "2024-02-01"),                                      # attended (start)
        att("C1", "2024-02-10", status="no_show", session_type="individual"),  # no_show
        att("C1", "2024-02-11", status="cancelled"),                  # neither
        att("C1", "2024-02-12", status="excused"),                    # neither
        att("C1", "2024-02-15", session_type="workshop"),             # attended (workshop)
        att("C1", "2024-02-29", status="no_show"),                    # no_show (end)
        att("C1", "2024-03-01"),                                      # after period
        att("C2", "2024-02-05"), att("C2", "2024-02-06", status="no_show"),  # 3.5 episode
        att("C3", "2024-02-05"),                                      # belongs to no episode
    ])
    k = kpis_for(db, "2024-02-01", "2024-02-29", as_of=LATE)
    assert_rate(k, "attendance_rate", 2, 4, 0.5)


def test_attendance_rate_session_id_rows_are_one_session(tmp_path):
    """Two rows of one client with one session_id (no_show, attended) are one attended
    session."""
    db = build_fixture(tmp_path, episodes=[ep("E1", "C1", "2.1", "2024-01-01")], attendance=[
        att("C1", "2024-02-01"),
        att("C1", "2024-02-02", status="no_show"),
        att("C1", "2024-02-20", status="no_show", session_id="S9"),
        att("C1", "2024-02-20", status="attended", session_id="S9"),
    ])
    k = kpis_for(db, "2024-02-01", "2024-02-29", as_of=LATE)
    assert_rate(k, "attendance_rate", 2, 3, 2 / 3)  # attended 02-01, S9; no_show 02-02


def test_attendance_rate_program_of_the_episode_the_row_belongs_to(tmp_path):
    """With a program filter a row counts for the program of the episode it belongs to (by
    episode_id when given, even outside that episode's window; else by date)."""
    db = build_fixture(tmp_path, episodes=[
        ep("N1", "C1", "2.1", "2024-01-01", "2024-02-10", "transferred", program="North"),
        ep("S1", "C1", "2.1", "2024-02-11", program="South"),
    ], attendance=[
        att("C1", "2024-02-05"),                                   # by date -> N1 (North)
        att("C1", "2024-02-12", status="no_show"),                 # by date -> S1 (South)
        att("C1", "2024-02-13", episode_id="N1"),                  # by id -> N1 (North)
    ])
    north = kpis_for(db, "2024-02-01", "2024-02-29", as_of=LATE, program="North")
    assert_rate(north, "attendance_rate", 2, 2, 1.0)
    south = kpis_for(db, "2024-02-01", "2024-02-29", as_of=LATE, program="South")
    assert_rate(south, "attendance_rate", 0, 1, 0.0)
    both = kpis_for(db, "2024-02-01", "2024-02-29", as_of=LATE)
    assert_rate(both, "attendance_rate", 2, 3, 2 / 3)


# ---------------------------------------------------------- session, stay and belonging rules


def test_session_id_session_takes_date_of_its_chosen_row(tmp_path):
    """A session is its row first by status, then by date: two attended rows (01-30, 01-31) are
    a session dated 01-30 (before day 30: not retained); no_show 01-30 + attended 02-01 is an
    attended session dated 02-01 (retained)."""
    db = build_fixture(tmp_path, episodes=[
        ep("A", "C1", "2.1", "2024-01-01"), ep("B", "C2", "2.1", "2024-01-01"),
        ep("C", "C3", "2.1", "2024-01-01"),
    ], attendance=[
        att("C1", "2024-01-30", session_id="S1"), att("C1", "2024-01-31", session_id="S1"),
        att("C2", "2024-01-30", status="no_show", session_id="S2"),
        att("C2", "2024-02-01", session_id="S2"),
        att("C3", "2024-01-31"),   # control: plain row on day 30
    ])
    k = kpis_for(db, *JAN, as_of=LATE)
    assert_rate(k, "retention_30d", 2, 3, 2 / 3)  # C2, C3


def test_attendance_rate_session_dated_by_its_chosen_row(tmp_path):
    """Session S3 = attended row 02-29 + no_show row 03-01: one attended session dated 02-29,
    so it counts in February and not in March."""
    db = build_fixture(tmp_path, episodes=[ep("A", "C1", "2.1", "2024-01-01")], attendance=[
        att("C1", "2024-02-29", session_id="S3"),
        att("C1", "2024-03-01", status="no_show", session_id="S3"),
        att("C1", "2024-03-05"),
    ])
    march = kpis_for(db, "2024-03-01", "2024-03-31", as_of=LATE)
    assert_rate(march, "attendance_rate", 1, 1, 1.0)   # only 03-05
    feb = kpis_for(db, "2024-02-01", "2024-02-29", as_of=LATE)
    assert_rate(feb, "attendance_rate", 1, 1, 1.0)     # S3 attended


def test_attendance_rate_cut_at_earlier_as_of(tmp_path):
    """With as-of 02-15 inside February, a session dated 02-16 is left out."""
    db = build_fixture(tmp_path, episodes=[ep("A", "C1", "2.1", "2024-01-01")], attendance=[
        att("C1", "2024-02-10"), att("C1", "2024-02-14", status="no_show"),
        att("C1", "2024-02-15", status="no_show"), att("C1", "2024-02-16"),
    ])
    k = kpis_for(db, "2024-02-01", "2024-02-29", as_of="2024-02-15")
    assert_rate(k, "attendance_rate", 1, 3, 1 / 3)


def test_attendance_rate_belonging_tie_breaks(tmp_path):
    """Belongs to: the named episode when it exists and is the client's; otherwise by date, the
    latest admit_date, then the latest window end, then the greatest episode_id."""
    db = build_fixture(tmp_path, episodes=[
        # P: an overlapping later-admitted 3.5 episode takes the undated-id row of 02-05
        ep("P1", "CP", "2.1", "2024-01-01", program="North"),
        ep("P2", "CP", "3.5", "2024-02-01", "2024-02-10", "transferred", program="North"),
        # Q: same admit; QB's window ends later (open -> as-of) -> QB (South)
        ep("QA", "CQ", "2.1", "2024-01-01", "2024-03-31", "completed", program="North"),
        ep("QB", "CQ", "2.1", "2024-01-01", program="South"),
        # R: same admit and end -> greatest episode_id R-2 (South)
        ep("R-1", "CR", "2.1", "2024-01-01", "2024-03-31", "completed", program="North"),
        ep("R-2", "CR", "2.1", "2024-01-01", "2024-03-31", "completed", program="South"),
        ep("S1", "CS", "2.1", "2024-01-01", program="North"),
        ep("T1", "CT", "2.1", "2024-01-01", program="South"),
    ], attendance=[
        att("CP", "2024-02-05"),                           # -> P2 (3.5): not counted
        att("CP", "2024-02-06", episode_id="P1"),          # -> P1 North: attended
        att("CP", "2024-02-15", status="no_show"),         # -> P1 North: no_show
        att("CQ", "2024-02-10"),                           # -> QB South
        att("CR", "2024-02-11"),                           # -> R-2 South
        att("CS", "2024-02-12", episode_id="ZZZ"),         # unknown id -> by date: S1 North
        att("CT", "2024-02-13", episode_id="QA"),          # another client's id -> T1 South
    ])
    north = kpis_for(db, "2024-02-01", "2024-02-29", as_of=LATE, program="North")
    assert_rate(north, "attendance_rate", 2, 3, 2 / 3)   # CP 02-06, CP 02-15 (ns), CS
    south = kpis_for(db, "2024-02-01", "2024-02-29", as_of=LATE, program="South")
    assert_rate(south, "attendance_rate", 3, 3, 1.0)     # CQ, CR, CT
    everyone = kpis_for(db, "2024-02-01", "2024-02-29", as_of=LATE)
    assert_rate(everyone, "attendance_rate", 5, 6, 5 / 6)  # all but CP 02-05


def test_attendance_episode_id_not_yet_known_at_as_of_falls_back_to_date(tmp_path):
    """A row naming an episode admitted after the as-of date belongs by date instead."""
    db = build_fixture(tmp_path, episodes=[
        ep("U1", "CU", "2.1", "2024-01-01", program="North"),
        ep("U2", "CU", "2.1", "2024-03-10", program="South"),
    ], attendance=[att("CU", "2024-02-20", episode_id="U2")])
    early = kpis_for(db, "2024-02-01", "2024-02-29", as_of="2024-03-05", program="North")
    assert_rate(early, "attendance_rate", 1, 1, 1.0)      # U2 unknown -> U1 by date
    late_n = kpis_for(db, "2024-02-01", "2024-02-29", as_of=LATE, program="North")
    assert_rate(late_n, "attendance_rate", 0, 0, None)    # belongs to U2 by id
    late_s = kpis_for(db, "2024-02-01", "2024-02-29", as_of=LATE, program="South")
    assert_rate(late_s, "attendance_rate", 1, 1, 1.0)


def test_retention_open_episode_keeps_stay_open_and_latest_discharge_so_far(tmp_path):
    """An open episode keeps the stay open (every later episode joins); the 14-day gap is
    measured from the latest discharge so far in the stay, not the previous episode's."""
    db = build_fixture(tmp_path, episodes=[
        # A: open 3.5 since 2023 -> the 1.0 admitted 03-01 (51 days after 01-10) joins
        ep("A0", "CA", "3.5", "2023-10-01"),
        ep("A1", "CA", "2.1", "2024-01-01", "2024-01-10", "dropped_out"),
        ep("A2", "CA", "1.0", "2024-03-01"),
        # B: same without the open episode -> 1.0 on 03-01 starts a new stay
        ep("B1", "CB", "2.1", "2024-01-01", "2024-01-10", "dropped_out"),
        ep("B2", "CB", "1.0", "2024-03-01"),
        # C: latest discharge so far 03-01 (C1), not C2's 01-10 -> C3 (03-10) joins
        ep("C1", "CC", "2.1", "2024-01-01", "2024-03-01", "dropped_out"),
        ep("C2", "CC", "3.5", "2024-01-05", "2024-01-10", "transferred"),
        ep("C3", "CC", "1.0", "2024-03-10"),
    ], attendance=[att("CA", "2024-03-05"), att("CB", "2024-03-05"), att("CC", "2024-04-05")])
    k = kpis_for(db, *JAN, as_of=LATE)
    assert_rate(k, "retention_30d", 2, 3, 2 / 3)   # A (03-05 >= 01-31), C (04-05)
    assert_rate(k, "retention_60d", 2, 3, 2 / 3)   # A (03-05 >= 03-01), C
    assert_rate(k, "retention_90d", 1, 3, 1 / 3)   # C (04-05 >= 03-31)


def test_program_filter_stays_use_all_episodes(tmp_path):
    """With --program North, the North admission's stay still includes the South episode two
    days later: its sessions count for continuation and retention, and the North transfer is
    no ended stay."""
    db = build_fixture(tmp_path, episodes=[
        ep("N1", "C1", "2.1", "2024-01-01", "2024-01-10", "transferred", program="North"),
        ep("S1", "C1", "2.1", "2024-01-12", program="South"),
    ], attendance=[
        *(att("C1", f"2024-01-0{d}") for d in range(2, 6)),    # 4 sessions in N1
        att("C1", "2024-01-15"), att("C1", "2024-02-15"),      # in S1
    ])
    north = kpis_for(db, *JAN, as_of=LATE, program="North")
    assert north["admissions"] == 1
    # N1 window for continuation 01-01..01-31: 01-02..01-05 + 01-15 = 5 -> continued
    assert_rate(north, "continuation_rate", 1, 1, 1.0)
    # stay open (S1) -> not left out; 02-15 >= 01-31 -> retained
    assert_rate(north, "retention_30d", 1, 1, 1.0)
    south = kpis_for(db, *JAN, as_of=LATE, program="South")
    # S1 admit 01-12, +30 = 02-11: only 01-15 in 01-12..02-11 -> 1 session -> not continued
    assert_rate(south, "continuation_rate", 0, 1, 0.0)
    assert_rate(south, "retention_30d", 1, 1, 1.0)  # 02-15 >= 02-11
