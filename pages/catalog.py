"""Query catalog: every SQL query behind the dashboard, what it returns, which pages use it, its
SQL, and a form made from its parameters to run it and download the result.

Queries: every file under queries/ (read from disk on each run, through ui.run, so an edited
file shows its new result at once); filter_options for the program and site choices. Model
tables are previewed on the workbench's read-only connection (outcomes.workbench).
"""

import re

import streamlit as st

from outcomes import check, config, definitions, ui, workbench
from outcomes.contract import LEVEL_NAMES
from outcomes.runner import QueryError, query_files, read_query

PREVIEW_ROWS = 100
FOLDERS = {
    "metrics": "One file per metric or chart series. The pages run them, and so does "
               "`python -m outcomes kpis` for the headline metrics.",
    "quality": "What the Data page shows about the exports: files read, rejected rows and rows "
               "the team may want to correct.",
    "app": "What the app itself needs, such as the programs and sites the sidebar offers.",
    "model": "The shared model (specification, section 3): episode windows, stays, sessions "
             "and which episode each row belongs to. `python -m outcomes build` stores it in "
             "the database for the data's as-of date, so an edit here shows after the next "
             "build; the other folders are read from disk on every run.",
}
ALL = {"program": ui.ALL_PROGRAMS, "site": ui.ALL_SITES}
INTEGER_TYPES = ("integer", "int", "bigint", "smallint", "tinyint", "hugeint")
DAY_CHOICES = (7, 14, 30, 60, 90, 180, 365)

ui.require_access()  # before anything opens a connection of its own (the model preview)
filters = ui.current_filters()
ui.header("Query catalog", "Every number on the dashboard comes from one of these SQL files "
          "under `queries/`. Open one to read what it counts, where it is used and its SQL; run "
          "it with your own parameters and download the result.", filters)


# ---------------------------------------------------------------------------------------------
# Reading the queries (a file with a broken header is listed with its problem, not skipped)
# ---------------------------------------------------------------------------------------------

queries, broken = {}, []
for path in query_files(config.QUERIES):
    try:
        query = read_query(path)
        queries.setdefault(query.name, query)
    except QueryError as exc:
        broken.append((path, str(exc).replace(f"{path}: ", "")))

usage = check.query_usage(set(queries))
read_by = check.readers(queries)
page_values = check.page_parameters()
try:
    options = ui.run("filter_options")
    choices = {kind: sorted(options.loc[options["kind"] == kind, "value"].tolist())
               for kind in ("program", "site")}
except ui.QueryFailed:  # the forms then offer "all" only; the query's own entry shows the error
    choices = {"program": [], "site": []}
token = f"{filters.start}{filters.end}{filters.focus}{filters.program}{filters.site}"

st.caption(f"{len(queries)} queries in {len({q.group for q in queries.values()})} folders. "
           "Files are read from disk on every run: edit one and rerun the page (press **R**) to "
           "see its new result. `python -m outcomes check` checks every header, runs every "
           "query once and lints the SQL; `docs/adding-a-metric.md` walks through adding one.")
search = st.text_input("Find a query", key="catalog_search", placeholder="a name, or words of its "
                       "title or description", icon=":material/search:").strip().lower()


# ---------------------------------------------------------------------------------------------
# One query
# ---------------------------------------------------------------------------------------------


def listing(items: list[str], empty: str) -> str:
    return "\n".join(f"- {item}" for item in items) if items else empty


def default_values(query) -> dict:
    """The form's starting values: the sidebar's filters, the as-of date, what the page that
    runs this query passes, else a value of the parameter's type."""
    known = {**filters.params(), "as_of": ui.as_of(), **page_values.get(query.name, {})}
    known["days"] = list(filters.retention_days)
    return {p.name: check.value_for(p, known) for p in query.params}


def parameter_input(param, default, key: str):
    """One form input for one declared parameter; returns the value to bind."""
    label = f"${param.name}"
    help_text = f"Declared as `{param.name} {param.type}` in the file's header."
    kind = param.type
    base = kind.removesuffix("[]")
    if kind == "date":
        return st.date_input(label, value=default, format="YYYY-MM-DD", key=key, help=help_text)
    if kind == "varchar[]" and param.name == "focus":
        return st.multiselect(label, list(LEVEL_NAMES), default=list(default or []), key=key,
                              format_func=lambda level: f"{level} {LEVEL_NAMES[level]}", help=help_text)
    if kind == "varchar[]":
        return st.multiselect(label, list(default or []), default=list(default or []), key=key,
                              accept_new_options=True, help=help_text + " Type to add a value.")
    if kind == "varchar" and param.name in ALL:
        listed = [ALL[param.name], *choices[param.name]]
        chosen = st.selectbox(label, listed, index=listed.index(default) if default in listed else 0,
                              key=key, help=help_text)
        return None if chosen == ALL[param.name] else chosen
    if kind == "varchar" and param.name == "instrument":
        listed = [t.instrument for t in definitions.INSTRUMENT_THRESHOLDS]
        return st.selectbox(label, listed, key=key, help=help_text)
    if kind.endswith("[]") and base in INTEGER_TYPES:
        listed = sorted({*DAY_CHOICES, *(default or [])})
        chosen = st.multiselect(label, listed, default=list(default or []), key=key,
                                accept_new_options=True, help=help_text + " Type to add a number.")
        numbers = [int(v) for v in chosen if str(v).strip().lstrip("-").isdigit()]
        if len(numbers) < len(chosen):
            st.caption(":material/warning: Only whole numbers are used.")
        return numbers
    if base in INTEGER_TYPES:
        return int(st.number_input(label, value=int(default if default is not None else 0), step=1,
                                   key=key, help=help_text))
    if base in ("double", "float", "real") or base.startswith("decimal"):
        return float(st.number_input(label, value=float(default or 0.0), key=key, help=help_text))
    if base == "boolean":
        return st.checkbox(label, value=bool(default), key=key, help=help_text)
    text = st.text_input(label, value="" if default is None else str(default), key=key,
                         help=help_text + " Leave it empty for null.")
    return text or None


def run_form(query) -> None:
    """The form made from the query's parameters, and the result of its last run."""
    ran_key = f"catalog_ran_{query.name}"
    defaults = default_values(query)
    with st.form(f"catalog_form_{query.name}", border=True):
        if query.params:
            st.caption("Prefilled from the sidebar and, for any other parameter, with what the "
                       "page that runs this query passes.")
        values = {}
        # Lists of words (topics, session types) get a row of their own; the rest go three
        # to a row.
        wide = [p for p in query.params if p.type == "varchar[]" and p.name != "focus"]
        narrow = [p for p in query.params if p not in wide]
        if narrow:
            columns = st.columns(3)
            for i, param in enumerate(narrow):
                with columns[i % 3]:
                    values[param.name] = parameter_input(
                        param, defaults[param.name], f"catalog_{query.name}_{param.name}_{token}")
        for param in wide:
            values[param.name] = parameter_input(
                param, defaults[param.name], f"catalog_{query.name}_{param.name}_{token}")
        if not query.params:
            st.caption("This query takes no parameters.")
        values = {p.name: values[p.name] for p in query.params}  # the header's order
        if st.form_submit_button("Run", type="primary", icon=":material/play_arrow:",
                                 key=f"catalog_run_{query.name}"):
            st.session_state[ran_key] = values
    ran = st.session_state.get(ran_key)
    if ran is None:
        return
    with ui.panel():
        frame = ui.run(query.name, params=ran)
        shown = ", ".join(f"${k} = {workbench.describe_value(v)}" for k, v in ran.items())
        st.caption(f"**{len(frame):,} row{'s' if len(frame) != 1 else ''}**"
                   + (f" · ran with {shown}" if shown else ""))
        if frame.empty:
            ui.empty_state("The query returned no rows for these parameters.")
        else:
            ui.table(frame, key=f"catalog_result_{query.name}",
                     width="content" if len(frame.columns) <= 4 else "stretch")


def model_section(query) -> None:
    readers = read_by.get(query.name, [])
    st.markdown("**Read by:** " + (", ".join(f"`{r}`" for r in readers) if readers else
                "no other query names it."))
    if query.materialize == "macro":
        call = re.search(rf"macro\s+{re.escape(query.name)}\s*\(([^)]*)\)", query.sql)
        st.info(f"A table macro, created in the database by `python -m outcomes build`. A query "
                f"calls it like a table: `select * from {query.name}"
                f"({call.group(1) if call else ''})`.", icon=":material/functions:")
        return
    if query.materialize == "view":
        st.info("A view created in the database by `python -m outcomes build`: computed from the "
                "model's tables each time it is read. Edit the file, then rebuild.",
                icon=":material/database:")
    else:
        st.info("A table built into the database by `python -m outcomes build` for the data's "
                "as-of date. Edit the file, then rebuild: the pages read the built table.",
                icon=":material/database:")
    preview_key = f"catalog_preview_{query.name}"
    if st.button(f"Preview the first {PREVIEW_ROWS} rows", key=f"{preview_key}_button",
                 icon=":material/table_view:"):
        st.session_state[preview_key] = True
    if st.session_state.get(preview_key):
        try:
            result = workbench.run_select(config.db_path(), f'select * from "{query.name}"',
                                          row_cap=PREVIEW_ROWS)
        except (workbench.Refused, workbench.QueryError, workbench.TimedOut) as exc:
            st.error(f"The preview could not run. DuckDB says: {exc}")
            return
        st.caption(f"The first {len(result.frame):,} rows of `{query.name}` as built"
                   + (" (there are more)." if result.capped else "."))
        ui.table(result.frame, key=f"catalog_preview_{query.name}_table", download=False)


def show(query) -> None:
    # Only an open expander draws its contents (st.expander's lazy mode): 70 closed ones cost
    # the browser nothing, and opening one reruns the page.
    expander = st.expander(f"**{query.name}** · {query.title}", key=f"catalog_{query.name}",
                           on_change="rerun")
    with expander:
        if not expander.open:
            return
        st.markdown(query.description)
        left, middle, right = st.columns(3)
        with left:
            note = " (set by the build)" if query.materialize else ""
            st.markdown("**Parameters**\n\n" + listing(
                [f"`${p.name}` {p.type}{note}" for p in query.params], "none"))
        with middle:
            if query.materialize == "macro":  # a macro's header describes its columns in words
                columns = " ".join(query.columns) or "none"
            else:
                columns = ", ".join(f"`{c}`" for c in query.columns) or "none"
            st.markdown("**Columns**\n\n" + columns)
        with right:
            st.markdown("**Used by**\n\n" + listing(
                usage.get(query.name, []),
                "the model (see below)" if query.materialize else "no page yet"))
        lines = query.sql.count("\n") + 1
        st.code(query.sql, language="sql", line_numbers=True, wrap_lines=True,
                height=480 if lines > 32 else "content")
        st.caption(f"`{query.path.relative_to(config.ROOT) if query.path.is_relative_to(config.ROOT) else query.path}`"
                   f" · {lines} lines")
        if query.materialize:
            model_section(query)
        else:
            run_form(query)


def matches(query) -> bool:
    if not search:
        return True
    return any(search in text.lower() for text in (query.name, query.title, query.description))


# ---------------------------------------------------------------------------------------------
# The catalog, folder by folder
# ---------------------------------------------------------------------------------------------

folders = [f for f in FOLDERS if any(q.group == f for q in queries.values())]
folders += sorted({q.group for q in queries.values()} - set(folders))
shown_any = False
for folder in folders:
    members = [q for q in sorted(queries.values(), key=lambda q: q.path) if q.group == folder and matches(q)]
    problems = [(p, m) for p, m in broken if p.parent.name == folder]
    if not members and not problems:
        continue
    shown_any = True
    st.subheader(f"{folder}/ · {len(members)} quer{'ies' if len(members) != 1 else 'y'}")
    st.caption(FOLDERS.get(folder, "Queries the pages read by name."))
    for path, message in problems:
        st.error(f"`{path.name}` cannot be read: {message}", icon=":material/error:")
    for query in members:
        with ui.panel():
            show(query)
for path, message in broken:
    if path.parent.name not in folders:
        shown_any = True
        st.error(f"`{path.name}` cannot be read: {message}", icon=":material/error:")
if not shown_any:
    ui.empty_state(f"No query matches \u201c{search}\u201d." if search else "There are no queries under queries/.")
