"""The project's Plotly look, and the figure builders the pages and the board report share.

Every figure gets :data:`TEMPLATE` explicitly (never Plotly's or Streamlit's default, which
exports as near-black), so a chart looks the same in the browser, in a PNG and in the PDF.
No Streamlit import here: the report command renders these figures without a server.
"""

from __future__ import annotations

import plotly.graph_objects as go
import plotly.io as pio

# Colour-blind-safe categorical palette (Okabe-Ito order, navy first).
PALETTE = ["#1F4E79", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#8C8C8C", "#F0E442"]
GOOD, BAD, NEUTRAL, MUTED = "#1A7F37", "#B42318", "#1F4E79", "#8C8C8C"
BAND = "rgba(31, 78, 121, 0.15)"
FONT = "Inter, 'Segoe UI', 'Helvetica Neue', Helvetica, Arial, sans-serif"

# How the product colours the things it shows again and again.
REASON_COLOURS = {
    "completed": "#1A7F37",
    "transferred": "#56B4E9",
    "dropped_out": "#D55E00",
    "terminated": "#CC79A7",
    "incarcerated": "#8C6D31",
    "deceased": "#4D4D4D",
    "other": "#B0B0B0",
    "still in care": "#1F4E79",
}
DIRECTION_COLOURS = {"step_down": "#1A7F37", "step_up": "#D55E00", "same": "#8C8C8C"}
STATUS_COLOURS = {"attended": "#1A7F37", "no_show": "#D55E00", "cancelled": "#E69F00", "excused": "#8C8C8C"}

TEMPLATE = go.layout.Template(
    layout=go.Layout(
        font=dict(family=FONT, size=13, color="#1F2328"),
        title=dict(font=dict(size=16, color="#1F2328"), x=0, xanchor="left"),
        paper_bgcolor="white",
        plot_bgcolor="white",
        colorway=PALETTE,
        margin=dict(l=56, r=24, t=48, b=48),
        hoverlabel=dict(bgcolor="white", font=dict(family=FONT, size=12)),
        legend=dict(orientation="h", yanchor="bottom", y=1.02, xanchor="left", x=0,
                    title=dict(text="")),
        xaxis=dict(showgrid=False, linecolor="#D0D7DE", ticks="outside", tickcolor="#D0D7DE",
                   zeroline=False, title=dict(standoff=8)),
        yaxis=dict(gridcolor="#EAEEF2", linecolor="#D0D7DE", zeroline=False,
                   title=dict(standoff=8)),
        colorscale=dict(sequential=[[0, "#F2F6FA"], [0.5, "#6A9BC3"], [1, "#1F4E79"]]),
    )
)
pio.templates["outcomes"] = TEMPLATE


def figure(**layout) -> go.Figure:
    """An empty figure in the project's template."""
    fig = go.Figure()
    fig.update_layout(template=TEMPLATE, **layout)
    return fig


def styled(fig: go.Figure, **layout) -> go.Figure:
    """Put a figure (e.g. from plotly.express) in the project's template."""
    fig.update_layout(template=TEMPLATE, **layout)
    return fig


def percent_axis(fig: go.Figure, axis: str = "yaxis", upper: float = 1.0) -> go.Figure:
    fig.update_layout({axis: dict(tickformat=".0%", range=[0, upper])})
    return fig
