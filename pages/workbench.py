"""SQL workbench: an analyst's own SELECT over the dashboard's tables and model, read-only.

Queries: none of queries/; the analyst's SQL runs through outcomes.workbench (one SELECT,
checked by DuckDB's parser; a read-only connection of its own with files off and settings
locked; a row cap and a time limit). The sidebar's filters are its $parameters.
"""

from pathlib import Path

import streamlit as st

from outcomes import config, db, ui, workbench
from outcomes.runner import QueryError, read_query

EXAMPLE = """\
-- Admissions per month and program in the sidebar's period
select
    date_trunc('month', admit_date) as month,
    program,
    count(*) as admissions
from focus_episodes($focus, $program, $site)
where admit_date between $start_date and $end_date
group by all
order by month, program
"""

MORE_EXAMPLES = {
    "Show rate by session type in the period (sessions that belong to focus episodes)": """\
with

period as (
    select * from reporting_period($start_date, $end_date)
),

focus as (
    select episode_id from focus_episodes($focus, $program, $site)
),

in_period as (
    select s.session_type, s.status
    from sessions as s
    inner join period as p on s.session_date between p.period_start and p.period_end
    where s.episode_id in (select episode_id from focus)
)

select
    session_type,
    count(*) filter (where status = 'attended') as attended,
    count(*) filter (where status = 'no_show') as no_show,
    attended / nullif(attended + no_show, 0) as show_rate
from in_period
group by session_type
order by session_type
""",
    "Stays that ended in the period, by how they ended": """\
select end_reason, count(*) as stays, median(end_date - start_date) as median_days
from stays
where end_date between $start_date and $end_date
group by end_reason
order by stays desc
""",
    "The columns of a table": "describe episode_windows",
}



@st.cache_data(show_spinner=False, max_entries=8)
def table_list(path: str, build_id: str):
    """The tables and macros of the database (cached per build)."""
    return workbench.schema(Path(path))


def model_titles() -> dict[str, str]:
    """The model's tables, views and macros with their titles (a file whose header cannot be
    read is left out here; the Query catalog names its problem)."""
    titles = {}
    for file in sorted((config.QUERIES / "model").glob("*.sql")):
        try:
            query = read_query(file)
        except QueryError:
            continue
        titles[query.name] = query.title
    return titles


ui.require_access()  # the workbench opens a connection of its own
filters = ui.current_filters()
ui.header("SQL workbench", "Run your own `SELECT` over the export tables and the model. The "
          "database is opened read-only on a connection of its own: nothing here can change it, "
          "read other files or change settings.", filters)

limit = workbench.time_limit()
values = filters.params()
path = config.db_path()

# SQL reads best in a fixed-width font (this page's text area only).
st.html("<style>.st-key-workbench_sql textarea {font-family: 'Source Code Pro', ui-monospace, "
        "monospace; font-size: 0.85rem; line-height: 1.45;}</style>")

editor, reference = st.columns([3, 2], gap="large")

with reference:
    st.markdown("**Parameters from the sidebar**")
    st.markdown("\n".join(f"- `${name}` = `{workbench.describe_value(values[name])}`"
                          for name in workbench.PARAMETERS))
    st.caption("`$program` and `$site` are null for all programs and sites: write "
               "`($program is null or program = $program)`, or pass them to "
               "`focus_episodes($focus, $program, $site)` and `scoped_episodes($program, $site)`, "
               "which do that for you. `reporting_period($start_date, $end_date)` cuts the period "
               "at the as-of date. The tables and macros are listed below the editor.")
    with st.expander("More examples", icon=":material/lightbulb:"):
        for title, sql in MORE_EXAMPLES.items():
            st.caption(title)
            st.code(sql, language="sql")


def tables_and_macros() -> None:
    """What an analyst can select from: each table and macro, where it comes from, its
    columns (or arguments) and, for the model, what it holds."""
    try:
        tables = table_list(str(path), ui.build_info().build_id)
    except workbench.QueryError as exc:
        st.error(str(exc))
        return
    model = model_titles()
    exports = {
        "clients": "The clients export (optional): one row per client",
        "episodes": "The episodes export: one row per episode of care",
        "attendance": "The attendance export: one row per attendance row (see sessions)",
        "assessments": "The assessments export: one row per score",
        "relapse_events": "The relapse events export: one row per event",
    }
    records = {
        "rejects": "Rows that broke a rule of the contract: file, line, column, raw value, reason",
        "duplicate_rows": "Exact duplicate rows, loaded once",
        "build_info": "When and from where the database was built, and its as-of date",
        "source_files": "The export files read: size, hash, columns used",
        "instrument_thresholds": "PHQ-9 and GAD-7 thresholds (NHS Talking Therapies)",
        "severity_bands": "PHQ-9 and GAD-7 severity bands",
    }

    def group(name: str) -> str:
        if name in exports:
            return "export"
        if name in model:
            return "model"
        return "build record" if name in db.SOURCE_TABLES else "other"

    order = {"export": 0, "model": 1, "build record": 2, "other": 3}
    tables = tables.assign(group=tables["name"].map(group), about=tables["name"].map(
        lambda n: model.get(n) or exports.get(n) or records.get(n, "")))
    tables = tables.assign(rank=tables["group"].map(order)).sort_values(["rank", "name"])
    st.dataframe(
        tables[["name", "group", "kind", "about", "columns"]], hide_index=True,
        key="workbench_tables",
        column_config={"name": "Name", "group": "From", "kind": "Kind", "about": "What it holds",
                       "columns": st.column_config.TextColumn("Columns (or arguments)", width="large")},
    )
    st.caption("Export tables hold the rows that passed the contract (`line` is the line in the "
               "file); the model is built from them for the as-of date (the Query catalog shows "
               "each model file's SQL); build records describe the build itself.")


with editor:
    with st.form("workbench_form", border=False, enter_to_submit=False):
        sql = st.text_area(
            "SQL", value=EXAMPLE, height=320, key="workbench_sql",
            help="One SELECT (or WITH ... SELECT) statement. Parameters: " +
                 ", ".join("$" + p for p in workbench.PARAMETERS) + ".",
        )
        run = st.form_submit_button("Run", type="primary", icon=":material/play_arrow:",
                                    key="workbench_run")
    st.caption(f"One statement, read-only. At most {workbench.ROW_CAP:,} rows are shown and "
               f"downloaded; a query stops after {workbench.format_seconds(limit)}.")

    if run:
        try:
            result = workbench.run_select(path, sql, values, seconds=limit)
        except workbench.Refused as exc:
            st.session_state["workbench_outcome"] = ("refused", str(exc), sql)
        except workbench.TimedOut as exc:
            st.session_state["workbench_outcome"] = ("timeout", str(exc), sql)
        except workbench.QueryError as exc:
            st.session_state["workbench_outcome"] = ("error", str(exc), sql)
        else:
            st.session_state["workbench_outcome"] = ("ok", result, sql)

    outcome = st.session_state.get("workbench_outcome")
    if outcome is not None:
        kind, payload, ran_sql = outcome
        if ran_sql != sql:
            st.caption(":material/history: The result below is from the SQL as it was when you "
                       "last pressed Run.")
        if kind == "refused":
            st.error(f"**Not run.** {payload}", icon=":material/block:")
        elif kind == "timeout":
            st.error(f"**Stopped.** {payload}", icon=":material/timer_off:")
        elif kind == "error":
            st.error("**DuckDB could not run this query.** Its message:", icon=":material/error:")
            st.code(payload, language=None, wrap_lines=True)

with st.expander("Tables and macros you can select from", icon=":material/table_chart:"):
    tables_and_macros()

if outcome is not None and outcome[0] == "ok":
    result = outcome[1]
    frame = result.frame
    bound = ", ".join(f"${k} = {workbench.describe_value(v)}" for k, v in result.parameters.items())
    st.markdown(f"**{len(frame):,} row{'s' if len(frame) != 1 else ''}** in "
                f"{result.seconds:.2f} s" + (f" · with {bound}" if bound else ""))
    if result.capped:
        st.warning(f"Only the first {workbench.ROW_CAP:,} rows are shown and in the download: the "
                   "query returned more. Aggregate, filter or add a `limit` to see what you need.",
                   icon=":material/content_cut:")
    if frame.empty:
        ui.empty_state("The query ran and returned no rows.")
    else:
        ui.table(frame, key="workbench_result")
