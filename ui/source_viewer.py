"""The source viewer: the cited passage with the quote marked, the PDF page, the original.

A document whose personal identity numbers the index masks (``ingest.personal_numbers``
'mask') shows its indexed passage only: its page image and its original file hold the
numbers.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path

import streamlit as st

from assistant.query.answer import Source
from ui import markup
from ui.pdf_page import render_page
from ui.state import PDFIUM_LOCK

MASKED_NOTE = (
    "Dokumentet innehåller personnummer. Här visas bara den indexerade texten, där de är "
    "maskerade (ÅÅMMDD-XXXX): sidbilden och originalfilen visas inte, eftersom de innehåller "
    "numren."
)
_PASSAGE_STYLE = (
    "white-space: pre-wrap; font-size: 0.9rem; line-height: 1.5; padding: 0.75rem; "
    "border-left: 3px solid #d0d4dc; background: rgba(128, 128, 128, 0.06);"
)


class _Busy(Exception):
    """PDF rendering must wait (pdfium is single-threaded); not cached, tried again later."""


def source_viewer(source: Source, passage: str, key: str) -> None:
    """What the citation rests on: passage, page image (PDFs) and the original file."""
    st.html(f'<div style="{_PASSAGE_STYLE}">{markup.highlighted(passage, source.quote)}</div>')
    if source.masked:
        st.caption(MASKED_NOTE)
        return
    path = Path(source.source) if source.source else None
    if path is None or not path.is_file():
        where = source.source or source.file
        st.warning(f"Originalfilen finns inte längre på sin plats ({where}).")
        return
    if path.suffix.lower() == ".pdf" and source.page:
        _pdf_page(path, source.page, source.quote)
    st.download_button(
        "Ladda ned originalet",
        data=lambda: path.read_bytes(),
        file_name=path.name,
        mime=mimetypes.guess_type(path.name)[0] or "application/octet-stream",
        key=f"download-{key}",
        icon=":material/download:",
        on_click="ignore",
    )


def _pdf_page(path: Path, page: int, quote: str) -> None:
    try:
        png = _page_png(str(path), path.stat().st_mtime_ns, page, quote)
    except _Busy:
        st.caption("Sidbilden visas när pågående synkronisering eller visning är klar.")
        return
    if png is None:
        st.caption(f"Sida {page} kunde inte visas som bild.")
        return
    st.image(png, caption=f"{path.name}, sida {page}")


@st.cache_data(max_entries=64, show_spinner=False)
def _page_png(path: str, mtime_ns: int, page: int, quote: str) -> bytes | None:
    """Rendered page, cached per file version (``mtime_ns`` is part of the key)."""
    if not PDFIUM_LOCK.acquire(timeout=3):
        raise _Busy
    try:
        return render_page(Path(path), page, quote)
    finally:
        PDFIUM_LOCK.release()
