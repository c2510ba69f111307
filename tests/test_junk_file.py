"""A junk file costs what its passages cost: a text file of one repeated word is indexed
in bounded passages, its card quotes a bounded opening, and identical passages are
embedded once. Real parser, real e5, real Qdrant Edge."""

from __future__ import annotations

from pathlib import Path

from assistant.models.embeddings import LocalE5Embedding
from assistant.settings import load_settings
from assistant.store import Search, SearchMode
from assistant.store.edge import EdgeStore
from assistant.text.sparse import SparseEncoder
from ingest.chunk import Chunker
from ingest.sync import IngestJob

WORD = "ordord"


def test_a_file_of_one_repeated_word_is_indexed_in_bounded_passages(
    tmp_path: Path, embedder: LocalE5Embedding
) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "ord.txt").write_text(f"{WORD} " * 60_000, encoding="utf-8")  # 420 kB, one line
    settings = load_settings(data_dir=tmp_path / "data")
    store = EdgeStore.open(settings)
    try:
        report = IngestJob(settings, store, embedder).run([folder])
        assert not report.failed, report.summary()
        assert report.embedded_chunks <= 5  # the same passage, again and again: embedded once
        hits = store.search(
            Search(
                dense=None,
                sparse=SparseEncoder().query(WORD),
                groups=[],
                limit=1_000,
                mode=SearchMode.SPARSE,
            )
        )
    finally:
        store.close()
    records = [h.record for h in hits]
    assert any(r.kind == "card" for r in records)
    count = Chunker(settings.ingest).count
    budget = settings.ingest.chunk_tokens + 96 + 600 + 50
    assert max(count(r.text) for r in records) <= budget
    assert max(len(r.text) for r in records) < 10_000  # before: one passage of 420,000
