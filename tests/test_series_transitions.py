"""The Transitions page's series: stay_flows, transition_matrix, level_waits, time_in_level,
step_down_by_month, step_down_gaps, step_up_precursors, returns_to_care; and the figures.

Expected numbers are worked out by hand in the comments from the fixture rows and the query
headers (SPEC sections 3-4: stays chain episodes admitted at most 14 days after the latest
discharge so far; levels compare by number, 3.7-WM as 3.7). 2024 is a leap year.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from helpers import build_fixture, ep, kpis_for
from outcomes.db import open_as_of
from outcomes.figures import transitions as figures
from outcomes.filters import Filters
from outcomes.runner import run

D = dt.date.fromisoformat


def rel(cid, date, event_type="positive_screen"):
    return {"client_id": cid, "event_date": date, "event_type": event_type}


def series(db, name, start, end, as_of, focus=("2.1",), program=None, **extra) -> pd.DataFrame:
    con = open_as_of(db, D(as_of))
    try:
        params = Filters(D(start), D(end), focus=tuple(focus), program=program).params()
        return run(con, name, {**params, **extra})
    finally:
        con.close()


def none_to_dash(value):
    return "-" if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA else value


# ------------------------------------------------------------------ moves between levels

MARCH = ("2024-03-01", "2024-03-31")
MOVES_ASOF = "2024-12-31"


@pytest.fixture(scope="module")
def moves_db(tmp_path_factory):
    return build_fixture(tmp_path_factory.mktemp("moves"), episodes=[
        # A: detox -> residential -> IOP -> OP -> IOP again, one stay, open (5 episodes)
        ep("A1", "A", "3.7-WM", "2024-03-01", "2024-03-05", "transferred"),
        ep("A2", "A", "3.5", "2024-03-05", "2024-03-30", "completed"),
        ep("A3", "A", "2.1", "2024-03-31", "2024-05-15", "completed"),
        ep("A4", "A", "1.0", "2024-05-16", "2024-06-30", "completed"),
        ep("A5", "A", "2.1", "2024-07-01"),
        ep("B1", "B", "2.1", "2024-03-10", "2024-04-10", "dropped_out"),
        ep("C1", "C", "2.1", "2024-03-15", "2024-04-15", "dropped_out"),
        ep("D1", "D", "3.5", "2024-03-20", "2024-04-10", "completed", program="North"),
        ep("D2", "D", "2.1", "2024-04-12", "2024-05-01", "transferred"),
        ep("E1", "E", "2.1", "2024-02-20", "2024-03-01", "completed"),
        ep("E2", "E", "2.1", "2024-03-25"),                                # 24 days later: new stay
        ep("G1", "G", "2.1", "2024-03-01", "2024-03-10", "dropped_out"),
        ep("G2", "G", "3.5", "2024-03-12", "2024-06-01", "completed"),     # step-up
        ep("H1", "H", "2.5", "2024-02-01", "2024-03-03", "completed"),
        ep("H2", "H", "2.1", "2024-03-05", "2024-04-30", "completed"),
        ep("I1", "I", "2.5", "2024-03-01", "2024-03-02", "transferred"),
        ep("I2", "I", "2.5", "2024-03-03", "2024-03-20", "completed"),     # same level
        ep("J1", "J", "3.5", "2024-03-01", "2024-03-20", "completed"),
        ep("J2", "J", "2.1", "2024-03-18"),                                # overlaps J1 by 2 days
        ep("K1", "K", "3.5", "2024-03-01", program="North"),               # open: keeps the stay open
        ep("K2", "K", "2.1", "2024-03-15", "2024-03-29", "dropped_out"),
    ])


def test_stay_flows_pathways_of_stays_started_in_the_period(moves_db):
    """Stays started in March: A, B, C, D, E's second stay, G, I, J, K (E's first stay began
    02-20 and H's 02-01). B and C share a pathway, and so do J and K (K's open residential
    episode keeps its stay in care)."""
    rows = series(moves_db, "stay_flows", *MARCH, as_of=MOVES_ASOF)
    got = {tuple(none_to_dash(v) for v in (r.level_1, r.level_2, r.level_3, r.level_4))
           + (bool(r.more_levels), r.outcome): r.stays for r in rows.itertuples()}
    assert got == {
        ("3.7-WM", "3.5", "2.1", "1.0", True, "still in care"): 1,
        ("2.1", "-", "-", "-", False, "dropped_out"): 2,
        ("3.5", "2.1", "-", "-", False, "transferred"): 1,
        ("2.1", "-", "-", "-", False, "still in care"): 1,
        ("2.1", "3.5", "-", "-", False, "completed"): 1,
        ("2.5", "2.5", "-", "-", False, "completed"): 1,
        ("3.5", "2.1", "-", "-", False, "still in care"): 2,
    }
    # program North: the stays with a North episode (D, K)
    north = series(moves_db, "stay_flows", *MARCH, as_of=MOVES_ASOF, program="North")
    assert sorted(north["outcome"]) == ["still in care", "transferred"]


def test_stay_sankey_columns_add_up_to_all_stays(moves_db):
    rows = series(moves_db, "stay_flows", *MARCH, as_of=MOVES_ASOF)
    fig = figures.stay_sankey(rows)
    sankey = fig.data[0]
    labels = list(sankey.node.label)
    # first column: 3.7-WM 1, 3.5 3 (D, J, K), 2.5 1, 2.1 4 (B, C, E2, G); outcomes on the right
    for label in ("3.7-WM Withdrawal mgmt · 1", "3.5 Residential · 3", "2.5 PHP · 1", "2.1 IOP · 4",
                  "Still in care · 4", "Dropped out · 2", "Completed · 2", "Transferred · 1"):
        assert label in labels, label
    # every column holds all 9 stays: the flow into the outcomes column is 9
    outcome_nodes = {i for i, l in enumerate(labels) if "·" in l and l.split(" ·")[0] in
                     ("Still in care", "Dropped out", "Completed", "Transferred")}
    assert sum(v for t, v in zip(sankey.link.target, sankey.link.value) if t in outcome_nodes) == 9
    # the 3.5 -> 2.1 link of the first two columns carries D, J and K and is a step-down (green)
    first = {l: i for i, l in enumerate(labels)}
    into = [(v, c) for s, t, v, c in zip(sankey.link.source, sankey.link.target, sankey.link.value, sankey.link.color)
            if s == first["3.5 Residential · 3"] and labels[t].startswith("2.1 IOP")]
    assert into == [(3, "rgba(26, 127, 55, 0.38)")]


def test_transition_matrix_counts_and_row_shares(moves_db):
    """Moves whose next episode started in March: A1->A2 (03-05), A2->A3 (03-31), G1->G2 (03-12,
    step-up), H1->H2 (03-05), I1->I2 (03-03, same level), J1->J2 (03-18, overlap), K1->K2 (03-15,
    out of an open episode). Not: A3->A4 (May), D1->D2 (April), E (a new stay)."""
    rows = series(moves_db, "transition_matrix", *MARCH, as_of=MOVES_ASOF)
    got = {(r.from_level, r.to_level): (r.direction, r.moves, r.from_total, r.row_share) for r in rows.itertuples()}
    assert got == {
        ("3.7-WM", "3.5"): ("step_down", 1, 1, 1.0),
        ("3.5", "2.1"): ("step_down", 3, 3, 1.0),
        ("2.5", "2.5"): ("same", 1, 2, 0.5),
        ("2.5", "2.1"): ("step_down", 1, 2, 0.5),
        ("2.1", "3.5"): ("step_up", 1, 1, 1.0),
    }
    assert list(rows["from_level"])[0] == "3.7-WM"    # highest level first
    north = series(moves_db, "transition_matrix", *MARCH, as_of=MOVES_ASOF, program="North")
    assert list(zip(north["from_level"], north["to_level"], north["moves"])) == [("3.5", "2.1", 1)]  # K
    fig = figures.transition_matrix(rows)
    by_name = {t.name: t for t in fig.data if t.type == "heatmap"}
    assert set(by_name) == {"Step-down (to a lower level)", "Step-up (to a higher level)", "Same level"}
    assert "3<br>100%" in [c for row in by_name["Step-down (to a lower level)"].text for c in row]


def test_level_waits_out_of_discharged_episodes(moves_db):
    """Waits (next admit - discharge, 0 for an overlap): 3.7-WM->3.5: A 0 (same day);
    3.5->2.1: A 1 (03-30 -> 03-31), J -2 -> 0 (overlap); K left out (its 3.5 is open) -> median
    0.5, quartiles 0.25 and 0.75; 2.5->2.5: I 1; 2.5->2.1: H 2 (03-03 -> 03-05); 2.1->3.5: G 2."""
    rows = series(moves_db, "level_waits", *MARCH, as_of=MOVES_ASOF)
    got = {(r.from_level, r.to_level): (r.moves, r.same_day, r.overlapping, r.median_wait, r.p25_wait, r.p75_wait, r.max_wait)
           for r in rows.itertuples()}
    assert got == {
        ("3.7-WM", "3.5"): (1, 1, 0, 0.0, 0.0, 0.0, 0),
        ("3.5", "2.1"): (2, 0, 1, 0.5, 0.25, 0.75, 1),
        ("2.5", "2.5"): (1, 0, 0, 1.0, 1.0, 1.0, 1),
        ("2.5", "2.1"): (1, 0, 0, 2.0, 2.0, 2.0, 2),
        ("2.1", "3.5"): (1, 0, 0, 2.0, 2.0, 2.0, 2),
    }
    assert len(figures.level_waits(rows).data) == 3   # step-down, same, step-up dots


def test_time_in_level(moves_db):
    """Episodes discharged in March, length = discharge - admit:
    3.7-WM: A1 4. 3.5: A2 25, J1 19. 2.5: H1 31 (02-01 -> 03-03), I1 1, I2 17.
    2.1: E1 10 (02-20 -> 03-01), G1 9, K2 14. Interpolated percentiles: 3.5 [19, 25]: median 22,
    p25 20.5, p75 23.5; 2.5 [1, 17, 31]: p10 4.2, p25 9, median 17, p75 24, p90 28.2;
    2.1 [9, 10, 14]: p25 9.5, median 10, p75 12. Open at the close of 03-31: 3.5: D1, G2, K1;
    2.1: A3, B1, C1, E2, H2, J2."""
    rows = series(moves_db, "time_in_level", *MARCH, as_of=MOVES_ASOF).set_index("level_of_care")
    assert list(rows.index) == ["3.7-WM", "3.5", "2.5", "2.1"]
    assert list(rows["discharges"]) == [1, 2, 3, 3]
    assert rows.loc["3.5", ["p25", "median", "p75"]].tolist() == pytest.approx([20.5, 22, 23.5])
    assert rows.loc["2.5", ["p10", "p25", "median", "p75", "p90"]].tolist() == pytest.approx([4.2, 9, 17, 24, 28.2])
    assert rows.loc["2.1", ["p25", "median", "p75"]].tolist() == pytest.approx([9.5, 10, 12])
    assert rows.loc["3.7-WM", "median"] == 4
    assert rows["still_open"].tolist() == [0, 3, 0, 6]


def test_moves_empty_period(moves_db):
    for name in ("stay_flows", "transition_matrix", "level_waits", "time_in_level"):
        assert series(moves_db, name, "2025-01-01", "2025-01-31", as_of=MOVES_ASOF).empty, name
    assert len(figures.stay_sankey(pd.DataFrame(columns=["level_1", "outcome", "stays"])).data) == 0


# ------------------------------------------------------------------ step-down follow-through

JAN_FEB = ("2024-01-01", "2024-02-29")
STEP_ASOF = "2024-03-20"


@pytest.fixture(scope="module")
def step_db(tmp_path_factory):
    return build_fixture(tmp_path_factory.mktemp("step"), episodes=[
        ep("R1", "C1", "3.5", "2023-12-20", "2024-01-10", "completed"), ep("L1", "C1", "2.1", "2024-01-10"),  # 0 days
        ep("R2", "C2", "3.5", "2023-12-20", "2024-01-20", "completed"), ep("L2", "C2", "2.1", "2024-01-27"),  # 7
        ep("R3", "C3", "3.7-WM", "2024-01-20", "2024-01-25", "transferred"),
        ep("L3", "C3", "2.5", "2024-02-02"),                                   # 8 days
        ep("R4", "C4", "3.5", "2024-01-01", "2024-01-31", "completed"), ep("L4", "C4", "1.0", "2024-03-01"),  # 30
        ep("R5", "C5", "3.5", "2024-01-10", "2024-02-05", "transferred"), ep("L5", "C5", "2.1", "2024-03-07"),  # 31
        ep("R6", "C6", "3.5", "2024-01-10", "2024-02-10", "dropped_out"), ep("L6", "C6", "2.1", "2024-02-10"),  # not eligible
        ep("R7", "C7", "3.5", "2024-02-01", "2024-02-25", "completed"),       # none yet, 24 days known
        ep("R8", "C8", "3.5", "2024-01-20", "2024-02-15", "completed"),
        ep("U8", "C8", "4.0", "2024-02-16", "2024-02-19", "transferred"),     # higher: not a step-down
        ep("S8", "C8", "3.5", "2024-02-20", "2024-03-15", "completed"),       # same level: not either
        ep("P9", "C9", "2.5", "2024-01-01", "2024-01-15", "completed"),       # below 3.0
        ep("R10", "C10", "3.5", "2023-12-01", "2023-12-31", "completed"),     # before the period
        ep("R11", "C11", "3.5", "2023-12-20", "2024-01-05", "completed"),
        ep("O11", "C11", "2.1", "2024-01-04", "2024-01-06", "transferred"),   # a day before: not after
        ep("L11", "C11", "1.0", "2024-01-09"),                                # 4 days
    ])


def test_step_down_by_month(step_db):
    """January discharges (R1 0 days, R2 7, R3 8, R4 30, R11 4): within 7 days R1, R2, R11 = 3/5;
    within 30 days all 5 (R4: 01-31 + 30 = 03-01, the admission day). February: R5 (31 days),
    R7 (none), R8 (none: U8 is higher, S8 the same level) and U8 (a 4.0 episode discharged
    transferred 02-19; S8 at 3.5, lower, admitted the next day: 1 day). Within 7 days: U8 =
    1/4. Within 30 days: R7 (02-25 + 30 = 03-26 > as-of 03-20) is not eligible yet, U8
    (02-19 + 30 = 03-20) just is -> U8 = 1/3. Left out: R6 dropped out, P9 is 2.5, R10
    discharged in December, S8 in March."""
    rows = series(step_db, "step_down_by_month", *JAN_FEB, as_of=STEP_ASOF)
    got = {(r.month.strftime("%m"), r.days): (r.discharges, r.eligible, r.stepped_down) for r in rows.itertuples()}
    assert got == {("01", 7): (5, 5, 3), ("01", 30): (5, 5, 5), ("02", 7): (4, 4, 1), ("02", 30): (4, 3, 1)}
    assert rows.set_index(["days"]).loc[30, "rate"].tolist() == pytest.approx([1.0, 1 / 3])
    # the months add up to the tiles: 4/9 and 6/8
    k = kpis_for(step_db, *JAN_FEB, as_of=STEP_ASOF)
    assert k["detail"]["step_down_7d_rate"] == {"numerator": 4, "denominator": 9}
    assert k["detail"]["step_down_30d_rate"] == {"numerator": 6, "denominator": 8}
    fig = figures.step_down_by_month(rows)
    assert [t.name for t in fig.data] == ["Within 7 days", "Within 30 days"]


def test_step_down_gap_bands(step_db):
    """First lower admission on or after the discharge: R1 0 (same day), U8 1, R11 4 and R2 7
    (4-7; R11's 2.1 admitted the day before its discharge does not count), R3 8 (8-14), R4 30
    (15-30), R5 31 (over 30); none: R7 (24 days known: under 30) and R8. Of 9."""
    rows = series(step_db, "step_down_gaps", *JAN_FEB, as_of=STEP_ASOF).set_index("band")
    assert list(rows.index) == ["same day", "1 day", "2-3 days", "4-7 days", "8-14 days", "15-30 days",
                                "over 30 days", "none yet"]
    assert rows["discharges"].tolist() == [1, 1, 0, 2, 1, 1, 1, 2]
    assert rows["follow_up_under_30"].tolist() == [0, 0, 0, 0, 0, 0, 0, 1]
    assert rows.loc["4-7 days", "share"] == pytest.approx(2 / 9)
    fig = figures.step_down_gaps(rows.reset_index())
    assert [t.name for t in fig.data][:2] == ["Follow-up of 30 days or more", "Under 30 days of follow-up so far"]


def test_step_down_empty_period(step_db):
    assert series(step_db, "step_down_by_month", "2024-04-01", "2024-04-30", as_of=STEP_ASOF).empty
    gaps = series(step_db, "step_down_gaps", "2024-04-01", "2024-04-30", as_of=STEP_ASOF)
    assert gaps["discharges"].sum() == 0 and gaps["share"].isna().all()
    assert len(figures.step_down_gaps(gaps).data) == 0


# ------------------------------------------------------------------ step-ups

STEP_UP_ASOF = "2024-04-08"


@pytest.fixture(scope="module")
def up_db(tmp_path_factory):
    return build_fixture(tmp_path_factory.mktemp("up"), episodes=[
        ep("F1", "U1", "2.1", "2024-02-01", "2024-03-10", "dropped_out"), ep("H1", "U1", "3.5", "2024-03-24"),  # 14 days
        ep("F2", "U2", "2.1", "2024-02-01", "2024-03-05", "completed"), ep("H2", "U2", "2.5", "2024-03-20"),    # 15 days
        ep("F3", "U3", "2.1", "2024-02-01", "2024-03-15", "transferred"), ep("H3", "U3", "2.5", "2024-03-15"),  # 0 days
        ep("F4", "U4", "2.1", "2024-02-01", "2024-03-20", "dropped_out"), ep("H4", "U4", "3.5", "2024-03-22"),
        ep("F5", "U5", "2.1", "2024-02-01", "2024-03-25", "completed"), ep("H5", "U5", "1.0", "2024-03-26"),    # lower
        ep("F6", "U6", "2.1", "2024-02-01", "2024-03-20", "dropped_out"),
        ep("H6", "U6", "3.5", "2024-03-21", "2024-03-28", "transferred"), ep("J6", "U6", "4.0", "2024-03-30"),
        ep("F7", "U7", "2.1", "2024-02-01", "2024-03-28", "dropped_out"), ep("H7", "U7", "3.5", "2024-03-29"),  # too recent
        ep("F8", "U8", "2.1", "2024-01-10", "2024-02-20", "completed"),
    ], relapse_events=[
        rel("U1", "2024-03-10"),                 # step-up admit 03-24 - 14: counts
        rel("U3", "2024-02-29"), rel("U3", "2024-03-16"),   # admit - 15 and admit + 1: neither
        rel("U4", "2024-03-22", "overdose"),     # the admission day itself: counts
        rel("U6", "2024-03-25"),                 # after the first step-up (03-21): does not
    ])


def test_step_up_precursors(up_db):
    """Eligible (discharge + 14 <= 04-08): March F1..F6 (F5 03-25 + 14 = 04-08, the boundary;
    F7 03-28 is too recent), February F8. Stepped up 0..14 days later: F1 (14), F3 (0), F4 (2),
    F6 (1, first higher admission H6 on 03-21); not F2 (15 days) nor F5 (lower level). A relapse
    event in first-step-up admit - 14 .. admit: F1 (03-10), F4 (same day); not F3, F6."""
    rows = series(up_db, "step_up_precursors", "2024-02-01", "2024-03-31", as_of=STEP_UP_ASOF)
    got = {r.month.strftime("%m"): (r.eligible, r.stepped_up, r.after_relapse, r.without_relapse)
           for r in rows.itertuples()}
    assert got == {"02": (1, 0, 0, 0), "03": (6, 4, 2, 2)}
    assert list(rows["rate"]) == pytest.approx([0.0, 4 / 6])
    k = kpis_for(up_db, "2024-02-01", "2024-03-31", as_of=STEP_UP_ASOF)
    assert k["detail"]["step_up_rate"] == {"numerator": 4, "denominator": 7}
    fig = figures.step_up_precursors(rows)
    assert list(fig.data[0].y) == [0, 2] and list(fig.data[1].y) == [0, 2]
    assert fig.data[2].text[1] == "67%<br>4 of 6"


def test_step_up_empty_period(up_db):
    assert series(up_db, "step_up_precursors", "2024-05-01", "2024-05-31", as_of=STEP_UP_ASOF).empty


# ------------------------------------------------------------------ returns to care

RETURNS_ASOF = "2024-07-25"


@pytest.fixture(scope="module")
def returns_db(tmp_path_factory):
    return build_fixture(tmp_path_factory.mktemp("returns"), episodes=[
        ep("A1", "A", "2.1", "2023-12-01", "2024-01-10", "completed"), ep("A2", "A", "2.1", "2024-04-09"),  # 90 days
        ep("B1", "B", "2.1", "2023-12-01", "2024-01-15", "dropped_out"), ep("B2", "B", "2.1", "2024-04-15"),  # 91
        ep("C1", "C", "2.1", "2023-12-01", "2024-01-20", "completed"),
        ep("C2", "C", "1.0", "2024-02-03", "2024-02-20", "completed"),         # 14 days: same stay
        ep("D1", "D", "2.1", "2023-12-01", "2024-01-20", "completed"), ep("D2", "D", "1.0", "2024-02-04"),  # 15
        ep("E1", "E", "3.5", "2024-01-01", "2024-01-20", "completed", program="North"),
        ep("E2", "E", "2.1", "2024-01-20", "2024-01-31", "transferred"),
        ep("F1", "F", "2.1", "2023-12-01", "2024-01-25", "dropped_out"),
        ep("G1", "G", "2.1", "2024-01-05"),                                     # open
        ep("H1", "H", "2.1", "2024-01-05", "2024-02-01", "completed"),         # ended in February
    ])


def test_returns_to_care_by_end_reason(returns_db):
    """Stays ended in January: A (completed 01-10), B (dropped out 01-15), D (completed 01-20),
    E (transferred 01-31: its latest discharge), F (dropped out 01-25). C's stay goes on into
    February (the 1.0 episode 14 days later joins it); G is open; H ended in February.
    Returned within N: A 90 days later (04-09: 90 and 180), B 91 days (180 only), D 15 days (both).
    Eligible at 180 (end + 180 <= 07-25): not E (07-29)."""
    rows = series(returns_db, "returns_to_care", "2024-01-01", "2024-01-31", as_of=RETURNS_ASOF)
    got = {(r.end_reason, r.days): (r.ended, r.eligible, r.returned) for r in rows.itertuples()}
    assert got == {
        ("completed", 90): (2, 2, 2), ("completed", 180): (2, 2, 2),
        ("transferred", 90): (1, 1, 0), ("transferred", 180): (1, 0, 0),
        ("dropped_out", 90): (2, 2, 0), ("dropped_out", 180): (2, 2, 1),
        ("all stays", 90): (5, 5, 2), ("all stays", 180): (5, 4, 3),
    }
    rates = {(r.end_reason, r.days): r.rate for r in rows.itertuples()}
    assert rates[("all stays", 180)] == 0.75 and pd.isna(rates[("transferred", 180)])
    assert list(rows["end_reason"])[:4] == ["completed", "transferred", "dropped_out", "all stays"]
    north = series(returns_db, "returns_to_care", "2024-01-01", "2024-01-31", as_of=RETURNS_ASOF, program="North")
    assert set(north["end_reason"]) == {"transferred", "all stays"}      # E's stay has a North episode
    fig = figures.returns_to_care(rows)
    assert list(fig.data[0].x)[0] == "All stays" and fig.data[0].name == "Within 90 days"


def test_returns_empty_period(returns_db):
    assert series(returns_db, "returns_to_care", "2024-03-01", "2024-03-31", as_of=RETURNS_ASOF).empty
