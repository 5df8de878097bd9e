"""The board's three charts, with small-cell suppression: thin wrappers around the Retention
and Relapse pages' figures (imported, not copied), which take out what could identify a client
before the figure is drawn, and strip from the figure anything else (counts in hover text
and tick labels) that could.

- :func:`retention_curve`: the Kaplan-Meier curve of ``figures.retention``, stopped where
  fewer than 11 admissions are still at risk; no counts on hover.
- :func:`discharge_reasons`: ``figures.retention.discharge_reasons_vs_teds`` on the reasons
  after :func:`outcomes.privacy.suppress_line`: reasons with 1..10 discharges (and the next
  smallest where needed) are one grey "combined" bar.
- :func:`relapse_by_month`: ``figures.relapse.monthly_relapse_rate`` with the months left out
  that rest on fewer than 11 clients or whose rate is withheld; month names only under the bars.

Each returns a :class:`BoardChart`: the figure (or None and a message), the caption (the
definition in words), what was left out, and the suppressed numbers behind it for the CSV.
No Streamlit import: the board page and the ``report`` command draw the same charts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go

from .. import charts, definitions, privacy, survival
from . import relapse as relapse_figures
from . import retention as retention_figures

COMBINED = "combined (withheld)"  # the discharge reason of the combined bar
LEFT_OUT_MARK = "*"


@dataclass(frozen=True)
class BoardChart:
    key: str  # file name of the PNG and the page's chart key
    title: str
    figure: go.Figure | None  # None: nothing can be shown (``message`` says why)
    caption: str
    note: str | None = None  # what suppression left out, in words
    data: pd.DataFrame | None = None  # the numbers behind the chart, suppressed
    message: str | None = None
    legend: str | None = None  # the figure's legend in words (for a copy drawn without it)


def _small() -> int:
    return definitions.SMALL_CELL


def _compact(fig: go.Figure) -> go.Figure:
    """Axis titles and ticks a size smaller: the board's charts are small."""
    fig.update_xaxes(title_font=dict(size=12), tickfont=dict(size=11))
    fig.update_yaxes(title_font=dict(size=12), tickfont=dict(size=11))
    return fig


def _strip_hover_counts(fig: go.Figure, template: str) -> None:
    """Hover text that carried counts per point (``customdata``) gets ``template`` instead."""
    for trace in fig.data:
        if getattr(trace, "customdata", None) is not None:
            trace.customdata = None
            trace.hovertemplate = template


# ---------------------------------------------------------------------------------------------
# Retention curve
# ---------------------------------------------------------------------------------------------


def retention_curve(rows: pd.DataFrame, period: str, title: str | None = None) -> BoardChart:
    """Kaplan-Meier retention of the period's focus admissions (``retention_curve`` rows),
    drawn only while at least 11 admissions are still at risk."""
    key, heading = "retention_curve", "How long do admissions stay in care?"
    small = _small()
    n = len(rows)
    caption = (
        f"Kaplan-Meier estimate over the {privacy.count_text(n)} focus admissions of {period} "
        "(placed in the period by their admit date), with its 95% band. Time = the stay's last "
        "attended treatment session minus the admit date. Lost (a step down) = the stay ended other "
        "than completed or transferred, or is open with no attended session in the last "
        f"{definitions.KM_LOST_AFTER_DAYS} days."
    )
    if n == 0:
        return BoardChart(key, heading, None, caption, message=f"No admissions to the focus levels in {period}.")
    if n < small:
        return BoardChart(key, heading, None, caption,
                          message=f"Fewer than {small} admissions in {period}: the curve is not shown.")
    table = survival.kaplan_meier(rows["duration_days"], rows["lost"].astype(bool))
    kept = table[table["at_risk"] >= small].reset_index(drop=True)
    last = float(kept["time"].max())
    note = None
    if float(table["time"].max()) > last:
        note = (f"The curve stops at day {last:.0f}: after it fewer than {small} admissions were "
                "still followed.")
    fig = retention_figures.retention_curve(kept, markers=definitions.DEFAULT_RETENTION_DAYS,
                                            title=title, x_max=last)
    _strip_hover_counts(fig, "Day %{x:.0f}: %{y:.1%} still in care<extra></extra>")
    fig.update_layout(margin=dict(t=40 if not title else 96))
    _compact(fig)
    data = kept[["time", "survival", "lower", "upper"]].rename(columns={
        "time": "days_since_admission", "survival": "still_in_care", "lower": "lower_95", "upper": "upper_95"})
    marked = [str(d) for d in definitions.DEFAULT_RETENTION_DAYS if d <= last]
    legend = "Shaded: 95% band." + (f" Dots: share still in care on days {', '.join(marked)}." if marked else "")
    return BoardChart(key, heading, fig, caption, note, data, legend=legend)


# ---------------------------------------------------------------------------------------------
# Discharge reasons against TEDS
# ---------------------------------------------------------------------------------------------


def discharge_reasons(reasons: pd.DataFrame, period: str, title: str | None = None) -> BoardChart:
    """This period's discharges by reason (``discharge_reasons_by_month`` rows, summed over the
    months) against the TEDS-D 2004 national shares, suppressed as a line with its total."""
    key, heading = "discharge_reasons", "How do episodes end, against the national picture?"
    small = _small()
    caption = (
        f"Focus episodes discharged in {period} (placed in the period by their discharge date), "
        f"share by reason. Black ticks: the {definitions.TEDS} shares: completed "
        f"{definitions.BENCHMARKS['completion_rate'].value:.1%}, transferred "
        f"{definitions.BENCHMARKS['transferred_share'].value:.1%}, dropped out "
        f"{definitions.BENCHMARKS['dropped_out_share'].value:.1%}."
    )
    totals = (reasons.groupby("discharge_reason", sort=False)["discharges"].sum().astype(int)
              if len(reasons) else pd.Series(dtype=int))
    totals = totals[totals > 0]
    if totals.empty:
        return BoardChart(key, heading, None, caption, message=f"No discharges from the focus levels in {period}.")
    order = [r for r in retention_figures.REASON_ORDER if r in totals.index] + sorted(
        r for r in totals.index if r not in retention_figures.REASON_ORDER)
    line = privacy.suppress_line([int(totals[r]) for r in order])
    shown = [(r, c.value) for r, c in zip(order, line.cells) if c.shown]
    hidden = [r for r, c in zip(order, line.cells) if not c.shown]
    if not line.total.shown or not shown:
        return BoardChart(key, heading, None, caption, message=(
            f"Too few discharges in {period} to show their reasons without identifying clients "
            f"(each reason needs {small} or more)."))
    rows = shown + ([(COMBINED, line.withheld_sum)] if hidden else [])
    table = pd.DataFrame(rows, columns=["discharge_reason", "discharges"])
    fig = _compact(retention_figures.discharge_reasons_vs_teds(table, title=title))
    for trace in fig.data:  # the TEDS ticks no taller than a bar of a small chart
        if isinstance(trace, go.Scatter) and trace.marker.symbol == "line-ns":
            trace.marker.size = 16
    note = None
    if hidden:
        names = ", ".join(retention_figures.reason_label(r).lower() for r in hidden)
        note = (f"Grey bar: {names} together. A reason with fewer than {small} discharges is "
                "combined with the next smallest so that none can be worked out from the total.")
    total = int(line.total.value)
    data = table.assign(
        share=table["discharges"] / total,
        teds_share=[retention_figures.TEDS_SHARES[r].value if r in retention_figures.TEDS_SHARES else None
                    for r in table["discharge_reason"]],
    )
    legend = f"Black ticks: {retention_figures.TEDS_SHORT} national share (completed, transferred, dropped out)."
    return BoardChart(key, heading, fig, caption, note, data, legend=legend)


# ---------------------------------------------------------------------------------------------
# Monthly relapse rate
# ---------------------------------------------------------------------------------------------


def _short_month(row, first: bool) -> str:
    """"Nov<br>2025" for the first month and each January, "Dec" otherwise; a month cut by the
    period adds its days ("Nov 1-15")."""
    start = pd.Timestamp(row.month_start)
    label = f"{start:%b}"
    days_from, days_to = pd.Timestamp(row.days_from), pd.Timestamp(row.days_to)
    if days_from != start or days_to != start + pd.offsets.MonthEnd(0):
        label += f" {days_from.day}-{days_to.day}"
    if first or start.month == 1:
        label += f"<br>{start:%Y}"
    return label


def relapse_by_month(months: pd.DataFrame, clients: pd.DataFrame, overall: float | None,
                     overall_withheld: bool, period: str, title: str | None = None) -> BoardChart:
    """Relapse days per 1,000 client-days by month (``relapse_rate_by_month``), leaving out the
    months that rest on fewer than 11 clients (``board_clients_by_month``) or whose rate is
    withheld (relapse days or client-days 1..10); ``overall`` is the period's rate, drawn as
    a dashed line unless it is withheld."""
    key, heading = "relapse_rate_by_month", "How often do clients relapse while in care?"
    small = _small()
    caption = (
        "Relapse days per 1,000 client-days by month. A client-day is a (client, day) inside a focus "
        "episode window; a relapse day is such a day with a relapse event of any type (positive "
        "screen, self-report, collateral report, overdose, other). Dashed: the whole period."
    )
    if months.empty or int(months["client_days"].sum()) == 0:
        return BoardChart(key, heading, None, caption,
                          message=f"No client was in focus care in {period}: no relapse rate to show.")
    frame = months.merge(clients[["month_start", "clients"]], on="month_start", how="left")
    frame["clients"] = frame["clients"].fillna(0).astype(int)
    withheld = [
        privacy.is_small(r.clients) or (r.client_days > 0 and privacy.rate_withheld(r.relapse_days, r.client_days))
        for r in frame.itertuples()
    ]
    frame["withheld"] = withheld
    safe = frame.copy()
    safe.loc[safe["withheld"], ["relapse_days", "client_days"]] = 0
    safe["rate_per_1000_days"] = safe["rate_per_1000_days"].astype(float)
    safe.loc[safe["withheld"], "rate_per_1000_days"] = math.nan
    if safe["rate_per_1000_days"].notna().sum() == 0:
        return BoardChart(key, heading, None, caption, message=(
            f"Every month of {period} rests on fewer than {small} clients or on 1 to {small - 1} "
            "relapse days: the monthly rates are withheld."))
    line = None if overall_withheld else overall
    fig = relapse_figures.monthly_relapse_rate(safe, overall=line, title=title)
    labels = [_short_month(r, i == 0) for i, r in enumerate(safe.itertuples())]
    for trace in fig.data:
        if trace.x is not None and len(trace.x) == len(labels):
            trace.x = labels
        if isinstance(trace, go.Bar):
            trace.textfont = dict(size=10, shadow="0px 0px 2px white, 0px 0px 3px white")  # legible over the dashed line
            trace.text = [LEFT_OUT_MARK if w else t for w, t in zip(safe["withheld"], trace.text)]
    _strip_hover_counts(fig, "%{x}: %{y:.1f} relapse days per 1,000 client-days<extra></extra>")
    left_out = [lab for lab, w in zip(labels, safe["withheld"]) if w]
    if left_out:
        # a mark on the axis where a month is left out (its bar is not drawn)
        fig.add_trace(go.Scatter(
            x=left_out, y=[0] * len(left_out), mode="text", text=[LEFT_OUT_MARK] * len(left_out),
            textposition="top center", textfont=dict(size=14, color=charts.MUTED), showlegend=False,
            hovertemplate="%{x}: withheld (small numbers)<extra></extra>", cliponaxis=False,
        ))
    for trace in fig.data:
        if isinstance(trace, go.Bar):
            trace.showlegend = False  # the bars are what the axis says; the legend keeps the dashed line
    _compact(fig)
    fig.update_xaxes(tickangle=0, tickfont=dict(size=10))
    fig.update_yaxes(title_text="Relapse days per 1,000 client-days")
    note = None
    if left_out:
        note = (f"{LEFT_OUT_MARK} {len(left_out)} month(s) left out: fewer than {small} clients in "
                f"care, or 1 to {small - 1} relapse days or client-days.")
    if overall_withheld:
        note = (note + " " if note else "") + "The whole period's rate is withheld (small numbers)."
    # The CSV carries the rates, not the counts: with the period's totals on the scorecard, the
    # shown months' relapse days would give away a withheld month's by subtraction.
    data = pd.DataFrame({
        "month_start": frame["month_start"], "days_from": frame["days_from"], "days_to": frame["days_to"],
        "clients": [None if privacy.is_small(c) else int(c) for c in frame["clients"]],
        "rate_per_1000_days": safe["rate_per_1000_days"],
        "withheld": frame["withheld"],
    })
    legend = None if line is None else f"Dashed line: the whole period, {line:.1f}."
    return BoardChart(key, heading, fig, caption, note, data, legend=legend)
