"""Fråga: staff ask a question and get a short answer with sources they can open.

A personal identity number in a question is masked before anything else sees it: the
model, the audit trail, the conversation kept in the session and the logs get the masked
question only. Each answer is recorded in the audit trail and can get a thumbs up or down.
"""

from __future__ import annotations

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from assistant.errors import AssistantError, InputError
from assistant.identity import Identity
from assistant.query.answer import Answer, Sources
from assistant.query.runtime import Runtime
from assistant.settings import Settings
from assistant.text.personal import PERSONAL_DATA_WARNING, mask_personal_numbers
from ui import markup
from ui.auth import current_viewer, require
from ui.components import endpoint_label, found_sources, mode_choice, render_answer
from ui.recording import feedback, record_answer
from ui.state import (
    Turn,
    app_runtime,
    app_settings,
    chosen_mode,
    clear_conversation,
    conversation,
    history,
)


def main() -> None:
    settings = app_settings()
    viewer = current_viewer(settings)
    require(viewer, "employee")
    runtime = app_runtime(settings)
    _sidebar(settings, runtime)
    st.title(settings.ui.title)
    turns = conversation()
    hint = st.empty()
    if not turns:
        hint.caption(
            "Ställ en fråga om kommunens riktlinjer och rutiner. Svaret bygger bara på "
            "organisationens egna dokument och visar källorna, så att du kan kontrollera det."
        )
    endpoint = endpoint_label(settings.model)
    for i, turn in enumerate(turns):
        _show_turn(turn, str(i), endpoint, settings, viewer)
    asked = st.chat_input("Skriv din fråga, t.ex. När ska sommarsemester sökas?")
    if asked and asked.strip():
        hint.empty()
        question, found = mask_personal_numbers(asked.strip())
        _ask(question, found > 0, viewer, settings, runtime, turns, endpoint)


def _question(question: str, personal_data: bool) -> None:
    with st.chat_message("user"):
        st.markdown(markup.text(question))
        if personal_data:
            st.warning(PERSONAL_DATA_WARNING, icon=":material/privacy_tip:")


def _show_turn(turn: Turn, key: str, endpoint: str, settings: Settings, viewer: Identity) -> None:
    _question(turn.question, turn.personal_data)
    with st.chat_message("assistant"):
        render_answer(turn.answer, key, endpoint)
        feedback(settings, viewer, turn.record_id)


def _ask(
    question: str,
    personal_data: bool,
    viewer: Identity,
    settings: Settings,
    runtime: Runtime,
    turns: list[Turn],
    endpoint: str,
) -> None:
    _question(question, personal_data)
    with st.chat_message("assistant"):
        placeholder = st.empty()
        answer = _stream(question, viewer, settings, runtime, turns, placeholder)
        if answer is None:
            return
        with placeholder.container():
            render_answer(answer, str(len(turns)), endpoint)
        record_id = record_answer(settings, runtime, viewer, answer, personal_data)
        feedback(settings, viewer, record_id)
    turns.append(Turn(question, answer, record_id, personal_data))


def _stream(
    question: str,
    viewer: Identity,
    settings: Settings,
    runtime: Runtime,
    turns: list[Turn],
    placeholder: DeltaGenerator,
) -> Answer | None:
    """Show the sources as soon as they are found and the model's text above them as it
    arrives; return the checked answer (None on failure)."""
    written = ""
    text = placeholder.container().empty()
    text.caption("Söker i dokumenten …")
    try:
        for item in runtime.assistant.stream(
            question,
            list(viewer.groups),
            history(turns),
            chosen_mode(settings.answer, runtime),
        ):
            if isinstance(item, Answer):
                return item
            if isinstance(item, Sources):
                with placeholder.container():
                    text = st.empty()
                    text.caption("Skriver svaret …" if item.supported else "Söker i dokumenten …")
                    found_sources(item)
                continue
            written += item
            text.markdown(markup.text(written) + " ▌")
    except InputError as exc:
        placeholder.error(f"Frågan kunde inte besvaras: {exc}")
    except AssistantError as exc:
        placeholder.error(f"En tjänst svarar inte, försök igen om en stund. ({exc})")
    return None


def _sidebar(settings: Settings, runtime: Runtime) -> None:
    with st.sidebar:
        mode_choice(
            settings.answer,
            runtime,
            help="Generativt: språkmodellen skriver ett kort svar med källor. "
            "Extraktivt: de meningar i dokumenten som bäst svarar på frågan.",
            quoted="Svaren citerar dokumenten.",
        )
        st.button(
            "Rensa samtalet",
            on_click=clear_conversation,
            icon=":material/delete_sweep:",
            width="stretch",
        )


main()
