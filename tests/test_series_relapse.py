"""The Relapse page's series, each on a small hand-written fixture.

Expected values are worked out by hand from the definitions in the query headers (and SPEC
section 3-4): a relapse day is a distinct (client, event_date) dated in the period and inside a
focus episode window (admit_date .. discharge_date, or the as-of date while open); windows are
matched by date alone; the period is cut at the as-of date.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from helpers import build_fixture, ev, kpis_for
from outcomes import definitions
from outcomes.db import open_as_of
from outcomes.figures import relapse as figures
from outcomes.filters import Filters
from outcomes.runner import get_query, run

D = dt.date.fromisoformat
LATE = "2024-12-31"
TYPES = list(definitions.RELAPSE_TYPE_ORDER)


def ep(eid, cid, level, admit, discharge=None, reason=None, **extra):
    row = {"episode_id": eid, "client_id": cid, "level_of_care": level, "admit_date": admit,
           "discharge_date": discharge, "discharge_reason": reason if discharge else None}
    row.update(extra)
    return row


def sess(cid, date, status="attended", session_type="group", **extra):
    row = {"client_id": cid, "session_date": date, "session_type": session_type, "status": status}
    row.update(extra)
    return row


def series(db, name, start, end, as_of=LATE, focus=("2.1",), **extra) -> pd.DataFrame:
    con = open_as_of(db, D(as_of) if as_of else None)
    try:
        params = {**Filters(D(start), D(end), focus=tuple(focus)).params(), **extra}
        return run(con, name, params)
    finally:
        con.close()


def dates(frame, column):
    return [pd.Timestamp(v).date() for v in frame[column]]


# --------------------------------------------------------------------------- relapse rate by month

MONTHS_EPISODES = [
    ep("A", "CA", "2.1", "2024-02-01", "2024-03-10", "completed"),
    ep("B", "CB", "2.1", "2024-03-25"),                                # open: runs to as-of
    ep("B2", "CB", "2.1", "2024-03-28", "2024-04-05", "completed"),    # overlaps B
    ep("C", "CC", "3.5", "2024-03-01", "2024-03-20", "completed"),     # not a focus level
]
MONTHS_EVENTS = [
    ev("CA", "2024-02-14"),                                  # the day before the period
    ev("CA", "2024-02-15", "self_report", substance="Alcohol"),   # first day of the period
    ev("CA", "2024-02-15"),                                  # same day, no substance
    ev("CA", "2024-03-10", "positive_screen", substance="Alcohol"),  # discharge day
    ev("CA", "2024-03-10", "overdose", substance="Opioids"),
    ev("CA", "2024-03-11"),                                  # after discharge: no window
    ev("CB", "2024-03-31", "collateral_report", substance="Cannabis"),
    ev("CB", "2024-03-31", "collateral_report", substance="Alcohol"),
    ev("CB", "2024-04-10", "other"),                         # last day of the period
    ev("CB", "2024-04-11"),                                  # after the period
    ev("CC", "2024-03-05"),                                  # 3.5 window only
]


def test_relapse_rate_by_month_partial_months_and_overlaps(tmp_path):
    """Period 15 Feb .. 10 Apr 2024 (2024 is a leap year).
    client-days: Feb 15..29 = 15 (CA); Mar: CA 1..10 = 10, CB 25..31 = 7 (B and B2 overlap,
    each day once) = 17; Apr 1..10 = 10 (CB).
    relapse days: Feb: CA 02-15 (two events, one day) = 1; Mar: CA 03-10 (discharge day),
    CB 03-31 = 2; Apr: CB 04-10 = 1. CA 02-14, CA 03-11, CB 04-11 and CC (3.5) do not count."""
    db = build_fixture(tmp_path, episodes=MONTHS_EPISODES, relapse_events=MONTHS_EVENTS)
    frame = series(db, "relapse_rate_by_month", "2024-02-15", "2024-04-10")
    assert dates(frame, "month_start") == [D("2024-02-01"), D("2024-03-01"), D("2024-04-01")]
    assert dates(frame, "days_from") == [D("2024-02-15"), D("2024-03-01"), D("2024-04-01")]
    assert dates(frame, "days_to") == [D("2024-02-29"), D("2024-03-31"), D("2024-04-10")]
    assert frame["client_days"].tolist() == [15, 17, 10]
    assert frame["relapse_days"].tolist() == [1, 2, 1]
    assert frame["rate_per_1000_days"].tolist() == pytest.approx([1000 / 15, 2000 / 17, 100.0])
    # the months add up to the period's kpis (relapse_rate.sql, a different query)
    k = kpis_for(db, "2024-02-15", "2024-04-10", as_of=LATE)
    assert k["detail"]["relapse_rate_per_1000_days"] == {"numerator": 4, "denominator": 42}
    # the figure the board report reuses: partial months say which days, counts under each
    fig = figures.monthly_relapse_rate(frame, overall=1000 * 4 / 42, title="Relapse rate")
    labels = list(fig.data[0].x)
    assert labels[0].startswith("Feb 2024 (15-29)<br>") and ">1 / 15<" in labels[0]
    assert labels[1].startswith("Mar 2024<br>") and ">2 / 17<" in labels[1]
    assert labels[2].startswith("Apr 2024 (1-10)<br>") and ">1 / 10<" in labels[2]
    assert fig.data[1].name == "Whole period: 95.2" and list(fig.data[1].y) == [1000 * 4 / 42] * 3


def test_relapse_rate_by_month_stops_at_as_of_and_is_empty_after_it(tmp_path):
    """as-of 2024-03-31: the period is cut there, so the months stop at March (B2's discharge
    on 04-05 is not known yet: it is open to 03-31, inside B's days anyway). A period that
    starts after the as-of date has no months."""
    db = build_fixture(tmp_path, episodes=MONTHS_EPISODES, relapse_events=MONTHS_EVENTS)
    frame = series(db, "relapse_rate_by_month", "2024-02-15", "2024-04-10", as_of="2024-03-31")
    assert dates(frame, "month_start") == [D("2024-02-01"), D("2024-03-01")]
    assert frame["client_days"].tolist() == [15, 17]
    empty = series(db, "relapse_rate_by_month", "2025-01-01", "2025-03-31")
    assert empty.empty


def test_relapse_days_by_month_one_type_and_substance_per_day(tmp_path):
    """Each relapse day once, as its first event in the order overdose, positive screen,
    collateral report, self-report, other, and that event's substance:
    Feb 15: positive_screen (no substance) beats self_report (Alcohol) -> not recorded;
    Mar 10: overdose (Opioids) beats positive_screen (Alcohol);
    Mar 31: two collateral reports, Alcohol before Cannabis by name;
    Apr 10: other, no substance."""
    db = build_fixture(tmp_path, episodes=MONTHS_EPISODES, relapse_events=MONTHS_EVENTS)
    frame = series(db, "relapse_days_by_month", "2024-02-15", "2024-04-10", type_order=TYPES)
    rows = {(pd.Timestamp(r.month_start).date(), r.split, r.category): r.relapse_days
            for r in frame.itertuples()}
    assert rows == {
        (D("2024-02-01"), "event_type", "positive_screen"): 1,
        (D("2024-02-01"), "substance", "not recorded"): 1,
        (D("2024-03-01"), "event_type", "overdose"): 1,
        (D("2024-03-01"), "event_type", "collateral_report"): 1,
        (D("2024-03-01"), "substance", "Opioids"): 1,
        (D("2024-03-01"), "substance", "Alcohol"): 1,
        (D("2024-04-01"), "event_type", "other"): 1,
        (D("2024-04-01"), "substance", "not recorded"): 1,
    }
    assert series(db, "relapse_days_by_month", "2025-01-01", "2025-03-31", type_order=TYPES).empty


def test_relapse_days_by_category_figure_keeps_empty_months(tmp_path):
    """A month of the period without relapses still has its bar position (0)."""
    db = build_fixture(tmp_path, episodes=[ep("A", "CA", "2.1", "2024-01-01", "2024-03-31", "completed")],
                       relapse_events=[ev("CA", "2024-01-10"), ev("CA", "2024-03-05", "overdose")])
    months = series(db, "relapse_rate_by_month", "2024-01-01", "2024-03-31")
    by_month = series(db, "relapse_days_by_month", "2024-01-01", "2024-03-31", type_order=TYPES)
    fig = figures.relapse_days_by_category(by_month, months, "event_type")
    # overdose first (most serious), then positive screen; three months each
    assert [t.name for t in fig.data] == ["Overdose", "Positive screen"]
    assert [list(t.y) for t in fig.data] == [[0, 0, 1], [1, 0, 0]]


# --------------------------------------------------------------------------- step-up after relapse


STEP_EPISODES = [
    ep("A1", "CA", "2.1", "2024-03-01", "2024-03-20", "transferred"),
    ep("A2", "CA", "3.5", "2024-03-20", "2024-03-30", "completed"),   # 14 days after 03-06
    ep("B1", "CB", "2.1", "2024-03-01", "2024-03-20", "transferred"),
    ep("B2", "CB", "2.5", "2024-03-22", "2024-04-01", "completed"),   # 15 days after 03-07
    ep("C1", "CC", "2.1", "2024-03-01", "2024-03-25", "completed"),
    ep("C2", "CC", "1.0", "2024-03-12"),                              # lower: not a step-up
    ep("D1", "CD", "2.1", "2024-03-01", "2024-03-20", "transferred"),
    ep("D2", "CD", "2.5", "2024-03-15", "2024-03-30", "completed"),   # same day as the relapse
    ep("E1", "CE", "2.1", "2024-03-20"),
]
STEP_EVENTS = [
    ev("CA", "2024-03-06"), ev("CA", "2024-03-06", "self_report"),    # one relapse day
    ev("CA", "2024-03-25"),                                           # in the 3.5 window only
    ev("CB", "2024-03-07"),
    ev("CC", "2024-03-10"),
    ev("CD", "2024-03-15"),
    ev("CE", "2024-03-25"),                                           # 03-25 + 14 > as-of
]


def test_relapse_then_step_up_within_14_days(tmp_path):
    """as-of 2024-04-05. Relapse days in March inside 2.1 windows: CA 03-06, CB 03-07,
    CC 03-10, CD 03-15, CE 03-25 = 5; CE's follow-up (to 04-08) is not known: too_recent 1,
    eligible 4. Stepped up: CA (3.5 admitted 03-20 = day 14, counts), CD (2.5 admitted on the
    relapse day, day 0); not CB (2.5 on day 15) nor CC (1.0 is lower). 2 / 4."""
    db = build_fixture(tmp_path, episodes=STEP_EPISODES, relapse_events=STEP_EVENTS)
    row = series(db, "relapse_then_step_up", "2024-03-01", "2024-03-31", as_of="2024-04-05",
                 step_up_days=14).iloc[0]
    assert (row["stepped_up"], row["eligible"], row["too_recent"]) == (2, 4, 1)
    assert row["rate"] == pytest.approx(0.5)


def test_relapse_then_step_up_level_is_the_highest_focus_window(tmp_path):
    """With focus 2.1 + 2.5, CD's relapse on 03-15 is inside both D1 (2.1) and D2 (2.5): the
    level at the relapse is 2.5, and D2 (2.5) is not higher. Stepped: CA only: 1 / 4."""
    db = build_fixture(tmp_path, episodes=STEP_EPISODES, relapse_events=STEP_EVENTS)
    row = series(db, "relapse_then_step_up", "2024-03-01", "2024-03-31", as_of="2024-04-05",
                 focus=("2.1", "2.5"), step_up_days=14).iloc[0]
    assert (row["stepped_up"], row["eligible"], row["too_recent"]) == (1, 4, 1)


def test_relapse_then_step_up_empty_period(tmp_path):
    db = build_fixture(tmp_path, episodes=STEP_EPISODES, relapse_events=STEP_EVENTS)
    row = series(db, "relapse_then_step_up", "2024-05-01", "2024-05-31", as_of="2024-04-05",
                 step_up_days=14).iloc[0]
    assert (row["stepped_up"], row["eligible"], row["too_recent"]) == (0, 0, 0)
    assert pd.isna(row["rate"])


# --------------------------------------------------------------------------- time to first relapse


def test_time_to_first_relapse_events_and_censoring(tmp_path):
    """Focus admissions in March 2024, as-of 2024-04-30:
    A (03-01): events 03-01 (admit day) and 03-05 -> relapsed, 0 days;
    B (03-05 .. 03-20): events 02-28 (before admission) and 03-21 (after discharge) -> censored
      at discharge, 15 days;
    C (03-10, open): event 04-20, after the period but inside the window -> relapsed, 41 days
      (21 in March + 20);
    D (03-15, open): no event -> censored at as-of, 46 days (16 + 30).
    E (admitted in February) and F (3.5) are not in the cohort."""
    db = build_fixture(tmp_path, clients=[
        {"client_id": c, "primary_substance": s, "referral_source": r}
        for c, s, r in (("CA", "Alcohol", "Court"), ("CB", None, "Self"), ("CC", "Opioids", None),
                        ("CD", "Alcohol", "Self"), ("CE", "Alcohol", "Self"), ("CF", "Alcohol", "Self"))
    ], episodes=[
        ep("A", "CA", "2.1", "2024-03-01", "2024-03-31", "completed", program="P1", site="S1"),
        ep("B", "CB", "2.1", "2024-03-05", "2024-03-20", "dropped_out", program="P2", site="S1"),
        ep("C", "CC", "2.1", "2024-03-10", program="P1", site="S2"),
        ep("D", "CD", "2.1", "2024-03-15", program="P1", site="S2"),
        ep("E", "CE", "2.1", "2024-02-20", "2024-03-20", "completed"),
        ep("F", "CF", "3.5", "2024-03-02", "2024-03-20", "completed"),
    ], relapse_events=[
        ev("CA", "2024-03-01"), ev("CA", "2024-03-05"), ev("CB", "2024-02-28"),
        ev("CB", "2024-03-21"), ev("CC", "2024-04-20"), ev("CE", "2024-03-01"),
        ev("CF", "2024-03-03"),
    ])
    frame = series(db, "time_to_first_relapse", "2024-03-01", "2024-03-31", as_of="2024-04-30")
    got = [(pd.Timestamp(r.admit_date).date(), r.days, r.relapsed,
            None if pd.isna(r.censored_by) else r.censored_by) for r in frame.itertuples()]
    assert got == [
        (D("2024-03-01"), 0, True, None),
        (D("2024-03-05"), 15, False, "discharged"),
        (D("2024-03-10"), 41, True, None),
        (D("2024-03-15"), 46, False, "in care on the as-of date"),
    ]
    assert frame["program"].tolist() == ["P1", "P2", "P1", "P1"]
    assert frame["primary_substance"].fillna("-").tolist() == ["Alcohol", "-", "Opioids", "Alcohol"]
    assert frame["referral_source"].fillna("-").tolist() == ["Court", "Self", "-", "Self"]
    assert frame["admission_level"].tolist() == ["2.1"] * 4
    # the tile: median of 0 and 41 among the 2 of 4 that relapsed
    assert figures.first_relapse_median(frame) == (20.5, 2, 4)
    assert frame["stay_first_level"].tolist() == ["2.1"] * 4
    # groups for the curve: empty values are 'not recorded'; levels carry their names; only
    # the largest groups (of at least `smallest`) keep a curve of their own
    assert figures.group_labels(frame, "primary_substance", smallest=1).tolist() == [
        "Alcohol", "not recorded", "Opioids", "Alcohol"]
    assert figures.group_labels(frame, "primary_substance", max_groups=1, smallest=1).tolist() == [
        "Alcohol", "Other groups", "Other groups", "Alcohol"]
    assert figures.group_labels(frame, "primary_substance").tolist() == ["All admissions"] * 4
    assert figures.group_labels(frame, "admission_level", smallest=1).tolist() == ["2.1 IOP"] * 4
    assert series(db, "time_to_first_relapse", "2024-06-01", "2024-06-30", as_of="2024-04-30").empty


# --------------------------------------------------------------------------- early warning


def test_show_rate_before_relapse_windows_and_pairs(tmp_path):
    """March 2024, as-of late.
    CA (2.1 02-01 .. 03-31), relapse 03-20: before = sessions dated 03-06 .. 03-19:
      03-06 attended (day 14 before: in), 03-19 no_show -> 1 / 1; 03-20 (relapse day) in
      neither; 03-12 cancelled in neither; 03-13 workshop not a treatment session; other:
      03-05 no_show (day 15 before), 03-25 attended, 02-10 attended (before the period, same
      focus episode) -> 2 attended, 1 no_show.
    CB: its only relapse (02-15) is before the period: not a relapsing client, no row.
    CC: relapse 03-10, no sessions: a row of zeros, rates null.
    CD (2.1 03-01 .. 03-31, 3.5 01-01 .. 02-28), relapses 03-15 and 03-30: 03-12 attended
      (before 03-15), 03-16 no_show (day 14 before 03-30), 03-15 attended on a relapse day
      (neither), 03-10 attended but named for the 3.5 episode (not a focus episode's session)."""
    db = build_fixture(tmp_path, episodes=[
        ep("A", "CA", "2.1", "2024-02-01", "2024-03-31", "completed"),
        ep("B", "CB", "2.1", "2024-02-01", "2024-03-31", "completed"),
        ep("C", "CC", "2.1", "2024-03-01", "2024-03-31", "completed"),
        ep("D0", "CD", "3.5", "2024-01-01", "2024-02-28", "completed"),
        ep("D", "CD", "2.1", "2024-03-01", "2024-03-31", "completed"),
    ], relapse_events=[
        ev("CA", "2024-03-20"), ev("CB", "2024-02-15"), ev("CC", "2024-03-10"),
        ev("CD", "2024-03-15"), ev("CD", "2024-03-30"),
    ], attendance=[
        sess("CA", "2024-03-06"), sess("CA", "2024-03-19", "no_show"), sess("CA", "2024-03-20"),
        sess("CA", "2024-03-12", "cancelled"), sess("CA", "2024-03-13", session_type="workshop"),
        sess("CA", "2024-03-05", "no_show"), sess("CA", "2024-03-25"), sess("CA", "2024-02-10"),
        sess("CB", "2024-03-05", "no_show"), sess("CB", "2024-02-10"),
        sess("CD", "2024-03-12"), sess("CD", "2024-03-16", "no_show"), sess("CD", "2024-03-15"),
        sess("CD", "2024-03-10", episode_id="D0"),
    ])
    frame = series(db, "show_rate_before_relapse", "2024-03-01", "2024-03-31", warning_days=14)
    rows = sorted(tuple(int(v) for v in r) for r in
                  frame[["before_attended", "before_no_show", "other_attended", "other_no_show"]].itertuples(index=False))
    assert rows == sorted([(1, 1, 2, 1), (0, 0, 0, 0), (1, 1, 0, 0)])
    summary = figures.paired_show_rates(frame)
    # only CA has sessions both before and otherwise
    assert (summary["clients"], summary["paired"], summary["unpaired"]) == (3, 1, 2)
    assert summary["before_pooled"] == pytest.approx(0.5)
    assert summary["other_pooled"] == pytest.approx(2 / 3)
    assert summary["mean_difference"] == pytest.approx(0.5 - 2 / 3)
    assert (summary["lower_before"], summary["same"], summary["higher_before"]) == (1, 0, 0)
    assert summary["lower"] is None  # one pair: no interval
    bins = figures.difference_bins(frame)
    # -16.7 points falls in the bin centred on -20 (-25 <= d < -15)
    assert bins.loc[bins["clients"] > 0, "centre_points"].tolist() == [-20]
    assert series(db, "show_rate_before_relapse", "2024-06-01", "2024-06-30", warning_days=14).empty


def test_paired_show_rates_by_hand():
    """Three paired clients, differences -0.5, 0 and +0.25 (one unpaired): mean -1/12, sample
    sd of (-0.5, 0, 0.25) = sqrt(((-5/12)^2 + (1/12)^2 + (1/3)^2) / 2) = sqrt(0.1458333)."""
    frame = pd.DataFrame({
        "before_attended": [1, 2, 3, 0], "before_no_show": [1, 0, 1, 0],
        "other_attended": [1, 1, 1, 5], "other_no_show": [0, 0, 1, 0],
        "before_rate": [0.5, 1.0, 0.75, None], "other_rate": [1.0, 1.0, 0.5, 1.0],
    })
    s = figures.paired_show_rates(frame)
    assert (s["paired"], s["unpaired"], s["lower_before"], s["same"], s["higher_before"]) == (3, 1, 1, 1, 1)
    assert s["mean_difference"] == pytest.approx(-1 / 12)
    half = 4.3027 * (0.1458333333 ** 0.5) / 3 ** 0.5  # three pairs: t with 2 degrees of freedom
    assert s["lower"] == pytest.approx(-1 / 12 - half, rel=1e-6)
    assert s["median_difference"] == pytest.approx(0.0)
    # pooled over the paired clients' sessions: before 6 / 8, otherwise 3 / 4
    assert (s["before_attended"], s["before_sessions"], s["other_attended"], s["other_sessions"]) == (6, 8, 3, 4)


# --------------------------------------------------------------------------- by level, by week


def test_relapse_by_level_every_level_and_overlap_day(tmp_path):
    """March 2024. CA: 3.5 03-01 .. 03-10 then 2.1 03-10 .. 03-31 (03-10 in both windows);
    events 03-05 (3.5), 03-10 (both), 03-20 (2.1). CB: 3.7-WM 03-01 .. 03-03, event 03-02.
    CC: 1.0 open since 02-01, no events.
    3.5: 10 client-days, 2 relapse days; 2.1: 22 (03-10 .. 03-31), 2; 3.7: 3, 1; 1.0: 31, 0."""
    db = build_fixture(tmp_path, episodes=[
        ep("A1", "CA", "3.5", "2024-03-01", "2024-03-10", "transferred"),
        ep("A2", "CA", "2.1", "2024-03-10", "2024-03-31", "completed"),
        ep("B", "CB", "3.7-WM", "2024-03-01", "2024-03-03", "transferred"),
        ep("C", "CC", "1.0", "2024-02-01"),
    ], relapse_events=[ev("CA", "2024-03-05"), ev("CA", "2024-03-10"), ev("CA", "2024-03-20"),
                       ev("CB", "2024-03-02")])
    frame = series(db, "relapse_by_level", "2024-03-01", "2024-03-31")
    assert frame["level_code"].tolist() == ["1.0", "2.1", "3.5", "3.7"]
    assert frame["client_days"].tolist() == [31, 22, 10, 3]
    assert frame["relapse_days"].tolist() == [0, 2, 2, 1]
    assert frame["is_focus"].tolist() == [False, True, False, False]
    assert frame["rate_per_1000_days"].tolist() == pytest.approx([0, 2000 / 22, 200, 1000 / 3])
    assert series(db, "relapse_by_level", "2025-01-01", "2025-01-31").empty


def test_relapse_by_week_since_admission_boundaries(tmp_path):
    """March 2024, max_week 3. A admitted 02-25 (discharged 03-31): week 0 = 02-25 .. 03-02, of
    which 03-01 and 03-02 are in the period; week 1 = 03-03 .. 03-09; week 2 = 03-10 .. 03-16;
    weeks 3 and later = 03-17 .. 03-31 (15 days). Events: 03-02 (last day of week 0), 03-03
    (first day of week 1), 03-17 (week 3), 03-31 (week 5 -> "3+").
    B admitted 03-28 (open; cut at the period's end): 4 days of week 0, event on its admit day."""
    db = build_fixture(tmp_path, episodes=[
        ep("A", "CA", "2.1", "2024-02-25", "2024-03-31", "completed"),
        ep("B", "CB", "2.1", "2024-03-28"),
    ], relapse_events=[ev("CA", "2024-03-02"), ev("CA", "2024-03-03"), ev("CA", "2024-03-17"),
                       ev("CA", "2024-03-31"), ev("CB", "2024-03-28")])
    frame = series(db, "relapse_by_week_since_admission", "2024-03-01", "2024-03-31", max_week=3)
    assert frame["week"].tolist() == [0, 1, 2, 3]
    assert frame["episode_days"].tolist() == [6, 7, 7, 15]
    assert frame["relapse_days"].tolist() == [2, 1, 0, 2]
    assert frame["episodes"].tolist() == [2, 1, 1, 1]
    assert frame["rate_per_1000_days"].tolist() == pytest.approx([2000 / 6, 1000 / 7, 0, 2000 / 15])
    assert series(db, "relapse_by_week_since_admission", "2025-01-01", "2025-01-31", max_week=3).empty


# --------------------------------------------------------------------------- headers


RELAPSE_QUERIES = ("relapse_rate_by_month", "relapse_days_by_month", "relapse_then_step_up",
                   "time_to_first_relapse", "show_rate_before_relapse", "relapse_by_level",
                   "relapse_by_week_since_admission")
EXTRA = {"type_order": TYPES, "step_up_days": 14, "warning_days": 14, "max_week": 16}


@pytest.mark.parametrize("name", RELAPSE_QUERIES)
def test_relapse_query_headers_match_the_sql(tmp_path, name):
    """The header's params are exactly the $names the SQL uses, and its columns exactly what
    it returns, in order."""
    db = build_fixture(tmp_path, episodes=[ep("A", "CA", "2.1", "2024-03-01")])
    query = get_query(name)
    assert set(query.param_names) == query.used_params()
    frame = series(db, name, "2024-03-01", "2024-03-31",
                   **{k: v for k, v in EXTRA.items() if k in query.param_names})
    assert tuple(frame.columns) == query.columns
