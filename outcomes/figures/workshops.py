"""Figures of the Family workshops page: cadence against the bi-weekly plan, attendance per
workshop, guests per attending client, topics, topic coverage per family, and 60-day
retention by family participation. No Streamlit."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import plotly.graph_objects as go

from .. import charts, definitions

NO_SITE = "site not known"
Z95 = 1.959963984540054


def site_label(value) -> str:
    return NO_SITE if value is None or pd.isna(value) else str(value)


def cadence_timeline(frame: pd.DataFrame, gap_days: int = definitions.WORKSHOP_GAP_FLAG_DAYS,
                     period: tuple[dt.date, dt.date] | None = None) -> go.Figure:
    """One row per site: each workshop a dot (size = people there), consecutive workshops
    joined by a line, red with its length in days where the gap is over ``gap_days``."""
    fig = charts.figure()
    sites = sorted({site_label(s) for s in frame["site"]}, key=lambda s: (s == NO_SITE, s))
    for i, site in enumerate(sites):
        part = frame[frame["site"].map(site_label) == site].sort_values("workshop_date")
        dates = pd.to_datetime(part["workshop_date"])
        gaps = part["days_since_previous"]
        for (prev_date, date, gap, over) in zip(dates.shift(), dates, gaps, part["over_gap"]):
            if pd.isna(prev_date) or pd.isna(gap):
                continue
            fig.add_scatter(
                x=[prev_date, date], y=[site, site], mode="lines", showlegend=False, hoverinfo="skip",
                line=dict(color=charts.BAD if over else "#D0D7DE", width=4 if over else 2),
            )
            if over:
                fig.add_annotation(x=prev_date + (date - prev_date) / 2, y=site, text=f"{int(gap)} days",
                                   showarrow=False, yshift=16, font=dict(size=11, color=charts.BAD))
        fig.add_scatter(
            x=dates, y=[site] * len(part), mode="markers", name=site, showlegend=False,
            marker=dict(size=[8 + min(14, t / 6) for t in part["total"]], color=charts.PALETTE[i % 8],
                        line=dict(color="white", width=1)),
            customdata=list(zip(part["topic"].fillna("no topic"), part["clients"], part["guests"],
                                gaps.fillna(-1).astype(int))),
            hovertemplate=("%{x|%a %d %b %Y} · " + site + "<br>%{customdata[0]}<br>%{customdata[1]:,} "
                           "clients, %{customdata[2]:,} guests<br>%{customdata[3]} days since the "
                           "previous one<extra></extra>"),
        )
    if period is not None:
        fig.update_xaxes(range=[pd.Timestamp(period[0]) - pd.Timedelta(days=4),
                                pd.Timestamp(period[1]) + pd.Timedelta(days=4)])
    fig.update_layout(height=110 + 56 * max(len(sites), 1), margin=dict(t=24, b=40, l=16),
                      yaxis=dict(title=None, automargin=True, showgrid=False),
                      xaxis=dict(title=None, showgrid=True, gridcolor="#F0F2F4"))
    return fig


def attendance_per_workshop(frame: pd.DataFrame) -> go.Figure:
    """Stacked bars per workshop: clients and the guests they brought (labelled with the
    total); a workshop with a guest-rule break is outlined in red."""
    dates = pd.to_datetime(frame["workshop_date"])
    hover = list(zip(frame["site"].map(site_label), frame["topic"].fillna("no topic"), frame["total"],
                     frame["over_limit_rows"]))
    fig = charts.figure()
    breaks = frame["over_limit_rows"] > 0
    fig.add_bar(x=dates, y=frame["clients"], name="Clients", marker_color=charts.NEUTRAL,
                customdata=hover,
                hovertemplate="%{x|%d %b %Y} · %{customdata[0]}<br>%{customdata[1]}<br>%{y:,} clients"
                              "<extra></extra>")
    fig.add_bar(x=dates, y=frame["guests"], name="Guests (loved ones)", marker_color=charts.PALETTE[1],
                marker_line=dict(color=[charts.BAD if b else "rgba(0,0,0,0)" for b in breaks],
                                 width=[2 if b else 0 for b in breaks]),
                text=frame["total"], textposition="outside", cliponaxis=False,
                textfont=dict(size=10, color="#57606A"), customdata=hover,
                hovertemplate="%{x|%d %b %Y} · %{customdata[0]}<br>%{y:,} guests; %{customdata[2]:,} in "
                              "all<br>rows over the guest limit: %{customdata[3]}<extra></extra>")
    top = float(frame["total"].max()) if len(frame) else 1
    fig.update_layout(barmode="stack", bargap=0.15, margin=dict(t=48, b=40),
                      legend=dict(traceorder="normal"),
                      yaxis=dict(title="People at the workshop", range=[0, top * 1.15]),
                      xaxis=dict(title=None))
    return fig


def guests_per_client(frame: pd.DataFrame) -> go.Figure:
    """Attended workshop rows by the number of guests the client brought; the bar over the
    program's limit is red."""
    total = int(frame["attendances"].sum())
    colours = [charts.BAD if o else (charts.MUTED if g == "not recorded" else charts.NEUTRAL)
               for g, o in zip(frame["guests"], frame["over_limit"])]
    fig = charts.figure()
    fig.add_bar(
        x=[f"{g} guest{'s' if g != '1' else ''}" if g[0].isdigit() else g for g in frame["guests"]],
        y=frame["attendances"], marker_color=colours,
        text=[f"{int(n):,} ({n / total:.0%})" if total else "0" for n in frame["attendances"]],
        textposition="outside", cliponaxis=False,
        hovertemplate="%{x}: %{y:,} client attendances<extra></extra>",
    )
    top = float(frame["attendances"].max()) if len(frame) else 1
    fig.update_layout(showlegend=False, bargap=0.35, height=320, margin=dict(t=24, b=48),
                      yaxis=dict(title="Client attendances", range=[0, max(top, 1) * 1.2]),
                      xaxis=dict(title="Guests the client brought", type="category"))
    return fig


def topics(frame: pd.DataFrame) -> go.Figure:
    """Client attendances and guests per topic (curriculum topics in teaching order), with
    the number of workshops on that topic in the label."""
    labels = [f"{t}<br><span style='font-size:10px;color:#57606A'>{int(w):,} workshops · "
              f"{int(f):,} families</span>"
              for t, w, f in zip(frame["topic"], frame["workshops"], frame["families"])]
    fig = charts.figure()
    fig.add_bar(y=labels, x=frame["client_attendances"], name="Client attendances", orientation="h",
                marker_color=charts.NEUTRAL, text=frame["client_attendances"], textposition="outside",
                cliponaxis=False, hovertemplate="%{x:,} client attendances<extra></extra>")
    fig.add_bar(y=labels, x=frame["guests"], name="Guests", orientation="h",
                marker_color=charts.PALETTE[1], text=frame["guests"], textposition="outside",
                cliponaxis=False, hovertemplate="%{x:,} guests<extra></extra>")
    top = float(max(frame["client_attendances"].max(), frame["guests"].max())) if len(frame) else 1
    fig.update_layout(barmode="group", bargap=0.3, height=120 + 70 * len(frame),
                      margin=dict(t=48, b=40, l=16, r=24),
                      yaxis=dict(autorange="reversed", automargin=True, title=None),
                      xaxis=dict(title="People", range=[0, max(top, 1) * 1.15]),
                      legend=dict(traceorder="normal"))
    return fig


def topic_coverage(frame: pd.DataFrame) -> go.Figure:
    """Participating families by how many of the curriculum topics they attended with a
    guest; all of them (the last bar) in green."""
    n_topics = int(frame["topics_covered"].max()) if len(frame) else len(definitions.WORKSHOP_TOPICS)
    total = int(frame["families"].sum())
    # "0 of 4" (families who came only to workshops off the curriculum) shows only when it happens
    frame = frame[(frame["topics_covered"] > 0) | (frame["families"] > 0)]
    fig = charts.figure()
    fig.add_bar(
        x=[f"{int(n)} of {n_topics}" for n in frame["topics_covered"]], y=frame["families"],
        marker_color=[charts.GOOD if n == n_topics else charts.NEUTRAL for n in frame["topics_covered"]],
        text=[f"{int(f):,} ({f / total:.0%})" if total else "0" for f in frame["families"]],
        textposition="outside", cliponaxis=False,
        hovertemplate="%{x} topics: %{y:,} families<extra></extra>",
    )
    top = float(frame["families"].max()) if len(frame) else 1
    fig.update_layout(showlegend=False, bargap=0.35, height=320, margin=dict(t=24, b=48),
                      yaxis=dict(title="Families", range=[0, max(top, 1) * 1.2]),
                      xaxis=dict(title="Curriculum topics attended with a guest", type="category"))
    return fig


def wilson(successes: int, n: int) -> tuple[float | None, float | None]:
    """The 95% Wilson score interval of a proportion (None, None when n = 0)."""
    if n == 0:
        return None, None
    p = successes / n
    denominator = 1 + Z95 ** 2 / n
    centre = (p + Z95 ** 2 / (2 * n)) / denominator
    half = Z95 * math.sqrt(p * (1 - p) / n + Z95 ** 2 / (4 * n * n)) / denominator
    return centre - half, centre + half


def retention_table(frame: pd.DataFrame) -> pd.DataFrame:
    """``family_retention`` with a label and the 95% Wilson interval of each rate."""
    rows = []
    for r in frame.itertuples():
        low, high = wilson(int(r.retained), int(r.eligible))
        rows.append({
            "group": (f"Brought a loved one in days 0-{definitions.FAMILY_EARLY_DAYS}"
                      if r.brought_family else "Did not bring anyone"),
            "brought_family": bool(r.brought_family), "retained": int(r.retained),
            "eligible": int(r.eligible), "rate": None if r.eligible == 0 else float(r.rate),
            "lower_95": low, "upper_95": high,
        })
    return pd.DataFrame(rows)


def family_retention(table: pd.DataFrame) -> go.Figure:
    """60-day retention of the two groups of :func:`retention_table`, with 95% intervals and
    the counts written on the bars."""
    fig = charts.figure()
    rates = [r if r is not None and not pd.isna(r) else 0 for r in table["rate"]]
    fig.add_bar(
        y=table["group"], x=rates, orientation="h",
        marker_color=[charts.PALETTE[2] if b else charts.MUTED for b in table["brought_family"]],
        error_x=dict(type="data", symmetric=False,
                     array=[(h - r) if h is not None and not pd.isna(h) else 0 for h, r in zip(table["upper_95"], rates)],
                     arrayminus=[(r - lo) if lo is not None and not pd.isna(lo) else 0 for lo, r in zip(table["lower_95"], rates)],
                     color="#57606A", thickness=1.5, width=6),
        text=[("n/a (no one eligible)" if n == 0 else f"{r:.1%}  ·  {int(k):,} of {int(n):,}")
              for r, k, n in zip(rates, table["retained"], table["eligible"])],
        textposition="inside", insidetextanchor="start", textfont=dict(color="white"),
        hovertemplate="%{y}: %{x:.1%} retained at day 60<extra></extra>",
    )
    fig.update_layout(showlegend=False, bargap=0.4, height=230, margin=dict(t=16, b=48, l=16, r=24),
                      xaxis=dict(title=f"Retained at day {definitions.FAMILY_RETENTION_DAYS}",
                                 tickformat=".0%", range=[0, 1]),
                      yaxis=dict(title=None, automargin=True, autorange="reversed"))
    return fig
