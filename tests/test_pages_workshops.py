"""AppTest of the Family workshops page on the hand-written fixture of test_series_workshops
(its docstrings work out every workshop), with one more row so that the as-of date is
2024-05-31: tiles, the cadence notes, and an empty period."""

from __future__ import annotations

import pytest

from helpers import build_fixture, open_page
from test_series_workshops import CADENCE_EPISODES, CADENCE_ROWS

PAGE = "pages/workshops.py"


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    late_row = {"client_id": "CZ", "session_date": "2024-05-31", "session_type": "group",
                "status": "attended"}
    return build_fixture(tmp_path_factory.mktemp("workshops_page"), episodes=CADENCE_EPISODES,
                         attendance=CADENCE_ROWS + [late_row])


def page(db, monkeypatch, start, end):
    return open_page(db, monkeypatch, PAGE, (start, end), clean=True)

def test_workshop_tiles_and_cadence_notes(db, monkeypatch):
    """1 Mar .. 30 Apr 2024 (previous period: 30 Dec 2023 .. 29 Feb 2024, 61 days).
    Held: 03-02, 03-09, 03-23, 03-30, 04-14 = 5 (previous: 02-17 = 1, change +4).
    Client attendances 3 + 2 + 2 + 1 + 1 = 9: 1.8 per workshop (previous 1 / 1 = 1.0: +0.8).
    Guests 7 + 3 + 2 + 0 + 1 = 13: 2.6 per workshop (previous 1.0: +1.6).
    Reach: the 2.1 episodes A and B (open since 01-01) both attended, both with a guest at
    some workshop in their window: 100% and 100%, in both periods (no change).
    Cadence: one gap over 21 days (North, 22 days before 14 Apr); South's last workshop was on
    30 Mar, 31 days before the period's end; North's on 14 Apr, 16 days: not flagged."""
    at = page(db, monkeypatch, "2024-03-01", "2024-04-30")
    shown = {m.label: (m.value, m.delta) for m in at.metric}
    assert shown == {
        "Workshops held": ("5", "+4"),
        "Clients per workshop": ("1.8", "+0.8"),
        "Guests per workshop": ("2.6", "+1.6"),
        "Workshop reach": ("100.0%", "no change"),
        "Family reach": ("100.0%", "no change"),
    }
    text = "\n".join(m.value for m in at.markdown)
    assert "**1** gap of more than 21 days: North 22 days before 14 Apr 2024." in text
    assert "South: no workshop in the last 31 days of the period (since 30 Mar 2024)." in text
    assert "North: no workshop" not in text
    captions = "\n".join(c.value for c in at.caption)
    assert "1 workshop outlined in red had a client with more than 3 guests" in captions
    assert "1 attendance with more (red) broke the rule" in captions
    assert "The 5 families" in captions
    # cadence, attendance, guests per client, topic coverage, topics; the retention panel has
    # no admissions in the period (A and B were admitted in January) and says so
    assert len(at.get("plotly_chart")) == 5
    assert any("60 days of follow-up" in i.value for i in at.info)


def test_workshops_empty_period(db, monkeypatch):
    at = page(db, monkeypatch, "2025-01-01", "2025-03-31")
    shown = {m.label: m.value for m in at.metric}
    assert shown == {"Workshops held": "0", "Clients per workshop": "n/a",
                     "Guests per workshop": "n/a", "Workshop reach": "n/a", "Family reach": "n/a"}
    assert len(at.get("plotly_chart")) == 0
    infos = "\n".join(i.value for i in at.info)
    for message in ("No workshop was held", "No client attended a workshop",
                    "No client brought a loved one", "60 days of follow-up"):
        assert message in infos, message
