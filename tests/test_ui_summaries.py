"""Sammanfatta, run by Streamlit's AppTest over the real index of the example documents
(the fixtures of ``apptest``). Drafts are extractive here, so no language model is needed;
a generative draft is the same ``Summary`` and renders alike."""

from __future__ import annotations

import io
import time

import pytest
from apptest import APP, TIMEOUT, Index, Start, button, claims, served, shown
from docx import Document
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import UnknownElement

from assistant.settings import load_settings
from assistant.store import open_store
from assistant.summary.export import DISCLAIMER
from assistant.summary.library import Library
from assistant.text.personal import PERSONAL_DATA_WARNING, PLACEHOLDER
from ui.summary_views import DOCX_MIME, Draft

PAGE = "app_pages/summarize.py"
DOCS = "_widget_summary_docs"  # the document list's widget key (``ui.state.remembered``)
KIND = "_widget_summary_kind"
WORD = "sammanfattning-resepolicy.docx"
MD = "sammanfattning-resepolicy.md"


@pytest.fixture(scope="module")
def doc_ids(index: Index) -> dict[str, str]:
    """Every example document's id by file name (read before the app owns the store)."""
    store = open_store(load_settings(data_dir=index.data_dir))
    try:
        return {d.file: d.doc_id for d in Library(store).documents(["hr", "chefer"])}
    finally:
        store.close()


def summaries(app: AppTest) -> AppTest:
    app.switch_page(PAGE).run()
    assert not app.exception, app.exception
    return app


def write(app: AppTest) -> Draft:
    button(app, "Skriv utkast").click().run()
    assert not app.exception, app.exception
    assert not app.error, [e.value for e in app.error]
    draft: Draft = app.session_state["summary_draft"]
    return draft


def downloads(app: AppTest) -> dict[str, UnknownElement]:
    return {b.proto.label: b for b in app.get("download_button")}


def docx_text(data: bytes) -> str:
    document = Document(io.BytesIO(data))
    return "\n".join(p.text for p in document.paragraphs)


def test_an_employee_has_no_summaries_page(start: Start) -> None:
    app = start(user=claims("employee", ["hr"]))
    # An employee's pages: Fråga and the accessibility statement.
    with pytest.raises(ValueError, match=r"Known pages: \[[^,]*/chat\.py', [^,]*/statement\.py'\]"):
        app.switch_page(PAGE)
    direct = AppTest.from_file(APP.parent / PAGE, default_timeout=TIMEOUT)
    direct.user = {"is_logged_in": True, **claims("employee", ["hr"])}
    direct.run()
    assert not direct.exception, direct.exception
    assert "Den här sidan är för rollen chef" in direct.error[0].value
    assert not direct.multiselect, "nothing of the page is drawn"
    assert not direct.button


def test_a_manager_drafts_edits_and_exports(start: Start, doc_ids: dict[str, str]) -> None:
    app = summaries(start(user=claims("manager", ["chefer"])))
    labels = app.multiselect(key=DOCS).options
    assert any("chefer/lonerevision-2025-instruktion.md" in label for label in labels)
    assert not any("hr/" in label for label in labels), "not the manager's group"
    assert button(app, "Skriv utkast").disabled, "nothing chosen yet"

    app.multiselect(key=DOCS).set_value([doc_ids["resepolicy.pdf"]]).run()
    draft = write(app)
    area = app.text_area(key=draft.key)
    assert area.value == draft.summary.summary
    assert "[1]" in area.value
    assert "Med tjänsteresa avses" in area.value, "the opening is always drafted"
    sources = next(e for e in app.expander if e.label.startswith("Källor"))
    cited = "\n".join(m.value for m in sources.markdown).replace("\\", "")
    assert "**[1] resepolicy.pdf, Resepolicy för Norrbacka kommun, s. 1" in cited
    assert "> " in cited, "with the quoted sentence"
    assert "Extraktivt utkast" in shown(app)
    buttons = downloads(app)
    assert set(buttons) == {"Ladda ned som Word (DOCX)", "Ladda ned som Markdown"}
    word = buttons["Ladda ned som Word (DOCX)"]

    docx, markdown = draft.exports(area.value)
    assert served(word, docx, DOCX_MIME, WORD), "the page offers this DOCX"
    text = docx_text(docx)
    assert "Med tjänsteresa avses" in text
    assert "Källor" in text
    assert "[1] resepolicy.pdf, Resepolicy för Norrbacka kommun" in text
    assert DISCLAIMER in text

    edited = "Resor bokas i Reseportalen [3].\n\nEn egen rad om hotell."
    area.input(edited).run()
    assert not app.exception, app.exception
    assert app.session_state["summary_draft"] is draft, "editing does not draft again"
    assert draft.text == edited
    docx, markdown = draft.exports(edited)
    buttons = downloads(app)
    assert served(buttons["Ladda ned som Word (DOCX)"], docx, DOCX_MIME, WORD)
    assert served(buttons["Ladda ned som Markdown"], markdown.encode(), "text/markdown", MD)
    assert "En egen rad om hotell." in docx_text(docx)
    assert "Egen bil får användas" not in docx_text(docx), "the edited text, not the draft"
    assert markdown.startswith("# Sammanfattning: resepolicy.pdf\n\nResor bokas i Reseportalen")
    assert DISCLAIMER in markdown


def test_a_topic_proposes_documents_and_changes_compare_versions(
    start: Start, doc_ids: dict[str, str]
) -> None:
    app = summaries(start(user=claims("manager")))
    labels = app.multiselect(key=DOCS).options
    assert any("personal/semester.md" in label for label in labels)
    assert not any("hr/" in label or "chefer/" in label for label in labels), "no groups"
    assert "hr" not in app.multiselect[0].options, "nor their folders"

    app.text_input[0].input("allt om friskvårdsbidrag")
    button(app, "Föreslå dokument").click().run()
    assert not app.exception, app.exception
    assert app.multiselect(key=DOCS).value == [doc_ids["friskvardsbidrag-2025.md"]]
    assert "Förslag utifrån" in app.success[0].value
    assert "summary_draft" not in app.session_state, "proposed, not drafted"

    app.radio(key=KIND).set_value("changes").run()
    assert button(app, "Skriv utkast").disabled, "changes needs two documents"
    assert "välj exakt två" in shown(app)
    offer = next(b for b in app.button if b.label.startswith("Jämför med"))
    assert "friskvardsbidrag-2023.txt" in offer.label, "the version it replaces"
    offer.click().run()
    assert set(app.multiselect(key=DOCS).value) == {
        doc_ids["friskvardsbidrag-2023.txt"],
        doc_ids["friskvardsbidrag-2025.md"],
    }
    draft = write(app)
    assert draft.summary.kind == "changes"
    text = app.text_area(key=draft.key).value
    assert "### Nytt eller ändrat i friskvardsbidrag-2025.md" in text
    assert "### Borttaget ur friskvardsbidrag-2023.txt" in text
    assert "3 000 kronor" in text
    assert "2 000 kronor" in text


def test_a_topic_with_a_personal_number_is_searched_and_shown_masked(start: Start) -> None:
    app = summaries(start(user=claims("manager", iat=int(time.time()))))
    app.text_input[0].input("friskvårdsbidrag för 19121212\u00a012\u200b12")
    button(app, "Föreslå dokument").click().run()
    assert not app.exception, app.exception
    assert PERSONAL_DATA_WARNING in [w.value for w in app.warning]
    said = [m.value for m in (*app.success, *app.info)]
    assert said
    assert all(PLACEHOLDER in m for m in said), said
    assert not any("1212" in m for m in said), said


def _generative_draft() -> None:
    """A draft with everything that can come with it (rendered by AppTest, no index)."""
    from assistant.query.contract import Source
    from assistant.summary.contract import Section, Summary
    from ui.summary_views import keep_draft, render_draft, show_section

    show_section(Section("Ersättning <b>", "Ersättningen är *100* kronor [1]."))
    source = Source(
        n=1,
        file="policy.md",
        page=None,
        heading=None,
        quote="Ersättningen är 100 kronor.",
        doc_id="d",
        chunk_id="c1",
        score=0.0,
        title="Policy",
    )
    summary = Summary(
        summary="Ersättningen är 100 kronor [1].",
        kind="key-points",
        documents=["policy.md"],
        citations=[source],
        unsupported=["Den höjs nästa år [1]."],
        left_out=["policy.md, Bilaga 3"],
        model="qwen2.5-1.5b",
        timings_ms={"total": 12345.0, "first_section": 2100.0},
        notice="Språkmodellen svarade inte; resten av utkastet citerar dokumenten.",
    )
    render_draft(keep_draft(summary, ["Policy · policy.md"]), "lokal modell")


def test_a_draft_shows_what_was_removed_left_out_and_timed() -> None:
    app = AppTest.from_function(_generative_draft).run()
    assert not app.exception, app.exception
    assert app.markdown[0].value == "**Ersättning &lt;b&gt;**", "headings are escaped"
    assert app.markdown[1].value == "Ersättningen är \\*100\\* kronor \\[1\\]."
    assert app.warning[0].value.startswith("Språkmodellen svarade inte")
    assert app.warning[1].value.startswith("Dokumentet var för långt för tidsbudgeten")
    assert "Bilaga 3" in app.warning[1].value
    assert app.text_area[0].value == "Ersättningen är 100 kronor [1]."
    assert app.expander[-1].label == "Borttaget: saknar stöd i källorna"
    assert "Den höjs nästa år" in shown(app)
    assert "qwen2.5-1.5b (lokal modell)" in shown(app)
    assert "12,3 s, första avsnittet efter 2,1 s" in shown(app)
    assert {b.proto.label for b in app.get("download_button")} == {
        "Ladda ned som Word (DOCX)",
        "Ladda ned som Markdown",
    }
