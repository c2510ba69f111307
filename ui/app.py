"""The web app: ``assistant ui`` (which also starts the model and passes the sign-in
settings to Streamlit), or ``streamlit run ui/app.py`` without sign-in.

Finds out who is viewing (signed in through the organisation's provider, or the one local
user), opens the audit trail (migrating its database: if that fails, the app does nothing
else) and the one runtime of this process (nothing is ingested here), and offers the
pages the viewer's role allows: Fråga for everyone, Sammanfatta for managers (and admins),
Admin, Utvärdering and Granskning for admins, and the accessibility statement
(Tillgänglighet) for all. Each page checks the role again itself.
Errors of the project become messages.
"""

from __future__ import annotations

import streamlit as st

from assistant.errors import AssistantError, ConfigError, StoreBusyError
from ui import markup
from ui.accessibility import page_support
from ui.auth import current_viewer, guard_address, viewer_sidebar
from ui.recording import open_trail
from ui.state import app_runtime, app_settings
from ui.text import ui_text


def main() -> None:
    try:
        settings = app_settings()
    except ConfigError as exc:
        st.set_page_config(page_title="Dokumentassistent")
        page_support()
        st.error("**Inställningarna går inte att läsa.** " + markup.text(str(exc)))
        st.stop()
    st.set_page_config(page_title=settings.ui.title, page_icon=":material/description:")
    page_support()  # the page's language, a skip link, a live region, contrast
    guard_address(settings)
    viewer = current_viewer(settings)
    open_trail(settings)  # every run: a failed migration stops the app here
    try:
        app_runtime(settings)
        ui_text()  # the app's words, checked: a broken phrases file stops here, with why
    except StoreBusyError as exc:
        st.error(
            "**Dokumentindexet används redan av en annan process.** Stoppa den (till exempel "
            "en pågående `assistant ingest`) och ladda om sidan. Medan appen kör "
            "synkroniserar du från sidan Admin.",
            icon=":material/lock:",
        )
        st.caption(markup.text(str(exc)))
        st.stop()
    except AssistantError as exc:
        st.error("**Appen kunde inte starta.** " + markup.text(str(exc)))
        st.stop()
    # Not in a folder named ``pages/``: Streamlit would serve such files on their own
    # (without this script) when a page's URL is opened first after a restart.
    title = ui_text().pages
    evaluation = st.Page(
        "app_pages/evaluation.py", title=title["evaluation"], icon=":material/fact_check:"
    )
    audit = st.Page("app_pages/audit.py", title=title["audit"], icon=":material/policy:")
    pages = [
        st.Page("app_pages/chat.py", title=title["chat"], icon=":material/chat:", default=True)
    ]
    if viewer.may("manager"):
        pages += [
            st.Page("app_pages/summarize.py", title=title["summarize"], icon=":material/summarize:")
        ]
    if viewer.may("admin"):
        pages += [st.Page("app_pages/admin.py", title=title["admin"], icon=":material/settings:")]
        pages += [evaluation, audit]
    pages += [
        st.Page("app_pages/statement.py", title=title["statement"], icon=":material/accessibility:")
    ]
    page = st.navigation(pages)
    viewer_sidebar(viewer)
    # The evaluation's and the log's tables need the width; reading is easier narrower.
    wide = page.url_path in (evaluation.url_path, audit.url_path)
    st.set_page_config(layout="wide" if wide else "centered")
    page.run()


main()
