"""Hostile filter values: every program and site value reaches SQL as a bound parameter.

Driven three ways: the ``kpis`` command (a subprocess, as a person or a script would call it),
the query runner (every query the pages can run, on a connection that could write), and the
app (AppTest with the values in the URL). Afterwards the tables are intact and the counts are
right: no episode has such a program or site, so every count is 0 and every rate is null.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from outcomes import db, runner
from outcomes.filters import Filters
from outcomes.kpis import kpis

ROOT = Path(__file__).resolve().parent.parent

HOSTILE = [
    "'", '"', ";", "--", "' OR 1=1 --", "' OR '1'='1", "'); drop table episodes; --",
    "\"; drop view focus_episodes; --", "x' UNION SELECT client_id FROM clients --",
    "$start_date", "$program", "?", "%", "_", "\\", "/* */", "NULL", "null",
    "Клиника 🏥 ñ 中文 \u202e", "tab\there\rcr\x01\x1f\x7f", " Main ", "x" * 100_000,
]
TABLES = ("clients", "episodes", "attendance", "assessments", "relapse_events", "rejects",
          "build_info", "episode_windows", "stays", "sessions")
COUNTS = ("admissions", "discharges", "active_census_end", "workshops_held")


def table_counts(path: Path) -> dict:
    con = db.connect(path)
    try:
        return {t: con.execute(f"select count(*) from {t}").fetchone()[0] for t in TABLES}
    finally:
        con.close()


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def assert_nothing_counted(values: dict) -> None:
    for key in COUNTS:
        assert values[key] == 0, key
    for key, detail in values["detail"].items():
        assert (detail["numerator"], detail["denominator"]) == (0, 0), key
        assert values[key] is None, key
    assert values["median_los_days"] is None


@pytest.fixture(scope="module")
def period(demo_db):
    con = db.connect(demo_db)
    try:
        as_of = db.build_info(con).as_of
    finally:
        con.close()
    return as_of - dt.timedelta(days=365), as_of


def test_the_demo_period_counts_something_unfiltered(demo_db, period):
    """The control: without a filter the same period counts admissions (so the 0s below come
    from the filter, not from an empty period)."""
    con = db.connect(demo_db)
    try:
        values = kpis(con, Filters(*period))
    finally:
        con.close()
    assert values["admissions"] > 0 and values["discharges"] > 0


@pytest.mark.slow
def test_kpis_command_with_hostile_program_and_site(demo_db, period):
    before_counts, before_hash = table_counts(demo_db), sha256(demo_db)
    start, end = (d.isoformat() for d in period)
    # "--" has a test of its own below (argparse treats it as the end of the options)
    cases = [(value, value) for value in HOSTILE if value != "--"] + [(HOSTILE[6], None), (None, HOSTILE[4])]
    for program, site in cases:
        args = [sys.executable, "-m", "outcomes", "kpis", "--db", str(demo_db), "--start", start,
                "--end", end, "--json"]
        # --program=VALUE: a value that starts with '-' is still a value
        if program is not None:
            args.append(f"--program={program}")
        if site is not None:
            args.append(f"--site={site}")
        done = subprocess.run(args, cwd=ROOT, capture_output=True, timeout=120)
        label = repr((program or "")[:40]), repr((site or "")[:40])
        assert done.returncode == 0, (label, done.stderr.decode(errors="replace")[-500:])
        assert b"Traceback" not in done.stderr, label
        assert_nothing_counted(json.loads(done.stdout))
    assert table_counts(demo_db) == before_counts
    assert sha256(demo_db) == before_hash


def test_kpis_command_never_drops_a_program_filter_silently(demo_db, period):
    """`--program=--` (or `--site=--`): argparse takes the value "--" as its end-of-options
    marker and hands back an empty list, which Filters reads as "no filter". The command must
    either count that program (0 admissions) or refuse the argument (exit 2) - never answer
    for all programs as if no filter had been asked for."""
    start, end = (d.isoformat() for d in period)
    for option in ("--program=--", "--site=--"):
        done = subprocess.run([sys.executable, "-m", "outcomes", "kpis", "--db", str(demo_db),
                               "--start", start, "--end", end, "--json", option],
                              cwd=ROOT, capture_output=True, timeout=120)
        assert b"Traceback" not in done.stderr
        if done.returncode == 0:
            assert json.loads(done.stdout)["admissions"] == 0, f"{option} answered for everyone"
        else:
            assert done.returncode == 2


def test_every_page_query_with_hostile_values_on_a_writable_connection(demo_db, period):
    """open_as_of with an earlier as-of date gives an in-memory database that COULD drop or
    change things (views over the file, the model as tables): an injected statement would run.
    Every query the pages can run is given every hostile value as program and site."""
    from test_load import page_queries, params_for

    first = table_counts(demo_db)
    con = db.open_as_of(demo_db, period[1] - dt.timedelta(days=1))
    try:
        model = {t: con.execute(f"select count(*) from {t}").fetchone()[0] for t in TABLES}
        queries = page_queries()
        for value in HOSTILE:
            filters = Filters(*period, program=value, site=value)
            for query in queries:
                runner.run(con, query, params_for(query, filters))  # raises on any failure
            assert_nothing_counted(kpis(con, filters))
        after = {t: con.execute(f"select count(*) from {t}").fetchone()[0] for t in TABLES}
        assert after == model
        names = {r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()}
        assert set(TABLES) <= names
    finally:
        con.close()
    assert table_counts(demo_db) == first


def test_filters_params_keep_values_as_they_are():
    """The value bound is the value given, byte for byte (no quoting, trimming or escaping)."""
    for value in HOSTILE:
        params = Filters(dt.date(2025, 1, 1), dt.date(2025, 1, 31), program=value, site=value).params()
        assert params["program"] == value and params["site"] == value


# ---------------------------------------------------------------------------------------------
# The app: hostile values in the URL
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def app(demo_db, monkeypatch):
    monkeypatch.setenv("OUTCOMES_DB", str(demo_db))
    monkeypatch.delenv("OUTCOMES_TEST_ROLE", raising=False)

    def make():
        from streamlit.testing.v1 import AppTest

        return AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120)

    return make


URL_VALUES = [HOSTILE[4], HOSTILE[6], HOSTILE[9], HOSTILE[18], "x" * 10_000]


@pytest.mark.parametrize("value", URL_VALUES, ids=["or-1-1", "drop-table", "param-name",
                                                   "unicode", "10k-chars"])
def test_unknown_program_and_site_in_the_url_fall_back_to_all(app, value, demo_db):
    """The sidebar's selectboxes offer the known programs and sites only: an unknown value in
    the URL is dropped and the filter is 'All programs' / 'All sites', with no error; the
    home page's tiles then equal the unfiltered ones."""
    at = app()
    at.query_params["program"] = value
    at.query_params["site"] = value
    at.query_params["period"] = value
    at.query_params["focus"] = [value, "2.1"]
    at.run()
    assert not at.exception and not at.error
    assert at.selectbox(key="program").value == "All programs"
    assert at.selectbox(key="site").value == "All sites"
    plain = app()
    plain.run()
    assert [m.value for m in at.metric] == [m.value for m in plain.metric]
    assert len(at.metric) > 0


def test_hostile_values_in_the_url_on_every_page(app):
    """Every page the local role sees draws with hostile values in its URL, without an error."""
    from outcomes import navigation

    for spec in navigation.available(navigation.pages_for("local")):
        at = app()
        at.query_params["program"] = HOSTILE[6]
        at.query_params["site"] = HOSTILE[4]
        at.query_params["dates"] = ["'; drop table episodes; --", "2025-13-45"]
        at.query_params["period"] = "Custom"
        at.switch_page(f"pages/{spec.file}").run()
        assert not at.exception, spec.file
        errors = [e.value for e in at.error]
        assert errors == [], (spec.file, errors)
