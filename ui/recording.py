"""The app's side of the audit trail: opening it, recording every answer, summary and admin
action, and the thumbs under an answer or a draft.

Recording never costs the user what they asked for: when the database fails, they get it
with a short warning, and the log names the failure, never the question.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from assistant.errors import AssistantError
from assistant.identity import Identity
from assistant.query.contract import Answer
from assistant.runtime import Runtime
from assistant.settings import Settings
from assistant.summary.contract import Summary
from assistant.trail import AuditTrail
from assistant.trail.audit import REASONS
from assistant.trail.db import failure_said
from ui import markup
from ui.state import app_trail
from ui.text import ui_text

log = logging.getLogger(__name__)
NOT_LOGGED = "Det gick inte att spara detta i granskningsloggen (databasen svarar inte)."
THANKS = "Tack för din återkoppling"
GIVEN = "feedback_given"  # session state: record id -> the score stored for it


def open_trail(settings: Settings) -> AuditTrail:
    """The audit trail, migrated; when it cannot be opened the app says why and stops."""
    try:
        return app_trail(settings)
    except AssistantError as exc:  # MigrationError, or a db.url that is no URL
        st.error(
            "**Granskningsloggen går inte att öppna, så appen kan inte starta.** "
            + markup.text(str(exc)),
            icon=":material/error:",
        )
        st.stop()


def written(settings: Settings, what: str, write: Callable[[AuditTrail], int]) -> int | None:
    """``write(trail)``'s record id, or None (and a warning) when the trail failed."""
    try:
        return write(app_trail(settings))
    except (SQLAlchemyError, AssistantError, OSError) as exc:
        log.error("The audit trail could not record %s: %s", what, failure_said(exc))
        st.warning(NOT_LOGGED, icon=":material/warning:")
        return None


def endpoint(runtime: Runtime, model: str) -> str:
    """Where the text came from: the chat model's endpoint, or "-" when no model wrote it."""
    return runtime.chat.endpoint if runtime.chat is not None and model != "extractive" else "-"


def record_answer(
    settings: Settings, runtime: Runtime, viewer: Identity, answer: Answer, personal_data: bool
) -> int | None:
    """``personal_data``: the question held personal identity numbers (masked already)."""
    where = endpoint(runtime, answer.model)
    return written(
        settings,
        "an answer",
        lambda t: t.answer(viewer, answer, endpoint=where, personal_data=personal_data),
    )


def record_summary(
    settings: Settings, runtime: Runtime, viewer: Identity, summary: Summary, doc_ids: list[str]
) -> int | None:
    """``doc_ids``: the summarized documents, in order; the trail keeps them by id only."""
    where = endpoint(runtime, summary.model)
    kind = ui_text().summary_kinds[summary.kind]
    return written(
        settings,
        "a summary",
        lambda t: t.summary(viewer, summary, request=kind, endpoint=where, doc_ids=doc_ids),
    )


def record_action(
    settings: Settings, viewer: Identity, action: str, detail: dict[str, Any]
) -> int | None:
    """Record an admin action (a sync, an evaluation run, an export)."""
    return written(settings, f"the action {action!r}", lambda t: t.action(viewer, action, detail))


def record_export(settings: Settings, viewer: Identity, detail: dict[str, Any]) -> None:
    """``on_click`` of a download button: the export goes into the trail (its documents
    by id, ``doc_ids``, never by name)."""
    record_action(settings, viewer, "export", detail)


def feedback(settings: Settings, viewer: Identity, record_id: int | None) -> None:
    """Thumbs under an answer or a draft: up is stored at once, down asks why first.

    What was stored is kept in the session by record id, so the thumbs of earlier turns
    work after reruns and page switches.
    """
    if record_id is None:  # not in the trail: nothing to give feedback on
        return
    given: dict[int, int] = st.session_state.setdefault(GIVEN, {})
    choice = st.feedback("thumbs", key=f"feedback_{record_id}", persist_state="session")
    if choice == 1 and given.get(record_id) != 1:
        if _give(settings, viewer, record_id, 1):
            given[record_id] = 1
    elif choice == 0 and given.get(record_id) != 0:
        slot = st.empty()
        with slot.container(), st.form(f"feedback_form_{record_id}", border=False):
            reason = st.selectbox(
                "Vad var fel?",
                list(REASONS),
                index=None,
                format_func=REASONS.__getitem__,
                placeholder="Välj en orsak",
                key=f"feedback_reason_{record_id}",
            )
            comment = st.text_area(
                "Kommentar (valfritt)",
                key=f"feedback_comment_{record_id}",
                max_chars=2000,
                placeholder="Vad saknades eller var fel? Skriv inga personuppgifter.",
            )
            sent = st.form_submit_button("Skicka", icon=":material/send:")
        if sent and _give(settings, viewer, record_id, 0, reason, comment):
            given[record_id] = 0
            slot.empty()
    if choice is not None and given.get(record_id) == choice:
        st.caption(THANKS)


def _give(
    settings: Settings,
    viewer: Identity,
    record_id: int,
    score: int,
    reason: str | None = None,
    comment: str | None = None,
) -> bool:
    def give(trail: AuditTrail) -> int:
        trail.give_feedback(record_id, viewer, score, reason, comment)
        return record_id

    try:
        return written(settings, "feedback", give) is not None
    except PermissionError:  # not the person answered (e.g. signed in as someone else)
        st.warning("Återkoppling ges av den som fick svaret.", icon=":material/block:")
        return False
