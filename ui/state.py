"""What the app keeps: one ``Runtime`` per process, and each viewer's conversation and choices.

The runtime owns the embedded store, so there is exactly one, opened on first use (never
ingesting anything) and closed when its cache entry is cleared or the process exits.
"""

from __future__ import annotations

import atexit
import hashlib
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import streamlit as st

from assistant.query.contract import Answer, Mode
from assistant.runtime import Runtime, open_runtime
from assistant.settings import AnswerSettings, Settings, load_settings
from assistant.trail import AuditTrail, open_database

# Only one sync at a time in this process: the job writes to the store everyone reads.
SYNC_LOCK = threading.Lock()
# pdfium is not thread-safe: a sync (which parses PDFs) and page rendering take turns.
PDFIUM_LOCK = threading.Lock()
# One evaluation at a time: a run keeps the CPU busy answering every case of a suite.
EVAL_LOCK = threading.Lock()
# One draft at a time: with a model, drafting a long document keeps it busy for minutes.
SUMMARY_LOCK = threading.Lock()


def app_settings() -> Settings:
    """The settings root, read from the environment (cheap; read on every run)."""
    return load_settings()


def _release(runtime: Runtime) -> None:
    runtime.close()


@st.cache_resource(show_spinner="Öppnar dokumentindexet …", on_release=_release)
def _open(key: str, _settings: Settings) -> Runtime:
    runtime = open_runtime(_settings, with_model=_settings.wants_chat_model())
    atexit.register(runtime.close)  # closing twice is harmless
    return runtime


def app_runtime(settings: Settings) -> Runtime:
    """The process's runtime for these settings (the app's, sign-in's and ingest's sections
    do not matter to it: a sync takes the settings of its run).

    ``st.cache_resource.clear()`` closes it; a failure (e.g. ``StoreBusyError``) is not
    cached, so the next run tries again.
    """
    shape = settings.model_dump_json(exclude={"ui", "auth", "ingest", "db", "audit"})
    return _open(hashlib.sha256(shape.encode()).hexdigest(), settings)


# -- the viewer's conversation ------------------------------------------------------------


@dataclass(frozen=True)
class Turn:
    question: str  # as asked, personal identity numbers masked
    answer: Answer
    record_id: int | None = None  # its audit record, for feedback (None: not logged)
    personal_data: bool = False  # the question held a personal identity number


def conversation() -> list[Turn]:
    turns: list[Turn] = st.session_state.setdefault("turns", [])
    return turns


def history(turns: Sequence[Turn]) -> list[dict[str, str]]:
    """Earlier turns as the assistant wants them, so follow-ups can be rewritten."""
    messages: list[dict[str, str]] = []
    for turn in turns:
        messages.append({"role": "user", "content": turn.question})
        messages.append({"role": "assistant", "content": turn.answer.answer})
    return messages


def clear_conversation() -> None:
    st.session_state["turns"] = []


# -- choices that outlive a page switch ---------------------------------------------------


def remembered(name: str, default: Any) -> str:
    """Key of a widget whose value survives page switches (Streamlit drops widget state
    of widgets not drawn in a run, so the value is also kept under ``name``)."""
    widget_key = f"_widget_{name}"
    st.session_state.setdefault(name, default)
    st.session_state[widget_key] = st.session_state[name]
    return widget_key


def remember(name: str) -> None:
    """``on_change`` callback for a widget made with ``remembered(name, ...)``."""
    st.session_state[name] = st.session_state[f"_widget_{name}"]


def chosen_mode(answer: AnswerSettings, runtime: Runtime) -> Mode:
    if runtime.chat is None:
        return "extractive"
    mode: Mode = st.session_state.get("mode", answer.mode)
    return mode


# -- the audit trail ----------------------------------------------------------------------


def _close_trail(trail: AuditTrail) -> None:
    trail.db.close()


@st.cache_resource(show_spinner="Öppnar granskningsloggen …", on_release=_close_trail)
def _open_trail(key: str, _settings: Settings) -> AuditTrail:
    return AuditTrail(open_database(_settings.database_url), _settings.audit)


def app_trail(settings: Settings) -> AuditTrail:
    """The process's audit trail; its database is migrated when first opened. A failed
    migration raises ``MigrationError`` (nothing is cached, the next run tries again)."""
    # The URL and the hash key are secrets, which the JSON dump masks: hashed in as values.
    key = settings.audit.hash_key.get_secret_value() if settings.audit.hash_key else ""
    shape = "\n".join((settings.database_url, settings.audit.model_dump_json(), key))
    return _open_trail(hashlib.sha256(shape.encode()).hexdigest(), settings)
