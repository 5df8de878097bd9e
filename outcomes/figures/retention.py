"""Figures of the Retention page (and the board report): DataFrames in, Plotly figures out.

- :func:`retention_curve`: Kaplan-Meier curves (a table from ``outcomes.survival.kaplan_meier``)
  with their 95% bands and day markers.
- :func:`cohort_heatmap`: admission month x week since admission (``cohort_retention``).
- :func:`discharge_reasons_by_month` and :func:`discharge_reasons_vs_teds`: how focus
  episodes ended, against the TEDS-D 2004 national IOP figures.
- :func:`show_rate_by_week`, :func:`show_rate_by_type`, :func:`no_shows_by_weekday`.

No Streamlit import: the board report renders the same figures with kaleido.
"""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go

from .. import charts, definitions

REASON_ORDER = ("completed", "transferred", "dropped_out", "terminated", "incarcerated", "deceased", "other")
REASON_LABELS = {
    "completed": "Completed", "transferred": "Transferred", "dropped_out": "Dropped out",
    "terminated": "Terminated", "incarcerated": "Incarcerated", "deceased": "Deceased",
    "other": "Other",
}
# The TEDS-D 2004 shares the charts compare with (SPEC section 4), from definitions.BENCHMARKS.
TEDS_SHARES = {
    "completed": definitions.BENCHMARKS["completion_rate"],
    "transferred": definitions.BENCHMARKS["transferred_share"],
    "dropped_out": definitions.BENCHMARKS["dropped_out_share"],
}
TEDS_SHORT = definitions.TEDS.split(",")[0]  # "TEDS-D 2004": the source and year


def reason_label(reason: str) -> str:
    return REASON_LABELS.get(reason, str(reason).replace("_", " ").capitalize())


def _rgba(hex_colour: str, alpha: float) -> str:
    hex_colour = hex_colour.lstrip("#")
    r, g, b = (int(hex_colour[i:i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r}, {g}, {b}, {alpha})"


def base_figure(title: str | None = None, **layout) -> go.Figure:
    """An empty figure in the project's template with room for its tick labels (automargin)
    and, when it has a title, room between the title and a legend on top."""
    fig = charts.figure(**layout)
    fig.update_xaxes(automargin=True)
    fig.update_yaxes(automargin=True)
    if title:
        fig.update_layout(title=dict(text=title, y=0.98, yanchor="top", x=0, xanchor="left"),
                          margin=dict(t=96), legend=dict(y=1.0, yanchor="bottom"))
    return fig


# ---------------------------------------------------------------------------------------------
# Kaplan-Meier
# ---------------------------------------------------------------------------------------------


def _steps(part: pd.DataFrame, column: str, until: float) -> tuple[list, list]:
    """A right-continuous step function as x/y points (horizontal, then vertical)."""
    xs, ys = [], []
    times = part["time"].tolist()
    values = part[column].tolist()
    for i, (t, v) in enumerate(zip(times, values)):
        xs.append(t)
        ys.append(v)
        end = times[i + 1] if i + 1 < len(times) else until
        xs.append(end)
        ys.append(v)
    return xs, ys


def retention_curve(table: pd.DataFrame, markers=definitions.DEFAULT_RETENTION_DAYS,
                    highlight: int | None = None, labels: dict | None = None,
                    title: str | None = None, x_max: float | None = None) -> go.Figure:
    """Kaplan-Meier retention curves, one per ``group`` of ``table`` (the output of
    ``survival.kaplan_meier``), each with its 95% confidence band, vertical markers at
    ``markers`` days and a stronger one at ``highlight``. ``labels`` renames groups for the
    legend (e.g. with their size). With one group the curve's value at each marker is written
    on the chart, up to the last time observed (beyond it the curve is not known and stops;
    the marker line is still drawn). ``x_max`` ends the curves' last steps (default: the last
    time observed)."""
    fig = base_figure(title)
    if table.empty:
        return fig
    groups = list(dict.fromkeys(table["group"].tolist()))
    until = x_max if x_max is not None else float(table["time"].max())
    single = len(groups) == 1
    for i, group in enumerate(groups):
        part = table[table["group"] == group].sort_values("time")
        colour = charts.PALETTE[i % len(charts.PALETTE)]
        name = (labels or {}).get(group, str(group))
        lx, ly = _steps(part, "lower", until)
        ux, uy = _steps(part, "upper", until)
        fig.add_trace(go.Scatter(x=ux, y=uy, mode="lines", line=dict(width=0), hoverinfo="skip",
                                 showlegend=False, legendgroup=name))
        fig.add_trace(go.Scatter(x=lx, y=ly, mode="lines", line=dict(width=0), fill="tonexty",
                                 fillcolor=_rgba(colour, 0.14 if single else 0.08),
                                 hoverinfo="skip", showlegend=False, legendgroup=name))
        fig.add_trace(go.Scatter(
            x=part["time"], y=part["survival"], mode="lines", name=name, legendgroup=name,
            line=dict(color=colour, width=2.5, shape="hv"), showlegend=not single,
            customdata=part[["at_risk", "events", "lower", "upper"]].to_numpy(),
            hovertemplate=(f"<b>{name}</b><br>Day %{{x:.0f}}: %{{y:.1%}} still in care<br>"
                           "95% band %{customdata[2]:.1%} - %{customdata[3]:.1%}<br>"
                           "%{customdata[0]:,} at risk, %{customdata[1]:,} lost that day"
                           "<extra></extra>"),
        ))
    shown = sorted(set(markers) | ({highlight} if highlight else set()))
    ordered = table.sort_values("time")
    axis_end = max([until, *shown])
    previous_label, raised = None, False
    for day in shown:
        strong = day == highlight
        colour = "#1F2328" if strong else "#6E7781"
        fig.add_vline(x=day, line=dict(color=colour, width=2 if strong else 1, dash="solid" if strong else "dot"))
        # a label closer than 12% of the axis to the previous one goes on a second row
        raised = (not raised) if previous_label is not None and day - previous_label < 0.12 * axis_end else False
        previous_label = day
        fig.add_annotation(x=day, y=1.0, yref="y", text=f"<b>day {day}</b>" if strong else f"day {day}",
                           showarrow=False, xanchor="center", yanchor="bottom", yshift=16 if raised else 0,
                           font=dict(size=11, color="#1F2328" if strong else "#57606A"))
        # past the last observation the curve is not known, unless it has reached 0
        if single and (day <= until or ordered["survival"].iloc[-1] <= 0):
            value = ordered.loc[ordered["time"] <= day, "survival"].iloc[-1]
            fig.add_trace(go.Scatter(
                x=[day], y=[value], mode="markers+text", text=[f"{value:.0%}"], textposition="top right",
                marker=dict(size=8 if strong else 6, color=colour, line=dict(color="white", width=1)),
                textfont=dict(size=12 if strong else 11, color=colour), showlegend=False,
                hovertemplate=f"Day {day}: %{{y:.1%}} still in care (Kaplan-Meier)<extra></extra>",
            ))
    fig.update_layout(
        xaxis=dict(title=dict(text="Days since admission"), range=[0, axis_end * 1.02], rangemode="tozero"),
        yaxis=dict(title=dict(text="Still in care (not lost)"), tickformat=".0%", range=[0, 1.08]),
        hovermode="closest", legend=dict(y=1.08), margin=dict(t=72),
    )
    return fig


# ---------------------------------------------------------------------------------------------
# Cohorts
# ---------------------------------------------------------------------------------------------


def cohort_heatmap(table: pd.DataFrame, title: str | None = None) -> go.Figure:
    """Admission month (rows, oldest on top) x week since admission (columns); the colour and
    the text are the share still attending in that week or later. Cells not measured yet
    (``share`` null) stay blank; the hover gives the cohort size and the counts."""
    fig = base_figure(title)
    if table.empty:
        return fig
    frame = table.copy()
    frame["cohort_month"] = pd.to_datetime(frame["cohort_month"])
    months = sorted(frame["cohort_month"].unique())
    weeks = sorted(frame["week"].unique())
    sizes = frame.groupby("cohort_month")["cohort_size"].first()
    labels = [f"{pd.Timestamp(m):%b %Y} (n={int(sizes[m]):,})" for m in months]
    share = frame.pivot(index="cohort_month", columns="week", values="share").reindex(index=months, columns=weeks)
    retained = frame.pivot(index="cohort_month", columns="week", values="retained").reindex(index=months, columns=weeks)
    size_grid = [[int(sizes[m])] * len(weeks) for m in months]
    custom = [[[size_grid[i][j], "" if pd.isna(retained.iat[i, j]) else f"{int(retained.iat[i, j]):,}"]
               for j in range(len(weeks))] for i in range(len(months))]
    z = share.astype(float).to_numpy()
    fig.add_trace(go.Heatmap(
        z=z, x=[int(w) for w in weeks], y=labels, customdata=custom,
        colorscale=[[0, "#F2F6FA"], [0.5, "#6A9BC3"], [1, "#1F4E79"]], zmin=0, zmax=1,
        xgap=1, ygap=1, hoverongaps=False,
        texttemplate="%{z:.0%}", textfont=dict(size=10),
        colorbar=dict(title=dict(text="Still<br>attending", side="top"), tickformat=".0%", thickness=12, len=0.9),
        hoverinfo="skip",
    ))
    # Plotly heat-maps cannot be clicked or selected: an invisible marker over every measured
    # cell carries the hover text and makes a click on a cohort a selection (its month first
    # in customdata, for the page's month filter).
    cells = [(i, j) for i in range(len(months)) for j in range(len(weeks)) if not pd.isna(z[i][j])]
    if cells:
        fig.add_trace(go.Scatter(
            x=[int(weeks[j]) for _, j in cells], y=[labels[i] for i, _ in cells], mode="markers",
            marker=dict(size=18, symbol="square", opacity=0), showlegend=False, name="cohort",
            customdata=[[pd.Timestamp(months[i]).date().isoformat(), size_grid[i][j], custom[i][j][1], z[i][j]]
                        for i, j in cells],
            hovertemplate=("<b>%{y}</b>, week %{x}<br>%{customdata[3]:.1%} still attending in week %{x} "
                           "or later<br>%{customdata[2]} of %{customdata[1]:,} admissions<extra></extra>"),
        ))
    young = [label for label, row in zip(labels, z) if all(pd.isna(v) for v in row)]
    if young:
        fig.add_trace(go.Scatter(
            x=[weeks[0]] * len(young), y=young, mode="text", text=["too young to tell yet"] * len(young),
            textposition="middle right", textfont=dict(size=11, color="#6E7781"), showlegend=False,
            hoverinfo="skip",
        ))
    fig.update_layout(
        xaxis=dict(title=dict(text="Weeks since admission"), dtick=1 if len(weeks) <= 16 else 2,
                   side="bottom", showgrid=False),
        yaxis=dict(title=dict(text="Admission month"), autorange="reversed", showgrid=False,
                   type="category"),
        height=max(320, 28 * len(months) + 130),
    )
    return fig


# ---------------------------------------------------------------------------------------------
# Discharge reasons
# ---------------------------------------------------------------------------------------------


def _ordered_reasons(reasons) -> list[str]:
    present = list(dict.fromkeys(reasons))
    return [r for r in REASON_ORDER if r in present] + sorted(r for r in present if r not in REASON_ORDER)


def discharge_reasons_by_month(table: pd.DataFrame, title: str | None = None) -> go.Figure:
    """Stacked shares of discharge reasons by discharge month (``discharge_reasons_by_month``),
    completed at the bottom, then transferred and dropped out, so the TEDS-D 2004 reference
    lines can be drawn where those stacks would end nationally: 37.7% (completed), 55.6%
    (completed + transferred) and 78.8% (+ dropped out)."""
    fig = base_figure(title)
    if table.empty:
        return fig
    frame = table.copy()
    frame["month"] = pd.to_datetime(frame["month"])
    for reason in _ordered_reasons(frame["discharge_reason"]):
        part = frame[frame["discharge_reason"] == reason].sort_values("month")
        fig.add_trace(go.Bar(
            x=part["month"], y=part["share"], name=reason_label(reason),
            marker=dict(color=charts.REASON_COLOURS.get(reason, charts.MUTED), line=dict(width=0)),
            customdata=part[["discharges", "month_discharges"]].to_numpy(),
            hovertemplate=(f"<b>%{{x|%b %Y}}</b>: {reason_label(reason).lower()}<br>"
                           "%{y:.1%} (%{customdata[0]:,} of %{customdata[1]:,} discharges)<extra></extra>"),
        ))
    cumulative = 0.0
    for reason in ("completed", "transferred", "dropped_out"):
        bench = TEDS_SHARES[reason]
        cumulative += bench.value
        if reason == "completed":
            text = f"{TEDS_SHORT}: {bench.value:.1%} completed"
        else:
            text = f"{TEDS_SHORT}: + {bench.label} = {cumulative:.1%}"
        fig.add_hline(y=cumulative, line=dict(color="#1F2328", width=1.5, dash="dash"))
        fig.add_annotation(x=1, xref="paper", y=cumulative, text=text, showarrow=False,
                           xanchor="left", xshift=6, font=dict(size=11, color="#1F2328"), align="left")
    fig.update_layout(
        barmode="stack", bargap=0.25,
        xaxis=dict(title=dict(text="Discharge month"), tickformat="%b\n%Y", dtick="M1"),
        yaxis=dict(title=dict(text="Share of the month's discharges"), tickformat=".0%", range=[0, 1]),
        margin=dict(r=250), legend=dict(traceorder="normal"),
    )
    return fig


def discharge_reasons_vs_teds(table: pd.DataFrame, title: str | None = None) -> go.Figure:
    """This period's share of discharges by reason (horizontal bars; ``table`` has
    ``discharge_reason`` and ``discharges``, several rows of a reason are summed) against the
    TEDS-D 2004 national IOP share of that reason (a black tick, where there is one)."""
    fig = base_figure(title)
    if table.empty:
        return fig
    totals = table.groupby("discharge_reason", sort=False)["discharges"].sum()
    total = int(totals.sum())
    if total == 0:
        return fig
    reasons = _ordered_reasons(totals.index)
    labels = [reason_label(r) for r in reasons]
    shares = [totals[r] / total for r in reasons]
    fig.add_trace(go.Bar(
        y=labels, x=shares, orientation="h", name="This period",
        marker=dict(color=[charts.REASON_COLOURS.get(r, charts.MUTED) for r in reasons]),
        customdata=[int(totals[r]) for r in reasons],
        hovertemplate="<b>%{y}</b>: %{x:.1%} (%{customdata:,} of " + f"{total:,}" + " discharges)<extra></extra>",
        showlegend=False,
    ))
    ends = [max(s, TEDS_SHARES[r].value if r in TEDS_SHARES else 0) for s, r in zip(shares, reasons)]
    fig.add_trace(go.Scatter(
        y=labels, x=ends, mode="text", textposition="middle right", showlegend=False, hoverinfo="skip",
        text=["  " + f"{s:.1%} ({int(totals[r]):,})" for s, r in zip(shares, reasons)],
        textfont=dict(size=12), cliponaxis=False,
    ))
    bench = [(reason_label(r), TEDS_SHARES[r].value) for r in reasons if r in TEDS_SHARES]
    if bench:
        fig.add_trace(go.Scatter(
            y=[b[0] for b in bench], x=[b[1] for b in bench], mode="markers",
            name=f"{TEDS_SHORT} national IOP share",
            marker=dict(symbol="line-ns", size=26, line=dict(width=3, color="#1F2328"), color="#1F2328"),
            hovertemplate="<b>%{y}</b>: " + TEDS_SHORT + " national %{x:.1%}<extra></extra>",
        ))
    upper = max(shares + [b[1] for b in bench]) if bench else max(shares)
    fig.update_layout(
        xaxis=dict(title=dict(text=f"Share of the period's {total:,} discharges"), tickformat=".0%",
                   range=[0, min(1.0, upper * 1.3 + 0.08)]),
        yaxis=dict(autorange="reversed", title=dict(text="")),
        height=max(260, 46 * len(reasons) + 110), showlegend=bool(bench),
    )
    return fig


# ---------------------------------------------------------------------------------------------
# Show rates
# ---------------------------------------------------------------------------------------------


def show_rate_by_week(table: pd.DataFrame, overall: float | None = None, title: str | None = None) -> go.Figure:
    """Weekly show rate (attended / (attended + no-show)) as a line over the full weeks; a week
    cut by the period's first or last day is a hollow point off the line; ``overall`` (the
    period's rate) is a dashed reference in the legend."""
    fig = base_figure(title)
    frame = table.dropna(subset=["rate"]).copy()
    if frame.empty:
        return fig
    frame["week_start"] = pd.to_datetime(frame["week_start"])
    frame["scheduled"] = frame["attended"] + frame["no_show"]
    full, cut = frame[frame["days_in_period"] >= 7], frame[frame["days_in_period"] < 7]
    hover = ("Week of <b>%{x|%d %b %Y}</b><br>%{y:.1%} shown (%{customdata[0]:,} of "
             "%{customdata[1]:,} attended or no-show)")
    fig.add_trace(go.Scatter(
        x=full["week_start"], y=full["rate"], mode="lines+markers", name="Weekly show rate",
        line=dict(color=charts.NEUTRAL, width=2), marker=dict(size=6, color=charts.NEUTRAL),
        customdata=full[["attended", "scheduled"]].to_numpy(), hovertemplate=hover + "<extra></extra>",
    ))
    if len(cut):
        fig.add_trace(go.Scatter(
            x=cut["week_start"], y=cut["rate"], mode="markers", name="Week cut by the period",
            marker=dict(size=7, color="white", line=dict(color=charts.NEUTRAL, width=1.5)),
            customdata=cut[["attended", "scheduled", "days_in_period"]].to_numpy(),
            hovertemplate=hover + "<br>only %{customdata[2]} days of it in the period<extra></extra>",
        ))
    low = float(frame["rate"].min())
    if overall is not None:
        low = min(low, overall)
        fig.add_trace(go.Scatter(
            x=[frame["week_start"].min(), frame["week_start"].max()], y=[overall, overall], mode="lines",
            name=f"Whole period: {overall:.1%}", line=dict(color=charts.MUTED, width=1.5, dash="dash"),
            hoverinfo="skip",
        ))
    bottom = max(0.0, math.floor((low - 0.05) * 10) / 10)
    fig.update_layout(
        xaxis=dict(title=dict(text="Week (Monday to Sunday)")),
        yaxis=dict(title=dict(text="Show rate"), tickformat=".0%", range=[bottom, 1.0]),
    )
    return fig


def show_rate_by_type(table: pd.DataFrame, title: str | None = None) -> go.Figure:
    """Show rate per session type, horizontal bars with 'rate · attended of scheduled'."""
    fig = base_figure(title)
    frame = table.copy()
    if frame.empty:
        return fig
    frame["scheduled"] = frame["attended"] + frame["no_show"]
    frame = frame[frame["scheduled"] > 0]
    if frame.empty:
        return fig
    labels = [str(t).capitalize() for t in frame["session_type"]]
    fig.add_trace(go.Bar(
        y=labels, x=frame["rate"], orientation="h", marker=dict(color=charts.NEUTRAL),
        text=[f"{r:.1%} · {a:,} of {s:,}" for r, a, s in zip(frame["rate"], frame["attended"], frame["scheduled"])],
        textposition="auto", insidetextanchor="end", textfont=dict(size=12), constraintext="none",
        customdata=frame[["attended", "scheduled", "cancelled", "excused"]].to_numpy(),
        hovertemplate=("<b>%{y}</b>: %{x:.1%} shown (%{customdata[0]:,} of %{customdata[1]:,})"
                       "<br>not counted: %{customdata[2]:,} cancelled, %{customdata[3]:,} excused<extra></extra>"),
        showlegend=False,
    ))
    fig.update_layout(
        xaxis=dict(title=dict(text="Attended / (attended + no-show)"), tickformat=".0%", range=[0, 1]),
        yaxis=dict(autorange="reversed"), height=max(260, 40 * len(frame) + 110),
    )
    return fig


def no_shows_by_weekday(table: pd.DataFrame, title: str | None = None) -> go.Figure:
    """Share of scheduled sessions (attended + no-show) that were no-shows, per weekday."""
    fig = base_figure(title)
    if table.empty:
        return fig
    fig.add_trace(go.Bar(
        x=[str(d)[:3] for d in table["weekday_name"]], y=table["no_show_share"],
        marker=dict(color=charts.STATUS_COLOURS["no_show"]),
        text=[f"{s:.0%}<br>of {t:,}" for s, t in zip(table["no_show_share"], table["scheduled"])],
        textposition="outside", cliponaxis=False, textfont=dict(size=11), constraintext="none",
        customdata=table[["weekday_name", "no_show", "scheduled"]].to_numpy(),
        hovertemplate="<b>%{customdata[0]}</b>: %{y:.1%} no-shows (%{customdata[1]:,} of %{customdata[2]:,})<extra></extra>",
        showlegend=False,
    ))
    top = float(table["no_show_share"].max())
    fig.update_layout(
        xaxis=dict(title=dict(text="Day of the session")),
        yaxis=dict(title=dict(text="No-shows / scheduled"), tickformat=".0%",
                   range=[0, min(1.0, max(0.1, top * 1.35))]),
    )
    return fig
