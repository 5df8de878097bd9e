"""Load: 20 sessions at once run every page's queries while the database is rebuilt twice.

How a session runs a query here is how ``outcomes.ui.run`` does it, minus Streamlit's result
cache: one process-wide :class:`outcomes.ui.DatabaseHandle` (the object ``ui.database()``
keeps in ``st.cache_resource``), ``handle.current()`` for the connection and its build, the
named query read from disk and its parameters bound (``outcomes.runner``), a cursor per query.
The cached wrapper itself (``st.cache_data``) needs a Streamlit runtime; it sits in front of
this path and only makes it rarer, so leaving it out puts every query on the database.
(AppTest was the other way; it runs one script at a time in this process, so 20 of them would
measure Streamlit's test harness rather than the database under concurrent readers.)

"Every page's queries" is taken wide: every query under queries/ that is not part of the model
(the pages' queries are among them), each with the sidebar's parameters and the extra
parameters its header declares.

Checked: no query fails; every result comes from one of the builds that were live during the
test and equals what that build gives when queried alone (so no session ever read a
half-built file or a mix); after the last swap every session's next round reads only the new
build. Prints p50/p95 latency. Sized for a 2-core machine (well under two minutes).
"""

from __future__ import annotations

import datetime as dt
import math
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from outcomes import db, definitions, runner
from outcomes.filters import Filters

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parent.parent

SESSIONS = 20
MIN_ROUNDS = 3
CLIENTS = 200

# Values for the extra parameters a query may declare, by name where the product has one,
# else by type.
NAMED = {
    "row_limit": 500, "days": list(definitions.DEFAULT_RETENTION_DAYS),
    "guest_limit": definitions.WORKSHOP_GUEST_LIMIT, "gap_days": definitions.WORKSHOP_GAP_FLAG_DAYS,
    "step_up_days": definitions.STEP_UP_DAYS, "retention_days": 60, "early_days": 30,
    "warning_days": 14, "weeks": 12, "max_week": 12, "instrument": "PHQ-9",
}
BY_TYPE = {"integer": 14, "integer[]": [30, 60, 90], "varchar[]": [], "varchar": None,
           "date": None, "double": 1.0, "boolean": False}


def page_queries() -> list[runner.Query]:
    """Every query the pages can run: all of queries/ but the model, in name order."""
    return sorted((q for q in runner.load_queries().values() if q.group != "model"),
                  key=lambda q: q.name)


def params_for(query: runner.Query, filters: Filters) -> dict:
    values = filters.params()
    for param in query.params:
        if param.name not in values:
            values[param.name] = NAMED.get(param.name, BY_TYPE.get(param.type))
    return values


def canonical(frame) -> tuple:
    """A result as sorted rows of plain values; floats to 9 significant digits (a parallel sum
    may differ in its last bits)."""
    def plain(value):
        if value is None:
            return None
        if isinstance(value, float):
            return None if math.isnan(value) else float(f"{value:.9g}")
        try:
            if value != value:  # NaT / NA
                return None
        except (TypeError, ValueError):
            pass
        return str(value)
    rows = [tuple(plain(v) for v in row) for row in frame.itertuples(index=False, name=None)]
    return tuple(frame.columns), tuple(sorted(rows, key=repr))


def run_like_ui(handle, query: runner.Query, params: dict):
    """What ui.run does below its cache: bind, take the current connection and build, run."""
    bound = query.bind(params)
    con, info = handle.current()
    cursor = con.cursor()
    try:
        return info.build_id, cursor.execute(query.sql, bound).df()
    finally:
        cursor.close()


def build(exports: Path, target: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "outcomes", "build", "--exports", str(exports),
                           "--db", str(target)], cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_twenty_sessions_during_two_rebuilds(tmp_path):
    from outcomes.demo import generate
    from outcomes.ui import DatabaseHandle

    # Three exports that give different numbers (three seeds), the first built and live.
    exports = []
    for seed in (11, 12, 13):
        folder = tmp_path / f"exports{seed}"
        generate(folder, clients=CLIENTS, seed=seed)
        exports.append(folder)
    live = tmp_path / "live.duckdb"
    first = build(exports[0], live)
    assert first.returncode == 0, first.stderr[-2000:]

    queries = page_queries()
    as_of = db.build_info(db.connect(live)).as_of
    combos = [Filters(start=as_of.replace(day=1) - dt.timedelta(days=365), end=as_of),
              Filters(start=as_of - dt.timedelta(days=90), end=as_of, focus=("2.1", "2.5"))]

    snapshots = iter(range(100))

    def snapshot_live() -> tuple[str, Path]:
        """A copy of the build now at the live path, and its build id. A copy, because DuckDB
        hands a second connect() to a path this process already has open the database it
        opened first: the test would read what it tests."""
        snapshot = tmp_path / f"snapshot{next(snapshots)}.duckdb"
        shutil.copyfile(live, snapshot)
        con = db.connect(snapshot)
        try:
            return db.build_info(con).build_id, snapshot
        finally:
            con.close()

    def results_of(snapshot: Path) -> dict:
        """Every (query, filters) result the build gives when queried alone."""
        con = db.connect(snapshot)
        try:
            return {(query.name, i): canonical(runner.run(con, query, params_for(query, filters)))
                    for i, filters in enumerate(combos) for query in queries}
        finally:
            con.close()

    snapshots_by_build: dict[str, Path] = {}
    build_id, snapshot = snapshot_live()
    snapshots_by_build[build_id] = snapshot
    builds = [build_id]

    handle = DatabaseHandle(live)
    errors: list[str] = []
    seen: list[tuple] = []  # session, round, build, query, combo, result frame
    latencies: list[float] = []
    round_times: list[float] = []
    lock = threading.Lock()
    final_done = threading.Event()  # the last swap has happened and its expectations are known
    stop = threading.Event()
    after_final: dict[int, int] = {}  # session -> rounds started after final_done and finished

    def session(number: int) -> None:
        combo = number % len(combos)
        rounds = 0
        while not stop.is_set() or rounds < MIN_ROUNDS:
            started_after_final = final_done.is_set()
            began = time.perf_counter()
            for query in queries:
                t0 = time.perf_counter()
                try:
                    build_id, frame = run_like_ui(handle, query, params_for(query, combos[combo]))
                except Exception as exc:  # noqa: BLE001 - every failure is a finding
                    with lock:
                        errors.append(f"session {number} {query.name}: {type(exc).__name__}: "
                                      f"{str(exc).splitlines()[0][:200]}")
                    continue
                elapsed = time.perf_counter() - t0
                with lock:
                    latencies.append(elapsed)
                    seen.append((number, rounds, build_id, query.name, combo, frame))
            with lock:
                round_times.append(time.perf_counter() - began)
                if started_after_final:
                    after_final[number] = after_final.get(number, 0) + 1
            rounds += 1

    threads = [threading.Thread(target=session, args=(n,), daemon=True) for n in range(SESSIONS)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    swaps = []
    try:
        for folder in exports[1:]:
            time.sleep(1.0)  # let the sessions get going on the current build
            t0 = time.perf_counter()
            result = build(folder, live)  # into the same --db path the sessions read
            assert result.returncode == 0, result.stderr[-2000:]
            swaps.append(time.perf_counter() - t0)
            build_id, snapshot = snapshot_live()
            assert build_id not in snapshots_by_build
            snapshots_by_build[build_id] = snapshot
            builds.append(build_id)
        final_done.set()
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            with lock:
                if all(after_final.get(n, 0) >= 1 for n in range(SESSIONS)):
                    break
            time.sleep(0.2)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=240)
    final_id = builds[-1]
    wall = time.perf_counter() - started
    assert not any(t.is_alive() for t in threads), "a session did not finish"

    # Figures, for the closing note.
    latencies.sort()
    p50 = statistics.median(latencies)
    p95 = latencies[int(0.95 * (len(latencies) - 1))]
    rounds_by_session = {}
    for number, rnd, *_ in seen:
        rounds_by_session[number] = max(rounds_by_session.get(number, 0), rnd + 1)
    print(f"\nload: {SESSIONS} sessions x {len(queries)} queries, rounds per session "
          f"{min(rounds_by_session.values())}..{max(rounds_by_session.values())}, "
          f"{len(latencies)} queries in {wall:.1f} s; query latency p50 {p50 * 1000:.0f} ms, "
          f"p95 {p95 * 1000:.0f} ms, max {latencies[-1] * 1000:.0f} ms; session round (all "
          f"queries) p50 {statistics.median(round_times):.1f} s; rebuilds under load "
          + ", ".join(f"{s:.1f} s" for s in swaps) + f"; errors {len(errors)}")

    assert errors == []
    builds_seen = {b for _, _, b, *_ in seen}
    assert builds_seen <= set(builds), "a result came from a build that was never live"
    assert len(builds_seen) >= 2, "the sessions never saw a swap"
    expected = {build_id: results_of(path) for build_id, path in snapshots_by_build.items()}
    wrong = [(s, r, b[:8], q, c) for s, r, b, q, c, frame in seen
             if canonical(frame) != expected[b][(q, c)]]
    assert wrong == [], f"results that differ from their build's own: {wrong[:10]}"
    # After the last swap, each session's next round read only the new build.
    for number in range(SESSIONS):
        assert after_final.get(number, 0) >= 1
    last_rounds = {}
    for number, rnd, build_id, *_ in seen:
        last_rounds.setdefault(number, {}).setdefault(rnd, set()).add(build_id)
    for number, by_round in last_rounds.items():
        assert by_round[max(by_round)] == {final_id}, f"session {number} ended on an old build"
    # No temp file of a build is left next to the database.
    assert sorted(p.name for p in tmp_path.glob(".live.duckdb*")) == []
    handle_con, handle_info = handle.current()
    assert handle_info.build_id == final_id
