"""Streamlit helpers every page shares: the database, cached queries, sidebar filters, tiles,
charts with captions and CSV downloads, and panels that keep a broken query from taking the
page down. This is the only module (with pages/ and dashboard.py) that imports Streamlit.

- One read-only DuckDB connection per process (``st.cache_resource``), reopened when a build
  swaps a new file in; a ``.cursor()`` per query.
- Results in ``st.cache_data`` keyed by the SQL text, the bound parameters and the build id,
  so an edited ``.sql`` file or a rebuilt database shows up on the next rerun.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from . import config, db, definitions
from .contract import LEVEL_NAMES
from .filters import DEFAULT_PRESET, PRESETS, Filters, preset_period
from .kpis import kpis as compute_kpis
from .runner import QueryError, get_query

log = logging.getLogger("outcomes.ui")


class QueryFailed(Exception):
    """A named query failed; the message is DuckDB's first line (never a row's contents)."""

    def __init__(self, name: str, message: str):
        super().__init__(f"{name}: {message}")
        self.name = name
        self.message = message


# ---------------------------------------------------------------------------------------------
# The database
# ---------------------------------------------------------------------------------------------


class DatabaseHandle:
    """The process's read-only connection, reopened when the file on disk is a new build."""

    def __init__(self, path: Path):
        self.path = path
        self._lock = threading.Lock()
        self._con: duckdb.DuckDBPyConnection | None = None
        self._identity = None
        self.info: db.BuildInfo | None = None

    def current(self) -> tuple[duckdb.DuckDBPyConnection, db.BuildInfo]:
        identity = db.file_identity(self.path)
        with self._lock:
            if self._con is None or identity != self._identity:
                con = db.connect(self.path)
                self.info = db.build_info(con)
                # The old connection is not closed here: a query on another thread may still be
                # reading it. It closes when the last cursor on it is gone.
                self._con, self._identity = con, identity
            return self._con, self.info


@st.cache_resource(show_spinner=False)
def _handle(path: str) -> DatabaseHandle:
    return DatabaseHandle(Path(path))


def database() -> DatabaseHandle:
    return _handle(str(config.db_path()))


def build_info() -> db.BuildInfo:
    return database().current()[1]


def as_of() -> dt.date:
    return build_info().as_of


@st.cache_data(show_spinner=False, max_entries=2000, ttl=dt.timedelta(hours=12))
def _run_sql(sql: str, params: dict, build_id: str, path: str) -> pd.DataFrame:
    con, _info = _handle(path).current()
    cursor = con.cursor()
    try:
        return cursor.execute(sql, params).df()
    finally:
        cursor.close()


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def run(name: str, filters: Filters | None = None, params: dict | None = None, **extra) -> pd.DataFrame:
    """Run the named query under queries/ with the filters' parameters (and any extra ones),
    through the cache. Raises QueryFailed with a readable message."""
    handle = database()
    try:
        query = get_query(name)
        values = {**(filters.params() if filters else {}), **(params or {}), **extra}
        bound = query.bind(values)
        _con, info = handle.current()
        return _run_sql(query.sql, bound, info.build_id, str(handle.path))
    except (duckdb.Error, QueryError) as exc:
        raise QueryFailed(name, _first_line(exc)) from None


def kpis(filters: Filters) -> dict:
    """The section-4 metrics through the cached runner (the same code as `kpis --json`)."""
    return compute_kpis(None, filters, runner=lambda _con, name, params: run(name, params=params))


# ---------------------------------------------------------------------------------------------
# Sidebar filters, kept in the URL
# ---------------------------------------------------------------------------------------------

ALL_PROGRAMS, ALL_SITES = "All programs", "All sites"
FOCUS_CHOICES = ("2.1", "2.5")


def sidebar_filters() -> Filters:
    """Draw the filters in the sidebar (each bound to a URL query parameter) and return them.
    Called once per run by dashboard.py; pages read :func:`current_filters`."""
    anchor = as_of()
    options = run("filter_options")
    programs = sorted(options.loc[options["kind"] == "program", "value"].tolist())
    sites = sorted(options.loc[options["kind"] == "site", "value"].tolist())
    with st.sidebar:
        preset = st.selectbox(
            "Period", PRESETS, index=PRESETS.index(DEFAULT_PRESET), key="period",
            bind="query-params",
            help="Whole calendar months or quarters that are complete on the data's as-of date.",
        )
        if preset == "Custom":
            default = preset_period(DEFAULT_PRESET, anchor)
            chosen = st.date_input("From - to", value=default, key="dates", bind="query-params",
                                   format="YYYY-MM-DD")
            if isinstance(chosen, (tuple, list)) and len(chosen) == 2:
                start, end = chosen
            elif isinstance(chosen, (tuple, list)) and len(chosen) == 1:
                start = end = chosen[0]
            else:
                start, end = default
        else:
            start, end = preset_period(preset, anchor)
            st.caption(f"{start:%d %b %Y} - {end:%d %b %Y}")
        program = st.selectbox("Program", [ALL_PROGRAMS, *programs], key="program", bind="query-params")
        site = st.selectbox("Site", [ALL_SITES, *sites], key="site", bind="query-params")
        focus = st.pills(
            "Focus levels", FOCUS_CHOICES, selection_mode="multi", default=["2.1"], key="focus",
            bind="query-params", format_func=lambda level: f"{level} {LEVEL_NAMES[level]}",
            help="The levels of care whose episodes the program metrics count.",
        )
        if not focus:
            st.caption("No focus level chosen: showing 2.1 (IOP).")
            focus = ["2.1"]
        st.caption(f"Data as of **{anchor:%d %b %Y}**")
    filters = Filters(
        start=start, end=end, focus=tuple(sorted(focus)),
        program=None if program == ALL_PROGRAMS else program,
        site=None if site == ALL_SITES else site,
    )
    st.session_state["_filters"] = filters
    return filters


def current_filters() -> Filters:
    """The filters dashboard.py drew for this run. A page run on its own (AppTest runs a
    navigation app's pages without the main script after the first run) draws them itself."""
    filters = st.session_state.get("_filters")
    if filters is None:
        return sidebar_filters()
    return filters


def forget_filters() -> None:
    """Called by dashboard.py when the page has run, so a later run of a page on its own never
    sees this run's filters."""
    st.session_state.pop("_filters", None)


def describe(filters: Filters) -> str:
    """The filters in words, for captions and headers."""
    parts = [f"{filters.start:%d %b %Y} - {filters.end:%d %b %Y}",
             "focus " + " + ".join(f"{lv} {LEVEL_NAMES[lv]}" for lv in filters.focus)]
    if filters.program:
        parts.append(filters.program)
    if filters.site:
        parts.append(filters.site)
    return " · ".join(parts)


# ---------------------------------------------------------------------------------------------
# Page furniture
# ---------------------------------------------------------------------------------------------


def header(title: str, question: str, filters: Filters | None = None) -> None:
    st.title(title)
    st.markdown(question)
    if filters is not None:
        st.caption(describe(filters) + f" · data as of {as_of():%d %b %Y}")


@contextmanager
def panel(title: str | None = None):
    """A section of a page. A failing query inside it shows a clear error here and the rest
    of the page goes on; an unexpected error is shown without a traceback (and logged)."""
    container = st.container()
    with container:
        if title:
            st.subheader(title)
        try:
            yield container
        except QueryFailed as exc:
            st.error(f"**The query `{exc.name}` failed**, so this panel cannot be drawn. "
                     f"DuckDB says: {exc.message}")
        except Exception as exc:  # a bug: keep the page alive, say what failed
            log.exception("panel %r failed", title)
            st.error(f"This panel could not be drawn ({type(exc).__name__}). The rest of the page "
                     "is unaffected; the details are in the server log.")


def empty_state(message: str) -> None:
    st.info(message, icon=":material/info:")


def small_numbers_note(denominator: int | None, what: str = "records") -> None:
    if denominator is not None and 0 < denominator < definitions.SMALL_CELL:
        st.caption(f":material/warning: Small numbers: based on {denominator} {what}; "
                   "read with care.")


def csv_bytes(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode("utf-8")


def chart(fig: go.Figure, caption: str, data: pd.DataFrame | None, key: str,
          on_select: str = "ignore", height: int | None = None):
    """A Plotly figure in the project's template (theme=None), its caption (the definition in
    plain words) and a CSV download of the numbers behind it."""
    if height:
        fig.update_layout(height=height)
    event = st.plotly_chart(fig, theme=None, key=key, on_select=on_select,
                            config={"displaylogo": False, "responsive": True})
    st.caption(caption)
    if data is not None:
        st.download_button(
            "Download CSV", csv_bytes(data), file_name=f"{key}.csv", mime="text/csv",
            key=f"{key}_csv", icon=":material/download:", type="tertiary", on_click="ignore",
        )
    return event


def column_config(frame: pd.DataFrame) -> dict:
    """Readable defaults for a result table: dates without a time, counts with separators."""
    config = {}
    for name, dtype in frame.dtypes.items():
        if pd.api.types.is_datetime64_any_dtype(dtype):
            values = frame[name].dropna()
            has_time = bool(len(values)) and bool((values != values.dt.normalize()).any())
            config[name] = st.column_config.DatetimeColumn(
                format="YYYY-MM-DD HH:mm" if has_time else "YYYY-MM-DD")
        elif pd.api.types.is_integer_dtype(dtype) and not name.endswith("line"):
            config[name] = st.column_config.NumberColumn(format="localized")
    return config


def table(frame: pd.DataFrame, key: str, download: bool = True, **kwargs) -> None:
    """A result table (no index, readable dates and counts) with its CSV download."""
    config = {**column_config(frame), **kwargs.pop("column_config", {})}
    st.dataframe(frame, hide_index=True, column_config=config, key=key, **kwargs)
    if download:
        table_download(frame, key)


def table_download(frame: pd.DataFrame, key: str) -> None:
    st.download_button("Download CSV", csv_bytes(frame), file_name=f"{key}.csv", mime="text/csv",
                       key=f"{key}_csv", icon=":material/download:", type="tertiary", on_click="ignore")


# ---------------------------------------------------------------------------------------------
# Tiles: a metric, its change against the previous period, numerator/denominator
# ---------------------------------------------------------------------------------------------


def _nan(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def format_value(kind: str, value) -> str:
    if _nan(value):
        return "n/a"
    if kind == "rate":
        return f"{value:.1%}"
    if kind == "per1000":
        return f"{value:.1f}"
    if kind == "days":
        return f"{value:g} days"
    return f"{int(value):,}"


def format_change(kind: str, value, previous) -> str | None:
    if _nan(value) or _nan(previous):
        return None
    change = value - previous
    if kind == "rate":
        return f"{change * 100:+.1f} pp"
    if kind == "per1000":
        return f"{change:+.1f}"
    if kind == "days":
        return f"{change:+g} days"
    return f"{int(change):+,}"


@dataclass(frozen=True)
class Tile:
    key: str
    label: str | None = None


def tiles(values: dict, previous: dict | None, keys: list[str], columns: int = 4) -> None:
    """One st.metric per key: value, change against the previous period (green only when the
    change is good for clients), and the definition with numerator/denominator on hover."""
    detail, prev_detail = values.get("detail", {}), (previous or {}).get("detail", {})
    rows = [keys[i:i + columns] for i in range(0, len(keys), columns)]
    for row in rows:
        for column, key in zip(st.columns(columns), row):
            m = definitions.metric(key)
            value = values.get(key)
            prev = (previous or {}).get(key)
            helptext = m.definition
            if key in detail:
                d = detail[key]
                helptext += f"\n\nThis period: {d['numerator']:,} / {d['denominator']:,}."
                if key in prev_detail:
                    p = prev_detail[key]
                    helptext += (f" Previous period: {format_value(m.kind, prev)} "
                                 f"({p['numerator']:,} / {p['denominator']:,}).")
            elif previous is not None:
                helptext += f"\n\nPrevious period: {format_value(m.kind, prev)}."
            colour = "off" if m.higher_is_better is None else ("normal" if m.higher_is_better else "inverse")
            with column:
                st.metric(
                    m.label, format_value(m.kind, value), delta=format_change(m.kind, value, prev),
                    delta_color=colour, help=helptext, border=True,
                    delta_description="vs previous period" if previous is not None else None,
                )
                if key in detail:
                    d = detail[key]
                    note = f"{d['numerator']:,} of {d['denominator']:,}"
                    if 0 < d["denominator"] < definitions.SMALL_CELL:
                        note += " · small numbers"
                    st.caption(note)


# ---------------------------------------------------------------------------------------------
# First run: no database yet
# ---------------------------------------------------------------------------------------------


@st.cache_resource(show_spinner=False)
def _first_build_lock() -> threading.Lock:
    return threading.Lock()


def ensure_database() -> None:
    """With no database yet, make one: generate the demo exports when the exports folder is
    the (empty) demo folder, build, and show progress while doing it. A build that cannot go
    on shows its message and stops the page."""
    from .build import BuildError, build

    path = config.db_path()
    if path.exists():
        return
    with _first_build_lock():
        if path.exists():
            return
        exports = config.exports_path()
        with st.status("Preparing the dashboard for first use...", expanded=True) as status:
            try:
                if exports == config.DEMO_EXPORTS and not any(exports.glob("episodes.*")):
                    from .demo import generate

                    st.write(f"Generating demo exports ({config.DEMO_CLIENTS:,} made-up clients)...")
                    generate(exports, clients=config.DEMO_CLIENTS, seed=config.DEMO_SEED)
                st.write(f"Building the database from {exports}...")
                progress = st.empty()
                result = build(exports, path, progress=lambda message: progress.caption(message))
                progress.empty()
                status.update(label=f"Ready: data as of {result.as_of:%d %b %Y}", state="complete",
                              expanded=False)
            except BuildError as exc:
                status.update(label="The build could not finish", state="error")
                st.error(f"{exc}\n\nFix the exports and run `python -m outcomes build`.")
                st.stop()
