"""Kaplan-Meier against the textbook example: the 6-MP arm of the Freireich et al. (1963)
leukaemia trial, as tabulated in Kleinbaum & Klein, Survival Analysis (3rd ed., ch. 2).

Remission times in weeks, + = censored (21 patients):
6 6 6 6+ 7 9+ 10 10+ 11+ 13 16 17+ 19+ 20+ 22 23 25+ 32+ 32+ 34+ 35+
"""

import math

import pytest

from outcomes.survival import kaplan_meier, median_survival, survival_at

TIMES = [6, 6, 6, 6, 7, 9, 10, 10, 11, 13, 16, 17, 19, 20, 22, 23, 25, 32, 32, 34, 35]
EVENT = [1, 1, 1, 0, 1, 0, 1, 0, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0]


@pytest.fixture(scope="module")
def table():
    return kaplan_meier(TIMES, EVENT).set_index("time")


def test_survival_matches_the_textbook(table):
    """At each event time S(t) = S(t-) * (1 - d/n), n counted at risk just before t:
    t=6:  n=21 d=3 -> 18/21                     = 0.8571
    t=7:  n=17 d=1 -> 0.8571 * 16/17            = 0.8067
    t=10: n=15 d=1 -> 0.8067 * 14/15            = 0.7529
    t=13: n=12 d=1 -> 0.7529 * 11/12            = 0.6902
    t=16: n=11 d=1 -> 0.6902 * 10/11            = 0.6275
    t=22: n=7  d=1 -> 0.6275 * 6/7              = 0.5378
    t=23: n=6  d=1 -> 0.5378 * 5/6              = 0.4482   (Kleinbaum & Klein, table 2.1)"""
    expected = {6: 0.8571, 7: 0.8067, 10: 0.7529, 13: 0.6902, 16: 0.6275, 22: 0.5378, 23: 0.4482}
    for time, value in expected.items():
        assert table.loc[time, "survival"] == pytest.approx(value, abs=5e-5)
    assert table.loc[6, "at_risk"] == 21 and table.loc[7, "at_risk"] == 17
    assert table.loc[23, "at_risk"] == 6
    # censored times keep S flat: after 23 there is no event, S stays 0.4482 to 35
    assert table.loc[35, "survival"] == pytest.approx(0.4482, abs=5e-5)
    assert table.loc[0, "survival"] == 1.0


def test_greenwood_standard_errors(table):
    """SE = S * sqrt(sum d / (n (n - d))):
    t=6:  0.8571 * sqrt(3/(21*18))                      = 0.8571 * 0.08909 = 0.0764
    t=7:  0.8067 * sqrt(0.0079365 + 1/(17*16))          = 0.8067 * 0.1078  = 0.0869
    t=13: 0.6902 * sqrt(0.0079365+0.0036765+1/(15*14)+1/(12*11)) = 0.1068 (textbook)"""
    assert table.loc[6, "std_err"] == pytest.approx(0.0764, abs=5e-4)
    assert table.loc[7, "std_err"] == pytest.approx(0.0869, abs=5e-4)
    assert table.loc[13, "std_err"] == pytest.approx(0.1068, abs=5e-4)


def test_log_log_band(table):
    """At t=6: theta = log(-log 0.857143) = log(0.154151) = -1.869895;
    se_theta = sqrt(3/378) / |log 0.857143| = 0.089087 / 0.154151 = 0.577922;
    lower = exp(-exp(-1.869895 + 1.959964*0.577922)) = exp(-exp(-0.737184)) = exp(-0.478477) = 0.6197
    upper = exp(-exp(-1.869895 - 1.132706))          = exp(-exp(-3.002601)) = exp(-0.049659) = 0.9516
    (R: survfit(..., conf.type = "log-log") prints 0.620 and 0.952.)"""
    assert table.loc[6, "lower"] == pytest.approx(0.6197, abs=5e-4)
    assert table.loc[6, "upper"] == pytest.approx(0.9516, abs=5e-4)
    assert all(table["lower"] <= table["survival"] + 1e-12)
    assert all(table["upper"] >= table["survival"] - 1e-12)


def test_groups_step_lookup_and_median():
    """Two groups: A has events at 1 and 2 of 2 people (S: 0.5, 0); B is all censored (S = 1)."""
    table = kaplan_meier([1, 2, 5, 5], [1, 1, 0, 0], groups=["A", "A", "B", "B"])
    at = survival_at(table, 1.5).set_index("group")["survival"]
    assert at["A"] == 0.5 and at["B"] == 1.0
    medians = median_survival(table)
    assert medians == {"A": 1.0, "B": None}
    a = table[table["group"] == "A"].set_index("time")
    assert a.loc[2, "survival"] == 0 and a.loc[2, "lower"] == 0


def test_empty_and_bad_input():
    assert kaplan_meier([], []).empty
    with pytest.raises(ValueError):
        kaplan_meier([-1], [1])
    assert math.isclose(kaplan_meier([3], [0]).iloc[-1]["survival"], 1.0)
