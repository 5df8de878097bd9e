"""The SQL workbench: what may run (one SELECT, by DuckDB's own parser), how it runs (read-only,
files off, settings locked, a row cap, a time limit), and the page (AppTest).

Fixture (hand-written): three episodes, E1 and E2 at 2.1 admitted in March 2024 and E3 at 3.5
admitted 2024-02-10; two attendance rows. So `select count(*) from episodes` is 3, and focus
2.1 admissions in March 2024 are E1 and E2: 2.
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import duckdb
import pytest

from helpers import build_fixture, open_page
from outcomes import workbench
from outcomes.workbench import QueryError, Refused, TimedOut, run_select, validate

ROOT = Path(__file__).resolve().parent.parent
MARCH = {"start_date": dt.date(2024, 3, 1), "end_date": dt.date(2024, 3, 31), "focus": ["2.1"],
         "program": None, "site": None}
CROSS_JOIN = "select count(*) as n from range(1000000) as a, range(1000000) as b"  # 10^12 rows


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    return build_fixture(tmp_path_factory.mktemp("workbench"), episodes=[
        {"episode_id": "E1", "client_id": "C1", "level_of_care": "2.1", "admit_date": "2024-03-01"},
        {"episode_id": "E2", "client_id": "C2", "level_of_care": "2.1", "admit_date": "2024-03-31"},
        {"episode_id": "E3", "client_id": "C3", "level_of_care": "3.5", "admit_date": "2024-02-10"},
    ], attendance=[
        {"client_id": "C1", "session_date": "2024-03-02", "session_type": "group", "status": "attended"},
        {"client_id": "C2", "session_date": "2024-03-31", "session_type": "group", "status": "no_show"},
    ])


# --------------------------------------------------------------------------- what may run


@pytest.mark.parametrize("sql", [
    "select 1",
    "with x as (select 1 as a) select * from x",
    "from episodes",
    "select * from focus_episodes($focus, $program, $site)",
    "describe episodes",
    "(select 1) union all (select 2)",
    "select 1;  -- one statement, with its semicolon and a comment",
])
def test_one_select_is_accepted(sql):
    assert validate(sql).sql == sql


@pytest.mark.parametrize("sql, kind", [
    ("insert into episodes select * from episodes", "INSERT"),
    ("update episodes set site = 'x'", "UPDATE"),
    ("delete from episodes", "DELETE"),
    ("create table t as select 1", "CREATE"),
    ("create temp table t as select 1", "CREATE"),
    ("drop table episodes", "DROP"),
    ("copy episodes to '/tmp/episodes.csv'", "COPY"),
    ("attach '/tmp/other.duckdb' as other", "ATTACH"),
    ("detach outcomes", "DETACH"),
    ("pragma version", "PRAGMA"),
    ("set threads = 1", "SET"),
    ("use memory", "SET"),
    ("install httpfs", "LOAD"),
    ("load httpfs", "LOAD"),
    ("export database '/tmp/dump'", "EXPORT"),
    ("call pragma_version()", "CALL"),
    ("with x as (select 1 as a) insert into episodes select * from x", "INSERT"),
])
def test_anything_but_a_select_is_refused_by_its_statement_type(sql, kind):
    with pytest.raises(Refused, match=f"this is an? {kind} statement"):
        validate(sql)


@pytest.mark.parametrize("sql, count", [
    ("select 1; select 2", 2),
    ("select 1; drop table episodes", 2),
    ("select 1;;select 2;select 3", 3),
])
def test_more_than_one_statement_is_refused(sql, count):
    with pytest.raises(Refused, match=f"One statement at a time: this text holds {count} statements"):
        validate(sql)


@pytest.mark.parametrize("sql", ["", "   ", "-- only a comment"])
def test_no_statement_is_refused(sql):
    with pytest.raises(Refused, match="There is no statement to run"):
        validate(sql)


@pytest.mark.parametrize("sql, function", [
    ("select * from read_csv('/etc/passwd')", "read_csv"),
    ("select * from read_csv_auto('x.csv')", "read_csv_auto"),
    ("select * from read_parquet('x.parquet')", "read_parquet"),
    ("select * from read_json('x.json')", "read_json"),
    ("select * from glob('/*')", "glob"),
    ("select content from read_text('/etc/hostname')", "read_text"),
    ("select * from read_blob('/etc/hostname')", "read_blob"),
    ("with f as (select * from read_csv('x.csv')) select count(*) from f", "read_csv"),
    ("select 1 where 'x' in (select file from glob('*'))", "glob"),
])
def test_functions_that_read_files_are_refused(sql, function):
    with pytest.raises(Refused, match=f"{function} reads files"):
        validate(sql)


def test_only_the_sidebar_parameters_and_only_those_used_are_bound():
    assert validate("select $end_date, $start_date").parameters == ("start_date", "end_date")
    assert validate("select 1").parameters == ()
    with pytest.raises(Refused, match=r"Unknown parameter \$as_of"):
        validate("select $as_of")
    with pytest.raises(Refused, match="Use the named parameters"):
        validate("select ?")
    with pytest.raises(Refused, match="Use the named parameters"):
        validate("select $1")


def test_a_syntax_error_is_duckdbs_message():
    with pytest.raises(QueryError, match='Parser Error: syntax error at or near "selec"'):
        validate("selec 1")


# --------------------------------------------------------------------------- how it runs


def test_a_select_runs_with_the_parameters_it_uses(db):
    result = run_select(db, "select count(*) as n from focus_episodes($focus, $program, $site) "
                            "where admit_date between $start_date and $end_date", MARCH)
    assert result.frame["n"].tolist() == [2]           # E1 (03-01) and E2 (03-31); E3 is 3.5
    assert result.parameters == MARCH and not result.capped
    assert run_select(db, "select count(*) as n from episodes", MARCH).parameters == {}
    assert run_select(db, "select count(*) as n from episodes").frame["n"].tolist() == [3]


def test_duckdb_errors_come_back_as_its_message(db):
    with pytest.raises(QueryError) as caught:
        run_select(db, "select admit_dat from episodes")
    message = str(caught.value)
    assert message.startswith('Binder Error: Referenced column "admit_dat" not found')
    assert "LINE 1: select admit_dat from episodes" in message


@pytest.mark.parametrize("rows, cap, shown, capped", [
    (25, 10, 10, True),
    (25, 24, 24, True),
    (25, 25, 25, False),     # exactly the cap: nothing was left out
    (25, 26, 25, False),
    (0, 10, 0, False),
    (5000, 4097, 4097, True),  # across DuckDB's 2,048-row vectors
])
def test_rows_are_capped_and_the_cap_is_reported(db, rows, cap, shown, capped):
    result = run_select(db, f"select range as i from range({rows})", row_cap=cap)
    assert len(result.frame) == shown and result.capped is capped
    assert list(result.frame.columns) == ["i"]          # also with no rows
    assert result.frame["i"].tolist() == list(range(shown))


def test_the_default_cap_is_10000_rows(db):
    result = run_select(db, "select * from range(10001)")
    assert (len(result.frame), result.capped) == (10_000, True)
    assert workbench.ROW_CAP == 10_000


def test_a_long_query_is_stopped_at_the_time_limit(db):
    started = time.perf_counter()
    with pytest.raises(TimedOut, match="stopped after 1 s, the workbench's time limit"):
        run_select(db, CROSS_JOIN, seconds=1)
    assert time.perf_counter() - started < 8
    # the next query runs normally
    assert run_select(db, "select 42 as x").frame["x"].tolist() == [42]


def test_the_time_limit_is_10_seconds_unless_configured(monkeypatch):
    monkeypatch.delenv(workbench.TIME_LIMIT_ENV, raising=False)
    assert workbench.time_limit() == 10
    monkeypatch.setenv(workbench.TIME_LIMIT_ENV, "2.5")
    assert workbench.time_limit() == 2.5
    for bad in ("soon", "0", "-3", "inf"):
        monkeypatch.setenv(workbench.TIME_LIMIT_ENV, bad)
        assert workbench.time_limit() == 10


# --------------------------------------------------------------------------- the engine's guards


def test_the_workbench_connection_is_read_only_with_files_off_and_settings_locked(db, tmp_path):
    """Even SQL that slipped past validate() could not write, read files or unlock anything:
    these statements go straight to the connection."""
    con = workbench.connect(db)
    try:
        for sql, words in [
            ("insert into episodes (episode_id) values ('X')", "read-only"),
            ("create table t as select 1", "read-only"),
            (f"copy (select 1) to '{tmp_path / 'out.csv'}'", "file system operations are disabled"),
            (f"select * from read_csv('{tmp_path / 'x.csv'}')", "file system operations are disabled"),
            ("select * from read_text('/etc/hostname')", "file system operations are disabled"),
            (f"attach '{tmp_path / 'other.duckdb'}' as other", "file system operations are disabled"),
            ("set enable_external_access = true", "the configuration has been locked"),
            ("reset enable_external_access", "the configuration has been locked"),
            ("set lock_configuration = false", "the configuration has been locked"),
            ("load httpfs", "disabled"),
        ]:
            with pytest.raises(duckdb.Error, match=words):
                con.execute(sql)
        assert not (tmp_path / "out.csv").exists()
        # and it still reads the database, model included
        assert con.execute("select count(*) from focus_episodes(['2.1'], null, null)").fetchone() == (2,)
    finally:
        con.close()


def test_the_dashboard_connection_keeps_its_settings(db):
    """Why the workbench does not use duckdb.connect(path, read_only=True): DuckDB's Python
    client gives a second such connection the same database instance, so a SET on it changes
    the first one too (the first half shows it). The workbench's own connection leaves the
    dashboard's untouched (the second half)."""
    first = duckdb.connect(str(db), read_only=True)
    second = duckdb.connect(str(db), read_only=True)
    try:
        second.execute("set enable_external_access = false")
        assert first.execute("select current_setting('enable_external_access')").fetchone() == (False,)
    finally:
        first.close()
        second.close()
    dashboard = duckdb.connect(str(db), read_only=True)   # a fresh instance, as ui.py opens it
    try:
        run_select(db, "select 1")
        own = workbench.connect(db)
        assert own.execute("select current_setting('enable_external_access')").fetchone() == (False,)
        own.close()
        assert dashboard.execute("select current_setting('enable_external_access')").fetchone() == (True,)
        assert dashboard.execute("select current_setting('lock_configuration')").fetchone() == (False,)
    finally:
        dashboard.close()


def test_python_variables_are_not_tables(db):
    """DuckDB's Python client would otherwise read a DataFrame named in the SQL from the
    caller's variables."""
    import pandas as pd

    secret_frame = pd.DataFrame({"x": [1]})  # noqa: F841 - a variable a query could name
    with pytest.raises(QueryError, match="secret_frame"):
        run_select(db, "select * from secret_frame")


# --------------------------------------------------------------------------- the page (AppTest)


def open_workbench(db, monkeypatch, sql: str | None = None, seconds: str | None = None):
    if seconds:
        monkeypatch.setenv(workbench.TIME_LIMIT_ENV, seconds)
    at = open_page(db, monkeypatch, "pages/workbench.py", (dt.date(2024, 3, 1), dt.date(2024, 3, 31)))
    assert not at.exception, [e.value for e in at.exception]
    if sql is not None:
        at.text_area(key="workbench_sql").input(sql)
        at.button(key="workbench_run").click().run()
        assert not at.exception, [e.value for e in at.exception]
    return at


def errors(at) -> list[str]:
    return [e.value for e in at.error]


def test_page_runs_a_select_with_the_sidebar_parameters(db, monkeypatch):
    at = open_workbench(db, monkeypatch, "select count(*) as admissions\n"
                        "from focus_episodes($focus, $program, $site)\n"
                        "where admit_date between $start_date and $end_date")
    assert errors(at) == []
    result = at.dataframe[-1].value
    assert result["admissions"].tolist() == [2]          # E1 and E2, as in the docstring
    shown = "\n".join(m.value for m in at.markdown)
    assert "**1 row**" in shown and "$start_date = 2024-03-01" in shown and "$end_date = 2024-03-31" in shown
    assert any(b.label == "Download CSV" for b in at.get("download_button"))


def test_page_lists_the_parameters_and_the_tables(db, monkeypatch):
    at = open_workbench(db, monkeypatch)
    shown = "\n".join(m.value for m in at.markdown)
    assert "`$start_date` = `2024-03-01`" in shown and "`$focus` = `['2.1']`" in shown
    assert "`$program` = `null`" in shown
    tables = at.dataframe[0].value
    assert {"episodes", "attendance", "episode_windows", "stays", "focus_episodes"} <= set(tables["name"])


@pytest.mark.parametrize("sql, words", [
    ("insert into episodes select * from episodes", "this is an INSERT statement"),
    ("copy episodes to '/tmp/episodes.csv'", "this is a COPY statement"),
    ("attach '/tmp/x.duckdb' as x", "this is an ATTACH statement"),
    ("pragma database_list", "this is a PRAGMA statement"),
    ("select 1; select 2", "this text holds 2 statements"),
    ("select * from read_csv('/etc/passwd')", "read_csv reads files"),
])
def test_page_refuses_with_a_message_next_to_the_sql(db, monkeypatch, sql, words):
    at = open_workbench(db, monkeypatch, sql)
    assert len(errors(at)) == 1 and words in errors(at)[0] and errors(at)[0].startswith("**Not run.**")
    assert len(at.dataframe) == 1   # the tables reference only: no result table


def test_page_stops_a_long_cross_join_with_a_message(db, monkeypatch):
    started = time.perf_counter()
    at = open_workbench(db, monkeypatch, CROSS_JOIN, seconds="1")
    assert time.perf_counter() - started < 60
    assert len(errors(at)) == 1
    assert errors(at)[0].startswith("**Stopped.** The query was stopped after 1 s")


def test_page_shows_duckdbs_error_not_a_traceback(db, monkeypatch):
    at = open_workbench(db, monkeypatch, "select admit_dat\nfrom episodes")
    assert errors(at) == ["**DuckDB could not run this query.** Its message:"]
    codes = [c.value for c in at.code]
    assert any(c.startswith('Binder Error: Referenced column "admit_dat" not found') and "LINE 1" in c
               for c in codes)


def test_page_says_when_rows_were_capped(db, monkeypatch):
    at = open_workbench(db, monkeypatch, "select * from range(10001)")
    assert len(at.dataframe[-1].value) == 10_000
    assert any("Only the first 10,000 rows are shown and in the download" in w.value for w in at.warning)


# --------------------------------------------------------------------------- a real browser


@pytest.mark.browser
def test_browser_run_refuse_and_error_with_screenshots(demo_db, tmp_path):
    """In Chromium on the demo data: the example runs and shows its table, an UPDATE is
    refused next to the SQL, a misspelt column shows DuckDB's message; no exception box, and
    a screenshot of each under artifacts/screenshots/."""
    from playwright.sync_api import sync_playwright

    from outcomes import browser

    if not Path(browser.CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (scripts/ensure-chromium installs it)")
    shots = ROOT / "artifacts" / "screenshots"
    with browser.serve(demo_db, log=tmp_path / "streamlit.log") as url, sync_playwright() as playwright:
        chromium = browser.launch(playwright)
        page = chromium.new_context(viewport={"width": 1280, "height": 900}).new_page()
        page.goto(url + "/")
        browser.wait_drawn(page)
        page.goto(url + "/workbench")
        browser.wait_drawn(page)

        def run(sql: str | None = None) -> str:
            if sql is not None:
                page.locator(".st-key-workbench_sql textarea").fill(sql)
            page.locator(".st-key-workbench_run button").click()
            page.wait_for_timeout(300)
            browser.wait_drawn(page)
            assert browser.exceptions(page) == []
            return page.locator('[data-testid="stMain"]').inner_text()

        shown = run()
        assert "Only the first" not in shown and " rows" in shown and "Download CSV" in shown
        assert page.locator('[data-testid="stDataFrame"]').count() == 2   # tables + result
        browser.screenshot(page, shots / "workbench-result.png", width=1280)
        shown = run("update episodes set site = 'x'")
        assert "Not run." in shown and "this is an UPDATE statement" in shown
        assert page.locator('[data-testid="stDataFrame"]').count() == 1   # no result table
        browser.screenshot(page, shots / "workbench-refused.png", width=1280)
        shown = run("select admit_dat\nfrom episodes")
        assert 'Referenced column "admit_dat" not found' in shown and "LINE 1" in shown
        browser.screenshot(page, shots / "workbench-error.png", width=1280)
        chromium.close()
