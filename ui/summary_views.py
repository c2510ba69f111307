"""A manager's draft on screen: the sections as they are written, then the editable text
with its sources, what was removed or left out, how long it took, and the edited text as
DOCX and Markdown to download.

The draft is kept in the session, so editing it (a rerun) never drafts it again, and with
it the id of its audit record (for feedback on it).
"""

from __future__ import annotations

import re
import tempfile
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from assistant.summary.contract import Section, Summary
from assistant.summary.export import source_lines, to_docx, to_markdown
from ui import markup
from ui.text import ui_text

DRAFT = "summary_draft"
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
LEFT_OUT = "Dokumentet var för långt för tidsbudgeten; detta kom inte med: "


@dataclass
class Draft:
    """The latest draft of this session and its text as last edited."""

    key: str  # of its text area: a new draft gets a new one
    summary: Summary
    documents: list[str]  # the documents' labels, as they were chosen
    text: str
    record_id: int | None = None  # its audit record (None: not logged)
    # The downloads of the text they were built from: (text, docx, markdown).
    _exports: tuple[str, bytes, str] | None = None

    def exports(self, text: str) -> tuple[bytes, str]:
        """DOCX and Markdown of ``text``, built again only when it has changed."""
        if self._exports is None or self._exports[0] != text:
            markdown = to_markdown(self.summary, text)
            self._exports = (text, docx_bytes(self.summary, text), markdown)
        return self._exports[1], self._exports[2]


def current_draft() -> Draft | None:
    draft: Draft | None = st.session_state.get(DRAFT)
    return draft


def keep_draft(summary: Summary, documents: list[str], record_id: int | None = None) -> Draft:
    number = st.session_state.get("summary_drafts", 0) + 1
    st.session_state["summary_drafts"] = number
    draft = Draft(f"summary_text_{number}", summary, documents, summary.summary, record_id)
    st.session_state[DRAFT] = draft
    return draft


def show_section(section: Section) -> None:
    """One section as it arrives: its heading and text, the citation markers as text."""
    st.markdown(f"**{markup.text(section.heading)}**")
    st.markdown(markup.text(section.text))


def render_draft(
    draft: Draft, endpoint: str, on_export: Callable[[Draft, str], None] | None = None
) -> None:
    """The draft, editable, with its downloads; ``on_export(draft, file_name)`` is called
    when one is downloaded."""
    summary = draft.summary
    st.subheader(f"{ui_text().summary_kinds[summary.kind]}: utkast", divider="gray")
    st.caption(markup.text("Dokument: " + "; ".join(draft.documents)))
    if summary.notice:
        st.warning(markup.text(summary.notice), icon=":material/warning:")
    if summary.left_out:
        st.warning(markup.text(LEFT_OUT + "; ".join(summary.left_out)), icon=":material/timer:")
    # Widget state is dropped when another page is shown: the draft keeps the edits.
    st.session_state.setdefault(draft.key, draft.text)
    text: str = st.text_area(
        "Utkastet (redigera fritt; [1], [2] … hänvisar till källorna nedan)",
        key=draft.key,
        height=420,
        on_change=_edited,
        args=(draft,),
    )
    docx, markdown = draft.exports(text)
    name = _file_name(summary)
    left, right = st.columns(2)
    left.download_button(
        "Ladda ned som Word (DOCX)",
        docx,
        file_name=f"{name}.docx",
        mime=DOCX_MIME,
        on_click=on_export or "rerun",
        args=(draft, f"{name}.docx"),
        icon=":material/download:",
        width="stretch",
    )
    right.download_button(
        ui_text().download_markdown,
        markdown,
        file_name=f"{name}.md",
        mime="text/markdown",
        on_click=on_export or "rerun",
        args=(draft, f"{name}.md"),
        icon=":material/download:",
        width="stretch",
    )
    _citations(summary)
    if summary.unsupported:
        with st.expander(ui_text().removed_unsupported):
            for sentence in summary.unsupported:
                st.markdown(f"- {markup.text(sentence)}")
    st.caption(_made_by(summary, endpoint))


def _edited(draft: Draft) -> None:
    draft.text = st.session_state[draft.key]


def _citations(summary: Summary) -> None:
    lines = source_lines(summary)
    with st.expander(f"Källor ({len(lines)})", icon=":material/format_quote:"):
        if not lines:
            st.caption("Utkastet hänvisar inte till några utdrag.")
        for line, source in zip(lines, summary.citations, strict=True):
            st.markdown(f"**{markup.text(line)}**")
            st.markdown("> " + markup.text(" ".join(source.quote.split())))


def _made_by(summary: Summary, endpoint: str) -> str:
    if summary.model == "extractive":
        who = "Extraktivt utkast: meningar ur dokumenten, ingen språkmodell"
    else:
        who = f"Skrivet av {summary.model} ({endpoint}), kontrollerat mot källorna"
    took = f"{_seconds(summary.timings_ms.get('total', 0.0))} s"
    first = summary.timings_ms.get("first_section")
    if first is not None:
        took += f", första avsnittet efter {_seconds(first)} s"
    return markup.text(f"{who} · {took}")


def _seconds(ms: float) -> str:
    return f"{ms / 1000:.1f}".replace(".", ",")


def docx_bytes(summary: Summary, text: str) -> bytes:
    """The draft as a Word document, in memory (``to_docx`` writes a file)."""
    with tempfile.TemporaryDirectory(prefix="utkast-") as folder:
        return to_docx(summary, Path(folder) / "utkast.docx", text).read_bytes()


def _file_name(summary: Summary) -> str:
    """``sammanfattning-resepolicy``: the kind and the first document, plain letters."""
    stem = Path(summary.documents[0]).stem if summary.documents else "dokument"
    kind = ui_text().summary_kinds[summary.kind]
    words = f"{kind} {stem}" + (" m.fl." if len(summary.documents) > 1 else "")
    plain = unicodedata.normalize("NFKD", words).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-") or "utkast"
