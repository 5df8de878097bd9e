"""How the model files are built: side by side where they do not depend on each other, in
order where they do, and with the first broken file named when one fails."""

from __future__ import annotations

import datetime as dt
import textwrap

import duckdb
import pytest

from outcomes.runner import QueryError, build_model, model_dependencies, model_queries


def model_file(folder, name, materialize, sql):
    (folder / f"{name}.sql").write_text(textwrap.dedent(f"""\
        -- name: {name.split('_', 1)[1]}
        -- title: {name}
        -- description: for the runner tests
        -- params:
        -- columns: x
        -- materialize: {materialize}
        """) + textwrap.dedent(sql))


@pytest.fixture
def root(tmp_path):
    # a: a table. v: a view of a. m: a macro file defining two macros (m_rows reads v).
    # t: a table reading only the macro m_rows, so it needs m, v and a. u: independent of all.
    # w: a table reading t and the second macro of m's file.
    model = tmp_path / "queries" / "model"
    model.mkdir(parents=True)
    model_file(model, "10_a", "table", "select range as x from range(5)\n")
    model_file(model, "20_v", "view", "select x from a where x > 0\n")
    model_file(model, "30_m", "macro", """\
        create or replace macro m_rows() as table select x from v;
        create or replace macro m_double(y) as y * 2;
        """)
    model_file(model, "40_t", "table", "select x from m_rows()\n")
    model_file(model, "50_u", "table", "select 7 as x\n")
    model_file(model, "60_w", "table", "select m_double(x) as x from t\n")
    return tmp_path / "queries"


def test_dependencies_follow_views_and_macros(root):
    names = [q.name for q in model_queries(root)]
    needs = {names[i]: sorted(names[j] for j in n) for i, n in enumerate(model_dependencies(model_queries(root)))}
    assert needs == {
        "a": [],
        "v": ["a"],
        "m": ["a", "v"],          # m_rows reads v, which reads a
        "t": ["a", "m", "v"],     # named only m_rows(): found through the macro file's names
        "u": [],
        "w": ["a", "m", "t", "v"],  # t, and m_double from m's file
    }


def test_model_is_built_whatever_order_the_workers_take(root):
    con = duckdb.connect()
    build_model(con, dt.date(2024, 6, 30), root)
    # t has a's rows above 0 (1..4); w doubles them; u stands alone
    assert con.execute("select list(x order by x) from t").fetchone()[0] == [1, 2, 3, 4]
    assert con.execute("select list(x order by x) from w").fetchone()[0] == [2, 4, 6, 8]
    assert con.execute("select x from u").fetchone()[0] == 7


def test_first_broken_file_is_named(root):
    # v reads a column a does not have: v fails, and so do m, t and w, which need it; the
    # error names v's file, the first that broke, not one of those that waited for it
    model_file(root / "model", "20_v", "view", "select no_such_column from a\n")
    con = duckdb.connect()
    with pytest.raises(QueryError, match=r"20_v\.sql"):
        build_model(con, dt.date(2024, 6, 30), root)
    # and the files that need v never started
    tables = {r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()}
    assert not tables & {"t", "w"}
