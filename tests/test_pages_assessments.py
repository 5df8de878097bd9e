"""AppTest of the Assessments page on the hand-written fixture of test_series_assessments
(whose docstrings work out every number): tiles, the no-follow-up counts, the instrument
selector, and an empty period."""

from __future__ import annotations

import pytest

from helpers import build_fixture, open_page
from test_series_assessments import EPISODES, SCORES

PAGE = "pages/assessments.py"


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    # as-of 2024-04-10 (E10's discharge, the latest date)
    return build_fixture(tmp_path_factory.mktemp("assessments_page"), episodes=EPISODES,
                         assessments=SCORES)


def page(db, monkeypatch, start, end, **state):
    return open_page(db, monkeypatch, PAGE, (start, end), clean=True, **state)

def test_assessment_tiles_match_hand_computed_values(db, monkeypatch):
    """March 2024: 8 focus discharges, 6 measured on PHQ-9 (improved 2, deteriorated 1,
    responded 3, remitted 3) and 2 on GAD-7 (improved 1, deteriorated 0, responded 1). The
    previous period (30 Jan .. 29 Feb) has no discharges: no change is shown."""
    at = page(db, monkeypatch, "2024-03-01", "2024-03-31")
    shown = [(m.label, m.value) for m in at.metric]
    assert shown == [
        ("Reliably improved", "33.3%"), ("Reliably worse", "16.7%"), ("Response", "50.0%"),
        ("Remission", "50.0%"), ("Measured", "75.0%"),
        ("Reliably improved", "50.0%"), ("Reliably worse", "0.0%"), ("Response", "50.0%"),
        ("Measured", "25.0%"),
        ("PHQ-9: no follow-up", "1"), ("GAD-7: no follow-up", "0"),
    ]
    assert all(not m.delta for m in at.metric)
    text = "\n".join(c.value for c in at.caption)
    for note in ("2 of 6", "1 of 6", "3 of 6", "6 of 8", "1 of 2", "0 of 2", "2 of 8",
                 "PHQ-9: reliable change 6 points", "remission a follow-up below 5",
                 "GAD-7: reliable change 4 points", "and 1 without a baseline",
                 "and 6 without a baseline"):
        assert note in text, note
    assert any("Response bias" in m.value for m in at.markdown)
    # trajectory, severity bands, change by program, change by length of stay
    assert len(at.get("plotly_chart")) == 4
    assert at.segmented_control(key="assessment_instrument").options == ["PHQ-9", "GAD-7", "BAM"]


def test_other_instrument_shows_its_trajectory_only(db, monkeypatch):
    at = page(db, monkeypatch, "2024-03-01", "2024-03-31", assessment_instrument="BAM")
    assert len(at.get("plotly_chart")) == 1
    assert any("shown for PHQ-9 and GAD-7 only" in c.value for c in at.caption)


def test_assessments_empty_period(db, monkeypatch):
    at = page(db, monkeypatch, "2025-01-01", "2025-01-31")
    assert [m.value for m in at.metric] == ["n/a"] * 9
    assert len(at.get("plotly_chart")) == 0
    infos = "\n".join(i.value for i in at.info)
    assert "No focus episodes were discharged in this period" in infos
    assert "No PHQ-9 scores" in infos
