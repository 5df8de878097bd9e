"""The Assessments page's series, on one hand-written fixture.

Every focus episode is admitted 2024-01-15 and discharged (completed) 2024-03-15 unless said
otherwise, so the baseline window is admit - 7 .. admit + 14 = 2024-01-08 .. 2024-01-29 and the
follow-up window baseline date + 14 .. 2024-03-15 (SPEC section 4; the model's
episode_measures). Thresholds (NHS Talking Therapies): PHQ-9 reliable change 6, GAD-7 4,
response a fall of 50% of a baseline above 0, PHQ-9 remission a follow-up below 5. Bands:
PHQ-9 none 0-4, mild 5-9, moderate 10-14, moderately severe 15-19, severe 20-27.
"""

from __future__ import annotations

import datetime as dt
import math
import statistics

import pandas as pd
import pytest

from helpers import build_fixture, kpis_for
from outcomes.db import open_as_of
from outcomes.figures import assessments as figures
from outcomes.filters import Filters
from outcomes.runner import get_query, run

D = dt.date.fromisoformat
MARCH = ("2024-03-01", "2024-03-31")
LATE = "2024-12-31"


def ep(eid, cid, level="2.1", admit="2024-01-15", discharge="2024-03-15", reason="completed", **extra):
    row = {"episode_id": eid, "client_id": cid, "level_of_care": level, "admit_date": admit,
           "discharge_date": discharge, "discharge_reason": reason}
    row.update(extra)
    return row


def sc(cid, date, score, instrument="PHQ-9"):
    return {"client_id": cid, "assessment_date": date, "instrument": instrument, "score": score}


EPISODES = [
    ep("E1", "C1", program="P1"), ep("E2", "C2", program="P1"), ep("E3", "C3", program="P1"),
    ep("E4", "C4", program="P2"), ep("E5", "C5", program="P2"), ep("E6", "C6", program="P2"),
    ep("E7", "C7"), ep("E8", "C8", discharge="2024-03-14"),          # no program; E8 stays 59 days
    ep("E9", "C9", level="3.5"),                                     # not a focus level
    ep("E10", "C10", discharge="2024-04-10"),                        # discharged after March
]
SCORES = [
    # C1: baseline 20 (01-15), another score in week 0 (01-17, 16), follow-up 8: fall 12
    sc("C1", "2024-01-15", 20), sc("C1", "2024-01-17", 16), sc("C1", "2024-03-10", 8),
    # C2: baseline on admit - 7 (window start), follow-up on baseline + 14 (window start): fall 6
    sc("C2", "2024-01-08", 10), sc("C2", "2024-01-22", 4),
    # C3: baseline on admit + 14 (window end), follow-up on the discharge day: rise 6
    sc("C3", "2024-01-29", 8), sc("C3", "2024-03-15", 14),
    # C4: fall 4 from 9 to 5 (no response: 4 < 4.5; no remission: 5 is not below 5)
    sc("C4", "2024-01-15", 9), sc("C4", "2024-03-01", 5),
    # C5: baseline 12 but the next score (01-30) is before baseline + 14 (02-03): no follow-up
    sc("C5", "2024-01-20", 12), sc("C5", "2024-01-30", 11),
    # C6: first score after admit + 14: no baseline (and one before the window: ignored)
    sc("C6", "2024-01-01", 27), sc("C6", "2024-01-30", 15),
    # C7: two scores on one date count as their mean, 4.5 (band none); follow-up 0
    sc("C7", "2024-01-15", 4), sc("C7", "2024-01-15", 5), sc("C7", "2024-03-01", 0),
    # C8: baseline 0, follow-up 0 (a fall of 0 is not a response)
    sc("C8", "2024-01-15", 0), sc("C8", "2024-03-01", 0),
    # not counted: a 3.5 episode and an April discharge
    sc("C9", "2024-01-15", 20), sc("C9", "2024-03-01", 2),
    sc("C10", "2024-01-15", 20), sc("C10", "2024-03-01", 2),
    # GAD-7: C1 12 -> 8 (fall 4 = reliable), C2 6 -> 3 (fall 3, a response of 50%)
    sc("C1", "2024-01-15", 12, "GAD-7"), sc("C1", "2024-03-10", 8, "GAD-7"),
    sc("C2", "2024-01-15", 6, "gad7"), sc("C2", "2024-03-10", 3, "GAD 7"),
    # another instrument: kept without thresholds
    sc("C1", "2024-01-16", 50, "BAM"), sc("C1", "2024-02-14", 40, "BAM"),
]


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    return build_fixture(tmp_path_factory.mktemp("assessments"), episodes=EPISODES, assessments=SCORES)


def series(db, name, start=MARCH[0], end=MARCH[1], as_of=LATE, **extra) -> pd.DataFrame:
    con = open_as_of(db, D(as_of) if as_of else None)
    try:
        return run(con, name, {**Filters(D(start), D(end)).params(), **extra})
    finally:
        con.close()


def test_assessment_outcomes_phq9(db):
    """Focus discharges in March: E1 .. E8 = 8 (not E9 at 3.5, not E10 in April).
    With a baseline: all but E6 = 7; measured (also a follow-up): E1, E2, E3, E4, E7, E8 = 6;
    no follow-up: E5; no baseline: E6.
    Improved (fall >= 6): E1 (12), E2 (6, exactly) = 2. Deteriorated (rise >= 6): E3 (6) = 1.
    Responded (fall >= 50% of a baseline above 0): E1 12 >= 10, E2 6 >= 5, E7 4.5 >= 2.25 = 3
    (not E4: 4 < 4.5; not E8: baseline 0). Remitted (follow-up < 5): E2 (4), E7 (0), E8 (0) = 3
    (not E4: 5)."""
    frame = series(db, "assessment_outcomes").set_index("instrument")
    phq9 = frame.loc["PHQ-9"]
    assert (phq9["discharges"], phq9["with_baseline"], phq9["measured"]) == (8, 7, 6)
    assert (phq9["no_baseline"], phq9["no_followup"]) == (1, 1)
    assert (phq9["improved"], phq9["deteriorated"], phq9["responded"], phq9["remitted"]) == (2, 1, 3, 3)
    assert phq9["improvement_rate"] == pytest.approx(2 / 6)
    assert phq9["deterioration_rate"] == pytest.approx(1 / 6)
    assert phq9["response_rate"] == pytest.approx(3 / 6)
    assert phq9["remission_rate"] == pytest.approx(3 / 6)
    assert phq9["measurement_rate"] == pytest.approx(6 / 8)
    assert (phq9["reliable_change"], phq9["response_fall"], phq9["remission_below"]) == (6, 0.5, 5)
    # the kpis of the same period agree (reliable_improvement.sql, another query)
    k = kpis_for(db, *MARCH, as_of=LATE)
    assert k["detail"]["phq9_reliable_improvement_rate"] == {"numerator": 2, "denominator": 6}
    assert k["detail"]["measurement_completion_rate"] == {"numerator": 6, "denominator": 8}


def test_assessment_outcomes_gad7_has_no_remission(db):
    """GAD-7 (names gad7 and 'GAD 7' normalised): measured C1 (fall 4: reliable, not a 50%
    response of 12) and C2 (fall 3 of 6: a response, not reliable). Remission is not defined
    for GAD-7: null, not 0."""
    gad7 = series(db, "assessment_outcomes").set_index("instrument").loc["GAD-7"]
    assert (gad7["discharges"], gad7["with_baseline"], gad7["measured"]) == (8, 2, 2)
    assert (gad7["no_baseline"], gad7["no_followup"]) == (6, 0)
    assert (gad7["improved"], gad7["deteriorated"], gad7["responded"]) == (1, 0, 1)
    assert pd.isna(gad7["remitted"]) and pd.isna(gad7["remission_rate"])
    assert gad7["response_rate"] == pytest.approx(0.5)
    assert gad7["measurement_rate"] == pytest.approx(2 / 8)


def test_assessment_outcomes_empty_period(db):
    """No discharges: counts 0, every rate null (both instruments still listed)."""
    frame = series(db, "assessment_outcomes", "2025-01-01", "2025-03-31").set_index("instrument")
    assert frame.index.tolist() == ["PHQ-9", "GAD-7"]
    assert frame["discharges"].tolist() == [0, 0] and frame["measured"].tolist() == [0, 0]
    assert frame["improvement_rate"].isna().all() and frame["measurement_rate"].isna().all()


def test_instrument_trajectory_weeks_and_intervals(db):
    """Scores dated admit - 7 .. discharge of the 8 focus discharges, by week since admission
    (week 0 = days -7 .. 6). An episode's week score is the mean of its daily means:
    week 0: C1 mean(20, 16) = 18, C2 10 (day -7), C4 9, C5 12, C7 4.5, C8 0 -> 6 episodes;
    week 1: C2 4 (day 7) -> 1 (no interval); week 2: C3 8 (day 14), C5 11, C6 15 (C6's day -14
    score is outside the window) -> 3; week 6: C4 5, C7 0, C8 0 (day 46) -> 3; week 7: C1 8
    (day 55); week 8: C3 14 (day 60). max_week 6 leaves weeks 7 and 8 out."""
    frame = series(db, "instrument_trajectory", instrument="PHQ-9", max_week=6)
    assert frame["week"].tolist() == [0, 1, 2, 6]
    assert frame["episodes"].tolist() == [6, 1, 3, 3]
    week0 = [18, 10, 9, 12, 4.5, 0]
    mean0, sd0 = statistics.mean(week0), statistics.stdev(week0)   # 8.9167, 6.2001
    assert frame["mean_score"].tolist() == pytest.approx([mean0, 4, 34 / 3, 5 / 3])
    # 6 episodes: Student's t with 5 degrees of freedom, 2.5706 (printed tables), not 1.96
    assert frame.loc[0, "lower"] == pytest.approx(mean0 - 2.5706 * sd0 / math.sqrt(6))
    assert frame.loc[0, "upper"] == pytest.approx(mean0 + 2.5706 * sd0 / math.sqrt(6))
    assert pd.isna(frame.loc[1, "lower"]) and pd.isna(frame.loc[1, "upper"])
    longer = series(db, "instrument_trajectory", instrument="PHQ-9", max_week=16)
    assert longer["week"].tolist() == [0, 1, 2, 6, 7, 8]


def test_instrument_trajectory_other_instrument_and_empty(db):
    """BAM has no thresholds but its trajectory shows: C1 50 on day 1, 40 on day 30 (week 4)."""
    frame = series(db, "instrument_trajectory", instrument="BAM", max_week=16)
    assert frame["week"].tolist() == [0, 4]
    assert frame["mean_score"].tolist() == pytest.approx([50, 40])
    assert series(db, "instrument_trajectory", "2025-01-01", "2025-03-31", instrument="PHQ-9",
                  max_week=16).empty


def test_assessment_instruments(db):
    frame = series(db, "assessment_instruments")
    assert frame["instrument"].tolist() == ["PHQ-9", "GAD-7", "BAM"]
    assert frame["thresholded"].tolist() == [True, True, False]
    assert frame.set_index("instrument").loc["BAM", "scores"] == 2


def test_severity_shift_bands_of_baseline_and_follow_up(db):
    """PHQ-9 of the 6 measured: E1 20 severe -> 8 mild; E2 10 moderate -> 4 none; E3 8 mild ->
    14 moderate; E4 9 mild -> 5 mild; E7 4.5 none (below mild's 5) -> 0 none; E8 0 -> 0 none.
    GAD-7: E1 12 moderate -> 8 mild; E2 6 mild -> 3 none."""
    frame = series(db, "severity_shift")
    got = {(r.instrument, r.baseline_band, r.followup_band): r.episodes for r in frame.itertuples()}
    assert got == {
        ("PHQ-9", "none", "none"): 2, ("PHQ-9", "mild", "mild"): 1, ("PHQ-9", "mild", "moderate"): 1,
        ("PHQ-9", "moderate", "none"): 1, ("PHQ-9", "severe", "mild"): 1,
        ("GAD-7", "moderate", "mild"): 1, ("GAD-7", "mild", "none"): 1,
    }
    fig, table = figures.severity_matrix(frame, "PHQ-9")
    # every band is a row and a column (25 cells); row shares: mild -> mild 1 of 2
    assert len(table) == 25
    mild = table[(table["baseline_band"] == "mild") & (table["followup_band"] == "mild")].iloc[0]
    assert (mild["episodes"], mild["baseline_episodes"], mild["share_of_baseline_band"]) == (1, 2, 0.5)
    assert series(db, "severity_shift", "2025-01-01", "2025-03-31").empty


def test_change_by_program(db):
    """PHQ-9. P1: E1 12, E2 6, E3 -6: mean 4, sd sqrt((8^2 + 2^2 + 10^2) / 2) = sqrt(84),
    improved 2, deteriorated 1. P2: E4 4 measured (no interval with one), E5 no follow-up, E6 no
    baseline. Without a program ('not recorded'): E7 4.5, E8 0: mean 2.25."""
    frame = series(db, "assessment_change_by_program")
    phq9 = frame[frame["instrument"] == "PHQ-9"].set_index("program")
    assert phq9.index.tolist() == ["P1", "P2", "not recorded"]
    assert phq9["discharges"].tolist() == [3, 3, 2]
    assert phq9["measured"].tolist() == [3, 1, 2]
    assert phq9["no_followup"].tolist() == [0, 1, 0]
    assert phq9["no_baseline"].tolist() == [0, 1, 0]
    assert phq9["mean_change"].tolist() == pytest.approx([4, 4, 2.25])
    # 3 measured: t with 2 degrees of freedom is 4.3027
    assert phq9.loc["P1", "lower"] == pytest.approx(4 - 4.3027 * math.sqrt(84) / math.sqrt(3))
    assert pd.isna(phq9.loc["P2", "lower"])
    assert phq9["improved"].tolist() == [2, 0, 0] and phq9["deteriorated"].tolist() == [1, 0, 0]
    assert series(db, "assessment_change_by_program", "2025-01-01", "2025-03-31").empty


def test_change_by_length_of_stay_band_edges(db):
    """Length of stay = discharge - admit: 60 days for all but E8 (59). Bands from [0, 30, 60,
    90]: 59 is in 30-59, 60 in 60-89; empty bands have no row. 60-89 PHQ-9: E1 12, E2 6, E3 -6,
    E4 4, E7 4.5 measured (mean 20.5 / 5 = 4.1), E5 no follow-up, E6 no baseline."""
    frame = series(db, "assessment_change_by_los", los_bands=[0, 30, 60, 90])
    phq9 = frame[frame["instrument"] == "PHQ-9"]
    assert phq9["band_from"].tolist() == [30, 60]
    assert phq9["band_to"].tolist() == [59, 89]
    assert phq9["discharges"].tolist() == [1, 7]
    assert phq9["measured"].tolist() == [1, 5]
    assert phq9["mean_change"].tolist() == pytest.approx([0, 4.1])
    assert (phq9["no_followup"].tolist(), phq9["no_baseline"].tolist()) == ([0, 1], [0, 1])
    assert [figures.los_label(a, b) for a, b in zip([0, 90], [29, None])] == ["0-29 days", "90+ days"]


ASSESSMENT_QUERIES = ("assessment_outcomes", "instrument_trajectory", "severity_shift",
                      "assessment_change_by_program", "assessment_change_by_los", "assessment_instruments")
EXTRA = {"instrument": "PHQ-9", "max_week": 16, "los_bands": [0, 30, 60, 90]}


@pytest.mark.parametrize("name", ASSESSMENT_QUERIES)
def test_assessment_query_headers_match_the_sql(db, name):
    query = get_query(name)
    assert set(query.param_names) == query.used_params()
    frame = series(db, name, **{k: v for k, v in EXTRA.items() if k in query.param_names})
    assert tuple(frame.columns) == query.columns
