"""Relapse: how often do clients relapse while in care, when, and what comes before it?

Queries: relapse_rate, relapse_episode_rate (through kpis), relapse_then_step_up,
time_to_first_relapse, relapse_rate_by_month, relapse_days_by_month,
show_rate_before_relapse, relapse_by_level, relapse_by_week_since_admission.
"""

from dataclasses import replace

import streamlit as st

from outcomes import definitions, survival, ui
from outcomes.figures import relapse as figures

D = definitions
filters = ui.current_filters()
previous_filters = filters.previous_period()
ui.header("Relapse", "How often do clients relapse while in care, when, and what comes before "
          "it? A **relapse day** is a day with at least one relapse event (positive screen, "
          "self-report, collateral report, overdose or other) inside a focus episode's window "
          "(admission to discharge, or to the as-of date while open).", filters)

STEP_UP = {"step_up_days": D.STEP_UP_DAYS}

# ---------------------------------------------------------------------------------------------
with ui.panel():
    values, previous = ui.kpis(filters), ui.kpis(previous_filters)
    step_up = ui.run("relapse_then_step_up", filters, **STEP_UP).iloc[0]
    step_up_before = ui.run("relapse_then_step_up", previous_filters, **STEP_UP).iloc[0]
    first = ui.run("time_to_first_relapse", filters)
    median, relapsed, admitted = figures.first_relapse_median(first)
    median_before, _, _ = figures.first_relapse_median(ui.run("time_to_first_relapse", previous_filters))
    rate_tile = ui.kpi_tile(values, previous, "relapse_rate_per_1000_days")
    episode_tile = ui.kpi_tile(values, previous, "relapse_episode_rate")
    ui.value_tiles([
        replace(rate_tile, note=f"{rate_tile.numerator:,} relapse days / {rate_tile.denominator:,} "
                                "client-days"),
        replace(episode_tile, note=f"{episode_tile.numerator:,} of {episode_tile.denominator:,} "
                                   "episodes"),
        ui.TileValue(
            D.page_metric("relapse_step_up_rate"), None if step_up["eligible"] == 0 else float(step_up["rate"]),
            None if step_up_before["eligible"] == 0 else float(step_up_before["rate"]),
            numerator=int(step_up["stepped_up"]), denominator=int(step_up["eligible"]),
            note=f"{int(step_up['stepped_up']):,} of {int(step_up['eligible']):,} relapse days",
            previous_note=f"({int(step_up_before['stepped_up']):,} / {int(step_up_before['eligible']):,})",
        ),
        ui.TileValue(
            D.page_metric("median_days_to_first_relapse"), median, median_before,
            numerator=relapsed, denominator=admitted,
            note=f"{relapsed:,} of {admitted:,} admissions relapsed",
        ),
    ])
    notes = ["Median days to first relapse counts only the admissions that relapsed; the curve "
             "below also counts those that did not."]
    if int(step_up["too_recent"]):
        notes.insert(0, f"Step-up: {int(step_up['too_recent']):,} relapse days in the last "
                        f"{D.STEP_UP_DAYS} days before the as-of date are not counted yet (what "
                        "followed them is not known).")
    st.caption(" ".join(notes))

# ---------------------------------------------------------------------------------------------
with ui.panel("Relapse rate by month"):
    months = ui.run("relapse_rate_by_month", filters)
    if months.empty or int(months["client_days"].sum()) == 0:
        ui.empty_state("No client was in focus care in this period, so there is no relapse rate "
                       "to show.")
    else:
        ui.chart(
            figures.monthly_relapse_rate(months, overall=values.get("relapse_rate_per_1000_days")),
            caption="Relapse days per 1,000 client-days in each month of the period (under each "
                    "month: relapse days / client-days). A client-day is a distinct (client, day) "
                    "inside at least one focus episode window; a relapse day is a distinct (client, "
                    "date) with a relapse event of any type on such a day. Months cut by the "
                    "period show their days in brackets; the dashed line is the whole period's "
                    "rate (the first tile).",
            data=months, key="relapse_rate_by_month")
        ui.small_numbers_note(int(months["relapse_days"].sum()), "relapse days")

# ---------------------------------------------------------------------------------------------
with ui.panel("Relapse days by month: what was found, and which substance"):
    by_month = ui.run("relapse_days_by_month", filters, type_order=list(D.RELAPSE_TYPE_ORDER))
    if by_month.empty:
        ui.empty_state("No relapse days in this period inside focus episode windows.")
    else:
        split = st.segmented_control(
            "Split by", ["Event type", "Substance"], default="Event type", key="relapse_split",
            bind="query-params") or "Event type"
        column = "event_type" if split == "Event type" else "substance"
        order = " > ".join(D.RELAPSE_TYPE_LABELS[t].lower() for t in D.RELAPSE_TYPE_ORDER)
        ui.chart(
            figures.relapse_days_by_category(by_month, months, column),
            caption="Relapse days (as above) by month. A day with several events counts once, as "
                    f"its first event in the order {order}, and with that event's substance "
                    "('not recorded' when the export leaves it empty), so each month's bar adds "
                    "up to its relapse days above.",
            data=by_month[by_month["split"] == column], key=f"relapse_days_by_{column}")

# ---------------------------------------------------------------------------------------------
with ui.panel("Time to first relapse after admission"):
    if first.empty:
        ui.empty_state("No focus admissions in this period.")
    else:
        split = st.selectbox(
            "Split the curve by", list(figures.SPLITS), key="relapse_km_split",
            format_func=lambda k: figures.SPLITS[k][0], bind="query-params", width=320)
        groups = figures.group_labels(first, split)
        table = survival.kaplan_meier(first["days"], first["relapsed"], groups)
        sizes = groups.value_counts().to_dict()
        ui.chart(
            figures.time_to_relapse_curve(table, sizes),
            caption="Kaplan-Meier estimate of the share of focus admissions in the period still "
                    "without a relapse, by days since admission, with 95% bands (Greenwood, "
                    "log-log). Event: the client's first relapse event dated inside the episode "
                    "window (day 0 = the admit day). Censored at discharge, or at the as-of date "
                    "while still in care: those clients count as at risk until then. Followed "
                    "past the period's end up to the as-of date. The six largest groups of at "
                    f"least {D.SMALL_CELL} admissions get a curve; the rest share 'Other groups'.",
            data=table, key="time_to_first_relapse")
        small = [g for g, n in sizes.items() if n < D.SMALL_CELL]
        if small:
            st.caption(f":material/warning: Small numbers: fewer than {D.SMALL_CELL} admissions "
                       f"behind the curve{'s' if len(small) > 1 else ''} of "
                       f"{', '.join(sorted(map(str, small)))}; read with care.")

# ---------------------------------------------------------------------------------------------
with ui.panel("Early warning: attendance in the two weeks before a relapse"):
    pairs = ui.run("show_rate_before_relapse", filters, warning_days=D.EARLY_WARNING_DAYS)
    summary = figures.paired_show_rates(pairs)
    if summary["paired"] == 0:
        ui.empty_state("No client with a relapse in this period had scheduled sessions both in "
                       f"the {D.EARLY_WARNING_DAYS} days before a relapse and at other times, so "
                       "there is nothing to compare.")
    else:
        left, right = st.columns([3, 2])
        with left:
            ui.chart(
                figures.early_warning(summary),
                caption=f"The {summary['paired']:,} clients with a relapse in the period who had "
                        f"sessions both in the {D.EARLY_WARNING_DAYS} days before a relapse (days "
                        f"1-{D.EARLY_WARNING_DAYS} before any of their relapse days) and at other "
                        "times, so each client is in both bars. Show rate = attended / (attended + "
                        "no-show) over treatment sessions of their focus episodes; cancelled and "
                        "excused count in neither, nor do sessions on a relapse day (a positive "
                        "screen is itself a session). 'Rest of their care' includes the weeks after "
                        f"a relapse. {summary['unpaired']:,} relapsing clients without sessions in "
                        "both are left out.",
                data=figures.paired_table(summary), key="show_rate_before_relapse")
        with right:
            lower_share = summary["lower_before"] / summary["paired"]
            ui.chart(
                figures.difference_histogram(figures.difference_bins(pairs)),
                caption="Each client's own show rate before a relapse minus their rate otherwise "
                        "(red: lower before a relapse; grey: within 5 points either way). Lower "
                        f"before a relapse for {summary['lower_before']:,} of {summary['paired']:,} "
                        f"clients ({lower_share:.0%}), the same for {summary['same']:,}, higher for "
                        f"{summary['higher_before']:,}; median difference "
                        f"{summary['median_difference'] * 100:+.1f} points. Missed sessions can "
                        "warn of a relapse; they do not prove one is coming.",
                data=figures.difference_bins(pairs), key="show_rate_difference")
        ui.small_numbers_note(summary["paired"], "clients")

# ---------------------------------------------------------------------------------------------
with ui.panel("By level of care"):
    levels = ui.run("relapse_by_level", filters)
    if levels.empty:
        ui.empty_state("No episode at any level was in care in this period.")
    else:
        ui.chart(
            figures.relapse_by_level(levels),
            caption="Relapse days per 1,000 client-days inside episode windows of each level of "
                    "care in the period (relapse days / client-days), every level and not only "
                    "the focus levels (navy). Residential and detox days are supervised, so few "
                    "relapses are found there; the program and site filters apply.",
            data=levels, key="relapse_by_level")

with ui.panel("By week since admission"):
    weeks = ui.run("relapse_by_week_since_admission", filters, max_week=D.RELAPSE_MAX_WEEK)
    if weeks.empty:
        ui.empty_state("No focus episode was in care in this period.")
    else:
        ui.chart(
            figures.relapse_by_week(weeks, D.RELAPSE_MAX_WEEK),
            caption="Relapse days per 1,000 episode-days of focus episodes in the period, by week "
                    "since admission (week 0 = the admit day and the 6 days after; "
                    f"{D.RELAPSE_MAX_WEEK}+ = week {D.RELAPSE_MAX_WEEK} and later). Under each "
                    f"week: the episodes in care that week; grey bars rest on fewer than "
                    f"{D.SMALL_CELL}.",
            data=weeks, key="relapse_by_week_since_admission")
