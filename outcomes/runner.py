"""Named SQL queries: find them, read their headers, bind their parameters, run them.

Every query is a ``.sql`` file under ``queries/`` that starts with a header block::

    -- name: retention_rate
    -- title: Share of admissions still in care N days after admission
    -- description: One row per requested N. ...
    --   (a description may go on over indented comment lines)
    -- params: start_date date, end_date date, as_of date, focus varchar[], days integer[]
    -- columns: days, retained, eligible, rate

Files under ``queries/model/`` also say ``-- materialize: table`` (the build stores the result
as a table of that name), ``view`` (a view of that name, computed when read) or ``macro``
(the file's statements create macros).
Parameters are bound by name (``$start_date``), never pasted into the SQL text. A query is
read from disk each time it is asked for (it is a small file), so an edited ``.sql`` file is
what runs next.
"""

from __future__ import annotations

import datetime as dt
import re
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from .config import QUERIES

if TYPE_CHECKING:  # pandas loads only when a query's result is read into a frame
    import pandas as pd

HEADER_FIELDS = ("name", "title", "description", "params", "columns")
IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]*")
PARAM_USE = re.compile(r"\$([a-z_][a-z0-9_]*)")


class QueryError(Exception):
    """A query file that cannot be used as it is (bad header, unknown name, bad parameters)."""


@dataclass(frozen=True)
class Param:
    name: str
    type: str  # a DuckDB type as written in the header: date, varchar, varchar[], integer[]...

    @property
    def is_list(self) -> bool:
        return self.type.endswith("[]")


@dataclass(frozen=True)
class Query:
    name: str
    path: Path
    title: str
    description: str
    params: tuple[Param, ...]
    columns: tuple[str, ...]
    sql: str
    materialize: str | None = None
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def group(self) -> str:
        """The folder under queries/ (``model`` or ``metrics``...)."""
        return self.path.parent.name

    @property
    def param_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.params)

    def used_params(self) -> set[str]:
        """The ``$names`` the SQL uses, comments and string literals left out."""
        return set(PARAM_USE.findall(strip_comments_and_strings(self.sql)))

    def bind(self, values: dict) -> dict:
        """The declared parameters, taken from ``values``; a missing one is an error."""
        missing = [p for p in self.param_names if p not in values]
        if missing:
            raise QueryError(f"{self.name}: no value for parameter(s) {', '.join(missing)}")
        return {p.name: _python_value(values[p.name], p) for p in self.params}


def strip_comments_and_strings(sql: str) -> str:
    """SQL without ``--`` and ``/* */`` comments and without the contents of '...' literals,
    in one left-to-right pass (an apostrophe in a comment does not start a string, and a
    ``--`` in a string does not start a comment)."""
    return re.sub(r"'(?:[^']|'')*'|--[^\n]*|/\*.*?\*/",
                  lambda m: "''" if m.group(0).startswith("'") else "", sql, flags=re.S)


def _python_value(value, param: Param):
    if value is None:
        return None
    if param.type == "date" and isinstance(value, str):
        return dt.date.fromisoformat(value)
    if param.is_list:
        return list(value)
    return value


def parse_header(path: Path, text: str) -> dict[str, str]:
    """The ``-- key: value`` lines at the top of a query file; continuation lines (``--``
    followed by two or more spaces) extend the previous field."""
    header: dict[str, str] = {}
    key = None
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped:
            if header:
                break
            continue
        if not stripped.startswith("--"):
            break
        body = stripped[2:]
        match = re.match(r"\s?([a-z_]+):\s*(.*)$", body)
        if match and not body.startswith("  "):
            key = match.group(1)
            header[key] = match.group(2).strip()
        elif key is not None and body.startswith("  ") and body.strip():
            header[key] = (header[key] + " " + body.strip()).strip()
        else:
            break  # a plain comment after the header is not part of it
    return header


def parse_params(path: Path, text: str) -> tuple[Param, ...]:
    params = []
    for item in filter(None, (part.strip() for part in split_top_level(text))):
        bits = item.split(None, 1)
        if len(bits) != 2 or not IDENTIFIER.fullmatch(bits[0]):
            raise QueryError(f"{path}: params must read 'name type, ...'; cannot read '{item}'")
        params.append(Param(bits[0], bits[1].strip().lower()))
    return tuple(params)


def split_top_level(text: str) -> list[str]:
    """Split on commas that are not inside parentheses (``decimal(10, 2)`` stays whole)."""
    parts, depth, current = [], 0, ""
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return parts


def read_query(path: Path) -> Query:
    text = path.read_text(encoding="utf-8")
    header = parse_header(path, text)
    missing = [f for f in HEADER_FIELDS if f not in header]
    if missing:
        raise QueryError(f"{path}: header lacks {', '.join(missing)}")
    name = header["name"]
    if not IDENTIFIER.fullmatch(name):
        raise QueryError(f"{path}: name '{name}' is not a lower-case identifier")
    columns = tuple(c.strip() for c in header["columns"].split(",") if c.strip())
    extra = {k: v for k, v in header.items() if k not in HEADER_FIELDS}
    return Query(
        name=name,
        path=path,
        title=header["title"],
        description=header["description"],
        params=parse_params(path, header["params"]),
        columns=columns,
        sql=text,
        materialize=extra.get("materialize"),
        extra=extra,
    )


def query_files(root: Path = QUERIES) -> list[Path]:
    return sorted(root.rglob("*.sql"))


def load_queries(root: Path = QUERIES) -> dict[str, Query]:
    """Every query under ``root`` by name, read fresh from disk."""
    queries: dict[str, Query] = {}
    for path in query_files(root):
        query = read_query(path)
        if query.name in queries:
            raise QueryError(f"{path}: name '{query.name}' is also used by {queries[query.name].path}")
        queries[query.name] = query
    return queries


_FOUND_AT: dict[tuple[Path, str], Path] = {}  # where a query's file was last found


def get_query(name: str, root: Path = QUERIES) -> Query:
    """One query by name, read fresh from disk (an edited file is seen at once). The folder is
    searched only when the file where the name was last found is gone or no longer holds it."""
    known = _FOUND_AT.get((root, name))
    if known is not None and known.is_file():
        query = read_query(known)
        if query.name == name:
            return query
    query = _find_query(name, root)
    _FOUND_AT[(root, name)] = query.path
    return query


def _find_query(name: str, root: Path) -> Query:
    for path in query_files(root):
        # The name is in the header; the file name normally matches it, so look there first.
        if path.stem == name:
            query = read_query(path)
            if query.name == name:
                return query
    queries = load_queries(root)
    if name not in queries:
        raise QueryError(f"no query named '{name}' under {root}")
    return queries[name]


def run(con: duckdb.DuckDBPyConnection, query: Query | str, params: dict | None = None) -> pd.DataFrame:
    """Run a named query on a cursor of ``con`` with its declared parameters bound."""
    if isinstance(query, str):
        query = get_query(query)
    bound = query.bind(params or {})
    cursor = con.cursor()
    try:
        return cursor.execute(query.sql, bound).df()
    finally:
        cursor.close()


# ---------------------------------------------------------------------------------------------
# The model: queries/model/*.sql built into a database
# ---------------------------------------------------------------------------------------------


def model_queries(root: Path = QUERIES) -> list[Query]:
    """The model files in build order (file name order: numbered prefixes)."""
    queries = [read_query(p) for p in sorted((root / "model").glob("*.sql"))]
    for query in queries:
        if query.materialize not in ("table", "view", "macro"):
            raise QueryError(f"{query.path}: model files say '-- materialize: table', 'view' or 'macro'")
    return queries


def _defined_names(query: Query) -> set[str]:
    """The names a model file creates: its own, and for a macro file every macro in it."""
    names = {query.name.lower()}
    if query.materialize == "macro":
        names |= {m.lower() for m in re.findall(r"(?i)\bmacro\s+(\w+)", query.sql)}
    return names


def model_dependencies(queries: list[Query]) -> list[set[int]]:
    """For each model file, the earlier files it needs (by index), directly or through the
    views and macros it reads: any earlier file whose object it names. A name in a comment
    only costs a little parallelism; a dependency is never missed, because files that are
    not named are independent of each other by construction (each reads only what it names)."""
    defined = [_defined_names(q) for q in queries]
    needs: list[set[int]] = []
    for i, query in enumerate(queries):
        words = {w.lower() for w in re.findall(r"\w+", query.sql)}
        direct = {j for j in range(i) if defined[j] & words}
        needs.append(direct.union(*(needs[j] for j in direct)) if direct else set())
    return needs


MODEL_WORKERS = 2  # model files with no dependency between them are built side by side


def build_model(con: duckdb.DuckDBPyConnection, as_of: dt.date, root: Path = QUERIES,
                progress=None) -> None:
    """Create the model's macros, tables and views in ``con`` for the as-of date.

    ``as_of_date()`` is a macro returning the as-of date as a constant, for views (which take
    no parameters). The common-subplan optimizer is off while building: it would keep a copy
    of a ten-million-row intermediate in memory instead of reading the table twice.

    Files are built on two cursors, each as soon as the earlier files it reads
    (model_dependencies) are built, lowest number first; so independent tables (the
    sessions and the assessment scores) are written side by side, and no cursor sits
    waiting for a file another one is building. After a failure no further file starts, and
    of the files that broke the lowest-numbered is the one reported."""
    if not isinstance(as_of, dt.date):
        raise QueryError(f"the as-of date must be a date, not {as_of!r}")
    con.execute(f"create or replace macro as_of_date() as date '{as_of.isoformat()}'")
    queries = model_queries(root)
    needs = model_dependencies(queries)

    def create(index: int, cursor: duckdb.DuckDBPyConnection) -> None:
        query = queries[index]
        try:
            if query.materialize == "macro":
                cursor.execute(query.sql)
            elif query.materialize == "view":
                if query.params:
                    raise QueryError(f"{query.path}: a view cannot take parameters (read model_as_of)")
                cursor.execute(f'create or replace view "{query.name}" as\n{query.sql}')
            else:
                bound = query.bind({"as_of": as_of})
                cursor.execute(f'create or replace table "{query.name}" as\n{query.sql}', bound)
        except duckdb.Error as exc:
            raise QueryError(f"{query.path.relative_to(root.parent)}: {exc}") from None

    opened = [con.cursor() for _ in range(MODEL_WORKERS)]
    idle = list(opened)
    try:
        for cursor in opened:
            cursor.execute("set disabled_optimizers = 'common_subplan'")
        waiting = list(range(len(queries)))
        built: set[int] = set()
        running: dict[Future, tuple[int, duckdb.DuckDBPyConnection]] = {}
        errors: dict[int, BaseException] = {}
        with ThreadPoolExecutor(max_workers=MODEL_WORKERS, thread_name_prefix="model") as pool:
            while running or (waiting and not errors):
                ready = [i for i in waiting if needs[i] <= built]
                while ready and idle and not errors:
                    index = ready.pop(0)
                    waiting.remove(index)
                    cursor = idle.pop()
                    running[pool.submit(create, index, cursor)] = (index, cursor)
                # a file needs only earlier files: while none fails, something is running
                assert running, "model files wait on each other"
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    index, cursor = running.pop(future)
                    idle.append(cursor)
                    if future.exception() is not None:
                        errors[index] = future.exception()
                    else:
                        built.add(index)
                        if progress:  # from this thread: a page's callback is a Streamlit call
                            progress(f"model: {queries[index].name}")
        if errors:
            raise errors[min(errors)]
    finally:
        for cursor in opened:
            cursor.execute("reset disabled_optimizers")
            cursor.close()
