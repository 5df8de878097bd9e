"""The IOP Outcomes Dashboard: page list, sidebar filters, nothing else.

Run it with `make run` (or `streamlit run dashboard.py`). Pages live in pages/, the SQL they
run in queries/, the shared Python in outcomes/.
"""

import streamlit as st

from outcomes import navigation, ui

st.set_page_config(page_title="IOP Outcomes", page_icon=":material/monitoring:", layout="wide")

# Access (issue 8): sign-in and roles, or local mode on 127.0.0.1; anyone else stops here.
role, grants = ui.access_gate()
ui.ensure_database()
ui.sidebar_filters()

pages: dict[str, list] = {}
for spec in navigation.available(navigation.pages_for(role, grants)):
    pages.setdefault(spec.section, []).append(
        st.Page(spec.path, title=spec.title, icon=spec.icon, url_path=spec.url_path, default=spec.default)
    )
try:
    st.navigation(pages).run()
finally:
    ui.forget_filters()
