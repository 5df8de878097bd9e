"""Home: what each page answers, and the data behind the numbers."""

import streamlit as st

from outcomes import ui
from outcomes.definitions import BENCHMARKS

filters = ui.current_filters()
info = ui.build_info()

st.title("IOP Outcomes Dashboard")
st.markdown(
    "How clients of the intensive outpatient program (ASAM 2.1) and its neighbouring levels of "
    "care are doing: whether they **stay**, **step down** from residential care in time, "
    "**relapse**, **improve** on their PHQ-9 and GAD-7, and whether their **families** use the "
    "bi-weekly workshops."
)
st.caption(f"Data as of **{info.as_of:%d %B %Y}** (the latest date in the exports) · "
           f"built {info.built_at:%d %b %Y %H:%M} · showing {ui.describe(filters)}")

with ui.panel("This period at a glance"):
    values = ui.kpis(filters)
    previous = ui.kpis(filters.previous_period())
    ui.tiles(values, previous, ["admissions", "active_census_end", "retention_90d", "completion_rate"])

st.subheader("What each page answers")
for spec in ui.visible_pages():
    if spec.file == "home.py":
        continue
    st.page_link(spec.path, label=f"**{spec.title}**", icon=spec.icon)
    st.caption(spec.question)

with st.expander("How the numbers are counted"):
    st.markdown(
        "- **Focus episodes** are episodes at the focus levels chosen in the sidebar (IOP 2.1 by "
        "default; PHP 2.5 can be added). Each one is an admission.\n"
        "- **Periods** include both ends and stop at the data's as-of date; the previous period "
        "used for comparisons has the same length and ends the day before.\n"
        "- **Stays** chain a client's episodes when the next one starts at most 14 days after the "
        "latest discharge: residential, then PHP, then IOP is one stay.\n"
        "- **Rates** are fractions of a stated denominator, shown with their numerator and "
        "denominator; a rate with nothing to count is shown as n/a, never as 0.\n"
        f"- **National benchmarks** come from {BENCHMARKS['completion_rate'].source}.\n"
        "- Every chart's caption says which event puts a record in the period, and every chart "
        "has a CSV download of the numbers behind it."
    )
