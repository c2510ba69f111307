"""Admin: what the index holds, how the last sync went, a sync now, and the model in use.

Measuring the answers has its own page, Utvärdering (``ui/app_pages/evaluation.py``).

An admin is a reader too: a file (skipped or incomplete) is named only when the admin's
groups may read it, the others are a count; every name, path and message shown has its
personal identity numbers masked, whatever the ingest policy.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from assistant import clock
from assistant.errors import AssistantError
from assistant.models.endpoints import display_url
from assistant.runtime import Runtime
from assistant.settings import RetrievalSettings, Settings
from assistant.store.access import readable_by
from assistant.text.personal import mask_personal_numbers
from ingest import sharepoint, web
from ingest.errors import Reason
from ingest.mirror import Mirrored
from ingest.report import FileResult, RunReport
from ingest.status import IndexStatus, LastSync, SkippedFile, index_status
from ingest.sync import IngestJob
from ui import markup
from ui.auth import current_viewer, require
from ui.components import endpoint_label
from ui.jobs import Progress, run_job
from ui.personal_data import personal_data_section
from ui.recording import record_action
from ui.state import PDFIUM_LOCK, SYNC_LOCK, app_runtime, app_settings
from ui.text import ui_text


def main() -> None:
    settings = app_settings()
    viewer = current_viewer(settings)
    require(viewer, "admin")
    runtime = app_runtime(settings)
    st.title(ui_text().pages["admin"])
    try:
        status = index_status(settings, runtime.store)
    except AssistantError as exc:  # the store failed: say so, as every page does
        st.error("Indexet går inte att läsa just nu: " + markup.text(str(exc)))
        _model(settings, runtime)
        return
    allowed = set(readable_by(viewer.groups))
    _index(status, allowed)
    _retrieval(settings.retrieval)
    _last_run(status.last_run, allowed)
    personal_data_section(runtime, viewer)
    _sync(settings, runtime, status.last_run)
    _model(settings, runtime)
    st.page_link(
        "app_pages/evaluation.py",
        label="Mät svarens kvalitet med en testsvit under Utvärdering",
        icon=":material/fact_check:",
    )


def _index(status: IndexStatus, allowed: set[str]) -> None:
    st.header("Index", divider="gray")
    index = status.contents
    if index is None:
        st.error(markup.text(status.busy or ""))
        return
    left, right = st.columns(2)
    left.metric("Dokument", index.documents)
    right.metric("Textavsnitt", index.chunks)
    formats = ", ".join(f"{name} {n}" for name, n in index.formats.items()) or "–"
    store = status.store
    kind = "inbäddad Qdrant" if store.kind == "embedded" else "Qdrant-server"
    st.markdown(markup.text(f"Format: {formats}\nSenast indexerat: {_when(index.last_indexed_at)}"))
    st.caption(markup.text(f"{kind} · {store.location} · samling {store.collection}"))
    incomplete = index.incomplete_documents
    named = [d.file for d in incomplete if _readable(d.groups, allowed)]
    if named:
        st.warning("Ofullständigt indexerade (synkronisera igen): " + _shown(", ".join(named)))
    if others := len(incomplete) - len(named):
        what = "ofullständigt indexerat" if others == 1 else "ofullständigt indexerade"
        what += " dokument"
        st.warning(f"{others} {what} utanför dina grupper (synkronisera igen)")


def _retrieval(r: RetrievalSettings) -> None:
    search = {"hybrid": "e5 och BM25 (RRF i Qdrant)", "dense": "bara e5", "sparse": "bara BM25"}
    words = "sammansatta ord delas" if r.compounds else "sammansatta ord delas inte"
    rerank = (
        f"omrankning via {display_url(r.rerank.base_url or '')}"
        if r.rerank.provider == "endpoint"
        else "ingen omrankning"
    )
    st.caption(markup.text(f"Sökning: {search[r.mode]} · {words} · {rerank}"))


def _last_run(run: LastSync | None, allowed: set[str]) -> None:
    st.header("Senaste synkronisering", divider="gray")
    if run is None:
        st.caption("Ingen synkronisering har körts ännu.")
        return
    st.markdown(
        f"Startad {_when(run.started_at)}, klar {_when(run.finished_at)} · mappar: "
        + _shown(", ".join(run.roots))
    )
    _totals(run.totals)
    if run.aborted:
        st.error("Körningen avbröts: " + _shown(run.aborted))
    _errors(run.errors, allowed)


def _totals(totals: dict[str, int | float]) -> None:
    statuses = ui_text().sync_statuses
    for column, (key, label) in zip(st.columns(len(statuses)), statuses.items(), strict=True):
        column.metric(label, totals[key])
    st.caption(
        f"{totals['pages']} sidor ({totals['ocr_pages']} med OCR), "
        f"{totals['chunks']} nya textavsnitt, {totals['files_seen']} filer genomgångna"
    )


def _errors(errors: list[SkippedFile], allowed: set[str]) -> None:
    if not errors:
        return
    st.markdown(f"**Filer som hoppades över ({len(errors)})**")
    if withheld := sum(e.reason == Reason.ACCESS_RULES for e in errors):
        st.warning(
            f"{_files(withheld)} undanhålls från alla: behörighetsreglerna (access.toml) går "
            "inte att läsa. Rätta dem och synkronisera igen, så indexeras filerna på nytt. "
            "Vilken regelfil det gäller står i rapporten på servern (assistant status)."
        )
    named = [e for e in errors if _readable(e.groups, allowed)]
    if named:
        st.dataframe(
            [
                {"Fil": _masked(e.file), "Orsak": e.reason, "Meddelande": _masked(e.message or "")}
                for e in named
            ],
            hide_index=True,
        )
    if others := len(errors) - len(named):
        st.caption(f"{_files(others)} utanför dina grupper")


def _sync(settings: Settings, runtime: Runtime, last: LastSync | None) -> None:
    st.header("Synkronisera", divider="gray")
    st.caption(
        "Indexerar nya och ändrade filer i dokumentmapparna och tar bort filer som "
        "försvunnit ur dem. Oförändrade filer hoppas över. Körs i appen, som äger indexet. "
        "Vilka mappar, webbplatser och SharePoint-webbplatser som finns att välja bestäms i "
        "inställningarna (ingest.roots, ingest.web_sources, ingest.sharepoint_sources). En "
        "webbplats hämtas först på nytt (robots.txt följs; oförändrade sidor hämtas inte "
        "igen); från SharePoint hämtas bara det som ändrats sedan förra gången, med "
        "behörigheterna."
    )
    sources = _sources(settings)
    configured = [str(root) for root in settings.document_roots] + list(sources)
    last_roots = last.roots if last else []
    remembered = [r for r in last_roots if r in configured] + [
        key for key, (_, folder) in sources.items() if _mirrored_in(folder, last_roots)
    ]
    chosen = st.multiselect(
        "Dokumentmappar och webbplatser",
        configured,
        default=remembered or configured,
        format_func=lambda item: sources[item][0] if item in sources else item,
        placeholder="Välj minst en mapp eller webbplats",
    )
    if st.button("Synkronisera nu", type="primary", icon=":material/sync:"):
        if chosen:
            _run_sync(settings, runtime, chosen)
        else:
            st.warning("Välj minst en mapp eller webbplats.")
    result: RunReport | None = st.session_state.get("sync_result")
    if result is not None:
        t = result.totals()
        summary = (
            f"Synkroniseringen är klar på {_seconds(result.seconds)} s: {t['new']} nya, "
            f"{t['changed']} ändrade, {t['unchanged']} oförändrade, {t['removed']} borttagna "
            f"och {t['failed']} överhoppade filer; {t['chunks']} nya textavsnitt."
        )
        if t["failed"]:
            summary += " Filerna som hoppades över och varför står under Senaste synkronisering."
        st.success(summary)
        lines: list[dict[str, str | int]] = st.session_state.get("sync_sources", [])
        if lines:  # what each source brought
            st.table(lines, hide_index=True)  # a few rows: a plain table screen readers read


def _sources(settings: Settings) -> dict[str, tuple[str, Path]]:
    """The configured web sites and SharePoint sites by the key the sync's choice holds
    (a site's start URL; a SharePoint site's name), each with its label and its mirror."""
    sources = {
        site.start_url: (f"Webbplats: {site.start_url}", web.mirror_dir(settings.web_dir, site))
        for site in settings.ingest.web_sources
    }
    for source in settings.ingest.sharepoint_sources:
        folder = sharepoint.mirror_dir(settings.sharepoint_dir, source)
        sources[source.site] = (f"SharePoint: {source.site}", folder)
    return sources


def _run_sync(settings: Settings, runtime: Runtime, chosen: list[str]) -> None:
    viewer = current_viewer(settings)
    require(viewer, "admin")  # checked again where the action happens
    roots = [root for root in settings.document_roots if str(root) in chosen]
    sites = [site for site in settings.ingest.web_sources if site.start_url in chosen]
    libraries = [s for s in settings.ingest.sharepoint_sources if s.site in chosen]
    if len(roots) + len(sites) + len(libraries) != len(chosen):
        st.error(
            "Bara de dokumentmappar och webbplatser som finns i inställningarna kan synkroniseras."
        )
        return
    missing = [str(root) for root in roots if not root.is_dir()]
    if missing:
        st.error("Mappen finns inte: " + markup.text(", ".join(missing)))
        return

    # Each source with its label, its root and what its crawl or sync could not fetch.
    parts: list[tuple[str, Path, list[FileResult]]] = [(str(root), root, []) for root in roots]

    def sync(progress: Progress) -> RunReport:
        mirrored = Mirrored()  # each site's mirror brought up to date first
        steps = len(sites) + len(libraries)
        for done, site in enumerate(sites):
            progress(done, steps, f"hämtar webbplatsen {site.start_url}")
            one = web.crawl_sites(settings, [site])
            parts.append((f"Webbplats: {site.start_url}", one.roots[0], one.problems))
            mirrored.extend(one)
        for done, library in enumerate(libraries, start=len(sites)):
            progress(done, steps, f"hämtar från SharePoint {library.site}")
            one = sharepoint.sync_sources(settings, [library])
            parts.append((f"SharePoint: {library.site}", one.roots[0], one.problems))
            mirrored.extend(one)
        with PDFIUM_LOCK:
            job = IngestJob(settings, runtime.store, runtime.embedder)
            return job.run([*roots, *mirrored.roots], progress=progress, problems=mirrored.problems)

    report = run_job(
        SYNC_LOCK,
        sync,
        name="Synkroniseringen",
        busy="En synkronisering pågår redan. Vänta tills den är klar.",
        unit="filer",
    )
    if report is not None:
        detail = {
            "roots": report.roots,
            "totals": report.totals(),
            "failed": len(report.failed),
            "aborted": report.aborted,
            "seconds": round(report.seconds, 1),
        }
        logged = record_action(settings, viewer, "sync", detail)
        st.session_state["sync_result"] = report
        st.session_state["sync_sources"] = [_per_source(report, *part) for part in parts]
        if logged is not None:  # else the warning that it was not logged stays in view
            st.rerun()  # draw the index figures again, now with the new documents


def _per_source(
    report: RunReport, label: str, root: Path, problems: list[FileResult]
) -> dict[str, str | int]:
    """One source's line of the sync: its files by what happened (counts, no names)."""
    under = root.resolve()
    files = [f for f in report.files if Path(f.source).is_relative_to(under)] + problems
    counts = {status: sum(f.status == status for f in files) for status in _STATUSES}
    return {"Källa": label} | {_STATUSES[status]: n for status, n in counts.items()}


_STATUSES = {
    "new": "Nya",
    "changed": "Ändrade",
    "unchanged": "Oförändrade",
    "removed": "Borttagna",
    "failed": "Överhoppade",
}


def _mirrored_in(folder: Path, roots: list[str]) -> bool:
    """Whether the last sync's roots held a source's mirror."""
    return any(Path(root).is_relative_to(folder.resolve()) for root in roots)


def _model(settings: Settings, runtime: Runtime) -> None:
    st.header("Språkmodell", divider="gray")
    st.markdown(f"Konfigurerad: {markup.text(endpoint_label(settings.model))}")
    default = ui_text().answer_modes[settings.answer.mode]
    st.caption(f"Standardläge för svar: {default}")
    if runtime.chat is not None:
        st.success(f"Svarar: {markup.text(runtime.chat.name)}", icon=":material/check:")
    elif runtime.model_problem:
        st.error("Ingen språkmodell, svaren blir extraktiva: " + markup.text(runtime.model_problem))
    else:
        st.info(f"Ingen språkmodell laddad: {ui_text().started_extractive}.")


def _readable(groups: list[str], allowed: set[str]) -> bool:
    """Whether the viewer may read a file of these groups (none known: no one may)."""
    return not allowed.isdisjoint(groups)


def _masked(text: str) -> str:
    """Text that may hold a file or folder name, its personal identity numbers masked."""
    return mask_personal_numbers(text)[0]


def _shown(text: str) -> str:
    """A name, path or message for Markdown: masked, then made plain text."""
    return markup.text(_masked(text))


def _files(count: int) -> str:
    return f"{count} fil" if count == 1 else f"{count} filer"


def _seconds(value: float) -> str:
    return f"{value:.1f}".replace(".", ",")


def _when(stamp: str | None) -> str:
    return clock.shown(stamp)


main()
