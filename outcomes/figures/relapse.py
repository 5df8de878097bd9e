"""Figures of the Relapse page (and the board report's monthly relapse rate).

Plain functions from the DataFrames of the relapse queries to Plotly figures in the project's
template; no Streamlit. :func:`monthly_relapse_rate` is general on purpose: the board report
draws the same figure from the same query (``relapse_rate_by_month``).
"""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go

from .. import charts, definitions
from ..contract import LEVEL_NAMES

TYPE_COLOURS = {
    "overdose": "#B42318",
    "positive_screen": "#E69F00",
    "collateral_report": "#CC79A7",
    "self_report": "#56B4E9",
    "other": "#8C8C8C",
}
NOT_RECORDED = "not recorded"


def _date(value):
    return pd.Timestamp(value).date()


def month_label(month_start, days_from=None, days_to=None) -> str:
    """"Nov 2025", or "Nov 2025 (1-15)" for a month only partly inside the period."""
    start = _date(month_start)
    label = f"{start:%b %Y}"
    if days_from is None or days_to is None:
        return label
    first, last = _date(days_from), _date(days_to)
    month_end = (pd.Timestamp(start) + pd.offsets.MonthEnd(0)).date()
    if first != start or last != month_end:
        label += f" ({first.day}-{last.day})"
    return label


def monthly_relapse_rate(frame: pd.DataFrame, overall: float | None = None,
                         title: str | None = None) -> go.Figure:
    """Relapse days per 1,000 client-days by month (``relapse_rate_by_month``): one bar a
    month labelled with its rate, the counts behind it under the month (relapse days /
    client-days), and a dashed line at the whole period's rate when ``overall`` is given."""
    labels = [
        f"{month_label(r.month_start, r.days_from, r.days_to)}<br>"
        f"<span style='font-size:11px;color:#57606A'>{int(r.relapse_days):,} / {int(r.client_days):,}</span>"
        for r in frame.itertuples()
    ]
    rates = [None if pd.isna(v) else float(v) for v in frame["rate_per_1000_days"]]
    fig = charts.figure(title=title)
    fig.add_bar(
        x=labels, y=rates, marker_color=charts.NEUTRAL, name="Relapse days per 1,000 client-days",
        text=["no care days" if v is None else f"{v:.1f}" for v in rates],
        textposition="outside", cliponaxis=False,
        customdata=list(zip(frame["relapse_days"].astype(int), frame["client_days"].astype(int))),
        hovertemplate="%{x}<br>%{y:.1f} relapse days per 1,000 client-days<br>"
                      "%{customdata[0]:,} relapse days / %{customdata[1]:,} client-days<extra></extra>",
    )
    has_overall = overall is not None and not (isinstance(overall, float) and math.isnan(overall))
    if has_overall:
        fig.add_scatter(x=labels, y=[overall] * len(labels), mode="lines",
                        line=dict(color=charts.BAD, dash="dash", width=1.5),
                        name=f"Whole period: {overall:.1f}", hoverinfo="skip")
    top = max([v for v in rates if v is not None] + [overall if has_overall else 0, 1])
    # a short period keeps its bars slim (one month would otherwise fill the chart)
    bargap = 0.35 if len(labels) >= 6 else 1 - 0.65 * len(labels) / 6
    if title:  # the title on top, the legend between it and the plot
        fig.update_layout(title=dict(text=title, y=0.98, yanchor="top"))
    fig.update_layout(showlegend=has_overall, bargap=bargap, margin=dict(t=84 if title else 32, b=64),
                      yaxis=dict(title="Relapse days per 1,000 client-days", range=[0, top * 1.2],
                                 rangemode="tozero"),
                      xaxis=dict(title=None, type="category"))
    return fig


def category_order(frame: pd.DataFrame, split: str) -> list[str]:
    """Event types in the precedence order; substances by total, 'not recorded' last."""
    part = frame[frame["split"] == split]
    present = set(part["category"])
    if split == "event_type":
        order = [t for t in definitions.RELAPSE_TYPE_ORDER if t in present]
        return order + sorted(present - set(order))
    totals = part.groupby("category")["relapse_days"].sum().sort_values(ascending=False)
    order = [c for c in totals.index if c != NOT_RECORDED]
    return order + ([NOT_RECORDED] if NOT_RECORDED in present else [])


def relapse_days_by_category(frame: pd.DataFrame, months: pd.DataFrame, split: str) -> go.Figure:
    """Stacked bars of relapse days by month (``relapse_days_by_month``), one colour per event
    type or substance. ``months`` (``relapse_rate_by_month``) gives every month of the period,
    so a month without relapses still shows."""
    part = frame[frame["split"] == split]
    keys = [_date(m) for m in months["month_start"]]
    labels = [month_label(r.month_start, r.days_from, r.days_to) for r in months.itertuples()]
    fig = charts.figure()
    for i, category in enumerate(category_order(frame, split)):
        rows = part[part["category"] == category]
        counts = {_date(r.month_start): int(r.relapse_days) for r in rows.itertuples()}
        if split == "event_type":
            colour = TYPE_COLOURS.get(category, charts.MUTED)
            name = definitions.RELAPSE_TYPE_LABELS.get(category, category)
        else:
            colour = charts.MUTED if category == NOT_RECORDED else charts.PALETTE[i % len(charts.PALETTE)]
            name = category
        fig.add_bar(x=labels, y=[counts.get(k, 0) for k in keys], name=name, marker_color=colour,
                    hovertemplate=f"{name}<br>%{{x}}: %{{y:,}} relapse days<extra></extra>")
    bargap = 0.35 if len(labels) >= 6 else 1 - 0.65 * len(labels) / 6
    fig.update_layout(barmode="stack", bargap=bargap, yaxis=dict(title="Relapse days"),
                      xaxis=dict(title=None, type="category"), margin=dict(t=56),
                      legend=dict(traceorder="normal"))
    return fig


# ---------------------------------------------------------------------------------------------
# Time to first relapse (Kaplan-Meier)
# ---------------------------------------------------------------------------------------------

SPLITS = {
    "none": ("No split", None),
    "program": ("Program", "program"),
    "site": ("Site", "site"),
    "primary_substance": ("Primary substance", "primary_substance"),
    "referral_source": ("Referral source", "referral_source"),
    "admission_level": ("Admission level", "admission_level"),
    "stay_first_level": ("Level the stay began at", "stay_first_level"),
}
MAX_GROUPS = 6  # as on the retention page: the largest groups get a curve, the rest share one
OTHER_GROUPS = "Other groups"


def group_labels(frame: pd.DataFrame, split: str, max_groups: int = MAX_GROUPS,
                 smallest: int = definitions.SMALL_CELL) -> pd.Series:
    """The group of each admission for a split (empty values are 'not recorded'; levels are
    shown with their names, 2.1 IOP). Only the ``max_groups`` largest groups of at least
    ``smallest`` admissions keep their own curve; the others are 'Other groups'."""
    column = SPLITS[split][1]
    if column is None:
        return pd.Series("All admissions", index=frame.index)
    values = frame[column].astype("object").where(frame[column].notna(), NOT_RECORDED)
    if column in ("admission_level", "stay_first_level"):
        values = values.map(lambda v: f"{v} {LEVEL_NAMES.get(str(v).split('-')[0], '')}".strip()
                            if v != NOT_RECORDED else v)
    values = values.astype(str)
    sizes = values.value_counts()
    keep = [g for g in sizes.index[:max_groups] if sizes[g] >= smallest]
    if not keep:
        return pd.Series("All admissions", index=frame.index)
    return values.where(values.isin(keep), OTHER_GROUPS)


def first_relapse_median(frame: pd.DataFrame) -> tuple[float | None, int, int]:
    """(median days to the first relapse among the admissions that relapsed, how many
    relapsed, how many admissions) from ``time_to_first_relapse``."""
    relapsed = frame.loc[frame["relapsed"].astype(bool), "days"]
    median = float(relapsed.median()) if len(relapsed) else None
    return median, int(len(relapsed)), int(len(frame))


def time_to_relapse_curve(table: pd.DataFrame, sizes: dict[str, int],
                          markers: tuple[int, ...] = (30, 60, 90)) -> go.Figure:
    """Kaplan-Meier curves (``survival.kaplan_meier``) of the share still without a relapse
    by days since admission, one per group with its 95% band; legend names carry n."""
    fig = charts.figure()
    groups = sorted(table["group"].unique(), key=lambda g: (-sizes.get(g, 0), str(g)))
    for i, group in enumerate(groups):
        part = table[table["group"] == group].sort_values("time")
        colour = charts.PALETTE[i % len(charts.PALETTE)]
        name = f"{group} (n={sizes.get(group, 0):,})"
        fig.add_scatter(x=part["time"], y=part["upper"], mode="lines", line=dict(width=0, shape="hv"),
                        hoverinfo="skip", showlegend=False, legendgroup=str(group))
        fig.add_scatter(x=part["time"], y=part["lower"], mode="lines", line=dict(width=0, shape="hv"),
                        fill="tonexty", fillcolor=_band(colour), hoverinfo="skip", showlegend=False,
                        legendgroup=str(group))
        fig.add_scatter(
            x=part["time"], y=part["survival"], mode="lines", name=name, legendgroup=str(group),
            line=dict(color=colour, width=2, shape="hv"),
            customdata=list(zip(part["at_risk"], part["events"], part["lower"], part["upper"])),
            hovertemplate=(f"{group}<br>day %{{x:.0f}}: %{{y:.1%}} without a relapse "
                           "(95% CI %{customdata[2]:.1%} - %{customdata[3]:.1%})<br>"
                           "%{customdata[0]:,} at risk, %{customdata[1]:,} first relapses that day"
                           "<extra></extra>"),
        )
    longest = float(table["time"].max()) if len(table) else 0
    for day in markers:
        if day <= longest:
            fig.add_vline(x=day, line_dash="dot", line_color="#D0D7DE", line_width=1,
                          annotation_text=f"day {day}", annotation_position="top",
                          annotation_font=dict(size=11, color="#57606A"))
    fig.update_layout(yaxis=dict(title="Share without a relapse", tickformat=".0%", range=[0, 1.02]),
                      xaxis=dict(title="Days since admission", rangemode="tozero"),
                      margin=dict(t=72), hovermode="closest")
    return fig


def _band(hex_colour: str, alpha: float = 0.14) -> str:
    h = hex_colour.lstrip("#")
    r, g, b = (int(h[i:i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r}, {g}, {b}, {alpha})"


# ---------------------------------------------------------------------------------------------
# Early warning: show rate before a relapse, paired by client
# ---------------------------------------------------------------------------------------------


def paired_show_rates(frame: pd.DataFrame) -> dict:
    """The paired comparison behind the early-warning chart, from ``show_rate_before_relapse``
    (one row per relapsing client). Paired clients have sessions both in the 14 days before a
    relapse and otherwise; for them: the pooled show rates (all their sessions before a
    relapse, all their other sessions), the mean of their own show rates, the mean of the
    per-client differences (before - otherwise) with a 95% interval (Student's t),
    their median, and how many were lower / the same / higher before."""
    both = frame[frame["before_rate"].notna() & frame["other_rate"].notna()]
    diff = (both["before_rate"] - both["other_rate"]).astype(float)
    n = int(len(both))
    sd = float(diff.std(ddof=1)) if n >= 2 else None
    mean_diff = float(diff.mean()) if n else None
    half = definitions.t975(n - 1) * sd / math.sqrt(n) if sd is not None else None
    before_attended = int(both["before_attended"].sum())
    before_sessions = int((both["before_attended"] + both["before_no_show"]).sum())
    other_attended = int(both["other_attended"].sum())
    other_sessions = int((both["other_attended"] + both["other_no_show"]).sum())
    return {
        "clients": int(len(frame)),
        "paired": n,
        "unpaired": int(len(frame)) - n,
        "before_mean": float(both["before_rate"].mean()) if n else None,
        "other_mean": float(both["other_rate"].mean()) if n else None,
        "mean_difference": mean_diff,
        "median_difference": float(diff.median()) if n else None,
        "lower": mean_diff - half if half is not None else None,
        "upper": mean_diff + half if half is not None else None,
        "lower_before": int((diff < 0).sum()),
        "same": int((diff == 0).sum()),
        "higher_before": int((diff > 0).sum()),
        "before_attended": before_attended,
        "before_sessions": before_sessions,
        "other_attended": other_attended,
        "other_sessions": other_sessions,
        "before_pooled": before_attended / before_sessions if before_sessions else None,
        "other_pooled": other_attended / other_sessions if other_sessions else None,
    }


def paired_table(summary: dict) -> pd.DataFrame:
    """The numbers behind the early-warning chart, for its CSV download."""
    return pd.DataFrame([
        {"when": f"{definitions.EARLY_WARNING_DAYS} days before a relapse",
         "show_rate": summary["before_pooled"], "attended": summary["before_attended"],
         "scheduled": summary["before_sessions"], "mean_client_show_rate": summary["before_mean"],
         "clients": summary["paired"]},
        {"when": "rest of their care", "show_rate": summary["other_pooled"],
         "attended": summary["other_attended"], "scheduled": summary["other_sessions"],
         "mean_client_show_rate": summary["other_mean"], "clients": summary["paired"]},
    ])


def early_warning(summary: dict) -> go.Figure:
    """Two bars: the paired clients' show rate over their sessions in the days before a
    relapse and over the rest of their care, with the sessions behind each."""
    days = definitions.EARLY_WARNING_DAYS
    labels = [f"{days} days before a relapse", "Rest of their care"]
    values = [summary["before_pooled"], summary["other_pooled"]]
    counts = [(summary["before_attended"], summary["before_sessions"]),
              (summary["other_attended"], summary["other_sessions"])]
    fig = charts.figure()
    fig.add_bar(
        y=labels, x=values, orientation="h", marker_color=[charts.BAD, charts.NEUTRAL],
        text=[f"{v:.1%}  ·  {a:,} of {n:,} sessions" for v, (a, n) in zip(values, counts)],
        textposition="inside", insidetextanchor="start", textfont=dict(color="white"),
        customdata=counts,
        hovertemplate="%{y}: show rate %{x:.1%}<br>%{customdata[0]:,} attended of "
                      "%{customdata[1]:,} attended or no-show<extra></extra>",
    )
    fig.update_layout(
        showlegend=False, bargap=0.45, height=240, margin=dict(l=180, t=16, b=56, r=16),
        xaxis=dict(title="Show rate: attended / (attended + no-show)", tickformat=".0%",
                   range=[0, 1.04], tickvals=[0, 0.25, 0.5, 0.75, 1]),
        yaxis=dict(autorange="reversed", title=None),
    )
    return fig


def difference_bins(frame: pd.DataFrame) -> pd.DataFrame:
    """Paired clients by their show rate before a relapse minus their rate otherwise, in
    percentage points, in bins of 10 centred on 0 (from_points <= difference < to_points;
    the last bin includes +100)."""
    both = frame[frame["before_rate"].notna() & frame["other_rate"].notna()]
    diff = ((both["before_rate"] - both["other_rate"]) * 100).astype(float).round(9)
    centres = list(range(-100, 101, 10))
    bins = pd.cut(diff, bins=[c - 5 for c in centres] + [105.001], right=False)
    return pd.DataFrame({
        "centre_points": centres,
        "from_points": [c - 5 for c in centres],
        "to_points": [c + 5 for c in centres],
        "clients": bins.value_counts(sort=False).to_numpy().astype(int),
    })


def difference_histogram(bins: pd.DataFrame) -> go.Figure:
    """The bins of :func:`difference_bins`: red = lower before a relapse, grey = within 5
    points, navy = higher before."""
    centres = bins["centre_points"].tolist()
    colours = [charts.BAD if c < 0 else (charts.MUTED if c == 0 else charts.NEUTRAL) for c in centres]
    fig = charts.figure()
    fig.add_bar(x=centres, y=bins["clients"], marker_color=colours, width=9,
                customdata=list(zip(bins["from_points"], bins["to_points"])),
                hovertemplate="%{customdata[0]} to %{customdata[1]} points: %{y:,} clients<extra></extra>")
    fig.update_layout(showlegend=False, height=240, margin=dict(t=16, b=56),
                      xaxis=dict(title="Before minus otherwise (points)", range=[-106, 106],
                                 tickvals=[-100, -50, 0, 50, 100]),
                      yaxis=dict(title="Clients"))
    return fig


# ---------------------------------------------------------------------------------------------
# By level of care, by week since admission
# ---------------------------------------------------------------------------------------------


def relapse_by_level(frame: pd.DataFrame) -> go.Figure:
    """Relapse days per 1,000 client-days per level of care (``relapse_by_level``), highest
    level at the top; focus levels in navy, the others grey."""
    labels = [f"{r.level_code} {LEVEL_NAMES.get(r.level_code, '')}" for r in frame.itertuples()]
    rates = [None if pd.isna(v) else float(v) for v in frame["rate_per_1000_days"]]
    fig = charts.figure()
    fig.add_bar(
        y=labels, x=rates, orientation="h",
        marker_color=[charts.NEUTRAL if f else "#B8C4CE" for f in frame["is_focus"]],
        text=[f"{v:.1f}  ({int(d):,} relapse days / {int(c):,} client-days)" if v is not None else "n/a"
              for v, d, c in zip(rates, frame["relapse_days"], frame["client_days"])],
        textposition="outside", cliponaxis=False,
        hovertemplate="%{y}: %{x:.1f} relapse days per 1,000 client-days<extra></extra>",
    )
    top = max([v for v in rates if v is not None] + [1])
    fig.update_layout(showlegend=False, bargap=0.3, height=max(220, 70 + 40 * len(frame)),
                      margin=dict(l=16, t=16, r=16, b=56),
                      xaxis=dict(title="Relapse days per 1,000 client-days", range=[0, top * 1.8]),
                      yaxis=dict(title=None, automargin=True))
    return fig


def relapse_by_week(frame: pd.DataFrame, max_week: int) -> go.Figure:
    """Relapse days per 1,000 episode-days by week since admission, the episodes in care that
    week under each bar; the last bar holds week ``max_week`` and later."""
    labels = [
        (f"{int(r.week)}+" if int(r.week) >= max_week else f"{int(r.week)}")
        + f"<br><span style='font-size:10px;color:#57606A'>{int(r.episodes):,}</span>"
        for r in frame.itertuples()
    ]
    small = frame["episodes"] < definitions.SMALL_CELL
    fig = charts.figure()
    fig.add_bar(
        x=labels, y=frame["rate_per_1000_days"],
        marker_color=[charts.MUTED if s else charts.NEUTRAL for s in small],
        text=[f"{v:.0f}" for v in frame["rate_per_1000_days"]], textposition="outside",
        cliponaxis=False,
        customdata=list(zip(frame["relapse_days"], frame["episode_days"], frame["episodes"])),
        hovertemplate="week %{x}<br>%{y:.1f} per 1,000 episode-days<br>%{customdata[0]:,} relapse "
                      "days / %{customdata[1]:,} episode-days; %{customdata[2]:,} episodes<extra></extra>",
    )
    top = float(frame["rate_per_1000_days"].max()) if len(frame) else 1
    fig.update_layout(showlegend=False, bargap=0.25, margin=dict(t=16, b=72),
                      xaxis=dict(title="Week since admission (episodes in care that week)",
                                 type="category"),
                      yaxis=dict(title="Relapse days per 1,000 episode-days",
                                 range=[0, max(top, 1) * 1.2]))
    return fig
