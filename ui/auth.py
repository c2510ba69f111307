"""Who is viewing: sign-in through the organisation's provider (``st.login``), roles checked
on the server in every page and before every action. A sign-in older than
``auth.max_session_hours`` shows the sign-in page again.

Without a configured provider the app is for one person on one machine: it serves only
when Streamlit listens on a loopback address and the page's address names this machine,
and that person is a local admin who reads open documents.
"""

from __future__ import annotations

import time
from urllib.parse import urlsplit

import streamlit as st

from assistant.identity import (
    LOCAL_USER,
    Identity,
    SignInRefused,
    is_loopback,
    resolve_identity,
    session_is_fresh,
)
from assistant.settings import Role, Settings
from ui import markup
from ui.accessibility import statement
from ui.text import ui_text


def guard_address(settings: Settings) -> None:
    """Without sign-in, serve nothing when Streamlit listens beyond this machine, nor to a
    page whose address names another host (DNS rebinding: a web page the user visits makes
    its own name resolve to 127.0.0.1; ``assistant ui`` also has Streamlit refuse it)."""
    if settings.auth.enabled:
        return
    host = st.context.headers.get("Host")
    if not served_locally(host):
        st.error(
            "**Appen har ingen inloggning och nås bara som localhost eller 127.0.0.1** "
            f"(sidans adress: {markup.text(host or '')}). Öppna "
            "http://127.0.0.1:8501 (eller den port appen startades på) på den här datorn.",
            icon=":material/lock:",
        )
        st.stop()
    address = st.get_option("server.address")
    if is_loopback(address):
        return
    st.error(
        "**Appen har ingen inloggning och kan nås från andra datorer** "
        f"(adress: {markup.text(address or 'alla')}). Utan inloggning får den bara lyssna "
        "på 127.0.0.1. Starta den med `assistant ui`, eller konfigurera inloggning "
        "(ASSISTANT_AUTH__METADATA_URL med flera; se docs/operations/access-and-sign-in.md).",
        icon=":material/lock:",
    )
    st.stop()


def served_locally(host: str | None) -> bool:
    """Whether a request whose ``Host`` header is ``host`` names this machine (a loopback
    name or address, any port). None: no browser asked (a script run by AppTest)."""
    if host is None:
        return True
    try:
        parts = urlsplit(f"//{host}")
        parts.port  # noqa: B018  (raises on a port that is not a number)
    except ValueError:
        return False
    if parts.username is not None or parts.path or parts.query or parts.fragment:
        return False
    return is_loopback(parts.hostname)


def current_viewer(settings: Settings) -> Identity:
    """The viewer of this run. Without one, shows the sign-in page and stops the run."""
    auth = settings.auth
    if not auth.enabled:
        return LOCAL_USER
    if "is_logged_in" not in st.user:  # Streamlit was not given the provider
        st.error(
            "**Inloggningen är inställd men når inte Streamlit.** Starta appen med "
            "`assistant ui`, som ger Streamlit leverantörens uppgifter.",
            icon=":material/lock:",
        )
        st.stop()
    if not st.user.is_logged_in:
        _sign_in_page(settings)
    claims = st.user.to_dict()
    if not session_is_fresh(claims, auth, now=time.time()):
        _sign_in_page(settings, notice="Din inloggning har gått ut. Logga in igen.")
    try:
        return resolve_identity(claims, auth)
    except SignInRefused as exc:
        st.error("**Du har inte behörighet till appen:** " + markup.text(str(exc)) + ".")
        if st.button("Logga ut", icon=":material/logout:"):
            st.logout()
        st.stop()


def require(viewer: Identity, role: Role) -> None:
    """Stop the run unless the viewer has ``role`` (or a higher one): the real check, on the
    server, whatever the menu shows."""
    if viewer.may(role):
        return
    roles = ui_text().roles
    st.error(
        f"Den här sidan är för rollen {roles[role]}. Du är inloggad som {roles[viewer.role]}.",
        icon=":material/block:",
    )
    st.stop()


def _sign_in_page(settings: Settings, notice: str | None = None) -> None:
    st.title(settings.ui.title)
    if notice:
        st.info(notice, icon=":material/schedule:")
    st.markdown(
        "Logga in med ditt konto i organisationen. Du ser sedan bara dokument som dina "
        "grupper får läsa."
    )
    if st.button("Logga in", type="primary", icon=":material/login:"):
        st.login()
    with st.expander("Tillgänglighetsredogörelse", icon=":material/accessibility:"):
        st.markdown(statement(settings.ui))
    st.stop()


def viewer_sidebar(viewer: Identity) -> None:
    """Who is signed in, with which role and groups, and the way out."""
    with st.sidebar:
        groups = ", ".join(viewer.groups) or ui_text().no_groups
        st.markdown(
            f"**{markup.text(viewer.name)}** · {ui_text().roles[viewer.role]}  \n"
            f"Grupper: {markup.text(groups)}"
        )
        if viewer.notice:
            st.warning(markup.text(viewer.notice), icon=":material/group_off:")
        if viewer.signed_in:
            if st.button("Logga ut", icon=":material/logout:", width="stretch"):
                st.logout()
        else:
            st.caption("Ingen inloggning: appen nås bara från den här datorn.")
