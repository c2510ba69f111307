"""Managers' summaries over the real index of the example documents (real parsers, e5 and
Qdrant Edge): whole documents, every sentence cited, checked like answers.

The happy path runs the packaged local model on llama.cpp; the edge cases (a sentence the
sources do not support, a wrong number, the endpoint down, a very long document) use a
scripted model at our own ``ChatModel`` interface.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from docx import Document
from fakes import ScriptedChatModel
from fixtures_heavy import RunCli
from fixtures_llm import LocalLLM
from fpdf import FPDF

from assistant.errors import InputError, ModelError
from assistant.runtime import Runtime, open_runtime
from assistant.settings import Settings, load_settings
from assistant.store.edge import EdgeStore
from assistant.summary.contract import Progress, Section, Summary
from assistant.summary.export import DISCLAIMER, to_docx, to_markdown
from assistant.summary.library import Library
from assistant.summary.summarize import Summarizer
from assistant.text.terms import TermMatcher
from ingest.sync import IngestJob

CONTRACT = {
    "summary", "kind", "documents", "citations", "unsupported", "left_out", "model",
    "timings_ms",
}  # fmt: skip


@pytest.fixture(scope="module")
def runtime(indexed_examples: Settings) -> Iterator[Runtime]:
    with open_runtime(indexed_examples, with_model=False) as opened:
        yield opened


def scripted(runtime: Runtime, *replies: str | Exception, **summary: int) -> Summarizer:
    settings = runtime.settings
    if summary:
        update = {"summary": settings.summary.model_copy(update=summary)}
        settings = settings.model_copy(update=update)
    chat = ScriptedChatModel(replies)
    library = Library(runtime.store)
    return Summarizer(settings, library, TermMatcher(), chat, runtime.embedder)


def markers(text: str) -> set[int]:
    return {int(n) for n in re.findall(r"\[(\d+)\]", text)}


def test_an_extractive_draft_covers_the_whole_document(runtime: Runtime) -> None:
    summarizer = scripted(runtime, max_parts=50)  # a budget the whole document fits in
    items = list(summarizer.stream(["resepolicy.pdf"], [], use_model=False))
    progress = [i for i in items if isinstance(i, Progress)]
    sections = [i for i in items if isinstance(i, Section)]
    summary = items[-1]
    assert isinstance(summary, Summary)
    assert progress[0].done == 0
    assert progress[-1].done == progress[-1].total
    assert len(sections) >= 3, "every part of the document gets its sentences"
    pages = {c.page for c in summary.citations}
    assert {1, 5} <= pages, "from the first page to the last"
    assert markers(summary.summary) == {c.n for c in summary.citations}
    for citation in summary.citations:
        assert citation.file == "resepolicy.pdf"
        assert citation.quote.split()[0] in summary.summary
    assert summary.model == "extractive"
    assert summary.left_out == []
    assert set(summary.to_json()) == CONTRACT


def test_a_restricted_or_unknown_document_is_not_found(runtime: Runtime) -> None:
    with pytest.raises(InputError, match="among those you may read") as problem:
        runtime.summarizer.summarize(["lonerevision-2025-instruktion.md"], [])
    assert "3,4" not in str(problem.value)
    with pytest.raises(InputError, match="among those you may read"):
        runtime.summarizer.summarize(["finns-inte.md"], ["chefer"])
    readable = {d.file for d in Library(runtime.store).documents([])}
    assert "semester.md" in readable
    assert "lonerevision-2025-instruktion.md" not in readable
    assert "lonerevision-2025-instruktion.md" in {
        d.file for d in Library(runtime.store).documents(["chefer"])
    }


def test_documents_are_found_by_path_first_then_by_file_name(runtime: Runtime) -> None:
    library = Library(runtime.store)
    semester = library.find(["semester.md"], [])[0]
    assert library.find([semester.rel_path], []) == [semester]
    assert library.find([semester.doc_id], []) == [semester]
    assert semester.rel_path == "personal/semester.md"


def test_unsupported_sentences_and_wrong_numbers_are_removed(runtime: Runtime) -> None:
    library = Library(runtime.store)
    passages = library.passages(library.find(["semester.md"], [])[0], [])
    n = next(i for i, p in enumerate(passages, start=1) if "31 mars" in p.text)
    summarizer = scripted(
        runtime,
        f"Semester ska sökas senast den 31 mars [{n}]. Semester ska sökas senast den 15 maj "
        f"[{n}]. Kommunen bjuder alla på glass varje fredag [{n}].",
        part_tokens=4000,  # the whole document in one part: one scripted note
    )
    summary = summarizer.summarize(["semester.md"], [], length="long")
    assert "31 mars" in summary.summary
    assert "15 maj" not in summary.summary, "a date the passage does not state"
    assert "glass" not in summary.summary
    assert any("15 maj" in s for s in summary.unsupported)
    assert any("glass" in s for s in summary.unsupported)
    assert summary.citations
    assert all(c.file == "semester.md" for c in summary.citations)
    assert summary.model == "scripted:test"


def test_a_note_cut_off_by_the_token_limit_loses_only_its_last_words(runtime: Runtime) -> None:
    library = Library(runtime.store)
    passages = library.passages(library.find(["semester.md"], [])[0], [])
    n = next(i for i, p in enumerate(passages, start=1) if "31 mars" in p.text)
    cut = f"Sommarsemester söks senast den 31 mars [{n}]. Den som vill spara dagar ska"
    summary = scripted(runtime, cut, part_tokens=4000).summarize(["semester.md"], [])
    assert "31 mars" in summary.summary
    assert "spara dagar ska" not in summary.summary
    assert summary.unsupported == [], "a sentence the limit cut off is no unsupported claim"


def test_the_endpoint_down_gives_an_extractive_draft_with_a_notice(runtime: Runtime) -> None:
    summarizer = scripted(runtime, ModelError("endpoint down"))
    summary = summarizer.summarize(["semester.md"], [])
    assert summary.notice
    assert "endpoint down" in summary.notice
    assert summary.model == "extractive"
    assert summary.citations
    assert markers(summary.summary)


def test_a_short_summary_is_reduced_and_checked_again(runtime: Runtime) -> None:
    # Three parts: a note on each, then the reduction, which keeps the draft's numbers.
    notes = ["Resor ska godkännas av närmaste chef [1].", "Resor bokas via Reseportalen [1].",
             "Utlägg ersätts mot kvitto [1]."]  # fmt: skip
    reduced = "Resor godkänns av närmaste chef [1] och bokas via Reseportalen [2]."
    summarizer = scripted(runtime, *notes, reduced, max_parts=3)
    summary = summarizer.summarize(["resepolicy.pdf"], [], length="short")
    assert len(summary.sections) == 1
    assert summary.summary.startswith("Resor godkänns av närmaste chef och bokas via")
    assert markers(summary.summary) == {1, 2}, "the draft's numbers, checked again"
    assert [c.n for c in summary.citations] == [1, 2]
    assert summary.left_out, "a document of more parts than the budget says what it left out"
    assert "reduce" in summary.timings_ms


def test_staff_rows_and_key_points(runtime: Runtime) -> None:
    staff = runtime.summarizer.summarize(["semester.md"], [], "staff", use_model=False)
    assert staff.summary.count("| ") >= 2
    assert "| Vad gäller | Vem | När / belopp |" in staff.summary
    assert "31 mars" in staff.summary
    points = runtime.summarizer.summarize(["bisyssla.txt"], [], "key-points", use_model=False)
    assert points.summary.count("\n- ") + points.summary.startswith("- ") >= 2


def test_what_changed_between_two_versions(runtime: Runtime) -> None:
    summary = runtime.summarizer.summarize(
        ["friskvardsbidrag-2025.md", "friskvardsbidrag-2023.txt"], [], "changes", use_model=False
    )
    added, removed = summary.sections
    assert "friskvardsbidrag-2025.md" in added.heading, "the newer version's additions first"
    assert "3 000 kronor" in added.text
    assert "2 000 kronor" in removed.text
    assert "2 000 kronor" not in added.text
    assert {c.file for c in summary.citations} == {
        "friskvardsbidrag-2023.txt", "friskvardsbidrag-2025.md"
    }  # fmt: skip
    with pytest.raises(InputError, match="two versions"):
        runtime.summarizer.summarize(["semester.md"], [], "changes")


def test_the_draft_exports_to_docx_and_markdown(runtime: Runtime, tmp_path: Path) -> None:
    summary = runtime.summarizer.summarize(["semester.md"], [], "staff", use_model=False)
    edited = summary.summary + "\n\nRedigerad av chefen."
    path = to_docx(summary, tmp_path / "utkast.docx", edited)
    document = Document(str(path))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "Det här gäller för personalen: semester.md" in text
    assert "Redigerad av chefen." in text
    assert "Källor" in text
    assert DISCLAIMER in text
    assert re.search(r"\[1\] semester\.md", text)
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    assert "Vad gäller" in cells
    assert any("31 mars" in c for c in cells)
    markdown = to_markdown(summary, edited)
    assert markdown.startswith("# Det här gäller för personalen: semester.md")
    assert "Redigerad av chefen." in markdown
    assert DISCLAIMER in markdown


@pytest.mark.slow
def test_a_300_page_document_keeps_its_most_central_parts(tmp_path: Path, runtime: Runtime) -> None:
    pdf = FPDF()
    pdf.set_font("helvetica", size=11)
    for page in range(1, 301):
        pdf.add_page()
        pdf.set_font("helvetica", style="B", size=14)
        pdf.cell(text=f"Kapitel {page}")
        pdf.ln(10)
        pdf.set_font("helvetica", size=11)
        topic = "Bostadsanpassningsbidrag" if page % 3 else "Fotbollsplanens gräsklippning"
        pdf.multi_cell(
            w=0,
            text=f"{topic} kapitel {page}. Ansökan om bidrag ska lämnas till kommunen. "
            f"Handläggningstiden är normalt {page % 9 + 2} veckor efter komplett ansökan.",
        )
    folder = tmp_path / "lang"
    folder.mkdir()
    pdf.output(str(folder / "handbok.pdf"))
    settings = load_settings(data_dir=tmp_path / "data", answer={"mode": "extractive"})
    store = EdgeStore.open(settings)
    try:
        report = IngestJob(settings, store, runtime.embedder).run([folder])
        assert not report.failed, report.summary()
        chat = ScriptedChatModel(["Ansökan lämnas till kommunen [1]."] * 6)
        # A part per page or two, so the budget chooses among some 200 of them.
        parts = {"max_parts": 6, "part_tokens": 100, "selection": "centrality"}
        update = {"summary": settings.summary.model_copy(update=parts)}
        summarizer = Summarizer(
            settings.model_copy(update=update), Library(store), TermMatcher(), chat,
            runtime.embedder,
        )  # fmt: skip
        summary = summarizer.summarize(["handbok.pdf"], [], length="long")
    finally:
        store.close()
    assert len(chat.calls) == 6, "the time budget: six parts drafted"
    assert 2 <= len(summary.left_out) <= 6, "the stretches between kept parts, said briefly"
    assert all(where.startswith("handbok.pdf, s. ") for where in summary.left_out)
    assert summary.left_out[-1].endswith("–300"), summary.left_out
    assert summary.summary.count("[") >= 6
    drafted = [c[-1]["content"] for c in chat.calls]
    assert "[1] handbok, s. 1\n" in drafted[0], "the opening is kept"
    off_topic = sum("Fotbollsplanens" in d and "Bostads" not in d for d in drafted)
    assert off_topic == 0, "central parts are about what the document is about"


def test_the_cli_prints_the_contract_and_writes_docx(
    indexed_examples: Settings, tmp_path: Path, runtime: Runtime, run_cli: RunCli
) -> None:
    runtime.close()  # the CLI process owns the store while it runs
    out = tmp_path / "utkast.docx"
    result = run_cli("summarize", "bisyssla.txt",
                     "--kind", "key-points", "--mode", "extractive", "--json", "--docx", str(out),
                     "--data-dir", str(indexed_examples.data_dir))  # fmt: skip
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data) == CONTRACT
    assert data["documents"] == ["bisyssla.txt"]
    assert data["kind"] == "key-points"
    assert data["citations"][0]["file"] == "bisyssla.txt"
    assert "Källor" in "\n".join(p.text for p in Document(str(out)).paragraphs)
    refused = run_cli("summarize", "lonerevision-2025-instruktion.md",
                      "--data-dir", str(indexed_examples.data_dir))  # fmt: skip
    assert refused.returncode == 2
    assert "among those you may read" in refused.stderr


def test_a_generated_summary_from_the_local_model(
    indexed_examples: Settings, local_llm: LocalLLM
) -> None:
    chat = local_llm.chat_model()
    try:
        with open_runtime(indexed_examples, with_model=False) as runtime:
            summarizer = Summarizer(
                runtime.settings, Library(runtime.store), TermMatcher(), chat, runtime.embedder
            )
            summary = summarizer.summarize(["bisyssla.txt"], [], length="long")
    finally:
        chat.close()
    assert summary.summary.strip()
    assert summary.citations, summary
    assert all(c.file == "bisyssla.txt" for c in summary.citations)
    assert markers(summary.summary) <= {c.n for c in summary.citations}
    assert "first_section" in summary.timings_ms
