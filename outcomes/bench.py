"""The benchmark: ``python -m outcomes bench [--clients N] [--repeat K] [--json] [--work DIR]
[--skip-browser]`` (issue 9).

It generates seeded demo exports of N clients (``outcomes.demo.generate``; Parquet from 10,000
clients; kept under ``data/bench/<N>/exports`` and reused when present), then measures in one
run, on this machine:

- **build**: ``python -m outcomes build`` in a child process: wall time, rows read per second,
  peak memory (the RSS of the process tree sampled every 50 ms, and the kernel's ru_maxrss of
  the build process; the larger is reported) and the database size; beside it the floor, the
  time for DuckDB, in a child process too, to read the same files into plain tables in a
  fresh database file, with no checks (``create table t as select * from read_parquet(...)``
  / ``read_csv(...)``). Each K times, alternating floor and build (this VM's speed drifts by
  a third over minutes, and both should see the same drift): medians, samples in the JSON;
- **kpis**: the full ``kpis`` set (outcomes.kpis.kpis) for the 12 months ending at the as-of
  date on a warm read-only connection (one untimed run first), median of K; beside it the
  pandas peer (outcomes.pandas_peer) over the same exports, files loaded on every run as an
  analyst would, median of K, the ratio pandas / SQL, and whether both gave the same numbers;
  and the floor of a bare DuckDB scan (``select sum(duration_minutes) from attendance``);
- **pages**: for every page of outcomes.navigation.PAGES whose file exists, the queries it runs
  for the default 12-month view. They are found by running the page once through Streamlit's
  AppTest in a child process with ``ui.run`` wrapped to note each call's name and bound
  parameters (so the list is what the page really runs, including the previous period, the
  sidebar's query and loops over query results; it cannot rot). Then K new processes each open
  the database and run that page's distinct calls through outcomes.runner, as the page does
  through its cache (keyed by SQL text + parameters + build id, pickled as st.cache_data
  does): ``cold_seconds`` is that first run in a new process (empty cache; the operating
  system's file cache is warm), ``warm_seconds`` the same calls again (answered by the cache,
  as a revisit of the same view is), and ``recompute_seconds`` the calls once more with the
  cache bypassed (DuckDB warm: what a view with new filter values costs). Medians of K;
- **browser** (unless ``--skip-browser``): the app served on the benchmark database
  (outcomes.browser.serve) and Debian's Chromium: seconds from navigation until the page is
  fully drawn (outcomes.browser.DRAWN, held for 300 ms; the pause is not counted). ``cold`` is
  the first visit of each page after the server started (in menu order, so a page finds in the
  cache what earlier pages ran with the same parameters), ``warm`` the median of K later
  visits; then ``server_rss_mb``, the server's RSS after every page was visited.

The targets of issue 9 at ten million attendance rows are checked and reported as met or
missed; missing one does not make the command fail (exit status 0; 2 for bad arguments).
Progress goes to stderr, the table (or with ``--json`` one JSON object) to stdout.

This module does not import Streamlit: the page recording runs in a child process
(``python -m outcomes.bench record ...``), like the timing of pages (``... run-page ...``).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

from . import config

DEFAULT_CLIENTS = 100_000
DEFAULT_REPEAT = 3
SEED = config.DEMO_SEED
TABLES = ("clients", "episodes", "attendance", "assessments", "relapse_events")
MB = 1024 * 1024

# Issue 9's targets at ten million attendance rows on the 2-core machine.
TARGET_PANDAS_RATIO = 5.0  # kpis at least 5x faster than the pandas peer
TARGET_BUILD_FLOOR_RATIO = 3.0  # build at most 3x the no-checks floor
TARGET_BUILD_RSS_MB = 2048.0  # peak memory under 2 GB
TARGET_PAGE_WARM = 1.0  # every page's queries under 1 s warm
TARGET_PAGE_COLD = 3.0  # ... and 3 s cold
TARGET_BROWSER_WARM = 3.0  # every page fully drawn within 3 s warm
TARGET_SERVER_RSS_MB = 1024.0  # the server's memory after every page under 1 GB


def say(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def median(values: list[float]) -> float:
    return float(statistics.median(values))


def child_env(**extra: str) -> dict:
    env = {**os.environ, **extra}
    env["PYTHONPATH"] = str(config.ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


# ---------------------------------------------------------------------------------------------
# Exports
# ---------------------------------------------------------------------------------------------


def export_files(folder: Path) -> dict[str, Path]:
    found = {}
    for table in TABLES:
        for ext in ("parquet", "csv"):
            if (folder / f"{table}.{ext}").exists():
                found[table] = folder / f"{table}.{ext}"
    return found


def ensure_exports(work: Path, clients: int) -> tuple[Path, dict, float | None]:
    """The demo exports of ``clients`` clients under ``work/exports``: reused when a previous
    run generated them with the same size and seed (``work/generated.json``), else generated.
    Returns (folder, rows per table, seconds spent generating or None when reused)."""
    from .demo import generate

    folder = work / "exports"
    manifest = work / "generated.json"
    if manifest.exists():
        try:
            known = json.loads(manifest.read_text())
        except (OSError, ValueError):
            known = {}
        if (known.get("clients") == clients and known.get("seed") == SEED
                and set(export_files(folder)) == set(TABLES)):
            say(f"reusing the exports in {folder}")
            return folder, known["rows"], None
    say(f"generating demo exports for {clients:,} clients into {folder}")
    manifest.unlink(missing_ok=True)
    started = time.perf_counter()
    rows = generate(folder, clients=clients, seed=SEED, progress=say)
    seconds = time.perf_counter() - started
    manifest.write_text(json.dumps({"clients": clients, "seed": SEED, "rows": rows}))
    return folder, rows, seconds


# ---------------------------------------------------------------------------------------------
# Build and its floor
# ---------------------------------------------------------------------------------------------


def _tree_rss(process) -> int:
    import psutil

    total = 0
    for proc in [process, *process.children(recursive=True)]:
        try:
            total += proc.memory_info().rss
        except psutil.Error:
            pass
    return total


def measure_build(exports: Path, db: Path, log: Path) -> dict:
    """``python -m outcomes build`` in a child process; wall time and peak RSS."""
    import psutil

    db.unlink(missing_ok=True)
    with log.open("w") as out:
        started = time.perf_counter()
        child = subprocess.Popen(
            [sys.executable, "-m", "outcomes", "build", "--exports", str(exports), "--db", str(db)],
            cwd=config.ROOT, env=child_env(), stdout=out, stderr=subprocess.STDOUT)
        watched = psutil.Process(child.pid)
        peak = [0]
        done = threading.Event()

        def sample():
            while not done.is_set():
                try:
                    peak[0] = max(peak[0], _tree_rss(watched))
                except psutil.Error:
                    pass
                done.wait(0.05)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _pid, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
        done.set()
        sampler.join()
        child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise RuntimeError(f"the build failed (exit {child.returncode}); see {log}")
    maxrss = usage.ru_maxrss * 1024  # kilobytes on Linux
    return {"seconds": seconds, "peak_rss_mb": max(peak[0], maxrss) / MB,
            "sampled_rss_mb": peak[0] / MB, "maxrss_mb": maxrss / MB,
            "db_size_mb": db.stat().st_size / MB}


FLOOR_SCRIPT = """
import sys, duckdb
con = duckdb.connect(sys.argv[1])
for table, file in zip(sys.argv[2::2], sys.argv[3::2]):
    reader = "read_parquet" if file.endswith(".parquet") else "read_csv"
    con.execute(f"create table {table} as select * from {reader}($path)", {"path": file})
con.execute("checkpoint")
con.close()
"""


def measure_build_floor(exports: Path, work: Path) -> float:
    """DuckDB reading the same files into plain tables in a fresh database file: no checks,
    no model (the floor a build cannot beat). Like the build, a new Python process: both
    pay for starting Python and importing DuckDB."""
    path = work / "floor.duckdb"
    path.unlink(missing_ok=True)
    files = [str(part) for table, file in export_files(exports).items() for part in (table, file)]
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", FLOOR_SCRIPT, str(path), *files],
                   cwd=config.ROOT, env=child_env(), check=True, capture_output=True)
    seconds = time.perf_counter() - started
    path.unlink(missing_ok=True)
    Path(str(path) + ".wal").unlink(missing_ok=True)
    return seconds


def measure_build_and_floor(exports: Path, db: Path, log: Path, repeat: int) -> dict:
    """The build and its floor, each ``repeat`` times, one after the other (floor, build,
    floor, build...), so a slow spell of the machine slows both: medians of each, every
    sample kept, peak memory the largest of the builds."""
    floors, builds = [], []
    for _ in range(repeat):
        floors.append(measure_build_floor(exports, db.parent))
        builds.append(measure_build(exports, db, log))
    return {"seconds": statistics.median(b["seconds"] for b in builds),
            "floor_seconds": statistics.median(floors),
            "samples": [b["seconds"] for b in builds], "floor_samples": floors,
            "peak_rss_mb": max(b["peak_rss_mb"] for b in builds),
            "db_size_mb": builds[-1]["db_size_mb"]}


# ---------------------------------------------------------------------------------------------
# kpis, the pandas peer and the scan floor
# ---------------------------------------------------------------------------------------------


def twelve_months_to(as_of: dt.date) -> tuple[dt.date, dt.date]:
    """The 12 months ending at the as-of date: (the day after as-of, a year earlier) .. as-of."""
    after = as_of + dt.timedelta(days=1)
    try:
        start = after.replace(year=after.year - 1)
    except ValueError:  # 29 February
        start = after.replace(year=after.year - 1, day=28) + dt.timedelta(days=1)
    return start, as_of


def measure_kpis(db: Path, filters, repeat: int) -> tuple[float, dict, float]:
    """Median seconds of ``kpis`` on a warm connection, its values, and the scan floor."""
    from . import db as database
    from .kpis import kpis

    con = database.connect(db)
    try:
        values = kpis(con, filters)  # warm-up: not timed
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            values = kpis(con, filters)
            times.append(time.perf_counter() - started)
        con.execute("select sum(duration_minutes) from attendance").fetchall()
        scans = []
        for _ in range(repeat):
            started = time.perf_counter()
            con.execute("select sum(duration_minutes) from attendance").fetchall()
            scans.append(time.perf_counter() - started)
    finally:
        con.close()
    return median(times), values, median(scans)


def compare(sql: dict, peer: dict) -> list[str]:
    """The keys on which the pandas peer differs from the SQL (exact for counts and the
    numerators and denominators; 1e-9 for rates)."""
    differ = []
    for key, value in sql.items():
        if key == "detail":
            continue
        other = peer.get(key, "missing")
        if isinstance(value, float) and isinstance(other, float):
            if abs(value - other) > 1e-9:
                differ.append(key)
        elif value != other:
            differ.append(key)
    for key, value in sql.get("detail", {}).items():
        if peer.get("detail", {}).get(key) != value:
            differ.append(f"detail.{key}")
    return differ


def measure_pandas(exports: Path, filters, repeat: int) -> dict:
    """Median seconds of the pandas peer, loading the files on every run."""
    import gc

    from . import pandas_peer

    runs = []
    values = None
    for _ in range(repeat):
        started = time.perf_counter()
        data = pandas_peer.load(exports)
        loaded = time.perf_counter()
        values = pandas_peer.kpis(data, filters)
        finished = time.perf_counter()
        runs.append((finished - started, loaded - started, finished - loaded))
        del data
        gc.collect()
    runs.sort()
    total, load, compute = runs[len(runs) // 2]  # the median run (K odd; the upper middle else)
    return {"seconds": median([r[0] for r in runs]), "load_seconds": load,
            "compute_seconds": compute, "values": values}


# ---------------------------------------------------------------------------------------------
# Pages: the queries each runs (recorded through AppTest), timed cold and warm in new processes
# ---------------------------------------------------------------------------------------------


def _jsonable(value):
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    return value


def record_pages(db: Path, out: Path) -> None:
    """(Child process.) Run every page once through AppTest with ``ui.run`` wrapped, and write
    {page file: {"calls": [[name, params, sql, types], ...], "exceptions": [...], "errors": [...]}}
    (the SQL text as it was then: an analyst editing a file meanwhile does not change the run)."""
    from streamlit.testing.v1 import AppTest

    from . import navigation, ui
    from .runner import get_query

    os.environ["OUTCOMES_DB"] = str(db)
    os.environ.pop("OUTCOMES_TEST_ROLE", None)
    calls: list = []
    original = ui.run

    def recording(name, filters=None, params=None, **extra):
        try:  # what ui.run hands to its cached runner: the SQL text and the bound parameters
            query = get_query(name)
            values = {**(filters.params() if filters else {}), **(params or {}), **extra}
            calls.append([name, _jsonable(query.bind(values)), query.sql,
                          {p.name: p.type for p in query.params}])
        except Exception:  # the page's own ui.run reports it
            pass
        return original(name, filters, params, **extra)

    ui.run = recording
    result = {}
    for spec in navigation.available(list(navigation.PAGES)):
        calls.clear()
        at = AppTest.from_file(str(config.ROOT / "dashboard.py"), default_timeout=1800)
        at.switch_page(f"pages/{spec.file}").run()
        result[spec.file] = {
            "calls": list(calls),
            "exceptions": [str(e.value)[:300] for e in at.exception],
            "errors": [str(e.value)[:300] for e in at.error],
        }
    out.write_text(json.dumps(result))


def distinct_calls(calls: list) -> list:
    """The calls in first-run order without repeats (the page's cache runs each once)."""
    seen, result = set(), []
    for call in calls:
        key = json.dumps(call[:2], sort_keys=True)
        if key not in seen:
            seen.add(key)
            result.append(call)
    return result


def run_page(db: Path, calls_file: Path) -> None:
    """(Child process.) Open the database and run a page's calls the way ui.run does: a
    cursor of the read-only connection, the SQL text, the bound parameters, a DataFrame kept
    in a results cache keyed by SQL text + parameters + build id (st.cache_data pickles what it
    keeps; so does this). cold = the first pass (empty cache, new process); warm = the same
    calls again (answered by the cache, as a revisit of the same view is); recompute = the
    same calls once more with the cache bypassed (DuckDB warm: what a new filter value
    costs). Prints {"cold_seconds", "warm_seconds", "recompute_seconds", "queries": [[name,
    cold, recompute], ...]}."""
    import pickle

    import pandas  # noqa: F401  the server has it loaded before any page runs: not a query's cost

    from . import db as database

    calls = []
    for name, params, sql, types in json.loads(calls_file.read_text()):
        bound = {key: dt.date.fromisoformat(value) if types.get(key) == "date" and isinstance(value, str)
                 else value for key, value in params.items()}
        calls.append((name, sql, bound))

    def query(con, sql, bound):
        cursor = con.cursor()
        try:
            return cursor.execute(sql, bound).df()
        finally:
            cursor.close()

    cache: dict[str, bytes] = {}

    def cached(con, build_id, sql, bound):
        key = json.dumps([sql, bound, build_id], sort_keys=True, default=str)
        if key not in cache:
            cache[key] = pickle.dumps(query(con, sql, bound))
        return pickle.loads(cache[key])

    timings = []
    started = time.perf_counter()
    con = database.connect(db)
    build_id = database.build_info(con).build_id
    for name, sql, bound in calls:
        began = time.perf_counter()
        cached(con, build_id, sql, bound)
        timings.append([name, time.perf_counter() - began])
    cold = time.perf_counter() - started
    started = time.perf_counter()
    for name, sql, bound in calls:
        cached(con, build_id, sql, bound)
    warm = time.perf_counter() - started
    started = time.perf_counter()
    for index, (name, sql, bound) in enumerate(calls):
        began = time.perf_counter()
        query(con, sql, bound)
        timings[index].append(time.perf_counter() - began)
    recompute = time.perf_counter() - started
    con.close()
    print(json.dumps({"cold_seconds": cold, "warm_seconds": warm, "recompute_seconds": recompute,
                      "queries": timings}))


def measure_pages(db: Path, work: Path, repeat: int) -> dict:
    from . import navigation

    recorded = work / "page-calls.json"
    recorded.unlink(missing_ok=True)
    say("recording the queries of every page (AppTest)")
    with (work / "record.log").open("w") as log:
        done = subprocess.run([sys.executable, "-m", "outcomes.bench", "record", str(db), str(recorded)],
                              cwd=config.ROOT, env=child_env(), stdout=log, stderr=subprocess.STDOUT)
    if done.returncode != 0 or not recorded.exists():
        say(f"recording the pages failed; see {work / 'record.log'}")
        return {}
    pages = json.loads(recorded.read_text())
    result = {}
    for spec in navigation.PAGES:
        if spec.file not in pages:
            continue
        info = pages[spec.file]
        calls = distinct_calls(info["calls"])
        calls_file = work / f"calls-{spec.url_path}.json"
        calls_file.write_text(json.dumps(calls))
        runs, failed = [], None
        for _ in range(repeat):
            done = subprocess.run(
                [sys.executable, "-m", "outcomes.bench", "run-page", str(db), str(calls_file)],
                cwd=config.ROOT, env=child_env(), capture_output=True, text=True)
            if done.returncode != 0:
                failed = (done.stderr.strip().splitlines() or ["failed"])[-1][:300]
                break
            runs.append(json.loads(done.stdout))
        if failed:  # reported with the page; its times are null (the targets count as missed)
            say(f"page {spec.url_path}: timing failed: {failed}")
            info["errors"].append(f"timing failed: {failed}")
            runs = []
        per_query: dict[str, list[float]] = {}
        for run in runs:
            for name, cold, _warm in run["queries"]:
                per_query.setdefault(name, []).append(cold)
        # a query run several times by a page (two periods...) adds up within a run
        totals = {name: sum(times) / len(runs) for name, times in per_query.items()}
        slowest = sorted(totals.items(), key=lambda item: -item[1])[:3]
        result[spec.url_path] = {
            "cold_seconds": median([r["cold_seconds"] for r in runs]) if runs else None,
            "warm_seconds": median([r["warm_seconds"] for r in runs]) if runs else None,
            "recompute_seconds": median([r["recompute_seconds"] for r in runs]) if runs else None,
            "queries": len(calls),
            "calls": len(info["calls"]),
            "slowest": [{"query": name, "cold_seconds": seconds} for name, seconds in slowest],
            "problems": info["exceptions"] + info["errors"],
        }
        if runs:
            say(f"page {spec.url_path}: {len(calls)} queries, cold {result[spec.url_path]['cold_seconds']:.2f} s, "
                f"warm {result[spec.url_path]['warm_seconds']:.2f} s, "
                f"recompute {result[spec.url_path]['recompute_seconds']:.2f} s")
    return result


# ---------------------------------------------------------------------------------------------
# The served app in Chromium
# ---------------------------------------------------------------------------------------------


def _time_drawn(page, url: str, timeout_ms: int = 600_000) -> float:
    """Seconds from navigation until the page is fully drawn (browser.DRAWN true and still true
    300 ms later; the 300 ms are not counted)."""
    from . import browser

    started = time.perf_counter()
    page.goto(url, timeout=timeout_ms)
    page.wait_for_selector('[data-testid="stApp"]', timeout=timeout_ms)
    while True:
        page.wait_for_function(browser.DRAWN, timeout=timeout_ms, polling=50)
        drawn = time.perf_counter() - started
        page.wait_for_timeout(300)
        if page.evaluate(browser.DRAWN):
            return drawn


def _server_process(base_url: str):
    """The Streamlit server this process started for ``base_url`` (a child of ours)."""
    import psutil

    port = base_url.rsplit(":", 1)[-1]
    for proc in psutil.Process().children(recursive=True):
        try:
            command = proc.cmdline()
            if "streamlit" in " ".join(command) and port in command:
                return proc
        except psutil.Error:
            continue
    return None


def measure_browser(db: Path, work: Path, repeat: int) -> tuple[dict, float | None, dict]:
    """(pages {url_path: {cold_seconds, warm_seconds}}, server RSS in MB, problems)."""
    from playwright.sync_api import sync_playwright

    from . import browser, navigation

    specs = navigation.available(list(navigation.PAGES))
    result, problems = {}, {}
    with browser.serve(db, log=work / "server.log") as base:
        server = _server_process(base)
        with sync_playwright() as playwright:
            chromium = browser.launch(playwright)
            context = chromium.new_context(viewport={"width": 1440, "height": 1000})
            page = context.new_page()
            urls = {s.url_path: base + ("/" if s.default else f"/{s.url_path}") for s in specs}
            for spec in specs:
                cold = _time_drawn(page, urls[spec.url_path])
                result[spec.url_path] = {"cold_seconds": cold, "warm": []}
                found = browser.exceptions(page)
                if found:
                    problems[spec.url_path] = [text[:300] for text in found]
                say(f"browser {spec.url_path}: cold {cold:.2f} s")
            for _ in range(repeat):
                for spec in specs:
                    result[spec.url_path]["warm"].append(_time_drawn(page, urls[spec.url_path]))
            context.close()
            chromium.close()
        rss = None
        if server is not None:
            import psutil

            try:
                rss = _tree_rss(server) / MB
            except psutil.Error:
                rss = None
    for values in result.values():
        values["warm_seconds"] = median(values.pop("warm"))
    return result, rss, problems


# ---------------------------------------------------------------------------------------------
# The whole run
# ---------------------------------------------------------------------------------------------


def machine() -> dict:
    import duckdb
    import pandas as pd
    import psutil

    return {
        "cpus": os.cpu_count(), "memory_gb": round(psutil.virtual_memory().total / 1024 ** 3, 1),
        "platform": platform.platform(), "python": platform.python_version(),
        "duckdb": duckdb.__version__, "pandas": pd.__version__,
    }


def targets(result: dict) -> dict:
    """Issue 9's targets: {name: {"target", "value", "met"}} (value None: not measured)."""

    def check(value, met, target):
        shown = None if value is None or value == float("inf") else value
        return {"target": target, "value": shown, "met": None if value is None else bool(met)}

    def worst(pages: dict, key: str):
        """The slowest page; infinity when a page could not be timed (not met)."""
        values = [p[key] for p in pages.values()]
        return max((float("inf") if v is None else v for v in values), default=None)

    pages, browser_pages = result["pages"], result.get("browser") or {}
    worst_warm, worst_cold = worst(pages, "warm_seconds"), worst(pages, "cold_seconds")
    worst_drawn = worst(browser_pages, "warm_seconds")
    ratio = result["build_seconds"] / result["build_floor_seconds"]
    rss = result.get("server_rss_mb")
    return {
        "kpis_vs_pandas": check(result["pandas_ratio"], result["pandas_ratio"] >= TARGET_PANDAS_RATIO,
                                f"pandas / kpis >= {TARGET_PANDAS_RATIO:g}"),
        "build_vs_floor": check(ratio, ratio <= TARGET_BUILD_FLOOR_RATIO,
                                f"build / floor <= {TARGET_BUILD_FLOOR_RATIO:g}"),
        "build_peak_rss": check(result["build_peak_rss_mb"],
                                result["build_peak_rss_mb"] < TARGET_BUILD_RSS_MB,
                                f"< {TARGET_BUILD_RSS_MB:g} MB"),
        "pages_warm": check(worst_warm, worst_warm is not None and worst_warm < TARGET_PAGE_WARM,
                            f"every page < {TARGET_PAGE_WARM:g} s warm"),
        "pages_cold": check(worst_cold, worst_cold is not None and worst_cold < TARGET_PAGE_COLD,
                            f"every page < {TARGET_PAGE_COLD:g} s cold"),
        "browser_warm": check(worst_drawn, worst_drawn is not None and worst_drawn <= TARGET_BROWSER_WARM,
                              f"every page drawn <= {TARGET_BROWSER_WARM:g} s warm"),
        "server_rss": check(rss, rss is not None and rss < TARGET_SERVER_RSS_MB,
                            f"< {TARGET_SERVER_RSS_MB:g} MB"),
    }


def run_benchmark(clients: int = DEFAULT_CLIENTS, repeat: int = DEFAULT_REPEAT,
                  work: Path | None = None, skip_browser: bool = False) -> dict:
    """Everything the command measures, as the JSON object it prints."""
    from . import db as database
    from .filters import Filters

    work = Path(work) if work else config.ROOT / "data" / "bench" / str(clients)
    work.mkdir(parents=True, exist_ok=True)
    load_start = os.getloadavg()
    exports, rows, generated = ensure_exports(work, clients)
    db = work / "bench.duckdb"

    say(f"building the database (python -m outcomes build) and the no-checks floor, {repeat} times each")
    build = measure_build_and_floor(exports, db, work / "build.log", repeat)
    floor = build["floor_seconds"]
    say(f"build {build['seconds']:.1f} s (samples {', '.join(f'{x:.1f}' for x in build['samples'])}), "
        f"floor {floor:.1f} s (samples {', '.join(f'{x:.1f}' for x in build['floor_samples'])}), "
        f"peak {build['peak_rss_mb']:.0f} MB")

    con = database.connect(db)
    as_of = database.model_as_of(con)
    con.close()
    start, end = twelve_months_to(as_of)
    filters = Filters(start=start, end=end)
    say(f"kpis for {start} .. {end}, {repeat} runs")
    kpis_seconds, sql_values, scan_seconds = measure_kpis(db, filters, repeat)
    pages = measure_pages(db, work, repeat)
    browser_pages, server_rss, browser_problems = None, None, {}
    if not skip_browser:
        say("the served app in Chromium")
        browser_pages, server_rss, browser_problems = measure_browser(db, work, repeat)
    say(f"the pandas peer, {repeat} runs")
    peer = measure_pandas(exports, filters, repeat)
    differ = compare(sql_values, peer["values"])

    attendance = rows["attendance"]
    total_rows = sum(rows.values())
    result = {
        "clients": clients,
        "repeat": repeat,
        "attendance_rows": attendance,
        "rows": rows,
        "exports_format": next(iter(export_files(exports).values())).suffix.lstrip("."),
        "generate_seconds": generated,
        "build_seconds": build["seconds"],
        "build_rows_per_second": total_rows / build["seconds"],
        "build_floor_seconds": floor,
        "build_samples": build["samples"],
        "build_floor_samples": build["floor_samples"],
        "build_peak_rss_mb": build["peak_rss_mb"],
        "db_size_mb": build["db_size_mb"],
        "as_of": as_of.isoformat(),
        "kpis_period": [start.isoformat(), end.isoformat()],
        "kpis_seconds": kpis_seconds,
        "pandas_seconds": peer["seconds"],
        "pandas_load_seconds": peer["load_seconds"],
        "pandas_compute_seconds": peer["compute_seconds"],
        "pandas_ratio": peer["seconds"] / kpis_seconds,
        "pandas_matches": not differ,
        "pandas_differences": differ,
        "scan_floor_seconds": scan_seconds,
        "pages": pages,
        "browser": browser_pages,
        "browser_problems": browser_problems,
        "server_rss_mb": server_rss,
        "machine": machine(),
        "load_average": {"start": [round(v, 2) for v in load_start],
                         "end": [round(v, 2) for v in os.getloadavg()]},
    }
    result["targets"] = targets(result)
    return result


def _verdict(target: dict) -> str:
    return {True: "met", False: "MISSED", None: "not measured"}[target["met"]]


def _num(value, spec: str, width: int = 0) -> str:
    return f"{'-' if value is None else format(value, spec):>{width}}"


def to_table(r: dict) -> str:
    """The readable report."""
    t = r["targets"]
    m = r["machine"]
    lines = [
        f"Benchmark: {r['clients']:,} clients, {r['attendance_rows']:,} attendance rows "
        f"({sum(r['rows'].values()):,} rows in all, {r['exports_format']}); median of {r['repeat']}",
        f"Machine: {m['cpus']} CPUs, {m['memory_gb']} GB, {m['platform']}, Python {m['python']}, "
        f"DuckDB {m['duckdb']}, pandas {m['pandas']}; load average {r['load_average']['start'][0]} "
        f"at the start, {r['load_average']['end'][0]} at the end",
        "",
        f"{'build':<34}{r['build_seconds']:>9.1f} s   {r['build_rows_per_second']:,.0f} rows/s   "
        f"(runs: {', '.join(f'{x:.1f}' for x in r.get('build_samples', []))})",
        f"{'  no-checks floor':<34}{r['build_floor_seconds']:>9.1f} s   "
        f"(runs: {', '.join(f'{x:.1f}' for x in r.get('build_floor_samples', []))})",
        f"{'  build / floor':<34}"
        f"{t['build_vs_floor']['value']:>9.2f}x  ({t['build_vs_floor']['target']}: {_verdict(t['build_vs_floor'])})",
        f"{'  peak memory (RSS)':<34}{r['build_peak_rss_mb']:>9,.0f} MB  "
        f"({t['build_peak_rss']['target']}: {_verdict(t['build_peak_rss'])})",
        f"{'  database size':<34}{r['db_size_mb']:>9,.0f} MB",
        f"{'kpis (12 months to ' + r['as_of'] + ')':<34}{r['kpis_seconds']:>9.3f} s",
        f"{'  pandas peer':<34}{r['pandas_seconds']:>9.2f} s   (load {r['pandas_load_seconds']:.2f} s + "
        f"compute {r['pandas_compute_seconds']:.2f} s); same numbers: "
        + ("yes" if r["pandas_matches"] else "NO: " + ", ".join(r["pandas_differences"])),
        f"{'  pandas / kpis':<34}{r['pandas_ratio']:>9.1f}x  "
        f"({t['kpis_vs_pandas']['target']}: {_verdict(t['kpis_vs_pandas'])})",
        f"{'  bare scan (SUM over attendance)':<34}{r['scan_floor_seconds']:>9.3f} s",
        "",
        f"{'page':<14}{'queries':>8}{'cold s':>9}{'warm s':>9}{'recompute s':>12}{'drawn cold s':>14}"
        f"{'drawn warm s':>14}   slowest queries (cold s)",
    ]
    browser_pages = r.get("browser") or {}
    for name, page in r["pages"].items():
        drawn = browser_pages.get(name)
        slow = ", ".join(f"{q['query']} {q['cold_seconds']:.2f}" for q in page["slowest"])
        lines.append(
            f"{name:<14}{page['queries']:>8}{_num(page['cold_seconds'], '.2f', 9)}{_num(page['warm_seconds'], '.2f', 9)}"
            f"{_num(page.get('recompute_seconds'), '.2f', 12)}"
            + (f"{drawn['cold_seconds']:>14.2f}{drawn['warm_seconds']:>14.2f}" if drawn else f"{'-':>14}{'-':>14}")
            + f"   {slow}" + ("   PROBLEMS: " + "; ".join(page["problems"]) if page["problems"] else ""))
    lines += [
        "",
        f"pages' queries warm: worst {_num(t['pages_warm']['value'], '.2f')} s ({t['pages_warm']['target']}: "
        f"{_verdict(t['pages_warm'])}); cold: worst {_num(t['pages_cold']['value'], '.2f')} s "
        f"({t['pages_cold']['target']}: {_verdict(t['pages_cold'])})",
    ]
    if browser_pages:
        lines.append(f"browser warm: worst {_num(t['browser_warm']['value'], '.2f')} s ({t['browser_warm']['target']}: "
                     f"{_verdict(t['browser_warm'])})")
    if r.get("server_rss_mb") is not None:
        lines.append(f"server memory after every page: {r['server_rss_mb']:,.0f} MB "
                     f"({t['server_rss']['target']}: {_verdict(t['server_rss'])})")
    for name, found in (r.get("browser_problems") or {}).items():
        lines.append(f"browser: {name} shows: {'; '.join(found)}")
    return "\n".join(lines)


def main(clients: int = DEFAULT_CLIENTS, repeat: int = DEFAULT_REPEAT, as_json: bool = False,
         work: Path | None = None, skip_browser: bool = False) -> int:
    """The ``bench`` command."""
    if clients < 1 or repeat < 1:
        print("bench: --clients and --repeat must be at least 1", file=sys.stderr)
        return 2
    result = run_benchmark(clients, repeat, work, skip_browser)
    print(json.dumps(result, indent=2) if as_json else to_table(result))
    return 0


def _child(argv: list[str]) -> int:
    """``python -m outcomes.bench record DB OUT`` | ``run-page DB CALLS`` (used by the bench)."""
    if len(argv) == 3 and argv[0] == "record":
        record_pages(Path(argv[1]), Path(argv[2]))
        return 0
    if len(argv) == 3 and argv[0] == "run-page":
        run_page(Path(argv[1]), Path(argv[2]))
        return 0
    print(_child.__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(_child(sys.argv[1:]))
