"""Retention: are clients staying in treatment?

Queries: the headline metrics (admissions, discharge_outcomes, continuation_rate,
retention_rate, attendance_rate, active_census through ui.kpis), retention_curve,
cohort_retention, discharge_reasons_by_month, show_rate_by_week, show_rate_by_type,
no_shows_by_weekday, follow_up_list.
"""

import dataclasses

import pandas as pd
import streamlit as st

from outcomes import definitions, survival, ui
from outcomes.figures import retention as figures

COHORT_WEEKS = 20
SPLITS = {
    "none": "No split",
    "program": "Program",
    "site": "Site",
    "primary_substance": "Primary substance",
    "referral_source": "Referral source",
    "admission_level": "Admission level",
    "stay_first_level": "Level the stay began at",
}
MAX_GROUPS = 6  # the largest groups get their own curve; the rest share one
SMALL = definitions.SMALL_CELL

filters = ui.current_filters()
ui.header("Retention", "Are clients staying in treatment? Admissions to the focus levels, how "
          "long they stay, how often they show up, how their episodes end, and who needs a "
          "call today.", filters)
period_words = f"{filters.start:%d %b %Y} - {filters.end:%d %b %Y}"

# --------------------------------------------------------------------------------- headline tiles

with ui.panel():
    values, previous = ui.kpis(filters), ui.kpis(filters.previous_period())
    ui.tiles(values, previous, [
        "admissions", "discharges", "active_census_end", "attendance_rate", "continuation_rate",
        "retention_30d", "retention_60d", "retention_90d", "completion_rate", "median_los_days",
    ], columns=4)
    st.caption(
        "Change against the previous period of equal length "
        f"({filters.previous_period().start:%d %b %Y} - {filters.previous_period().end:%d %b %Y}); "
        "the line under a rate is its numerator of its denominator, and the ? gives the "
        "definition. Retention at N days counts an admission as retained when its stay has an "
        "attended treatment session on or after day N, or ended completed; stays that ended "
        "transferred before day N are left out, and admissions less than N days old are not "
        f"counted yet. TEDS-D 2004 national IOP figures: {definitions.BENCHMARKS['completion_rate'].label}, "
        f"{definitions.BENCHMARKS['median_los_days'].label}."
    )

# --------------------------------------------------------------------------------- Kaplan-Meier


def _grouped(rows: pd.DataFrame, split: str) -> tuple[pd.Series, dict]:
    """The group of each admission for the split (the largest groups, the rest together) and
    the legend labels with each group's size."""
    if split == "none":
        groups = pd.Series("All admissions", index=rows.index)
    else:
        values = rows[split].astype(str)
        sizes = values.value_counts()
        keep = [g for g in sizes.index[:MAX_GROUPS] if sizes[g] >= SMALL]
        rest = "Other groups" if len(keep) else "All admissions"
        groups = values.where(values.isin(keep), rest)
    sizes = groups.value_counts()
    labels = {g: f"{g} (n={int(sizes[g]):,})" for g in sizes.index}
    return groups, labels


with ui.panel("How long do admissions stay in care?"):
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    split = left.selectbox(
        "Split the curve by", list(SPLITS), format_func=SPLITS.get, key="km_split", bind="query-params",
        help="One curve per program, site, primary substance, referral source, level of the "
             "admission (2.1 or 2.5 when both are focus levels) or level the stay began at "
             "(e.g. 3.5 for a step-down from residential care).",
    ) or "none"
    day = right.slider(
        "Retention day N", min_value=7, max_value=365, value=120, step=1, key="retention_day",
        bind="query-params", help="Moves the marker on the curve and recomputes the N-day retention tile.",
    )
    rows = ui.run("retention_curve", filters)
    if rows.empty:
        ui.empty_state(f"No admissions to the focus levels in {period_words}, so there is no curve to draw.")
    else:
        groups, labels = _grouped(rows, split)
        if split != "none" and set(groups) == {"All admissions"}:
            st.caption(f":material/info: No {SPLITS[split].lower()} has {SMALL} admissions or more in "
                       "this period, so the curve is not split (small groups are pooled).")
        order = groups.value_counts().index.tolist()
        table = survival.kaplan_meier(rows["duration_days"], rows["lost"], groups)
        table["group"] = pd.Categorical(table["group"], categories=order, ordered=True)
        table = table.sort_values(["group", "time"]).assign(group=lambda t: t["group"].astype(str))
        chart_col, tile_col = st.columns([3, 1])
        with tile_col:
            chosen = dataclasses.replace(filters, retention_days=(day,))
            ui.tiles(ui.kpis(chosen), ui.kpis(chosen.previous_period()), [f"retention_{day}d"], columns=1)
            at_day = survival.survival_at(table, day).set_index("group").reindex(order).dropna(subset=["survival"])
            lines = [f"- {labels.get(g, g)}: **{r.survival:.0%}**" for g, r in at_day.iterrows()]
            st.markdown(f"Still in care on day {day} by the curve (not lost):\n" + "\n".join(lines))
            st.caption("The tile and the curve answer different questions: the tile counts a "
                       "completed stay as retained; the curve stops following it (censored) at its "
                       "last session.")
        with chart_col:
            fig = figures.retention_curve(table, markers=definitions.DEFAULT_RETENTION_DAYS, highlight=day,
                                          labels=labels)
            ui.chart(
                fig, key="retention_curve", data=table,
                caption=(
                    f"Kaplan-Meier estimate over the {len(rows):,} focus admissions of {period_words} "
                    "(placed in the period by their admit date), with its 95% band (Greenwood, log-log). "
                    "Time = the stay's last attended treatment session (not workshops) minus the admit "
                    "date, 0 when there is none on or after it. Lost (the curve steps down) = the stay "
                    "ended dropped out, terminated, incarcerated, deceased or other, or it is still open "
                    f"with no attended session in the last {definitions.KM_LOST_AFTER_DAYS} days. "
                    "Completed or transferred stays, and open stays still attending, are followed up to "
                    "their last session and then censored. Dotted lines at 30/60/90 days; the solid line "
                    f"is day {day}. Splits with fewer than {SMALL} admissions are pooled in 'Other groups'."
                ),
            )
            ui.small_numbers_note(len(rows), "admissions")

# --------------------------------------------------------------------------------- cohorts

with ui.panel("Are newer cohorts staying longer?"):
    cohorts = ui.run("cohort_retention", filters, weeks=COHORT_WEEKS)
    if cohorts.empty:
        ui.empty_state(f"No admissions to the focus levels in {period_words}: no cohorts to compare.")
    else:
        ui.chart(
            figures.cohort_heatmap(cohorts), key="cohort_retention", data=cohorts,
            on_select=ui.month_click("cohort_retention", from_customdata=True),
            caption=(
                "Each row is the focus admissions of one admission month in the period (n = cohort "
                "size); each cell the share still attending in that week since admission or later: "
                "an attended treatment session of their stay dated on or after day 7 x week. Blank "
                "cells are too young to tell: not every admission of the cohort has lived through "
                "that week by the as-of date. Hover for the counts; click a cohort to see that "
                "admission month on the whole page."
            ),
        )
        sizes = cohorts.groupby("cohort_month")["cohort_size"].first()
        small = sizes[(sizes > 0) & (sizes < SMALL)]
        if len(small):
            st.caption(f":material/warning: Small numbers: {len(small)} cohort(s) have fewer than "
                       f"{SMALL} admissions; read their rows with care.")

# --------------------------------------------------------------------------------- discharge reasons

with ui.panel("How do episodes end?"):
    reasons = ui.run("discharge_reasons_by_month", filters)
    teds = [figures.TEDS_SHARES[r].value for r in ("completed", "transferred", "dropped_out")]
    if reasons.empty:
        ui.empty_state(f"No discharges from the focus levels in {period_words}.")
    else:
        ui.chart(
            figures.discharge_reasons_by_month(reasons), key="discharge_reasons_by_month", data=reasons,
            on_select=ui.month_click("discharge_reasons_by_month"),
            caption=(
                "Focus episodes placed in the period by their discharge date, by month and reason "
                "(each bar is that month's discharges; hover for the counts). Dashed lines: the "
                f"{definitions.TEDS} shares stacked in the same order: completed {teds[0]:.1%}, then "
                f"transferred {teds[1]:.1%} (to {teds[0] + teds[1]:.1%}), then dropped out "
                f"{teds[2]:.1%} (to {sum(teds):.1%}). A green stack reaching above the first line "
                "means a larger share completed than nationally. Click a month's bar to see that "
                "month on the whole page (the sidebar's period follows; set it back there)."
            ),
        )
        months = reasons.groupby("month")["month_discharges"].first()
        small = months[(months > 0) & (months < SMALL)]
        if len(small):
            st.caption(f":material/warning: Small numbers: {len(small)} month(s) have fewer than "
                       f"{SMALL} discharges; their shares move a lot with one client.")
        period_total = reasons.groupby("discharge_reason", as_index=False)["discharges"].sum()
        ui.chart(
            figures.discharge_reasons_vs_teds(period_total), key="discharge_reasons_vs_teds",
            data=period_total.assign(share=period_total["discharges"] / period_total["discharges"].sum()),
            caption=(
                f"The whole period: share of the {int(period_total['discharges'].sum()):,} focus "
                f"discharges by reason; the black ticks are the {definitions.TEDS} shares (completed, "
                "transferred, dropped out; TEDS has no national share for the other reasons here)."
            ),
        )
        ui.small_numbers_note(int(period_total["discharges"].sum()), "discharges")

# --------------------------------------------------------------------------------- show rates

with ui.panel("Do clients show up?"):
    weekly = ui.run("show_rate_by_week", filters)
    if weekly.empty or weekly["rate"].isna().all():
        ui.empty_state(f"No attended or missed sessions of focus episodes in {period_words}.")
    else:
        overall = values.get("attendance_rate")
        ui.chart(
            figures.show_rate_by_week(weekly, overall=overall), key="show_rate_by_week", data=weekly,
            caption=(
                "Show rate = attended / (attended + no-show) over sessions of any type (workshops "
                "too) dated in the period that belong to a focus episode; cancelled and excused "
                "sessions count in neither. One point a week (Monday to Sunday); hollow points are "
                "weeks cut by the period's first or last day. Dashed: the period's rate (the tile)."
            ),
        )
        by_type, by_day = st.columns(2)
        with by_type:
            types = ui.run("show_rate_by_type", filters)
            st.markdown("**Show rate by session type**")
            ui.chart(figures.show_rate_by_type(types), key="show_rate_by_type",
                     data=types, caption="The same sessions by type. Workshops are the family "
                     "workshops; 'other' includes case management and urine screens.")
        with by_day:
            days = ui.run("no_shows_by_weekday", filters)
            st.markdown("**No-shows by day of the week**")
            ui.chart(figures.no_shows_by_weekday(days), key="no_shows_by_weekday",
                     data=days, caption="Of the scheduled sessions (attended + no-show) on each day of "
                     "the week, the share that were no-shows, with the counts.")
            if len(days) and (days["scheduled"] < SMALL).any():
                st.caption(":material/warning: Small numbers: "
                           + ", ".join(days.loc[days["scheduled"] < SMALL, "weekday_name"])
                           + f" had fewer than {SMALL} scheduled sessions.")

# --------------------------------------------------------------------------------- follow-up list

with ui.panel("Clients to follow up"):
    as_of = ui.as_of()
    st.caption(
        ":material/lock: Client-level list for directors and analysts: it names clients and never "
        f"goes on the board page. As of the data's as-of date, {as_of:%d %b %Y}, whatever the period."
    )
    follow = ui.run("follow_up_list", filters)
    if follow.empty:
        ui.empty_state(
            f"No open focus-level client needs a call as of {as_of:%d %b %Y}: nobody missed their last "
            "two scheduled sessions, went 8 or more days without an attended session, or had a "
            "relapse event in the last 14 days."
        )
    else:
        counts = [
            (int(follow["missed_last_two"].sum()), "missed their last two scheduled sessions"),
            (int(follow["no_recent_attendance"].sum()), "had no attended session in the last 7 days"),
            (int(follow["recent_relapse"].sum()), "had a relapse event in the last 14 days"),
        ]
        st.markdown(f"**{len(follow):,}** clients to call: " + "; ".join(f"{n:,} {w}" for n, w in counts)
                    + " (a client can have several reasons).")
        shown = follow[["client_id", "triggers", "last_attended_date", "days_since_attended",
                        "last_two_statuses", "last_relapse_date", "program", "site", "admit_date"]].assign(
            last_two_statuses=follow["last_two_statuses"].str.replace("no_show", "no-show"))
        ui.table(shown, "follow_up_list", download=False, column_config={
            "client_id": "Client", "triggers": st.column_config.TextColumn("Why", width="large"),
            "last_attended_date": st.column_config.DateColumn("Last attended", format="YYYY-MM-DD"),
            "days_since_attended": st.column_config.NumberColumn(
                "Days since", help="As-of date minus the last attended treatment session (minus the "
                "admission when the client never attended)."),
            "last_two_statuses": st.column_config.TextColumn(
                "Last two scheduled", help="Status of the last two attended or no-show treatment "
                "sessions of the stay, latest first."),
            "last_relapse_date": st.column_config.DateColumn("Last relapse event", format="YYYY-MM-DD"),
            "program": "Program", "site": "Site",
            "admit_date": st.column_config.DateColumn("Admitted", format="YYYY-MM-DD"),
        })
        ui.table_download(follow, "follow_up_list")  # every column, with the episode and the flags
        st.caption(
            "Open focus episodes on the as-of date (program and site filters apply). Sessions are "
            "the treatment sessions (not workshops) of the client's current stay; a scheduled "
            "session is one attended or missed (no-show); cancelled and excused ones are not "
            "counted. Flagged when the last two scheduled sessions were both no-shows, when the "
            "last attended session is 8 or more days before the as-of date (from the admission "
            "if the client never attended), or when the client has a relapse event of any type "
            "dated in the 14 days up to the as-of date."
        )
