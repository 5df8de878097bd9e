"""Opening the database for reading.

The dashboard and the commands read the database through a read-only connection. The model in
the file was built for the build's as-of date; :func:`open_as_of` gives a connection whose
model sees the data as known on another date (``kpis --as-of``): an in-memory database that
reads the canonical tables of the file and builds the model anew for that date.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

import duckdb

from .build import create_contract_macros
from .runner import QUERIES, build_model

# Tables the build writes and the model reads (the model itself is rebuilt for the date).
SOURCE_TABLES = (
    "clients", "episodes", "attendance", "assessments", "relapse_events", "rejects",
    "duplicate_rows", "build_info", "source_files", "instrument_thresholds", "severity_bands",
    "attendance_repeated_keys",
)


class NoDatabase(Exception):
    """There is no database at that path yet (build one first)."""


@dataclass(frozen=True)
class BuildInfo:
    build_id: str
    built_at: dt.datetime
    as_of: dt.date
    exports_folder: str
    model_hash: str


def file_identity(path: Path) -> tuple[int, int, int] | None:
    """What changes when a build swaps a new file in: (inode, size, mtime in ns)."""
    try:
        stat = os.stat(path)
    except FileNotFoundError:
        return None
    return (stat.st_ino, stat.st_size, stat.st_mtime_ns)


def connect(path: Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the database file."""
    if not Path(path).exists():
        raise NoDatabase(f"{path}: no database yet; run `python -m outcomes build` first")
    return duckdb.connect(str(path), read_only=True)


def connect_fresh(path: Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the file that is at ``path`` now.

    DuckDB keeps one database instance per path in a process: once a build has swapped a new
    file in, ``duckdb.connect(path)`` would still hand back the instance of the old, replaced
    file. So the file is opened through a hard link of a name never used before, removed
    right after (the open database keeps its file alive)."""
    path = Path(path)
    if not path.exists():
        raise NoDatabase(f"{path}: no database yet; run `python -m outcomes build` first")
    link = path.parent / f".{path.name}.read-{os.getpid()}-{uuid.uuid4().hex}"
    try:
        os.link(path, link)
    except OSError:  # a file system without hard links: open by path
        return duckdb.connect(str(path), read_only=True)
    try:
        return duckdb.connect(str(link), read_only=True)
    finally:
        link.unlink(missing_ok=True)


def build_info(con: duckdb.DuckDBPyConnection) -> BuildInfo:
    row = con.execute(
        "select build_id, built_at, as_of, exports_folder, model_hash from build_info"
    ).fetchone()
    return BuildInfo(*row)


def model_as_of(con: duckdb.DuckDBPyConnection) -> dt.date:
    return con.execute("select as_of from model_as_of").fetchone()[0]


def open_as_of(path: Path, as_of: dt.date | None, queries: Path = QUERIES) -> duckdb.DuckDBPyConnection:
    """A connection whose model sees the data as known on ``as_of``: the file itself when
    ``as_of`` is None or the build's own as-of date, else an in-memory model built anew."""
    con = connect(path)
    if as_of is None or as_of == model_as_of(con):
        return con
    con.close()
    memory = duckdb.connect()
    literal = "'" + str(Path(path).resolve()).replace("'", "''") + "'"
    memory.execute(f"attach {literal} as source (read_only)")
    stored = {row[0] for row in memory.execute(
        "select table_name from information_schema.tables where table_catalog = 'source'").fetchall()}
    old_build = "attendance_repeated_keys" not in stored
    for table in SOURCE_TABLES:
        if not (old_build and table == "attendance_repeated_keys"):
            memory.execute(f"create view {table} as select * from source.main.{table}")
    create_contract_macros(memory)
    if old_build:
        # a database built before the build kept these keys: find them in the loaded rows
        memory.execute("""
            create view attendance_repeated_keys as
            select session_key_hash(client_id, session_id) as key_hash from source.main.attendance
            where session_id is not null group by key_hash having count(*) > 1""")
    build_model(memory, as_of, queries)
    return memory
