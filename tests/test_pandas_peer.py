"""The pandas peer of ``kpis`` (outcomes.pandas_peer), which the benchmark times against the
SQL: it must give the same numbers, or the ratio would compare different work.

1. On seeded demo exports (1,500 clients, CSV; and 300 clients as Parquet, the format the
   benchmark uses at scale) every ``kpis`` key and every numerator and denominator equals the
   SQL's, for several periods and filters: exact for counts, within 1e-9 for rates. The build
   rejects nothing from the demo, so both read the same rows. No metric is left out: all of
   them match exactly, so the benchmark times the full set on both sides.
2. On a small hand-written fixture that exercises the rules the demo does not (a session of
   two disagreeing rows, a row naming another client's episode, overlapping windows, a stay
   joined at exactly 14 days and one broken at 15, a discharge after the as-of date, an empty
   period), the numbers worked out by hand below, and the SQL's.
"""

from __future__ import annotations

import datetime as dt

import pytest

from helpers import build_fixture
from outcomes import pandas_peer
from outcomes.bench import compare
from outcomes.build import build
from outcomes.db import connect, open_as_of
from outcomes.demo import generate
from outcomes.filters import Filters
from outcomes.kpis import kpis

D = dt.date


def sql_kpis(db, filters, as_of=None):
    con = open_as_of(db, as_of)
    try:
        return kpis(con, filters)
    finally:
        con.close()


def assert_same(sql: dict, peer: dict):
    assert list(peer) == list(sql)  # the same keys, in the same order
    assert compare(sql, peer) == [], {k: (sql.get(k), peer.get(k)) for k in compare(sql, peer)}
    for key, value in sql.items():  # counts exact, rates to 1e-9, nulls where the SQL has them
        if key == "detail":
            continue
        if value is None or isinstance(value, (int, str)):
            assert peer[key] == value, key
        else:
            assert peer[key] == pytest.approx(value, abs=1e-9, rel=0), key


# ---------------------------------------------------------------------------------------------
# 1. Demo exports
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("peer")
    generate(folder / "exports", clients=1500, seed=11)
    db = folder / "demo.duckdb"
    build(folder / "exports", db)
    return folder / "exports", db


def _rejects(db) -> int:
    con = connect(db)
    try:
        return con.execute("select count(*) from rejects").fetchone()[0]
    finally:
        con.close()


DEMO_FILTERS = [
    Filters(D(2025, 11, 1), D(2026, 10, 31)),  # the 12 months ending at the as-of date
    Filters(D(2025, 1, 1), D(2025, 3, 31), focus=("2.1", "2.5"), retention_days=(14, 30, 60, 90)),
    Filters(D(2025, 1, 1), D(2025, 12, 31), program="Adult IOP"),
    Filters(D(2025, 6, 1), D(2025, 12, 31), program="Young Adult", site="Northside"),
    Filters(D(2024, 11, 1), D(2027, 1, 31)),  # ends after the as-of date: cut there
    Filters(D(2026, 11, 1), D(2026, 12, 31)),  # starts after the as-of date: counts 0, rates null
]


@pytest.mark.parametrize("filters", DEMO_FILTERS, ids=lambda f: f"{f.start}..{f.end}-{'+'.join(f.focus)}"
                         f"-{f.program or 'all'}-{f.site or 'all'}")
def test_peer_equals_the_sql_on_the_demo(demo, filters):
    exports, db = demo
    assert _rejects(db) == 0  # both sides read the same rows
    sql = sql_kpis(db, filters)
    peer = pandas_peer.kpis(exports, filters)
    assert_same(sql, peer)
    if filters.start > D(2026, 10, 31):
        assert peer["admissions"] == 0 and peer["completion_rate"] is None
    else:  # a real comparison: the period has admissions, discharges and relapses
        assert peer["admissions"] > 0 and peer["detail"]["relapse_rate_per_1000_days"]["numerator"] > 0


def test_peer_equals_the_sql_on_an_earlier_as_of_date(demo):
    exports, db = demo
    filters = Filters(D(2025, 7, 1), D(2025, 12, 31))
    as_of = D(2025, 11, 15)  # discharges after it are unknown; the period is cut there
    peer = pandas_peer.kpis(exports, filters, as_of=as_of)
    assert peer["as_of"] == "2025-11-15"
    assert_same(sql_kpis(db, filters, as_of), peer)


def test_peer_reads_parquet_like_csv(tmp_path):
    generate(tmp_path / "exports", clients=300, seed=5, fmt="parquet")
    assert (tmp_path / "exports" / "attendance.parquet").exists()
    db = tmp_path / "demo.duckdb"
    build(tmp_path / "exports", db)
    filters = Filters(D(2025, 11, 1), D(2026, 10, 31), focus=("2.1", "2.5"))
    assert_same(sql_kpis(db, filters), pandas_peer.kpis(tmp_path / "exports", filters))


# ---------------------------------------------------------------------------------------------
# 2. A hand-written fixture
# ---------------------------------------------------------------------------------------------
#
# Episodes (the latest date in the fixture is E8's discharge 2024-03-31: the as-of date):
#   C1  E1 2.1 01-01 .. 01-20 transferred; E2 2.1 02-03 .. 02-29 dropped_out: 02-03 is exactly
#       14 days after 01-20, so one stay, which ended dropped_out (its latest discharge).
#   C2  E3 2.1 01-10 .. 01-31 transferred; E4 1.0 02-15, open: 15 days later, a new stay.
#   C3  E5 2.1 01-05, open; E6 2.1 01-15 .. 01-25 completed, inside E5's window: one stay.
#       E6 is the only episode of the program Dual Diagnosis (the others: Adult IOP).
#   C4  E7 3.5 2023-12-01 .. 2024-01-03 completed; E8 2.1 01-05 .. 03-31 completed: one stay.
# Attendance:
#   C1 session S1 on 01-02 twice: no_show and attended -> one session, attended (status order).
#   C1 01-03 group attended naming E3 (C2's episode) -> belongs by date to E1.
#   C1 02-10 group attended, E2.
#   C2 01-12 group no_show, no episode id -> by date to E3.
#   C3 01-16 group attended, no episode id -> E5 and E6 hold the date: the later admit, E6.
#   Workshops on 01-13, attended: C1 session WS1 with 2 guests (E1); C3 and C4 without a
#   session id, topics "Healthy Communication" and "healthy-communication" -> one workshop.
# Relapse events: C3 01-20 twice (self_report, positive_screen) -> one relapse day; C1 01-25
#   (between E1 and E2: in no focus window); C2 02-05 (after January).
#
# January 2024 (as-of 03-31):
#   admissions E1 E3 E5 E6 E8 = 5; discharges E1 (transferred, 19 days), E3 (transferred, 21),
#   E6 (completed, 10) = 3: completion 1/3, median length of stay 19 days.
#   show rate: sessions of focus episodes dated in January: S1 attended (E1), 01-03 attended
#   (E1), 01-12 no_show (E3), 01-16 attended (E6), workshops C1 (E1), C3 (by date: E5; E6 starts
#   01-15), C4 (E8) attended -> 6 / (6 + 1).
#   client-days: C1 01-01..01-20 = 20, C2 01-10..01-31 = 22, C3 E5 01-05..01-31 = 27 (E6 lies
#   inside: counted once), C4 01-05..01-31 = 27 -> 96; relapse days 1 -> 1000 / 96.
#   relapse_episode_rate: windows overlapping January E1 E3 E5 E6 E8 = 5; with C3's relapse day
#   inside the window: E5, E6 -> 2/5.
#   retention_30d: E3 left out (its stay ended transferred 01-31, before day 30 = 02-09; were
#   E4, 15 days later, in its stay, the stay would be open and E3 counted); E1 kept, as its stay
#   goes on with E2 (were E2 a stay of its own, E1's would have ended transferred 01-20 and E1
#   been left out), and retained (C1 attended 02-10 in the stay, day 40); E5 and E6 not (no
#   session of C3's stay after 01-16); E8 retained (its stay ended completed) -> 2/4.
#   active census at the close of 01-31: E5 (open), E8 (discharged 03-31) = 2.
#   step_down_7d: E7 (3.5) discharged 01-03 completed; E8 (2.1) admitted 01-05, 2 days later
#   -> 1/1. step_up: E1, E3, E6 discharged in January; no higher level within 14 days -> 0/3.
#   workshops held: WS1 and (01-13, healthy communication) = 2.
#   workshop reach: episodes overlapping January with windows of at least 14 days: E1 (20 days),
#   E3 (22), E5 (open to 03-31), E8 -> 4 (E6 spans 11 days); reached: E1 (WS1, 01-13), E5 (C3's
#   workshop 01-13), E8 (C4's) -> 3/4; with family: E1 only -> 1/4.
# Program Dual Diagnosis in January: the one session that belongs to E6 (C3's 01-16, which
#   belongs to E6 rather than E5 by the later admit) -> show rate 1/1; E6's discharge: 1
#   completed of 1; no workshop row belongs to an E6 -> 0 workshops held.
# With the as-of date 2024-03-15, E8's discharge is not known yet: its stay is open and C4 has
# no session after day 30, so retention_30d = 1/4 (E1 only).


def _ep(eid, cid, level, admit, discharge=None, reason=None, program="Adult IOP"):
    return {"episode_id": eid, "client_id": cid, "level_of_care": level, "admit_date": admit,
            "discharge_date": discharge, "discharge_reason": reason, "program": program,
            "site": "Northside"}


def _row(cid, day, status="attended", eid=None, sid=None, kind="group", topic=None, guests=None):
    return {"client_id": cid, "episode_id": eid, "session_id": sid, "session_date": day,
            "session_type": kind, "status": status, "topic": topic, "guests": guests}


@pytest.fixture(scope="module")
def fixture(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hand")
    episodes = [
        _ep("E1", "C1", "2.1", "2024-01-01", "2024-01-20", "transferred"),
        _ep("E2", "C1", "2.1", "2024-02-03", "2024-02-29", "dropped_out"),
        _ep("E3", "C2", "2.1", "2024-01-10", "2024-01-31", "transferred"),
        _ep("E4", "C2", "1.0", "2024-02-15"),
        _ep("E5", "C3", "2.1", "2024-01-05"),
        _ep("E6", "C3", "2.1", "2024-01-15", "2024-01-25", "completed", "Dual Diagnosis"),
        _ep("E7", "C4", "3.5", "2023-12-01", "2024-01-03", "completed"),
        _ep("E8", "C4", "2.1", "2024-01-05", "2024-03-31", "completed"),
    ]
    attendance = [
        _row("C1", "2024-01-02", "no_show", "E1", "S1"),
        _row("C1", "2024-01-02", "attended", "E1", "S1"),
        _row("C1", "2024-01-03", "attended", "E3"),
        _row("C1", "2024-02-10", "attended", "E2"),
        _row("C2", "2024-01-12", "no_show"),
        _row("C3", "2024-01-16", "attended"),
        _row("C1", "2024-01-13", "attended", "E1", "WS1", "workshop", "Healthy communication", 2),
        _row("C3", "2024-01-13", "attended", None, None, "workshop", "Healthy Communication", 0),
        _row("C4", "2024-01-13", "attended", None, None, "workshop", "healthy-communication", 0),
    ]
    relapses = [
        {"client_id": "C3", "event_date": "2024-01-20", "event_type": "self_report"},
        {"client_id": "C3", "event_date": "2024-01-20", "event_type": "positive_screen"},
        {"client_id": "C1", "event_date": "2024-01-25", "event_type": "self_report"},
        {"client_id": "C2", "event_date": "2024-02-05", "event_type": "collateral_report"},
    ]
    db = build_fixture(folder, today=D(2024, 6, 1), episodes=episodes, attendance=attendance,
                       relapse_events=relapses)
    return folder / "exports", db


JANUARY = Filters(D(2024, 1, 1), D(2024, 1, 31))


def test_peer_gives_the_hand_computed_numbers(fixture):
    exports, db = fixture
    peer = pandas_peer.kpis(exports, JANUARY)
    detail = peer["detail"]
    assert peer["as_of"] == "2024-03-31"
    assert peer["admissions"] == 5
    assert peer["discharges"] == 3
    assert detail["completion_rate"] == {"numerator": 1, "denominator": 3}
    assert peer["median_los_days"] == 19.0
    assert detail["attendance_rate"] == {"numerator": 6, "denominator": 7}
    assert detail["relapse_rate_per_1000_days"] == {"numerator": 1, "denominator": 96}
    assert peer["relapse_rate_per_1000_days"] == pytest.approx(1000 / 96, abs=1e-9)
    assert detail["relapse_episode_rate"] == {"numerator": 2, "denominator": 5}
    assert detail["retention_30d"] == {"numerator": 2, "denominator": 4}
    assert peer["active_census_end"] == 2
    assert detail["step_down_7d_rate"] == {"numerator": 1, "denominator": 1}
    assert detail["step_up_rate"] == {"numerator": 0, "denominator": 3}
    assert peer["workshops_held"] == 2
    assert detail["workshop_reach_rate"] == {"numerator": 3, "denominator": 4}
    assert detail["family_reach_rate"] == {"numerator": 1, "denominator": 4}
    assert_same(sql_kpis(db, JANUARY), peer)


def test_peer_with_a_program_filter(fixture):
    exports, db = fixture
    dual = Filters(D(2024, 1, 1), D(2024, 1, 31), program="Dual Diagnosis")
    peer = pandas_peer.kpis(exports, dual)
    assert peer["detail"]["attendance_rate"] == {"numerator": 1, "denominator": 1}
    assert peer["detail"]["completion_rate"] == {"numerator": 1, "denominator": 1}
    assert peer["admissions"] == 1 and peer["workshops_held"] == 0
    assert_same(sql_kpis(db, dual), peer)


def test_peer_sees_the_data_as_known_on_an_earlier_date(fixture):
    exports, db = fixture
    peer = pandas_peer.kpis(exports, JANUARY, as_of=D(2024, 3, 15))
    assert peer["as_of"] == "2024-03-15"
    assert peer["detail"]["retention_30d"] == {"numerator": 1, "denominator": 4}
    assert peer["active_census_end"] == 2  # E8 is open now, still open at the close of 01-31
    assert_same(sql_kpis(db, JANUARY, D(2024, 3, 15)), peer)


def test_peer_on_an_empty_period(fixture):
    exports, db = fixture
    empty = Filters(D(2024, 4, 1), D(2024, 4, 30))  # starts after the as-of date
    peer = pandas_peer.kpis(exports, empty)
    counts = ("admissions", "discharges", "active_census_end", "workshops_held")
    assert all(peer[key] == 0 for key in counts)
    rates = [k for k in peer if k not in counts and k not in ("as_of", "detail")]
    assert all(peer[key] is None for key in rates), {k: peer[k] for k in rates}
    assert_same(sql_kpis(db, empty), peer)
