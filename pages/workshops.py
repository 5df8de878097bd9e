"""Family workshops: are the bi-weekly Interpersonal Development Workshops held, attended and
reaching families?

Queries: workshops_held, workshop_reach (through kpis and for the per-workshop tiles),
workshop_cadence, guests_per_client, workshop_topics, family_topic_coverage, family_retention.
"""

import pandas as pd
import streamlit as st

from outcomes import definitions, ui
from outcomes.figures import workshops as figures

D = definitions
filters = ui.current_filters()
previous_filters = filters.previous_period()
ui.header("Family workshops", "Are the Interpersonal Development Workshops held every "
          f"{D.WORKSHOP_PLAN_DAYS} days, attended, and reaching families? Each client may bring up to "
          f"{D.WORKSHOP_GUEST_LIMIT} loved ones; {len(D.WORKSHOP_TOPICS)} curriculum topics rotate: "
          + "; ".join(t.lower() for t in D.WORKSHOP_TOPICS) + ".", filters)

TOPICS = {"topics": list(D.WORKSHOP_TOPICS)}
as_of = ui.as_of()
period_end = min(filters.end, as_of)


def per_workshop(held: pd.Series) -> tuple[float | None, float | None]:
    workshops = int(held["workshops_held"])
    if workshops == 0:
        return None, None
    return int(held["client_attendances"]) / workshops, int(held["guests"]) / workshops


# ---------------------------------------------------------------------------------------------
with ui.panel():
    values, previous = ui.kpis(filters), ui.kpis(previous_filters)
    held = ui.run("workshops_held", filters).iloc[0]
    held_before = ui.run("workshops_held", previous_filters).iloc[0]
    (clients_each, guests_each), (clients_before, guests_before) = per_workshop(held), per_workshop(held_before)
    workshops, workshops_before = int(held["workshops_held"]), int(held_before["workshops_held"])
    ui.value_tiles([
        ui.TileValue(D.metric("workshops_held"), workshops, workshops_before,
                     note=f"plan: one every {D.WORKSHOP_PLAN_DAYS} days at each site"),
        ui.TileValue(D.page_metric("clients_per_workshop"), clients_each, clients_before,
                     note=f"{int(held['client_attendances']):,} client attendances",
                     previous_note=f"({int(held_before['client_attendances']):,} / {workshops_before:,})"),
        ui.TileValue(D.page_metric("guests_per_workshop"), guests_each, guests_before,
                     note=f"{int(held['guests']):,} guests in all",
                     previous_note=f"({int(held_before['guests']):,} / {workshops_before:,})"),
        ui.kpi_tile(values, previous, "workshop_reach_rate"),
        ui.kpi_tile(values, previous, "family_reach_rate"),
    ], columns=5)
    st.caption("Workshops: distinct workshops (session id, else date and topic) with an attended "
               "row dated in the period, at any level of care. Reach: of focus episodes overlapping "
               "the period whose window spans 14 days or more, the share whose client attended a "
               "workshop inside the window (family reach: with at least one guest).")

# ---------------------------------------------------------------------------------------------
cadence = ui.run("workshop_cadence", filters, **TOPICS, guest_limit=D.WORKSHOP_GUEST_LIMIT,
                 gap_days=D.WORKSHOP_GAP_FLAG_DAYS)

with ui.panel("Cadence: is a workshop held every two weeks at each site?"):
    if cadence.empty:
        ui.empty_state("No workshop was held (no attended workshop row) in this period.")
    else:
        ui.chart(
            figures.cadence_timeline(cadence, D.WORKSHOP_GAP_FLAG_DAYS, (filters.start, period_end)),
            caption=f"Each dot is a workshop held in the period (larger = more people), one row per "
                    "site (the site of the episodes its attendees belong to). Lines join a site's "
                    f"consecutive workshops; a gap of more than {D.WORKSHOP_GAP_FLAG_DAYS} days "
                    f"against the {D.WORKSHOP_PLAN_DAYS}-day plan is red with its length (the first "
                    "gap is measured from the site's last workshop before the period, if any).",
            data=cadence, key="workshop_cadence")
        gaps = cadence[cadence["over_gap"]]
        lines = [f"**{len(gaps)}** gap{'s' if len(gaps) != 1 else ''} of more than "
                 f"{D.WORKSHOP_GAP_FLAG_DAYS} days"
                 + (": " + "; ".join(f"{figures.site_label(r.site)} {int(r.days_since_previous)} days "
                                     f"before {pd.Timestamp(r.workshop_date):%d %b %Y}"
                                     for r in gaps.itertuples()) if len(gaps) else "") + "."]
        for site, part in cadence.groupby(cadence["site"].map(figures.site_label)):
            last = pd.Timestamp(part["workshop_date"].max()).date()
            quiet = (period_end - last).days
            if quiet > D.WORKSHOP_GAP_FLAG_DAYS:
                lines.append(f"{site}: no workshop in the last {quiet} days of the period "
                             f"(since {last:%d %b %Y}).")
        st.markdown(" ".join(lines))

with ui.panel("Attendance per workshop"):
    if cadence.empty:
        ui.empty_state("No workshop was held in this period.")
    else:
        breaks = int((cadence["over_limit_rows"] > 0).sum())
        ui.chart(
            figures.attendance_per_workshop(cadence),
            caption="Clients who attended each workshop and the loved ones they brought (guests; "
                    "an empty guests value counts 0); the number above is everyone there. "
                    + (f"{breaks} workshop{'s' if breaks != 1 else ''} outlined in red had a client "
                       f"with more than {D.WORKSHOP_GUEST_LIMIT} guests (a program-rule break; the "
                       "rows are listed on the Data page)." if breaks else
                       f"No client brought more than {D.WORKSHOP_GUEST_LIMIT} guests."),
            data=cadence, key="workshop_attendance")
        ui.small_numbers_note(int(cadence["clients"].sum()), "client attendances")

# ---------------------------------------------------------------------------------------------
left, right = st.columns(2)
with left, ui.panel("Guests per attending client"):
    guests = ui.run("guests_per_client", filters, guest_limit=D.WORKSHOP_GUEST_LIMIT)
    if int(guests["attendances"].sum()) == 0:
        ui.empty_state("No client attended a workshop in this period.")
    else:
        over = int(guests.loc[guests["over_limit"], "attendances"].sum())
        ui.chart(
            figures.guests_per_client(guests),
            caption="Attended workshop rows dated in the period by the number of loved ones the "
                    f"client brought. The program allows up to {D.WORKSHOP_GUEST_LIMIT}; "
                    + (f"{over:,} attendance{'s' if over != 1 else ''} with more (red) broke the rule."
                       if over else "no one brought more.")
                    + " 'not recorded' = an empty guests value.",
            data=guests, key="guests_per_client")

with right, ui.panel("Topics covered per family"):
    coverage = ui.run("family_topic_coverage", filters, **TOPICS)
    families = int(coverage["families"].sum())
    if families == 0:
        ui.empty_state("No client brought a loved one to a workshop in this period.")
    else:
        ui.chart(
            figures.topic_coverage(coverage),
            caption=f"The {families:,} families (clients who brought at least one loved one to a "
                    "workshop dated in the period) by how many of the "
                    f"{len(D.WORKSHOP_TOPICS)} curriculum topics they attended with a guest in the "
                    f"period. Covering all {len(D.WORKSHOP_TOPICS)} takes "
                    f"{len(D.WORKSHOP_TOPICS)} workshops, about "
                    f"{len(D.WORKSHOP_TOPICS) * D.WORKSHOP_PLAN_DAYS // 7} weeks of the plan.",
            data=coverage, key="family_topic_coverage")
        ui.small_numbers_note(families, "families")

with ui.panel("Attendance by topic"):
    topics = ui.run("workshop_topics", filters, **TOPICS)
    if int(topics["client_attendances"].sum()) == 0:
        ui.empty_state("No client attended a workshop in this period.")
    else:
        ui.chart(
            figures.topics(topics),
            caption="Attended workshop rows dated in the period by topic: client attendances and "
                    "guests, with the workshops held on the topic and the families (clients with at "
                    "least one guest) under its name. Topics match the curriculum whatever their "
                    "case, spaces, hyphens or underscores; others are listed as written.",
            data=topics, key="workshop_topics")

# ---------------------------------------------------------------------------------------------
with ui.panel(f"{D.FAMILY_RETENTION_DAYS}-day retention and family participation"):
    retention = figures.retention_table(
        ui.run("family_retention", filters, retention_days=D.FAMILY_RETENTION_DAYS,
               early_days=D.FAMILY_EARLY_DAYS))
    eligible = int(retention["eligible"].sum())
    if eligible == 0:
        ui.empty_state(f"No focus admission in this period has {D.FAMILY_RETENTION_DAYS} days of "
                       "follow-up yet.")
    else:
        ui.chart(
            figures.family_retention(retention),
            caption=f"Focus admissions in the period with {D.FAMILY_RETENTION_DAYS} days of follow-up "
                    f"known ({eligible:,}; the {D.FAMILY_RETENTION_DAYS}-day retention rule: an "
                    f"attended treatment session of the stay on or after day {D.FAMILY_RETENTION_DAYS}, "
                    f"or a stay that ended completed; stays that ended transferred before day "
                    f"{D.FAMILY_RETENTION_DAYS} are left out), split by whether the client attended a "
                    f"workshop with at least one guest in days 0-{D.FAMILY_EARLY_DAYS} after admission. "
                    "Bars show the share retained with its 95% interval (Wilson). **This is an "
                    "association, not proof that the workshops cause it**: clients who are doing "
                    "well, who stay in the first weeks, or whose families are involved anyway are "
                    "more likely both to bring someone and to stay.",
            data=retention, key="family_retention")
        ui.small_numbers_note(int(retention["eligible"].min()), "admissions in the smaller group")
