"""The command line: ``python -m outcomes build | kpis | demo | report | bench | check``.

Every command finds the database and the exports the same way (``--db`` / ``OUTCOMES_DB``,
``--exports`` / ``OUTCOMES_EXPORTS``; see outcomes.config). Exit status: 0 on success, 2 when
the input is wrong (a build that cannot go on, a bad argument), 1 when a check fails.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys

from . import config


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date; expected YYYY-MM-DD") from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m outcomes", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    build = commands.add_parser("build", help="build the database from a folder of exports")
    build.add_argument("--exports", help="folder of exports (default $OUTCOMES_EXPORTS or the demo)")
    build.add_argument("--db", help="database file (default $OUTCOMES_DB or data/outcomes.duckdb)")

    kpis = commands.add_parser("kpis", help="print the metrics of a period (SPEC section 4)")
    kpis.add_argument("--db", help="database file (default $OUTCOMES_DB or data/outcomes.duckdb)")
    kpis.add_argument("--start", type=_date, required=True, help="first day of the period")
    kpis.add_argument("--end", type=_date, required=True, help="last day of the period")
    kpis.add_argument("--as-of", type=_date, help="see the data as known that day (default: the build's)")
    kpis.add_argument("--focus", default="2.1", help="focus levels, e.g. 2.1 or 2.1,2.5")
    kpis.add_argument("--retention-days", default="30,60,90", help="e.g. 30,60,90")
    kpis.add_argument("--program", help="only this program")
    kpis.add_argument("--site", help="only this site")
    kpis.add_argument("--json", action="store_true", help="print one JSON object")

    demo = commands.add_parser("demo", help="generate demo exports (seeded)")
    demo.add_argument("--out", help="folder to write (default: the demo exports folder)")
    demo.add_argument("--clients", type=int, default=config.DEMO_CLIENTS)
    demo.add_argument("--seed", type=int, default=config.DEMO_SEED)
    demo.add_argument("--start", type=_date, default=dt.date(2024, 5, 1))
    demo.add_argument("--months", type=int, default=30)
    demo.add_argument("--format", choices=("auto", "csv", "parquet"), default="auto")
    demo.add_argument("--build", action="store_true", help="then build the database from it")
    demo.add_argument("--db", help="database file for --build")

    bench = commands.add_parser("bench", help="measure build, kpis, pages and the browser at scale")
    bench.add_argument("--clients", type=int, default=100_000,
                       help="demo clients to generate (default 100000: about 10 million attendance rows)")
    bench.add_argument("--repeat", type=int, default=3, help="runs per measurement (the median is kept)")
    bench.add_argument("--json", action="store_true", help="print one JSON object")
    bench.add_argument("--work", help="folder for the exports and databases (default data/bench/<N>)")
    bench.add_argument("--skip-browser", action="store_true", help="do not serve the app in Chromium")

    check = commands.add_parser("check", help="check every query: header, columns, one run, lint")
    check.add_argument("--queries", help="folder of queries to check (default: queries/)")
    check.add_argument("--db", help="database to run them on (default: a seeded demo database "
                                    "built for the check)")
    check.add_argument("--no-lint", action="store_true", help="skip sqlfluff")

    report = commands.add_parser("report", help="render the board summary to PDF and PNG (board pack)")
    report.add_argument("--db", help="database file (default $OUTCOMES_DB or data/outcomes.duckdb)")
    report.add_argument("--out", default=str(config.ROOT / "artifacts" / "report"),
                        help="folder to write board.pdf, board.png, board.html and one PNG per chart")
    report.add_argument("--start", type=_date, help="first day of the period (default: the last 12 "
                                                    "complete months before the as-of date)")
    report.add_argument("--end", type=_date, help="last day of the period")
    report.add_argument("--as-of", type=_date, help="see the data as known that day (default: the build's)")
    report.add_argument("--focus", default="2.1", help="focus levels, e.g. 2.1 or 2.1,2.5")
    report.add_argument("--program", help="only this program")
    report.add_argument("--site", help="only this site")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == "build":
        from .build import main_build

        return main_build(config.exports_path(args.exports), config.db_path(args.db))
    if args.command == "kpis":
        return _kpis(parser, args)
    if args.command == "check":
        from .check import main as main_check

        from pathlib import Path

        return main_check(Path(args.queries).expanduser().resolve() if args.queries else None,
                          config.db_path(args.db) if args.db else None, not args.no_lint)
    if args.command == "bench":
        from pathlib import Path

        from .bench import main as main_bench

        return main_bench(args.clients, args.repeat, args.json,
                          Path(args.work).expanduser().resolve() if args.work else None,
                          args.skip_browser)
    if args.command == "report":
        from pathlib import Path

        from .filters import parse_focus
        from .report import main as main_report

        try:
            focus = parse_focus(args.focus)
        except ValueError as exc:
            parser.error(str(exc))
        return main_report(config.db_path(args.db), Path(args.out).expanduser().resolve(), args.start,
                           args.end, args.as_of, focus, args.program, args.site)
    if args.command == "demo":
        from .demo import generate

        out = config.exports_path(args.out) if args.out else config.DEMO_EXPORTS
        counts = generate(out, clients=args.clients, seed=args.seed, start=args.start,
                          months=args.months, fmt=args.format,
                          progress=lambda m: print(m, file=sys.stderr, flush=True))
        print(f"Wrote demo exports to {out}: " + ", ".join(f"{t} {n:,}" for t, n in counts.items()))
        if args.build:
            from .build import main_build

            return main_build(out, config.db_path(args.db))
        return 0
    parser.error(f"unknown command {args.command}")
    return 2


def _kpis(parser: argparse.ArgumentParser, args) -> int:
    from .db import NoDatabase, open_as_of
    from .filters import Filters, parse_days, parse_focus
    from .kpis import kpis, to_json, to_table

    # argparse drops a value that is exactly "--" (it reads it as "end of options") and leaves
    # an empty list: that value was "--", and a filter on it must match nothing, not everything.
    for name in ("program", "site"):
        if isinstance(getattr(args, name), list):
            setattr(args, name, "--")
    try:
        filters = Filters(
            start=args.start, end=args.end, focus=parse_focus(args.focus),
            program=args.program, site=args.site, retention_days=parse_days(args.retention_days),
        )
    except ValueError as exc:
        parser.error(str(exc))
    if filters.end < filters.start:
        parser.error(f"--end {filters.end} is before --start {filters.start}")
    try:
        con = open_as_of(config.db_path(args.db), args.as_of)
    except NoDatabase as exc:
        print(exc, file=sys.stderr)
        return 2
    values = kpis(con, filters)
    print(to_json(values) if args.json else to_table(values, filters))
    return 0
