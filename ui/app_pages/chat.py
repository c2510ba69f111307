"""Fråga: staff ask a question and get a short answer with sources they can open.

A personal identity number in a question is masked before anything else sees it: the
model, the audit trail, the conversation kept in the session and the logs get the masked
question only. Each answer is recorded in the audit trail and can get a thumbs up or down.
"""

from __future__ import annotations

from contextlib import closing

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from assistant.errors import AssistantError, InputError
from assistant.identity import Identity
from assistant.query.contract import Answer, Mode, Queued, Sources
from assistant.runtime import Runtime
from assistant.settings import Settings
from assistant.text.personal import PERSONAL_DATA_WARNING, mask_personal_numbers
from ui import markup
from ui.accessibility import announce
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
from ui.text import ui_text

ANSWER_NOW = "answer_now"  # a question that left the line for an extractive answer


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
    waited = st.session_state.pop(ANSWER_NOW, None)  # left the model's line for this one
    if asked and asked.strip():
        hint.empty()
        question, found = mask_personal_numbers(asked.strip())
        _ask(question, found > 0, viewer, settings, runtime, turns, endpoint)
    elif waited is not None:
        hint.empty()
        question, personal_data = waited
        _ask(question, personal_data, viewer, settings, runtime, turns, endpoint, "extractive")


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
    mode: Mode | None = None,
) -> None:
    _question(question, personal_data)
    with st.chat_message("assistant"):
        placeholder = st.empty()
        answer = _stream(
            (question, personal_data), viewer, settings, runtime, turns, placeholder, mode
        )
        if answer is None:
            return
        # In the trail before it is shown: a reader who leaves as soon as it appears ends
        # the script run at its next element, and the answer must be on record by then.
        record_id = record_answer(settings, runtime, viewer, answer, personal_data)
        with placeholder.container():
            render_answer(answer, str(len(turns)), endpoint)
        # Said once when done, not token by token as it was written.
        announce(("Inget svar i dokumenten: " if answer.refused else "Svaret: ") + answer.answer)
        feedback(settings, viewer, record_id)
    turns.append(Turn(question, answer, record_id, personal_data))


def _stream(
    asked: tuple[str, bool],
    viewer: Identity,
    settings: Settings,
    runtime: Runtime,
    turns: list[Turn],
    placeholder: DeltaGenerator,
    mode: Mode | None,
) -> Answer | None:
    """Show the sources as soon as they are found, the place in the model's line while
    waiting (with a way out: the documents' sentences at once), and the model's text above
    the sources as it arrives; return the checked answer (None on failure)."""
    written = ""
    text = placeholder.container().empty()
    text.caption("Söker i dokumenten …")
    line: DeltaGenerator | None = None
    stream = runtime.assistant.stream(
        asked[0], list(viewer.groups), history(turns), mode or chosen_mode(settings.answer, runtime)
    )
    try:
        with closing(stream):  # leaving early (a rerun) gives up the place in line
            for item in stream:
                if isinstance(item, Answer):
                    return item
                if isinstance(item, Sources):
                    with placeholder.container():
                        text = st.empty()
                        text.caption(
                            "Skriver svaret …" if item.supported else "Söker i dokumenten …"
                        )
                        line = st.empty()
                        found_sources(item)
                elif isinstance(item, Queued):
                    if line is not None:
                        _in_line(line, item.position, asked, len(turns))
                else:
                    if line is not None:
                        line.empty()
                        line = None
                    written += item
                    text.markdown(markup.text(written) + " ▌")
    except InputError as exc:
        placeholder.error(f"Frågan kunde inte besvaras: {exc}")
    except AssistantError as exc:
        placeholder.error(ui_text().service_down.format(reason=exc))
    return None


def _in_line(slot: DeltaGenerator, position: int, asked: tuple[str, bool], turn: int) -> None:
    """'Du är nummer 3 i kön', and a button for the documents' sentences at once."""
    with slot.container():
        st.info(
            f"Många frågar just nu. Du är nummer {position} i kön till språkmodellen.",
            icon=":material/hourglass_top:",
        )
        st.button(
            "Visa meningarna ur dokumenten direkt",
            key=f"answer-now-{turn}-{position}",
            on_click=_answer_now,
            args=(asked,),
            icon=":material/bolt:",
            help="Ett extraktivt svar: de meningar i källorna som bäst svarar på frågan, "
            "utan språkmodell.",
        )


def _answer_now(asked: tuple[str, bool]) -> None:
    st.session_state[ANSWER_NOW] = asked


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
