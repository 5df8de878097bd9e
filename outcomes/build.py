"""Build the database from a folder of EHR exports, checking every rule of the contract.

``build(exports, db)`` reads one file per table (``.csv``, ``.parquet`` or ``.xlsx``), renames
headers (``mapping.toml``), normalises vocabularies, checks every rule of
:mod:`outcomes.contract` and writes a new DuckDB file with

- the canonical tables (``clients``, ``episodes``, ``attendance``, ``assessments``,
  ``relapse_events``) with proper types and the source ``line`` of every row;
- ``rejects``: every broken rule of every rejected row (table, file, line, column, raw value,
  reason) and ``duplicate_rows``: exact duplicates that loaded once;
- ``attendance_repeated_keys``: hashes of the (client_id, session_id) pairs that several
  loaded rows share, found in the duplicate pass; the model groups only those rows;
- ``build_info`` (one row: build id, time, as-of date, model hash) and ``source_files`` (each
  file's name, size, hash, rows read and how it was read);
- the shared model of SPEC section 3 (``queries/model``), for the as-of date.

The new file is written next to the old one and renamed over it only when everything
succeeded, so a failed or killed build leaves the database the dashboard reads untouched.
Problems that stop a build raise :class:`BuildError`, whose message names the file, the
column and what was expected, and never a row's contents.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import shutil
import sys
import time
import tomllib
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import duckdb

from . import contract, definitions
from .contract import CODE, DATE, INT, NUMBER, TEXT, Column, Table
from .runner import QUERIES, QueryError, build_model, model_queries

if TYPE_CHECKING:  # pandas is imported where a CSV or Excel file needs it: a Parquet build
    import pandas as pd  # never loads it (half a second of the command's start)

TMP_MARK = ".tmp-"
MAX_LINE_BYTES = 8 * 1024 * 1024
MEMORY_LIMIT = "1200MB"  # DuckDB's working memory during a build; it spills beyond


class BuildError(Exception):
    """A build that cannot go on. The message names the file, the column and what was
    expected; it never quotes a row (rows are personal health data)."""


@dataclass
class Source:
    """One export file and what reading it found."""

    table: Table
    path: Path
    size: int = 0
    sha256: str = ""
    rows_read: int = 0
    encoding: str = ""
    sheet: str = ""
    columns: dict[str, str] = field(default_factory=dict)  # contract column -> header in file
    types: list[str] = field(default_factory=list)  # DuckDB type of each file column
    work_dir: Path | None = None  # where a normalised copy may be written (next to the db)
    ignored: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def format(self) -> str:
        return self.path.suffix.lower().lstrip(".")


class FileSummary(NamedTuple):
    table: str
    file: str
    rows_read: int
    duplicates: int
    rejected: int
    loaded: int


class ReasonCount(NamedTuple):
    table: str
    file: str
    column: str
    reason: str
    rows: int


@dataclass
class BuildResult:
    db: Path
    build_id: str
    as_of: dt.date
    seconds: float
    sources: list[Source]
    summary: list[FileSummary]  # one per file, in load order
    reasons: list[ReasonCount]  # rejected rows by file, column and reason, most first
    flagged: list[str] = field(default_factory=list)  # loaded rows that break a program rule

    def report(self) -> str:
        """The readable summary the command prints."""
        lines = [f"Built {self.db} in {self.seconds:.1f} s; as-of date {self.as_of.isoformat()}.", ""]
        width = max((len(row.file) for row in self.summary), default=10)
        lines.append(f"{'file':<{width}}  {'read':>12}  {'duplicates':>10}  {'rejected':>9}  {'loaded':>12}")
        for row in self.summary:
            note = "  (empty)" if row.rows_read == 0 else ""
            lines.append(
                f"{row.file:<{width}}  {row.rows_read:>12,}  {row.duplicates:>10,}  "
                f"{row.rejected:>9,}  {row.loaded:>12,}{note}"
            )
        for source in self.sources:
            for note in source.notes:
                lines.append(f"note: {source.path.name}: {note}")
            if source.ignored:
                lines.append(f"note: {source.path.name}: columns not in the contract, ignored: "
                             + ", ".join(source.ignored))
        if self.reasons:
            lines += ["", "Rejected rows by reason (one row can break several rules):"]
            for row in self.reasons:
                lines.append(f"  {row.file}: {row.reason} ({row.column}): {row.rows:,}")
            lines.append("The rejected rows, with their line and raw value, are in the table "
                         "'rejects' and on the Data page.")
        else:
            lines += ["", "No rejected rows."]
        if self.flagged:
            lines += ["", "Loaded but flagged (listed on the Data page):"]
            lines += [f"  {flag}" for flag in self.flagged]
        return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# Finding and reading the files
# ---------------------------------------------------------------------------------------------


def find_sources(exports: Path) -> list[Source]:
    """One source per table present; a missing required table or two files for one table
    stop the build."""
    if not exports.is_dir():
        raise BuildError(f"{exports}: no such folder (expected a folder of exports, one file per table)")
    files = {}
    for path in sorted(exports.iterdir()):
        if path.is_file() and path.suffix.lower() in contract.FILE_FORMATS:
            files.setdefault(path.stem.lower(), []).append(path)
    sources = []
    for table in contract.TABLES:
        found = files.get(table.name, [])
        if len(found) > 1:
            raise BuildError(
                f"{exports}: {', '.join(p.name for p in found)} are all the table '{table.name}'; "
                "expected one file per table"
            )
        if not found:
            if table.required:
                raise BuildError(
                    f"{exports / (table.name + '.csv')}: missing; expected the required table "
                    f"'{table.name}' as {table.name}.csv, .parquet or .xlsx with columns "
                    + ", ".join(table.required_names)
                )
            continue
        sources.append(Source(table, found[0]))
    return sources


def read_mapping(exports: Path) -> dict[str, dict[str, str]]:
    """``mapping.toml``: top-level ``"EHR header" = "column"`` pairs apply to every table;
    a ``[table]`` section applies to that table. Keys and values are folded like headers.
    Returns {table or '*': {folded header: column}}."""
    path = exports / "mapping.toml"
    if not path.exists():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise BuildError(f"{path}: not valid TOML ({exc}); expected lines like \"Patient ID\" = \"client_id\"")
    mapping: dict[str, dict[str, str]] = {"*": {}}
    for key, value in data.items():
        if isinstance(value, str):
            mapping["*"][contract.fold_header(key)] = contract.fold_header(value)
        elif isinstance(value, dict) and key.lower() in contract.TABLES_BY_NAME:
            section = mapping.setdefault(key.lower(), {})
            for sub_key, sub_value in value.items():
                if not isinstance(sub_value, str):
                    raise BuildError(f"{path}: [{key}] {sub_key} must be a column name in quotes")
                section[contract.fold_header(sub_key)] = contract.fold_header(sub_value)
        else:
            raise BuildError(
                f"{path}: '{key}' is neither \"EHR header\" = \"column\" nor a [table] section "
                f"for one of {', '.join(contract.TABLES_BY_NAME)}"
            )
    return mapping


def map_header(source: Source, header: list[str], mapping: dict[str, dict[str, str]]) -> list[str | None]:
    """The contract column each header cell feeds (None for an ignored cell); records what
    was matched and ignored on the source and checks the required columns."""
    table = source.table
    specific, general = mapping.get(table.name, {}), mapping.get("*", {})
    targets: list[str | None] = []
    for cell in header:
        folded = contract.fold_header(str(cell or ""))
        name = specific.get(folded) or general.get(folded) or folded
        if name in table.names:
            if name in source.columns:
                raise BuildError(
                    f"{source.path}: columns '{source.columns[name]}' and '{cell}' both mean "
                    f"'{name}'; expected one column for it"
                )
            source.columns[name] = str(cell)
            targets.append(name)
        else:
            if str(cell or "").strip():
                source.ignored.append(str(cell))
            targets.append(None)
    if not source.columns:
        raise BuildError(
            f"{source.path}: no header row: the first line names none of the columns of "
            f"'{table.name}'; expected a header with " + ", ".join(table.names)
        )
    missing = [c for c in table.required_names if c not in source.columns]
    if missing:
        raise BuildError(
            f"{source.path}: column '{missing[0]}' is missing; expected the required column"
            f"{'s' if len(missing) > 1 else ''} " + ", ".join(missing)
            + f" (found: {', '.join(str(h) for h in header if str(h or '').strip()) or 'none'})"
        )
    return targets


def _hash_file(path: Path) -> tuple[int, str]:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(8 * 1024 * 1024), b""):
            digest.update(chunk)
    return path.stat().st_size, digest.hexdigest()


def _sql_text(value: str) -> str:
    """A SQL string literal (for identifiers and texts from the contract or paths, never
    for values that come from rows)."""
    return "'" + str(value).replace("'", "''") + "'"


def _register(con: duckdb.DuckDBPyConnection, name: str, frame: pd.DataFrame) -> None:
    """``con.register`` after finishing any result an earlier ``execute()`` left unread
    (``.fetchone()`` of a count): DuckDB 2 refuses to register a frame while one is pending."""
    complete = getattr(con, "complete", None)
    if complete is not None:
        complete()
    con.register(name, frame)


DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}


def _delimiter(line: str) -> str:
    """The delimiter of a header line: whichever of comma, semicolon, tab and pipe it has most
    of outside quotes (a comma when it has none, a one-column file)."""
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for char in line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(counts, key=lambda d: (counts[d], d == ","))
    return best if counts[best] else ","


def _utf16(head: bytes) -> str | None:
    """'utf-16' when the file starts with a UTF-16 byte-order mark, or looks like UTF-16 text
    without one (every other byte of the first line zero); None otherwise."""
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return "utf-16"
    sample = head[:200]
    if len(sample) >= 8:
        if sample[1::2].count(0) >= len(sample) // 2 * 0.9:
            return "utf-16-le"
        if sample[0::2].count(0) >= len(sample) // 2 * 0.9:
            return "utf-16-be"
    return None


def _csv_header(path: Path, shown: Path | None = None) -> tuple[list[str], str, str]:
    """The header cells of a CSV file, the encoding to read it with and its delimiter;
    ``shown`` is the file a message names (the export, when ``path`` is a copy of it)."""
    import csv
    import io

    with path.open("rb") as handle:
        head = handle.read(1024 * 1024)
    if not head.strip():
        raise BuildError(f"{shown or path}: the file is empty; expected a header row naming the columns")
    try:
        text, encoding = head.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError as exc:
        # A cut in the middle of a multi-byte character at the end of the sample is fine.
        if exc.start >= len(head) - 4:
            text, encoding = head[: exc.start].decode("utf-8-sig"), "utf-8"
        else:
            text, encoding = head.decode("latin-1"), "latin-1"
    line = text.splitlines()[0] if text.splitlines() else ""
    delimiter = _delimiter(line)
    first = next(csv.reader(io.StringIO(line), delimiter=delimiter), [])
    return first, encoding, delimiter


def _utf8_copy(source: Source, encoding: str) -> Path:
    """A UTF-8 copy of a UTF-16 file (line numbers stay the same; an undecodable pair of
    bytes becomes U+FFFD, which the rules then see as text)."""
    import codecs

    folder = source.work_dir or source.path.parent
    copy = folder / f".{source.path.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}.utf8.csv"
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    with source.path.open("rb") as original, copy.open("w", encoding="utf-8", newline="") as out:
        for chunk in iter(lambda: original.read(16 * 1024 * 1024), b""):
            out.write(decoder.decode(chunk))
        out.write(decoder.decode(b"", final=True))
    return copy


def _count_lines(path: Path) -> int:
    """Physical lines in a file (a last line without a newline counts)."""
    count, last = 0, b"\n"
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(16 * 1024 * 1024), b""):
            count += chunk.count(b"\n")
            last = chunk[-1:]
    return count + (0 if last == b"\n" else 1)


def _record_lines(path: Path, encoding: str, delimiter: str = ",") -> list[tuple[int, bool]]:
    """For each logical line of a CSV file (a record, however many physical lines its quoted
    values span, or a blank line), header included: the physical line it starts on and
    whether it is blank. DuckDB numbers the lines of its rejects in this logical way.
    Slow; only used when blank lines or multi-line values make records and lines differ."""
    import csv

    lines = []
    with path.open("r", encoding="utf-8-sig" if encoding == "utf-8" else encoding,
                   errors="replace", newline="") as handle:
        reader = csv.reader(handle, delimiter=delimiter)
        previous_end = 0
        for record in reader:
            start = previous_end + 1
            previous_end = reader.line_num
            lines.append((start, not record))
    return lines


def _read_csv(con: duckdb.DuckDBPyConnection, table: str, path: Path, columns: str, encoding: str,
              delimiter: str = ",") -> None:
    """DuckDB's strict CSV reader into staging.csv_<table>, malformed lines to rej_<table>."""
    con.execute(f"drop table if exists rej_{table}; drop table if exists rejscan_{table}")
    con.execute("set preserve_insertion_order = true")  # records are numbered in file order
    con.execute(
        f"""create or replace table staging.csv_{table} as
        select row_number() over () as _record, *
        from read_csv($path, header = true, all_varchar = true, delim = $delim, quote = '"',
                      escape = '"', columns = {columns}, store_rejects = true,
                      rejects_table = 'rej_{table}', rejects_scan = 'rejscan_{table}',
                      encoding = $encoding, max_line_size = {MAX_LINE_BYTES},
                      auto_detect = false, null_padding = false)""",
        {"path": str(path), "encoding": encoding, "delim": delimiter},
    )
    con.execute("set preserve_insertion_order = false")


def _raw_view(con: duckdb.DuckDBPyConnection, source: Source, sql: str) -> None:
    """The temp view ``raw_<table>``: the file's rows with their ``_line`` and columns c0,
    c1..."""
    con.execute(f"create or replace temp view raw_{source.table.name} as {sql}")


def _lf_copy(source: Source, path: Path) -> Path:
    """A copy of ``path`` (the file or its UTF-8 copy) with every CRLF turned into LF (line
    numbers stay the same)."""
    folder = source.work_dir or source.path.parent
    copy = folder / f".{source.path.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}.lf.csv"
    with path.open("rb") as original, copy.open("wb") as out:
        carry = b""
        for chunk in iter(lambda: original.read(16 * 1024 * 1024), b""):
            chunk = carry + chunk
            carry = b"\r" if chunk.endswith(b"\r") else b""
            out.write(chunk[:-1].replace(b"\r\n", b"\n") if carry else chunk.replace(b"\r\n", b"\n"))
        out.write(carry)
    return copy


def stage_csv(con: duckdb.DuckDBPyConnection, source: Source, mapping) -> list[str | None]:
    """Read a CSV file into the staging table ``staging.csv_<table>`` (one VARCHAR column per
    header cell) and the view ``raw_<table>`` that adds each record's physical ``_line``;
    malformed lines go to the rejects. UTF-8 (with or without a byte-order mark), Latin-1 and
    UTF-16 text; comma, semicolon, tab or pipe between values (the header line tells)."""
    with source.path.open("rb") as handle:
        wide = _utf16(handle.read(4096))
    text_path = _utf8_copy(source, wide) if wide else source.path
    try:
        if wide:
            source.notes.append("UTF-16 text: read through a UTF-8 copy")
        return _stage_csv_text(con, source, mapping, text_path)
    finally:
        if text_path != source.path:
            text_path.unlink(missing_ok=True)


def _stage_csv_text(con: duckdb.DuckDBPyConnection, source: Source, mapping, text_path: Path) -> list[str | None]:
    """stage_csv for a file of 8-bit text (the export itself or its UTF-8 copy)."""
    import pandas as pd

    header, encoding, delimiter = _csv_header(text_path, source.path)
    if delimiter != ",":
        source.notes.append(f"{DELIMITERS[delimiter]}-separated values")
    targets = map_header(source, header, mapping)
    columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(header))) + "}"
    table = source.table.name
    read_path = text_path
    try:
        for attempt, enc in enumerate((encoding, "latin-1")):
            try:
                _read_csv(con, table, read_path, columns, enc, delimiter)
            except duckdb.InvalidInputException as exc:
                if "invalid state" not in str(exc) or read_path != text_path:
                    raise
                # Mixed line endings (CRLF and LF in one file, e.g. rows appended by another
                # program) stop DuckDB's strict parser: read a copy with LF endings instead.
                read_path = _lf_copy(source, text_path)
                source.notes.append("mixed line endings (CRLF and LF): read with LF endings")
                _read_csv(con, table, read_path, columns, enc, delimiter)
            bad_encoding = con.execute(
                f"select count(*) from rej_{table} where error_type = 'INVALID ENCODING'"
            ).fetchone()[0]
            if not bad_encoding or attempt == 1:
                source.encoding = enc
                break
    finally:
        if read_path != text_path:
            read_path.unlink(missing_ok=True)
    if source.encoding == "latin-1":
        source.notes.append("not valid UTF-8; read as Latin-1")
    # Line numbers: DuckDB gives them for malformed lines; good records are numbered in order.
    # When blank lines or multi-line values exist, records and lines differ: map them exactly.
    rejected = con.execute(
        f"select line, error_type, column_name, csv_line from rej_{table} order by line"
    ).fetchall()
    records = con.execute(f"select count(*) from staging.csv_{table}").fetchone()[0]
    rejected_lines = sorted({r[0] for r in rejected})
    if _count_lines(text_path) == 1 + records + len(rejected_lines):
        # No blank lines, no multi-line values: DuckDB's lines are physical lines and the good
        # records fill the other lines in order. The k-th good record is on line
        # k + 1 + (the number of malformed lines before it); a malformed line r_j (the j-th)
        # has r_j - j - 1 good records before it, so it comes before record k when that is < k.
        frame = pd.DataFrame({
            "good_before": pd.Series([r - j - 1 for j, r in enumerate(rejected_lines, start=1)], dtype="int64"),
            "skipped": pd.Series(range(1, len(rejected_lines) + 1), dtype="int64"),
        })
        _register(con, "skipped_lines", frame)
        con.execute(f"create or replace table staging.skips_{table} as select * from skipped_lines")
        con.unregister("skipped_lines")
        _raw_view(con, source, f"""
            select r._record + 1 + coalesce(s.skipped, 0) as _line, r.* exclude (_record)
            from staging.csv_{table} as r
            asof left join staging.skips_{table} as s on r._record > s.good_before""")
    else:
        logical = _record_lines(text_path, source.encoding, delimiter)
        physical = {number: start for number, (start, _blank) in enumerate(logical, start=1)}
        skipped = set(rejected_lines)
        good = [start for number, (start, blank) in enumerate(logical, start=1)
                if number > 1 and not blank and number not in skipped]
        if len(good) != records:  # the two CSV readers disagree: number the records in order
            good = list(range(2, records + 2))
            source.notes.append("line numbers could not be matched exactly; rows are numbered in order")
        # malformed lines: DuckDB's logical line -> the physical line it starts on
        rejected = [(physical.get(r[0], r[0]), *r[1:]) for r in rejected]
        frame = pd.DataFrame({"_record": pd.Series(range(1, len(good) + 1), dtype="int64"),
                              "_line": pd.Series(good, dtype="int64")})
        _register(con, "record_lines", frame)
        con.execute(f"create or replace table staging.lines_{table} as select * from record_lines")
        con.unregister("record_lines")
        _raw_view(con, source, f"""
            select l._line, r.* exclude (_record)
            from staging.csv_{table} as r inner join staging.lines_{table} as l using (_record)""")
    reasons = {
        "MISSING COLUMNS": f"the line has fewer values than the header's {len(header)} columns",
        "TOO MANY COLUMNS": f"the line has more values than the header's {len(header)} columns",
        "UNQUOTED VALUE": "a value has a quote character in the middle (malformed CSV)",
        "INVALID ENCODING": "the line is not valid text in the file's encoding",
        "LINE SIZE OVER MAXIMUM": f"the line is longer than {MAX_LINE_BYTES // (1024 * 1024)} MB",
        "INVALID STATE": "the line is malformed CSV (an unterminated quote?)",
    }
    malformed = {}  # one reject per line and error (DuckDB can report a line several times)
    for line, error_type, _column, csv_line in rejected:
        malformed.setdefault((line, error_type), [
            table, source.path.name, line, "(whole line)",
            csv_line.strip("\r\n") if csv_line else None,
            reasons.get(error_type, f"the line is malformed CSV ({error_type.lower()})"),
        ])
    if malformed:
        frame = pd.DataFrame(list(malformed.values()), columns=[
            "table_name", "source_file", "line", "column_name", "raw_value", "reason"]).astype(
            {"line": "int64", "raw_value": "string"})
        _register(con, "malformed_lines", frame)
        con.execute("insert into rejects select * from malformed_lines")
        con.unregister("malformed_lines")
    source.types = ["VARCHAR"] * len(header)
    return targets


def _excel_value(value, is_date: bool) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if is_date else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (int, float)):
        if is_date:
            # An Excel serial day number (the 1900 system, as Excel stores dates).
            if 1 <= value < 2958466:
                return (dt.date(1899, 12, 30) + dt.timedelta(days=int(value))).isoformat()
            return str(value)
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value)
    return str(value)


def stage_xlsx(con: duckdb.DuckDBPyConnection, source: Source, mapping) -> list[str | None]:
    import openpyxl
    import pandas as pd

    try:
        book = openpyxl.load_workbook(source.path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise BuildError(f"{source.path}: cannot be read as an Excel workbook ({type(exc).__name__}); "
                         "expected an .xlsx file saved by Excel or the EHR") from None
    try:
        sheets = book.sheetnames
        chosen = next((s for s in sheets if contract.fold_header(s) == source.table.name), sheets[0])
        source.sheet = chosen
        if len(sheets) > 1:
            source.notes.append(f"read the sheet '{chosen}' of {len(sheets)} sheets")
        rows = book[chosen].iter_rows(values_only=True)
        header = next(rows, None)
        if header is None or not any(v is not None and str(v).strip() for v in header):
            raise BuildError(f"{source.path}: sheet '{chosen}' has no header row in row 1; expected "
                             "a header with " + ", ".join(source.table.names))
        header = list(header)
        while header and (header[-1] is None or not str(header[-1]).strip()):
            header.pop()
        targets = map_header(source, [str(h) if h is not None else "" for h in header], mapping)
        date_cells = [t in source.table.date_columns for t in targets]
        columns: list[list] = [[] for _ in header]
        lines: list[int] = []
        for number, row in enumerate(rows, start=2):
            if row is None or all(v is None or (isinstance(v, str) and not v.strip()) for v in row):
                continue
            lines.append(number)
            for i in range(len(header)):
                columns[i].append(_excel_value(row[i] if i < len(row) else None, date_cells[i]))
    finally:
        book.close()
    frame = pd.DataFrame({"_line": pd.Series(lines, dtype="int64"),
                          **{f"c{i}": pd.Series(col, dtype="string") for i, col in enumerate(columns)}})
    _register(con, "xlsx_rows", frame)
    con.execute(f"create or replace table staging.xlsx_{source.table.name} as select * from xlsx_rows")
    con.unregister("xlsx_rows")
    _raw_view(con, source, f"select * from staging.xlsx_{source.table.name}")
    source.encoding = "xlsx"
    source.types = ["VARCHAR"] * len(header)
    return targets


def stage_parquet(con: duckdb.DuckDBPyConnection, source: Source, mapping) -> list[str | None]:
    """A view ``raw_<table>`` over the Parquet file (no copy): ``_line`` is the row number
    from 1, columns keep their Parquet types (a DATE column needs no parsing)."""
    try:
        described = con.execute("describe select * from read_parquet($path)", {"path": str(source.path)}).fetchall()
    except duckdb.Error as exc:
        raise BuildError(f"{source.path}: cannot be read as Parquet ({type(exc).__name__}); "
                         "expected a Parquet file") from None
    header = [row[0] for row in described]
    targets = map_header(source, header, mapping)
    renamed = ", ".join(f'"{name.replace(chr(34), chr(34) * 2)}" as c{i}' for i, name in enumerate(header))
    _raw_view(
        con, source, f"""
        select file_row_number + 1 as _line, {renamed}
        from read_parquet({_sql_text(source.path)}, file_row_number = true)"""
    )
    source.encoding = "parquet"
    source.types = [str(row[1]).upper() for row in described]
    return targets


STAGERS = {"csv": stage_csv, "xlsx": stage_xlsx, "parquet": stage_parquet}

# ---------------------------------------------------------------------------------------------
# Checking the rules
# ---------------------------------------------------------------------------------------------

CONTRACT_MACROS = r"""
-- vocab_key folds every space Python's \s matches (also no-break and other Unicode spaces)
create or replace macro vocab_key(v) as
    trim(regexp_replace(lower(trim(v)), '[\s\v\x{1c}-\x{1f}\x{85}\p{Z}\-_]+', '_', 'g'), '_');
-- parse_date: ISO YYYY-MM-DD (a time part is ignored) or MM/DD/YYYY; NULL otherwise.
-- The common case, exactly YYYY-MM-DD, takes a plain cast; other shapes go through patterns.
create or replace macro parse_date(v) as
    case
        when length(v) = 10 and substr(v, 5, 1) = '-' and substr(v, 8, 1) = '-'
            and regexp_full_match(v, '\d{4}-\d\d-\d\d') then try_cast(v as date)
        else cast(coalesce(
            try_strptime(regexp_extract(v, '^(\d{4}-\d{1,2}-\d{1,2})([ T].*)?$', 1), '%Y-%m-%d'),
            try_strptime(regexp_extract(v, '^(\d{1,2}/\d{1,2}/\d{4})([ T].*)?$', 1), '%m/%d/%Y')) as date)
    end;
-- session_key_hash: the hash under which the build keeps the (client_id, session_id) pairs
-- that several attendance rows share (attendance_repeated_keys); session_rows looks them up
create or replace macro session_key_hash(client_id, session_id) as
    hash(client_id, session_id, cast(0 as ubigint));
create or replace macro parse_number(v) as
    case when isfinite(try_cast(v as double)) then try_cast(v as double) end;
create or replace macro parse_int(v) as
    case when parse_number(v) = round(parse_number(v)) and abs(parse_number(v)) < 2147483647
         then cast(parse_number(v) as integer) end;
"""


def create_contract_macros(con: duckdb.DuckDBPyConnection) -> None:
    """The contract's value rules as SQL macros (vocab_key, parse_date, normalise_level...),
    stored in the database so the model and analysts use the same ones; and the enum types
    of the session vocabularies, which the ten-million-row sessions table stores (a byte a
    value instead of a string: faster to write and to read)."""
    con.execute(CONTRACT_MACROS + level_macro() + instrument_macro() + vocabulary_types())


VOCABULARY_TYPES = {"session_type_code": contract.SESSION_TYPES, "status_code": contract.STATUSES}


def vocabulary_types() -> str:
    """``create type`` for each enum of VOCABULARY_TYPES, values in the contract's order."""
    return "".join(
        f"create type {name} as enum ({', '.join(_sql_text(v) for v in vocabulary.values)});\n"
        for name, vocabulary in VOCABULARY_TYPES.items()
    )


def write_thresholds(con: duckdb.DuckDBPyConnection) -> None:
    """``instrument_thresholds``: the assessment thresholds of outcomes.definitions, for SQL."""
    con.execute("""
        create or replace table instrument_thresholds (
            instrument varchar, reliable_change double, response_fall double,
            remission_below double, caseness double)""")
    con.executemany(
        "insert into instrument_thresholds values (?, ?, ?, ?, ?)",
        [[t.instrument, t.reliable_change, t.response_fall, t.remission_below, t.caseness]
         for t in definitions.INSTRUMENT_THRESHOLDS],
    )
    con.execute("""
        create or replace table severity_bands (
            instrument varchar, band_order integer, band varchar, lowest double, highest double)""")
    con.executemany(
        "insert into severity_bands values (?, ?, ?, ?, ?)",
        [[t.instrument, i, label, low, high]
         for t in definitions.INSTRUMENT_THRESHOLDS for i, (label, low, high) in enumerate(t.bands)],
    )


def _vocab_case(column: Column, raw: str) -> str:
    """The SQL that maps a raw value to its canonical vocabulary value (NULL when unknown).
    A value already canonical is taken as it is; only other spellings are folded (cheaper)."""
    if column.vocabulary is contract.LEVELS:
        return f"normalise_level({raw})"
    canonical = ", ".join(_sql_text(v) for v in column.vocabulary.values)
    branches = " ".join(
        f"when {_sql_text(key)} then {_sql_text(value)}"
        for key, value in column.vocabulary.lookup().items()
    )
    return f"case when {raw} in ({canonical}) then {raw} else case vocab_key({raw}) {branches} end end"


def level_macro() -> str:
    """``normalise_level`` in SQL, from the contract (the twin of contract.normalise_level)."""
    levels = ", ".join(_sql_text(level) for level in contract.ASAM_LEVELS)
    canonical = ", ".join(_sql_text(level) for level in contract.LEVELS.values)
    aliases = " ".join(
        f"when {_sql_text(contract.vocab_key(alias))} then {_sql_text(code)}"
        for alias, code in contract.LEVEL_ALIASES.items()
    )
    return rf"""
create or replace macro normalise_level(v) as
    case
        when v in ({canonical}) then v  -- already a canonical code: the common case, cheap
        when regexp_full_match(vocab_key(v), '\d(\.\d)?(_wm)?') then
            case when list_contains([{levels}],
                     regexp_extract(vocab_key(v), '^(\d)', 1) || '.'
                     || coalesce(nullif(regexp_extract(vocab_key(v), '^\d\.(\d)', 1), ''), '0'))
                 then regexp_extract(vocab_key(v), '^(\d)', 1) || '.'
                     || coalesce(nullif(regexp_extract(vocab_key(v), '^\d\.(\d)', 1), ''), '0')
                     || if(ends_with(vocab_key(v), '_wm'), '{contract.WM_SUFFIX}', '')
            end
        else case vocab_key(v) {aliases} end
    end;
"""


def instrument_macro() -> str:
    branches = " ".join(
        f"when {_sql_text(i.key)} then {_sql_text(i.name)}" for i in contract.INSTRUMENTS
    )
    names = ", ".join(_sql_text(i.name) for i in contract.INSTRUMENTS)
    return f"""
create or replace macro normalise_instrument(v) as
    case
        when v in ({names}) then v  -- already the canonical name: the common case, cheap
        else case regexp_replace(lower(v), '[^0-9a-z]+', '', 'g') {branches} else v end
    end;
"""


INTEGER_TYPES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT",
                 "USMALLINT", "UINTEGER", "UBIGINT")
FLOAT_TYPES = ("FLOAT", "DOUBLE", "REAL")


def _raw(column: str, source_type: str | None) -> str:
    """The raw value of a file column: text trimmed, empty = missing. A typed Parquet column
    keeps its type here (the rules only ask whether it is missing); a reject stores it as
    text."""
    if source_type is None:
        return "cast(null as varchar)"
    if source_type == "VARCHAR":
        return f"nullif(trim({column}), '')"
    return column


def _parsed(column: Column, source: str | None, source_type: str | None) -> str:
    """The value of a contract column from its file column: typed Parquet columns are taken
    as they are where the type fits; text goes through the contract's parsing macros."""
    raw = f"raw_{column.name}"
    if source is None:
        return f"cast(null as {column.sql_type})"
    if column.name == "instrument":
        return f"normalise_instrument({raw})"
    if column.type == DATE:
        if source_type == "DATE":
            return source
        if source_type and source_type.startswith("TIMESTAMP"):
            return f"cast({source} as date)"
        return f"parse_date({raw})"
    if column.type == INT:
        if source_type in INTEGER_TYPES:
            return f"try_cast({source} as integer)"
        return f"parse_int({raw})"
    if column.type == NUMBER:
        if source_type in INTEGER_TYPES or source_type in FLOAT_TYPES:
            return f"case when isfinite(cast({source} as double)) then cast({source} as double) end"
        return f"parse_number({raw})"
    if column.type == CODE:
        return _vocab_case(column, raw)
    return raw


def _bound(value, build_date: dt.date):
    return build_date.year if value == "build_year" else value


def rules(table: Table, build_date: dt.date) -> list[tuple[str, str, str]]:
    """Every rule of a table as (column, SQL condition that is TRUE when broken, reason)."""
    found = []
    for column in table.columns:
        name, raw = column.name, f"raw_{column.name}"
        if column.required:
            found.append((name, f"{raw} is null", f"{name} is required but empty"))
        if column.type != TEXT or column.name == "instrument":
            expected = {
                DATE: "a date (YYYY-MM-DD or MM/DD/YYYY)",
                INT: "a whole number",
                NUMBER: "a number",
            }.get(column.type)
            if column.type == CODE:
                if column.vocabulary is contract.LEVELS:
                    expected = "an ASAM level (e.g. 2.1, 3.7-WM) or OP/IOP/PHP/RES/detox"
                else:
                    expected = "one of " + ", ".join(column.vocabulary.values)
            if expected:
                found.append((name, f"{raw} is not null and {name} is null", f"{name} is not {expected}"))
        low = _bound(column.minimum, build_date)
        high = _bound(column.maximum, build_date)
        if low is not None and high is not None:
            found.append((name, f"{name} < {low} or {name} > {high}", f"{name} must be from {low} to {high}"))
        elif low is not None:
            found.append((name, f"{name} < {low}", f"{name} must be {low} or more"))
        if column.not_future:
            found.append((
                name, f"{name} > date '{build_date.isoformat()}'",
                f"{name} is in the future (after the build date)",
            ))
    for check in table.checks:
        found.append((check.column, check.condition, check.reason))
    return found


def check_table(con: duckdb.DuckDBPyConnection, source: Source, targets: list[str | None],
                build_date: dt.date) -> None:
    """The view raw_<table> -> the canonical table <table>, with duplicates and rejects
    recorded. One pass over the file's rows writes the canonical table. Duplicates are looked
    for among the loaded rows (a hash each, sorted). The file is read again only when some
    hash repeats (to compare those rows exactly) or some row broke a rule (to record why).
    No copy in memory."""
    table = source.table
    name = table.name
    file_name = _sql_text(source.path.name)
    file_columns = [f"c{i}" for i in range(len(targets))]
    types = dict(zip(file_columns, source.types))
    source_of = {t: c for c, t in zip(file_columns, targets) if t}
    # rows read = the rows staged + the malformed lines already rejected while reading
    staged_rows, malformed = con.execute(
        f"""select (select count(*) from raw_{name}),
                   (select count(distinct line) from rejects
                    where table_name = {_sql_text(name)} and column_name = '(whole line)')"""
    ).fetchone()
    source.rows_read = staged_rows + malformed

    # 1. Raw text (trimmed, empty = missing) and parsed value of every contract column, and
    #    whether the row breaks any rule: a view, computed as it is read.
    raw_exprs = ", ".join(
        f"{_raw(source_of.get(c.name), types.get(source_of.get(c.name)))} as raw_{c.name}"
        for c in table.columns
    )
    parsed = ", ".join(
        f"{_parsed(c, source_of.get(c.name), types.get(source_of.get(c.name)))} as {c.name}"
        for c in table.columns
    )
    table_rules = rules(table, build_date)
    broken_any = " or ".join(f"coalesce(({cond}), false)" for _, cond, _ in table_rules)
    con.execute(f"""
        create or replace temp view checked_{name} as
        with texts as (
            select _line, {', '.join(file_columns)}, {raw_exprs} from raw_{name}
        ),
        values_ as (
            select _line, {', '.join('raw_' + c.name for c in table.columns)}, {parsed} from texts
        )
        select *, {broken_any} as _broken from values_""")

    # 2. The rows that keep every rule make the canonical table (exact duplicates too, for
    #    now: step 3 finds them and takes them out).
    typed = ", ".join(f"cast({c.name} as {c.sql_type}) as {c.name}" for c in table.columns)
    con.execute(f"create table {name} as select _line as line, {typed} from checked_{name} where not _broken")
    loaded_rows = con.execute(f"select count(*) from {name}").fetchone()[0]

    # 3. Exact duplicates (identical raw values in every file column) load once: each row
    #    after the first is recorded in duplicate_rows and leaves the table. Equal raw rows
    #    have equal loaded values, so only the loaded rows whose hash repeats can be
    #    duplicates; those hashes are found by sorting (cheaper than grouping ten million
    #    distinct values), then the file's rows behind them are compared exactly. A table
    #    with a record key (attendance: client and session) hashes that key where a row has
    #    it, which finds the same candidates (duplicates share their key) and, in the same
    #    pass, the keys that repeat: kept as <table>_repeated_keys (see session_key_hash) for
    #    the model (session_rows), which then groups only those rows. A hash can collide,
    #    and a key whose only repeat is an exact duplicate (which then leaves) stays in the
    #    set: it is a superset, which costs a little exact work, never a wrong result.
    columns = [c.name for c in table.columns]
    if table.record_key:
        assert len(table.record_key) == 2, "session_key_hash takes two columns"
        keyed = " and ".join(f"{k} is not null" for k in table.record_key)
        others = [c for c in columns if c not in table.record_key]
        row_hash = (f"hash({', '.join(table.record_key)}, "
                    f"if({keyed}, cast(0 as ubigint), hash({', '.join(others)})))")
    else:
        row_hash = f"hash({', '.join(columns)})"
    con.execute(f"""
        create or replace table staging.dup_hashes_{name} as
        with hashed as (
            select {row_hash} as h from {name}
        ),
        sorted as (
            select h, lag(h) over (order by h) as previous from hashed
        )
        select distinct h from sorted where h = previous""")
    if table.record_key:
        con.execute(f"create table {name}_repeated_keys as select h as key_hash from staging.dup_hashes_{name}")

    def record_duplicates(lines: str) -> None:
        """Exact duplicates among the file's rows at ``lines`` (a query of _line values)."""
        con.execute(f"""
            create or replace temp table dup_lines_{name} as
            with candidates as (
                select * from raw_{name} where _line in ({lines})
            ),
            ranked as (
                select _line, min(_line) over (partition by {', '.join(file_columns)}) as first_line
                from candidates
            )
            select _line, first_line from ranked where _line <> first_line""")
        con.execute(f"""
            insert into duplicate_rows
            select {_sql_text(name)}, {file_name}, _line, first_line from dup_lines_{name}""")

    if con.execute(f"select count(*) from staging.dup_hashes_{name}").fetchone()[0]:
        record_duplicates(f"select line from {name} where {row_hash} in (select h from staging.dup_hashes_{name})")
        con.execute(f"delete from {name} where line in (select _line from dup_lines_{name})")

    # 4. Every rule: rows that break one go to rejects, once per broken rule. Equal raw rows
    #    break the same rules: the first is rejected, the later ones are duplicates only.
    #    When every row was loaded (the common case) there is nothing to look for.
    if loaded_rows < staged_rows:
        con.execute(f"""
            create or replace table staging.broken_{name} as
            select * from checked_{name} where _broken""")
        record_duplicates(f"select _line from staging.broken_{name}")
        for column, condition, reason in table_rules:
            con.execute(f"""
                insert into rejects
                select {_sql_text(name)}, {file_name}, _line, {_sql_text(column)},
                       cast(raw_{column} as varchar), {_sql_text(reason)}
                from staging.broken_{name}
                where coalesce(({condition}), false)
                    and _line not in (select _line from dup_lines_{name})""")

    # 5. The cross-row rules, over the loaded rows of the small tables with ids. The ids are
    #    text columns, whose loaded value is the raw value the rejects keep (trimmed text).
    # 5a. An episode's client must be a loaded client (when clients is given). Checked before
    #     the repeated-id rule, so the first *loadable* row of an id is the one that loads.
    if name == "episodes" and con.execute(
        "select count(*) from information_schema.tables where table_name = 'clients' and table_catalog = current_database()"
    ).fetchone()[0]:
        con.execute(f"""
            insert into rejects
            select 'episodes', {file_name}, line, 'client_id', client_id,
                   'client_id is not among the loaded clients'
            from episodes where client_id not in (select client_id from clients)""")
        con.execute("delete from episodes where client_id not in (select client_id from clients)")
    # 5b. A repeated id: the first loadable row loads, later ones are rejected.
    if table.key:
        assert table.column(table.key).type == TEXT, "a key's raw value is its loaded value"
        con.execute(f"""
            create or replace temp table repeated_{name} as
            select line, {table.key} from {name}
            qualify row_number() over (partition by {table.key} order by line) > 1""")
        if con.execute(f"select count(*) from repeated_{name}").fetchone()[0]:
            con.execute(f"""
                insert into rejects
                select {_sql_text(name)}, {file_name}, line, {_sql_text(table.key)}, {table.key},
                       {_sql_text(f'{table.key} repeats an earlier row of {name}')}
                from repeated_{name}""")
            con.execute(f"delete from {name} where line in (select line from repeated_{name})")


# ---------------------------------------------------------------------------------------------
# The build
# ---------------------------------------------------------------------------------------------


def _empty_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("""
        create table rejects (
            table_name varchar, source_file varchar, line bigint, column_name varchar,
            raw_value varchar, reason varchar);
        create table duplicate_rows (
            table_name varchar, source_file varchar, line bigint, duplicate_of_line bigint);
    """)


def _create_missing(con: duckdb.DuckDBPyConnection, table: Table) -> None:
    """An optional table that was not exported exists empty, so queries can rely on it."""
    columns = ", ".join(f"{c.name} {c.sql_type}" for c in table.columns)
    con.execute(f"create table {table.name} (line bigint, {columns})")
    if table.record_key:
        con.execute(f"create table {table.name}_repeated_keys (key_hash ubigint)")


def compute_as_of(con: duckdb.DuckDBPyConnection) -> dt.date | None:
    """The latest admit, discharge, session, assessment or event date among loaded rows."""
    return con.execute("""
        select greatest(
            (select max(admit_date) from episodes), (select max(discharge_date) from episodes),
            (select max(session_date) from attendance), (select max(assessment_date) from assessments),
            (select max(event_date) from relapse_events))
    """).fetchone()[0]


def model_hash(root: Path = QUERIES) -> str:
    digest = hashlib.sha256()
    for query in model_queries(root):
        digest.update(query.sql.encode())
    return digest.hexdigest()[:16]


def _remove_stale(db: Path) -> None:
    """Files left by processes that are gone: temp files of builds killed midway
    (``.<db>.tmp-<pid>-...``) and read links of dashboards that died while opening the file
    (``.<db>.read-<pid>-...``, see outcomes.db.connect_fresh)."""
    for path in db.parent.glob(f".{db.name}.*"):
        match = re.match(rf"\.{re.escape(db.name)}\.(?:tmp|read)-(\d+)", path.name)
        if not match:
            continue
        pid = int(match.group(1))
        alive = False
        if pid != os.getpid():
            try:
                os.kill(pid, 0)
                alive = True
            except (ProcessLookupError, PermissionError):
                alive = False
        if not alive:
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)


def build(exports: Path, db: Path, *, today: dt.date | None = None, progress=None,
          queries: Path = QUERIES) -> BuildResult:
    """Build ``db`` from ``exports``; see the module docstring. Raises BuildError."""
    started = time.perf_counter()
    say = progress or (lambda message: None)
    build_date = today or dt.date.today()
    exports, db = Path(exports), Path(db)
    sources = find_sources(exports)
    mapping = read_mapping(exports)
    db.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale(db)
    tmp = db.parent / f".{db.name}{TMP_MARK}{os.getpid()}-{uuid.uuid4().hex[:8]}"
    scratch = Path(str(tmp) + ".staging")
    spill = Path(str(tmp) + ".spill")
    con = duckdb.connect(str(tmp))
    hashing = ThreadPoolExecutor(max_workers=1)
    try:
        # Bounded memory: DuckDB spills to disk past the limit; intermediate tables live in a
        # scratch database that is deleted at the end.
        con.execute(f"set memory_limit = '{MEMORY_LIMIT}'")
        # Row order is kept where it is needed (numbering CSV records), not in the tables,
        # which carry their source line: writing without it is faster and leaner.
        con.execute("set preserve_insertion_order = false")
        con.execute(f"set temp_directory = {_sql_text(spill)}")
        con.execute(f"attach {_sql_text(scratch)} as staging")
        hashes = {s.path: hashing.submit(_hash_file, s.path) for s in sources}
        create_contract_macros(con)
        write_thresholds(con)
        _empty_tables(con)
        present = {s.table.name for s in sources}
        for number, source in enumerate(sources, start=1):
            source.work_dir = db.parent
            began = time.perf_counter()
            say(f"[{number}/{len(sources)}] reading {source.path.name}")
            try:
                targets = STAGERS[source.format](con, source, mapping)
            except duckdb.Error as exc:
                raise BuildError(f"{source.path}: cannot be read ({_duckdb_reason(exc)})") from None
            say(f"[{number}/{len(sources)}] checking {source.table.name}")
            check_table(con, source, targets, build_date)
            loaded = con.execute(f"select count(*) from {source.table.name}").fetchone()[0]
            say(f"[{number}/{len(sources)}] {source.path.name}: {source.rows_read:,} rows read, "
                f"{loaded:,} loaded ({time.perf_counter() - began:.1f} s)")
        for table in contract.TABLES:
            if table.name not in present:
                _create_missing(con, table)
        if con.execute("select count(*) from episodes").fetchone()[0] == 0:
            episodes = next(s for s in sources if s.table.name == "episodes")
            raise BuildError(
                f"{episodes.path}: no valid episodes; expected at least one row with episode_id, "
                "client_id, level_of_care and admit_date that keeps the rules"
                + _top_reasons(con, "episodes")
            )
        as_of = compute_as_of(con)
        say(f"building the model for the as-of date {as_of}")
        try:
            build_model(con, as_of, queries, progress=say)
        except (duckdb.Error, QueryError) as exc:
            raise BuildError(f"the model could not be built: {_duckdb_reason(exc)}") from None
        for source in sources:
            source.size, source.sha256 = hashes[source.path].result()
        build_id = uuid.uuid4().hex
        _write_records(con, sources, build_id, as_of, build_date, queries)
        result = _result(con, db, build_id, as_of, sources, time.perf_counter() - started)
        con.execute("detach staging")
        con.execute("checkpoint")
        con.close()
        os.replace(tmp, db)
        return result
    except BaseException:
        try:
            con.close()
        finally:
            tmp.unlink(missing_ok=True)
            Path(str(tmp) + ".wal").unlink(missing_ok=True)
        raise
    finally:
        for leftover in (scratch, Path(str(scratch) + ".wal")):
            leftover.unlink(missing_ok=True)
        shutil.rmtree(spill, ignore_errors=True)
        hashing.shutdown(wait=False, cancel_futures=True)


def _duckdb_reason(exc: duckdb.Error) -> str:
    """DuckDB's error, first line only: its later lines may quote a row."""
    first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return re.sub(r"\s+", " ", first)[:200]


def _top_reasons(con: duckdb.DuckDBPyConnection, table: str) -> str:
    rows = con.execute(
        "select reason, count(*) from rejects where table_name = ? group by reason order by 2 desc limit 3",
        [table],
    ).fetchall()
    return "" if not rows else "; rejected rows: " + "; ".join(f"{r} ({n})" for r, n in rows)


def _write_records(con, sources, build_id, as_of, build_date, queries) -> None:
    con.execute("""
        create table build_info (
            build_id varchar, built_at timestamp, build_date date, as_of date,
            model_hash varchar, exports_folder varchar)""")
    con.execute(
        "insert into build_info values (?, ?, ?, ?, ?, ?)",
        [build_id, dt.datetime.now().replace(microsecond=0), build_date, as_of,
         model_hash(queries), str(sources[0].path.parent)],
    )
    con.execute("""
        create table source_files (
            table_name varchar, file_name varchar, format varchar, size_bytes bigint,
            sha256 varchar, modified_at timestamp, rows_read bigint, read_as varchar,
            columns_used varchar, columns_ignored varchar, notes varchar, load_order integer)""")
    for order, s in enumerate(sources, start=1):
        con.execute(
            "insert into source_files values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [s.table.name, s.path.name, s.format, s.size, s.sha256,
             dt.datetime.fromtimestamp(s.path.stat().st_mtime).replace(microsecond=0),
             s.rows_read, s.encoding + (f" (sheet {s.sheet})" if s.sheet else ""),
             ", ".join(f"{h} -> {c}" if contract.fold_header(h) != c else c for c, h in s.columns.items()),
             ", ".join(s.ignored), "; ".join(s.notes), order],
        )


def _result(con, db, build_id, as_of, sources, seconds) -> BuildResult:
    rows = con.execute("""
        with files as (select table_name, file_name, rows_read, load_order from source_files),
        dups as (select table_name, count(*) as n from duplicate_rows group by all),
        rej as (select table_name, count(distinct line) as n from rejects group by all)
        select f.table_name as "table", f.file_name as file, f.rows_read,
               coalesce(d.n, 0) as duplicates, coalesce(r.n, 0) as rejected
        from files f left join dups d using (table_name) left join rej r using (table_name)
        order by f.load_order
    """).fetchall()
    summary = [
        FileSummary(*row, con.execute(f"select count(*) from {row[0]}").fetchone()[0])
        for row in rows
    ]
    reasons = [ReasonCount(*row) for row in con.execute("""
        select table_name as "table", source_file as file, column_name as "column", reason,
               count(*) as rows
        from rejects group by all order by 1, rows desc""").fetchall()]
    flagged = []
    for table in contract.TABLES:
        for column in table.columns:
            if column.flag_above is None:
                continue
            count = con.execute(
                f"select count(*) from {table.name} where {column.name} > {int(column.flag_above)}"
            ).fetchone()[0]
            if count:
                flagged.append(f"{table.name}: {count:,} rows with {column.name} above "
                               f"{column.flag_above} ({column.description})")
    return BuildResult(db, build_id, as_of, seconds, sources, summary, reasons, flagged)


def main_build(exports: Path, db: Path) -> int:
    """The ``build`` command: progress on stderr, the summary on stdout; 0 or 2."""
    def progress(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    try:
        result = build(exports, db, progress=progress)
    except BuildError as exc:
        print(f"build failed: {exc}", file=sys.stderr)
        print("The previous database, if any, is unchanged.", file=sys.stderr)
        return 2
    print(result.report())
    return 0
