"""Data: what was loaded, from which files, what was rejected and why, what needs cleaning.

Queries: build_record, source_files, load_summary, reject_reasons, rejected_rows,
unmatched_rows, stale_open_episodes, guest_rule_breaks, session_conflicts.
"""

import datetime as dt

import streamlit as st

from outcomes import ui
from outcomes.build import model_hash

ROW_LIMIT = 5000

ui.header("Data", "What the dashboard was built from, what was rejected and why, and what the "
          "team may want to correct in the EHR. This page is for directors and analysts: its "
          "lists name clients.")

with ui.panel("Build and freshness"):
    record = ui.run("build_record").iloc[0]
    as_of = record["as_of"].date() if hasattr(record["as_of"], "date") else record["as_of"]
    built = record["built_at"]
    c1, c2, c3 = st.columns(3)
    c1.metric("Data as of", f"{as_of:%d %b %Y}", help="The latest admit, discharge, session, "
              "assessment or event date among the loaded rows.", border=True)
    c2.metric("Built", f"{built:%d %b %Y %H:%M}", border=True,
              help=f"Exports folder: {record['exports_folder']}")
    c3.metric("Days from as-of to build", f"{(record['build_date'].date() - as_of).days}",
              border=True, help="How far the exports lag behind the day they were built.")
    if record["model_hash"] != model_hash():
        st.warning("The model SQL under queries/model has changed since this build; run "
                   "`python -m outcomes build` so the pages use it.", icon=":material/sync_problem:")

with ui.panel("Files loaded"):
    summary = ui.run("load_summary")
    ui.table(
        summary, "load_summary", download=False,
        column_config={
            "table_name": "Table", "file_name": "File",
            "rows_read": st.column_config.NumberColumn("Rows read", format="localized"),
            "duplicates": st.column_config.NumberColumn("Exact duplicates", help="Loaded once.",
                                                        format="localized"),
            "rejected": st.column_config.NumberColumn("Rejected rows", help="Broke at least one rule.",
                                                      format="localized"),
            "loaded": st.column_config.NumberColumn("Loaded", format="localized"),
        },
    )
    empty = summary.loc[summary["rows_read"] == 0, "file_name"].tolist()
    if empty:
        st.caption("Empty (header only): " + ", ".join(empty) + ".")
    files = ui.run("source_files")
    with st.expander("File details: size, hash, encoding, columns used and ignored"):
        ui.table(files, "source_files")

with ui.panel("Rejected rows"):
    reasons = ui.run("reject_reasons")
    if reasons.empty:
        ui.empty_state("No rows were rejected: every row kept every rule of the export contract.")
    else:
        st.markdown(f"**{int(reasons['rows'].sum()):,}** broken rules. Each reason names the "
                    "column and the rule; `first_line` is the first line of the file where it happens.")
        ui.table(reasons, "reject_reasons", download=False, column_config={
            "table_name": "Table", "source_file": "File", "column_name": "Column",
            "reason": st.column_config.TextColumn("Reason", width="large"),
            "rows": st.column_config.NumberColumn("Rows", format="localized"),
            "first_line": st.column_config.NumberColumn("First line", format="plain"),
        })
        rows = ui.run("rejected_rows", row_limit=ROW_LIMIT)
        with st.expander(f"The rejected rows (first {ROW_LIMIT:,})"):
            ui.table(rows, "rejected_rows", download=False)
            ui.table_download(ui.run("rejected_rows", row_limit=10_000_000), "rejected_rows")

with ui.panel("Rows that belong to no episode"):
    unmatched = ui.run("unmatched_rows")
    if unmatched.empty:
        ui.empty_state("Every session, assessment and relapse event belongs to an episode.")
    else:
        counts = unmatched.groupby(["source", "problem"]).size().reset_index(name="rows")
        ui.table(counts, "unmatched_counts", download=False)
        st.caption("'no episode': the row's date is outside all of the client's episode windows and "
                   "its episode_id (if any) names none of the client's episodes; metrics that count "
                   "by episode skip it. 'outside named episode': the row names an episode whose "
                   "window does not contain its date; it still belongs to that episode.")
        with st.expander("The rows"):
            ui.table(unmatched, "unmatched_rows")

with ui.panel("Open episodes with no attendance in 30 days"):
    stale = ui.run("stale_open_episodes")
    if stale.empty:
        ui.empty_state("Every open episode had an attended session in the last 30 days.")
    else:
        st.caption("Likely missed discharges in the EHR, or clients lost to care. Days since = "
                   "as-of date minus the last attended session (or the admission, if none).")
        ui.table(stale, "stale_open_episodes")

with ui.panel("Workshop guest-rule breaks (more than 3 guests)"):
    breaks = ui.run("guest_rule_breaks")
    if breaks.empty:
        ui.empty_state("No workshop row has more than 3 guests.")
    else:
        st.caption("Each client may bring up to 3 loved ones. These rows loaded; check the export "
                   "or the practice.")
        ui.table(breaks, "guest_rule_breaks")

with ui.panel("Sessions whose rows disagree"):
    conflicts = ui.run("session_conflicts")
    if conflicts.empty:
        ui.empty_state("No session has rows that disagree.")
    else:
        st.caption("Rows of one client with the same session_id but a different date, type or "
                   "status. The session counts once, as its row first by status (attended, "
                   "no-show, cancelled, excused), then date, then line.")
        ui.table(conflicts, "session_conflicts")

st.caption(f"Page drawn {dt.datetime.now():%d %b %Y %H:%M}.")
