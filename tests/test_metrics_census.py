"""as_of, admissions, discharges, completion_rate, median_los_days, active_census_end.

Every expected value is worked out by hand from SPEC sections 3 and 4 (never with the code
under test). Dates are counted in whole calendar days; 2024 is a leap year (Feb has 29 days).
"""

from __future__ import annotations

import pytest

from helpers import assert_rate, att, build_fixture, ep, kpis_for

COUNT_KEYS = ("admissions", "discharges", "active_census_end", "workshops_held")
RATE_KEYS = (
    "completion_rate", "continuation_rate", "retention_30d", "retention_60d", "retention_90d",
    "attendance_rate", "step_down_7d_rate", "step_down_30d_rate", "step_up_rate",
    "relapse_rate_per_1000_days", "relapse_episode_rate", "phq9_reliable_improvement_rate",
    "gad7_reliable_improvement_rate", "measurement_completion_rate", "workshop_reach_rate",
    "family_reach_rate",
)


# ---------------------------------------------------------------------------------- as_of


@pytest.mark.parametrize("latest_in", ["admit", "discharge", "attendance", "assessments",
                                       "relapse_events"])
def test_as_of_defaults_to_latest_loaded_date(tmp_path, latest_in):
    """Default as-of = the latest admit/discharge/session/assessment/event date of loaded rows;
    a rejected row (bad status) dated later does not count."""
    late = "2024-05-05"
    episodes = [ep("E1", "C1", "2.1", "2024-01-01", "2024-02-01", "completed"),
                ep("E2", "C2", "2.1", late if latest_in == "admit" else "2024-01-10")]
    if latest_in == "discharge":
        episodes.append(ep("E3", "C3", "3.5", "2024-01-05", late, "completed"))
    attendance = [att("C1", late if latest_in == "attendance" else "2024-01-20"),
                  # rejected: status outside the vocabulary; its date must not become as-of
                  att("C1", "2024-06-01", status="bogus")]
    assessments = [{"client_id": "C1", "assessment_date":
                    late if latest_in == "assessments" else "2024-01-21",
                    "instrument": "PHQ-9", "score": 10}]
    relapse = [{"client_id": "C1", "event_date":
                late if latest_in == "relapse_events" else "2024-01-22",
                "event_type": "self_report"}]
    db = build_fixture(tmp_path, episodes=episodes, attendance=attendance,
                       assessments=assessments, relapse_events=relapse)
    k = kpis_for(db, "2024-01-01", "2024-01-31")
    assert k["as_of"] == late


def test_as_of_explicit_is_reported(tmp_path):
    """--as-of given: it is the as-of date, printed YYYY-MM-DD."""
    db = build_fixture(tmp_path, episodes=[ep("E1", "C1", "2.1", "2024-01-01")],
                       attendance=[att("C1", "2024-04-01")])
    k = kpis_for(db, "2024-01-01", "2024-01-31", as_of="2024-02-10")
    assert k["as_of"] == "2024-02-10"


# ------------------------------------------------------------------------------ admissions


def test_admissions_inclusive_period_ends_and_focus_only(tmp_path):
    """Admissions = focus episodes admitted start..end, both ends included; 3.5 and 2.5 are
    not focus by default."""
    db = build_fixture(tmp_path, episodes=[
        ep("E1", "C1", "2.1", "2024-02-29"),  # day before start: out
        ep("E2", "C2", "2.1", "2024-03-01"),  # = start: in
        ep("E3", "C3", "2.1", "2024-03-31"),  # = end: in
        ep("E4", "C4", "2.1", "2024-04-01"),  # day after end: out
        ep("E5", "C5", "3.5", "2024-03-15"),  # not a focus level
        ep("E6", "C6", "2.5", "2024-03-15"),  # not a focus level by default
    ])
    k = kpis_for(db, "2024-03-01", "2024-03-31", as_of="2024-06-30")
    assert k["admissions"] == 2  # E2, E3


def test_return_to_focus_level_inside_stay_is_another_admission(tmp_path):
    """Each focus episode is one admission, even a return to 2.1 inside the same stay."""
    db = build_fixture(tmp_path, episodes=[
        ep("E1", "C1", "2.1", "2024-03-01", "2024-03-05", "transferred"),
        ep("E2", "C1", "3.5", "2024-03-05", "2024-03-10", "transferred"),
        ep("E3", "C1", "2.1", "2024-03-12"),  # 2 days after E2: same stay, 2nd admission
    ])
    k = kpis_for(db, "2024-03-01", "2024-03-31", as_of="2024-06-30")
    assert k["admissions"] == 2


def test_focus_2_1_and_2_5(tmp_path):
    """--focus 2.1,2.5 counts 2.5 (and its alias PHP) episodes too, never 3.5."""
    db = build_fixture(tmp_path, episodes=[
        ep("E1", "C1", "2.1", "2024-03-02"),
        ep("E2", "C2", "2.5", "2024-03-03", "2024-03-20", "completed"),
        ep("E3", "C3", "PHP", "2024-03-04"),
        ep("E4", "C4", "3.5", "2024-03-05", "2024-03-21", "completed"),
    ])
    k = kpis_for(db, "2024-03-01", "2024-03-31", as_of="2024-06-30", focus="2.1,2.5")
    assert k["admissions"] == 3  # E1, E2, E3
    assert k["discharges"] == 1  # E2 (E4 is 3.5)
    assert k["active_census_end"] == 2  # E1, E3 open at 03-31
    k21 = kpis_for(db, "2024-03-01", "2024-03-31", as_of="2024-06-30")
    assert (k21["admissions"], k21["discharges"], k21["active_census_end"]) == (1, 0, 1)


def test_level_alias_and_wm_suffix_are_focus(tmp_path):
    """Alias IOP = 2.1; a -WM suffix is dropped when comparing with the focus levels."""
    db = build_fixture(tmp_path, episodes=[
        ep("E1", "C1", "IOP", "2024-03-02"),
        ep("E2", "C2", "2.1-WM", "2024-03-03"),
        ep("E3", "C3", "2.1", "2024-03-04"),
    ])
    k = kpis_for(db, "2024-03-01", "2024-03-31", as_of="2024-06-30")
    assert k["admissions"] == 3


# ----------------------------------------------------------------- discharges, completion, LOS


def test_discharges_completion_and_median_los(tmp_path):
    """Discharges = focus episodes discharged start..end (both ends); completion share;
    median LOS over an odd count."""
    db = build_fixture(tmp_path, episodes=[
        ep("E1", "C1", "2.1", "2024-01-01", "2024-02-29", "completed"),    # before start: out
        ep("E2", "C2", "2.1", "2024-01-01", "2024-03-01", "completed"),    # = start: LOS 60
        ep("E3", "C3", "2.1", "2024-02-01", "2024-03-31", "dropped_out"),  # = end: LOS 59
        ep("E4", "C4", "2.1", "2024-03-10", "2024-03-20", "transferred"),  # LOS 10
        ep("E5", "C5", "2.1", "2024-03-10", "2024-04-01", "completed"),    # after end: out
        ep("E6", "C6", "3.5", "2024-03-01", "2024-03-15", "completed"),    # not focus
    ])
    k = kpis_for(db, "2024-03-01", "2024-03-31", as_of="2024-06-30")
    # E2: Jan 1 -> Mar 1 = 31 (Jan) + 29 (Feb 2024) = 60 days
    # E3: Feb 1 -> Mar 31 = 29 (Feb) + 30 = 59 days; E4: Mar 10 -> Mar 20 = 10 days
    assert k["discharges"] == 3
    assert_rate(k, "completion_rate", 1, 3, 1 / 3)  # only E2 completed
    assert k["median_los_days"] == 59  # sorted 10, 59, 60 -> middle 59


def test_median_los_even_count_is_mean_of_two_middle(tmp_path):
    """Even count: median = mean of the two middle values; same-day discharge has LOS 0."""
    db = build_fixture(tmp_path, episodes=[
        ep("E1", "C1", "2.1", "2024-03-05", "2024-03-05", "dropped_out"),  # LOS 0
        ep("E2", "C2", "2.1", "2024-03-05", "2024-03-15", "completed"),    # LOS 10
        ep("E3", "C3", "2.1", "2024-02-20", "2024-03-12", "completed"),    # 9 + 12 = LOS 21
        ep("E4", "C4", "2.1", "2024-02-01", "2024-03-12", "other"),        # 29 + 11 = LOS 40
    ])
    k = kpis_for(db, "2024-03-01", "2024-03-31", as_of="2024-06-30")
    assert k["discharges"] == 4
    assert_rate(k, "completion_rate", 2, 4, 0.5)
    assert k["median_los_days"] == pytest.approx(15.5)  # (10 + 21) / 2


def test_no_discharges_median_null_completion_null(tmp_path):
    """No discharges in the period: discharges 0, median_los_days and completion_rate null."""
    db = build_fixture(tmp_path, episodes=[ep("E1", "C1", "2.1", "2024-03-05")])
    k = kpis_for(db, "2024-03-01", "2024-03-31", as_of="2024-06-30")
    assert k["discharges"] == 0
    assert k["median_los_days"] is None
    assert_rate(k, "completion_rate", 0, 0, None)


# ---------------------------------------------------------------------------------- census


def test_active_census_end(tmp_path):
    """Census = focus episodes admitted <= end with no discharge or one after end."""
    db = build_fixture(tmp_path, episodes=[
        ep("E1", "C1", "2.1", "2024-03-31"),                              # admitted on end: in
        ep("E2", "C2", "2.1", "2024-04-01"),                              # admitted after: out
        ep("E3", "C3", "2.1", "2024-01-01", "2024-03-31", "completed"),   # left on end: out
        ep("E4", "C4", "2.1", "2024-01-01", "2024-04-01", "completed"),   # left after end: in
        ep("E5", "C5", "2.1", "2023-06-01"),                              # long open: in
        ep("E6", "C6", "3.5", "2024-03-10"),                              # not focus
        ep("E7", "C7", "2.1", "2024-01-01", "2024-02-10", "dropped_out"),  # left before: out
    ])
    k = kpis_for(db, "2024-03-01", "2024-03-31", as_of="2024-06-30")
    assert k["active_census_end"] == 3  # E1, E4, E5


# --------------------------------------------------------------------------- earlier as-of


def test_as_of_earlier_than_data(tmp_path):
    """As-of 03-15 inside a March period: the period is cut to 03-01..03-15, an episode
    admitted after as-of is left out, a discharge after as-of counts as open."""
    db = build_fixture(tmp_path, episodes=[
        ep("A", "C1", "2.1", "2024-03-10", "2024-03-12", "completed"),  # adm + dis, LOS 2
        ep("B", "C2", "2.1", "2024-03-14", "2024-03-20", "completed"),  # adm; dis after as-of
        ep("C", "C3", "2.1", "2024-03-16"),                             # admitted after as-of
        ep("D", "C4", "2.1", "2024-03-01", "2024-03-15", "dropped_out"),  # dis on as-of, LOS 14
    ], attendance=[att("C3", "2024-03-20")])
    k = kpis_for(db, "2024-03-01", "2024-03-31", as_of="2024-03-15")
    assert k["as_of"] == "2024-03-15"
    assert k["admissions"] == 3          # A, B, D (C admitted 03-16 > as-of)
    assert k["discharges"] == 2          # A, D (B's 03-20 is after as-of: open)
    assert_rate(k, "completion_rate", 1, 2, 0.5)  # A completed, D dropped out
    assert k["median_los_days"] == pytest.approx(8.0)  # (2 + 14) / 2
    # census at the cut end 03-15: B open (its discharge is not known yet); D left on 03-15
    assert k["active_census_end"] == 1


def test_episode_admitted_on_the_as_of_date_is_known(tmp_path):
    """An episode admitted on the as-of date itself is known that day (only later ones are left
    out): it is an admission and in the census, also in a period that starts on the as-of
    date."""
    db = build_fixture(tmp_path, episodes=[
        ep("A", "C1", "2.1", "2024-03-15"),
        ep("B", "C2", "2.1", "2024-03-16"),
    ])
    k = kpis_for(db, "2024-03-01", "2024-03-31", as_of="2024-03-15")
    assert k["admissions"] == 1
    assert k["active_census_end"] == 1
    # a period starting on the as-of date is cut to that one day (03-15..03-15), not empty
    k = kpis_for(db, "2024-03-15", "2024-04-30", as_of="2024-03-15")
    assert k["admissions"] == 1
    assert k["active_census_end"] == 1
    assert_rate(k, "relapse_rate_per_1000_days", 0, 1, 0.0)  # one client-day: A on 03-15


def test_period_starting_after_as_of_all_counts_zero_rates_null(tmp_path):
    """A period that starts after the as-of date: all counts 0 and all rates null, even with
    data in it."""
    db = build_fixture(tmp_path, episodes=[
        ep("E1", "C1", "2.1", "2024-03-01"),                               # open
        ep("E2", "C2", "2.1", "2024-04-02", "2024-04-20", "completed"),
        ep("E3", "C3", "3.5", "2024-02-01", "2024-04-05", "completed"),
    ], attendance=[
        att("C1", "2024-04-10"), att("C1", "2024-04-11", session_type="workshop",
                                     session_id="W1", guests=1),
    ], relapse_events=[{"client_id": "C1", "event_date": "2024-04-12",
                        "event_type": "self_report"}])
    k = kpis_for(db, "2024-04-01", "2024-04-30", as_of="2024-03-15")
    assert k["as_of"] == "2024-03-15"
    for key in COUNT_KEYS:
        assert k[key] == 0, key
    for key in RATE_KEYS:
        assert k[key] is None, key
    assert k["median_los_days"] is None


def test_empty_period_counts_zero_rates_null(tmp_path):
    """A period before all data: counts 0, every rate and the median null, no crash."""
    db = build_fixture(tmp_path, episodes=[
        ep("E1", "C1", "2.1", "2024-03-01", "2024-04-20", "completed"),
        ep("E2", "C2", "3.5", "2024-02-01", "2024-03-01", "completed"),
    ], attendance=[att("C1", "2024-03-05")])
    k = kpis_for(db, "2023-01-01", "2023-01-31", as_of="2024-06-30")
    for key in COUNT_KEYS:
        assert k[key] == 0, key
    for key in RATE_KEYS:
        assert k[key] is None, key
        assert k["detail"][key]["denominator"] == 0, key
    assert k["median_los_days"] is None


# --------------------------------------------------------------------------------- filters


def test_program_filter(tmp_path):
    """--program keeps the focus episodes counted to that program; unknown program gives 0."""
    db = build_fixture(tmp_path, episodes=[
        ep("E1", "C1", "2.1", "2024-03-02", program="North"),
        ep("E2", "C2", "2.1", "2024-03-03", "2024-03-20", "completed", program="South"),
        ep("E3", "C3", "2.1", "2024-03-04", "2024-03-21", "dropped_out", program="North"),
        ep("E4", "C4", "3.5", "2024-03-05", program="North"),
    ])
    north = kpis_for(db, "2024-03-01", "2024-03-31", as_of="2024-06-30", program="North")
    assert (north["admissions"], north["discharges"], north["active_census_end"]) == (2, 1, 1)
    assert_rate(north, "completion_rate", 0, 1, 0.0)  # E3 dropped out
    south = kpis_for(db, "2024-03-01", "2024-03-31", as_of="2024-06-30", program="South")
    assert (south["admissions"], south["discharges"], south["active_census_end"]) == (1, 1, 0)
    assert_rate(south, "completion_rate", 1, 1, 1.0)
    none = kpis_for(db, "2024-03-01", "2024-03-31", as_of="2024-06-30", program="Nowhere")
    assert (none["admissions"], none["discharges"], none["active_census_end"]) == (0, 0, 0)
    assert none["completion_rate"] is None


def test_site_filter(tmp_path):
    """--site keeps the focus episodes counted to that site."""
    db = build_fixture(tmp_path, episodes=[
        ep("E1", "C1", "2.1", "2024-03-02", site="Downtown"),
        ep("E2", "C2", "2.1", "2024-03-03", "2024-03-20", "completed", site="Uptown"),
        ep("E3", "C3", "2.1", "2024-03-04", "2024-03-10", "completed", site="Downtown"),
    ])
    k = kpis_for(db, "2024-03-01", "2024-03-31", as_of="2024-06-30", site="Downtown")
    assert (k["admissions"], k["discharges"], k["active_census_end"]) == (2, 1, 1)
    assert k["median_los_days"] == 6  # E3: 03-04 -> 03-10
    k = kpis_for(db, "2024-03-01", "2024-03-31", as_of="2024-06-30", site="Uptown")
    assert (k["admissions"], k["discharges"], k["active_census_end"]) == (1, 1, 0)
    assert k["median_los_days"] == 17  # E2: 03-03 -> 03-20
