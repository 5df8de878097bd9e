"""Query tests as data: ``tests/queries/<case>.toml``, in the spirit of dbt's unit tests.

An analyst writes, in one small TOML file, the query to test, its parameters, the rows given
per export table (only the columns that matter) and the rows the query must return (only the
columns that matter). tests/test_query_cases.py finds every file, builds a database from the
given rows (tests/helpers.build_fixture), runs the query and compares::

    # Why the expected rows are right: ... (worked out by hand from the definition)
    query = "admissions"
    as_of = 2024-12-31              # optional: see the data as known that day

    [params]                        # optional: the sidebar's defaults otherwise
    start_date = 2024-03-01
    end_date = 2024-03-31
    focus = ["2.1"]                 # default ["2.1"]; program and site default to all

    [given]
    episodes = [
        { episode_id = "E1", client_id = "C1", level_of_care = "2.1", admit_date = 2024-03-01 },
    ]

    [[expect]]
    admissions = 1

Rules of comparison: the query must return exactly as many rows as ``expect`` lists, in that
order (``ordered = false`` at the top compares them in any order); each expected column must
be there; numbers match to 1e-9; dates match as dates; the string ``"null"`` stands for a
null (TOML has none). ``expect = []`` expects no rows. A model table or view can be tested by
name too (``query = "stays"``). No Streamlit and no pytest here, so the rules are tested
directly.
"""

from __future__ import annotations

import datetime as dt
import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from . import contract
from .definitions import DEFAULT_RETENTION_DAYS
from .filters import DEFAULT_FOCUS

NULL = "null"
KEYS = {"query", "description", "as_of", "today", "ordered", "params", "given", "expect"}


class CaseError(Exception):
    """A case file that cannot be used as written; the message names the file and the key."""


@dataclass(frozen=True)
class QueryCase:
    path: Path
    query: str
    params: dict
    given: dict[str, list[dict]]
    expect: list[dict]
    as_of: dt.date | None = None
    today: dt.date | None = None  # the build's date ("not in the future" rule); default today
    ordered: bool = True
    description: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.path.stem


def case_files(folder: Path) -> list[Path]:
    return sorted(Path(folder).glob("*.toml"))


def _date(path: Path, key: str, value) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise CaseError(f"{path.name}: {key} must be a date like 2024-03-31, not {value!r}")


def load_case(path: Path) -> QueryCase:
    """Read and check one case file (tables and columns must be the contract's)."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise CaseError(f"{path.name}: not valid TOML ({exc})") from None
    unknown = sorted(set(data) - KEYS)
    if unknown:
        raise CaseError(f"{path.name}: unknown key(s) {', '.join(unknown)}; a case has "
                        + ", ".join(sorted(KEYS)))
    if not isinstance(data.get("query"), str) or not data["query"]:
        raise CaseError(f"{path.name}: says which query it tests: query = \"name\"")
    given = data.get("given", {})
    if not isinstance(given, dict):
        raise CaseError(f"{path.name}: [given] holds one list of rows per table")
    for table, rows in given.items():
        spec = contract.TABLES_BY_NAME.get(table)
        if spec is None:
            raise CaseError(f"{path.name}: given.{table} is not an export table (tables: "
                            + ", ".join(contract.TABLES_BY_NAME) + ")")
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise CaseError(f"{path.name}: given.{table} is a list of rows ({{ column = value }})")
        for number, row in enumerate(rows, start=1):
            bad = sorted(set(row) - set(spec.names))
            if bad:
                raise CaseError(f"{path.name}: given.{table} row {number} has column(s) "
                                f"{', '.join(bad)} that {table} does not (columns: "
                                + ", ".join(spec.names) + ")")
    if "expect" not in data:
        raise CaseError(f"{path.name}: says what the query returns: [[expect]] rows, or "
                        "expect = [] for none")
    expect = data["expect"]
    if not isinstance(expect, list) or not all(isinstance(r, dict) for r in expect):
        raise CaseError(f"{path.name}: expect is a list of rows ([[expect]] tables)")
    params = data.get("params", {})
    if not isinstance(params, dict):
        raise CaseError(f"{path.name}: [params] holds name = value pairs")
    return QueryCase(
        path=path, query=data["query"], params=params, given=given, expect=expect,
        as_of=_date(path, "as_of", data.get("as_of")), today=_date(path, "today", data.get("today")),
        ordered=bool(data.get("ordered", True)), description=str(data.get("description", "")),
    )


def parameter_values(case: QueryCase) -> dict:
    """The case's parameters over the sidebar's defaults (focus 2.1, all programs and sites,
    retention days 30/60/90); TOML dates are dates already."""
    values = {"focus": list(DEFAULT_FOCUS), "program": None, "site": None,
              "days": list(DEFAULT_RETENTION_DAYS)}
    values.update(case.params)
    return values


def run_case(case: QueryCase, db: Path) -> pd.DataFrame:
    """Run the case's query on the fixture database (its model seen on the case's as-of date)."""
    from .db import open_as_of
    from .runner import get_query, run

    query = get_query(case.query)
    con = open_as_of(db, case.as_of)
    try:
        if query.materialize == "macro":
            raise CaseError(f"{case.path.name}: {case.query} is a macro; test a query that uses it")
        if query.materialize in ("table", "view"):
            return con.execute(f'select * from "{query.name}"').df()
        return run(con, query, parameter_values(case))
    finally:
        con.close()


def _is_null(value) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def same(expected, actual) -> bool:
    """Whether an actual value is the expected one (see the module's rules)."""
    if isinstance(expected, str) and expected == NULL:
        return _is_null(actual)
    if _is_null(actual):
        return False
    if isinstance(expected, bool):
        return isinstance(actual, (bool, np.bool_)) and bool(actual) == expected
    if isinstance(expected, (int, float)):
        try:
            return math.isclose(float(actual), float(expected), rel_tol=1e-9, abs_tol=1e-12)
        except (TypeError, ValueError):
            return False
    if isinstance(expected, dt.date):
        try:
            return pd.Timestamp(actual).date() == (expected.date() if isinstance(expected, dt.datetime) else expected)
        except (TypeError, ValueError):
            return False
    if isinstance(expected, list):
        try:
            values = list(actual)
        except TypeError:
            return False
        return len(values) == len(expected) and all(same(e, a) for e, a in zip(expected, values))
    return str(actual) == str(expected)


def _row_problems(expected: dict, actual: dict) -> list[str]:
    return [f"{column}: expected {expected[column]!r}, got {_show(actual[column])}"
            for column in expected if not same(expected[column], actual[column])]


def compare(frame: pd.DataFrame, expect: list[dict], ordered: bool = True) -> list[str]:
    """What differs between the query's rows and the expected ones (empty: they agree)."""
    columns = {c for row in expect for c in row}
    missing = sorted(columns - set(frame.columns))
    if missing:
        return [f"the query returns no column {', '.join(missing)} (it returns "
                + ", ".join(frame.columns) + ")"]
    if len(frame) != len(expect):
        return [f"expected {len(expect)} row{'s' if len(expect) != 1 else ''}, "
                f"got {len(frame)}"]
    rows = frame.to_dict("records")
    problems: list[str] = []
    if ordered:
        for number, (want, got) in enumerate(zip(expect, rows), start=1):
            problems += [f"row {number}: {p}" for p in _row_problems(want, got)]
        return problems
    unused = list(range(len(rows)))
    for number, want in enumerate(expect, start=1):
        match = next((i for i in unused if not _row_problems(want, rows[i])), None)
        if match is None:
            problems.append(f"expected row {number} {want} is not among the rows")
        else:
            unused.remove(match)
    return problems


def _show(value) -> str:
    return NULL if _is_null(value) else repr(value.item() if hasattr(value, "item") else value)


def explain(case: QueryCase, frame: pd.DataFrame, problems: list[str]) -> str:
    """A failure message an analyst can act on: what differs, and the rows the query gave."""
    shown = frame.head(20).to_string(index=False) if not frame.empty else "(no rows)"
    return (f"{case.path.name}: query {case.query} with {parameter_values(case)}\n  "
            + "\n  ".join(problems) + f"\nThe query returned:\n{shown}")
