"""The board summary: its numbers (suppressed), its HTML, and the board pack export.

One model, three renderings:

- :func:`scorecard` turns the ``kpis`` of this period and the previous one into the board's
  metric groups (Access, Retention, Transitions, Recovery, Families), with every number through
  :mod:`outcomes.privacy`, the change in words and a tone (green only where the change is good
  for clients), and the national benchmark where SPEC names one.
- :func:`board_charts` makes the three charts (``outcomes.figures.board``).
- :func:`scorecard_html` draws the groups as HTML; the board page shows it with ``st.html``
  and :func:`document_html` puts it, the charts (as PNG) and the footnotes on a landscape
  Letter sheet for the PDF.

``python -m outcomes report`` (:func:`main`) and the page's download button both go through
:func:`render`: kaleido (one sync server for every image) draws the charts with Debian's
Chromium, and Chromium's own print-to-PDF (Playwright, ``outcomes.browser.launch``) prints
the sheet. Why Chromium for the page rather than a PDF library: it is already here (kaleido
and the browser tests need it), the sheet is the same HTML and CSS as the board page, and no
PDF library is installed (pypdf only reads). No Streamlit import here.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import sys
import textwrap
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go

from . import browser, charts, definitions, privacy
from .contract import LEVEL_NAMES
from .figures import board as board_figures
from .filters import Filters

D = definitions
TEDS_SHORT = D.TEDS.split(",")[0]  # "TEDS-D 2004": source and year

# ---------------------------------------------------------------------------------------------
# The scorecard: which metrics, in which groups, counted in what
# ---------------------------------------------------------------------------------------------

GROUPS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("Access", "Who comes in and engages?",
     ("admissions", "active_census_end", "continuation_rate")),
    ("Retention", "Do clients stay in treatment?",
     ("retention_30d", "retention_90d", "completion_rate", "median_los_days")),
    ("Transitions", "Right level, on time?",
     ("step_down_7d_rate", "step_up_rate")),
    ("Recovery", "Do they stay well and feel better?",
     ("relapse_rate_per_1000_days", "phq9_reliable_improvement_rate", "gad7_reliable_improvement_rate")),
    ("Families", "Do families take part?",
     ("workshop_reach_rate", "family_reach_rate")),
)

# What each rate's denominator counts, for the line under it ("780 of 830 admissions").
UNITS = {
    "continuation_rate": "admissions",
    "retention_30d": "admissions",
    "retention_90d": "admissions",
    "completion_rate": "discharges",
    "median_los_days": "discharges",
    "step_down_7d_rate": "residential discharges",
    "step_up_rate": "discharges",
    "relapse_rate_per_1000_days": "client-days",
    "phq9_reliable_improvement_rate": "discharges measured",
    "gad7_reliable_improvement_rate": "discharges measured",
    "workshop_reach_rate": "episodes",
    "family_reach_rate": "episodes",
}

GOOD, BAD, NEUTRAL = "good", "bad", "neutral"  # the class (and colour) of a change
SHOWN, SMALL, WITHHELD, NONE = "shown", "small", "withheld", "none"


@dataclass(frozen=True)
class BoardMetric:
    key: str
    label: str
    value: str  # as shown: "876", "<11", "39.2%", "49 days", "Withheld", "n/a"
    state: str  # SHOWN, SMALL (a count of 1..10), WITHHELD (a rate or median), NONE (nothing to count)
    change: str | None  # "Up 3.2 pts from 36.0%", "Previous period: <11", ...
    tone: str  # GOOD, BAD or NEUTRAL (the colour of the change)
    verdict: str | None  # "better" / "worse" / None
    base: str | None  # "348 of 888 discharges"
    benchmark: str | None  # "National 37.7% (TEDS-D 2004) · 1.5 pts above"
    definition: str


@dataclass(frozen=True)
class BoardGroup:
    title: str
    question: str
    metrics: tuple[BoardMetric, ...]


@dataclass(frozen=True)
class Shown:
    """A metric's value for one period as the board may show it."""

    number: float | None  # None unless state is SHOWN
    text: str
    state: str
    numerator: int | None = None
    denominator: int | None = None


_nan = definitions.is_missing
_format = definitions.format_value


def shown_value(values: dict, key: str) -> Shown:
    """One metric of a ``kpis`` result, suppressed: a count of 1..10 reads "<11"; a rate (or
    rate per 1,000 days) whose numerator, denominator or difference is 1..10 is withheld; the
    median stay is withheld when it rests on 1..10 discharges."""
    kind = D.metric(key).kind
    value = values.get(key)
    if kind == "count":
        count = 0 if _nan(value) else int(value)
        if privacy.is_small(count):
            return Shown(None, privacy.small_text(), SMALL)
        return Shown(count, f"{count:,}", SHOWN)
    if key == "median_los_days":
        discharges = int(values.get("discharges") or 0)
        if discharges == 0 or _nan(value):
            return Shown(None, "n/a", NONE, None, discharges)
        if privacy.is_small(discharges):
            return Shown(None, "Withheld", WITHHELD, None, discharges)
        return Shown(float(value), _format(kind, float(value)), SHOWN, None, discharges)
    detail = values.get("detail", {}).get(key, {"numerator": 0, "denominator": 0})
    numerator, denominator = int(detail["numerator"]), int(detail["denominator"])
    if denominator == 0 or _nan(value):
        return Shown(None, "n/a", NONE, numerator, denominator)
    if privacy.rate_withheld(numerator, denominator):
        return Shown(None, "Withheld", WITHHELD, numerator, denominator)
    return Shown(float(value), _format(kind, float(value)), SHOWN, numerator, denominator)


def _change(key: str, now: Shown, before: Shown) -> tuple[str | None, str, str | None]:
    """(the change in words, its tone, "better"/"worse"/None) against the previous period."""
    m = D.metric(key)
    if before.state == NONE:
        return "No previous figure to compare", NEUTRAL, None
    if before.state == SMALL:
        return f"Previous period: {before.text}", NEUTRAL, None
    if before.state == WITHHELD:
        return "Previous period withheld", NEUTRAL, None
    if now.state != SHOWN:
        return f"Previous period: {before.text}", NEUTRAL, None
    difference = now.number - before.number
    if m.kind == "rate":
        amount, step = round(abs(difference) * 100, 1), f"{abs(difference) * 100:.1f} pts"
    elif m.kind in ("per1000", "days"):
        amount = round(abs(difference), 1)
        step = f"{amount:g} days" if m.kind == "days" else f"{amount:.1f}"
    else:
        amount, step = abs(int(difference)), f"{abs(int(difference)):,}"
    if amount == 0:
        return f"Same as the previous period ({before.text})", NEUTRAL, None
    up = difference > 0
    words = f"{'Up' if up else 'Down'} {step} from {before.text}"
    if m.higher_is_better is None:
        return words, NEUTRAL, None
    good = up == m.higher_is_better
    return words, GOOD if good else BAD, "better" if good else "worse"


def _base(key: str, now: Shown, filters: Filters, as_of: dt.date) -> str | None:
    if key == "admissions":
        return "focus episodes admitted"
    if key == "active_census_end":
        return f"open at the close of {min(filters.end, as_of):%d %b %Y}"
    unit = UNITS[key]
    denominator = now.denominator or 0
    if key == "median_los_days":
        return f"over {privacy.count_text(denominator)} discharges" if denominator else "no discharges"
    if key == "relapse_rate_per_1000_days":
        if now.state == SHOWN:
            return f"{now.numerator:,} relapse days in {denominator:,} client-days"
        if now.state == WITHHELD:
            return f"in {privacy.count_text(denominator)} client-days"
        return "no client-days"
    if now.state == SHOWN:
        return f"{now.numerator:,} of {denominator:,} {unit}"
    if now.state == WITHHELD:
        return f"based on {privacy.count_text(denominator)} {unit}"
    return f"no {unit} to count"


def _benchmark(key: str, now: Shown) -> str | None:
    if key == "completion_rate":
        bench = D.BENCHMARKS["completion_rate"]
        text = f"National {bench.value:.1%} ({TEDS_SHORT})"
        if now.state == SHOWN:
            gap = round((now.number - bench.value) * 100, 1)
            text += " · same" if gap == 0 else f" · {abs(gap):.1f} pts {'above' if gap > 0 else 'below'}"
        return text
    if key == "median_los_days":
        bench = D.BENCHMARKS["median_los_days"]
        text = f"National median {bench.value:g} days ({TEDS_SHORT})"
        if now.state == SHOWN:
            gap = round(now.number - bench.value, 1)
            text += " · same" if gap == 0 else f" · {abs(gap):g} days {'longer' if gap > 0 else 'shorter'}"
        return text
    return None


def scorecard(values: dict, previous: dict, filters: Filters) -> tuple[BoardGroup, ...]:
    """The board's metric groups from ``kpis`` of this period and of the previous one."""
    as_of = dt.date.fromisoformat(values["as_of"])
    groups = []
    for title, question, keys in GROUPS:
        metrics = []
        for key in keys:
            now, before = shown_value(values, key), shown_value(previous, key)
            change, tone, verdict = _change(key, now, before)
            m = D.metric(key)
            metrics.append(BoardMetric(
                key=key, label=m.label, value=now.text, state=now.state, change=change, tone=tone,
                verdict=verdict, base=_base(key, now, filters, as_of), benchmark=_benchmark(key, now),
                definition=m.definition,
            ))
        groups.append(BoardGroup(title, question, tuple(metrics)))
    return tuple(groups)


# ---------------------------------------------------------------------------------------------
# The board: filters, as-of date, scorecard, charts
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Board:
    filters: Filters
    as_of: dt.date
    groups: tuple[BoardGroup, ...]
    charts: tuple[board_figures.BoardChart, ...]
    prepared: dt.datetime = field(default_factory=lambda: dt.datetime.now().replace(microsecond=0))


def period_words(filters: Filters) -> str:
    return f"{filters.start:%d %b %Y} – {filters.end:%d %b %Y}"


def board_charts(filters: Filters, values: dict, curve: pd.DataFrame, reasons: pd.DataFrame,
                 months: pd.DataFrame, clients: pd.DataFrame) -> tuple[board_figures.BoardChart, ...]:
    """The three charts from the rows of ``retention_curve``, ``discharge_reasons_by_month``,
    ``relapse_rate_by_month`` and ``board_clients_by_month``; ``values`` (this period's kpis)
    gives the whole period's relapse rate, drawn unless it is withheld."""
    period = period_words(filters)
    relapse = shown_value(values, "relapse_rate_per_1000_days")
    return (
        board_figures.retention_curve(curve, period),
        board_figures.discharge_reasons(reasons, period),
        board_figures.relapse_by_month(months, clients, relapse.number, relapse.state == WITHHELD, period),
    )


def collect(con, filters: Filters) -> Board:
    """Everything the board shows, from a database connection (the ``report`` command; the
    page runs the same queries through the cache)."""
    from .kpis import kpis
    from .runner import run

    values = kpis(con, filters)
    previous = kpis(con, filters.previous_period())
    params = filters.params()
    made = board_charts(
        filters, values,
        curve=run(con, "retention_curve", params),
        reasons=run(con, "discharge_reasons_by_month", params),
        months=run(con, "relapse_rate_by_month", params),
        clients=run(con, "board_clients_by_month", params),
    )
    return Board(filters, dt.date.fromisoformat(values["as_of"]), scorecard(values, previous, filters), made)


# ---------------------------------------------------------------------------------------------
# HTML: the header, the scorecard, the footnotes (shared by the page and the sheet)
# ---------------------------------------------------------------------------------------------


def focus_words(filters: Filters) -> str:
    return " + ".join(f"{LEVEL_NAMES.get(level, level)} (ASAM {level})" for level in filters.focus)


def scope_words(filters: Filters) -> str:
    """Program, site and focus levels: "Adult IOP · all sites · IOP (ASAM 2.1)"."""
    return " · ".join([filters.program or "All programs", filters.site or "all sites", focus_words(filters)])


def period_line(filters: Filters, as_of: dt.date) -> str:
    """The period, what it is compared with and the as-of date, in words."""
    prev = filters.previous_period()
    text = f"{period_words(filters)}"
    if filters.end > as_of >= filters.start:
        text += f" (counted to {as_of:%d %b %Y})"
    return text + f", compared with {period_words(prev)}"


def footnotes(filters: Filters) -> list[str]:
    return [
        privacy.footnote(),
        "Changes are against the previous period of equal length: green where the change is good "
        "for clients, red where it is not, grey where neither direction is better. National "
        f"benchmarks: {D.TEDS}. Focus episodes at {focus_words(filters)}. Definitions: hover a "
        "metric, or page 2 of the board pack.",
    ]


def _e(text) -> str:
    return html.escape(str(text), quote=True)


SCORECARD_CSS = """
.bd-card{display:grid;grid-template-columns:repeat(7,minmax(0,1fr));gap:10px 14px;color:#1F2328;}
.bd-group{display:flex;flex-direction:column;min-width:0;}
.bd-group-head{border-top:3px solid #1F4E79;padding:4px 0 6px 0;display:flex;gap:8px;
  align-items:baseline;flex-wrap:wrap;}
.bd-group-title{font-weight:700;font-size:15px;letter-spacing:.02em;text-transform:uppercase;
  color:#1F4E79;}
.bd-group-question{font-size:12.5px;color:#57606A;}
.bd-tiles{display:grid;gap:10px;flex:1;}
.bd-tile{border:1px solid #D0D7DE;border-radius:8px;padding:8px 10px 8px 10px;background:#fff;
  min-width:0;display:flex;flex-direction:column;}
.bd-label{font-size:13px;color:#3D444D;line-height:1.25;}
.bd-value{font-size:28px;font-weight:650;line-height:1.15;margin:2px 0 2px 0;
  font-variant-numeric:tabular-nums;white-space:nowrap;}
.bd-value.bd-withheld,.bd-value.bd-none{font-size:19px;font-weight:600;color:#6E7781;
  padding:5px 0 4px 0;}
.bd-change{font-size:12.5px;line-height:1.3;font-weight:600;}
.bd-change .bd-verdict{text-transform:uppercase;font-size:11px;letter-spacing:.04em;}
.bd-good{color:%(good)s;} .bd-bad{color:%(bad)s;} .bd-neutral{color:#57606A;font-weight:500;}
.bd-base{font-size:12px;color:#57606A;line-height:1.3;margin-top:2px;}
.bd-bench{font-size:12px;color:#1F2328;line-height:1.3;margin-top:auto;padding-top:3px;
  border-top:1px dashed #D0D7DE;}
.bd-base + .bd-bench{margin-top:auto;}
.bd-tile > .bd-base{margin-bottom:3px;}
@media (max-width: 900px){.bd-card{grid-template-columns:repeat(2,minmax(0,1fr));}
  .bd-group{grid-column:span 2 !important;}}
""" % {"good": charts.GOOD, "bad": charts.BAD}

SPANS = {"Access": 3, "Retention": 4, "Transitions": 2, "Recovery": 3, "Families": 2}
ARROWS = {True: "▲", False: "▼"}


def _tile(m: BoardMetric) -> str:
    value_class = {SHOWN: "", SMALL: "", WITHHELD: " bd-withheld", NONE: " bd-none"}[m.state]
    parts = [f'<div class="bd-tile" title="{_e(m.definition)}" data-key="{_e(m.key)}">',
             f'<div class="bd-label">{_e(m.label)}</div>',
             f'<div class="bd-value{value_class}">{_e(m.value)}</div>']
    if m.change:
        arrow = ""
        if m.change.startswith("Up"):
            arrow = ARROWS[True] + " "
        elif m.change.startswith("Down"):
            arrow = ARROWS[False] + " "
        verdict = f' · <span class="bd-verdict">{_e(m.verdict)}</span>' if m.verdict else ""
        parts.append(f'<div class="bd-change bd-{m.tone}">{arrow}{_e(m.change)}{verdict}</div>')
    if m.base:
        parts.append(f'<div class="bd-base">{_e(m.base)}</div>')
    if m.benchmark:
        parts.append(f'<div class="bd-bench">{_e(m.benchmark)}</div>')
    parts.append("</div>")
    return "".join(parts)


def scorecard_html(groups: tuple[BoardGroup, ...], with_style: bool = True) -> str:
    """The metric groups as one HTML block (a grid of seven columns: Access and Retention on
    the first row, Transitions, Recovery and Families on the second)."""
    out = [f"<style>{SCORECARD_CSS}</style>"] if with_style else []
    out.append('<div class="bd-card">')
    for group in groups:
        span = SPANS.get(group.title, len(group.metrics))
        out.append(f'<section class="bd-group" style="grid-column:span {span}">'
                   f'<div class="bd-group-head"><span class="bd-group-title">{_e(group.title)}</span>'
                   f'<span class="bd-group-question">{_e(group.question)}</span></div>'
                   f'<div class="bd-tiles" style="grid-template-columns:repeat({len(group.metrics)},minmax(0,1fr))">')
        out.extend(_tile(m) for m in group.metrics)
        out.append("</div></section>")
    out.append("</div>")
    return "".join(out)


# ---------------------------------------------------------------------------------------------
# The sheet: a landscape Letter page (and a second one with the definitions)
# ---------------------------------------------------------------------------------------------

SHEET_WIDTH_PX = 1056  # 11 in at 96 px per inch (US Letter, landscape)
SHEET_HEIGHT_PX = 816  # 8.5 in
MARGIN_IN = 0.3
PRINTABLE_PX = (round((11 - 2 * MARGIN_IN) * 96), round((8.5 - 2 * MARGIN_IN) * 96))  # inside the margins
CHART_SIZE = (316, 204)  # px, as the charts sit on the sheet
STANDALONE_SIZE = (960, 560)  # px, the PNG of each chart

HEADER_CSS = """
.bd-top{display:flex;justify-content:space-between;align-items:flex-end;gap:16px;
  border-bottom:2px solid #1F4E79;padding-bottom:6px;margin-bottom:10px;}
.bd-title{font-size:22px;font-weight:700;margin:0;line-height:1.1;}
.bd-scope{font-size:13.5px;color:#1F2328;margin-top:3px;}
.bd-period{font-size:12.5px;color:#57606A;margin-top:2px;}
.bd-asof{text-align:right;font-size:12.5px;color:#57606A;white-space:nowrap;}
.bd-asof b{color:#1F2328;font-size:15px;}
"""

SHEET_CSS = """
@page { size: Letter landscape; margin: %(margin)sin; }
html,body{margin:0;padding:0;background:#fff;}
body,.bd-card{font-family:%(font)s;color:#1F2328;-webkit-print-color-adjust:exact;print-color-adjust:exact;}
.sheet{box-sizing:border-box;width:%(width)spx;padding:%(pad)spx;}
.sheet + .sheet{break-before:page;}
@media print{.sheet{width:auto;padding:0;}}
.bd-charts{display:grid;grid-template-columns:repeat(3,minmax(0,1fr));gap:14px;margin-top:8px;}
.bd-chart h3{font-size:13px;margin:0 0 2px 0;}
.bd-chart img{width:100%%;display:block;}
.bd-chart .bd-msg{height:%(chart_h)spx;display:flex;align-items:center;justify-content:center;
  text-align:center;color:#57606A;font-size:13px;border:1px dashed #D0D7DE;border-radius:8px;
  padding:0 14px;}
.bd-chart .bd-note{font-size:10px;color:#57606A;line-height:1.25;margin-top:1px;}
.bd-foot{margin-top:5px;border-top:1px solid #D0D7DE;padding-top:3px;font-size:9.5px;
  color:#57606A;line-height:1.3;}
.bd-foot p{margin:0 0 1px 0;}
.bd-defs{width:100%%;border-collapse:collapse;font-size:11px;margin-top:6px;}
.bd-defs th,.bd-defs td{text-align:left;vertical-align:top;padding:3px 8px;
  border-bottom:1px solid #EAEEF2;}
.bd-defs th{color:#57606A;font-weight:600;}
.bd-defs td:first-child{white-space:nowrap;font-weight:600;}
.bd-card .bd-value{font-size:22px;margin:0;}
.bd-card .bd-value.bd-withheld,.bd-card .bd-value.bd-none{font-size:16px;padding:3px 0 2px 0;}
.bd-card .bd-label{font-size:11.5px;line-height:1.2;}
.bd-card .bd-change,.bd-card .bd-base,.bd-card .bd-bench{font-size:10.5px;line-height:1.25;}
.bd-card .bd-group-title{font-size:12.5px;} .bd-card .bd-group-question{font-size:11px;}
.bd-card .bd-group-head{padding:3px 0 4px 0;}
.bd-card .bd-tile{padding:4px 7px;}
.bd-card .bd-tiles{gap:7px;}
.bd-card{gap:6px 10px;}
"""


def _sheet_css() -> str:
    pad = round(MARGIN_IN * 96)
    return SHEET_CSS % {"margin": MARGIN_IN, "font": charts.FONT, "width": SHEET_WIDTH_PX, "pad": pad,
                        "chart_h": CHART_SIZE[1]}


# The board page in the dashboard: a little less padding on screen, and a print stylesheet so
# the browser's Print gives one clean landscape page (no sidebar, header, toolbar or buttons).
PAGE_CSS = """
[data-testid="stMainBlockContainer"]{padding-top:3.75rem;padding-bottom:1.5rem;}
.bd-chart-title{font-weight:650;font-size:15px;margin:0;}
@media print {
  @page { size: landscape; margin: 8mm; }
  html, body { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  [data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"],
  [data-testid="stExpandSidebarButton"], [data-testid="stHeader"], header, [data-testid="stToolbar"],
  [data-testid="stDecoration"], [data-testid="stStatusWidget"], [data-testid="stDownloadButton"],
  [data-testid="stElementToolbar"], [data-testid="stBottom"], .modebar-container, button {
    display: none !important;
  }
  [data-testid="stApp"], [data-testid="stAppViewContainer"], [data-testid="stMain"] {
    position: static !important; overflow: visible !important; height: auto !important;
  }
  [data-testid="stMainBlockContainer"] {
    padding: 0 !important; max-width: none !important; zoom: %(zoom)s;
  }
  /* the three charts stay side by side (they are drawn %(chart)s px wide) */
  [data-testid="stHorizontalBlock"] { display: flex !important; flex-wrap: nowrap !important; }
  [data-testid="stColumn"] { min-width: 0 !important; }
  .bd-tile, [data-testid="stPlotlyChart"] { break-inside: avoid; }
  [data-testid="stCaptionContainer"] { font-size: 11px !important; line-height: 1.3 !important; }
  [data-testid="stVerticalBlock"] { gap: 0.5rem !important; }
}
"""

# The board page's charts have a fixed size (small charts, and the same drawing on screen and
# on paper: a chart's width does not follow the page when the browser prints). Three fit side by
# side at 1280 px, and in the print zoom on a landscape page.
PAGE_CHART_SIZE = (350, 270)
PRINT_ZOOM = 0.7


def page_style() -> str:
    """The board page's CSS: the scorecard's and the header's, and the screen and print rules."""
    rules = PAGE_CSS % {"zoom": PRINT_ZOOM, "chart": PAGE_CHART_SIZE[0]}
    return f"<style>{SCORECARD_CSS}{HEADER_CSS}{rules}</style>"


def header_html(filters: Filters, as_of: dt.date, prepared: dt.datetime | None = None,
                title: str = "Board summary") -> str:
    """The title, program, site, focus levels, period (and the one compared with) and the
    data's as-of date."""
    stamp = f"<br>prepared {prepared:%d %b %Y %H:%M}" if prepared else ""
    return (
        '<div class="bd-top"><div>'
        f'<h1 class="bd-title">IOP Outcomes · {_e(title)}</h1>'
        f'<div class="bd-scope">{_e(scope_words(filters))}</div>'
        f'<div class="bd-period">{_e(period_line(filters, as_of))}</div></div>'
        f'<div class="bd-asof">Data as of<br><b>{as_of:%d %B %Y}</b>{stamp}</div></div>'
    )


def document_html(board: Board, images: dict[str, bytes]) -> str:
    """The board pack as one self-contained HTML document: page 1 the summary (header,
    scorecard, the three charts as PNG, footnotes), page 2 the definitions."""
    charts_html = []
    for chart in board.charts:
        body = (f'<img alt="{_e(chart.title)}" src="data:image/png;base64,'
                f'{base64.b64encode(images[chart.key]).decode("ascii")}">'
                if chart.figure is not None and chart.key in images
                else f'<div class="bd-msg">{_e(chart.message or "Not shown.")}</div>')
        words = " ".join(t for t in (chart.legend if chart.figure is not None else None, chart.note) if t)
        note = f'<div class="bd-note">{_e(words)}</div>' if words else ""
        charts_html.append(f'<figure class="bd-chart" style="margin:0"><h3>{_e(chart.title)}</h3>{body}{note}</figure>')
    foot = "".join(f"<p>{_e(text)}</p>" for text in footnotes(board.filters))
    rows = []
    for group in board.groups:
        for m in group.metrics:
            rows.append(f"<tr><td>{_e(m.label)}</td><td>{_e(group.title)}</td><td>{_e(m.definition)}</td></tr>")
    for chart in board.charts:
        rows.append(f"<tr><td>{_e(chart.title)}</td><td>Chart</td><td>{_e(chart.caption)}</td></tr>")
    title = f"IOP Outcomes board summary, {period_words(board.filters)}"
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{_e(title)}</title>'
        f"<style>{SCORECARD_CSS}{HEADER_CSS}{_sheet_css()}</style></head><body>"
        f'<div class="sheet" id="summary">{header_html(board.filters, board.as_of, board.prepared)}'
        f"{scorecard_html(board.groups, with_style=False)}"
        f'<div class="bd-charts">{"".join(charts_html)}</div>'
        f'<div class="bd-foot">{foot}</div></div>'
        f'<div class="sheet" id="definitions">'
        f'{header_html(board.filters, board.as_of, board.prepared, "How the numbers are counted")}'
        '<table class="bd-defs"><thead><tr><th>Metric</th><th>Group</th><th>Definition</th></tr></thead>'
        f'<tbody>{"".join(rows)}</tbody></table><div class="bd-foot"><p>{_e(privacy.footnote())}</p></div></div>'
        "</body></html>"
    )


# ---------------------------------------------------------------------------------------------
# Rendering: kaleido for the charts, Chromium's print-to-PDF for the sheet
# ---------------------------------------------------------------------------------------------

_RENDER_LOCK = threading.Lock()  # kaleido's sync server is one per process


@dataclass(frozen=True)
class Rendered:
    html: str
    pdf: bytes
    png: bytes
    charts: dict[str, bytes]  # standalone PNG per chart key
    seconds: dict[str, float]


def _for_sheet(fig: go.Figure) -> go.Figure:
    """A copy of a board figure sized for its place on the sheet (small fonts, tight margins)."""
    small = go.Figure(fig)
    small.update_layout(width=CHART_SIZE[0], height=CHART_SIZE[1], font=dict(size=10),
                        margin=dict(l=8, r=8, t=22, b=8), title=None, showlegend=False)
    small.update_xaxes(automargin=True, title_font=dict(size=10), tickfont=dict(size=9))
    small.update_yaxes(automargin=True, title_font=dict(size=10), tickfont=dict(size=9))
    small.update_annotations(font_size=9)
    return small


def _standalone(fig: go.Figure, chart: board_figures.BoardChart, board: Board) -> go.Figure:
    """A copy of a board figure that stands alone as a PNG: its title, the period, the as-of
    date and the suppression note on it."""
    big = go.Figure(fig)
    note = (f"{scope_words(board.filters)} · {period_words(board.filters)} · data as of "
            f"{board.as_of:%d %b %Y}")
    footer = f"Small numbers suppressed (fewer than {D.SMALL_CELL} clients)."
    if chart.note:
        footer += " " + chart.note
    lines = textwrap.wrap(footer, width=150)
    big.update_layout(
        width=STANDALONE_SIZE[0], height=STANDALONE_SIZE[1],
        title=dict(text=chart.title, subtitle=dict(text=note, font=dict(size=12, color="#57606A")),
                   x=0, xref="paper", xanchor="left", y=0.975, yanchor="top"),
        legend=dict(y=1.02, yanchor="bottom", x=0, xanchor="left"),
        margin=dict(t=130, b=70 + 16 * len(lines)),
    )
    big.add_annotation(text="<br>".join(lines), xref="paper", yref="paper", x=0, y=0, yshift=-56,
                       xanchor="left", yanchor="top", showarrow=False, align="left",
                       font=dict(size=11, color="#57606A"))
    return big


def _chart_images(board: Board) -> tuple[dict[str, bytes], dict[str, bytes]]:
    """PNG bytes per chart: (for the sheet, standalone). One kaleido server for all of them."""
    import kaleido

    figures = [c for c in board.charts if c.figure is not None]
    if not figures:
        return {}, {}
    options = {"mathjax": False}  # no MathJax from a CDN: nothing here is TeX
    if Path(browser.CHROMIUM).exists():
        options["path"] = browser.CHROMIUM
    sheet, alone = {}, {}
    kaleido.start_sync_server(silence_warnings=True, **options)
    try:
        for chart in figures:
            sheet[chart.key] = kaleido.calc_fig_sync(
                _for_sheet(chart.figure).to_dict(),
                opts=dict(format="png", width=CHART_SIZE[0], height=CHART_SIZE[1], scale=3))
            alone[chart.key] = kaleido.calc_fig_sync(
                _standalone(chart.figure, chart, board).to_dict(),
                opts=dict(format="png", width=STANDALONE_SIZE[0], height=STANDALONE_SIZE[1], scale=2))
    finally:
        kaleido.stop_sync_server(silence_warnings=True)
    return sheet, alone


def _print(document: str) -> tuple[bytes, bytes]:
    """(PDF, PNG of page 1) of the document, printed by Chromium through Playwright."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = browser.launch(playwright)
        try:
            page = chromium.new_page(viewport={"width": SHEET_WIDTH_PX, "height": SHEET_HEIGHT_PX},
                                     device_scale_factor=2)
            page.set_content(document, wait_until="load")
            png = page.locator("#summary").screenshot(type="png")
            # the summary is one page: if a long name or note makes it taller, it is shrunk to fit
            page.emulate_media(media="print")
            page.set_viewport_size({"width": PRINTABLE_PX[0], "height": PRINTABLE_PX[1]})
            height = page.evaluate("() => document.querySelector('#summary').getBoundingClientRect().height")
            if height > PRINTABLE_PX[1] - 6:
                page.evaluate(f"() => document.querySelector('#summary').style.zoom = "
                              f"'{(PRINTABLE_PX[1] - 6) / height:.3f}'")
            pdf = page.pdf(prefer_css_page_size=True, print_background=True, landscape=True)
        finally:
            chromium.close()
    return pdf, png


def render(board: Board) -> Rendered:
    """The board pack in memory: HTML, PDF, PNG of the summary page and one PNG per chart."""
    seconds = {}
    with _RENDER_LOCK:
        started = time.perf_counter()
        sheet, alone = _chart_images(board)
        seconds["charts"] = time.perf_counter() - started
        document = document_html(board, sheet)
        started = time.perf_counter()
        pdf, png = _print(document)
        seconds["pdf"] = time.perf_counter() - started
    return Rendered(document, pdf, png, alone, seconds)


def pdf_bytes(board: Board) -> bytes:
    """The board pack's PDF (the board page's download button)."""
    return render(board).pdf


def file_stem(board: Board) -> str:
    return f"board-{board.filters.start:%Y%m%d}-{board.filters.end:%Y%m%d}"


def export(board: Board, out: Path) -> tuple[list[Path], Rendered]:
    """Write board.pdf, board.png, board.html and <chart>.png into ``out``."""
    rendered = render(board)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, content in (("board.pdf", rendered.pdf), ("board.png", rendered.png),
                          ("board.html", rendered.html.encode("utf-8"))):
        (out / name).write_bytes(content)
        paths.append(out / name)
    for key, content in rendered.charts.items():
        (out / f"{key}.png").write_bytes(content)
        paths.append(out / f"{key}.png")
    return paths, rendered


# ---------------------------------------------------------------------------------------------
# The command
# ---------------------------------------------------------------------------------------------


def main(db: Path, out: Path, start: dt.date | None, end: dt.date | None, as_of: dt.date | None,
         focus: tuple[str, ...], program: str | None, site: str | None) -> int:
    """``python -m outcomes report``: exit 0 with the files written, 2 when the input is
    wrong (no database, a bad period), 1 when a query or the rendering fails (a database
    built before the model changed, no Chromium)."""
    import re

    import duckdb

    from .db import NoDatabase, model_as_of, open_as_of
    from .filters import DEFAULT_PRESET, preset_period
    from .runner import QueryError

    started = time.perf_counter()
    try:
        con = open_as_of(db, as_of)
    except NoDatabase as exc:
        print(exc, file=sys.stderr)
        return 2
    try:
        if start is None and end is None:
            start, end = preset_period(DEFAULT_PRESET, model_as_of(con))
        elif start is None or end is None:
            print("give both --start and --end, or neither (then the last 12 complete months)", file=sys.stderr)
            return 2
        if end < start:
            print(f"--end {end} is before --start {start}", file=sys.stderr)
            return 2
        filters = Filters(start=start, end=end, focus=focus, program=program, site=site)
        try:
            board = collect(con, filters)
        except (duckdb.Error, QueryError) as exc:
            # e.g. a database built before the model changed; the message names no data
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            first = re.sub(r"'(?:[^']|'')*'", "'…'", first)  # a quoted value could be a row's
            print(f"a query failed: {first}\nIf the queries under queries/model changed since the "
                  "build, run `python -m outcomes build` first.", file=sys.stderr)
            return 1
    finally:
        con.close()
    queried = time.perf_counter() - started
    try:
        paths, rendered = export(board, out)
    except Exception as exc:  # a missing or broken Chromium, most likely
        print(f"could not render the board pack: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}",
              file=sys.stderr)
        return 1
    total = time.perf_counter() - started
    print(f"Board pack for {scope_words(filters)}, {period_words(filters)} (data as of {board.as_of:%d %b %Y}):")
    for path in paths:
        print(f"  {path}  ({path.stat().st_size:,} bytes)")
    print(f"Took {total:.1f} s: queries {queried:.1f} s, charts {rendered.seconds['charts']:.1f} s, "
          f"PDF and PNG {rendered.seconds['pdf']:.1f} s.")
    return 0
