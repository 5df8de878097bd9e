"""The SQL workbench's safety rules, as plain functions (no Streamlit): what an analyst's SQL
may be, how it runs, and what comes back.

- **One SELECT.** :func:`validate` asks DuckDB's own parser (``duckdb.extract_statements``)
  for the statements in the text: exactly one, of type SELECT (``WITH ... SELECT``,
  ``FROM x``, ``DESCRIBE``, ``SUMMARIZE`` and ``SHOW`` parse as SELECT too). INSERT, UPDATE,
  DELETE, CREATE, COPY, ATTACH, DETACH, PRAGMA, SET, USE, INSTALL, LOAD, EXPORT, CALL... are
  refused with a sentence saying why. Table functions that read files (``read_csv``,
  ``read_parquet``, ``glob``...) are refused too: DuckDB's parser gives the statement as JSON
  (``json_serialize_sql``) and every function it calls is looked at.
- **Only the sidebar's parameters.** ``$start_date``, ``$end_date``, ``$focus``, ``$program``
  and ``$site``; only those the statement uses are bound (DuckDB's parser lists them).
- **Read-only, files off, settings locked.** :func:`connect` opens an in-memory DuckDB of
  its own, attaches the dashboard's file ``READ_ONLY`` as the default catalog, then sets
  ``enable_external_access = false`` and ``lock_configuration = true`` before any user SQL
  runs. It is deliberately not ``duckdb.connect(path, read_only=True)``: DuckDB's Python
  client caches one database instance per file, so such a connection shares the dashboard's
  instance, and a SET on it (external access, the lock) would change the dashboard's own
  connection too (tests/test_workbench.py shows both). The engine's guards hold even if the
  parser check above were to miss something: the file cannot be written, no other file can be
  read or written, no extension loaded, and no setting changed back.
- **Capped and timed.** At most ``row_cap`` rows are fetched (one more is asked for, to know
  that there were more); a :class:`Watchdog` thread calls ``connection.interrupt()`` when the
  time limit is up.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

ROW_CAP = 10_000
TIME_LIMIT_SECONDS = 10.0
TIME_LIMIT_ENV = "OUTCOMES_WORKBENCH_SECONDS"  # e.g. 30 for a slower machine or a bigger export
CATALOG = "outcomes"  # the name the dashboard's file is attached under (and the default)

# The sidebar's parameters, as the workbench offers them (Filters.params() has these and more).
PARAMETERS = ("start_date", "end_date", "focus", "program", "site")

# Why a statement type is refused, in words an analyst reads next to the SQL.
REFUSED_TYPES = {
    "INSERT": "it would add rows",
    "UPDATE": "it would change rows",
    "DELETE": "it would delete rows",
    "CREATE": "it would create a table, view or macro",
    "DROP": "it would drop a table or view",
    "ALTER": "it would change a table",
    "COPY": "it would read or write a file",
    "COPY_DATABASE": "it would copy a database",
    "EXPORT": "it would write files",
    "ATTACH": "it would open another database file",
    "DETACH": "it would close the dashboard's database",
    "PRAGMA": "PRAGMA reads or changes settings",
    "SET": "it would change a setting (or the current database)",
    "VARIABLE_SET": "it would set a variable",
    "LOAD": "it would install or load an extension",
    "CALL": "CALL runs a procedure",
    "EXPLAIN": "EXPLAIN is not offered here (run the SELECT itself)",
    "TRANSACTION": "there is nothing to commit: the workbench only reads",
    "PREPARE": "prepared statements are not offered here",
    "EXECUTE": "prepared statements are not offered here",
    "ANALYZE": "it would update statistics",
    "VACUUM": "it would rewrite the database",
    "MULTI": "it runs several statements (PIVOT outside a SELECT, for instance)",
}

# Functions that read files or other databases. The engine refuses them anyway (external
# access is off); naming them first gives a clearer message than DuckDB's permission error.
FILE_FUNCTIONS = frozenset({
    "read_csv", "read_csv_auto", "sniff_csv", "read_parquet", "parquet_scan", "parquet_metadata",
    "parquet_schema", "parquet_file_metadata", "parquet_kv_metadata", "parquet_bloom_probe",
    "read_json", "read_json_auto", "read_json_objects", "read_json_objects_auto", "read_ndjson",
    "read_ndjson_auto", "read_ndjson_objects", "read_text", "read_blob", "read_xlsx", "glob",
    "sqlite_scan", "sqlite_attach", "postgres_scan", "postgres_attach", "mysql_scan",
    "iceberg_scan", "iceberg_metadata", "iceberg_snapshots", "delta_scan", "st_read",
    "duckdb_secrets", "which_secret", "load_aws_credentials",
})


class Refused(Exception):
    """The SQL is not one plain SELECT over the database; the message says why."""


class QueryError(Exception):
    """DuckDB could not run the SELECT; the message is DuckDB's own."""


class TimedOut(Exception):
    """The query ran past the time limit and was stopped."""

    def __init__(self, seconds: float):
        super().__init__(
            f"The query was stopped after {format_seconds(seconds)}, the workbench's time "
            "limit. Narrow it (a shorter period, a where clause, fewer joins) or aggregate "
            "before joining.")
        self.seconds = seconds


def format_seconds(seconds: float) -> str:
    return f"{seconds:g} s"


@dataclass(frozen=True)
class Checked:
    """A statement that passed :func:`validate`: its text and the parameters it uses."""

    sql: str
    parameters: tuple[str, ...]


@dataclass
class Result:
    frame: pd.DataFrame
    capped: bool  # there were more rows than the cap; frame holds the first row_cap
    seconds: float
    parameters: dict = field(default_factory=dict)  # what was bound


def time_limit() -> float:
    """The time limit in seconds: ``$OUTCOMES_WORKBENCH_SECONDS`` or 10."""
    text = os.environ.get(TIME_LIMIT_ENV, "").strip()
    try:
        value = float(text) if text else TIME_LIMIT_SECONDS
    except ValueError:
        return TIME_LIMIT_SECONDS
    return value if value > 0 and math.isfinite(value) else TIME_LIMIT_SECONDS


# ---------------------------------------------------------------------------------------------
# What may run
# ---------------------------------------------------------------------------------------------


def validate(sql: str) -> Checked:
    """Exactly one SELECT statement, no file functions, only the sidebar's parameters.
    Raises :class:`Refused` (with a sentence) or :class:`QueryError` (DuckDB's parser error)."""
    try:
        statements = duckdb.extract_statements(sql or "")
    except duckdb.Error as exc:
        raise QueryError(duckdb_message(exc)) from None
    if not statements:
        raise Refused("There is no statement to run: write one SELECT (or WITH ... SELECT).")
    if len(statements) > 1:
        kinds = ", ".join(_type_name(s) for s in statements)
        raise Refused(f"One statement at a time: this text holds {len(statements)} statements "
                      f"({kinds}). Keep one SELECT and remove the others (a `;` ends a "
                      "statement).")
    statement = statements[0]
    kind = _type_name(statement)
    if kind != "SELECT":
        why = REFUSED_TYPES.get(kind, "it is not a query")
        raise Refused(f"Only a SELECT (or WITH ... SELECT) runs here; this is {_article(kind)} "
                      f"{kind} statement, and {why}. The workbench reads the dashboard's "
                      "database; it never changes it, reads other files or changes settings.")
    used = set(statement.named_parameters)
    positional = sorted(p for p in used if p.isdigit())
    if positional:
        raise Refused("Use the named parameters ($start_date, $end_date, $focus, $program, "
                      "$site); `?` and `$1` have nothing to bind to.")
    unknown = sorted(used - set(PARAMETERS))
    if unknown:
        raise Refused(f"Unknown parameter {', '.join('$' + p for p in unknown)}: the workbench "
                      "offers the sidebar's " + ", ".join("$" + p for p in PARAMETERS) + ".")
    readers = sorted(called_functions(sql) & FILE_FUNCTIONS)
    if readers:
        raise Refused(f"{', '.join(readers)} reads files or other databases; the workbench "
                      "reads only the dashboard's own tables and model.")
    return Checked(sql=sql, parameters=tuple(p for p in PARAMETERS if p in used))


def _type_name(statement) -> str:
    return str(statement.type).rsplit(".", 1)[-1].upper()


def _article(word: str) -> str:
    return "an" if word[:1] in "AEIOU" else "a"


def called_functions(sql: str) -> set[str]:
    """The lower-case names of every function (scalar or table) the SELECT calls, from
    DuckDB's own parse tree. Empty when DuckDB cannot serialise the statement (DESCRIBE,
    SHOW...): the engine's settings still refuse file access then."""
    con = duckdb.connect(":memory:")
    try:
        tree = con.execute("select json_serialize_sql(?)", [sql]).fetchone()[0]
    except duckdb.Error:
        return set()
    finally:
        con.close()
    names: set[str] = set()

    def walk(node) -> None:
        if isinstance(node, dict):
            name = node.get("function_name")
            if isinstance(name, str):
                names.add(name.lower())
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads(tree))
    return names


def bind(checked: Checked, values: dict) -> dict:
    """The values of the parameters the statement uses (and only those)."""
    bound = {}
    for name in checked.parameters:
        value = values.get(name)
        if isinstance(value, tuple):
            value = list(value)
        bound[name] = value
    return bound


def describe_value(value) -> str:
    """A parameter value as the page shows it: dates ISO, lists in brackets, None as null."""
    if value is None:
        return "null"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(describe_value(v) for v in value) + "]"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        return f"'{value}'"
    return str(value)


# ---------------------------------------------------------------------------------------------
# How it runs
# ---------------------------------------------------------------------------------------------


def connect(path: Path) -> duckdb.DuckDBPyConnection:
    """A connection of the workbench's own: an in-memory DuckDB with the database file attached
    read-only as the default catalog, files off and the configuration locked."""
    path = Path(path)
    if not path.exists():
        raise QueryError(f"There is no database at {path} yet; build one first.")
    con = duckdb.connect(":memory:")
    try:
        literal = "'" + str(path.resolve()).replace("'", "''") + "'"
        con.execute(f"attach {literal} as {CATALOG} (read_only)")
        con.execute(f"use {CATALOG}")
        con.execute("set python_enable_replacements = false")  # no Python variables as tables
        con.execute("set enable_external_access = false")
        con.execute("set lock_configuration = true")
    except Exception:
        con.close()
        raise
    return con


class Watchdog:
    """Calls ``con.interrupt()`` once ``seconds`` have passed, unless stopped first.
    ``fired`` says whether it did."""

    def __init__(self, con: duckdb.DuckDBPyConnection, seconds: float):
        self.con, self.seconds = con, seconds
        self.fired = False
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True

    def _fire(self) -> None:
        self.fired = True
        self.con.interrupt()

    def __enter__(self) -> "Watchdog":
        self._timer.start()
        return self

    def __exit__(self, *exc) -> None:
        self._timer.cancel()


def fetch_capped(con: duckdb.DuckDBPyConnection, sql: str, params: dict, row_cap: int
                 ) -> tuple[pd.DataFrame, bool]:
    """Run ``sql`` and fetch at most ``row_cap`` rows (streaming: the rest is never made);
    the flag says whether there were more."""
    con.execute(sql, params)
    want = row_cap + 1
    vectors = max(1, math.ceil(want / 2048))
    chunks: list[pd.DataFrame] = []
    got = 0
    while got < want:
        chunk = con.fetch_df_chunk(vectors)
        if chunk is None or len(chunk) == 0:
            break
        chunks.append(chunk)
        got += len(chunk)
    if not chunks:
        # No rows: the column names still come from the result's description.
        names = [d[0] for d in (con.description or [])]
        return pd.DataFrame(columns=names), False
    frame = pd.concat(chunks, ignore_index=True) if len(chunks) > 1 else chunks[0]
    capped = len(frame) > row_cap
    return frame.iloc[:row_cap].reset_index(drop=True), capped


def run_select(path: Path, sql: str, values: dict | None = None, *, row_cap: int = ROW_CAP,
               seconds: float | None = None) -> Result:
    """Validate, then run one SELECT on a locked-down read-only connection of its own.

    Raises :class:`Refused`, :class:`QueryError` (DuckDB's message) or :class:`TimedOut`."""
    checked = validate(sql)
    params = bind(checked, values or {})
    limit = time_limit() if seconds is None else seconds
    con = connect(path)
    started = time.perf_counter()
    try:
        with Watchdog(con, limit) as watchdog:
            try:
                frame, capped = fetch_capped(con, checked.sql, params, row_cap)
            except duckdb.Error as exc:
                if watchdog.fired or isinstance(exc, duckdb.InterruptException):
                    raise TimedOut(limit) from None
                raise QueryError(duckdb_message(exc)) from None
    finally:
        con.close()
    return Result(frame=frame, capped=capped, seconds=time.perf_counter() - started,
                  parameters=params)


def duckdb_message(exc: Exception) -> str:
    """DuckDB's message as it wrote it (with its LINE pointer), without Python's wrapping."""
    return str(exc).strip() or type(exc).__name__


def schema(path: Path) -> pd.DataFrame:
    """The tables and table macros an analyst can use: one row each with its kind and its
    columns (or parameters), from DuckDB's catalog of the attached file."""
    sql = f"""
        select table_name as name, 'table' as kind,
               string_agg(column_name, ', ' order by ordinal_position) as columns
        from information_schema.columns
        where table_catalog = '{CATALOG}'
        group by table_name
        union all
        select function_name, 'table macro', '(' || array_to_string(parameters, ', ') || ')'
        from duckdb_functions()
        where database_name = '{CATALOG}' and function_type = 'table_macro'
        order by kind, name
    """
    con = connect(path)
    try:
        return con.execute(sql).df()
    finally:
        con.close()
