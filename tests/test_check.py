"""`python -m outcomes check`: headers, one run on a database, lint, the report and its exit
status. Most tests write a small queries folder by hand and run the check against the demo
database (`--db`); one runs it on a temp copy of the repository's queries/.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from outcomes import check, config
from outcomes.cli import main

HEADER = "-- name: {name}\n-- title: {title}\n-- description: {description}\n-- params: {params}\n-- columns: {columns}\n"

# Two queries in the house style; on the demo database each returns one row.
ADMISSIONS = HEADER.format(
    name="admissions_count", title="Admissions in the period", description="Focus episodes admitted.",
    params="start_date date, end_date date, focus varchar[], program varchar, site varchar",
    columns="admissions") + """
with

period as (
    select * from reporting_period($start_date, $end_date)
),

admitted as (
    select e.episode_id
    from focus_episodes($focus, $program, $site) as e
    inner join period as p on e.admit_date between p.period_start and p.period_end
),

final as (
    select count(*) as admissions from admitted
)

select * from final
"""
OPEN_EPISODES = HEADER.format(
    name="open_episodes", title="Open episodes", description="Episodes still open (the client's).",
    params="", columns="open_episodes, clients") + """
select
    count(*) as open_episodes,
    count(distinct client_id) as clients
from episode_windows
where is_open
"""


def write(folder: Path, relative: str, text: str) -> Path:
    path = folder / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def folder(tmp_path):
    root = tmp_path / "queries"
    write(root, "metrics/admissions_count.sql", ADMISSIONS)
    write(root, "metrics/open_episodes.sql", OPEN_EPISODES)
    return root


def run_check(capsys, *args) -> tuple[int, str]:
    status = main(["check", *map(str, args)])
    out = capsys.readouterr().out
    return status, out


def status_of(out: str, label: str) -> str:
    """What the report says on one file's line, after its label."""
    line = next(line for line in out.splitlines() if line.startswith(label + " "))
    return line[len(label):].strip()


def problems_of(out: str, label: str) -> list[str]:
    """The problem lines printed under one file's line."""
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(label))
    found = []
    for line in lines[start + 1:]:
        if not line.startswith("    - "):
            break
        found.append(line[6:])
    return found


def test_a_clean_folder_passes_with_exit_status_0(folder, demo_db, capsys):
    status, out = run_check(capsys, "--queries", folder, "--db", demo_db)
    assert status == 0, out
    assert out.splitlines()[0] == f"Checking 2 query files under {folder}"
    assert "queries/metrics/admissions_count.sql  ok  (1 row in" in out
    assert "queries/metrics/open_episodes.sql     ok  (1 row in" in out
    assert "lint:       sqlfluff" in out
    assert out.rstrip().endswith("All 2 query files pass.")


def test_a_declared_parameter_the_sql_does_not_use_fails_on_a_copy_of_queries(tmp_path, demo_db, capsys):
    """The issue's example: a copy of the repository's queries/ in which admissions.sql also
    declares `days integer[]`, which its SQL never uses."""
    copy = tmp_path / "queries"
    shutil.copytree(config.QUERIES, copy)
    path = copy / "metrics" / "admissions.sql"
    text = path.read_text(encoding="utf-8")
    assert "site varchar\n" in text
    path.write_text(text.replace("site varchar\n", "site varchar, days integer[]\n", 1), encoding="utf-8")
    status, out = run_check(capsys, "--queries", copy, "--db", demo_db, "--no-lint")
    assert status == 1
    assert problems_of(out, "queries/metrics/admissions.sql") == [
        "header: declares parameter $days but the SQL does not use it (DuckDB refuses to bind "
        "it, so the query fails wherever it runs)"]


@pytest.mark.parametrize("relative, text, expected", [
    ("metrics/uses_more.sql",
     HEADER.format(name="uses_more", title="t", description="d", params="start_date date", columns="n")
     + "select count(*) as n from episodes where admit_date between $start_date and $end_date\n",
     ["header: the SQL uses $end_date but params does not declare it"]),
    ("metrics/wrong_columns.sql",
     HEADER.format(name="wrong_columns", title="t", description="d", params="", columns="episodes, clients")
     + "select count(*) as episodes, count(distinct client_id) as people from episodes\n",
     ["columns: declares episodes, clients; the query returns episodes, people "
      "(not returned: clients; not declared: people)"]),
    ("metrics/swapped_columns.sql",
     HEADER.format(name="swapped_columns", title="t", description="d", params="", columns="b, a")
     + "select 1 as a, 2 as b\n",
     ["columns: declares b, a; the query returns a, b (same names, other order)"]),
    ("metrics/other_name.sql",
     HEADER.format(name="not_the_file_name", title="t", description="d", params="", columns="a")
     + "select 1 as a\n",
     ["header: name 'not_the_file_name' does not match the file name 'other_name.sql' "
      "(expected 'other_name')"]),
    ("metrics/no_columns.sql",
     "-- name: no_columns\n-- title: t\n-- description: d\n-- params:\nselect 1 as a\n",
     ["header: lacks columns (every query starts with -- name, title, description, params and "
      "columns lines)"]),
    ("metrics/bad_type.sql",
     HEADER.format(name="bad_type", title="t", description="d", params="start_date dat", columns="d")
     + "select $start_date as d\n",
     ["header: 'dat' (for $start_date) is not a DuckDB type"]),
    ("metrics/missing_column.sql",
     HEADER.format(name="missing_column", title="t", description="d", params="", columns="n")
     + "select count(no_such_column) as n from episodes\n",
     ['run: Binder Error: Referenced column "no_such_column" not found in FROM clause!']),
    ("metrics/syntax.sql",
     HEADER.format(name="syntax", title="t", description="d", params="", columns="n")
     + "select count(*) as n fromm episodes\n",
     ['run: Parser Error: syntax error at or near "fromm"']),
    ("metrics/materialized.sql",
     HEADER.format(name="materialized", title="t", description="d", params="", columns="a")
     + "-- materialize: table\nselect 1 as a\n",
     ["header: materialize only means something under queries/model"]),
    ("model/90_no_kind.sql",
     HEADER.format(name="no_kind", title="t", description="d", params="", columns="a")
     + "select 1 as a\n",
     ["header: model files say '-- materialize: table', 'view' or 'macro'"]),
    ("model/91_macro_with_select.sql",
     HEADER.format(name="macro_with_select", title="t", description="d", params="", columns="a")
     + "-- materialize: macro\nselect 1 as a;\n",
     ["run: a macro file holds only CREATE MACRO statements"]),
])
def test_each_kind_of_problem_is_named_under_its_file(folder, demo_db, capsys, relative, text, expected):
    write(folder, relative, text)
    status, out = run_check(capsys, "--queries", folder, "--db", demo_db, "--no-lint")
    assert status == 1
    assert problems_of(out, f"queries/{relative}") == expected
    # the good files are still checked and pass
    assert status_of(out, "queries/metrics/admissions_count.sql").startswith("ok  (1 row in")
    assert out.rstrip().endswith(f"{len(expected)} problem{'s' if len(expected) != 1 else ''}: "
                                 "1 of 3 query files need attention.")


def test_an_apostrophe_in_a_comment_does_not_hide_the_parameters(folder, demo_db, capsys):
    """DuckDB's parser finds the $names: a comment like "the client's" cannot swallow them."""
    write(folder, "metrics/apostrophe.sql", HEADER.format(
        name="apostrophe", title="The client's admissions", description="The client's episodes.",
        params="start_date date", columns="n")
        + "\n-- the client's first episode\nselect count(*) as n from episodes where admit_date >= $start_date\n")
    status, out = run_check(capsys, "--queries", folder, "--db", demo_db, "--no-lint")
    assert status == 0, out


def test_two_files_with_one_name(folder, demo_db, capsys):
    write(folder, "quality/open_episodes.sql", OPEN_EPISODES)
    status, out = run_check(capsys, "--queries", folder, "--db", demo_db, "--no-lint")
    assert status == 1
    assert problems_of(out, "queries/quality/open_episodes.sql") == [
        "header: name 'open_episodes' is also used by queries/metrics/open_episodes.sql"]


def test_lint_finds_upper_case_and_implicit_aliases(folder, demo_db, capsys):
    write(folder, "metrics/shouty.sql", HEADER.format(
        name="shouty", title="t", description="d", params="", columns="n")
        + "SELECT count(*) n\nFROM episodes e\n")
    status, out = run_check(capsys, "--queries", folder, "--db", demo_db)
    assert status == 1
    codes = [p.split(": ")[2].split()[0] for p in problems_of(out, "queries/metrics/shouty.sql")]
    assert codes == ["CP01", "AL02", "CP01", "AL01", "AL05"]
    assert problems_of(out, "queries/metrics/shouty.sql")[0] == (
        "lint: line 6, col 1: CP01 Keywords must be lower case.")
    assert status_of(out, "queries/metrics/admissions_count.sql").startswith("ok")  # house style


def test_lint_reads_parameters_of_any_type(folder, demo_db, capsys):
    """A parameter the .sqlfluff file does not list still lints (a literal of its type stands
    in for it), so sqlfluff does not stop at the `$`."""
    write(folder, "metrics/weeks.sql", HEADER.format(
        name="weeks", title="t", description="d", params="max_week integer, topics varchar[]",
        columns="n")
        + "select count(*) as n\nfrom episode_windows\n"
          "where los_days <= 7 * $max_week and not list_contains($topics, program)\n")
    status, out = run_check(capsys, "--queries", folder, "--db", demo_db)
    assert problems_of(out, "queries/metrics/weeks.sql") == []
    assert status == 0, out


def test_the_default_database_is_a_demo_built_from_the_folders_model(tmp_path, capsys):
    copy = tmp_path / "queries"
    shutil.copytree(config.QUERIES / "model", copy / "model")
    write(copy, "metrics/open_episodes.sql", OPEN_EPISODES)
    status, out = run_check(capsys, "--queries", copy, "--no-lint")
    assert "database:   seeded demo (500 made-up clients, seed 42) built for the check, as of" in out
    assert "queries/metrics/open_episodes.sql" in out and "(1 row in" in out
    assert problems_of(out, "queries/metrics/open_episodes.sql") == []


def test_a_missing_database_or_folder_is_exit_status_2(folder, tmp_path, capsys):
    assert main(["check", "--queries", str(folder), "--db", str(tmp_path / "none.duckdb")]) == 2
    assert "no database there" in capsys.readouterr().err
    assert main(["check", "--queries", str(tmp_path / "nowhere")]) == 2


def test_representative_values_are_the_default_sidebar():
    import datetime as dt

    values = check.representative_values(dt.date(2026, 10, 31))
    # the last 12 complete months before the as-of date (October 2026 is complete on the 31st)
    assert (values["start_date"], values["end_date"]) == (dt.date(2025, 11, 1), dt.date(2026, 10, 31))
    assert values["focus"] == ["2.1"] and values["program"] is None and values["days"] == [30, 60, 90]
    assert values["instrument"] == "PHQ-9"
