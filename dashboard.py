"""The IOP Outcomes Dashboard: page list, sidebar filters, nothing else.

Run it with `make run` (or `streamlit run dashboard.py`). Pages live in pages/, the SQL they
run in queries/, the shared Python in outcomes/.
"""

import streamlit as st

from outcomes import navigation, ui

st.set_page_config(page_title="IOP Outcomes", page_icon=":material/monitoring:", layout="wide")

# The first run of a server process comes here through Streamlit's pages/ fallback (which
# lists the files of pages/ in the sidebar): run again as the app itself.
ui.require_access()
# Access: sign-in and roles, or local mode on 127.0.0.1; anyone else stops here.
role, grants = ui.access_gate()

pages: dict[str, list] = {}
for spec in navigation.available(navigation.pages_for(role, grants)):
    pages.setdefault(spec.section, []).append(
        st.Page(spec.path, title=spec.title, icon=spec.icon, url_path=spec.url_path, default=spec.default)
    )
page = st.navigation(pages)

ui.ensure_database()  # first run: make the demo database, with its progress on the page
ui.sidebar_filters()
try:
    page.run()
finally:
    ui.forget_filters()
