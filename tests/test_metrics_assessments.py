"""phq9_reliable_improvement_rate, gad7_reliable_improvement_rate, measurement_completion_rate.

Expected values worked out by hand from SPEC section 4. Every focus episode here is admitted
2024-01-15 and discharged (completed) 2024-03-15 unless said otherwise, so:
baseline window = admit - 7 .. admit + 14 = 2024-01-08 .. 2024-01-29;
follow-up window = baseline date + 14 .. 2024-03-15.
"""

from __future__ import annotations

import pytest

from helpers import assert_rate, build_fixture, kpis_for

MARCH = ("2024-03-01", "2024-03-31")
LATE = "2024-12-31"


def ep(eid, cid, level="2.1", admit="2024-01-15", discharge="2024-03-15", reason="completed",
       **extra):
    row = {"episode_id": eid, "client_id": cid, "level_of_care": level, "admit_date": admit,
           "discharge_date": discharge, "discharge_reason": reason}
    row.update(extra)
    return row


def sc(cid, date, score, instrument="PHQ-9"):
    return {"client_id": cid, "assessment_date": date, "instrument": instrument, "score": score}


def test_phq9_baseline_window_admit_minus_7_to_plus_14(tmp_path):
    """Baseline = the earliest score dated admit - 7 .. admit + 14: admit - 7 (01-08) and
    admit + 14 (01-29) are in, admit - 8 (01-07) and admit + 15 (01-30) are out."""
    db = build_fixture(tmp_path, episodes=[ep(e, e) for e in "ABCDE"], assessments=[
        sc("A", "2024-01-08", 20), sc("A", "2024-03-01", 10),   # bl 20, fu 10: -10 yes
        sc("B", "2024-01-07", 20), sc("B", "2024-03-01", 10),   # no baseline
        sc("C", "2024-01-29", 20), sc("C", "2024-03-01", 15),   # bl 20, fu 15 (>= 02-12): -5
        sc("D", "2024-01-30", 20), sc("D", "2024-03-01", 10),   # no baseline
        # two scores in the baseline window: the earliest (25 on 01-10) is the baseline
        sc("E", "2024-01-10", 25), sc("E", "2024-01-20", 15), sc("E", "2024-03-01", 18),
    ])
    k = kpis_for(db, *MARCH, as_of=LATE)
    assert_rate(k, "measurement_completion_rate", 3, 5, 0.6)      # A, C, E
    assert_rate(k, "phq9_reliable_improvement_rate", 2, 3, 2 / 3)  # A (10), E (25 - 18 = 7)


def test_phq9_follow_up_window_baseline_plus_14_to_discharge(tmp_path):
    """Follow-up = the latest score dated baseline + 14 .. discharge_date: baseline 01-18, so
    02-01 (+14) is in and 01-31 (+13) is out; the discharge day is in, the day after is out."""
    db = build_fixture(tmp_path, episodes=[ep(e, e) for e in "ABCDE"], assessments=[
        sc("A", "2024-01-18", 20), sc("A", "2024-02-01", 14),   # fu at bl+14: 6 -> yes
        sc("B", "2024-01-18", 20), sc("B", "2024-01-31", 10),   # bl+13 only: no follow-up
        sc("C", "2024-01-18", 20), sc("C", "2024-03-15", 15),   # fu on discharge day: 5 -> no
        # after discharge (03-16) is outside: the follow-up is 19 on 02-05 -> 1 -> no
        sc("D", "2024-01-18", 20), sc("D", "2024-02-05", 19), sc("D", "2024-03-16", 0),
        # the latest in the window (16 on 03-10) is the follow-up, not the earlier 10 -> 4 -> no
        sc("E", "2024-01-18", 20), sc("E", "2024-02-05", 10), sc("E", "2024-03-10", 16),
    ])
    k = kpis_for(db, *MARCH, as_of=LATE)
    assert_rate(k, "measurement_completion_rate", 4, 5, 0.8)      # all but B
    assert_rate(k, "phq9_reliable_improvement_rate", 1, 4, 0.25)  # A


def test_reliable_improvement_thresholds_phq9_6_gad7_4(tmp_path):
    """PHQ-9 baseline - follow-up >= 6 (6 counts, 5 not); GAD-7 >= 4 (4 counts, 3 not); each
    rate's denominator is the episodes with that instrument's baseline and follow-up."""
    db = build_fixture(tmp_path, episodes=[ep(e, e) for e in "ABCD"], assessments=[
        sc("A", "2024-01-15", 20), sc("A", "2024-03-01", 14),                 # 6: yes
        sc("A", "2024-01-15", 15, "GAD-7"), sc("A", "2024-03-01", 11, "GAD-7"),  # 4: yes
        sc("B", "2024-01-15", 20), sc("B", "2024-03-01", 15),                 # 5: no
        sc("B", "2024-01-15", 15, "GAD-7"), sc("B", "2024-03-01", 12, "GAD-7"),  # 3: no
        sc("C", "2024-01-15", 10), sc("C", "2024-03-01", 2),                  # 8: yes
        sc("D", "2024-01-15", 5), sc("D", "2024-03-01", 12),                  # worse: no
        sc("D", "2024-01-15", 10, "GAD-7"), sc("D", "2024-03-01", 2, "GAD-7"),   # 8: yes
    ])
    k = kpis_for(db, *MARCH, as_of=LATE)
    assert_rate(k, "phq9_reliable_improvement_rate", 2, 4, 0.5)     # A, C
    assert_rate(k, "gad7_reliable_improvement_rate", 2, 3, 2 / 3)   # A, D (C has no GAD-7)
    assert_rate(k, "measurement_completion_rate", 4, 4, 1.0)        # PHQ-9 pairs for all


def test_several_scores_on_one_date_count_as_their_mean(tmp_path):
    """Two scores on the baseline or follow-up date count as their mean."""
    db = build_fixture(tmp_path, episodes=[ep(e, e) for e in "ABC"], assessments=[
        # baseline mean (20 + 17) / 2 = 18.5, follow-up 12: 6.5 -> yes (min 17 would give 5)
        sc("A", "2024-01-15", 20), sc("A", "2024-01-15", 17), sc("A", "2024-03-01", 12),
        # follow-up mean (14 + 15) / 2 = 14.5: 20 - 14.5 = 5.5 -> no (min 14 would give 6)
        sc("B", "2024-01-15", 20), sc("B", "2024-03-01", 14), sc("B", "2024-03-01", 15),
        # baseline mean (22 + 17) / 2 = 19.5, follow-up 14: 5.5 -> no (max 22 would give 8)
        sc("C", "2024-01-15", 22), sc("C", "2024-01-15", 17), sc("C", "2024-03-01", 14),
    ])
    k = kpis_for(db, *MARCH, as_of=LATE)
    assert_rate(k, "phq9_reliable_improvement_rate", 1, 3, 1 / 3)


def test_instrument_spellings_are_phq9(tmp_path):
    """'phq9', 'PHQ 9' and 'phq-9' are PHQ-9; another instrument is not."""
    db = build_fixture(tmp_path, episodes=[ep(e, e) for e in "ABC"], assessments=[
        sc("A", "2024-01-15", 20, "phq9"), sc("A", "2024-03-01", 12, "PHQ 9"),    # 8: yes
        sc("B", "2024-01-15", 20, "phq-9"), sc("B", "2024-03-01", 18, "PHQ-9"),   # 2: no
        sc("C", "2024-01-15", 20, "AUDIT"), sc("C", "2024-03-01", 2, "AUDIT"),    # not PHQ-9
    ])
    k = kpis_for(db, *MARCH, as_of=LATE)
    assert_rate(k, "measurement_completion_rate", 2, 3, 2 / 3)
    assert_rate(k, "phq9_reliable_improvement_rate", 1, 2, 0.5)


def test_measurement_only_focus_discharges_in_period(tmp_path):
    """Denominator = focus episodes discharged in the period: not open, not discharged after the
    period, not 3.5; a discharge after an earlier as-of counts as open."""
    scores = [sc(c, d, s) for c in ("A", "B", "C", "D", "E")
              for d, s in (("2024-01-15", 20), ("2024-03-01", 10))]
    db = build_fixture(tmp_path, episodes=[
        ep("A", "A"),                                     # 03-15: in
        ep("B", "B", discharge="2024-04-02"),             # after the period
        ep("C", "C", level="3.5"),                        # not focus
        ep("D", "D", discharge=None, reason=None),        # open
        ep("E", "E", discharge="2024-03-05"),             # in
    ], assessments=scores)
    k = kpis_for(db, *MARCH, as_of=LATE)
    assert_rate(k, "measurement_completion_rate", 2, 2, 1.0)
    assert_rate(k, "phq9_reliable_improvement_rate", 2, 2, 1.0)
    assert_rate(k, "gad7_reliable_improvement_rate", 0, 0, None)
    # as-of 03-10: A's 03-15 discharge is not known yet -> only E
    k = kpis_for(db, *MARCH, as_of="2024-03-10")
    assert_rate(k, "measurement_completion_rate", 1, 1, 1.0)


def test_measurement_completion_no_scores_is_zero_not_null(tmp_path):
    """Discharges without any scores: measurement 0 / n = 0.0; improvement rates null."""
    db = build_fixture(tmp_path, episodes=[ep("A", "A"), ep("B", "B")])
    k = kpis_for(db, *MARCH, as_of=LATE)
    assert_rate(k, "measurement_completion_rate", 0, 2, 0.0)
    assert_rate(k, "phq9_reliable_improvement_rate", 0, 0, None)
    assert_rate(k, "gad7_reliable_improvement_rate", 0, 0, None)


def test_follow_up_on_the_as_of_date_is_known(tmp_path):
    """A score dated on the as-of date (= the discharge date) is known and is the follow-up."""
    db = build_fixture(tmp_path, episodes=[ep("A", "A", discharge="2024-03-15")], assessments=[
        sc("A", "2024-01-15", 20), sc("A", "2024-02-01", 19), sc("A", "2024-03-15", 12),
    ])
    k = kpis_for(db, *MARCH, as_of="2024-03-15")
    # follow-up = latest in 01-29..03-15 = 12 on 03-15 -> 20 - 12 = 8 -> improved
    # (without the 03-15 score it would be 19 -> 1 -> not improved)
    assert_rate(k, "measurement_completion_rate", 1, 1, 1.0)
    assert_rate(k, "phq9_reliable_improvement_rate", 1, 1, 1.0)


def test_short_episodes_baseline_after_discharge_and_no_early_follow_up(tmp_path):
    """The baseline window does not stop at discharge; the follow-up window does, and it starts
    14 days after the baseline. By hand (each episode admitted 2024-01-15, discharged
    2024-01-20, so admit + 14 = 01-29 is after the discharge):
    - A: one score on 01-25, after discharge but in the baseline window: baseline 01-25 (20);
      no follow-up (its window 02-08 .. 01-20 is empty).
    - B: 01-16 (20) and 01-18 (15), both before discharge: baseline 01-16; the latest score by
      discharge is 01-18, but that is before 01-16 + 14 = 01-30: no follow-up.
    - C: admitted 01-01 instead, discharged 01-20: 12-25 (20) is the baseline (admit - 7),
      01-08 (14) is baseline + 14 and the latest by discharge: the follow-up; 01-21 (2) is
      after discharge and does not count. Change 20 - 14 = 6.
    """
    db = build_fixture(tmp_path, episodes=[
        ep("A", "A", discharge="2024-01-20"), ep("B", "B", discharge="2024-01-20"),
        ep("C", "C", admit="2024-01-01", discharge="2024-01-20"),
    ], assessments=[
        sc("A", "2024-01-25", 20),
        sc("B", "2024-01-16", 20), sc("B", "2024-01-18", 15),
        sc("C", "2023-12-25", 20), sc("C", "2024-01-08", 14), sc("C", "2024-01-21", 2),
    ])
    import duckdb
    con = duckdb.connect(str(db), read_only=True)
    rows = con.execute("""
        select episode_id, strftime(baseline_date, '%m-%d'), baseline,
               strftime(followup_date, '%m-%d'), followup, change
        from episode_measures where instrument = 'PHQ-9' order by episode_id""").fetchall()
    con.close()
    assert rows == [
        ("A", "01-25", 20.0, None, None, None),
        ("B", "01-16", 20.0, None, None, None),
        ("C", "12-25", 20.0, "01-08", 14.0, 6.0),
    ]
