"""The source viewer: the cited passage with the quote marked, the PDF page, the original,
and for a document from a web source a link to its live page.

The page and the original come from the file at the indexed path only while it is the
indexed document (``ui/original.py``); otherwise the viewer says so and shows the indexed
passage. A document whose personal identity numbers the index masks
(``ingest.personal_numbers`` 'mask') shows its indexed passage only: its page image and its
original file hold the numbers.
"""

from __future__ import annotations

import html
import mimetypes
from base64 import b64encode
from pathlib import Path, PurePath

import streamlit as st

from assistant.query.contract import Source
from ui import markup
from ui.original import OriginalRefused, Refusal, read_original, stamp, synced_root
from ui.pdf_page import render_page
from ui.state import PDFIUM_LOCK, app_settings

MASKED_NOTE = (
    "Dokumentet innehåller personnummer. Här visas bara den indexerade texten, där de är "
    "maskerade (ÅÅMMDD-XXXX): sidbilden och originalfilen visas inte, eftersom de innehåller "
    "numren."
)
_PASSAGE_STYLE = (
    "white-space: pre-wrap; font-size: 0.9rem; line-height: 1.5; padding: 0.75rem; "
    "border-left: 3px solid #d0d4dc; background: rgba(128, 128, 128, 0.06);"
)


# Shown instead of the original when the file at its place is not what was indexed.
CHANGED_NOTE = (
    "Filen på dokumentets plats är inte längre den som indexerades: den har ändrats sedan "
    "indexeringen eller ligger inte där den låg. Originalet visas därför inte, bara den "
    "indexerade texten ovan. Nästa synkronisering läser in filen på nytt."
)


def live_page_link(url: str | None, key: str | None = None) -> None:
    """A link to the live page of a web or SharePoint source's document (http and https
    only; nothing is fetched here)."""
    if url and url.startswith(("https://", "http://")):
        st.link_button("Öppna sidan", url, key=key, icon=":material/open_in_new:")


class _Busy(Exception):
    """PDF rendering must wait (pdfium is single-threaded); not cached, tried again later."""


def source_viewer(source: Source, passage: str, key: str) -> None:
    """What the citation rests on: passage, page image (PDFs) and the original file.

    The original is read (and its content hash checked) here, so only when a viewer is
    opened; answers and citation cards never touch the files.
    """
    st.html(f'<div style="{_PASSAGE_STYLE}">{markup.highlighted(passage, source.quote)}</div>')
    if source.masked:
        st.caption(MASKED_NOTE)
        return
    live_page_link(source.url)
    name = source.rel_path or source.file  # never the server's absolute path
    path = Path(source.source) if source.source else None
    found = _original(path, source) if path is not None else Refusal.GONE
    if found == Refusal.GONE:
        st.warning(f"Originalfilen finns inte längre på sin plats ({markup.text(name)}).")
        return
    if isinstance(found, Refusal):
        st.warning(CHANGED_NOTE, icon=":material/sync_problem:")
        return
    file_name = PurePath(source.file or name).name
    if file_name.lower().endswith(".pdf") and source.page:
        _pdf_page(found, source.content_hash, file_name, source.page, source.quote, passage)
    st.download_button(
        "Ladda ned originalet",
        data=found,  # the bytes whose hash was checked: nothing is read again
        file_name=file_name,
        mime=mimetypes.guess_type(file_name)[0] or "application/octet-stream",
        key=f"download-{key}",
        icon=":material/download:",
        on_click="ignore",
    )


def _original(path: Path, source: Source) -> bytes | Refusal:
    """The document's bytes if the file at its path is the indexed one, else why not."""
    version = stamp(path)
    if version is None:
        return Refusal.GONE
    roots = list(app_settings().document_roots)
    synced = synced_root(source.source, source.rel_path)
    if synced is not None:
        roots.append(synced)
    return _verified(str(path), version, source.content_hash, tuple(str(r) for r in roots))


@st.cache_data(max_entries=8, ttl=600, show_spinner=False)
def _verified(
    path: str, version: tuple[int, ...], content_hash: str, roots: tuple[str, ...]
) -> bytes | Refusal:
    """``read_original``, cached per file version (``version``: inode, size, times), so a
    viewer left open does not read and hash the file on every rerun."""
    try:
        return read_original(Path(path), content_hash, [Path(r) for r in roots])
    except OriginalRefused as exc:
        return exc.reason


def _pdf_page(
    data: bytes, content_hash: str, name: str, page: int, quote: str, passage: str
) -> None:
    try:
        png = _page_png(content_hash, page, quote, data)
    except _Busy:
        st.caption("Sidbilden visas när pågående synkronisering eller visning är klar.")
        return
    if png is None:
        st.caption(f"Sida {page} kunde inte visas som bild.")
        return
    # The image's text alternative is the passage (shown as text just above it).
    alt = f"Sida {page} av {name}, med det citerade stycket markerat: {' '.join(passage.split())}"
    st.html(
        f'<figure style="margin: 0"><img src="data:image/png;base64,{b64encode(png).decode()}" '
        f'alt="{html.escape(alt, quote=True)}" style="max-width: 100%; height: auto">'
        f"<figcaption>{html.escape(name)}, sida {page}</figcaption></figure>"
    )


@st.cache_data(max_entries=64, show_spinner=False)
def _page_png(content_hash: str, page: int, quote: str, _data: bytes) -> bytes | None:
    """The page rendered from the checked bytes, cached per content (``_data`` hashes to
    ``content_hash``, so it is left out of the key)."""
    if not PDFIUM_LOCK.acquire(timeout=3):
        raise _Busy
    try:
        return render_page(_data, page, quote)
    finally:
        PDFIUM_LOCK.release()
