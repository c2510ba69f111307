"""Tillgänglighet: the app's accessibility statement (tillgänglighetsredogörelse), for
everyone, signed in or not.

The text is ``ui/accessibility.sv.md``, with the organisation, the app's name and where to
report a problem filled in from the settings (``ui.organisation``,
``ui.accessibility_contact``); an operator publishes the same text on the intranet.
"""

from __future__ import annotations

import streamlit as st

from ui.accessibility import statement
from ui.state import app_settings


def main() -> None:
    settings = app_settings()
    st.title("Tillgänglighetsredogörelse")
    st.markdown(statement(settings.ui))


main()
