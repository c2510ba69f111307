"""Long jobs in the app's process (a sync, an evaluation): one at a time per lock, with a
progress bar while they run and the project's errors as messages."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

import streamlit as st

from assistant.errors import AssistantError, InputError
from ui import markup

T = TypeVar("T")
Progress = Callable[[int, int, str], None]


def run_job(
    lock: threading.Lock,
    work: Callable[[Progress], T],
    *,
    name: str,
    busy: str,
    unit: str,
) -> T | None:
    """``work(progress)`` unless another job holds ``lock``; None when it did not finish.

    ``name`` is the job in a sentence ("Synkroniseringen"), ``busy`` the warning when the
    lock is taken, ``unit`` what the bar counts ("filer": "3 av 10 filer · a.pdf").
    """
    if not lock.acquire(blocking=False):
        st.warning(busy)
        return None
    bar = st.progress(0.0, text="Startar …")

    def progress(done: int, total: int, item: str) -> None:
        text = f"{done} av {total} {unit}" + (f" · {item}" if item else "")
        bar.progress(done / total if total else 1.0, text=markup.text(text))

    try:
        return work(progress)
    except InputError as exc:
        st.error(f"{name} kunde inte starta: {markup.text(str(exc))}")
    except AssistantError as exc:
        st.error(f"{name} avbröts: {markup.text(str(exc))}")
    finally:
        lock.release()
        bar.empty()
    return None
