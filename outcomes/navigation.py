"""The pages of the dashboard and who may see them. Pure Python (no Streamlit), so the rules
are tested directly; dashboard.py turns this list into ``st.navigation``.

Roles (SPEC section 5, issue "sign-in and roles"):

- ``board``: Home and Board only (no client-level lists, no SQL).
- ``director``: every page but the SQL workbench, unless granted it.
- ``analyst``: every page.
- ``local``: the operator on 127.0.0.1 without sign-in configured: every page.
"""

from __future__ import annotations

from dataclasses import dataclass

from .config import ROOT

ROLES = ("board", "director", "analyst", "local")


@dataclass(frozen=True)
class PageSpec:
    file: str  # under pages/
    title: str
    icon: str
    section: str
    question: str  # what the page answers (the Home page lists these)
    roles: tuple[str, ...] = ("director", "analyst", "local")
    default: bool = False

    @property
    def path(self):
        return ROOT / "pages" / self.file

    @property
    def url_path(self) -> str:
        return self.file.removesuffix(".py")


PAGES: tuple[PageSpec, ...] = (
    PageSpec("home.py", "Home", ":material/home:", "Overview",
             "What each page answers, and the data behind it.",
             roles=("board", "director", "analyst", "local"), default=True),
    PageSpec("retention.py", "Retention", ":material/groups:", "Outcomes",
             "Are clients staying in treatment? Continuation, 30/60/90-day retention, "
             "completion, length of stay, show rates, and who needs a follow-up call."),
    PageSpec("transitions.py", "Transitions", ":material/swap_vert:", "Outcomes",
             "Do clients step down from residential care in time, and step up when they "
             "relapse? Flows between levels of care, waits and returns to care."),
    PageSpec("relapse.py", "Relapse", ":material/warning:", "Outcomes",
             "How often do clients relapse while in care, when, and what comes before it?"),
    PageSpec("assessments.py", "Assessments", ":material/monitoring:", "Outcomes",
             "Do PHQ-9 and GAD-7 scores improve reliably between admission and discharge?"),
    PageSpec("workshops.py", "Family workshops", ":material/diversity_3:", "Outcomes",
             "Are the bi-weekly family workshops held, attended and reaching families?"),
    PageSpec("board.py", "Board summary", ":material/summarize:", "Board",
             "A one-page summary for the board, with small numbers suppressed.",
             roles=("board", "director", "analyst", "local")),
    PageSpec("data.py", "Data", ":material/database:", "Data",
             "What was loaded, from which files, what was rejected and why, and what "
             "needs cleaning in the exports."),
    PageSpec("catalog.py", "Query catalog", ":material/menu_book:", "Data",
             "Every SQL query behind the dashboard, documented, runnable and downloadable.",
             roles=("director", "analyst", "local")),
    PageSpec("workbench.py", "SQL workbench", ":material/terminal:", "Data",
             "Run your own read-only SELECT over the tables and the model.",
             roles=("analyst", "local")),
)


def pages_for(role: str | None, grants: frozenset[str] = frozenset()) -> list[PageSpec]:
    """The pages a role may see, in menu order; ``grants`` adds pages by file name (e.g. a
    director granted ``workbench.py``). An unknown or missing role sees nothing."""
    if role not in ROLES:
        return []
    return [p for p in PAGES if role in p.roles or p.file in grants]


def available(pages: list[PageSpec]) -> list[PageSpec]:
    """The pages whose file exists (so a checkout mid-way through a feature still runs)."""
    return [p for p in pages if p.path.exists()]
