"""The Query catalog page (AppTest), live reload of an edited .sql file, a broken query kept to
its panel, and the helpers that say which page uses which query.

Fixture (hand-written): E1 (C1) and E2 (C2) at 2.1 admitted 2024-03-01 and 2024-03-31, E3 (C3)
at 3.5 admitted 2024-02-10. With the sidebar on March 2024 and focus 2.1, admissions are E1 and
E2 = 2 (E3 is not a focus level); from 2024-03-02 only E2 = 1. episode_windows has one row per
episode: 3.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

import helpers
from helpers import build_fixture
from outcomes import check, config, runner
from outcomes.runner import query_files, read_query

ROOT = Path(__file__).resolve().parent.parent
MARCH = (dt.date(2024, 3, 1), dt.date(2024, 3, 31))


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    return build_fixture(tmp_path_factory.mktemp("catalog"), episodes=[
        {"episode_id": "E1", "client_id": "C1", "level_of_care": "2.1", "admit_date": "2024-03-01"},
        {"episode_id": "E2", "client_id": "C2", "level_of_care": "2.1", "admit_date": "2024-03-31"},
        {"episode_id": "E3", "client_id": "C3", "level_of_care": "3.5", "admit_date": "2024-02-10"},
    ])


@pytest.fixture
def queries_copy(tmp_path, monkeypatch):
    """A copy of queries/ that the app reads instead of the repository's: the catalog lists
    config.QUERIES and ui.run finds a query through runner.get_query."""
    from outcomes import ui

    copy = tmp_path / "queries"
    shutil.copytree(config.QUERIES, copy)
    monkeypatch.setattr(config, "QUERIES", copy)
    monkeypatch.setattr(ui, "get_query", lambda name: runner.get_query(name, copy))
    return copy


def open_page(db, monkeypatch, page="pages/catalog.py", **state):
    at = helpers.open_page(db, monkeypatch, page, MARCH, **state)
    assert not at.exception, [e.value for e in at.exception]
    return at

def run_query(at, name: str):
    at.button(key=f"catalog_run_{name}").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def texts(at) -> str:
    return "\n".join(str(e.value) for kind in ("markdown", "caption", "info", "subheader")
                     for e in getattr(at, kind))


def readable_queries(root: Path) -> dict[str, str]:
    found = {}
    for path in query_files(root):
        try:
            query = read_query(path)
        except runner.QueryError:
            continue
        found[query.name] = query.group
    return found


# --------------------------------------------------------------------------- the page


def test_every_query_is_listed_under_its_folder(db, monkeypatch):
    at = open_page(db, monkeypatch)
    labels = [e.label for e in at.expander]
    expected = readable_queries(config.QUERIES)
    assert sorted(label.split("**")[1] for label in labels) == sorted(expected)
    folders = [s.value.split("/")[0] for s in at.subheader]
    assert set(folders) == set(expected.values())
    assert folders[0] == "metrics"                      # the metrics first, the model last
    assert folders[-1] == "model"
    # closed expanders draw nothing: no SQL and no forms until one is opened
    assert len(at.code) == 0 and len(at.button) == 0


def test_an_open_query_shows_its_definition_use_sql_and_a_prefilled_form(db, monkeypatch):
    at = open_page(db, monkeypatch, catalog_admissions=True)
    shown = texts(at)
    assert read_query(config.QUERIES / "metrics" / "admissions.sql").description in shown
    assert "`$start_date` date" in shown and "`$focus` varchar[]" in shown
    assert "`admissions`" in shown                       # its one column
    assert "- Home page" in shown and "- the kpis command" in shown
    assert any(c.language == "sql" and c.value.startswith("-- name: admissions") for c in at.code)
    # the form: dates from the sidebar (March 2024), focus 2.1, all programs and sites
    assert [d.value for d in at.date_input if d.label.startswith("$")] == [MARCH[0], MARCH[1]]
    assert at.multiselect[0].value == ["2.1"]
    assert [s.value for s in at.selectbox if s.label in ("$program", "$site")] == ["All programs", "All sites"]


def test_running_a_query_from_its_form_and_changing_a_parameter(db, monkeypatch):
    at = run_query(open_page(db, monkeypatch, catalog_admissions=True), "admissions")
    assert at.dataframe[0].value["admissions"].tolist() == [2]      # E1 and E2
    assert any(b.label == "Download CSV" for b in at.get("download_button"))
    assert any("**1 row** · ran with $start_date = 2024-03-01" in c.value for c in at.caption)
    # from 2024-03-02 only E2 (03-31) is admitted: the first day of the period counts
    next(d for d in at.date_input if d.label == "$start_date").set_value(dt.date(2024, 3, 2))
    at = run_query(at, "admissions")
    assert at.dataframe[0].value["admissions"].tolist() == [1]


def test_a_model_table_is_previewed_and_a_macro_explained(db, monkeypatch):
    at = open_page(db, monkeypatch, catalog_episode_windows=True, catalog_focus_episodes=True)
    shown = texts(at)
    assert "A table built into the database by `python -m outcomes build`" in shown
    assert "select * from focus_episodes(focus, program_name, site_name)" in shown
    assert "`$as_of` date (set by the build)" in shown
    at.button(key="catalog_preview_episode_windows_button").click().run()
    assert not at.exception
    preview = at.dataframe[0].value
    assert sorted(preview["episode_id"]) == ["E1", "E2", "E3"]
    assert any("The first 3 rows of `episode_windows` as built." in c.value for c in at.caption)


def test_the_search_box_narrows_the_list(db, monkeypatch):
    at = open_page(db, monkeypatch, catalog_search="step-up")
    names = {e.label.split("**")[1] for e in at.expander}
    assert "step_up_rate" in names and "admissions" not in names
    at = open_page(db, monkeypatch, catalog_search="no such words anywhere")
    assert len(at.expander) == 0
    assert any("No query matches" in i.value for i in at.info)


# --------------------------------------------------------------------------- live reload


def test_an_edited_sql_file_shows_its_new_result_on_the_next_rerun(db, monkeypatch, queries_copy):
    at = run_query(open_page(db, monkeypatch, catalog_admissions=True), "admissions")
    assert at.dataframe[0].value["admissions"].tolist() == [2]
    path = queries_copy / "metrics" / "admissions.sql"
    text = path.read_text(encoding="utf-8")
    assert "select count(*) as admissions from admitted" in text
    path.write_text(text.replace("select count(*) as admissions from admitted",
                                 "select count(*) + 100 as admissions from admitted"), encoding="utf-8")
    at.run()        # a rerun, no restart: the cache is keyed on the SQL text
    assert not at.exception
    assert at.dataframe[0].value["admissions"].tolist() == [102]
    # and the catalog shows the file as it is now
    assert any("count(*) + 100" in c.value for c in at.code)


# --------------------------------------------------------------------------- broken queries


@pytest.mark.parametrize("breakage, words", [
    (("select count(*) as admissions from admitted", "select count(*) as admissions fromm admitted"),
     "Parser Error"),
    (("select count(*) as admissions from admitted", "select count(no_such_column) as admissions from admitted"),
     "no_such_column"),
])
def test_a_broken_query_shows_its_error_in_its_panel_only(db, monkeypatch, queries_copy, breakage, words):
    path = queries_copy / "metrics" / "admissions.sql"
    path.write_text(path.read_text(encoding="utf-8").replace(*breakage), encoding="utf-8")
    at = run_query(open_page(db, monkeypatch, catalog_admissions=True, catalog_active_census=True),
                   "admissions")
    failed = [e.value for e in at.error]
    assert len(failed) == 1
    assert failed[0].startswith("**The query `admissions` failed**") and words in failed[0]
    # the rest of the page goes on: the other open query still runs
    at = run_query(at, "active_census")
    assert at.dataframe[0].value["active_census_end"].tolist() == [2]   # E1, E2 open at 03-31
    assert len(at.expander) == len(readable_queries(queries_copy))


def test_a_broken_query_on_the_data_page_leaves_the_other_panels_drawn(db, monkeypatch, queries_copy):
    path = queries_copy / "quality" / "load_summary.sql"
    path.write_text(path.read_text(encoding="utf-8").replace("f.rows_read,", "f.rows_missing,"),
                    encoding="utf-8")
    at = open_page(db, monkeypatch, page="pages/data.py")
    failed = [e.value for e in at.error]
    assert len(failed) == 1 and "`load_summary` failed" in failed[0] and "rows_missing" in failed[0]
    assert [m.label for m in at.metric][:1] == ["Data as of"]      # the panel above it
    assert "Rejected rows" in [s.value for s in at.subheader]      # the panels below it


def test_a_file_whose_header_cannot_be_read_is_named_and_the_rest_listed(db, monkeypatch, queries_copy):
    (queries_copy / "metrics" / "half_written.sql").write_text("-- name: half_written\nselect 1\n",
                                                               encoding="utf-8")
    at = open_page(db, monkeypatch)
    assert any("`half_written.sql` cannot be read: header lacks title, description, params, columns"
               in e.value for e in at.error)
    assert len(at.expander) == len(readable_queries(queries_copy))


# --------------------------------------------------------------------------- who uses what


def test_query_usage_reads_the_pages_and_the_kpis_command(tmp_path):
    (tmp_path / "pages").mkdir()
    (tmp_path / "pages" / "retention.py").write_text(
        'import ui\ncurve = ui.run("retention_curve", filters)\nfor name in ("a_query",):\n    pass\n')
    (tmp_path / "pages" / "home.py").write_text("values = ui.kpis(filters)\n")
    (tmp_path / "pages" / "notes.py").write_text('x = "not_a_query"\n')
    usage = check.query_usage({"retention_curve", "a_query", "admissions", "unused"}, tmp_path)
    assert usage["retention_curve"] == ["Retention page"]
    assert usage["a_query"] == ["Retention page"]                  # any string naming it
    assert usage["admissions"] == ["Home page", "the kpis command"]  # ui.kpis runs KPI_QUERIES
    assert usage["unused"] == []


def test_page_parameters_are_read_from_the_pages_source(tmp_path):
    (tmp_path / "pages").mkdir()
    (tmp_path / "pages" / "workshops.py").write_text(
        "from outcomes import definitions as D\n"
        "STEP = {'step_up_days': D.STEP_UP_DAYS}\n"
        "WEEKS = 20\n"
        "a = ui.run('workshop_topics', filters, topics=list(D.WORKSHOP_TOPICS), guest_limit=3)\n"
        "b = ui.run('relapse_then_step_up', filters, **STEP)\n"
        "c = ui.run('cohort_retention', filters, weeks=WEEKS)\n"
        "d = ui.run('instrument_trajectory', filters, instrument=choice)\n"
    )
    from outcomes import definitions

    found = check.page_parameters(tmp_path)
    assert found["workshop_topics"] == {"topics": list(definitions.WORKSHOP_TOPICS), "guest_limit": 3}
    assert found["relapse_then_step_up"] == {"step_up_days": 14}
    assert found["cohort_retention"] == {"weeks": 20}
    assert "instrument_trajectory" not in found      # a value chosen at run time is unknown


def test_readers_find_model_names_outside_comments_and_strings(tmp_path):
    model = tmp_path / "model"
    model.mkdir()
    (model / "10_stays.sql").write_text(
        "-- name: stays\n-- title: t\n-- description: d\n-- params:\n-- columns: a\n"
        "-- materialize: table\nselect 1 as a\n")
    (tmp_path / "uses.sql").write_text(
        "-- name: uses\n-- title: the client's stays\n-- description: d\n-- params:\n"
        "-- columns: a\nselect count(*) as a from stays  -- the client's stays\n")
    (tmp_path / "mentions.sql").write_text(
        "-- name: mentions\n-- title: t\n-- description: about stays\n-- params:\n"
        "-- columns: a\nselect 'stays' as a  -- stays\n")
    queries = {q.name: q for q in (read_query(p) for p in sorted(tmp_path.rglob("*.sql")))}
    assert check.readers(queries) == {"stays": ["uses"]}


# --------------------------------------------------------------------------- a real browser


@pytest.mark.browser
def test_browser_open_run_and_preview_with_a_screenshot(demo_db, tmp_path):
    """In Chromium on the demo data: open workshop_cadence (its form prefilled with the four
    curriculum topics the Workshops page passes), run it, and preview the stays table; no
    exception box; a screenshot under artifacts/screenshots/catalog-run.png."""
    from playwright.sync_api import sync_playwright

    from outcomes import browser, definitions

    if not Path(browser.CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (scripts/ensure-chromium installs it)")
    with browser.serve(demo_db, log=tmp_path / "streamlit.log") as url, sync_playwright() as playwright:
        chromium = browser.launch(playwright)
        page = chromium.new_context(viewport={"width": 1280, "height": 900}).new_page()
        page.goto(url + "/")
        browser.wait_drawn(page)
        page.goto(url + "/catalog")
        browser.wait_drawn(page)
        for locator in (page.get_by_text("workshop_cadence", exact=True).first,
                        page.locator(".st-key-catalog_run_workshop_cadence button"),
                        page.get_by_text("stays", exact=True).first,
                        page.locator(".st-key-catalog_preview_stays_button button")):
            locator.click()
            page.wait_for_timeout(300)
            browser.wait_drawn(page)
            assert browser.exceptions(page) == []
        main = page.locator('[data-testid="stMain"]').inner_text()
        assert all(topic in main for topic in definitions.WORKSHOP_TOPICS)
        assert " rows · ran with $start_date = " in main
        assert "The first 100 rows of stays as built (there are more)." in main
        assert page.locator('[data-testid="stDataFrame"]').count() == 2
        browser.screenshot(page, ROOT / "artifacts" / "screenshots" / "catalog-run.png", width=1280)
        chromium.close()


def test_get_query_follows_a_moved_renamed_or_edited_file(tmp_path):
    # get_query remembers where a name was found; it must still see an edit at once, find the
    # file again after it moves, follow a name moved to another file, and say when it is gone.
    root = tmp_path / "queries"
    (root / "metrics").mkdir(parents=True)
    header = "-- name: {name}\n-- title: t\n-- description: d\n-- params:\n-- columns: x\n"
    first = root / "metrics" / "answer.sql"
    first.write_text(header.format(name="answer") + "select 1 as x\n")
    assert runner.get_query("answer", root).sql.endswith("select 1 as x\n")
    first.write_text(header.format(name="answer") + "select 2 as x\n")          # edited
    assert runner.get_query("answer", root).sql.endswith("select 2 as x\n")
    (root / "quality").mkdir()
    moved = first.rename(root / "quality" / "answer.sql")                         # moved
    assert runner.get_query("answer", root).path == moved
    moved.write_text(header.format(name="other") + "select 3 as x\n")            # renamed inside
    (root / "metrics" / "elsewhere.sql").write_text(header.format(name="answer") + "select 4 as x\n")
    assert runner.get_query("answer", root).sql.endswith("select 4 as x\n")
    (root / "metrics" / "elsewhere.sql").unlink()                                  # gone
    with pytest.raises(runner.QueryError, match="no query named 'answer'"):
        runner.get_query("answer", root)
