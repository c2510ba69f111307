"""The app, run by Streamlit's AppTest over a real index of the example documents: real
parsers, the real e5 model, the real embedded Qdrant. Answers are extractive here, so no
language model is needed; a generative answer is the same ``Answer`` and renders alike."""

from __future__ import annotations

import io
import json
import shutil
import threading
import time
from collections.abc import Sequence
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import graph_server
import numpy as np
import pytest
import streamlit as st
from apptest import (
    APP,
    TIMEOUT,
    Index,
    Start,
    ask,
    button,
    claims,
    open_viewers,
    page_images,
    shown,
    signed_in,
)
from eval_cases import MINI, jsonl
from PIL import Image
from streamlit import config as st_config
from streamlit.testing.v1 import AppTest

from assistant.query.prompts import load_phrases
from assistant.settings import load_settings
from assistant.store import StoredPoint, chunk_point_id, open_store
from ui import markup
from ui.components import viewer_key
from ui.pdf_page import render_page

NO_SUPPORT = load_phrases("sv").no_support


def test_answer_with_citation_card(start: Start) -> None:
    app = ask(start(), "När ska sommarsemester sökas?")
    answer = next(m.value for m in app.markdown if "<sup><a href=" in m.value)
    assert "31 mars" in answer
    assert '<a href="#kalla-0-1"' in answer  # the marker links to its card
    assert any(c.value.startswith("semester.md") for c in app.caption)
    assert any(
        m.value.startswith("**[1] ") and m.value.endswith('<span id="kalla-0-1"></span>')
        for m in app.markdown
    )
    assert not app.get("download_button"), "no file is read before a viewer is opened"
    open_viewers(app)
    assert any("<mark>" in h.value and "31 mars" in h.value for h in app.html)
    assert app.get("download_button"), "each card offers the original file"
    assert "Citerat ur dokumenten" in shown(app)


def test_no_support_lists_closest_documents(start: Start) -> None:
    app = ask(start(), "Vad kostar ett busskort för pensionärer?")
    assert [i.value for i in app.info] == [NO_SUPPORT]
    text = shown(app)
    assert "Närmaste dokument" in text
    closest = next(m.value for m in app.markdown if m.value.startswith("- "))
    assert closest.count("\n- ") >= 1, "several closest documents are listed"
    assert not any('<span id="kalla-' in m.value for m in app.markdown), "no citation cards"


def test_follow_up_keeps_the_conversation(start: Start) -> None:
    app = ask(start(), "När ska sommarsemester sökas?")
    ask(app, "Och när får man besked?")
    assert len(app.session_state["turns"]) == 2
    assert len(app.chat_message) == 4
    follow_up = app.session_state["turns"][1].answer
    assert "sommarsemester" in follow_up.standalone_question, "earlier turns were sent"
    assert "30 april" in follow_up.answer
    button(app.sidebar, "Rensa samtalet").click().run()
    assert app.session_state["turns"] == []


def test_without_sign_in_the_local_user_reads_open_documents(start: Start) -> None:
    app = ask(start(), "Hur stort är löneutrymme 2025?")
    text = shown(app)
    assert "3,4 procent" not in text
    assert "lonerevision-2025-instruktion.md" not in text
    assert "lönerevision" not in text.lower()
    assert "Lokal användare" in app.sidebar.markdown[0].value
    assert "Ingen inloggning" in shown(app)
    assert [b.label for b in app.sidebar.button] == ["Rensa samtalet"], "no sign-out"
    assert not app.sidebar.multiselect, "no group switch: groups come from sign-in only"


def test_without_sign_in_a_public_address_serves_nothing(start: Start) -> None:
    st_config.set_option("server.address", "0.0.0.0")
    app = start()
    assert "ingen inloggning och kan nås från andra datorer" in app.error[0].value
    assert not app.chat_input, "nothing of the app is served"


def test_nobody_signed_in_sees_only_the_sign_in(start: Start) -> None:
    app = start(user={})
    assert [b.label for b in app.button] == ["Logga in"]
    assert not app.chat_input
    assert "3,4 procent" not in shown(app)


def test_a_signed_in_user_reads_what_their_groups_may(start: Start) -> None:
    app = ask(start(["chefer"]), "Hur stort är löneutrymme 2025?")
    sidebar = app.sidebar.markdown[0].value
    assert "Test admin" in sidebar
    assert "administratör" in sidebar
    assert "chefer" in sidebar
    assert "Logga ut" in [b.label for b in app.sidebar.button]
    text = shown(app)
    assert "lonerevision-2025-instruktion.md" in text
    assert "3,4 procent" in text  # in the source viewer's passage
    # No problem notices; only the cited table's ended validity period.
    assert all("giltighetstiden" in w.value for w in app.warning), [w.value for w in app.warning]


def test_an_employee_gets_the_chat_only(start: Start) -> None:
    app = ask(start(user=claims("employee")), "Hur stort är löneutrymme 2025?")
    assert "medarbetare" in app.sidebar.markdown[0].value
    assert "3,4 procent" not in shown(app), "no access group: open documents only"
    # The pages themselves check the role, whatever the menu offers.
    for page in ("admin.py", "evaluation.py"):
        direct = AppTest.from_file(APP.parent / "app_pages" / page, default_timeout=TIMEOUT)
        direct.user = {"is_logged_in": True, **claims("employee", ["hr"])}
        direct.run()
        assert not direct.exception, direct.exception
        assert "Den här sidan är för rollen administratör" in direct.error[0].value
        assert not direct.metric, "nothing of the page is drawn"
        assert not direct.button


def test_unknown_users_get_open_documents_or_are_refused(
    start: Start, monkeypatch: pytest.MonkeyPatch
) -> None:
    stranger = {"sub": "x-1", "name": "Okänd", "groups": ["grp-chefer", "fotbollslaget"]}
    app = ask(start(user=stranger), "Hur stort är löneutrymme 2025?")
    assert "medarbetare" in app.sidebar.markdown[0].value
    assert "inga (bara öppna dokument)" in app.sidebar.markdown[0].value
    assert "3,4 procent" not in shown(app), "no role: no groups either"

    signed_in(monkeypatch, UNKNOWN_USERS="refuse")
    refused = AppTest.from_file(APP, default_timeout=TIMEOUT)
    refused.user = {"is_logged_in": True, "iat": int(time.time()), **stranger}
    refused.run()
    assert "Du har inte behörighet till appen" in refused.error[0].value
    assert [b.label for b in refused.button] == ["Logga ut"]
    assert not refused.chat_input


def test_a_missing_groups_claim_is_said(start: Start) -> None:
    app = start(user={"sub": "u-2", "name": "Utan grupper", "_claim_names": {"groups": "src1"}})
    assert "för många" in app.sidebar.warning[0].value
    app = start(user={"sub": "u-3", "name": "Utan grupper"})
    assert "anspråket 'groups' saknas" in app.sidebar.warning[0].value


def test_pdf_citation_shows_the_page(start: Start) -> None:
    app = open_viewers(ask(start(), "Vad är högsta hotellpris i Stockholm?"))
    assert any(c.value.startswith("resepolicy.pdf · s. 3") for c in app.caption)
    images = dict(page_images(app))
    assert "resepolicy.pdf, sida 3" in images, "the source viewer shows the PDF page"
    alt = images["resepolicy.pdf, sida 3"]  # a text alternative: the cited passage
    assert alt.startswith("Sida 3 av resepolicy.pdf, med det citerade stycket markerat: ")
    assert "hotellnatt" in alt


def test_pdf_page_is_rendered_with_the_quote_marked(index: Index) -> None:
    pdf = index.data_dir / "examples" / "ekonomi" / "resepolicy.pdf"
    quote = "Kostnaden för en hotellnatt, inklusive frukost, får uppgå till högst följande belopp."
    plain = _pixels(render_page(pdf, 3))
    marked = _pixels(render_page(pdf, 3, quote))
    assert plain.shape[0] > 1100  # A4 at 1.5x
    assert plain.shape[1] > 800
    changed = (plain != marked).any(axis=2)
    assert changed.sum() > 1000, "the quote is marked on the page"
    blue_drop = plain[changed][:, 2] - marked[changed][:, 2]
    assert (blue_drop >= 0).all(), "marked in yellow: blue only goes down"
    assert blue_drop.mean() > 50
    assert render_page(pdf, 99) is None


def _pixels(png: bytes | None) -> np.ndarray:
    assert png is not None
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=np.int16)


def test_document_text_cannot_inject_html_or_markdown() -> None:
    assert "<script>" not in markup.highlighted("a <script>x</script> b", "x")
    assert markup.highlighted("Sök senast 31 mars.", "senast 31\nmars") == (
        "Sök <mark>senast 31 mars</mark>."
    )
    assert markup.text("<b>*fet*</b> $x$") == "&lt;b&gt;\\*fet\\*&lt;/b&gt; \\$x\\$"
    assert markup.answer_text("Ja. [2] Nej. [3]", "k", {2: "Källa 2"}).endswith("Nej. \\[3\\]")
    # A citation link is named by where it leads; a title cannot break out of the name.
    linked = markup.answer_text("Ja. [1]", "k", {1: 'Källa 1: "Policy" <b>, sida 2'})
    assert 'aria-label="Källa 1: &quot;Policy&quot; &lt;b&gt;, sida 2"' in linked


def test_a_store_owned_elsewhere_is_a_message(start: Start, index: Index) -> None:
    store = open_store(load_settings(data_dir=index.data_dir))  # another owner
    try:
        app = start()
        assert "används redan av en annan process" in app.error[0].value
        assert "in use by" in app.caption[0].value
        assert not app.chat_input, "no pages without the store"
    finally:
        store.close()


def _generative_answer() -> None:
    """A generative answer with everything that can come with it (rendered by AppTest)."""
    from assistant.query.contract import Answer, Source
    from ui.components import render_answer

    source = Source(
        n=2,
        file="gammal-policy.md",
        page=None,
        heading="Policy > Ersättning",
        quote="Ersättningen är 100 kronor.",
        doc_id="d",
        chunk_id="c2",
        score=0.9,
        title="Gammal <policy>",
        source="/finns/inte/gammal-policy.md",
        superseded=True,
    )
    answer = Answer(
        answer="Ersättningen är 100 kronor [2].",
        refused=False,
        mode="generative",
        citations=[source],
        retrieved=[source],
        model="qwen2.5-1.5b",
        timings_ms={"total": 2345.0},
        unsupported=["Den höjs nästa år [2]."],
        notice="Modellens svar gick inte att belägga i dokumenten.",
    )
    render_answer(answer, "g", "lokal modell på 127.0.0.1:8765")


def test_generative_answer_renders_like_any_answer() -> None:
    app = AppTest.from_function(_generative_answer)
    app.session_state[viewer_key("g", 2)] = True  # its source viewer is open
    app.run()
    assert not app.exception, app.exception
    assert app.warning[0].value.startswith("Modellens svar gick inte att belägga")
    assert '<a href="#kalla-g-2"' in app.markdown[0].value
    assert "Gammal &lt;policy&gt;" in app.markdown[2].value  # the title is escaped
    assert ":orange-badge[Upphävd eller ersatt]" in app.markdown[2].value
    assert app.expander[-1].label == "Borttaget: saknar stöd i källorna"
    assert "Den höjs nästa år" in shown(app)
    assert "finns inte längre" in shown(app), "a vanished original is said, not offered"
    assert not app.get("download_button")
    assert "qwen2.5-1.5b (lokal modell på 127.0.0.1:8765)" in shown(app)
    assert "2,3 s" in shown(app)


def test_admin_shows_the_store_counts(start: Start, index: Index) -> None:
    app = start()
    app.switch_page("app_pages/admin.py").run()
    assert not app.exception
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["Dokument"] == str(index.documents)
    assert metrics["Textavsnitt"] == str(index.chunks)
    roots = app.multiselect[0]
    assert roots.options == [str((index.data_dir / "examples").resolve())], "configured only"
    assert not app.text_area, "a folder is chosen from the settings, never typed"
    assert "appen startades i extraktivt läge" in shown(app)
    assert any(
        "e5 och BM25" in c.value and "sammansatta ord delas" in c.value for c in app.caption
    ), "the retrieval configuration"
    assert [p.value for p in app.page_link] == [
        "Mät svarens kvalitet med en testsvit under Utvärdering"
    ]


def test_admin_sync_adds_a_new_folder(
    start: Start, index: Index, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "nytt"
    folder.mkdir()
    (folder / "cykelpolicy.md").write_text(
        "# Cykelpolicy\n\nTjänstecyklar lånas ut av fordonsenheten i kommunhuset. "
        "Cykeln ska lämnas tillbaka samma dag före klockan 16.\n",
        encoding="utf-8",
    )
    examples = index.data_dir / "examples"
    monkeypatch.setenv("ASSISTANT_INGEST__ROOTS", json.dumps([str(examples), str(folder)]))
    app = start()
    app.switch_page("app_pages/admin.py").run()
    assert app.multiselect[0].options == [str(examples.resolve()), str(folder.resolve())]
    app.multiselect[0].set_value([str(folder.resolve())]).run()
    button(app, "Synkronisera nu").click().run()
    assert not app.exception, app.exception
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["Dokument"] == str(index.documents + 1)
    assert int(metrics["Textavsnitt"]) > index.chunks
    assert any("Synkroniseringen är klar" in s.value for s in app.success)

    again = start()
    again.switch_page("app_pages/admin.py").run()
    assert again.multiselect[0].value == [str(folder.resolve())], "last roots are remembered"

    st.cache_resource.clear()  # the app lets go of the store; the index holds the file
    settings = load_settings(data_dir=index.data_dir)
    store = open_store(settings)
    try:
        assert len(store.doc_states()) == index.documents + 1
        assert str(store.count()) == metrics["Textavsnitt"]
    finally:
        store.close()


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


def test_admin_sync_crawls_a_configured_web_site(
    start: Start, index: Index, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A site of ``ingest.web_sources`` is offered beside the folders; syncing it fetches
    the page (a real HTTP server on loopback), indexes its main content and cites its URL."""
    folder = tmp_path / "webb" / "styrdokument"
    folder.mkdir(parents=True)
    (folder / "index.html").write_text(
        "<html><head><title>Parkering</title></head><body><nav>Meny Startsida Nyheter</nav>"
        "<main><h1>Parkeringspolicy</h1><p>Anställda parkerar avgiftsfritt på kommunhusets "
        "gård efter klockan 17 på vardagar.</p></main><footer>Kontakta växeln</footer>"
        "</body></html>",
        encoding="utf-8",
    )
    server = ThreadingHTTPServer(
        ("127.0.0.1", 0), partial(_Quiet, directory=str(tmp_path / "webb"))
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/styrdokument/"
    monkeypatch.setenv(
        "ASSISTANT_INGEST__WEB_SOURCES", json.dumps([{"start_url": url, "delay_s": 0}])
    )
    try:
        app = start()
        app.switch_page("app_pages/admin.py").run()
        examples = str((index.data_dir / "examples").resolve())
        assert app.multiselect[0].options == [examples, f"Webbplats: {url}"]
        before = int({m.label: m.value for m in app.metric}["Dokument"])  # other tests sync too
        app.multiselect[0].set_value([url]).run()
        button(app, "Synkronisera nu").click().run()
        assert not app.exception, app.exception
        assert any("1 nya" in s.value for s in app.success), [s.value for s in app.success]
        metrics = {m.label: m.value for m in app.metric}
        assert metrics["Dokument"] == str(before + 1)
        # What each source brought, in a line of its own.
        frame = next(t.value for t in app.table if "Källa" in t.value.columns)
        assert frame.to_dict("records") == [
            {"Källa": f"Webbplats: {url}", "Nya": 1, "Ändrade": 0, "Oförändrade": 0,
             "Borttagna": 0, "Överhoppade": 0}
        ]  # fmt: skip
        again = start()
        again.switch_page("app_pages/admin.py").run()
        assert again.multiselect[0].value == [url], "the site chosen last is remembered"
    finally:
        server.shutdown()
        server.server_close()
    st.cache_resource.clear()  # the app lets go of the store
    store = open_store(load_settings(data_dir=index.data_dir))
    try:
        [state] = [
            s
            for s in store.doc_states().values()
            if "webb" not in s.source and "sources" in s.source
        ]
        [first] = store.get_points([chunk_point_id(state.doc_id, state.complete_key() or "", 0)])
        assert first.record.url == url
        assert "kommunhusets gård" in first.record.text
        assert "Kontakta växeln" not in first.record.text, "the footer is not content"
    finally:
        store.close()


def test_admin_sync_mirrors_a_configured_sharepoint_site(
    start: Start, index: Index, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A site of ``ingest.sharepoint_sources`` is offered beside the folders; syncing it
    reads the library through the Graph-shaped server on loopback, indexes what its
    permissions let the assistant publish and says per source what happened."""
    with graph_server.serving(graph_server.Graph()) as graph:
        graph.put(
            "Policyer/Resepolicy.txt",
            "Resor i tjänsten bokas via kommunens resebyrå och ska vara fossilfria "
            "när det går.".encode(),
            [graph_server.ORG_LINK],
            "text/plain",
        )
        graph.put(  # shared with one person only: never published
            "Policyer/Samtal.txt",
            b"Anteckningar fran ett enskilt samtal.",
            [{"id": "u1", "roles": ["read"], "grantedToV2": graph_server.person("Bo", "b0")}],
            "text/plain",
        )
        source = graph_server.source_of(graph).model_dump(mode="json")
        source["client_secret"] = graph_server.SECRET
        monkeypatch.setenv("ASSISTANT_INGEST__SHAREPOINT_SOURCES", json.dumps([source]))
        app = start()
        app.switch_page("app_pages/admin.py").run()
        site = graph_server.SITE
        examples = str((index.data_dir / "examples").resolve())
        assert app.multiselect[0].options == [examples, f"SharePoint: {site}"]
        before = int({m.label: m.value for m in app.metric}["Dokument"])
        app.multiselect[0].set_value([site]).run()
        button(app, "Synkronisera nu").click().run()
        assert not app.exception, app.exception
        assert {m.label: m.value for m in app.metric}["Dokument"] == str(before + 1)
        frame = next(t.value for t in app.table if "Källa" in t.value.columns)
        assert frame.to_dict("records") == [
            {"Källa": f"SharePoint: {site}", "Nya": 1, "Ändrade": 0, "Oförändrade": 0,
             "Borttagna": 0, "Överhoppade": 1}
        ]  # fmt: skip
        again = start()
        again.switch_page("app_pages/admin.py").run()
        assert again.multiselect[0].value == [site], "the site chosen last is remembered"
    st.cache_resource.clear()  # the app lets go of the store
    store = open_store(load_settings(data_dir=index.data_dir))
    try:
        [state] = [s for s in store.doc_states().values() if "sharepoint" in s.source]
        [first] = store.get_points([chunk_point_id(state.doc_id, state.complete_key() or "", 0)])
        assert first.record.url == f"{graph_server.WEB}/Dokument/Policyer/Resepolicy.txt"
        assert "fossilfria" in first.record.text
    finally:
        store.close()


PROGNOS = "# Prognos\n\nSkatteintäkterna väntas öka med två procent under nästa år.\n"


def _interrupted(data_dir: Path, files: Sequence[str]) -> None:
    """Leave each file's document as a killed sync would: a new version's first passage
    stored, the rest not."""
    store = open_store(load_settings(data_dir=data_dir))
    try:
        for state in [s for s in store.doc_states().values() if s.file in files]:
            key = state.complete_key()
            assert key is not None
            [first] = store.get_points([chunk_point_id(state.doc_id, key, 0)])
            record = first.record.model_copy(update={"index_key": "avbruten", "chunk_count": 9})
            point_id = chunk_point_id(state.doc_id, "avbruten", 0)
            store.upsert([StoredPoint(point_id, [1.0] + [0.0] * 383, [], [], record)])
    finally:
        store.close()


@pytest.mark.parametrize("policy", ["mask", "skip"])
def test_admin_names_only_the_files_the_admin_may_read(
    start: Start,
    index: Index,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    policy: str,
) -> None:
    data = tmp_path / "data"
    shutil.copytree(index.data_dir, data, ignore=shutil.ignore_patterns("examples"))
    folder = tmp_path / "delat"
    for name, text in {
        "ekonomi/access.toml": 'groups = ["ekonomi"]\n',
        "ekonomi/budgetunderlag.md": "",  # fails (empty) where hr may not look
        "ekonomi/prognos.md": PROGNOS,
        "hr/access.toml": 'groups = ["hr"]\n',
        "hr/kvitto 19121212-1212.md": "",  # fails (empty); the name holds a personnummer
        "hr/intyg 19121212-1212.md": PROGNOS.replace("Prognos", "Intyg 19121212-1212"),
        "hr/rutin.md": PROGNOS.replace("Prognos", "Rutin"),
        "oklart/access.toml": 'groups = ["hr"\n',  # a typo: withheld from everyone
        "oklart/plan.md": PROGNOS.replace("Prognos", "Plan"),
    }.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(data))
    monkeypatch.setenv("ASSISTANT_INGEST__ROOTS", json.dumps([str(folder)]))
    monkeypatch.setenv("ASSISTANT_INGEST__PERSONAL_NUMBERS", policy)
    admin = claims("admin", ["hr"], iat=int(time.time()))  # signed in just now
    app = start(user=admin)
    app.switch_page("app_pages/admin.py").run()
    button(app, "Synkronisera nu").click().run()
    assert not app.exception, app.exception
    st.cache_resource.clear()  # the app lets go of the store
    _interrupted(data, ["prognos.md", "rutin.md"])

    app = start(user=admin)
    app.switch_page("app_pages/admin.py").run()
    assert not app.exception, app.exception
    rows = [r for d in app.dataframe for r in d.value.to_dict("records")]
    page = shown(app) + json.dumps(rows, ensure_ascii=False)
    assert "hr/kvitto ÅÅMMDD-XXXX.md" in {r.get("Fil") for r in rows}, "named, masked"
    for hidden in ("budgetunderlag", "prognos", "plan.md", "oklart", "1212"):
        assert hidden not in page, f"{hidden!r} is on the Admin page"
    assert "rutin.md" in page, "an incomplete document the admin may read is named"
    assert "1 ofullständigt indexerat dokument utanför dina grupper" in page
    assert "2 filer utanför dina grupper" in page  # budgetunderlag.md and plan.md
    assert "1 fil undanhålls från alla: behörighetsreglerna (access.toml) går inte att läsa" in page


# -- Utvärdering ---------------------------------------------------------------------------


@pytest.fixture
def suites_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A suites folder and thresholds of its own for the evaluation page (before ``start``)."""
    folder = tmp_path / "suites"
    folder.mkdir()
    thresholds = tmp_path / "thresholds.toml"
    thresholds.write_text('[default]\n"doc_hit@5" = 0.9\nrefusal_accuracy = 0.8\n')
    monkeypatch.setenv("ASSISTANT_EVAL__SUITES_DIR", str(folder))
    monkeypatch.setenv("ASSISTANT_EVAL__THRESHOLDS_FILE", str(thresholds))
    return folder


def evaluation(app: AppTest) -> AppTest:
    app.switch_page("app_pages/evaluation.py").run()
    assert not app.exception, app.exception
    return app


def run_evaluation(app: AppTest) -> str:
    """Click "Kör utvärdering"; the id of the run it made."""
    button(app, "Kör utvärdering").click().run()
    assert not app.exception, app.exception
    assert any(s.value.startswith("Klar: 3 frågor") for s in app.success)
    run_id: str = app.session_state["eval_view"]
    return run_id


def table(app: AppTest, column: str) -> list[dict[str, object]]:
    """The rows of the (first) dataframe with this column."""
    frame = next(d.value for d in app.dataframe if column in d.value.columns)
    rows: list[dict[str, object]] = frame.to_dict("records")
    return rows


def test_evaluation_runs_a_suite_and_shows_the_report(
    start: Start, index: Index, suites_dir: Path
) -> None:
    (suites_dir / "mini.jsonl").write_bytes(jsonl(MINI))
    app = evaluation(start())
    assert app.selectbox[0].value == suites_dir / "mini.jsonl"
    assert app.multiselect[0].value == [], "the viewer's own groups by default (none)"
    assert "**Svarsläge:** extraktivt" in shown(app), "no chat model: extractive only"
    assert not app.radio, "no choice offered"

    run_id = run_evaluation(app)
    assert app.selectbox(key="eval_view").value == run_id, "the new run is shown"
    metrics = table(app, "Betyder")
    assert [r["Mått"] for r in metrics[:3]] == ["doc_hit@5", "evidence_hit@5", "ndcg@10"]
    values = {r["Mått"]: r["Värde"] for r in metrics}
    assert values["doc_hit@5"] == "1,000"
    assert values["refusal_accuracy"] == "1,000"
    assert values["latency_total_p95_ms"].endswith(" ms")
    assert "Klarar alla 2 gränsvärden." in shown(app)
    gate = {r["Mått"]: r["Resultat"] for r in table(app, "Resultat")}
    assert gate["doc_hit@5"] == "klarar"
    assert any(s.value.startswith("Fall som inte klarade sig") for s in app.subheader)

    frames = app.get("iframe")
    assert len(frames) == 1, "the run's report.html is embedded"
    assert f"<h1>Evaluation {run_id}</h1>" in frames[0].proto.srcdoc
    downloads = [b.proto.label for b in app.get("download_button")]
    assert downloads == ["Ladda ned report.html", "Ladda ned report.md"]

    history = table(app, "Körning")
    assert history[0]["Körning"] == run_id
    assert history[0]["Grupper"] == "inga"
    assert history[0]["doc_hit@5"] == 1.0
    assert (index.data_dir / "evals" / run_id / "report.html").is_file()


def test_evaluation_compares_two_runs(start: Start, suites_dir: Path) -> None:
    suite = suites_dir / "mini.jsonl"
    suite.write_bytes(jsonl(MINI))
    app = evaluation(start(["chefer"]))
    app.multiselect[0].unselect("chefer").run()  # first run as a reader without groups
    first = run_evaluation(app)
    wrong = {**MINI[0], "source_file": "cykelpolicy.md", "evidence": "Cyklar lånas ut."}
    suite.write_bytes(jsonl([wrong, *MINI[1:]]))  # the reference now points elsewhere
    app.multiselect[0].select("chefer").run()
    second = run_evaluation(app)

    failing = [e.label for e in app.expander if e.label.startswith("sem-1")]
    assert len(failing) == 1, "the failing case is listed"
    assert "belägget hittades inte" in failing[0]
    assert "Under gränsvärdet: doc_hit@5 0,500 (minst 0,900)" in shown(app)
    groups = {r["Körning"]: r["Grupper"] for r in table(app, "Körning")}
    assert groups[first] == "inga"
    assert groups[second] == "chefer", "each run is labelled with its groups"

    assert app.selectbox(key="eval_b").value == second, "a new run is compared by default"
    assert not app.warning, [w.value for w in app.warning]
    app.selectbox(key="eval_a").select(first).run()
    assert not app.exception, app.exception
    deltas = {r["Mått"]: r for r in table(app, "Förändring")}
    assert deltas["doc_hit@5"]["Före (A)"] == "1,000"
    assert deltas["doc_hit@5"]["Efter (B)"] == "0,500"
    assert deltas["doc_hit@5"]["Förändring"] == "−0,500"
    assert deltas["refusal_accuracy"]["Förändring"] == "±0"
    text = shown(app)
    assert "Körningarna gjordes med olika grupper." in text
    assert "Blev bättre (0)" in text
    assert "Blev sämre (1)" in text
    regressed = next(line for line in text.splitlines() if line.startswith("- sem-1: "))
    assert "doc_hit@5 1,000 → 0,000" in regressed

    outsider = evaluation(start())  # a viewer without groups never sees the chefer run
    listed = [r["Körning"] for r in table(outsider, "Körning")]
    assert first in listed
    assert second not in listed


def test_evaluation_takes_an_uploaded_suite(start: Start, index: Index, suites_dir: Path) -> None:
    app = evaluation(start())
    assert "Det finns inga testsviter" in shown(app)
    assert button(app, "Kör utvärdering").disabled

    app.file_uploader[0].set_value(("trasig.jsonl", b'{"id": "x"}\n', "application/jsonl")).run()
    assert "Testsviten kunde inte användas" in app.error[0].value
    assert "missing" in app.error[0].value
    assert button(app, "Kör utvärdering").disabled, "nothing kept"

    uploaded = jsonl(MINI[:1])
    app.file_uploader[0].set_value(("min svit.jsonl", uploaded, "application/jsonl")).run()
    assert not app.exception, app.exception
    kept = index.data_dir / "evals" / "uploads" / "min-svit.jsonl"
    assert kept.read_bytes() == uploaded
    assert app.selectbox[0].value == kept
    assert not button(app, "Kör utvärdering").disabled
