"""Figures of the Assessments page: trajectories by week since admission, severity bands at
baseline against follow-up, and change by program and by length of stay. No Streamlit."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .. import charts, definitions


def trajectory(frame: pd.DataFrame, instrument: str, min_episodes: int = definitions.SMALL_CELL,
               caseness: float | None = None) -> go.Figure:
    """Mean score by week since admission (``instrument_trajectory``) with its 95% interval,
    and under it the number of episodes measured each week. Weeks with fewer than
    ``min_episodes`` measured are drawn as bars below but not on the line (too few to read a
    mean from), unless every week is that small: then all are drawn, in grey. ``caseness``
    draws the clinical cut-off as a dotted line."""
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.72, 0.28],
                        vertical_spacing=0.06)
    fig.update_layout(template=charts.TEMPLATE)
    shown = frame[frame["episodes"] >= min_episodes]
    few_only = shown.empty  # every week is small: draw them all, in grey, rather than nothing
    if few_only:
        shown = frame
    with_band = shown.dropna(subset=["lower", "upper"])
    fig.add_scatter(x=with_band["week"], y=with_band["upper"], mode="lines", line=dict(width=0),
                    hoverinfo="skip", showlegend=False, row=1, col=1)
    fig.add_scatter(x=with_band["week"], y=with_band["lower"], mode="lines", line=dict(width=0),
                    fill="tonexty", fillcolor=charts.BAND, name="95% interval", hoverinfo="skip",
                    row=1, col=1)
    fig.add_scatter(
        x=shown["week"], y=shown["mean_score"], mode="lines+markers",
        name=f"Mean {instrument}" + (" (small numbers)" if few_only else ""),
        line=dict(color=charts.MUTED if few_only else charts.NEUTRAL, width=2), marker=dict(size=6),
        customdata=list(zip(shown["episodes"], shown["lower"], shown["upper"])),
        hovertemplate=(f"week %{{x}}: mean {instrument} %{{y:.1f}} (95% interval "
                       "%{customdata[1]:.1f} - %{customdata[2]:.1f})<br>%{customdata[0]:,} episodes "
                       "measured<extra></extra>"),
        row=1, col=1,
    )
    if caseness is not None:
        fig.add_hline(y=caseness, line_dash="dot", line_color=charts.MUTED, line_width=1, row=1, col=1,
                      annotation_text=f"clinical cut-off {caseness:g}", annotation_position="bottom right",
                      annotation_font=dict(size=11, color="#57606A"))
    few = frame["episodes"] < min_episodes
    fig.add_bar(x=frame["week"], y=frame["episodes"], name="Episodes measured",
                marker_color=[charts.MUTED if f else "#6A9BC3" for f in few],
                text=frame["episodes"], textposition="outside", cliponaxis=False,
                textfont=dict(size=10, color="#57606A"),
                hovertemplate="week %{x}: %{y:,} episodes measured<extra></extra>", row=2, col=1)
    low = float(with_band["lower"].min()) if len(with_band) else float(shown["mean_score"].min() if len(shown) else 0)
    high = float(with_band["upper"].max()) if len(with_band) else float(shown["mean_score"].max() if len(shown) else 1)
    if caseness is not None:
        low, high = min(low, caseness), max(high, caseness)
    pad = max((high - low) * 0.15, 1)
    top_count = float(frame["episodes"].max()) if len(frame) else 1
    fig.update_yaxes(title_text=f"Mean {instrument} score", range=[max(low - pad, 0), high + pad],
                     row=1, col=1)
    fig.update_yaxes(title_text="Measured", range=[0, top_count * 1.35], showgrid=False, row=2, col=1)
    fig.update_xaxes(title_text="Week since admission (week 0 includes the 7 days before)",
                     dtick=1, row=2, col=1)
    fig.update_layout(height=460, margin=dict(t=40, b=56), bargap=0.3)
    return fig


def severity_matrix(frame: pd.DataFrame, instrument: str) -> tuple[go.Figure, pd.DataFrame]:
    """Baseline band (rows) against follow-up band (columns) from ``severity_shift`` as a
    heat-map of row shares with the counts written in; every band of the instrument shows
    (definitions.INSTRUMENT_THRESHOLDS), so an empty cell reads 0. Returns the figure and the
    full table (with row totals and shares) for the CSV."""
    bands = [label for label, _low, _high in definitions.thresholds(instrument).bands]
    part = frame[frame["instrument"] == instrument]
    counts = (part.pivot_table(index="baseline_band", columns="followup_band", values="episodes",
                               aggfunc="sum", fill_value=0)
              .reindex(index=bands, columns=bands, fill_value=0))
    totals = counts.sum(axis=1)
    shares = counts.div(totals.where(totals > 0), axis=0)
    ranges = {label: f"{label} ({low:g}-{high:g})" for label, low, high in definitions.thresholds(instrument).bands}
    y_labels = [f"{ranges[b]}<br><span style='font-size:10px;color:#57606A'>n={int(totals[b]):,}</span>"
                for b in bands]
    x_labels = [ranges[b] for b in bands]
    text = [[("" if totals[r] == 0 else f"{int(counts.loc[r, c]):,}<br>{shares.loc[r, c]:.0%}")
             for c in bands] for r in bands]
    fig = charts.figure()
    fig.add_heatmap(
        z=shares.to_numpy(), x=x_labels, y=y_labels, text=text, texttemplate="%{text}",
        colorscale=[[0, "#F6F8FA"], [1, charts.NEUTRAL]], zmin=0, zmax=1, showscale=False,
        hovertemplate="baseline %{y}<br>follow-up %{x}<br>%{z:.0%} of the row<extra></extra>",
        xgap=2, ygap=2,
    )
    # The diagonal (no change of band) is outlined, so improvement reads as left of it. (A
    # scatter trace rather than shapes: the browser harness waits for a chart's traces, and a
    # heat-map alone draws none it recognises.)
    xs, ys = [], []
    for i in range(len(bands)):
        xs += [i - 0.5, i + 0.5, i + 0.5, i - 0.5, i - 0.5, None]
        ys += [i - 0.5, i - 0.5, i + 0.5, i + 0.5, i - 0.5, None]
    fig.add_scatter(x=xs, y=ys, mode="lines", line=dict(color=charts.MUTED, width=1.5),
                    hoverinfo="skip", showlegend=False, xaxis="x2", yaxis="y2")
    fig.add_annotation(text="Band at baseline (rows) ↓", xref="paper", yref="paper", x=0, y=1,
                       xanchor="right", yanchor="bottom", showarrow=False,
                       font=dict(size=12, color="#57606A"))
    fig.update_layout(
        height=100 + 62 * len(bands), margin=dict(l=16, t=36, b=64, r=16),
        xaxis=dict(title="Band at follow-up", side="bottom", showgrid=False),
        yaxis=dict(title=None, autorange="reversed", showgrid=False, automargin=True),
        # the outline's axes: one unit per band, laid exactly over the heat-map's categories
        xaxis2=dict(overlaying="x", range=[-0.5, len(bands) - 0.5], visible=False),
        yaxis2=dict(overlaying="y", range=[len(bands) - 0.5, -0.5], visible=False),
    )
    table = counts.reset_index().melt(id_vars="baseline_band", var_name="followup_band", value_name="episodes")
    table["baseline_episodes"] = table["baseline_band"].map(totals)
    table["share_of_baseline_band"] = table["episodes"] / table["baseline_episodes"].where(table["baseline_episodes"] > 0)
    table.insert(0, "instrument", instrument)
    return fig, table


def change_by_group(frame: pd.DataFrame, instrument: str, labels: list[str],
                    reliable_change: float) -> go.Figure:
    """Mean change (baseline - follow-up; a fall is an improvement, drawn to the right) per
    group with its 95% interval; under each group's name its counts: measured, and those
    with no follow-up or no baseline. Dotted lines at +- the reliable change."""
    rows = frame.reset_index(drop=True)
    y = [f"{label}<br><span style='font-size:10px;color:#57606A'>{int(r.measured):,} measured · "
         f"{int(r.no_followup):,} no follow-up · {int(r.no_baseline):,} no baseline</span>"
         for label, r in zip(labels, rows.itertuples())]
    small = rows["measured"] < definitions.SMALL_CELL
    mean = rows["mean_change"].astype(float)
    fig = charts.figure()
    fig.add_scatter(
        x=mean, y=y, mode="markers+text",
        marker=dict(size=11, color=[charts.MUTED if s else charts.NEUTRAL for s in small]),
        error_x=dict(type="data", symmetric=False, array=(rows["upper"] - mean).astype(float).fillna(0),
                     arrayminus=(mean - rows["lower"]).astype(float).fillna(0), color="#6A9BC3",
                     thickness=2, width=6),
        text=[f"{m:+.1f}" if pd.notna(m) else "no one measured" for m in mean],
        textposition="top center", textfont=dict(size=11),
        customdata=list(zip(rows["lower"], rows["upper"], rows["improved"], rows["deteriorated"],
                            rows["measured"])),
        hovertemplate=(f"mean fall in {instrument}: %{{x:.1f}} points (95% interval "
                       "%{customdata[0]:.1f} to %{customdata[1]:.1f})<br>reliably improved "
                       "%{customdata[2]:,}, deteriorated %{customdata[3]:,} of %{customdata[4]:,} measured"
                       "<extra></extra>"),
    )
    fig.add_vline(x=0, line_color="#57606A", line_width=1)
    for x, text in ((reliable_change, "reliable improvement"), (-reliable_change, "reliable deterioration")):
        fig.add_vline(x=x, line_dash="dot", line_color=charts.MUTED, line_width=1,
                      annotation_text=f"{text} ({x:+g})", annotation_position="top",
                      annotation_font=dict(size=10, color="#57606A"))
    span = max([reliable_change + 1] + [abs(v) for v in pd.concat([rows["lower"], rows["upper"]]).dropna()])
    fig.update_layout(
        showlegend=False, height=110 + 58 * len(rows), margin=dict(l=16, t=40, b=56, r=24),
        xaxis=dict(title=f"Mean fall in {instrument}, baseline to follow-up (points; right = better)",
                   range=[-span * 1.1, span * 1.1], zeroline=False),
        yaxis=dict(range=[len(rows) - 0.5, -0.9], automargin=True, title=None),
    )
    return fig


def los_label(band_from, band_to) -> str:
    """'0-29 days', '90+ days'."""
    if band_to is None or pd.isna(band_to):
        return f"{int(band_from)}+ days"
    return f"{int(band_from)}-{int(band_to)} days"
