"""Admin: what the index holds, how the last sync went, a sync now, and the model in use.

Measuring the answers has its own page, Utvärdering (``ui/app_pages/evaluation.py``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import streamlit as st

from assistant.errors import AssistantError, InputError
from assistant.models.endpoints import display_url
from assistant.query.runtime import Runtime
from assistant.settings import Settings
from ingest.status import index_status
from ingest.sync import IngestJob
from ui import markup
from ui.components import endpoint_label
from ui.state import PDFIUM_LOCK, SYNC_LOCK, app_runtime, app_settings

STATUS_SV = {
    "new": "Nya",
    "changed": "Ändrade",
    "unchanged": "Oförändrade",
    "removed": "Borttagna",
    "failed": "Överhoppade",
}


def main() -> None:
    settings = app_settings()
    runtime = app_runtime(settings)
    st.title("Admin")
    status = index_status(settings, runtime.store)
    _index(status)
    _retrieval(settings)
    _last_run(status.get("last_run"))
    _sync(settings, runtime, status.get("last_run"))
    _model(settings, runtime)
    st.page_link(
        "app_pages/evaluation.py",
        label="Mät svarens kvalitet med en testsvit under Utvärdering",
        icon=":material/fact_check:",
    )


def _index(status: dict[str, Any]) -> None:
    st.header("Index", divider="gray")
    if "busy" in status:
        st.error(markup.text(status["busy"]))
        return
    left, right = st.columns(2)
    left.metric("Dokument", status["documents"])
    right.metric("Textavsnitt", status["chunks"])
    formats = ", ".join(f"{name} {n}" for name, n in status["formats"].items()) or "–"
    store = status["store"]
    kind = "inbäddad Qdrant" if store["kind"] == "embedded" else "Qdrant-server"
    st.markdown(
        markup.text(f"Format: {formats}\nSenast indexerat: {_when(status['last_indexed_at'])}")
    )
    st.caption(markup.text(f"{kind} · {store['location']} · samling {store['collection']}"))
    if status["incomplete_documents"]:
        st.warning(
            "Ofullständigt indexerade (synkronisera igen): "
            + markup.text(", ".join(status["incomplete_documents"]))
        )


def _retrieval(settings: Settings) -> None:
    r = settings.retrieval
    search = {"hybrid": "e5 och BM25 (RRF i Qdrant)", "dense": "bara e5", "sparse": "bara BM25"}
    words = "sammansatta ord delas" if r.compounds else "sammansatta ord delas inte"
    rerank = (
        f"omrankning via {display_url(r.rerank.base_url or '')}"
        if r.rerank.provider == "endpoint"
        else "ingen omrankning"
    )
    st.caption(markup.text(f"Sökning: {search[r.mode]} · {words} · {rerank}"))


def _last_run(run: dict[str, Any] | None) -> None:
    st.header("Senaste synkronisering", divider="gray")
    if run is None:
        st.caption("Ingen synkronisering har körts ännu.")
        return
    st.markdown(
        f"Startad {_when(run['started_at'])}, klar {_when(run['finished_at'])} · mappar: "
        + markup.text(", ".join(run["roots"]))
    )
    _totals(run["totals"])
    if run["aborted"]:
        st.error("Körningen avbröts: " + markup.text(run["aborted"]))
    _errors(run["errors"])


def _totals(totals: dict[str, Any]) -> None:
    for column, (key, label) in zip(st.columns(len(STATUS_SV)), STATUS_SV.items(), strict=True):
        column.metric(label, totals[key])
    st.caption(
        f"{totals['pages']} sidor ({totals['ocr_pages']} med OCR), "
        f"{totals['chunks']} nya textavsnitt, {totals['files_seen']} filer genomgångna"
    )


def _errors(errors: list[dict[str, Any]]) -> None:
    if not errors:
        return
    st.markdown(f"**Filer som hoppades över ({len(errors)})**")
    st.dataframe(
        [{"Fil": e["file"], "Orsak": e["reason"], "Meddelande": e["message"]} for e in errors],
        hide_index=True,
    )


def _sync(settings: Settings, runtime: Runtime, last: dict[str, Any] | None) -> None:
    st.header("Synkronisera", divider="gray")
    st.caption(
        "Indexerar nya och ändrade filer i mapparna och tar bort filer som försvunnit ur dem. "
        "Oförändrade filer hoppas över. Körs i appen, som äger indexet."
    )
    folders = st.text_area("Mappar (en per rad)", value=_default_roots(settings, last))
    if st.button("Synkronisera nu", type="primary", icon=":material/sync:"):
        roots = [Path(line.strip()).expanduser() for line in folders.splitlines() if line.strip()]
        if roots:
            _run_sync(settings, runtime, roots)
        else:
            st.warning("Ange minst en mapp.")
    result = st.session_state.get("sync_result")
    if result is not None:
        t = result["totals"]
        summary = (
            f"Synkroniseringen är klar på {_seconds(result['seconds'])} s: {t['new']} nya, "
            f"{t['changed']} ändrade, {t['unchanged']} oförändrade, {t['removed']} borttagna "
            f"och {t['failed']} överhoppade filer; {t['chunks']} nya textavsnitt."
        )
        if t["failed"]:
            summary += " Filerna som hoppades över och varför står under Senaste synkronisering."
        st.success(summary)


def _run_sync(settings: Settings, runtime: Runtime, roots: list[Path]) -> None:
    if not SYNC_LOCK.acquire(blocking=False):
        st.warning("En synkronisering pågår redan. Vänta tills den är klar.")
        return
    bar = st.progress(0.0, text="Startar …")

    def progress(done: int, total: int, name: str) -> None:
        text = f"{done} av {total} filer" + (f" · {name}" if name else "")
        bar.progress(done / total if total else 1.0, text=text)

    try:
        with PDFIUM_LOCK:
            job = IngestJob(settings, runtime.store, runtime.embedder)
            report = job.run(roots, progress=progress)
    except InputError as exc:
        bar.empty()
        st.error(f"Synkroniseringen kunde inte starta: {markup.text(str(exc))}")
        return
    except AssistantError as exc:
        bar.empty()
        st.error(f"Synkroniseringen avbröts: {markup.text(str(exc))}")
        return
    finally:
        SYNC_LOCK.release()
    st.session_state["sync_result"] = report.to_dict()
    st.rerun()  # draw the index figures again, now with the new documents


def _default_roots(settings: Settings, last: dict[str, Any] | None) -> str:
    if last and last["roots"]:
        return "\n".join(last["roots"])
    examples = settings.data_dir / "examples"
    return str(examples.resolve()) if examples.is_dir() else ""


def _model(settings: Settings, runtime: Runtime) -> None:
    st.header("Språkmodell", divider="gray")
    st.markdown(f"Konfigurerad: {markup.text(endpoint_label(settings))}")
    default = "generativt" if settings.answer.mode == "generative" else "extraktivt"
    st.caption(f"Standardläge för svar: {default}")
    if runtime.chat is not None:
        st.success(f"Svarar: {markup.text(runtime.chat.name)}", icon=":material/check:")
    elif runtime.model_problem:
        st.error("Ingen språkmodell, svaren blir extraktiva: " + markup.text(runtime.model_problem))
    else:
        st.info("Ingen språkmodell laddad: appen startades i extraktivt läge.")


def _seconds(value: float) -> str:
    return f"{value:.1f}".replace(".", ",")


def _when(stamp: str | None) -> str:
    return stamp.replace("T", " ")[:16] if stamp else "–"


main()
