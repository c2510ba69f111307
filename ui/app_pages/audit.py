"""Granskning: the audit trail, for admins. Logg lists, filters and opens the records and
exports them as CSV; Kunskapsluckor groups refused questions and thumbs-down answers by
topic, with charts and a report per folder to send its owner.

An admin sees the trail only as their own groups may read its sources: the answer, the
quotes, the names and the live pages of documents they may not read are withheld
(``AuditRecord.visible_to``) in the table, the opened record, the export and the content
gaps alike (a summary's request and an export's details included), and the documents
closest to a gap are found with their groups. Every export is recorded.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from assistant import clock
from assistant.errors import AssistantError
from assistant.identity import Identity
from assistant.runtime import Runtime
from assistant.settings import Settings
from assistant.summary.library import DocumentInfo, Library
from assistant.trail import AuditTrail, Readable
from assistant.trail.audit import records_csv
from assistant.trail.gaps import GapReport, content_gaps
from ui import markup
from ui.audit_views import (
    gap_charts,
    gap_table,
    log_filters,
    record_label,
    record_table,
    show_record,
)
from ui.auth import current_viewer, require
from ui.recording import open_trail, record_export
from ui.state import app_runtime, app_settings
from ui.text import ui_text

LIMIT = 1000  # records listed (and exported) at most: the newest
PERIODS = {30: "30 dagar", 90: "90 dagar", 365: "365 dagar"}
REPORTS = "gap_reports"  # session state: (days, groups) -> (computed at, report)
CSV_MIME = "text/csv"


def main() -> None:
    settings = app_settings()
    viewer = current_viewer(settings)
    require(viewer, "admin")
    runtime = app_runtime(settings)
    trail = open_trail(settings)
    st.title(ui_text().pages["audit"])
    st.caption(
        "Vad assistenten har svarat, på vilka källor, och vad användarna tyckte. Du ser "
        "bara källor som dina grupper får läsa: svar och citat ur andra dokument visas inte."
    )
    try:
        documents = Library(runtime.store).documents(list(viewer.groups))
    except AssistantError as exc:
        st.error(ui_text().documents_unreadable.format(reason=markup.text(str(exc))))
        return
    log, gaps = st.tabs(["Logg", "Kunskapsluckor"], key="audit_tab", on_change="rerun")
    readable = Readable.of(documents)
    with log:
        if log.open:
            _log(settings, viewer, trail, documents, readable)
    with gaps:
        if gaps.open:
            _gaps(settings, viewer, trail, runtime, readable)


# -- Logg ----------------------------------------------------------------------------


def _log(
    settings: Settings,
    viewer: Identity,
    trail: AuditTrail,
    documents: list[DocumentInfo],
    readable: Readable,
) -> None:
    where = log_filters(documents, LIMIT)
    try:
        found = trail.records(where)
    except SQLAlchemyError:
        st.error("Granskningsloggen går inte att läsa just nu (databasen svarar inte).")
        return
    shown = [r.visible_to(readable) for r in found]
    if not shown:
        st.info("Inga poster med de här urvalen.", icon=":material/search_off:")
        return
    newest = f" (de {LIMIT} senaste)" if len(shown) == LIMIT else ""
    st.caption(f"{_count(len(shown), 'post', 'poster')}{newest}, nyaste först.")
    record_table(shown)
    detail = {
        "what": "audit_log",
        "records": len(shown),
        "since": where.since.isoformat(timespec="seconds") if where.since else None,
        "until": where.until.isoformat(timespec="seconds") if where.until else None,
        "user": where.user,
        "document": where.document,
        "refused": where.refused,
        "feedback": where.feedback,
        "kinds": list(where.kinds),
    }
    st.download_button(
        "Exportera CSV",
        records_csv(shown).encode("utf-8-sig"),  # with a BOM: spreadsheets read it as UTF-8
        file_name=f"granskningslogg-{date.today().isoformat()}.csv",
        mime=CSV_MIME,
        on_click=record_export,
        args=(settings, viewer, detail),
        icon=":material/download:",
    )
    by_id = {r.id: r for r in shown}
    if st.session_state.get("audit_record") not in by_id:
        st.session_state.pop("audit_record", None)  # filtered away since
    chosen = st.selectbox(
        "Öppna en post",
        list(by_id),
        index=None,
        format_func=lambda i: record_label(by_id[i]),
        key="audit_record",
        placeholder="Välj en post i listan (sök på id, tid, användare eller fråga)",
    )
    if chosen is not None:
        show_record(by_id[chosen])


# -- Kunskapsluckor ------------------------------------------------------------------


def _gaps(
    settings: Settings, viewer: Identity, trail: AuditTrail, runtime: Runtime, readable: Readable
) -> None:
    st.caption(
        "Frågor som assistenten inte kunde besvara ur dokumenten och svar som fick tummen "
        "ned, grupperade efter ämne, med de dokument som ligger närmast: underlag för vad "
        "som behöver skrivas eller förtydligas, och av vem."
    )
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    days: int = left.radio(
        "Period", list(PERIODS), index=1, format_func=PERIODS.__getitem__, horizontal=True
    )
    refresh = right.button("Uppdatera", icon=":material/refresh:", width="stretch")
    reports: dict[tuple[int, tuple[str, ...]], tuple[datetime, GapReport]] = (
        st.session_state.setdefault(REPORTS, {})
    )
    key = (days, viewer.groups)
    if refresh or key not in reports:
        since = datetime.now(UTC) - timedelta(days=days)
        try:
            with st.spinner("Grupperar frågorna efter ämne …"):
                report = content_gaps(
                    trail,
                    runtime.embedder,
                    runtime.retriever,
                    viewer.groups,
                    readable=readable,
                    since=since,
                )
        except SQLAlchemyError:
            st.error("Granskningsloggen går inte att läsa just nu (databasen svarar inte).")
            return
        except AssistantError as exc:  # the store or the embedding model
            st.error("Kunskapsluckorna går inte att ta fram just nu: " + markup.text(str(exc)))
            return
        reports[key] = (datetime.now(UTC), report)
    made, report = reports[key]
    questions = _count(len(report.questions), "fråga", "frågor")
    topics = _count(len(report.gaps), "ämne", "ämnen")
    st.caption(f"Beräknat {clock.shown(made)}: {questions} i {topics}.")
    if not report.gaps:
        st.info("Inga obesvarade frågor eller tummen ned under perioden.", icon=":material/done:")
        return
    gap_charts(report)
    st.markdown("**Ämnen**")
    gap_table(report)
    _folder_report(settings, viewer, report, days)


def _folder_report(settings: Settings, viewer: Identity, report: GapReport, days: int) -> None:
    """One folder's topics as CSV and Markdown, for the folder's owner."""
    st.markdown("**Rapport per mapp**")
    folders = report.folders()
    if st.session_state.get("gap_folder") not in folders:
        st.session_state.pop("gap_folder", None)
    folder = st.selectbox("Mapp (där ämnets närmaste dokument ligger)", folders, key="gap_folder")
    if folder is None:
        return
    part = report.for_folder(folder)
    plain = "".join(c if c.isalnum() else "-" for c in folder).strip("-")
    name = f"kunskapsluckor-{plain or 'rot'}"
    detail = {"what": "content_gaps", "folder": folder, "days": days, "topics": len(part.gaps)}
    left, right = st.columns(2)
    left.download_button(
        "Ladda ned som CSV",
        part.to_csv().encode("utf-8-sig"),
        file_name=f"{name}.csv",
        mime=CSV_MIME,
        on_click=record_export,
        args=(settings, viewer, {**detail, "format": "csv"}),
        icon=":material/download:",
        width="stretch",
    )
    right.download_button(
        ui_text().download_markdown,
        part.to_markdown(f"Kunskapsluckor: {folder}"),
        file_name=f"{name}.md",
        mime="text/markdown",
        on_click=record_export,
        args=(settings, viewer, {**detail, "format": "markdown"}),
        icon=":material/download:",
        width="stretch",
    )


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


main()
