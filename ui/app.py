"""The web app: ``streamlit run ui/app.py`` (or ``assistant ui``, which also starts the model).

Opens the one runtime of this process (nothing is ingested here) and hands over to the
pages: Fråga for everyone, Admin for the index, Utvärdering for measuring the answers.
Errors of the project become messages.
"""

from __future__ import annotations

import streamlit as st

from assistant.errors import AssistantError, ConfigError, StoreBusyError
from ui import markup
from ui.state import app_runtime, app_settings


def main() -> None:
    try:
        settings = app_settings()
    except ConfigError as exc:
        st.set_page_config(page_title="Dokumentassistent")
        st.error("**Inställningarna går inte att läsa.** " + markup.text(str(exc)))
        st.stop()
    st.set_page_config(page_title=settings.ui.title, page_icon=":material/description:")
    try:
        app_runtime(settings)
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
    evaluation = st.Page(
        "app_pages/evaluation.py", title="Utvärdering", icon=":material/fact_check:"
    )
    page = st.navigation(
        [
            st.Page("app_pages/chat.py", title="Fråga", icon=":material/chat:", default=True),
            st.Page("app_pages/admin.py", title="Admin", icon=":material/settings:"),
            evaluation,
        ]
    )
    # The evaluation's tables need the width; reading is easier in a narrower column.
    st.set_page_config(layout="wide" if page.url_path == evaluation.url_path else "centered")
    page.run()


main()
