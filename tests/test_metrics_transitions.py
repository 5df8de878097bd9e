"""step_down_7d_rate, step_down_30d_rate, step_up_rate.

Expected values worked out by hand from SPEC section 4 (and "level order" in section 3).
Discharges are on 2024-03-10 unless said otherwise:
+7 = 03-17, +8 = 03-18, +14 = 03-24, +15 = 03-25, +30 = 04-09 (21 days to 03-31, +9), +31 = 04-10.
"""

from __future__ import annotations

import pytest

from helpers import assert_rate, build_fixture, ep, kpis_for

MARCH = ("2024-03-01", "2024-03-31")
LATE = "2024-12-31"


def res(cid, discharge="2024-03-10", reason="completed", level="3.5", **extra):
    return ep(f"R-{cid}", cid, level, "2024-02-01", discharge, reason, **extra)


# ------------------------------------------------------------------------------ step-down


def test_step_down_days_after_discharge_0_7_8_30_31(tmp_path):
    """Lower level admitted 0..N days after the level-3 discharge: 0 and 7 count for 7d, 8 does
    not; 30 counts for 30d, 31 does not; no later episode does not."""
    db = build_fixture(tmp_path, episodes=[
        res("A"), ep("A2", "A", "2.1", "2024-03-10"),   # 0 days
        res("B"), ep("B2", "B", "2.1", "2024-03-17"),   # 7 days
        res("C"), ep("C2", "C", "2.1", "2024-03-18"),   # 8 days
        res("D"), ep("D2", "D", "1.0", "2024-04-09"),   # 30 days
        res("E"), ep("E2", "E", "2.1", "2024-04-10"),   # 31 days
        res("F"),                                       # nothing after
    ])
    k = kpis_for(db, *MARCH, as_of=LATE)
    assert_rate(k, "step_down_7d_rate", 2, 6, 1 / 3)   # A, B
    assert_rate(k, "step_down_30d_rate", 4, 6, 2 / 3)  # A, B, C, D


def test_step_down_which_discharges_and_levels_count(tmp_path):
    """Only completed/transferred discharges at level >= 3.0 are in the denominator; 3.7-WM ->
    3.5 is a step-down (numeric order), 3.7-WM -> 3.7 is not (equal), same or higher level
    is not, a lower episode admitted the day before the discharge is not (0..N after)."""
    db = build_fixture(tmp_path, episodes=[
        res("G", reason="dropped_out"), ep("G2", "G", "2.1", "2024-03-10"),  # not in den.
        res("H", level="3.7-WM", reason="transferred"), ep("H2", "H", "3.5", "2024-03-12"),
        res("I", level="3.7-WM"), ep("I2", "I", "3.7", "2024-03-11"),       # equal level
        res("J"), ep("J2", "J", "3.5", "2024-03-12"),                       # same level
        res("K"), ep("K2", "K", "4.0", "2024-03-12"),                       # higher
        res("L"), ep("L2", "L", "2.1", "2024-03-09"),                       # 1 day before
        res("M", level="3.1", reason="transferred"), ep("M2", "M", "1.0", "2024-03-15"),
        ep("N1", "N", "2.7", "2024-02-01", "2024-03-10", "completed"),      # 2.7 < 3.0
        ep("N2", "N", "1.0", "2024-03-10"),
    ])
    k = kpis_for(db, *MARCH, as_of=LATE)
    # denominator: H, I, J, K, L, M (G dropped out; N is 2.7; the later episodes are open)
    # step-downs within 7 days: H (3.7-WM -> 3.5, 2 days), M (3.1 -> 1.0, 5 days)
    assert_rate(k, "step_down_7d_rate", 2, 6, 1 / 3)
    assert_rate(k, "step_down_30d_rate", 2, 6, 1 / 3)


def test_step_down_discharge_period_ends_inclusive(tmp_path):
    """Level-3 discharges on the period's first and last day count; the day before/after not."""
    db = build_fixture(tmp_path, episodes=[
        res("A", discharge="2024-02-29"), ep("A2", "A", "2.1", "2024-02-29"),  # out
        res("B", discharge="2024-03-01"), ep("B2", "B", "2.1", "2024-03-01"),  # in
        res("C", discharge="2024-03-31"),                                     # in, no step
        res("D", discharge="2024-04-01"), ep("D2", "D", "2.1", "2024-04-01"),  # out
    ])
    k = kpis_for(db, *MARCH, as_of=LATE)
    assert_rate(k, "step_down_7d_rate", 1, 2, 0.5)
    assert_rate(k, "step_down_30d_rate", 1, 2, 0.5)


def test_step_down_eligible_only_when_discharge_plus_n_at_or_before_as_of(tmp_path):
    """discharge + N <= as-of: with as-of 03-17, the 03-10 discharge is eligible at 7 days
    (03-17), not at 30; the 03-11 discharge (+7 = 03-18) is not eligible at all; a level-3
    discharge after the as-of date is open."""
    db = build_fixture(tmp_path, episodes=[
        res("A", discharge="2024-03-10"), ep("A2", "A", "2.1", "2024-03-12"),
        res("B", discharge="2024-03-11"), ep("B2", "B", "2.1", "2024-03-12"),
        res("C", discharge="2024-03-20"),   # after as-of: still open on 03-17
    ])
    k = kpis_for(db, *MARCH, as_of="2024-03-17")
    assert_rate(k, "step_down_7d_rate", 1, 1, 1.0)
    assert_rate(k, "step_down_30d_rate", 0, 0, None)


def test_step_down_program_filter_later_episode_in_other_program_counts(tmp_path):
    """A program filter keeps the level-3 episodes of that program; the later lower episode may
    be in any program (look-ups use all the client's episodes), and need not share a stay."""
    db = build_fixture(tmp_path, episodes=[
        res("I", reason="transferred", program="Res"),
        ep("I2", "I", "2.1", "2024-03-12", program="IOP-North"),
        res("J", program="Other"),  # no later episode
        # step-down 20 days later: not the same stay (gap > 14) but counts for 30d
        res("K", program="Res"), ep("K2", "K", "1.0", "2024-03-30", program="OP"),
    ])
    k = kpis_for(db, *MARCH, as_of=LATE, program="Res")
    assert_rate(k, "step_down_7d_rate", 1, 2, 0.5)   # I
    assert_rate(k, "step_down_30d_rate", 2, 2, 1.0)  # I, K (20 days)
    k = kpis_for(db, *MARCH, as_of=LATE)
    assert_rate(k, "step_down_7d_rate", 1, 3, 1 / 3)
    assert_rate(k, "step_down_30d_rate", 2, 3, 2 / 3)


# -------------------------------------------------------------------------------- step-up


def test_step_up_14_vs_15_days_and_levels(tmp_path):
    """Of focus discharges (any reason), higher level admitted 0..14 days after: 14 counts, 15
    not; 0 days counts; a lower level does not; 3.5 discharges are not in the denominator."""
    db = build_fixture(tmp_path, episodes=[
        ep("A", "A", "2.1", "2024-02-01", "2024-03-10", "dropped_out"),
        ep("A2", "A", "3.5", "2024-03-24"),                               # 14 days: yes
        ep("B", "B", "2.1", "2024-02-01", "2024-03-10", "transferred"),
        ep("B2", "B", "3.5", "2024-03-25"),                               # 15 days: no
        ep("C", "C", "2.1", "2024-02-01", "2024-03-10", "completed"),
        ep("C2", "C", "2.5", "2024-03-10"),                               # 0 days, 2.5 > 2.1
        ep("D", "D", "2.1", "2024-02-01", "2024-03-10", "completed"),
        ep("D2", "D", "1.0", "2024-03-11"),                               # lower: no
        ep("E", "E", "3.5", "2024-02-01", "2024-03-10", "completed"),     # not focus
        ep("E2", "E", "4.0", "2024-03-11"),
        ep("F", "F", "2.1", "2024-02-01", "2024-03-10", "other"),
        ep("F2", "F", "detox", "2024-03-12"),                             # 3.7-WM: yes
        ep("G", "G", "2.1", "2024-02-01", "2024-03-10", "terminated"),
        ep("G2", "G", "2.1", "2024-03-11"),                               # same level: no
    ])
    k = kpis_for(db, *MARCH, as_of=LATE)
    assert_rate(k, "step_up_rate", 3, 6, 0.5)  # den A B C D F G; num A C F


def test_step_up_eligible_only_when_discharge_plus_14_at_or_before_as_of(tmp_path):
    """discharge + 14 <= as-of: with as-of 03-24, the 03-10 discharge is eligible, the 03-11
    one is not."""
    db = build_fixture(tmp_path, episodes=[
        ep("A", "A", "2.1", "2024-02-01", "2024-03-10", "dropped_out"),
        ep("A2", "A", "3.5", "2024-03-12"),
        ep("B", "B", "2.1", "2024-02-01", "2024-03-11", "dropped_out"),
        ep("B2", "B", "3.5", "2024-03-12"),
    ])
    k = kpis_for(db, *MARCH, as_of="2024-03-24")
    assert_rate(k, "step_up_rate", 1, 1, 1.0)


def test_step_up_focus_2_1_and_2_5(tmp_path):
    """With focus 2.1,2.5 a 2.5 discharge is in the denominator (2.5 -> 3.5 is a step-up),
    and 2.1 -> 2.5 is still a step-up."""
    db = build_fixture(tmp_path, episodes=[
        ep("A", "A", "2.5", "2024-02-01", "2024-03-10", "transferred"),
        ep("A2", "A", "3.5", "2024-03-11"),
        ep("B", "B", "2.1", "2024-02-01", "2024-03-10", "transferred"),
        ep("B2", "B", "2.5", "2024-03-11"),
    ])
    k = kpis_for(db, *MARCH, as_of=LATE, focus="2.1,2.5")
    assert_rate(k, "step_up_rate", 2, 2, 1.0)
    k = kpis_for(db, *MARCH, as_of=LATE)
    assert_rate(k, "step_up_rate", 1, 1, 1.0)  # only B's 2.1 discharge


def test_step_down_level_aliases(tmp_path):
    """Aliases: RES/residential = 3.5, OP = 1.0, IOP = 2.1."""
    db = build_fixture(tmp_path, episodes=[
        ep("A1", "A", "RES", "2024-02-01", "2024-03-10", "transferred"),
        ep("A2", "A", "OP", "2024-03-12"),                                 # 2 days: both
        ep("B1", "B", "residential", "2024-02-01", "2024-03-10", "completed"),
        ep("B2", "B", "IOP", "2024-03-20"),                                # 10 days: 30d only
    ])
    k = kpis_for(db, *MARCH, as_of=LATE)
    assert_rate(k, "step_down_7d_rate", 1, 2, 0.5)
    assert_rate(k, "step_down_30d_rate", 2, 2, 1.0)
