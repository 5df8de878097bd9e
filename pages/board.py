"""Board summary: the period's headline metrics and three charts on one screen, for the board,
with small numbers suppressed (outcomes/privacy.py) and a PDF of the same (the board pack).

Queries: the headline metrics through ui.kpis (this period and the previous one of equal
length), retention_curve, discharge_reasons_by_month, relapse_rate_by_month,
board_clients_by_month. Nothing client-level is shown or downloadable here: every number is
an aggregate, counts of 1-10 read "<11", rates resting on them are withheld.
"""

import html

import streamlit as st

from outcomes import report, ui

# The board reads this page as it is: the filters stay in the sidebar, collapsed.
st.set_page_config(initial_sidebar_state="collapsed")

filters = ui.current_filters()
as_of = ui.as_of()

top, action = st.columns([5, 1], vertical_alignment="bottom")
with top:
    st.html(report.page_style() + report.header_html(filters, as_of))
download = action.empty()

parts: dict = {}
values: dict = {}  # this period's kpis; the charts draw without them if their query failed

with ui.panel():
    values, previous = ui.kpis(filters), ui.kpis(filters.previous_period())
    parts["groups"] = report.scorecard(values, previous, filters)
    st.html(report.scorecard_html(parts["groups"], with_style=False))

with ui.panel():
    made = report.board_charts(
        filters, values,
        curve=ui.run("retention_curve", filters),
        reasons=ui.run("discharge_reasons_by_month", filters),
        months=ui.run("relapse_rate_by_month", filters),
        clients=ui.run("board_clients_by_month", filters),
    )
    width, height = report.PAGE_CHART_SIZE
    for column, chart in zip(st.columns(3, gap="medium"), made):
        with column:
            st.html(f'<div class="bd-chart-title">{html.escape(chart.title)}</div>')
            if chart.figure is None:
                ui.empty_state(chart.message)
                st.caption(chart.caption)
                continue
            # as ui.chart, at a fixed size (see report.PAGE_CHART_SIZE)
            chart.figure.update_layout(width=width, height=height)
            st.plotly_chart(chart.figure, theme=None, key=f"board_{chart.key}", width="content",
                            config={"displaylogo": False})
            st.caption(chart.caption + (f" :material/visibility_off: {chart.note}" if chart.note else ""))
            ui.table_download(chart.data, f"board_{chart.key}")
    parts["charts"] = made

for line in report.footnotes(filters):
    st.caption(line)

if "groups" in parts and "charts" in parts:
    board = report.Board(filters, as_of, parts["groups"], parts["charts"])
    download.download_button(
        "Board pack (PDF)", data=lambda: report.pdf_bytes(board), file_name=f"{report.file_stem(board)}.pdf",
        mime="application/pdf", icon=":material/picture_as_pdf:", on_click="ignore", key="board_pdf",
        help="The same summary on one landscape page, with the definitions on a second: made when you "
             "click (a few seconds).",
    )
else:
    download.caption("The board pack needs every part of this page.")
