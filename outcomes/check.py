"""``python -m outcomes check``: is every query under queries/ fit to ship?

For every ``.sql`` file it checks, and prints one line per file (the problems under it):

1. **header**: the fields ``name``, ``title``, ``description``, ``params``, ``columns`` are
   there; the name is the file's name (a model file may put a number in front: ``10_name``);
   the declared parameters are exactly the ``$names`` the SQL uses; their types are DuckDB
   types; model files say ``-- materialize: table``, ``view`` or ``macro`` (and only model
   files do);
2. **run**: the query runs once on a database with representative parameters (the last 12
   complete months before the data's as-of date, focus 2.1, all programs and sites, retention
   days 30/60/90, and any other parameter as the page that runs it passes it, else a value of
   its type) and returns exactly the declared columns, in order. Macro files are parsed
   (their statements must be CREATE) and are built by ``outcomes build``. The database is a
   seeded demo built for the check from the same queries folder, or ``--db``;
3. **lint**: sqlfluff with the repository's ``.sqlfluff`` (DuckDB dialect, lower-case SQL,
   explicit aliases; ``$names`` stand in for typed literals while linting).

Exit status 0 when every file passes, 1 when any has a problem, 2 when the check cannot run
(no database at ``--db``). Also here, for the catalog page: which pages use which query.
"""

from __future__ import annotations

import ast
import datetime as dt
import re
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from . import config
from .definitions import DEFAULT_RETENTION_DAYS, INSTRUMENT_THRESHOLDS
from .filters import DEFAULT_FOCUS, DEFAULT_PRESET, preset_period
from .runner import (
    HEADER_FIELDS, Query, QueryError, parse_header, query_files, read_query, strip_comments_and_strings,
)

MODEL_FOLDER = "model"
MATERIALIZE = ("table", "view", "macro")
DEMO_CLIENTS, DEMO_SEED = 500, 42
RUN_SECONDS = 120.0  # a query that runs longer on the check's database is a problem
ROW_LIMIT = 100


@dataclass
class FileReport:
    path: Path
    label: str  # e.g. queries/metrics/admissions.sql
    name: str | None = None
    problems: list[str] = field(default_factory=list)
    outcome: str = ""  # what the run did, e.g. "1 row in 12 ms" or "macro: parsed"

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class Report:
    root: Path
    database: str
    parameters: dict
    lint: str
    files: list[FileReport]
    general: list[str] = field(default_factory=list)  # problems not tied to one file

    @property
    def problems(self) -> int:
        return len(self.general) + sum(len(f.problems) for f in self.files)

    @property
    def ok(self) -> bool:
        return self.problems == 0


# ---------------------------------------------------------------------------------------------
# Header
# ---------------------------------------------------------------------------------------------


def expected_name(path: Path) -> str:
    """The query name a file should declare: its stem, without a model file's number."""
    return re.sub(r"^\d+_", "", path.stem)


def check_header(path: Path, root: Path, report: FileReport) -> Query | None:
    """Header problems go on the report; returns the query when it could be read."""
    text = path.read_text(encoding="utf-8")
    header = parse_header(path, text)
    missing = [f for f in HEADER_FIELDS if f not in header]
    if missing:
        report.problems.append(f"header: lacks {', '.join(missing)} (every query starts with "
                               "-- name, title, description, params and columns lines)")
        return None
    try:
        query = read_query(path)
    except QueryError as exc:
        report.problems.append(f"header: {str(exc).replace(str(path) + ': ', '')}")
        return None
    report.name = query.name
    if query.name != expected_name(path):
        report.problems.append(f"header: name '{query.name}' does not match the file name "
                               f"'{path.name}' (expected '{expected_name(path)}')")
    for fld in ("title", "description"):
        if not header[fld].strip():
            report.problems.append(f"header: {fld} is empty")
    if not query.columns:
        report.problems.append("header: columns is empty")
    declared, used = set(query.param_names), used_params(query)
    for name in sorted(declared - used):
        report.problems.append(f"header: declares parameter ${name} but the SQL does not use it"
                               " (DuckDB refuses to bind it, so the query fails wherever it runs)")
    for name in sorted(used - declared):
        report.problems.append(f"header: the SQL uses ${name} but params does not declare it")
    seen = set()
    for param in query.params:
        if param.name in seen:
            report.problems.append(f"header: parameter ${param.name} is declared twice")
        seen.add(param.name)
        if not _is_type(param.type):
            report.problems.append(f"header: '{param.type}' (for ${param.name}) is not a DuckDB type")
    in_model = path.parent == root / MODEL_FOLDER
    if in_model and query.materialize not in MATERIALIZE:
        report.problems.append("header: model files say '-- materialize: table', 'view' or "
                               "'macro'")
    if not in_model and query.materialize is not None:
        report.problems.append("header: materialize only means something under queries/model")
    return query


def used_params(query: Query) -> set[str]:
    """The ``$names`` the SQL uses, as DuckDB's own parser finds them (comments and string
    literals cannot fool it). Falls back on the runner's scan when DuckDB cannot parse the
    file (the run then reports the parser's error)."""
    try:
        statements = duckdb.extract_statements(query.sql)
    except duckdb.Error:
        return query.used_params()
    return set().union(*(s.named_parameters for s in statements)) if statements else set()


def _is_type(text: str) -> bool:
    if not re.fullmatch(r"[a-z][a-z0-9_ ]*(\(\s*\d+\s*(,\s*\d+\s*)?\))?(\[\])*", text):
        return False
    con = duckdb.connect(":memory:")
    try:
        con.execute(f"select cast(null as {text})")
        return True
    except duckdb.Error:
        return False
    finally:
        con.close()


# ---------------------------------------------------------------------------------------------
# Running each query once
# ---------------------------------------------------------------------------------------------


def representative_values(as_of: dt.date) -> dict:
    """The parameters every query is run with: the default sidebar for the data's as-of date."""
    start, end = preset_period(DEFAULT_PRESET, as_of)
    return {
        "start_date": start, "end_date": end, "as_of": as_of, "focus": list(DEFAULT_FOCUS),
        "program": None, "site": None, "days": list(DEFAULT_RETENTION_DAYS), "row_limit": ROW_LIMIT,
        "instrument": INSTRUMENT_THRESHOLDS[0].instrument,  # PHQ-9, as the pages offer first
    }


def value_for(param, values: dict):
    """A known parameter's representative value, else one made from its type."""
    if param.name in values:
        return values[param.name]
    base = param.type.removesuffix("[]")
    if base in ("date", "timestamp"):
        scalar = values["start_date"]
    elif base in ("integer", "int", "bigint", "smallint", "tinyint", "hugeint", "ubigint", "uinteger"):
        scalar = 30
    elif base in ("double", "float", "real") or base.startswith("decimal"):
        scalar = 1.0
    elif base in ("boolean", "bool"):
        scalar = True
    else:
        scalar = None
    return [scalar] if param.is_list and scalar is not None else ([] if param.is_list else scalar)


def run_once(con: duckdb.DuckDBPyConnection, query: Query, values: dict, report: FileReport) -> None:
    from .workbench import Watchdog

    if query.materialize == "macro":
        try:
            statements = duckdb.extract_statements(query.sql)
        except duckdb.Error as exc:
            report.problems.append(f"run: {_first_line(exc)}")
            return
        kinds = {str(s.type).rsplit(".", 1)[-1] for s in statements}
        if not statements or kinds != {"CREATE"}:
            report.problems.append("run: a macro file holds only CREATE MACRO statements")
            return
        report.outcome = "macro: parsed; built by `outcomes build`"
        return
    # Bind what the SQL uses (a header that disagrees is a header problem, reported once).
    declared = {p.name: p for p in query.params}
    bound = {name: value_for(declared[name], values) if name in declared else values.get(name)
             for name in used_params(query)}
    cursor = con.cursor()
    started = time.perf_counter()
    try:
        with Watchdog(cursor, RUN_SECONDS) as watchdog:
            try:
                cursor.execute(query.sql, bound)
                rows = len(cursor.fetchall())
                columns = tuple(d[0] for d in cursor.description or ())
            except duckdb.Error as exc:
                if watchdog.fired:
                    report.problems.append(f"run: stopped after {RUN_SECONDS:g} s")
                else:
                    report.problems.append(f"run: {_first_line(exc)}")
                return
    finally:
        cursor.close()
    ms = (time.perf_counter() - started) * 1000
    report.outcome = f"{rows:,} row{'s' if rows != 1 else ''} in {ms:,.0f} ms"
    if columns != query.columns:
        report.problems.append("columns: declares " + ", ".join(query.columns) + "; the query "
                               "returns " + ", ".join(columns) + _column_diff(query.columns, columns))


def _column_diff(declared: tuple[str, ...], returned: tuple[str, ...]) -> str:
    extra = [c for c in returned if c not in declared]
    missing = [c for c in declared if c not in returned]
    bits = []
    if missing:
        bits.append("not returned: " + ", ".join(missing))
    if extra:
        bits.append("not declared: " + ", ".join(extra))
    if not bits:
        bits.append("same names, other order")
    return " (" + "; ".join(bits) + ")"


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


# ---------------------------------------------------------------------------------------------
# Lint
# ---------------------------------------------------------------------------------------------


def _placeholder(param) -> str:
    """A literal of the parameter's type, standing in for ``$name`` while sqlfluff parses."""
    base = param.type.removesuffix("[]")
    if base == "date":
        literal = "date '2024-01-01'"
    elif base in ("varchar", "text", "string"):
        literal = "'x'"
    elif base == "boolean":
        literal = "true"
    else:
        literal = "1"
    return f"[{literal}]" if param.is_list else literal


def lint_config(queries: list[Query]):
    """The repository's .sqlfluff, with a typed literal for every declared parameter that the
    file itself does not give a value for."""
    from sqlfluff.core import FluffConfig

    fluff = FluffConfig.from_path(str(config.ROOT))
    section = fluff.get_section(["templater", "placeholder"]) or {}
    for query in queries:
        for param in query.params:
            if param.name not in section:
                fluff.set_value(["templater", "placeholder", param.name], _placeholder(param))
                section[param.name] = True
    return fluff


def _describe(violation) -> str:
    """sqlfluff's description; a parse failure said in words an analyst can act on."""
    text = violation.desc()
    if violation.rule_code() == "PRS":
        found = re.search(r"Found unparsable section: (.+?)\. Expected", text, re.S)
        part = " ".join(found.group(1).split()) if found else "a section"
        return (f"sqlfluff cannot parse {part[:120]}. A keyword used as a name (rows, line, "
                "source...) is the usual cause: write that part another way.")
    return text


def lint(paths: list[Path], queries: list[Query], reports: dict[Path, FileReport]) -> str:
    """Lint every file; problems go on its report. Returns a line describing the linter."""
    try:
        import sqlfluff
        from sqlfluff.core import Linter
    except ImportError:
        for path in paths:
            reports[path].problems.append("lint: sqlfluff is not installed "
                                          "(pip install -r requirements-test.txt)")
        return "sqlfluff is not installed"
    fluff = lint_config(queries)
    linter = Linter(config=fluff)
    for path in paths:
        result = linter.lint_string(path.read_text(encoding="utf-8"), fname=str(path))
        for v in sorted(result.get_violations(), key=lambda v: (v.line_no, v.line_pos)):
            reports[path].problems.append(
                f"lint: line {v.line_no}, col {v.line_pos}: {v.rule_code()} {_describe(v)}")
    return (f"sqlfluff {sqlfluff.__version__}, dialect {fluff.get('dialect')}, "
            f"rules from {config.ROOT / '.sqlfluff'}")


# ---------------------------------------------------------------------------------------------
# The whole check
# ---------------------------------------------------------------------------------------------


def check(root: Path = config.QUERIES, db: Path | None = None, do_lint: bool = True,
          progress=None) -> Report:
    """Check every query file under ``root`` against ``db`` (None: a seeded demo database
    built for the check from ``root``'s model)."""
    say = progress or (lambda message: None)
    root = Path(root).resolve()
    paths = query_files(root)
    reports = {p: FileReport(p, _label(p, root)) for p in paths}
    queries: dict[Path, Query] = {}
    for path in paths:
        query = check_header(path, root, reports[path])
        if query is not None:
            queries[path] = query
    general: list[str] = []
    if not paths:
        general.append(f"no .sql files under {root}")
    names: dict[str, Path] = {}
    for path, query in queries.items():
        if query.name in names:
            reports[path].problems.append(f"header: name '{query.name}' is also used by "
                                          f"{reports[names[query.name]].label}")
        names.setdefault(query.name, path)

    with tempfile.TemporaryDirectory(prefix="outcomes-check-") as scratch:
        if db is None:
            say(f"Building a demo database ({DEMO_CLIENTS} made-up clients) for the check...")
            database, describe = _demo_database(Path(scratch), root, general)
        else:
            database, describe = Path(db), str(db)
        values: dict = {}
        if database is not None:
            con = duckdb.connect(str(database), read_only=True)
            try:
                as_of = con.execute("select as_of from model_as_of").fetchone()[0]
                values = representative_values(as_of)
                describe += f", as of {as_of}"
                extras = page_parameters()  # e.g. the topics the Workshops page passes
                for path, query in queries.items():
                    say(f"running {reports[path].label}")
                    run_once(con, query, {**values, **extras.get(query.name, {})}, reports[path])
            finally:
                con.close()
    lint_line = "lint skipped (--no-lint)"
    if do_lint and paths:
        say("linting with sqlfluff...")
        lint_line = lint(paths, list(queries.values()), reports)
    return Report(root=root, database=describe, parameters=values, lint=lint_line,
                  files=[reports[p] for p in paths], general=general)


def _label(path: Path, root: Path) -> str:
    return str(path.relative_to(root.parent))


def _demo_database(folder: Path, root: Path, general: list[str]) -> tuple[Path | None, str]:
    from .build import BuildError, build
    from .demo import generate

    generate(folder / "exports", clients=DEMO_CLIENTS, seed=DEMO_SEED)
    db = folder / "demo.duckdb"
    try:
        build(folder / "exports", db, queries=root)
    except (BuildError, QueryError) as exc:
        general.append(f"build: the demo database could not be built from this model: {exc}")
        return None, "none (the build failed)"
    return db, f"seeded demo ({DEMO_CLIENTS} made-up clients, seed {DEMO_SEED}) built for the check"


def format_report(report: Report) -> str:
    """The report as printed: one line per file, its problems under it, a summary last."""
    lines = [f"Checking {_count(len(report.files), 'query file')} under {report.root}",
             f"  database:   {report.database}"]
    if report.parameters:
        lines.append("  parameters: " + ", ".join(
            f"{k} {_show(v)}" for k, v in report.parameters.items()))
    lines.append(f"  lint:       {report.lint}")
    lines.append("")
    width = max([len(f.label) for f in report.files] + [20])
    for item in report.files:
        status = "ok" if item.ok else f"{len(item.problems)} problem{'s' if len(item.problems) != 1 else ''}"
        detail = f"  ({item.outcome})" if item.outcome else ""
        lines.append(f"{item.label:<{width}}  {status}{detail}")
        for problem in item.problems:
            lines.append(f"    - {problem}")
    for problem in report.general:
        lines.append(f"- {problem}")
    bad = sum(1 for f in report.files if not f.ok)
    lines.append("")
    if report.ok:
        lines.append(f"All {_count(len(report.files), 'query file')} pass.")
    else:
        lines.append(f"{_count(report.problems, 'problem')}: {bad} of "
                     f"{_count(len(report.files), 'query file')} need attention"
                     + (f", and {len(report.general)} more" if report.general else "") + ".")
    return "\n".join(lines)


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def _show(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, list):
        return "[" + ", ".join(str(v) for v in value) + "]"
    return str(value)


def main(queries: Path | None, db: Path | None, do_lint: bool = True) -> int:
    root = Path(queries) if queries else config.QUERIES
    if not root.is_dir():
        print(f"{root}: no such folder of queries", file=sys.stderr)
        return 2
    if db is not None and not Path(db).exists():
        print(f"{db}: no database there; build one (python -m outcomes build) or leave out "
              "--db to check against a demo database", file=sys.stderr)
        return 2
    report = check(root, db, do_lint, progress=lambda m: print(m, file=sys.stderr, flush=True))
    print(format_report(report))
    return 0 if report.ok else 1


# ---------------------------------------------------------------------------------------------
# Which pages use which query (for the catalog page)
# ---------------------------------------------------------------------------------------------


def _string_constants(path: Path) -> tuple[set[str], bool]:
    """The string literals in a Python file, and whether it calls ``kpis(...)``."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError):
        return set(), False
    strings = {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)}
    calls_kpis = any(
        isinstance(n, ast.Call) and (getattr(n.func, "attr", None) == "kpis" or getattr(n.func, "id", None) == "kpis")
        for n in ast.walk(tree)
    )
    return strings, calls_kpis


def query_usage(names: set[str], project: Path = config.ROOT) -> dict[str, list[str]]:
    """For each query name, where the product runs it: page titles (a page names the query in
    a string, or calls ``ui.kpis`` and so runs the headline queries), "the kpis command" (the
    queries in outcomes/kpis.py) and "the sidebar filters" (outcomes/ui.py)."""
    from . import navigation
    from .kpis import KPI_QUERIES

    titles = {p.file: p.title for p in navigation.PAGES}
    usage: dict[str, list[str]] = {name: [] for name in names}
    for page in sorted((project / "pages").glob("*.py"), key=lambda p: list(titles).index(p.name)
                       if p.name in titles else len(titles)):
        strings, calls_kpis = _string_constants(page)
        used = (strings & names) | (set(KPI_QUERIES) & names if calls_kpis else set())
        for name in used:
            usage[name].append(titles.get(page.name, page.name) + " page")
    ui_strings, _ = _string_constants(project / "outcomes" / "ui.py")
    for name in sorted(ui_strings & names):
        usage[name].append("the sidebar filters")
    for name in KPI_QUERIES:
        if name in usage:
            usage[name].append("the kpis command")
    return usage


def readers(queries: dict[str, Query]) -> dict[str, list[str]]:
    """For each model query (table or macro), the other queries whose SQL reads it by name."""
    found: dict[str, list[str]] = {name: [] for name, q in queries.items() if q.materialize}
    bodies = {name: strip_comments_and_strings(q.sql).lower() for name, q in queries.items()}
    for name in found:
        pattern = re.compile(rf"(?<![\w$.]){re.escape(name)}\b")
        for other, body in bodies.items():
            if other != name and pattern.search(body):
                found[name].append(other)
    return found


class _Unknown(Exception):
    pass


def _evaluate(node, constants: dict, depth: int = 0):
    """The value of a simple expression in a page: a literal, a list or dict of them, a
    definitions constant (``D.WORKSHOP_TOPICS``), a module-level name bound to one of those,
    or ``list(...)``/``tuple(...)`` of one. Anything else is unknown."""
    from . import definitions

    if depth > 5:
        raise _Unknown
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, (ast.List, ast.Tuple)):
        return [_evaluate(e, constants, depth + 1) for e in node.elts]
    if isinstance(node, ast.Dict) and all(k is not None for k in node.keys):
        return {_evaluate(k, constants, depth + 1): _evaluate(v, constants, depth + 1)
                for k, v in zip(node.keys, node.values)}
    if isinstance(node, ast.Name) and node.id in constants:
        return _evaluate(constants[node.id], constants, depth + 1)
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
            and hasattr(definitions, node.attr) and node.attr.isupper():
        value = getattr(definitions, node.attr)
        if isinstance(value, (int, float, str, tuple, list)):
            return list(value) if isinstance(value, tuple) else value
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
            and node.func.id in ("list", "tuple", "sorted") and len(node.args) == 1 and not node.keywords:
        return list(_evaluate(node.args[0], constants, depth + 1))
    raise _Unknown


def page_parameters(project: Path = config.ROOT) -> dict[str, dict]:
    """For each query a page runs with extra parameters (``ui.run("workshop_topics", filters,
    topics=list(D.WORKSHOP_TOPICS))``), the values the page passes, where they can be read
    from the page's source without running it. The catalog prefills its forms with them and
    the check runs the query with them."""
    found: dict[str, dict] = {}
    for page in sorted((project / "pages").glob("*.py")):
        try:
            tree = ast.parse(page.read_text(encoding="utf-8"))
        except (OSError, SyntaxError):
            continue
        constants = {node.targets[0].id: node.value for node in tree.body
                     if isinstance(node, ast.Assign) and len(node.targets) == 1
                     and isinstance(node.targets[0], ast.Name)}
        for call in ast.walk(tree):
            if not (isinstance(call, ast.Call) and getattr(call.func, "attr", getattr(call.func, "id", None)) == "run"
                    and call.args and isinstance(call.args[0], ast.Constant)
                    and isinstance(call.args[0].value, str)):
                continue
            params = found.setdefault(call.args[0].value, {})
            for keyword in call.keywords:
                try:
                    value = _evaluate(keyword.value, constants)
                except _Unknown:
                    continue
                if keyword.arg is None and isinstance(value, dict):
                    for key, item in value.items():
                        params.setdefault(str(key), item)
                elif keyword.arg is not None:
                    params.setdefault(keyword.arg, value)
    return {name: params for name, params in found.items() if params}
