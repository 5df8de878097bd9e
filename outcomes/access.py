"""Who may open the dashboard, and which pages they see. Pure Python (no Streamlit): the
decision is :func:`decide`, tested directly; ``outcomes.ui.access_gate`` is the thin glue that
reads Streamlit's settings and ``st.user`` and draws what the decision says.

Two modes:

- **Sign-in** (``[auth]`` in ``.streamlit/secrets.toml``): every page needs ``st.login``
  (OpenID Connect). The signed-in e-mail address is looked up in the roles file
  (``$OUTCOMES_ROLES``, default ``.streamlit/roles.toml``) and gets ``director``, ``analyst``
  or ``board`` (see outcomes.navigation for the pages of each). Anybody else, and everybody
  when the roles file is missing or broken, is refused politely and sees nothing else.
- **Local** (no ``[auth]``): the operator on this computer, role ``local`` (every page). The
  app serves only when Streamlit listens on a loopback address (127.0.0.1, ::1, localhost);
  on any other address, or on all of them (an empty ``server.address``), it stops with a
  message saying how to configure sign-in. Tests may choose another role with
  ``$OUTCOMES_TEST_ROLE`` (``board``, ``director+workbench``...), honoured only in local mode.

The roles file (TOML; e-mail addresses compared without regard to case)::

    [users]
    "dr.lee@clinic.example"  = "director"
    "sam.ng@clinic.example"  = "analyst"
    "chair@board.example"    = "board"
    "dr.ray@clinic.example"  = { role = "director", grants = ["workbench"] }
"""

from __future__ import annotations

import ipaddress
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from . import navigation
from .config import ROOT

ROLES_ENV = "OUTCOMES_ROLES"
TEST_ROLE_ENV = "OUTCOMES_TEST_ROLE"
DEFAULT_ROLES_FILE = ROOT / ".streamlit" / "roles.toml"

SIGNED_IN_ROLES = ("director", "analyst", "board")  # what a roles file may give
LOCAL_ROLE = "local"

ALLOW, SIGN_IN, REFUSE, STOP = "allow", "sign_in", "refuse", "stop"
SIGN_IN_MODE, LOCAL_MODE = "sign-in", "local"


class RolesError(Exception):
    """The roles file cannot be used; the message names the file and what is wrong."""


@dataclass(frozen=True)
class Member:
    role: str
    grants: frozenset[str] = frozenset()  # page files (``workbench.py``) beyond the role's own


@dataclass(frozen=True)
class RoleMap:
    members: Mapping[str, Member] = field(default_factory=dict)  # folded e-mail -> member

    def lookup(self, email: str | None) -> Member | None:
        return self.members.get(fold_email(email)) if email else None


def fold_email(email: str | None) -> str:
    return (email or "").strip().lower()


def page_file(name: str) -> str | None:
    """A grant as written (``workbench``, ``workbench.py``, ``/workbench``) -> the page file,
    or None when no page has that name."""
    wanted = name.strip().strip("/").lower()
    for page in navigation.PAGES:
        if wanted in (page.file, page.url_path):
            return page.file
    return None


def parse_roles(text: str, source: str = "roles.toml") -> RoleMap:
    """The roles file's text -> RoleMap. Raises RolesError naming ``source`` and the entry."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RolesError(f"{source}: not valid TOML ({exc})") from None
    unknown = [k for k in data if k != "users"]
    if unknown:
        raise RolesError(f"{source}: unknown section or key '{unknown[0]}'; expected only [users]")
    users = data.get("users", {})
    if not isinstance(users, dict):
        raise RolesError(f"{source}: 'users' must be a [users] table of \"e-mail\" = \"role\"")
    members: dict[str, Member] = {}
    for email, value in users.items():
        where = f"{source}: [users] \"{email}\""
        if "@" not in email or not email.strip():
            raise RolesError(f"{where}: not an e-mail address")
        if isinstance(value, str):
            role, grants = value, []
        elif isinstance(value, dict):
            extra = [k for k in value if k not in ("role", "grants")]
            if extra or "role" not in value:
                raise RolesError(f"{where}: expected {{ role = \"director\", grants = [\"workbench\"] }}")
            role, grants = value["role"], value.get("grants", [])
        else:
            raise RolesError(f"{where}: expected a role in quotes: one of {', '.join(SIGNED_IN_ROLES)}")
        if role not in SIGNED_IN_ROLES:
            raise RolesError(f"{where}: '{role}' is not a role; expected one of {', '.join(SIGNED_IN_ROLES)}")
        if not isinstance(grants, list) or not all(isinstance(g, str) for g in grants):
            raise RolesError(f"{where}: grants must be a list of page names, e.g. [\"workbench\"]")
        files = []
        for grant in grants:
            file = page_file(grant)
            if file is None:
                raise RolesError(f"{where}: grant '{grant}' names no page; pages are "
                                 + ", ".join(p.url_path for p in navigation.PAGES))
            files.append(file)
        key = fold_email(email)
        if key in members:
            raise RolesError(f"{where}: listed twice (addresses are compared without regard to case)")
        members[key] = Member(role, frozenset(files))
    return RoleMap(members)


def roles_path(environ: Mapping[str, str] = os.environ) -> Path:
    value = environ.get(ROLES_ENV)
    return Path(value).expanduser().resolve() if value else DEFAULT_ROLES_FILE


def load_roles(path: Path) -> RoleMap:
    """Read and parse the roles file; a missing or unreadable file is a RolesError."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RolesError(f"{path}: no roles file; nobody can be let in (see README, Sign-in)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RolesError(f"{path}: cannot be read ({type(exc).__name__})") from None
    return parse_roles(text, str(path))


def is_loopback(address: str | None) -> bool:
    """True for an address only this computer can reach: 127.0.0.0/8, ::1, localhost.
    An empty address means every interface, which is not loopback."""
    text = (address or "").strip().strip("[]").lower()
    if not text:
        return False
    if text == "localhost":
        return True
    try:
        return ipaddress.ip_address(text).is_loopback
    except ValueError:
        return False


def parse_test_role(value: str | None) -> tuple[str | None, frozenset[str]]:
    """``board`` or ``director+workbench`` -> (role, grants). Unknown grants are ignored;
    an unknown role comes back as is (and is refused)."""
    if not value or not value.strip():
        return None, frozenset()
    role, *grants = [part.strip() for part in value.split("+")]
    return role, frozenset(f for f in (page_file(g) for g in grants) if f)


@dataclass(frozen=True)
class Decision:
    """What to do with this run. ``kind``: allow (draw ``pages``), sign_in (show the sign-in
    button only), refuse (a polite refusal only), stop (a message to the operator only)."""

    kind: str
    mode: str
    role: str | None = None
    grants: frozenset[str] = frozenset()
    who: str = ""  # the signed-in name or e-mail, to greet or refuse by
    message: str = ""  # what the person in front of the page reads
    log: str = ""  # what goes to the server log (no client data)

    @property
    def allowed(self) -> bool:
        return self.kind == ALLOW

    @property
    def pages(self) -> list[navigation.PageSpec]:
        return navigation.pages_for(self.role, self.grants) if self.allowed else []

    @property
    def page_files(self) -> frozenset[str]:
        return frozenset(p.file for p in self.pages)


LOCAL_EXPOSED = (
    "This dashboard holds personal health information and sign-in is not configured, so it "
    "serves this computer only. It was started to listen on {where}. Either start it on this "
    "computer's own address (`--server.address 127.0.0.1`, the setting in "
    "`.streamlit/config.toml`), or configure sign-in (an `[auth]` section in "
    "`.streamlit/secrets.toml` and a roles file; see the README, section Sign-in) and put "
    "TLS in front of it."
)
REFUSED = (
    "You are signed in as **{who}**, but this address is not on the dashboard's list of "
    "users, so there is nothing to show you. If you should have access, ask the dashboard's "
    "administrator to add you."
)
NOT_SET_UP = (
    "You are signed in as **{who}**, but access to the dashboard is not set up yet, so there "
    "is nothing to show you. Please tell the dashboard's administrator."
)
NO_EMAIL = (
    "Your sign-in did not give a verified e-mail address, so the dashboard cannot tell which "
    "pages are yours. Please ask the dashboard's administrator."
)
SIGN_IN = (
    "This dashboard holds personal health information. Sign in with your organisation's "
    "account to continue."
)
LOCAL_PROXIED = (
    "Sign-in is not configured, so this dashboard only answers a browser on its own computer "
    "(http://127.0.0.1 or http://localhost). This request came through a proxy or under "
    "another name. To serve others, configure sign-in (see the README, section Sign-in)."
)
SECRETS_BROKEN = (
    "`.streamlit/secrets.toml` exists but cannot be read, so the dashboard cannot tell whether "
    "sign-in is meant to be on, and serves nothing. The administrator should check that file "
    "(it must be valid TOML; see `.streamlit/secrets.example.toml`)."
)
NO_AUTHLIB = (
    "Sign-in is configured, but the package it needs (Authlib 1.3.2 or later) is not "
    "installed, so nobody can sign in. The administrator can install it with "
    "`pip install \"Authlib>=1.3.2\"`."
)


PROXY_HEADERS = ("x-forwarded-for", "x-forwarded-host", "forwarded", "x-real-ip")


def request_is_local(headers: Mapping[str, str] | None) -> bool:
    """True unless the request shows it did not come straight from this computer: a proxy's
    forwarding header, or a Host header that is not a loopback name (a reverse proxy on the
    same computer, or a DNS-rebinding page, would otherwise reach local mode). No headers
    (tests, a command) counts as local."""
    if not headers:
        return True
    folded = {str(k).lower(): str(v) for k, v in headers.items()}
    if any(h in folded for h in PROXY_HEADERS):
        return False
    host = folded.get("host", "").strip()
    if not host:
        return True
    if host.startswith("["):  # [::1]:8501
        name = host[1:host.find("]")] if "]" in host else host[1:]
    else:
        name = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    return is_loopback(name)


def decide(*, auth: bool, address: str | None, user: Mapping | None, roles: RoleMap | RolesError | None,
           test_role: str | None = None, authlib: bool = True, secrets_broken: bool = False,
           headers: Mapping[str, str] | None = None) -> Decision:
    """The access decision for one run.

    auth: an ``[auth]`` section exists in the secrets; address: Streamlit's
    ``server.address``; user: ``st.user`` as a dict; roles: the parsed roles file or the error
    reading it (only needed with auth); test_role: ``$OUTCOMES_TEST_ROLE``; authlib: whether
    the package ``st.login`` needs is installed; secrets_broken: a secrets file exists but
    cannot be read (then sign-in may have been meant: stop rather than fall back to local
    mode); headers: the request's HTTP headers (local mode serves direct requests only).
    """
    user = dict(user or {})
    if secrets_broken:
        return Decision(STOP, SIGN_IN_MODE, message=SECRETS_BROKEN,
                        log="refusing to serve: .streamlit/secrets.toml exists but cannot be read")
    if not auth:
        if not is_loopback(address):
            where = f"'{address}'" if (address or "").strip() else "every network interface"
            return Decision(STOP, LOCAL_MODE, message=LOCAL_EXPOSED.format(where=where),
                            log=f"refusing to serve: no sign-in configured and server.address is "
                                f"{where}, not a loopback address")
        if not request_is_local(headers):
            return Decision(STOP, LOCAL_MODE, message=LOCAL_PROXIED,
                            log="refusing a request that came through a proxy or under another "
                                "host name: no sign-in configured")
        role, grants = (LOCAL_ROLE, frozenset())
        if test_role:
            role, grants = parse_test_role(test_role)
        if role not in navigation.ROLES:
            return Decision(REFUSE, LOCAL_MODE, role=None, who=f"test role '{role}'",
                            message=f"The test role '{role}' ({TEST_ROLE_ENV}) is not a role, so "
                                    f"there is nothing to show. Roles: {', '.join(navigation.ROLES)}.",
                            log=f"{TEST_ROLE_ENV}={role!r} is not a role")
        return Decision(ALLOW, LOCAL_MODE, role=role, grants=grants, who="local")
    # Sign-in mode. The test role never applies here.
    if not authlib:
        return Decision(STOP, SIGN_IN_MODE, message=NO_AUTHLIB,
                        log="[auth] is configured but Authlib is not installed")
    if not user.get("is_logged_in"):
        return Decision(SIGN_IN, SIGN_IN_MODE, message=SIGN_IN)
    email = user.get("email")
    who = str(user.get("name") or email or "an unnamed account")
    if not isinstance(email, str) or "@" not in email or user.get("email_verified") is False:
        return Decision(REFUSE, SIGN_IN_MODE, who=who, message=NO_EMAIL,
                        log="refused a sign-in without a verified e-mail address")
    if not isinstance(roles, RoleMap):
        problem = str(roles) if roles is not None else "no roles file"
        return Decision(REFUSE, SIGN_IN_MODE, who=email, message=NOT_SET_UP.format(who=email),
                        log=f"refused every sign-in: {problem}")
    member = roles.lookup(email)
    if member is None:
        return Decision(REFUSE, SIGN_IN_MODE, who=email, message=REFUSED.format(who=email),
                        log="refused a signed-in address that is not in the roles file")
    return Decision(ALLOW, SIGN_IN_MODE, role=member.role, grants=member.grants,
                    who=str(user.get("name") or email))
