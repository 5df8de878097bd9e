"""Figures of the Transitions page: DataFrames in, Plotly figures out (no Streamlit).

- :func:`stay_sankey`: pathways of stays (``stay_flows``) as a Sankey: first level -> next
  levels -> how the stay ended.
- :func:`transition_matrix`: from level x to level, counts and row shares, step-downs and
  step-ups in their own colours.
- :func:`step_down_by_month`, :func:`step_down_gaps`, :func:`step_up_precursors`.
- :func:`time_in_level`, :func:`level_waits`, :func:`returns_to_care`.
"""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go

from .. import charts
from ..contract import LEVEL_NAMES
from .retention import REASON_LABELS, _rgba, base_figure, reason_label

STEP_COLUMNS = ("level_1", "level_2", "level_3", "level_4")
STEP_TITLES = ("First level", "Second level", "Third", "Fourth")
OUTCOME_ORDER = ("still in care", "completed", "transferred", "dropped_out", "terminated",
                 "incarcerated", "deceased", "other")
DIRECTION_LABELS = {"step_down": "Step-down (to a lower level)", "step_up": "Step-up (to a higher level)",
                    "same": "Same level"}


def level_label(level: str, short: bool = False) -> str:
    """'3.5' -> '3.5 Residential'; '3.7-WM' -> '3.7-WM Withdrawal management'."""
    if level is None or (isinstance(level, float) and math.isnan(level)):
        return ""
    level = str(level)
    code = level.split("-")[0]
    if level.endswith("-WM"):
        name = "Withdrawal mgmt" if short else "Withdrawal management"
    else:
        name = LEVEL_NAMES.get(code, "")
        if short:
            name = {"Residential (low intensity)": "Res. low", "Residential (population specific)": "Res. pop.",
                    "Inpatient (medically monitored)": "Inpatient", "Inpatient (medically managed)": "Inpatient",
                    "Medically managed outpatient": "MM outpatient", "Medically managed IOP": "MM IOP",
                    "Outpatient therapy": "OP therapy"}.get(name, name)
    return f"{level} {name}".strip()


def _level_num(level: str) -> float:
    try:
        return float(str(level).split("-")[0])
    except ValueError:
        return -1.0


def outcome_label(outcome: str) -> str:
    return "Still in care" if outcome == "still in care" else REASON_LABELS.get(outcome, reason_label(outcome))


def _direction(a: str, b: str) -> str:
    x, y = _level_num(a), _level_num(b)
    return "step_down" if y < x else ("step_up" if y > x else "same")


# ---------------------------------------------------------------------------------------------
# Sankey of stays
# ---------------------------------------------------------------------------------------------


LEVEL_NODE = "#4A5560"
PASS_NODE = "rgba(0, 0, 0, 0)"


def _outcome_rank(outcome: str) -> int:
    return OUTCOME_ORDER.index(outcome) if outcome in OUTCOME_ORDER else len(OUTCOME_ORDER)


def stay_sankey(paths: pd.DataFrame, title: str | None = None) -> go.Figure:
    """A Sankey of stay pathways (``stay_flows``): one column per step (the level of the
    stay's first, second... episode, up to four) and a last column for how the stay ended.
    A stay that ended before the last step runs on in an unlabelled lane of its outcome's
    colour, so every link joins neighbouring columns and each column adds up to all stays.
    Level-to-level links are green for a step-down, orange for a step-up, grey for the same
    level; a stay's ending takes its outcome's colour."""
    fig = base_figure(title)
    if paths.empty:
        return fig
    rows = []
    for row in paths.itertuples(index=False):
        levels = [getattr(row, c) for c in STEP_COLUMNS if pd.notna(getattr(row, c))]
        rows.append((levels, row.outcome, int(row.stays), bool(getattr(row, "more_levels", False))))
    depth = max(len(levels) for levels, *_ in rows)
    total = sum(n for *_, n, _ in rows)

    # nodes: (column, kind, name); kind 'level' | 'pass' | 'outcome'
    keys: dict[tuple, int] = {}
    values: dict[tuple, int] = {}
    links: dict[tuple, dict] = {}
    for levels, outcome, count, more in rows:
        chain = [(c, "level", level) for c, level in enumerate(levels)]
        chain += [(c, "pass", outcome) for c in range(len(levels), depth)]
        chain.append((depth, "outcome", outcome))
        for node in chain:
            values[node] = values.get(node, 0) + count
        for a, b in zip(chain, chain[1:]):
            if a[1] == "level" and b[1] == "level":
                direction = _direction(a[2], b[2])
                colour, kind = charts.DIRECTION_COLOURS[direction], DIRECTION_LABELS[direction]
            else:
                colour = charts.REASON_COLOURS.get(outcome, charts.MUTED)
                kind = f"then the stay ended: {outcome_label(outcome).lower()}"
            link = links.setdefault((a, b), {"value": 0, "colour": colour, "kind": kind})
            link["value"] += count

    def order(node):
        column, kind, name = node
        if kind == "level":
            return (column, 0, -_level_num(name), name)
        return (column, 1, _outcome_rank(name), name)

    nodes = sorted(values, key=order)
    keys = {node: i for i, node in enumerate(nodes)}
    # Node heights as Plotly draws them: one scale for every column, set by the column with the
    # most nodes; small nodes get at least a label's height so their labels never overlap.
    height_px = 560 - (110 if title else 56) - 16
    pad_px, label_px = 10, 15
    most = max(sum(1 for n in nodes if n[0] == c) for c in range(depth + 1))
    scale = (1 - (most - 1) * pad_px / height_px) / total
    xs, ys, labels, colours, hovers = [], [], [], [], []
    for column in range(depth + 1):
        in_column = [n for n in nodes if n[0] == column]
        centres, y = [], 0.0
        for node in in_column:
            height = values[node] * scale
            centres.append(y + height / 2)
            y += max(height, label_px / height_px) + pad_px / height_px
        squeeze = min(1.0, 1.0 / max(y - pad_px / height_px, 1e-9))
        ys.extend(min(0.999, max(0.001, c * squeeze)) for c in centres)
    for node in nodes:
        column, kind, name = node
        xs.append(0.001 + 0.998 * column / max(1, depth))
        if kind == "level":
            labels.append(f"{level_label(name, short=True)} · {values[node]:,}")
            colours.append(LEVEL_NODE)
            hovers.append(f"{STEP_TITLES[column] if column < len(STEP_TITLES) else 'Later'} level: "
                          f"{level_label(name)}")
        elif kind == "pass":
            labels.append("")
            colours.append(PASS_NODE)
            hovers.append(f"Stays already ended ({outcome_label(name).lower()})")
        else:
            labels.append(f"{outcome_label(name)} · {values[node]:,}")
            colours.append(charts.REASON_COLOURS.get(name, charts.MUTED))
            hovers.append(f"Ended: {outcome_label(name).lower()}" if name != "still in care" else "Still in care")
    fig.add_trace(go.Sankey(
        arrangement="fixed",
        node=dict(label=labels, color=colours, x=xs, y=ys, pad=10, thickness=14, line=dict(width=0),
                  customdata=hovers, hovertemplate="<b>%{customdata}</b><br>%{value:,} stays<extra></extra>"),
        link=dict(
            source=[keys[a] for a, _ in links], target=[keys[b] for _, b in links],
            value=[v["value"] for v in links.values()],
            color=[_rgba(v["colour"], 0.38) for v in links.values()],
            customdata=[v["kind"] for v in links.values()],
            hovertemplate="%{value:,} stays: %{customdata}<extra></extra>",
        ),
        textfont=dict(size=12, color="#1F2328"),
    ))
    for column in range(depth + 1):
        text = "How the stay ended" if column == depth else STEP_TITLES[column]
        fig.add_annotation(x=column / max(1, depth), xref="paper", y=1.0, yref="paper", yanchor="bottom",
                           yshift=10, text=f"<b>{text}</b>", showarrow=False,
                           xanchor="left" if column == 0 else ("right" if column == depth else "center"),
                           font=dict(size=12, color="#57606A"))
    fig.update_layout(height=560, margin=dict(l=16, r=16, t=110 if title else 56, b=16), meta=dict(stays=total))
    return fig


# ---------------------------------------------------------------------------------------------
# Transition matrix
# ---------------------------------------------------------------------------------------------

# Light to mid tones, so the dark cell text stays readable on the darkest cell.
_SCALES = {
    "step_down": [[0, "#EEF7F0"], [1, "#7CC290"]],
    "step_up": [[0, "#FDF0E6"], [1, "#F0A46A"]],
    "same": [[0, "#F4F4F4"], [1, "#BDBDBD"]],
}


def transition_matrix(table: pd.DataFrame, title: str | None = None) -> go.Figure:
    """From level (rows, highest on top) x to level (columns, highest first). Each cell says
    the moves and their share of the row; step-downs (below the diagonal) in greens, step-ups
    in oranges, the same level in greys, darker for a larger row share."""
    fig = base_figure(title)
    if table.empty:
        return fig
    levels = sorted(set(table["from_level"]) | set(table["to_level"]), key=lambda l: (-_level_num(l), l))
    rows = [l for l in levels if l in set(table["from_level"])]
    totals = table.groupby("from_level")["moves"].sum()
    y_labels = [f"{level_label(l, short=True)} (n={int(totals[l]):,})" for l in rows]
    x_labels = [level_label(l, short=True).replace(" ", "<br>", 1) for l in levels]
    cell = {(r.from_level, r.to_level): r for r in table.itertuples()}
    for direction, scale in _SCALES.items():
        z, text, custom = [], [], []
        for r in rows:
            z_row, t_row, c_row = [], [], []
            for c in levels:
                hit = cell.get((r, c))
                if hit is not None and hit.direction == direction:
                    z_row.append(float(hit.row_share))
                    t_row.append(f"{int(hit.moves):,}<br>{hit.row_share:.0%}")
                    c_row.append([int(hit.moves), int(hit.from_total), DIRECTION_LABELS[direction]])
                else:
                    z_row.append(None)
                    t_row.append("")
                    c_row.append([0, 0, ""])
            z.append(z_row)
            text.append(t_row)
            custom.append(c_row)
        if all(v is None for row in z for v in row):
            continue
        fig.add_trace(go.Heatmap(
            z=z, x=x_labels, y=y_labels, text=text, texttemplate="%{text}", textfont=dict(size=12, color="#1F2328"),
            customdata=custom, colorscale=scale, zmin=0, zmax=1, showscale=False, xgap=2, ygap=2,
            hoverongaps=False, name=DIRECTION_LABELS[direction],
            hovertemplate=("From <b>%{y}</b> to <b>%{x}</b><br>%{customdata[0]:,} of %{customdata[1]:,} moves "
                           "out of that level (%{z:.1%})<br>%{customdata[2]}<extra></extra>"),
        ))
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", name=DIRECTION_LABELS[direction],
                                 marker=dict(symbol="square", size=12, color=scale[-1][1]),
                                 hoverinfo="skip"))
    fig.update_layout(
        xaxis=dict(title=dict(text="Next level (to)"), side="bottom", showgrid=False, type="category",
                   categoryorder="array", categoryarray=x_labels),
        yaxis=dict(title=dict(text="Level moved out of (from)"), showgrid=False, type="category",
                   categoryorder="array", categoryarray=list(reversed(y_labels))),
        height=max(300, 62 * len(rows) + 150), showlegend=True,
    )
    return fig


# ---------------------------------------------------------------------------------------------
# Step-down follow-through, gaps, step-ups
# ---------------------------------------------------------------------------------------------


def step_down_by_month(table: pd.DataFrame, title: str | None = None) -> go.Figure:
    """The 7- and 30-day step-down rates by discharge month (lines); a month without enough
    follow-up yet has no point."""
    fig = base_figure(title)
    if table.empty:
        return fig
    frame = table.copy()
    frame["month"] = pd.to_datetime(frame["month"])
    styles = {7: dict(color=charts.DIRECTION_COLOURS["step_down"], dash="solid"),
              30: dict(color=charts.PALETTE[0], dash="dash")}
    for days, part in frame.groupby("days", sort=True):
        part = part.sort_values("month")
        fig.add_trace(go.Scatter(
            x=part["month"], y=part["rate"], mode="lines+markers", name=f"Within {int(days)} days",
            line=dict(width=2.5, **styles.get(int(days), {})), marker=dict(size=7),
            connectgaps=False,
            customdata=part[["stepped_down", "eligible", "discharges"]].to_numpy(),
            hovertemplate=(f"<b>%{{x|%b %Y}}</b>, within {int(days)} days<br>%{{y:.1%}} "
                           "(%{customdata[0]:,} of %{customdata[1]:,} with follow-up known; "
                           "%{customdata[2]:,} discharges)<extra></extra>"),
        ))
    fig.update_layout(
        xaxis=dict(title=dict(text="Month of the residential discharge"), tickformat="%b\n%Y", dtick="M1"),
        yaxis=dict(title=dict(text="Started a lower level"), tickformat=".0%", range=[0, 1.05]),
        hovermode="x unified",
    )
    return fig


GAP_COLOURS = {
    "same day": "#1A7F37", "1 day": "#1A7F37", "2-3 days": "#4C9A5F", "4-7 days": "#7FB58C",
    "8-14 days": "#E69F00", "15-30 days": "#E69F00", "over 30 days": "#D55E00", "none yet": "#8C8C8C",
}


def step_down_gaps(table: pd.DataFrame, title: str | None = None) -> go.Figure:
    """How many days residential discharges waited for their next, lower level (bands), with
    'none yet' split into those with 30+ days of follow-up and those still under 30."""
    fig = base_figure(title)
    if table.empty or int(table["discharges"].sum()) == 0:
        return fig
    frame = table.sort_values("band_order")
    total = int(frame["discharges"].sum())
    settled = frame["discharges"] - frame["follow_up_under_30"]
    fig.add_trace(go.Bar(
        x=frame["band"], y=settled, name="Follow-up of 30 days or more",
        marker=dict(color=[GAP_COLOURS.get(b, charts.MUTED) for b in frame["band"]]),
        customdata=frame[["discharges", "share"]].to_numpy(),
        hovertemplate="<b>%{x}</b>: %{customdata[0]:,} discharges (%{customdata[1]:.1%})<extra></extra>",
        showlegend=False,
    ))
    if int(frame["follow_up_under_30"].sum()):
        fig.add_trace(go.Bar(
            x=frame["band"], y=frame["follow_up_under_30"], name="Under 30 days of follow-up so far",
            marker=dict(color="white", line=dict(color=charts.MUTED, width=1.5), pattern=dict(shape="/", fgcolor=charts.MUTED)),
            hovertemplate="<b>%{x}</b>: %{y:,} discharged under 30 days before the as-of date<extra></extra>",
        ))
    fig.add_trace(go.Scatter(
        x=frame["band"], y=frame["discharges"], mode="text",
        text=[f"{int(n):,} ({s:.0%})" if n else "0" for n, s in zip(frame["discharges"], frame["share"].fillna(0))],
        textposition="top center", hoverinfo="skip", showlegend=False, cliponaxis=False,
    ))
    fig.update_layout(
        barmode="stack",
        xaxis=dict(title=dict(text="Days from discharge to the first lower-level admission"), type="category"),
        yaxis=dict(title=dict(text=f"Discharges (of {total:,})"), range=[0, float(frame["discharges"].max()) * 1.2]),
    )
    return fig


def step_up_precursors(table: pd.DataFrame, title: str | None = None) -> go.Figure:
    """Step-ups by discharge month, stacked: with a relapse event in the 14 days before the
    step-up admission, or without; the monthly step-up rate is written above each bar."""
    fig = base_figure(title)
    if table.empty:
        return fig
    frame = table.copy()
    frame["month"] = pd.to_datetime(frame["month"])
    fig.add_trace(go.Bar(
        x=frame["month"], y=frame["after_relapse"], name="Relapse event in the 14 days before",
        marker=dict(color=charts.DIRECTION_COLOURS["step_up"]),
        hovertemplate="<b>%{x|%b %Y}</b>: %{y:,} step-ups after a relapse event<extra></extra>",
    ))
    fig.add_trace(go.Bar(
        x=frame["month"], y=frame["without_relapse"], name="No relapse event recorded",
        marker=dict(color="#F3C9A8"),
        hovertemplate="<b>%{x|%b %Y}</b>: %{y:,} step-ups without a recorded relapse<extra></extra>",
    ))
    fig.add_trace(go.Scatter(
        x=frame["month"], y=frame["stepped_up"], mode="text", showlegend=False, hoverinfo="skip",
        text=[f"{r:.0%}<br>{u} of {e}" for r, u, e in zip(frame["rate"], frame["stepped_up"], frame["eligible"])],
        textposition="top center", textfont=dict(size=11, color="#57606A"), cliponaxis=False,
    ))
    top = float(frame["stepped_up"].max()) if len(frame) else 1
    fig.update_layout(
        barmode="stack",
        xaxis=dict(title=dict(text="Month of the focus discharge"), tickformat="%b\n%Y", dtick="M1"),
        yaxis=dict(title=dict(text="Step-ups within 14 days"), range=[0, max(1.0, top) * 1.45], rangemode="tozero"),
    )
    return fig


# ---------------------------------------------------------------------------------------------
# Time in level, waits, returns
# ---------------------------------------------------------------------------------------------


def time_in_level(table: pd.DataFrame, title: str | None = None) -> go.Figure:
    """Per level (highest on top): the middle 80% of lengths (thin line, 10th to 90th
    percentile), the middle half (thick bar, 25th to 75th) and the median (labelled)."""
    fig = base_figure(title)
    if table.empty:
        return fig
    frame = table.copy()
    frame["label"] = [f"{level_label(l, short=True)} (n={int(n):,})" for l, n in zip(frame["level_of_care"], frame["discharges"])]
    for row in frame.itertuples():
        fig.add_trace(go.Scatter(x=[row.p10, row.p90], y=[row.label, row.label], mode="lines",
                                 line=dict(color="#9DB8D2", width=2), hoverinfo="skip", showlegend=False))
    fig.add_trace(go.Bar(
        y=frame["label"], x=frame["p75"] - frame["p25"], base=frame["p25"], orientation="h",
        marker=dict(color="#6A9BC3"), width=0.45, name="Middle half (25th - 75th percentile)",
        customdata=frame[["p10", "p25", "median", "p75", "p90", "discharges"]].to_numpy(),
        hovertemplate=("<b>%{y}</b><br>median %{customdata[2]:g} days<br>middle half %{customdata[1]:g} - "
                       "%{customdata[3]:g} days<br>10th - 90th percentile %{customdata[0]:g} - %{customdata[4]:g} days"
                       "<extra></extra>"),
    ))
    fig.add_trace(go.Scatter(
        y=frame["label"], x=frame["median"], mode="markers+text", name="Median",
        marker=dict(symbol="line-ns", size=22, line=dict(width=3, color=charts.NEUTRAL), color=charts.NEUTRAL),
        text=[f"{m:g} d" for m in frame["median"]], textposition="top center", textfont=dict(size=11),
        hoverinfo="skip",
    ))
    fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines", line=dict(color="#9DB8D2", width=2),
                             name="10th - 90th percentile"))
    fig.update_layout(
        xaxis=dict(title=dict(text="Days from admission to discharge"), rangemode="tozero"),
        yaxis=dict(type="category", categoryorder="array", categoryarray=list(reversed(frame["label"].tolist()))),
        height=max(280, 56 * len(frame) + 130),
    )
    return fig


def level_waits(table: pd.DataFrame, title: str | None = None) -> go.Figure:
    """Median wait between levels per move (a dot coloured by direction) with its middle half
    (whiskers, 25th to 75th percentile); labels give the number of moves."""
    fig = base_figure(title)
    if table.empty:
        return fig
    frame = table.copy()
    frame["label"] = [f"{level_label(a, short=True)} → {level_label(b, short=True)} (n={int(n):,})"
                      for a, b, n in zip(frame["from_level"], frame["to_level"], frame["moves"])]
    for direction, part in frame.groupby("direction", sort=False):
        fig.add_trace(go.Scatter(
            y=part["label"], x=part["median_wait"], mode="markers", name=DIRECTION_LABELS.get(direction, direction),
            marker=dict(size=11, color=charts.DIRECTION_COLOURS.get(direction, charts.MUTED)),
            error_x=dict(type="data", symmetric=False, array=part["p75_wait"] - part["median_wait"],
                         arrayminus=part["median_wait"] - part["p25_wait"], color="#8C8C8C", thickness=1.5, width=4),
            customdata=part[["moves", "same_day", "overlapping", "p25_wait", "p75_wait", "max_wait"]].to_numpy(),
            hovertemplate=("<b>%{y}</b><br>median wait %{x:g} days (middle half %{customdata[3]:g} - "
                           "%{customdata[4]:g}; longest %{customdata[5]})<br>%{customdata[1]:,} same day, "
                           "%{customdata[2]:,} overlapping<extra></extra>"),
        ))
    top = float(frame["p75_wait"].max()) if len(frame) else 1
    fig.update_layout(
        xaxis=dict(title=dict(text="Days from discharge to the next level's admission"),
                   range=[-0.5, max(3.0, top + 1.5)], dtick=1 if top <= 10 else 2),
        yaxis=dict(type="category", categoryorder="array", categoryarray=list(reversed(frame["label"].tolist()))),
        height=max(260, 40 * len(frame) + 130),
    )
    return fig


def returns_to_care(table: pd.DataFrame, title: str | None = None) -> go.Figure:
    """Share of ended stays followed by a new stay within 90 and 180 days, by how the stay
    ended ('all stays' first), grouped bars labelled 'rate (returned of eligible)'."""
    fig = base_figure(title)
    frame = table[table["eligible"] > 0].copy()
    if frame.empty:
        return fig
    order = ["all stays"] + [r for r in OUTCOME_ORDER if r in set(frame["end_reason"])] + sorted(
        set(frame["end_reason"]) - set(OUTCOME_ORDER) - {"all stays"})
    frame["label"] = [("All stays" if r == "all stays" else reason_label(r)) for r in frame["end_reason"]]
    labels = [("All stays" if r == "all stays" else reason_label(r)) for r in order if r in set(frame["end_reason"])]
    colours = {90: charts.PALETTE[0], 180: "#6A9BC3"}
    frame["order"] = [order.index(r) for r in frame["end_reason"]]
    for days, part in frame.sort_values("order").groupby("days", sort=True):
        fig.add_trace(go.Bar(
            x=part["label"], y=part["rate"], name=f"Within {int(days)} days",
            marker=dict(color=colours.get(int(days), charts.MUTED)),
            text=[f"{r:.0%}<br>{int(n)}/{int(e)}" for r, n, e in zip(part["rate"], part["returned"], part["eligible"])],
            textposition="outside", cliponaxis=False, textfont=dict(size=11),
            customdata=part[["returned", "eligible", "ended"]].to_numpy(),
            hovertemplate=(f"<b>%{{x}}</b>, within {int(days)} days<br>%{{y:.1%}} returned "
                           "(%{customdata[0]:,} of %{customdata[1]:,} with follow-up known; "
                           "%{customdata[2]:,} stays ended)<extra></extra>"),
        ))
    top = float(frame["rate"].max())
    fig.update_layout(
        barmode="group", bargap=0.3,
        xaxis=dict(title=dict(text="How the stay ended"), type="category", categoryorder="array", categoryarray=labels),
        yaxis=dict(title=dict(text="Started a new stay"), tickformat=".0%", range=[0, min(1.05, max(0.1, top * 1.4))]),
    )
    return fig
