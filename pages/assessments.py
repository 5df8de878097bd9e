"""Assessments: do PHQ-9 and GAD-7 scores improve reliably between admission and discharge?

Queries: reliable_improvement (through kpis), assessment_outcomes, assessment_instruments,
instrument_trajectory, severity_shift, assessment_change_by_program, assessment_change_by_los.
"""

from dataclasses import replace

import pandas as pd
import streamlit as st

from outcomes import definitions, ui
from outcomes.figures import assessments as figures

D = definitions
KEYS = {"PHQ-9": "phq9", "GAD-7": "gad7"}
NAMES = {"PHQ-9": "depression", "GAD-7": "anxiety"}
SHORT_LABELS = {"reliable_improvement_rate": "Reliably improved",
                "reliable_deterioration_rate": "Reliably worse", "response_rate": "Response",
                "remission_rate": "Remission", "measurement_completion_rate": "Measured"}


def short_label(key: str) -> str:
    return next(label for suffix, label in SHORT_LABELS.items() if key.endswith(suffix))
filters = ui.current_filters()
previous_filters = filters.previous_period()
ui.header("Assessments", "Do depression (PHQ-9) and anxiety (GAD-7) scores improve reliably "
          "between admission and discharge? Counted over **focus episodes discharged in the "
          "period**: the **baseline** is the client's earliest score from 7 days before to 14 days "
          "after admission, the **follow-up** the latest score from 14 days after the baseline to "
          "discharge (several scores on one date count as their mean).", filters)


def outcome_rows(frame: pd.DataFrame) -> dict:
    return {row["instrument"]: row for _, row in frame.iterrows()}


def rate_tile(metric_key: str, row, row_before, numerator: str, denominator: str,
              rate: str) -> ui.TileValue:
    def value(r):
        return None if r is None or int(r[denominator]) == 0 else float(r[rate])

    before = (f"({int(row_before[numerator]):,} / {int(row_before[denominator]):,})"
              if row_before is not None else None)
    return ui.TileValue(D.page_metric(metric_key), value(row), value(row_before),
                        numerator=int(row[numerator]), denominator=int(row[denominator]),
                        previous_note=before)


# ---------------------------------------------------------------------------------------------
with ui.panel():
    values, previous = ui.kpis(filters), ui.kpis(previous_filters)
    outcomes = outcome_rows(ui.run("assessment_outcomes", filters))
    outcomes_before = outcome_rows(ui.run("assessment_outcomes", previous_filters))
    for instrument, key in KEYS.items():
        row, before = outcomes[instrument], outcomes_before.get(instrument)
        st.markdown(f"**{instrument}** ({NAMES[instrument]})")
        items = [
            ui.kpi_tile(values, previous, f"{key}_reliable_improvement_rate"),
            rate_tile(f"{key}_reliable_deterioration_rate", row, before, "deteriorated", "measured",
                      "deterioration_rate"),
            rate_tile(f"{key}_response_rate", row, before, "responded", "measured", "response_rate"),
        ]
        if D.thresholds(instrument).remission_below is not None:
            items.append(rate_tile(f"{key}_remission_rate", row, before, "remitted", "measured",
                                   "remission_rate"))
        if key == "phq9":
            items.append(ui.kpi_tile(values, previous, "measurement_completion_rate"))
        else:
            items.append(rate_tile(f"{key}_measurement_completion_rate", row, before, "measured",
                                   "discharges", "measurement_rate"))
        # the instrument is named above the row, so the tiles say only what they measure
        ui.value_tiles([replace(i, metric=replace(i.metric, label=short_label(i.metric.key)))
                        for i in items], columns=5)
        st.caption(f"{D.threshold_words(instrument)}. Reliable improvement and deterioration are "
                   "a fall or rise of at least the reliable change; rates are over the episodes "
                   "measured at baseline and follow-up, measurement over all focus discharges.")

# ---------------------------------------------------------------------------------------------
with ui.panel("Who is not in these numbers"):
    phq9 = outcomes["PHQ-9"]
    discharges = int(phq9["discharges"])
    if discharges == 0:
        ui.empty_state("No focus episodes were discharged in this period, so there are no "
                       "outcomes to measure.")
    else:
        columns = st.columns([1, 1, 2])
        for column, instrument in zip(columns[:2], KEYS):
            row = outcomes[instrument]
            column.metric(f"{instrument}: no follow-up", f"{int(row['no_followup']):,}", border=True,
                          help="A baseline but no score from baseline + 14 days to discharge.")
            column.caption(f"and {int(row['no_baseline']):,} without a baseline; "
                           f"{int(row['measured']):,} of {discharges:,} discharges measured")
        with columns[2]:
            st.markdown(
                "**Response bias.** Clients who leave treatment early are the least likely to "
                "have a follow-up score, and often the ones doing worst. The rates above count "
                "only the measured, so they probably look better than the whole caseload; the "
                "more discharges lack a follow-up, the less the rates say about everyone.")

# ---------------------------------------------------------------------------------------------
instruments = ui.run("assessment_instruments")
choices = instruments["instrument"].tolist() or list(KEYS)
instrument = st.segmented_control(
    "Instrument", choices, default=choices[0], key="assessment_instrument", bind="query-params",
) or choices[0]
thresholded = instrument in KEYS

with ui.panel(f"{instrument}: mean score by week since admission"):
    weeks = ui.run("instrument_trajectory", filters, instrument=instrument,
                   max_week=D.TRAJECTORY_MAX_WEEK)
    if weeks.empty:
        ui.empty_state(f"No {instrument} scores of focus episodes discharged in this period.")
    else:
        caseness = D.thresholds(instrument).caseness if thresholded else None
        ui.chart(
            figures.trajectory(weeks, instrument, caseness=caseness),
            caption=f"Mean {instrument} score of focus episodes discharged in the period, by week "
                    "since admission (week 0 = the 7 days before admission to day 6), with its 95% "
                    "interval (Student's t: about 2 standard errors, more when few are measured); "
                    "the bars below count the episodes measured "
                    "that week. An episode counts once a week (the mean of its scores that week). "
                    f"Weeks with fewer than {D.SMALL_CELL} measured are left off the line (their "
                    "numbers are in the CSV). Later weeks hold only the clients who stayed that long, "
                    "who may differ from those who left."
                    + (f" Dotted: the clinical cut-off ({caseness:g}, {D.THRESHOLD_SOURCE})."
                       if caseness is not None else
                       f" {instrument} has no thresholds here, so only its mean is shown; its "
                       "direction (whether lower is better) is the instrument's own."),
            data=weeks, key=f"trajectory_{instrument}")
        if int(weeks["episodes"].max()) < D.SMALL_CELL:
            st.caption(f":material/warning: Small numbers: no week has {D.SMALL_CELL} or more "
                       "episodes measured, so every week is drawn (in grey); read with care.")

if not thresholded:
    st.caption(f"Severity bands and change by program or length of stay are shown for "
               f"{' and '.join(KEYS)} only (the instruments with thresholds).")
else:
    thresholds = D.thresholds(instrument)
    with ui.panel(f"{instrument}: severity at baseline and at follow-up"):
        shift = ui.run("severity_shift", filters)
        if shift[shift["instrument"] == instrument].empty:
            ui.empty_state(f"No focus episode discharged in this period has a {instrument} "
                           "baseline and follow-up.")
        else:
            fig, table = figures.severity_matrix(shift, instrument)
            measured = int(outcomes[instrument]["measured"])
            ui.chart(
                fig,
                caption=f"Measured focus discharges in the period ({measured:,}) by {instrument} "
                        "severity band at baseline (rows, with their number) and at follow-up "
                        "(columns); each cell: episodes and share of the row. The outlined diagonal "
                        "is no change of band; left of it is better. Bands: "
                        + ", ".join(f"{label} {low:g}-{high:g}" for label, low, high in thresholds.bands)
                        + " (a mean of two scores on one date, e.g. 4.5, falls in the lower band). "
                        f"{int(outcomes[instrument]['no_followup']):,} with a baseline but no follow-up "
                        "are not in the table.",
                data=table, key=f"severity_shift_{instrument}")
            ui.small_numbers_note(measured, "measured episodes")

    change_caption = (
        f"Mean fall in {instrument} (baseline - follow-up; right of 0 = better) of measured focus "
        "discharges in the period, with its 95% interval (Student's t); dotted lines at "
        f"the reliable change (+-{thresholds.reliable_change:g}). Under each group: measured, with a "
        "baseline but no follow-up, and without a baseline; grey dots rest on fewer than "
        f"{D.SMALL_CELL} measured. Those without a follow-up are not in the mean.")
    with ui.panel(f"{instrument}: change by program"):
        by_program = ui.run("assessment_change_by_program", filters)
        part = by_program[by_program["instrument"] == instrument]
        if part.empty:
            ui.empty_state("No focus episodes were discharged in this period.")
        else:
            ui.chart(figures.change_by_group(part, instrument, part["program"].tolist(),
                                             thresholds.reliable_change),
                     caption=change_caption + " Grouped by the episode's program.",
                     data=part, key=f"change_by_program_{instrument}")
    with ui.panel(f"{instrument}: change by length of stay"):
        by_los = ui.run("assessment_change_by_los", filters, los_bands=list(D.LOS_BANDS_DAYS))
        part = by_los[by_los["instrument"] == instrument]
        if part.empty:
            ui.empty_state("No focus episodes were discharged in this period.")
        else:
            labels = [figures.los_label(a, b) for a, b in zip(part["band_from"], part["band_to"])]
            ui.chart(figures.change_by_group(part, instrument, labels, thresholds.reliable_change),
                     caption=change_caption + " Grouped by length of stay (discharge - admit "
                             "date). Short stays are rarely measured at follow-up.",
                     data=part, key=f"change_by_los_{instrument}")
