"""The Retention page's series: retention_curve (Kaplan-Meier input), cohort_retention,
discharge_reasons_by_month, show_rate_by_week, show_rate_by_type, no_shows_by_weekday; and the
figure builders on them.

Every expected number is worked out by hand in the comments from the fixture rows and the
definitions in the query headers (SPEC sections 3-4). 2024 is a leap year: 02-29 exists.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from helpers import att, build_fixture, ep, kpis_for
from outcomes import survival
from outcomes.db import open_as_of
from outcomes.figures import retention as figures
from outcomes.filters import Filters
from outcomes.runner import run

D = dt.date.fromisoformat


def series(db, name, start, end, as_of=None, focus=("2.1",), program=None, **extra) -> pd.DataFrame:
    con = open_as_of(db, D(as_of) if as_of else None)
    try:
        params = Filters(D(start), D(end), focus=tuple(focus), program=program).params()
        return run(con, name, {**params, **extra})
    finally:
        con.close()


# ------------------------------------------------------------------------ retention_curve

CURVE_ASOF = "2024-03-31"


@pytest.fixture(scope="module")
def curve_db(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("curve")
    clients = [{"client_id": f"C{i}", "primary_substance": "Opioids" if i % 2 else None,
                "referral_source": "Court" if i < 5 else "Self"} for i in range(1, 13)]
    return build_fixture(tmp, clients=clients, episodes=[
        ep("A", "C1", "2.1", "2024-01-01", "2024-02-15", "completed", program="North"),
        ep("B", "C2", "2.1", "2024-01-01", "2024-01-20", "dropped_out", program="North"),
        ep("C", "C3", "2.1", "2024-01-05", program="South"),
        ep("D", "C4", "2.1", "2024-01-05"),
        ep("E", "C5", "2.1", "2024-01-10"),
        ep("F0", "C6", "3.5", "2023-12-01", "2024-01-02", "transferred"),
        ep("F", "C6", "2.1", "2024-01-03", "2024-01-31", "transferred"),
        ep("G", "C7", "2.1", "2024-01-15", "2024-02-01", "dropped_out"),
        ep("G2", "C7", "1.0", "2024-02-10"),
        ep("H", "C8", "2.1", "2024-02-01"),                          # admitted after January
        ep("I", "C9", "3.5", "2024-01-10", "2024-01-20", "dropped_out"),  # not a focus level
        ep("K", "C10", "2.1", "2024-01-31", "2024-02-20", "terminated"),  # last day of January
    ], attendance=[
        att("C1", "2024-01-02"), att("C1", "2024-02-10"),
        att("C2", "2024-01-05"), att("C2", "2024-01-12"), att("C2", "2024-01-19", status="no_show"),
        att("C3", "2024-03-01"),                       # as-of - 30: still in care
        att("C4", "2024-02-29"),                       # as-of - 31: lost
        att("C5", "2024-01-12", status="no_show"),     # never attended
        att("C6", "2023-12-15", episode_id="F0"),      # residential, before the 2.1 admission
        att("C6", "2024-01-20", session_type="workshop"),  # not a treatment session
        att("C7", "2024-01-20"), att("C7", "2024-03-20"),  # 03-20 belongs to G2 (same stay)
        att("C10", "2024-02-05", session_type="individual"),
        att("C10", "2024-04-10"),                      # after the as-of date: not known
    ])


def test_retention_curve_one_row_per_focus_admission_of_the_period(curve_db):
    rows = series(curve_db, "retention_curve", "2024-01-01", "2024-01-31", as_of=CURVE_ASOF)
    # January 2.1 admissions: A B C D E F G K (H is February, I is 3.5)
    assert sorted(rows["episode_id"]) == ["A", "B", "C", "D", "E", "F", "G", "K"]


def test_retention_curve_durations_and_lost(curve_db):
    rows = series(curve_db, "retention_curve", "2024-01-01", "2024-01-31", as_of=CURVE_ASOF)
    got = {r.episode_id: (r.duration_days, bool(r.lost)) for r in rows.itertuples()}
    assert got == {
        # completed: censored at its last attended session 02-10 - 01-01 = 40
        "A": (40, False),
        # dropped out: lost at 01-12 - 01-01 = 11 (the no-show of 01-19 is not attendance)
        "B": (11, True),
        # open, last attended 03-01 = as-of - 30: not more than 30 days -> censored at 56
        "C": (56, False),
        # open, last attended 02-29 = as-of - 31 -> lost at 02-29 - 01-05 = 55
        "D": (55, True),
        # open, never attended: as-of - admit = 81 > 30 -> lost at time 0
        "E": (0, True),
        # residential session before the admission and a workshop do not count -> 0;
        # the stay ended transferred -> censored
        "F": (0, False),
        # the 1.0 episode admitted 9 days after G's discharge is the same stay and open;
        # its session 03-20 (as-of - 11) -> censored at 03-20 - 01-15 = 65
        "G": (65, False),
        # terminated: lost at 02-05 - 01-31 = 5; the 04-10 session is after the as-of date
        "K": (5, True),
    }


def test_retention_curve_split_columns(curve_db):
    rows = series(curve_db, "retention_curve", "2024-01-01", "2024-01-31", as_of=CURVE_ASOF).set_index("episode_id")
    assert rows.loc["A", "program"] == "North" and rows.loc["C", "program"] == "South"
    assert rows.loc["D", "program"] == "not recorded"
    assert rows.loc["A", "primary_substance"] == "Opioids"           # C1: odd
    assert rows.loc["B", "primary_substance"] == "not recorded"      # C2: empty in clients
    assert rows.loc["B", "referral_source"] == "Court" and rows.loc["F", "referral_source"] == "Self"
    assert rows.loc["F", "admission_level"] == "2.1"
    assert rows.loc["F", "stay_first_level"] == "3.5"                # the stay began in residential
    assert rows.loc["G", "stay_first_level"] == "2.1"
    assert rows.loc["G", "stay_status"] == "open"
    assert rows.loc["D", "stay_status"] == "open, no attendance in 30 days"
    assert rows.loc["K", "stay_status"] == "ended terminated"


def test_retention_curve_feeds_kaplan_meier(curve_db):
    """The page's curve from these rows, by hand. Times (lost *): E 0*, F 0, K 5*, B 11*, A 40,
    D 55*, C 56, G 65 (8 admissions).
    t=0: at risk 8, 1 lost (E) -> S = 7/8 = 0.875 (F censored at 0 stays at risk at 0)
    t=5: at risk 6 (K B A D C G), 1 lost -> 0.875 * 5/6 = 0.729166...
    t=11: at risk 5, 1 lost -> * 4/5 = 0.583333...
    t=55: at risk 3 (D C G), 1 lost -> * 2/3 = 0.388888...
    after 55 no more losses: S(60) = S(90) = 0.3888..."""
    rows = series(curve_db, "retention_curve", "2024-01-01", "2024-01-31", as_of=CURVE_ASOF)
    table = survival.kaplan_meier(rows["duration_days"], rows["lost"])
    at = survival.survival_at(table, 30).iloc[0]
    assert at["survival"] == pytest.approx(0.875 * 5 / 6 * 4 / 5)
    assert survival.survival_at(table, 60).iloc[0]["survival"] == pytest.approx(0.875 * 5 / 6 * 4 / 5 * 2 / 3)
    assert table.loc[table["time"] == 0, "at_risk"].iloc[0] == 8
    fig = figures.retention_curve(table, markers=(30, 60, 90), highlight=45)
    texts = [a.text for a in fig.layout.annotations]
    assert "day 30" in texts and "<b>day 45</b>" in texts
    labelled = [t.text[0] for t in fig.data if t.mode == "markers+text"]
    # days 30, 45, 60; day 90 is after the last time observed (65): line drawn, no value
    assert labelled == ["58%", "58%", "39%"] and "day 90" in texts


def test_retention_curve_empty_period(curve_db):
    rows = series(curve_db, "retention_curve", "2025-01-01", "2025-01-31", as_of=CURVE_ASOF)
    assert rows.empty
    assert len(figures.retention_curve(survival.kaplan_meier([], [])).data) == 0


# ------------------------------------------------------------------------ cohort_retention


@pytest.fixture(scope="module")
def cohort_db(tmp_path_factory):
    return build_fixture(tmp_path_factory.mktemp("cohort"), episodes=[
        ep("A", "C1", "2.1", "2024-01-01"),
        ep("B", "C2", "2.1", "2024-01-20"),
        ep("C", "C3", "2.1", "2024-02-25"),
        ep("Z", "C9", "3.5", "2024-01-05"),   # not focus
    ], attendance=[
        att("C1", "2024-01-15"),                                   # day 14 = week 2
        att("C2", "2024-02-10"),                                   # day 21 = week 3
        att("C3", "2024-02-26", status="no_show"),                 # not attendance
        att("C3", "2024-02-27", session_type="workshop"),          # not treatment
        att("C9", "2024-03-01"),
    ])


def test_cohort_cells_measured_retained_and_blank(cohort_db):
    """as-of 03-09. January cohort (A 01-01, B 01-20): a cell is measured when 01-20 + 7w + 6
    <= 03-09, true for w = 0..3 (w=3: 02-16). Week w or later: A's last attended day 14
    (weeks 0, 1, 2: day 14 >= 7*2 on the boundary; not week 3, day 21); B's day 21 (weeks 0..3,
    21 >= 21). February cohort (C 02-25): week 0 needs 03-02 <= 03-09, week 1 needs 02-25 + 13
    = 03-09 <= 03-09 (boundary: measured); week 2 (03-16) is too young: null, not zero. C never
    attended a treatment session: 0 retained where measured."""
    rows = series(cohort_db, "cohort_retention", "2024-01-01", "2024-02-29", as_of="2024-03-09", weeks=4)
    jan = rows[rows["cohort_month"] == pd.Timestamp("2024-01-01")].set_index("week")
    feb = rows[rows["cohort_month"] == pd.Timestamp("2024-02-01")].set_index("week")
    assert list(jan["cohort_size"]) == [2, 2, 2, 2] and list(feb["cohort_size"]) == [1, 1, 1, 1]
    assert list(jan["retained"]) == [2, 2, 2, 1]
    assert list(jan["share"]) == [1.0, 1.0, 1.0, 0.5]
    assert list(feb["measured"]) == [True, True, False, False]
    assert list(feb["retained"].iloc[:2]) == [0, 0] and list(feb["share"].iloc[:2]) == [0.0, 0.0]
    assert feb["retained"].iloc[2:].isna().all() and feb["share"].iloc[2:].isna().all()


def test_cohort_one_day_earlier_as_of_makes_the_boundary_cell_blank(cohort_db):
    """as-of 03-08: February's week 1 (needs 03-09) is not measured any more."""
    rows = series(cohort_db, "cohort_retention", "2024-01-01", "2024-02-29", as_of="2024-03-08", weeks=4)
    feb = rows[rows["cohort_month"] == pd.Timestamp("2024-02-01")].set_index("week")
    assert list(feb["measured"]) == [True, False, False, False]


def test_cohort_heatmap_blank_cells_and_hover_size(cohort_db):
    rows = series(cohort_db, "cohort_retention", "2024-01-01", "2024-02-29", as_of="2024-03-09", weeks=4)
    fig = figures.cohort_heatmap(rows)
    heat = fig.data[0]
    assert list(heat.y) == ["Jan 2024 (n=2)", "Feb 2024 (n=1)"]
    assert heat.z[1][0] == 0.0 and pd.isna(heat.z[1][2])       # zero is a value, too young is blank
    overlay = fig.data[1]                                       # hover text and clicks
    assert overlay.customdata[0][:3] == ["2024-01-01", 2, "2"]  # month, cohort size, retained
    assert len(overlay.x) == 6                                  # the measured cells only


def test_cohort_empty_period(cohort_db):
    assert series(cohort_db, "cohort_retention", "2030-01-01", "2030-01-31", weeks=4).empty


# ------------------------------------------------------------------------ discharge reasons


@pytest.fixture(scope="module")
def reasons_db(tmp_path_factory):
    return build_fixture(tmp_path_factory.mktemp("reasons"), episodes=[
        ep("A", "C1", "2.1", "2023-12-01", "2024-01-01", "completed"),   # first day of the period
        ep("B", "C2", "2.1", "2023-12-01", "2024-01-31", "completed"),
        ep("C", "C3", "2.1", "2023-12-01", "2024-01-15", "AMA"),         # alias of dropped_out
        ep("D", "C4", "2.1", "2024-01-10", "2024-02-29", "step down"),   # transferred, last day
        ep("E", "C5", "2.1", "2024-01-10", "2024-03-01", "completed"),   # after the period
        ep("F", "C6", "3.5", "2023-12-01", "2024-01-20", "completed"),   # not focus
    ])


def test_discharge_reasons_by_month_shares_and_zero_rows(reasons_db):
    """January: completed 2 (A on 01-01, B), dropped_out 1 (C) of 3; February: transferred 1
    (D on 02-29) of 1. Every month gets every reason of the period, 0 where none."""
    rows = series(reasons_db, "discharge_reasons_by_month", "2024-01-01", "2024-02-29", as_of="2024-06-30")
    got = {(r.month.strftime("%Y-%m"), r.discharge_reason): (r.discharges, r.month_discharges, r.share)
           for r in rows.itertuples()}
    assert got == {
        ("2024-01", "completed"): (2, 3, pytest.approx(2 / 3)),
        ("2024-01", "dropped_out"): (1, 3, pytest.approx(1 / 3)),
        ("2024-01", "transferred"): (0, 3, 0.0),
        ("2024-02", "completed"): (0, 1, 0.0),
        ("2024-02", "dropped_out"): (0, 1, 0.0),
        ("2024-02", "transferred"): (1, 1, 1.0),
    }
    # summed over months: completed 2 of 4 = the completion tile
    k = kpis_for(reasons_db, "2024-01-01", "2024-02-29", as_of="2024-06-30")
    assert k["detail"]["completion_rate"] == {"numerator": 2, "denominator": 4}


def test_discharge_reason_figures_and_teds_lines(reasons_db):
    rows = series(reasons_db, "discharge_reasons_by_month", "2024-01-01", "2024-02-29", as_of="2024-06-30")
    fig = figures.discharge_reasons_by_month(rows)
    assert [t.name for t in fig.data] == ["Completed", "Transferred", "Dropped out"]  # stacking order
    lines = sorted(round(s.y0, 3) for s in fig.layout.shapes)
    assert lines == [0.377, 0.556, 0.788]           # TEDS 37.7, + 17.9, + 23.2, stacked
    labels = " ".join(a.text for a in fig.layout.annotations)
    assert "TEDS-D 2004" in labels and "37.7% completed" in labels
    vs = figures.discharge_reasons_vs_teds(rows)
    bars = vs.data[0]
    assert list(bars.y) == ["Completed", "Transferred", "Dropped out"]
    assert list(bars.x) == pytest.approx([0.5, 0.25, 0.25])   # 2, 1, 1 of 4
    assert list(vs.data[2].x) == pytest.approx([0.377, 0.179, 0.232])


def test_discharge_reasons_empty_period(reasons_db):
    assert series(reasons_db, "discharge_reasons_by_month", "2024-04-01", "2024-04-30", as_of="2024-06-30").empty


# ------------------------------------------------------------------------ show rates

SHOW_PERIOD = ("2024-01-03", "2024-01-16")   # Wednesday .. Tuesday


@pytest.fixture(scope="module")
def show_db(tmp_path_factory):
    return build_fixture(tmp_path_factory.mktemp("show"), episodes=[
        ep("E1", "C1", "2.1", "2024-01-01"),
        ep("R1", "C2", "3.5", "2024-01-01"),   # not focus
    ], attendance=[
        att("C1", "2024-01-02"),                                          # before the period
        att("C1", "2024-01-03"),                                          # Wed, attended
        att("C1", "2024-01-03", status="no_show", session_type="individual"),
        att("C1", "2024-01-05", status="cancelled"),                      # Fri: in neither
        att("C1", "2024-01-06", session_type="workshop"),                 # Sat, attended
        att("C1", "2024-01-07", status="excused"),                        # Sun: in neither
        att("C1", "2024-01-08", status="no_show"),                        # Mon
        att("C1", "2024-01-10"), att("C1", "2024-01-10", session_type="individual"),  # Wed x2
        att("C1", "2024-01-12", status="no_show", session_type="medication"),       # Fri
        att("C1", "2024-01-15"),                                          # Mon
        att("C1", "2024-01-16", status="no_show"),                        # Tue, last day
        att("C1", "2024-01-17"),                                          # after the period
        att("C2", "2024-01-10", status="no_show"),                        # 3.5 episode
    ])


def test_show_rate_by_week(show_db):
    """Weeks start on Monday. Week of 01-01: only 01-03..01-07 in the period (5 days): attended
    01-03 group and 01-06 workshop, no-show 01-03 individual, 1 cancelled, 1 excused -> 2/3.
    Week of 01-08: attended 01-10 x2, no-show 01-08 and 01-12 -> 2/4. Week of 01-15 (2 days):
    attended 01-15, no-show 01-16 -> 1/2."""
    rows = series(show_db, "show_rate_by_week", *SHOW_PERIOD, as_of="2024-06-30")
    got = [(r.week_start.strftime("%m-%d"), r.days_in_period, r.attended, r.no_show, r.cancelled, r.excused)
           for r in rows.itertuples()]
    assert got == [("01-01", 5, 2, 1, 1, 1), ("01-08", 7, 2, 2, 0, 0), ("01-15", 2, 1, 1, 0, 0)]
    assert list(rows["rate"]) == pytest.approx([2 / 3, 0.5, 0.5])
    # the weeks add up to the show-rate tile: 5 attended of 9
    k = kpis_for(show_db, *SHOW_PERIOD, as_of="2024-06-30")
    assert k["detail"]["attendance_rate"] == {"numerator": 5, "denominator": 9}
    fig = figures.show_rate_by_week(rows, overall=5 / 9)
    assert [t.name for t in fig.data] == ["Weekly show rate", "Week cut by the period", "Whole period: 55.6%"]
    assert list(fig.data[0].y) == [0.5]             # only the full week is on the line
    assert len(fig.data[1].x) == 2                  # the two cut weeks are hollow points


def test_show_rate_by_type(show_db):
    """group: attended 01-03, 01-10, 01-15; no-show 01-08, 01-16; cancelled 01-05, excused
    01-07 -> 3/5. individual: attended 01-10, no-show 01-03 -> 1/2. medication: no-show -> 0/1.
    workshop: attended 01-06 -> 1/1."""
    rows = series(show_db, "show_rate_by_type", *SHOW_PERIOD, as_of="2024-06-30")
    got = {r.session_type: (r.attended, r.no_show, r.cancelled, r.excused, r.rate) for r in rows.itertuples()}
    assert got == {
        "group": (3, 2, 1, 1, pytest.approx(0.6)),
        "individual": (1, 1, 0, 0, 0.5),
        "medication": (0, 1, 0, 0, 0.0),
        "workshop": (1, 0, 0, 0, 1.0),
    }
    assert list(rows["session_type"]) == ["group", "individual", "medication", "workshop"]


def test_no_shows_by_weekday(show_db):
    """Scheduled = attended + no-show. Mon: 01-08 ns, 01-15 att -> 1 of 2; Tue: 01-16 ns -> 1/1;
    Wed: 01-03 att + ns, 01-10 att x2 -> 1/4; Fri: 01-12 ns (01-05 cancelled left out) -> 1/1;
    Sat: workshop att -> 0/1; Sun: only excused -> no row; Thu: nothing -> no row."""
    rows = series(show_db, "no_shows_by_weekday", *SHOW_PERIOD, as_of="2024-06-30")
    got = [(r.weekday, r.weekday_name, r.scheduled, r.no_show) for r in rows.itertuples()]
    assert got == [(1, "Monday", 2, 1), (2, "Tuesday", 1, 1), (3, "Wednesday", 4, 1),
                   (5, "Friday", 1, 1), (6, "Saturday", 1, 0)]
    assert list(rows["no_show_share"]) == pytest.approx([0.5, 1.0, 0.25, 1.0, 0.0])


def test_show_rates_empty_period(show_db):
    for name in ("show_rate_by_week", "show_rate_by_type", "no_shows_by_weekday"):
        assert series(show_db, name, "2024-03-01", "2024-03-31", as_of="2024-06-30").empty, name
