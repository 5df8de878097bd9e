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
import re
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
                con = db.connect_fresh(self.path)
                self.info = db.build_info(con)
                # The old connection is not closed here: a query on another thread may still be
                # reading it. It closes when the last cursor on it is gone.
                self._con, self._identity = con, identity
            return self._con, self.info


@st.cache_resource(show_spinner=False)
def _handle(path: str) -> DatabaseHandle:
    return DatabaseHandle(Path(path))


def database() -> DatabaseHandle:
    require_access()  # access (issue 8): a page run outside dashboard.py's gate stops here
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
    """DuckDB's message, first line, with quoted values blanked: a message like "Could not
    convert string 'X' to INT32" can quote a row's value (a client id). Column and table
    names (in double quotes) stay, they are what an analyst needs."""
    text = str(exc).strip()
    first = text.splitlines()[0] if text else type(exc).__name__
    return re.sub(r"'(?:[^']|'')*'", "'…'", first)


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
    require_access()
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
    kwargs.setdefault("placeholder", "–")  # an empty cell reads as a dash, not "None"
    st.dataframe(frame, hide_index=True, column_config=config, key=key, **kwargs)
    if download:
        table_download(frame, key)


def table_download(frame: pd.DataFrame, key: str) -> None:
    st.download_button("Download CSV", csv_bytes(frame), file_name=f"{key}.csv", mime="text/csv",
                       key=f"{key}_csv", icon=":material/download:", type="tertiary", on_click="ignore")


def month_click(key: str, from_customdata: bool = False):
    """An ``on_select`` callback for :func:`chart` (``key`` is the chart's key) whose x axis is
    months: clicking a month's bar or point makes that calendar month the period of the page,
    and the sidebar and the URL follow. With ``from_customdata`` the month is the first
    customdata value of the point clicked (e.g. a heat-map's row). Nothing happens for a
    selection without a date."""

    def choose_month() -> None:
        state = st.session_state.get(key)
        points = (state or {}).get("selection", {}).get("points", []) if state else []
        if not points:
            return
        value = points[0].get("x")
        if from_customdata:
            custom = points[0].get("customdata")
            value = custom[0] if isinstance(custom, (list, tuple)) and custom else custom
        try:
            day = pd.Timestamp(value).date()
        except (TypeError, ValueError):
            return
        start = day.replace(day=1)
        end = (start + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
        date_widget_shown = st.session_state.get("period") == "Custom"
        st.session_state["period"] = "Custom"
        st.session_state["dates"] = (start, end)
        if not date_widget_shown:
            # The date widget is drawn from the next run on, and a widget created with a value
            # set in Session State does not write it to the URL: write it here, so the link
            # reproduces the view. (Once the widget exists, it keeps the URL itself.)
            try:
                st.query_params["dates"] = [start.isoformat(), end.isoformat()]
            except st.errors.StreamlitAPIException:
                pass

    return choose_month


# ---------------------------------------------------------------------------------------------
# Tiles: a metric, its change against the previous period, numerator/denominator
# ---------------------------------------------------------------------------------------------


_nan = definitions.is_missing
format_value = definitions.format_value


def format_change(kind: str, value, previous) -> str | None:
    """The change as shown under a tile; a change that rounds to nothing reads "no change"
    (so it is never coloured as a rise or a fall)."""
    if _nan(value) or _nan(previous):
        return None
    change = value - previous
    if kind == "rate":
        text = f"{change * 100:+.1f} pp"
    elif kind == "per1000":
        text = f"{change:+.1f}"
    elif kind == "days":
        text = f"{change:+g} days"
    else:
        text = f"{int(change):+,}"
    return "no change" if re.fullmatch(r"[+-]0(\.0)?( pp| days)?", text) else text


def change_colour(higher_is_better: bool | None, change: str | None) -> str:
    """st.metric's delta colour: green only when the change is good for clients."""
    if higher_is_better is None or change is None or change == "no change":
        return "off"
    return "normal" if higher_is_better else "inverse"


def tiles(values: dict, previous: dict | None, keys: list[str], columns: int = 4) -> None:
    """One tile per kpis key: value, change against the previous period (green only when the
    change is good for clients), and the definition with numerator/denominator on hover."""
    value_tiles([kpi_tile(values, previous, key) for key in keys], columns=columns,
                compare=previous is not None)


@dataclass(frozen=True)
class TileValue:
    """One tile of :func:`value_tiles`: a metric (definitions.METRICS or PAGE_METRICS), its
    value this period and the previous one, and what to write under it."""

    metric: definitions.Metric
    value: float | None
    previous: float | None = None
    numerator: int | None = None
    denominator: int | None = None
    note: str | None = None  # under the tile; default "numerator of denominator"
    previous_note: str | None = None  # on hover, e.g. "(12 / 40)"


def kpi_tile(values: dict, previous: dict | None, key: str) -> TileValue:
    """A TileValue for a kpis key (from :func:`kpis` for this and the previous period)."""
    d = values.get("detail", {}).get(key)
    p = (previous or {}).get("detail", {}).get(key)
    return TileValue(
        definitions.metric(key), values.get(key), (previous or {}).get(key),
        numerator=d["numerator"] if d else None, denominator=d["denominator"] if d else None,
        previous_note=f"({p['numerator']:,} / {p['denominator']:,})" if p else None,
    )


def _tile_value(kind: str, value) -> str:
    if kind == "ratio" and not _nan(value):
        return f"{value:.1f}"
    return format_value(kind, value)


def _tile_change(kind: str, value, previous) -> str | None:
    if kind == "ratio" and not (_nan(value) or _nan(previous)):
        text = f"{value - previous:+.1f}"
        return "no change" if text in ("+0.0", "-0.0") else text
    return format_change(kind, value, previous)


def value_tiles(items: list[TileValue], columns: int = 4, compare: bool = True) -> None:
    """Tiles like :func:`tiles` for values a page computed itself (page metrics beside kpis
    keys): value, change against the previous period (green only when good for clients), the
    definition on hover, "numerator of denominator" (or the item's note) underneath and a
    small-numbers mark when the denominator is 1..10. Kind "ratio" shows one decimal."""
    for start in range(0, len(items), columns):
        for column, item in zip(st.columns(columns), items[start:start + columns]):
            m = item.metric
            helptext = m.definition
            if item.denominator is not None:
                helptext += f"\n\nThis period: {item.numerator:,} / {item.denominator:,}."
            if compare:
                separator = " " if item.denominator is not None else "\n\n"
                helptext += (f"{separator}Previous period: {_tile_value(m.kind, item.previous)}"
                             f"{' ' + item.previous_note if item.previous_note else ''}.")
            change = _tile_change(m.kind, item.value, item.previous) if compare else None
            with column:
                st.metric(
                    m.label, _tile_value(m.kind, item.value), delta=change,
                    delta_color=change_colour(m.higher_is_better, change), help=helptext, border=True,
                    delta_description=(("vs previous period" if columns <= 4 else "vs previous")
                                       if compare else None),
                )
                note = item.note
                if note is None and item.denominator is not None:
                    note = f"{item.numerator:,} of {item.denominator:,}"
                if note is not None:
                    if item.denominator is not None and 0 < item.denominator < definitions.SMALL_CELL:
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


# ---------------------------------------------------------------------------------------------
# Access: sign-in, roles and local mode. outcomes.access decides; this reads Streamlit's
# settings and st.user, and draws what the decision says.
# ---------------------------------------------------------------------------------------------

ACCESS_KEY = "_access"


def _secrets_state() -> tuple[bool, bool]:
    """(auth configured, secrets file present but unreadable)."""
    import os

    try:
        if st.secrets.load_if_toml_exists():
            return "auth" in st.secrets, False
    except Exception:  # a damaged secrets file must not open local mode
        return False, True
    files = st.get_option("secrets.files") or []
    present = any(os.path.isfile(os.path.expanduser(f)) for f in files)
    return False, present


def _authlib_installed() -> bool:
    try:
        from streamlit.auth_util import is_authlib_installed
    except ImportError:  # pragma: no cover - an older or newer Streamlit
        import importlib.util

        return importlib.util.find_spec("authlib") is not None
    return is_authlib_installed()


def _request_headers() -> dict:
    try:
        return dict(st.context.headers)
    except Exception:  # no request (a test, a bare run)
        return {}


def access_decision():
    """The access decision for this run (outcomes.access.decide with this run's inputs)."""
    import os

    from . import access

    auth, broken = _secrets_state()
    roles = None
    if auth:
        try:
            roles = access.load_roles(access.roles_path())
        except access.RolesError as exc:
            roles = exc
    try:
        user = st.user.to_dict()
    except Exception:
        user = {}
    return access.decide(
        auth=auth, address=st.get_option("server.address"), user=user, roles=roles,
        test_role=os.environ.get(access.TEST_ROLE_ENV) if not auth else None,
        authlib=_authlib_installed() if auth else True, secrets_broken=broken,
        headers=_request_headers(),
    )


def _draw_closed(decision) -> None:
    """The whole page for a person who may not see the dashboard: a message, and the sign-in
    or sign-out button that applies. Nothing else (no filters, no data)."""
    from . import access

    st.title("IOP Outcomes Dashboard")
    if decision.kind == access.SIGN_IN:
        st.markdown(decision.message)
        if st.button("Sign in", type="primary", icon=":material/login:", key="_sign_in"):
            st.login()
    elif decision.kind == access.REFUSE:
        st.info(decision.message, icon=":material/lock:")
        if decision.mode == access.SIGN_IN_MODE:
            if st.button("Sign out", icon=":material/logout:", key="_sign_out"):
                st.logout()
    else:
        st.error(decision.message, icon=":material/gpp_bad:")


def _log_once(decision) -> None:
    if decision.log and st.session_state.get("_access_logged") != decision.log:
        log.warning("access: %s", decision.log)
        st.session_state["_access_logged"] = decision.log


def access_gate() -> tuple[str, frozenset[str]]:
    """Called first by dashboard.py. Returns (role, grants) for a person who may see pages,
    and shows who they are (or the "local mode" badge) in the sidebar. Anyone else gets the
    sign-in button, a polite refusal or the operator's message as the only page, and the run
    stops there. The refusal is drawn through st.navigation with that one page, so Streamlit
    never falls back to listing the files of pages/ itself."""
    from . import access

    decision = access_decision()
    st.session_state[ACCESS_KEY] = decision
    _log_once(decision)
    if decision.allowed:
        with st.sidebar:
            if decision.mode == access.LOCAL_MODE:
                label = "Local mode" + ("" if decision.role == access.LOCAL_ROLE else f" · {decision.role}")
                st.badge(label, icon=":material/computer:", color="gray",
                         help="Sign-in is not configured: this dashboard answers this computer "
                              "only (127.0.0.1). See the README, section Sign-in.")
            else:
                st.caption(f":material/account_circle: {decision.who} · {decision.role}")
                if st.button("Sign out", icon=":material/logout:", type="tertiary", key="_sign_out"):
                    st.logout()
        return decision.role, decision.grants

    def closed():
        _draw_closed(decision)

    st.navigation([st.Page(closed, title="IOP Outcomes", icon=":material/lock:", url_path="access",
                           default=True)], position="hidden").run()
    st.stop()


def current_access():
    """This session's access decision (set by :func:`access_gate`), or None."""
    return st.session_state.get(ACCESS_KEY)


def visible_pages() -> list:
    """The pages this session's role may see, in menu order (for links on a page)."""
    from .navigation import available, pages_for

    decision = current_access()
    if decision is None or not decision.allowed:
        return []
    return available(pages_for(decision.role, decision.grants))


def _running_page() -> str | None:
    """The file name under pages/ of the page this run is drawing, or None."""
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

    ctx = get_script_run_ctx()
    if ctx is None:
        return None
    info = ctx.pages_manager.get_pages().get(ctx.page_script_hash) or {}
    path = Path(str(info.get("script_path") or ""))
    return path.name if path.parent.name == "pages" else None


def require_access() -> None:
    """Make sure no page is drawn without dashboard.py's gate.

    Why: next to dashboard.py lies the folder pages/, and until some run of this process has
    called st.navigation, Streamlit runs a file of that folder on its own for a direct URL
    (/data), skipping dashboard.py's gate, page list and filters (AppTest does the same for
    every run). :func:`database` calls this, so no query runs in such a run unless this
    session already passed the gate with a role that may see the page; otherwise it turns the
    fallback off, as st.navigation itself does, and runs again through dashboard.py."""
    try:
        from streamlit.runtime.pages_manager import PagesManager
    except ImportError:  # pragma: no cover - another Streamlit
        return
    if not PagesManager.uses_pages_directory:
        return
    PagesManager.uses_pages_directory = False
    decision = current_access()
    if decision is not None and decision.allowed and _running_page() in decision.page_files:
        # This session passed the gate and may see this page: draw it as it is, with the
        # sidebar filters drawn by the page (dashboard.py did not run to draw them).
        st.session_state.pop("_filters", None)
        return
    st.rerun()
