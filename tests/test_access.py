"""Sign-in, roles and local mode (issue 8).

The decision is a pure function (outcomes.access.decide), tested first on its own; then the
app (AppTest on dashboard.py) shows that each decision draws what it says: the pages of the
role and nothing else, a sign-in button alone, a polite refusal alone, or the operator's
message alone. The last test drives a served app in Chromium: a direct URL to a page the role
may not see draws nothing of it, even as the very first request after the server starts.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from outcomes import access, navigation, ui
from outcomes.access import (ALLOW, LOCAL_MODE, REFUSE, SIGN_IN, SIGN_IN_MODE, STOP, RoleMap,
                             RolesError, decide, is_loopback, parse_roles, request_is_local)

ROOT = Path(__file__).resolve().parent.parent
ALL_FILES = {p.file for p in navigation.PAGES}

ROLES_TOML = """
[users]
"Dr.Lee@Clinic.Example" = "director"
"dr.ray@clinic.example" = { role = "director", grants = ["workbench"] }
"sam@clinic.example"    = "analyst"
"chair@board.example"   = "board"
"""


def roles() -> RoleMap:
    return parse_roles(ROLES_TOML, "roles.toml")


def signed_in(email, **claims):
    return {"is_logged_in": True, "email": email, **claims}


# ---------------------------------------------------------------------------------------------
# Addresses and requests
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("address, expected", [
    ("127.0.0.1", True), ("127.0.0.2", True), ("::1", True), ("[::1]", True),
    ("localhost", True), ("LocalHost", True), (" 127.0.0.1 ", True),
    # empty = every interface; the unspecified addresses; private and public addresses
    ("", False), (None, False), ("0.0.0.0", False), ("::", False), ("192.168.1.10", False),
    ("10.0.0.1", False), ("dashboard.clinic.example", False),
    # names that merely start like a loopback name
    ("127.0.0.1.nip.io", False), ("localhost.clinic.example", False), ("128.0.0.1", False),
])
def test_loopback_addresses(address, expected):
    assert is_loopback(address) is expected


@pytest.mark.parametrize("headers, expected", [
    (None, True), ({}, True),
    ({"Host": "127.0.0.1:8501"}, True), ({"Host": "localhost:8501"}, True),
    ({"Host": "[::1]:8501"}, True), ({"host": "localhost"}, True),
    ({"Host": "dashboard.clinic.example"}, False), ({"Host": "192.168.1.10:8501"}, False),
    ({"Host": "127.0.0.1:8501", "X-Forwarded-For": "203.0.113.9"}, False),
    ({"Host": "127.0.0.1:8501", "Forwarded": "for=203.0.113.9"}, False),
    ({"Host": "127.0.0.1:8501", "X-Real-IP": "203.0.113.9"}, False),
])
def test_only_direct_local_requests_count_as_local(headers, expected):
    assert request_is_local(headers) is expected


# ---------------------------------------------------------------------------------------------
# The roles file
# ---------------------------------------------------------------------------------------------


def test_roles_file_maps_addresses_to_roles_and_grants():
    parsed = roles()
    # addresses are compared without regard to case or surrounding spaces
    assert parsed.lookup("dr.lee@clinic.example").role == "director"
    assert parsed.lookup(" DR.LEE@clinic.example ").role == "director"
    assert parsed.lookup("dr.lee@clinic.example").grants == frozenset()
    # a grant written as the page's URL name becomes its file
    assert parsed.lookup("dr.ray@clinic.example").grants == frozenset({"workbench.py"})
    assert parsed.lookup("sam@clinic.example").role == "analyst"
    assert parsed.lookup("chair@board.example").role == "board"
    assert parsed.lookup("stranger@clinic.example") is None
    assert parsed.lookup("") is None and parsed.lookup(None) is None


@pytest.mark.parametrize("text, words", [
    ("[users\n", ["roles.toml", "not valid TOML"]),
    ('[users]\n"a@x.example" = "owner"\n', ["a@x.example", "'owner' is not a role"]),
    ('[users]\n"a@x.example" = "local"\n', ["'local' is not a role"]),  # local is never given
    ('[users]\n"a@x.example" = { role = "director", grants = ["secrets"] }\n',
     ["grant 'secrets' names no page"]),
    ('[users]\n"A@x.example" = "board"\n"a@x.example" = "analyst"\n', ["listed twice"]),
    ('[users]\n"not-an-address" = "board"\n', ["not an e-mail address"]),
    ('[admins]\n"a@x.example" = "board"\n', ["unknown section", "admins"]),
    ('[users]\n"a@x.example" = 3\n', ["expected a role in quotes"]),
    ('[users]\n"a@x.example" = { grants = ["workbench"] }\n', ["role = "]),
])
def test_a_broken_roles_file_is_an_error_naming_file_and_entry(text, words):
    with pytest.raises(RolesError) as error:
        parse_roles(text, "roles.toml")
    for word in words:
        assert word in str(error.value)


def test_roles_file_path_and_missing_file(tmp_path):
    assert access.roles_path({}) == ROOT / ".streamlit" / "roles.toml"
    assert access.roles_path({"OUTCOMES_ROLES": str(tmp_path / "r.toml")}) == tmp_path / "r.toml"
    with pytest.raises(RolesError, match="no roles file"):
        access.load_roles(tmp_path / "r.toml")
    (tmp_path / "r.toml").write_text(ROLES_TOML, encoding="utf-8")
    assert access.load_roles(tmp_path / "r.toml").lookup("sam@clinic.example").role == "analyst"


def test_the_example_roles_file_parses():
    example = ROOT / ".streamlit" / "roles.example.toml"
    parsed = access.load_roles(example)
    assert {m.role for m in parsed.members.values()} == {"director", "analyst", "board"}


# ---------------------------------------------------------------------------------------------
# The decision
# ---------------------------------------------------------------------------------------------


def files(decision) -> set[str]:
    return set(decision.page_files)


def test_local_mode_on_loopback_sees_every_page():
    decision = decide(auth=False, address="127.0.0.1", user={}, roles=None)
    assert (decision.kind, decision.mode, decision.role) == (ALLOW, LOCAL_MODE, "local")
    assert files(decision) == ALL_FILES


@pytest.mark.parametrize("address", ["", None, "0.0.0.0", "::", "192.168.1.10"])
def test_local_mode_refuses_to_serve_beyond_this_computer(address):
    decision = decide(auth=False, address=address, user={}, roles=None)
    assert decision.kind == STOP and not decision.allowed and decision.pages == []
    # the message says how to configure sign-in
    assert "[auth]" in decision.message and "secrets.toml" in decision.message
    assert "README" in decision.message and "127.0.0.1" in decision.message


def test_local_mode_refuses_a_proxied_request():
    decision = decide(auth=False, address="127.0.0.1", user={}, roles=None,
                      headers={"Host": "127.0.0.1:8501", "X-Forwarded-For": "203.0.113.9"})
    assert decision.kind == STOP and decision.pages == []


def test_a_secrets_file_that_cannot_be_read_serves_nothing():
    decision = decide(auth=False, address="127.0.0.1", user={}, roles=None, secrets_broken=True)
    assert decision.kind == STOP and decision.pages == []


def test_test_role_board_sees_home_and_board_only():
    decision = decide(auth=False, address="127.0.0.1", user={}, roles=None, test_role="board")
    assert (decision.kind, decision.role) == (ALLOW, "board")
    assert files(decision) == {"home.py", "board.py"}


def test_test_role_with_a_grant():
    plain = decide(auth=False, address="127.0.0.1", user={}, roles=None, test_role="director")
    granted = decide(auth=False, address="127.0.0.1", user={}, roles=None,
                     test_role="director+workbench")
    assert files(plain) == ALL_FILES - {"workbench.py"}
    assert files(granted) == ALL_FILES


def test_an_unknown_test_role_is_refused():
    decision = decide(auth=False, address="127.0.0.1", user={}, roles=None, test_role="owner")
    assert decision.kind == REFUSE and decision.pages == []


def test_the_test_role_does_not_open_a_non_loopback_server():
    decision = decide(auth=False, address="0.0.0.0", user={}, roles=None, test_role="analyst")
    assert decision.kind == STOP


def test_the_test_role_never_applies_with_sign_in():
    # not signed in: the sign-in button, whatever the test role says
    decision = decide(auth=True, address="127.0.0.1", user={"is_logged_in": False},
                      roles=roles(), test_role="analyst")
    assert decision.kind == SIGN_IN and decision.role is None and decision.pages == []


def test_sign_in_required_before_anything():
    for user in ({}, {"is_logged_in": False}, {"email": "sam@clinic.example"}):
        decision = decide(auth=True, address="0.0.0.0", user=user, roles=roles())
        assert (decision.kind, decision.mode, decision.pages) == (SIGN_IN, SIGN_IN_MODE, [])


@pytest.mark.parametrize("email, role, pages", [
    ("chair@board.example", "board", {"home.py", "board.py"}),
    ("sam@clinic.example", "analyst", ALL_FILES),
    ("dr.lee@clinic.example", "director", ALL_FILES - {"workbench.py"}),
    ("DR.LEE@CLINIC.EXAMPLE", "director", ALL_FILES - {"workbench.py"}),
    ("dr.ray@clinic.example", "director", ALL_FILES),  # granted the workbench
])
def test_signed_in_roles_see_their_pages(email, role, pages):
    # with sign-in the server may listen on every interface (TLS in front)
    decision = decide(auth=True, address="0.0.0.0", user=signed_in(email, name="Someone"),
                      roles=roles())
    assert (decision.kind, decision.mode, decision.role) == (ALLOW, SIGN_IN_MODE, role)
    assert files(decision) == pages
    # board users never get client-level lists or SQL
    if role == "board":
        assert not files(decision) & {"data.py", "workbench.py", "catalog.py", "retention.py"}


def test_an_unknown_user_is_refused_politely():
    decision = decide(auth=True, address="0.0.0.0", user=signed_in("eve@elsewhere.example"),
                      roles=roles())
    assert decision.kind == REFUSE and decision.pages == [] and decision.role is None
    assert "eve@elsewhere.example" in decision.message and "administrator" in decision.message
    assert "eve@elsewhere.example" not in decision.log  # the log names no one


def test_an_unverified_email_is_refused():
    decision = decide(auth=True, address="0.0.0.0", roles=roles(),
                      user=signed_in("sam@clinic.example", email_verified=False))
    assert decision.kind == REFUSE and decision.pages == []
    decision = decide(auth=True, address="0.0.0.0", roles=roles(), user={"is_logged_in": True})
    assert decision.kind == REFUSE


def test_without_a_usable_roles_file_nobody_gets_in():
    for problem in (None, RolesError("roles.toml: no roles file")):
        decision = decide(auth=True, address="0.0.0.0", user=signed_in("sam@clinic.example"),
                          roles=problem)
        assert decision.kind == REFUSE and decision.pages == []
        assert "not set up" in decision.message


def test_sign_in_without_authlib_stops_with_a_message():
    decision = decide(auth=True, address="0.0.0.0", user={}, roles=roles(), authlib=False)
    assert decision.kind == STOP and "Authlib" in decision.message


# ---------------------------------------------------------------------------------------------
# The app draws the decision (AppTest on dashboard.py)
# ---------------------------------------------------------------------------------------------

AUTH = {"auth": {"redirect_uri": "http://localhost:8501/oauth2callback",
                 "cookie_secret": "a-test-secret-that-is-long-enough",
                 "client_id": "x", "client_secret": "y",
                 "server_metadata_url": "https://id.example/.well-known/openid-configuration"}}


@pytest.fixture
def app(demo_db, monkeypatch, tmp_path):
    monkeypatch.setenv("OUTCOMES_DB", str(demo_db))
    monkeypatch.delenv("OUTCOMES_TEST_ROLE", raising=False)
    roles_file = tmp_path / "roles.toml"
    roles_file.write_text(ROLES_TOML, encoding="utf-8")
    monkeypatch.setenv("OUTCOMES_ROLES", str(roles_file))
    monkeypatch.setattr(ui, "_authlib_installed", lambda: True)

    def make(secrets=None, user=None):
        from streamlit.testing.v1 import AppTest

        at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120)
        if secrets:
            at.secrets.update(secrets)
        if user is not None:
            at.user = user
        return at

    return make


def registered(at) -> set[str]:
    """The page files st.navigation offered in the last run ('' for the closed page)."""
    return {Path(str(info.get("script_path") or "")).name for info in at._registered_pages.values()}


def texts(at) -> str:
    parts = [e.value for kind in ("title", "markdown", "caption", "info", "error", "warning")
             for e in getattr(at, kind)]
    return "\n".join(str(p) for p in parts)


def assert_closed(at):
    """Nothing of the dashboard: no filters, no tiles, no charts, no tables, no page list."""
    assert not at.exception
    assert len(at.selectbox) == 0 and len(at.metric) == 0 and len(at.dataframe) == 0
    assert len(at.get("plotly_chart")) == 0
    assert registered(at) <= {""}


def test_app_local_mode_badge_and_every_page(app):
    at = app()
    at.run()
    assert not at.exception
    assert ":gray-badge[:material/computer: Local mode]" in [m.value for m in at.sidebar.markdown]
    assert registered(at) == {p.file for p in navigation.available(navigation.pages_for("local"))}


def test_app_local_mode_refuses_a_non_loopback_address(app, monkeypatch):
    real = ui.st.get_option
    monkeypatch.setattr(ui.st, "get_option",
                        lambda key: "0.0.0.0" if key == "server.address" else real(key))
    at = app()
    at.run()
    assert_closed(at)
    message = "\n".join(e.value for e in at.error)
    assert "'0.0.0.0'" in message and "[auth]" in message and "Sign-in" in message


def test_app_board_test_role_sees_only_home_and_board(app, monkeypatch):
    monkeypatch.setenv("OUTCOMES_TEST_ROLE", "board")
    at = app()
    at.run()
    expected = {p.file for p in navigation.available(navigation.pages_for("board"))}
    assert registered(at) == expected and expected <= {"home.py", "board.py"}
    assert any("Local mode · board" in m.value for m in at.sidebar.markdown)
    # Home links only to pages the role has (st.page_link to any other page is an error)
    assert not at.exception, "pages/home.py must list ui.visible_pages(), not pages_for('local')"
    # a page the role may not see is not even registered
    with pytest.raises(ValueError):
        at.switch_page("pages/data.py")


def test_app_direct_run_of_a_page_the_role_may_not_see_draws_nothing_of_it(app, monkeypatch):
    """AppTest's switch_page on a fresh app runs pages/data.py on its own, without dashboard.py
    (Streamlit's pages/ folder fallback; a server does the same for the first request after it
    starts). The access check in ui.database() sends it back through the gate."""
    monkeypatch.setenv("OUTCOMES_TEST_ROLE", "board")
    at = app()
    at.switch_page("pages/data.py").run()
    shown = texts(at)
    assert "Files loaded" not in shown and "Rejected rows" not in shown
    assert "Data" not in [t.value for t in at.title]
    assert len(at.dataframe) == 0


def test_app_direct_run_of_an_allowed_page_still_works(app):
    at = app()
    at.switch_page("pages/data.py").run()
    assert not at.exception
    assert "Data" in [t.value for t in at.title]


def test_app_sign_in_page_shows_only_the_button(app, monkeypatch):
    monkeypatch.setenv("OUTCOMES_TEST_ROLE", "analyst")  # ignored: sign-in is configured
    at = app(secrets=AUTH, user={"is_logged_in": False})
    at.run()
    assert_closed(at)
    assert [b.label for b in at.button] == ["Sign in"]
    assert "Sign in with your organisation" in texts(at)


def test_app_unknown_user_sees_a_polite_refusal_and_nothing_else(app):
    at = app(secrets=AUTH, user=signed_in("eve@elsewhere.example", name="Eve"))
    at.run()
    assert_closed(at)
    assert "eve@elsewhere.example" in texts(at) and "administrator" in texts(at)
    assert [b.label for b in at.button] == ["Sign out"]


def test_app_unknown_user_direct_page_run_draws_nothing_of_it(app):
    at = app(secrets=AUTH, user=signed_in("eve@elsewhere.example"))
    at.switch_page("pages/data.py").run()
    assert "Files loaded" not in texts(at) and len(at.dataframe) == 0
    assert "administrator" in texts(at)


@pytest.mark.parametrize("email, role", [
    ("chair@board.example", "board"), ("sam@clinic.example", "analyst"),
    ("dr.lee@clinic.example", "director"),
])
def test_app_signed_in_roles_get_their_pages(app, email, role):
    at = app(secrets=AUTH, user=signed_in(email, name="A person"))
    at.run()
    assert registered(at) == {p.file for p in navigation.available(navigation.pages_for(role))}
    assert f"A person · {role}" in texts(at)
    assert "Sign out" in [b.label for b in at.sidebar.button]
    decision = at.session_state["_access"]
    assert decision.role == role


def test_app_director_grant_adds_the_workbench(app):
    at = app(secrets=AUTH, user=signed_in("dr.ray@clinic.example"))
    at.run()
    assert "workbench.py" in at.session_state["_access"].page_files
    at = app(secrets=AUTH, user=signed_in("dr.lee@clinic.example"))
    at.run()
    assert "workbench.py" not in at.session_state["_access"].page_files


def test_app_without_roles_file_nobody_gets_in(app, monkeypatch, tmp_path):
    monkeypatch.setenv("OUTCOMES_ROLES", str(tmp_path / "missing.toml"))
    at = app(secrets=AUTH, user=signed_in("sam@clinic.example"))
    at.run()
    assert_closed(at)
    assert "not set up" in texts(at)


def test_app_sign_in_without_authlib_says_so(app, monkeypatch):
    monkeypatch.setattr(ui, "_authlib_installed", lambda: False)
    at = app(secrets=AUTH, user={"is_logged_in": False})
    at.run()
    assert_closed(at)
    assert "Authlib" in "\n".join(e.value for e in at.error)
    assert len(at.button) == 0


# ---------------------------------------------------------------------------------------------
# A served app in Chromium: direct URLs, the very first request included
# ---------------------------------------------------------------------------------------------


@pytest.mark.browser
def test_served_board_role_direct_urls_draw_nothing_of_other_pages(demo_db, tmp_path):
    from playwright.sync_api import sync_playwright

    from outcomes import browser

    if not Path(browser.CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{browser.CHROMIUM} is missing: on CI the browser tests must run")
        pytest.skip("Debian's chromium is not installed")
    shots = ROOT / "artifacts" / "screenshots"
    with browser.serve(demo_db, env={"OUTCOMES_TEST_ROLE": "board"}, log=tmp_path / "log") as url, \
            sync_playwright() as playwright:
        chromium = browser.launch(playwright)
        page = chromium.new_page(viewport={"width": 1280, "height": 900})
        # the first request after the server starts goes straight to /data
        for path in ("/data", "/", "/data", "/catalog", "/workbench"):
            page.goto(url + path)
            browser.wait_drawn(page)
            main = page.locator('[data-testid="stMain"]').inner_text()
            assert "Files loaded" not in main and "Rejected rows" not in main, path
            assert "Data" not in [h.strip() for h in page.locator("h1").all_inner_texts()], path
            nav = page.locator('[data-testid="stSidebarNav"]')
            links = nav.locator("a").all_inner_texts() if nav.count() else []
            assert not {"Data", "Query catalog", "SQL workbench", "Retention"} & {
                link.strip() for link in links}, path
            assert browser.exceptions(page) == [], path
        browser.screenshot(page, shots / "access-board-direct-url.png", width=1280)
        # a request through a proxy is refused in local mode
        context = chromium.new_context(viewport={"width": 1280, "height": 900},
                                       extra_http_headers={"X-Forwarded-For": "203.0.113.9"})
        proxied = context.new_page()
        proxied.goto(url + "/")
        browser.wait_drawn(proxied)
        assert "only answers a browser on its own computer" in proxied.locator(
            '[data-testid="stMain"]').inner_text()
        browser.screenshot(proxied, shots / "access-local-mode-proxied.png", width=1280)
        chromium.close()
