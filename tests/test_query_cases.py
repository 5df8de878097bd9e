"""Query tests written as data: every tests/queries/*.toml is a case (see outcomes/query_tests.py
and docs/adding-a-metric.md). Each builds a database from its given rows, runs its query and
compares the rows with the expected ones, which the file works out by hand in a comment.

The loader and the comparison are tested here too, on cases written for that purpose, so a
case cannot pass because the comparison is blind.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from helpers import build_fixture
from outcomes import query_tests
from outcomes.query_tests import CaseError, compare, load_case, same

CASES_DIR = Path(__file__).resolve().parent / "queries"
CASES = query_tests.case_files(CASES_DIR)


def test_the_analysts_cases_are_there():
    """An empty folder would make the test below pass by testing nothing."""
    names = {load_case(p).query for p in CASES}
    assert len(CASES) >= 4
    assert {"admissions", "attendance_rate", "step_up_rate", "workshops_held"} <= names


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_query_case(path, tmp_path):
    case = load_case(path)
    db = build_fixture(tmp_path, today=case.today, **case.given)
    frame = query_tests.run_case(case, db)
    problems = compare(frame, case.expect, case.ordered)
    assert not problems, query_tests.explain(case, frame, problems)


# --------------------------------------------------------------------------- the comparison


def test_compare_agrees_and_finds_each_kind_of_difference():
    frame = pd.DataFrame({"n": [3, 5], "rate": [0.75, None], "day": pd.to_datetime(["2024-03-01", "2024-03-31"])})
    good = [{"n": 3, "rate": 0.75, "day": dt.date(2024, 3, 1)}, {"n": 5, "rate": "null"}]
    assert compare(frame, good) == []
    # a wrong number, a wrong null, a wrong date: each is named with its row and column
    assert compare(frame, [{"n": 4}, {"n": 5}]) == ["row 1: n: expected 4, got 3"]
    assert compare(frame, [{"n": 3}, {"rate": 0.0}]) == ["row 2: rate: expected 0.0, got null"]
    assert compare(frame, [{"rate": "null"}, {"n": 5}]) == ["row 1: rate: expected 'null', got 0.75"]
    assert compare(frame, [{"day": dt.date(2024, 3, 2)}, {"n": 5}]) == [
        "row 1: day: expected datetime.date(2024, 3, 2), got Timestamp('2024-03-01 00:00:00')"]
    # row counts and columns must match
    assert compare(frame, [{"n": 3}]) == ["expected 1 row, got 2"]
    assert compare(frame, []) == ["expected 0 rows, got 2"]
    assert compare(frame, [{"count": 3}, {"count": 5}])[0].startswith("the query returns no column count")
    # order matters unless the case says otherwise
    swapped = [{"n": 5}, {"n": 3}]
    assert compare(frame, swapped) != []
    assert compare(frame, swapped, ordered=False) == []
    assert compare(frame, [{"n": 5}, {"n": 5}], ordered=False) == ["expected row 2 {'n': 5} is not among the rows"]


def test_same_numbers_to_1e9_text_lists_and_booleans():
    assert same(0.6666666666666666, 2 / 3)
    assert not same(0.667, 2 / 3)           # a rounded rate is a different number
    assert same(2, 2.0) and not same(2, 3)
    assert same("Adult IOP", "Adult IOP") and not same("Adult IOP", "adult iop")
    assert same(["2.1", "2.5"], ["2.1", "2.5"]) and not same(["2.1"], ["2.1", "2.5"])
    assert same(True, True) and not same(True, 1) and not same(False, True)
    assert not same(0, None) and not same(0, float("nan"))   # null is never 0


# --------------------------------------------------------------------------- the loader


def _case(tmp_path, text: str) -> Path:
    path = tmp_path / "case.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_load_case_reads_params_given_and_expect(tmp_path):
    case = load_case(_case(tmp_path, """
query = "admissions"
as_of = 2024-12-31
[params]
start_date = 2024-03-01
end_date = 2024-03-31
[given]
episodes = [{ episode_id = "E1", client_id = "C1", level_of_care = "2.1", admit_date = 2024-03-01 }]
[[expect]]
admissions = 1
"""))
    assert case.query == "admissions" and case.as_of == dt.date(2024, 12, 31)
    assert case.given["episodes"][0]["admit_date"] == dt.date(2024, 3, 1)
    assert case.expect == [{"admissions": 1}]
    # the sidebar's defaults fill what the case leaves out
    assert query_tests.parameter_values(case) == {
        "focus": ["2.1"], "program": None, "site": None, "days": [30, 60, 90],
        "start_date": dt.date(2024, 3, 1), "end_date": dt.date(2024, 3, 31)}


@pytest.mark.parametrize("text, words", [
    ('[[expect]]\nn = 1', "says which query it tests"),
    ('query = "admissions"', "says what the query returns"),
    ('query = "admissions"\nexpect = []\n[given]\nepisode = []', "given.episode is not an export table"),
    ('query = "admissions"\nexpect = []\n[given]\nepisodes = [{ admitdate = 2024-01-01 }]',
     "given.episodes row 1 has column(s) admitdate"),
    ('query = "admissions"\nexpect = []\nparameters = {}', "unknown key(s) parameters"),
    ('query = "admissions"\nexpect = []\nas_of = "March"', "as_of must be a date"),
    ('query = "admissions"\nexpect = [', "not valid TOML"),
])
def test_a_case_written_wrong_says_what_is_wrong(tmp_path, text, words):
    with pytest.raises(CaseError, match="case.toml: " + words.replace("(", r"\(").replace(")", r"\)")):
        load_case(_case(tmp_path, text))


def test_a_case_with_a_wrong_expectation_fails(tmp_path):
    """The same fixture as admissions_march.toml's first two episodes, expecting 3 instead of
    the 2 admissions there are: the comparison must say so."""
    path = _case(tmp_path, """
query = "admissions"
[params]
start_date = 2024-03-01
end_date = 2024-03-31
[given]
episodes = [
    { episode_id = "E1", client_id = "C1", level_of_care = "2.1", admit_date = 2024-03-01 },
    { episode_id = "E2", client_id = "C2", level_of_care = "2.1", admit_date = 2024-03-31 },
]
[[expect]]
admissions = 3
""")
    case = load_case(path)
    db = build_fixture(tmp_path, **case.given)
    frame = query_tests.run_case(case, db)
    assert compare(frame, case.expect) == ["row 1: admissions: expected 3, got 2"]
