"""The embedding cache: an unchanged chunk is never embedded twice, a changed document
re-embeds only what changed, repeated chunks cost one call, and the vectors are the same."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.models.embeddings import LocalE5Embedding
from assistant.settings import Settings, load_settings
from assistant.store import Search, SearchMode
from assistant.store.edge import EdgeStore
from ingest.embed_cache import EmbeddingCache
from ingest.sync import IngestJob


class Counting:
    """An embedding function that counts the texts it is asked for."""

    def __init__(self) -> None:
        self.texts: list[str] = []

    def __call__(self, texts: list[str]) -> list[list[float]]:
        self.texts += texts
        return [[float(len(t)), float(sum(map(ord, t)) % 997), 1.0] for t in texts]


def test_each_distinct_text_is_embedded_once(tmp_path: Path) -> None:
    cache = EmbeddingCache(tmp_path / "c.sqlite", "local|e5|3|passage: ")
    embed = Counting()
    first = cache.embed(["a", "b", "a", "c"], embed)
    assert embed.texts == ["a", "b", "c"]
    assert first[0] == first[2]
    again = cache.embed(["c", "a", "d"], embed)
    assert embed.texts == ["a", "b", "c", "d"]
    assert again[:2] == [first[3], first[0]]
    assert (cache.hits, cache.misses) == (3, 4)
    cache.close()
    other_model = EmbeddingCache(tmp_path / "c.sqlite", "openai|other|3|")
    other_model.embed(["a"], embed)
    assert embed.texts[-1] == "a"  # another model's vector is another vector
    other_model.close()
    stale = EmbeddingCache(tmp_path / "c.sqlite", "local|e5|3|passage: ", keep_days=-1)
    assert stale.prune() == 5
    stale.close()


@pytest.fixture
def store(settings: Settings) -> Iterator[EdgeStore]:
    opened = EdgeStore.open(settings)
    yield opened
    opened.close()


SECTIONS = {
    "Ansökan": "Semester ska sökas senast den 31 mars i personalsystemet.",
    "Sparade dagar": "Högst fem dagar får sparas per år, och högst trettio dagar totalt.",
    "Flyttning": "Chefen kan flytta beviljad semester bara om det finns synnerliga skäl.",
    "Sjukdom": "Den som blir sjuk under semestern kan få dagarna tillbaka med läkarintyg.",
}


def _document(folder: Path, sections: dict[str, str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    filler = " ".join(["Rutinen gäller alla anställda i Norrbacka kommun."] * 20)
    body = "\n\n".join(f"## {h}\n\n{t} {filler}" for h, t in sections.items())
    (folder / "semester.md").write_text(f"# Rutin för semester\n\n{body}\n")


def _dense(vector: list[float]) -> Search:
    return Search(dense=vector, sparse=None, groups=[], limit=5, mode=SearchMode.DENSE)


@pytest.mark.slow
def test_a_changed_document_embeds_only_its_changed_chunks(
    tmp_path: Path, settings: Settings, store: EdgeStore, embedder: LocalE5Embedding
) -> None:
    docs = tmp_path / "docs"
    _document(docs, SECTIONS)
    junk = docs / "junk.txt"
    junk.write_text("ord " * 6000)  # one word, repeated: identical chunks
    job = IngestJob(settings, store, embedder)
    cold = job.run([docs])
    chunks = cold.totals()["chunks"]
    assert cold.embedded_chunks + cold.cached_chunks == chunks
    assert cold.cached_chunks >= 10  # the junk file's chunks are one text, embedded once

    edited = dict(SECTIONS, Sjukdom="Den som blir sjuk under semestern ska anmäla det samma dag.")
    _document(docs, edited)
    warm = job.run([docs])
    assert warm.count("changed") == 1
    assert 1 <= warm.embedded_chunks <= 2  # the edited section (and nothing else)
    assert warm.cached_chunks >= 4

    # The cached vectors are the model's: a fresh index without the cache holds the same.
    fresh_settings = load_settings(data_dir=tmp_path / "fresh", ingest={"embedding_cache": False})
    fresh = EdgeStore.open(fresh_settings)
    try:
        report = IngestJob(fresh_settings, fresh, embedder).run([docs])
        assert report.cached_chunks == 0
        assert report.embedded_chunks == report.totals()["chunks"]
        query = embedder.get_query_embedding("Hur många semesterdagar får sparas?")
        ours, theirs = (
            [(h.record.text, round(h.score, 5)) for h in s.search(_dense(query))]
            for s in (store, fresh)
        )
        assert ours == theirs
    finally:
        fresh.close()
    assert not (tmp_path / "fresh" / "cache").exists()
    assert (settings.data_dir / "cache" / "embeddings.sqlite").is_file()
