"""The 95% interval of a mean: Student's t quantile in SQL (t975, ci95_lower/upper in
queries/model/79_ci95.sql) and its Python twin (outcomes.definitions.t975)."""

from __future__ import annotations

import duckdb
import pytest

from outcomes import config, definitions

CI95_SQL = config.ROOT / "queries" / "model" / "79_ci95.sql"

# Student's t, 97.5% quantile, from printed tables (3 decimals).
TABLE = {1: 12.706, 2: 4.303, 5: 2.571, 10: 2.228, 20: 2.086, 30: 2.042,
         40: 2.021, 60: 2.000, 120: 1.980, 100_000: 1.960}


@pytest.fixture(scope="module")
def con():
    con = duckdb.connect()
    con.execute(CI95_SQL.read_text())
    return con


@pytest.mark.parametrize(("df", "expected"), TABLE.items())
def test_t975_matches_printed_tables(con, df, expected):
    assert con.execute("select t975($df)", {"df": df}).fetchone()[0] == pytest.approx(expected, abs=6e-4)
    assert definitions.t975(df) == pytest.approx(expected, abs=6e-4)


def test_t975_sql_and_python_agree_and_no_degrees_of_freedom_is_null(con):
    sql = dict(con.execute("select df, t975(df) from range(1, 301) as r(df)").fetchall())
    assert all(sql[df] == pytest.approx(definitions.t975(df), abs=1e-9) for df in range(1, 301))
    # the quantile falls as the degrees of freedom grow, also across the table's end at 30
    assert all(sql[df] > sql[df + 1] for df in range(1, 300))
    assert con.execute("select t975(0)").fetchone()[0] is None and definitions.t975(0) is None


def test_ci95_of_a_small_sample_by_hand(con):
    # x = 1, 2, 3: mean 2, sample sd 1, standard error 1 / sqrt(3) = 0.57735; t with 2 degrees
    # of freedom 4.3027: half-width 2.48417, interval -0.48417 .. 4.48417 (1.96 would say 0.868).
    lower, upper = con.execute(
        "select ci95_lower(x), ci95_upper(x) from (values (1.0), (2.0), (3.0), (null)) as t(x)").fetchone()
    assert (lower, upper) == (pytest.approx(-0.48417, abs=1e-5), pytest.approx(4.48417, abs=1e-5))
    # one value: no interval; no value: none either
    assert con.execute("select ci95_lower(x), ci95_upper(x) from (values (5.0)) as t(x)").fetchone() == (None, None)
    assert con.execute("select ci95_lower(x) from (values (null::double)) as t(x)").fetchone() == (None,)
