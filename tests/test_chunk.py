from __future__ import annotations

from pathlib import Path

from assistant.settings import IngestSettings
from ingest.card import document_card
from ingest.chunk import Chunker, cut_to_tokens
from ingest.model import Block, ParsedDocument

SENTENCE = "Medarbetaren ansöker om ledighet i personalsystemet senast två veckor innan. "


def _doc(blocks: list[Block]) -> ParsedDocument:
    return ParsedDocument(Path("policy.pdf"), "pdf", "Semesterpolicy", blocks, page_count=3)


def test_chunks_keep_page_and_heading_and_respect_size() -> None:
    settings = IngestSettings(chunk_tokens=120, chunk_overlap=20)
    chunker = Chunker(settings)
    doc = _doc(
        [
            Block("Semester", "title", 1, "1", ("Semester",)),
            Block(SENTENCE * 30, "text", 1, "1", ("Semester",)),
            Block(SENTENCE * 2, "text", 2, "2", ("Semester", "Sparade dagar")),
        ]
    )
    chunks = chunker.chunk(doc)
    assert len(chunks) > 3
    assert all(c.tokens <= 120 for c in chunks)
    assert {c.page for c in chunks} == {1, 2}
    last = chunks[-1]
    assert last.heading_path == ("Semester", "Sparade dagar")
    assert last.embed_text.startswith("Semesterpolicy\nSemester > Sparade dagar\n\n")
    assert all(not c.text.startswith("Semester\n") for c in chunks)  # headings not repeated


def test_a_table_that_fits_stays_whole_and_a_big_one_repeats_its_header() -> None:
    chunker = Chunker(IngestSettings(chunk_tokens=80, chunk_overlap=10))
    small = "Ort | Belopp\nStockholm | 300 kr\nMalmö | 250 kr"
    big = "Resmål | Traktamente\n" + "\n".join(f"Land {i} | {i * 10} kr" for i in range(60))
    chunks = chunker.chunk(
        _doc([Block(small, "table", 1, None, ("Belopp",)), Block(big, "table", 2, None, ())])
    )
    assert chunks[0].text == small
    assert chunks[0].kind == "table"
    rest = chunks[1:]
    assert len(rest) > 2
    assert all(c.text.startswith("Resmål | Traktamente\n") for c in rest)
    rows = [line for c in rest for line in c.text.splitlines()[1:]]
    assert rows == big.splitlines()[1:]  # every row once, in order


def test_empty_and_heading_only_documents_give_no_chunks() -> None:
    chunker = Chunker(IngestSettings())
    assert chunker.chunk(_doc([Block("Rubrik", "title", 1, None, ("Rubrik",))])) == []
    assert chunker.chunk(_doc([Block("   ", "text", 1)])) == []


def test_a_text_is_cut_to_its_token_budget_at_a_word() -> None:
    chunker = Chunker(IngestSettings())
    short = "Semester söks i personalsystemet."
    assert cut_to_tokens(short, 48, chunker.count) == short
    for junk in ("ordord " * 230_000, "x" * 1_000_000, SENTENCE * 40):
        cut = cut_to_tokens(junk, 48, chunker.count)
        assert chunker.count(cut) <= 48
        assert cut.endswith(" …")
        assert junk.startswith(cut.removesuffix(" …"))
    assert cut_to_tokens(SENTENCE * 40, 48, chunker.count).removesuffix(" …")[-1] != " "


def test_a_giant_heading_or_title_does_not_ride_along_with_every_chunk() -> None:
    settings = IngestSettings(chunk_tokens=120, chunk_overlap=20)
    chunker = Chunker(settings)
    heading = "rubrik " * 200_000  # a whole body styled as a heading
    doc = ParsedDocument(
        Path("a.md"), "md", "titel " * 50_000, [Block(SENTENCE * 10, "text", 1, None, (heading,))]
    )
    chunks = chunker.chunk(doc)
    assert chunks
    for chunk in chunks:
        assert chunker.count(chunk.embed_text) <= 120 + 96 + 2
        assert all(chunker.count(h) <= 48 for h in chunk.heading_path)


def test_the_card_quotes_a_bounded_opening_of_a_junk_file() -> None:
    chunker = Chunker(IngestSettings())
    junk = ParsedDocument(Path("ord.txt"), "txt", "ord", [Block("ordord " * 230_000, "text", 1)])
    card = document_card(junk, {}, (), chunker.count)
    assert card.tokens <= 48 + 600 + 2
    assert len(card.text) < 5_000
    assert card.embed_text == card.text
