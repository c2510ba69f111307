"""Sammanfatta: a manager picks documents (or lets a topic propose them), chooses what to
draft and for whom, watches it being written, edits it and downloads it (DOCX, Markdown).

Everything listed, proposed, drafted and exported is what the viewer's own groups may
read: the documents come from ``Library.documents(viewer.groups)`` and the summarizer
checks the groups again for every passage. Each finished draft and each download is
recorded in the audit trail; the draft can get a thumbs up or down.
"""

from __future__ import annotations

import streamlit as st

from assistant.errors import AssistantError, InputError
from assistant.runtime import Runtime
from assistant.settings import Settings
from assistant.summary.contract import KINDS, Audience, Kind, Length, Section, Summary
from assistant.summary.contract import Progress as Step  # ui.jobs.Progress is the bar
from assistant.summary.library import DocumentInfo, Library, other_version
from assistant.text.personal import PERSONAL_DATA_WARNING, mask_personal_numbers
from ui import markup
from ui.auth import current_viewer, require
from ui.components import endpoint_label, mode_choice
from ui.jobs import Progress, run_job
from ui.recording import feedback, record_export, record_summary
from ui.state import SUMMARY_LOCK, app_runtime, app_settings, chosen_mode, remember, remembered
from ui.summary_views import Draft, current_draft, keep_draft, render_draft, show_section
from ui.text import ui_text

DOCS = "summary_docs"  # the chosen documents' ids
DRAFTED = "summary_draft_docs"  # the ids of the current draft's documents, for its exports
AUDIENCES: dict[Audience, str] = {
    "staff": "medarbetare",
    "committee": "nämnden",
    "residents": "invånare (klarspråk)",
}
LENGTHS: dict[Length, str] = {"short": "kort", "long": "längre"}
NO_FOLDER = "(översta mappen)"
NO_TYPE = "(utan dokumenttyp)"


def main() -> None:
    settings = app_settings()
    viewer = current_viewer(settings)
    require(viewer, "manager")
    runtime = app_runtime(settings)
    st.title(ui_text().pages["summarize"])
    st.caption(
        "Skriv ett utkast utifrån hela dokument: en sammanfattning, huvudpunkterna, vad som "
        "gäller för personalen eller vad som ändrats mellan två versioner. Varje mening "
        "hänvisar till dokumenten, och du granskar och redigerar texten innan den skickas."
    )
    groups = list(viewer.groups)
    try:
        readable = {d.doc_id: d for d in Library(runtime.store).documents(groups)}
    except AssistantError as exc:
        st.error(ui_text().documents_unreadable.format(reason=markup.text(str(exc))))
        return
    if not readable:
        st.info("Det finns inga dokument som du får läsa. Be en administratör synkronisera.")
        return
    chosen = _documents(readable, runtime, groups)
    kind, length, audience = _what(settings, runtime)
    ready = _check(kind, chosen, readable)
    if st.button("Skriv utkast", type="primary", icon=":material/edit_note:", disabled=not ready):
        _write(settings, runtime, chosen, kind, length, audience)
    draft = current_draft()
    if draft is not None:
        render_draft(draft, endpoint_label(settings.model), on_export=_exported)
        feedback(settings, viewer, draft.record_id)


def _exported(draft: Draft, file_name: str) -> None:
    """``on_click`` of a download: the export goes into the audit trail."""
    settings = app_settings()
    viewer = current_viewer(settings)
    summary = draft.summary
    detail = {  # documents by id: the trail shows their names only to those who may read them
        "what": "summary",
        "format": file_name.rpartition(".")[2],
        "record_id": draft.record_id,
        "kind": summary.kind,
        "doc_ids": list(st.session_state.get(DRAFTED, [])),
        "edited": draft.text != summary.summary,
    }
    record_export(settings, viewer, detail)


# -- which documents ------------------------------------------------------------------


def _documents(
    readable: dict[str, DocumentInfo], runtime: Runtime, groups: list[str]
) -> list[DocumentInfo]:
    st.header("Dokument", divider="gray")
    _topic(readable, runtime, groups)
    docs = list(readable.values())
    left, right = st.columns(2)
    folders = left.multiselect(
        "Mapp",
        sorted({d.folder for d in docs}),
        format_func=lambda f: f or NO_FOLDER,
        placeholder="Alla mappar",
    )
    types = right.multiselect(
        "Dokumenttyp",
        sorted({d.doc_type or "" for d in docs}),
        format_func=lambda t: t or NO_TYPE,
        placeholder=ui_text().all_kinds,
    )
    kept = [i for i in st.session_state.get(DOCS, []) if i in readable]
    st.session_state[DOCS] = kept
    options = [
        d.doc_id
        for d in docs
        if (not folders or d.folder in folders) and (not types or (d.doc_type or "") in types)
    ]
    options += [i for i in kept if i not in options]  # the filters never drop a choice
    ids: list[str] = st.multiselect(
        "Dokument att utgå från",
        options,
        format_func=lambda i: readable[i].label,
        key=remembered(DOCS, []),
        on_change=remember,
        args=(DOCS,),
        placeholder="Skriv för att söka på titel, beteckning eller fil",
    )
    return [readable[i] for i in ids if i in readable]


def _topic(readable: dict[str, DocumentInfo], runtime: Runtime, groups: list[str]) -> None:
    """Documents proposed by searching for a topic: they become the choice to review."""
    with st.form("summary_topic", border=False):
        left, right = st.columns([3, 1], vertical_alignment="bottom")
        topic = left.text_input(
            "Ämne (valfritt)",
            placeholder="t.ex. allt om friskvårdsbidrag",
            help="Dokumenten som bäst handlar om ämnet föreslås nedan. Inget skrivs förrän "
            "du har granskat urvalet och tryckt på Skriv utkast.",
        )
        asked = right.form_submit_button(
            "Föreslå dokument", icon=":material/manage_search:", width="stretch"
        )
    if not asked or not topic.strip():
        return
    topic, personal = mask_personal_numbers(topic.strip())  # before anything sees it
    if personal:
        st.warning(PERSONAL_DATA_WARNING, icon=":material/privacy_tip:")
    try:
        answer = runtime.assistant.ask(topic, groups, mode="extractive")
    except InputError as exc:
        st.error("Ämnet gick inte att söka på: " + markup.text(str(exc)))
        return
    except AssistantError as exc:
        st.error(ui_text().service_down.format(reason=markup.text(str(exc))))
        return
    found = [] if answer.refused else [s.doc_id for s in answer.retrieved]
    proposed = [i for i in dict.fromkeys(found) if i in readable]
    if not proposed:
        st.info(
            f"Inget dokument som du får läsa handlar tydligt om ”{markup.text(topic)}”. "
            "Välj dokument i listan i stället.",
            icon=":material/search_off:",
        )
        return
    st.session_state[DOCS] = proposed  # before the list is drawn: it shows them chosen
    st.success(
        f"Förslag utifrån ”{markup.text(topic)}”: {len(proposed)} dokument. "
        "Granska urvalet nedan innan du skriver utkastet.",
        icon=":material/checklist:",
    )


def _add(doc_id: str) -> None:
    st.session_state[DOCS] = [*st.session_state.get(DOCS, []), doc_id]


# -- what to draft --------------------------------------------------------------------


def _what(settings: Settings, runtime: Runtime) -> tuple[Kind, Length, Audience]:
    st.header("Utkast", divider="gray")
    kind: Kind = st.radio(
        "Vad ska skrivas?",
        KINDS,
        format_func=ui_text().summary_kinds.__getitem__,
        key=remembered("summary_kind", "summary"),
        on_change=remember,
        args=("summary_kind",),
        horizontal=True,
    )
    left, right = st.columns(2)
    with left:
        length: Length = st.radio(
            "Längd",
            list(LENGTHS),
            format_func=LENGTHS.__getitem__,
            key=remembered("summary_length", "short"),
            on_change=remember,
            args=("summary_length",),
            horizontal=True,
        )
    with right:
        audience: Audience = st.radio(
            "Målgrupp",
            list(AUDIENCES),
            format_func=AUDIENCES.__getitem__,
            key=remembered("summary_audience", "staff"),
            on_change=remember,
            args=("summary_audience",),
            horizontal=True,
            help="Språkmodellen skriver för målgruppen, för invånare på klarspråk. Ett "
            "extraktivt utkast citerar dokumenten som de är skrivna.",
        )
    mode_choice(
        settings.answer,
        runtime,
        help="Generativt: språkmodellen skriver utkastet, kontrollerat mot källorna. "
        "Extraktivt: de meningar i dokumenten som säger mest, citerade.",
        quoted="Utkastet citerar dokumenten.",
    )
    return kind, length, audience


def _check(kind: Kind, chosen: list[DocumentInfo], readable: dict[str, DocumentInfo]) -> bool:
    """Whether the choice can be drafted; says why not, and offers the other version."""
    if not chosen:
        st.caption("Välj minst ett dokument ovan.")
        return False
    if kind != "changes":
        for doc in chosen:
            if doc.superseded:
                after = f" av {doc.superseded_by}" if doc.superseded_by else ""
                st.warning(
                    markup.text(f"{doc.title or doc.file} är upphävd eller ersatt{after}."),
                    icon=":material/history:",
                )
        return True
    if len(chosen) == 2:
        return True
    st.info(
        f"{ui_text().summary_kinds['changes']} jämför två versioner av ett dokument: välj "
        f"exakt två (den äldre och den nyare). Nu är {len(chosen)} valda.",
        icon=":material/compare_arrows:",
    )
    if len(chosen) == 1:
        other = other_version(chosen[0], readable)
        if other is not None:
            st.button(
                f"Jämför med {other.label}",
                on_click=_add,
                args=(other.doc_id,),
                icon=":material/add:",
            )
    return False


# -- writing --------------------------------------------------------------------------


def _write(
    settings: Settings,
    runtime: Runtime,
    chosen: list[DocumentInfo],
    kind: Kind,
    length: Length,
    audience: Audience,
) -> None:
    viewer = current_viewer(settings)
    require(viewer, "manager")  # checked again where the action happens
    use_model = chosen_mode(settings.answer, runtime) == "generative"
    slot = st.empty()
    live = slot.container()

    def write(progress: Progress) -> Summary:
        for item in runtime.summarizer.stream(
            [d.doc_id for d in chosen],
            list(viewer.groups),
            kind,
            audience=audience,
            length=length,
            use_model=use_model,
        ):
            if isinstance(item, Summary):
                return item
            if isinstance(item, Step):
                progress(item.done, item.total, item.label)
            elif isinstance(item, Section):
                with live:
                    show_section(item)
        raise AssertionError("the summarizer ended without a summary")  # pragma: no cover

    summary = run_job(
        SUMMARY_LOCK,
        write,
        name="Utkastet",
        busy="Ett annat utkast skrivs just nu. Försök igen om en stund.",
        unit="steg",
    )
    if summary is None:
        slot.empty()
        return
    ids = [d.doc_id for d in chosen]
    # On record before anything more is drawn: a reader who leaves now ends the script run
    # at its next element.
    record_id = record_summary(settings, runtime, viewer, summary, ids)
    slot.empty()  # the finished draft is shown below, editable
    st.session_state[DRAFTED] = ids
    keep_draft(summary, [d.label for d in chosen], record_id)


main()
