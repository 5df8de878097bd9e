"""Transitions: do clients step down from residential care in time, and step up when they
relapse?

Queries: the headline metrics (step_down_rate, step_up_rate through ui.kpis), stay_flows,
transition_matrix, step_down_by_month, step_down_gaps, step_up_precursors, time_in_level,
level_waits, returns_to_care.
"""

import streamlit as st

from outcomes import definitions, ui
from outcomes.figures import transitions as figures

SMALL = definitions.SMALL_CELL
DOWN_7, DOWN_30 = definitions.STEP_DOWN_DAYS

filters = ui.current_filters()
ui.header("Transitions", "Do clients step down from residential care in time, and step up when "
          "they relapse? How stays move between levels of care, how long each level lasts, and "
          "who comes back.", filters)
period_words = f"{filters.start:%d %b %Y} - {filters.end:%d %b %Y}"
scope_words = "all levels of care" + (f", {filters.program}" if filters.program else "") + (
    f", {filters.site}" if filters.site else "")

# --------------------------------------------------------------------------------- headline tiles

with ui.panel():
    values, previous = ui.kpis(filters), ui.kpis(filters.previous_period())
    ui.tiles(values, previous, ["step_down_7d_rate", "step_down_30d_rate", "step_up_rate"], columns=3)
    st.caption(
        "Change against the previous period of equal length; the line under a rate is its numerator "
        "of its denominator. Step-down: of episodes at level 3.0 or above (residential, inpatient, "
        "withdrawal management) discharged completed or transferred in the period, the share whose "
        f"client started a lower level 0..{DOWN_7} or 0..{DOWN_30} days later (discharges too recent "
        f"to know are left out). Step-up: of focus episodes discharged in the period, the share "
        f"followed by a higher level within {definitions.STEP_UP_DAYS} days."
    )

# --------------------------------------------------------------------------------- Sankey

with ui.panel("Where do stays go?"):
    flows = ui.run("stay_flows", filters)
    if flows.empty:
        ui.empty_state(f"No stay started in {period_words} ({scope_words}).")
    else:
        total = int(flows["stays"].sum())
        longer = int(flows.loc[flows["more_levels"], "stays"].sum())
        ui.chart(
            figures.stay_sankey(flows), key="stay_flows", data=flows,
            caption=(
                f"The {total:,} stays that started in the period ({scope_words}; a stay is a client's "
                f"episodes chained while each starts within {definitions.STAY_GAP_DAYS} days of the "
                "last discharge), from the level they began at through each next level to how the "
                "stay ended (the reason of its last discharge) or 'still in care'. Green links step "
                "down, orange step up, grey stay at the same level. Hover for the counts."
                + (f" {longer:,} stays had more than four levels; their first four are drawn." if longer else "")
            ),
        )
        ui.small_numbers_note(total, "stays")

# --------------------------------------------------------------------------------- matrix

with ui.panel("Which moves happen?"):
    matrix = ui.run("transition_matrix", filters)
    if matrix.empty:
        ui.empty_state(f"No moves between levels of care started in {period_words} ({scope_words}).")
    else:
        moves = int(matrix["moves"].sum())
        ui.chart(
            figures.transition_matrix(matrix), key="transition_matrix", data=matrix,
            caption=(
                f"Every move from one episode to the next inside a stay whose next episode started in "
                f"the period ({moves:,} move{'' if moves == 1 else 's'}; {scope_words}; with a program or site "
                "filter, moves out of its episodes). Each cell: moves and their share of the row (all "
                "moves out of that level). Green: step-down to a lower level; orange: step-up; grey: "
                "same level. 3.7-WM (withdrawal management) is shown apart but counts as 3.7."
            ),
        )
        small_rows = matrix.groupby("from_level")["from_total"].first()
        if (small_rows < SMALL).any():
            st.caption(":material/warning: Small numbers: rows with fewer than "
                       f"{SMALL} moves: " + ", ".join(small_rows[small_rows < SMALL].index) + ".")

# --------------------------------------------------------------------------------- step-down

with ui.panel("Do residential discharges step down in time?"):
    by_month = ui.run("step_down_by_month", filters)
    if by_month.empty:
        ui.empty_state(f"No level 3+ episode was discharged completed or transferred in {period_words}.")
    else:
        ui.chart(
            figures.step_down_by_month(by_month), key="step_down_by_month", data=by_month,
            on_select=ui.month_click("step_down_by_month"),
            caption=(
                "Episodes at level 3.0 or above discharged completed or transferred, by discharge month: "
                f"the share whose client started a lower level 0..{DOWN_7} and 0..{DOWN_30} days after the "
                "discharge (the discharge day counts; any program or site; the next level need not be "
                "in the same stay). A month has a point only once every discharge in it has that many "
                "days of follow-up by the as-of date; summed over the months these are the tiles. "
                "Click a month's point to see that month on the whole page (the sidebar's period "
                "follows; set it back there)."
            ),
        )
        eligible = by_month.loc[by_month["days"] == DOWN_7, "eligible"]
        if ((eligible > 0) & (eligible < SMALL)).any():
            st.caption(f":material/warning: Small numbers: some months have fewer than {SMALL} "
                       "discharges with follow-up known.")
        gaps = ui.run("step_down_gaps", filters)
        st.markdown("**Days until the next, lower level**")
        ui.chart(
            figures.step_down_gaps(gaps), key="step_down_gaps",
            data=gaps,
            caption=(
                f"The same {int(gaps['discharges'].sum()):,} discharges by the days until the client's first "
                "admission at a lower level on or after the discharge date (any program, site or stay). "
                "'None yet': no lower level by the as-of date; the hatched part of it was discharged "
                "less than 30 days before the as-of date and may still step down."
            ),
        )

# --------------------------------------------------------------------------------- step-up

with ui.panel("Do clients step up when they relapse?"):
    ups = ui.run("step_up_precursors", filters)
    if ups.empty:
        ui.empty_state(
            f"No focus episode was discharged in {period_words} with {definitions.STEP_UP_DAYS} days of "
            "follow-up known by the as-of date."
        )
    elif int(ups["stepped_up"].sum()) == 0:
        ui.empty_state(f"None of the {int(ups['eligible'].sum()):,} focus discharges of {period_words} "
                       f"was followed by a higher level within {definitions.STEP_UP_DAYS} days.")
    else:
        stepped, after = int(ups["stepped_up"].sum()), int(ups["after_relapse"].sum())
        ui.chart(
            figures.step_up_precursors(ups), key="step_up_precursors", data=ups,
            on_select=ui.month_click("step_up_precursors"),
            caption=(
                f"Focus episodes discharged in the period (with {definitions.STEP_UP_DAYS} days of "
                "follow-up known), by discharge month: the bars are those followed by an admission at a "
                f"higher level 0..{definitions.STEP_UP_DAYS} days later, split by whether the client "
                f"had a relapse event of any type in the {definitions.STEP_UP_DAYS} days up to that "
                f"admission ({after:,} of {stepped:,} did). Above each bar: the month's step-up rate, "
                "step-ups of eligible discharges. Click a month's bar to see that month on the whole "
                "page."
            ),
        )
        ui.small_numbers_note(stepped, "step-ups")

# --------------------------------------------------------------------------------- time in level

with ui.panel("How long does each level last, and how long are the waits between levels?"):
    lengths = ui.run("time_in_level", filters)
    if lengths.empty:
        ui.empty_state(f"No episode was discharged in {period_words} ({scope_words}).")
    else:
        st.markdown("**Length of episode, by level**")
        ui.chart(
            figures.time_in_level(lengths), key="time_in_level", data=lengths,
            caption=(
                f"Episodes of every level discharged in the period ({scope_words}): days from admission "
                "to discharge. Dark bar: the middle half (25th to 75th percentile); thin line: 10th to "
                "90th; tick: the median (for 2.1 it is the median length of stay tile's number when "
                "IOP is the only focus level). Open episodes are not included (their length is not "
                "known yet; the CSV counts them in still_open)."
            ),
        )
        if (lengths["discharges"] < SMALL).any():
            st.caption(f":material/warning: Small numbers: fewer than {SMALL} discharges at "
                       + ", ".join(lengths.loc[lengths["discharges"] < SMALL, "level_of_care"])
                       + "; their percentiles are unsteady.")
    waits = ui.run("level_waits", filters)
    if waits.empty:
        ui.empty_state(f"No move out of a discharged episode started in {period_words} ({scope_words}).")
    else:
        st.markdown("**Wait before the next level**")
        ui.chart(
            figures.level_waits(waits), key="level_waits", data=waits,
            caption=(
                "Moves inside a stay whose next episode started in the period, out of a discharged "
                "episode: days from the discharge to the next admission (0 when they overlap). Dot: "
                "the median; whiskers: the middle half (25th to 75th percentile). A wait over "
                f"{definitions.STAY_GAP_DAYS} days starts a new stay, so it is not a move here; the "
                "step-down chart above follows residential discharges beyond it."
            ),
        )
        if (waits["moves"] < SMALL).any():
            st.caption(f":material/warning: Small numbers: some moves happened fewer than {SMALL} "
                       "times; their waits are anecdotes, not patterns.")

# --------------------------------------------------------------------------------- returns

with ui.panel("Who comes back?"):
    returns = ui.run("returns_to_care", filters)
    if returns.empty:
        ui.empty_state(f"No stay ended in {period_words} ({scope_words}).")
    elif int(returns["eligible"].sum()) == 0:
        ui.empty_state(f"The stays that ended in {period_words} ended less than 90 days before the "
                       "as-of date, so returns cannot be counted yet.")
    else:
        ui.chart(
            figures.returns_to_care(returns), key="returns_to_care", data=returns,
            caption=(
                f"Stays that ended in the period ({scope_words}; a stay has ended when all its episodes "
                "are discharged, on its latest discharge date): the share whose client began a new stay "
                f"(after a gap of more than {definitions.STAY_GAP_DAYS} days) within 90 and within 180 "
                "days, by how the stay ended. Only stays that ended at least 90 (or 180) days before "
                "the as-of date count; the labels give returned / counted."
            ),
        )
        small = returns[(returns["eligible"] > 0) & (returns["eligible"] < SMALL)]
        if len(small):
            groups = sorted({f"{r.end_reason.replace('_', ' ')} ({r.days} days)" for r in small.itertuples()})
            st.caption(f":material/warning: Small numbers: fewer than {SMALL} stays counted for "
                       + ", ".join(groups) + "; one client moves those rates a lot.")
