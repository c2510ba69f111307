"""Find the passages a reader may see that best answer a question, and judge whether
they support an answer at all.

Ranking happens inside Qdrant (dense e5 + Swedish BM25 fused by RRF, the access filter in
every prefetch). Support is decided from two signals before any model is called: the
cosine similarity of the best passages to the question, and how many of the question's
content words the best passages contain.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from assistant.embeddings import EmbeddingModel
from assistant.language import detect_language
from assistant.settings import RetrievalSettings
from assistant.sparse import SparseEncoder
from assistant.store import Hit, SearchMode, VectorStore
from assistant.terms import TermMatcher

# How questions are asked, not what they are about: left out when weighing word overlap.
_PHRASING = (
    "stor stort storlek lång långt länge mycket många ofta snabbt much many long often quickly"
)
_DF_CAP = 500
# A passage holding (nearly) all of the question's content words may be a little less
# similar than min_similarity: summaries ("Sammanfatta riktlinjen för bisysslor") are.
_FULL_COVERAGE = 0.9
_FULL_COVERAGE_SLACK = 0.015  # counting a word's passages stops here; it is common by then


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk, with what a citation needs."""

    chunk_id: str
    doc_id: str
    file: str
    source: str
    title: str
    page: int | None
    page_label: str | None
    heading: str | None
    text: str
    score: float  # rank score from Qdrant (RRF when hybrid)
    similarity: float  # cosine similarity to the question
    payload: dict[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_hit(cls, hit: Hit, similarity: float) -> Passage:
        p = hit.payload
        return cls(
            chunk_id=hit.id,
            doc_id=str(p.get("doc_id", "")),
            file=str(p.get("file", "")),
            source=str(p.get("source", "")),
            title=str(p.get("title", "")),
            page=p.get("page"),
            page_label=p.get("page_label"),
            heading=p.get("heading"),
            text=str(p.get("text", "")),
            score=hit.score,
            similarity=similarity,
            payload=p,
        )


@dataclass(frozen=True)
class Retrieval:
    question: str
    passages: list[Passage]  # in rank order
    term_coverage: float  # share of the question's content words found in the top passages
    supported: bool
    term_weights: dict[str, float] = field(default_factory=dict)  # question word -> IDF

    @property
    def best_similarity(self) -> float:
        return max((p.similarity for p in self.passages), default=0.0)


class Retriever:
    def __init__(
        self,
        store: VectorStore,
        embedder: EmbeddingModel,
        settings: RetrievalSettings,
        sparse: SparseEncoder | None = None,
    ) -> None:
        self._store = store
        self._embedder = embedder
        self._settings = settings
        self._sparse = sparse or SparseEncoder()
        self._terms = TermMatcher(self._sparse)

    def retrieve(self, question: str, groups: Sequence[str]) -> Retrieval:
        """Passages for ``question`` that a member of ``groups`` may read."""
        s = self._settings
        dense = self._embedder.get_query_embedding(question)
        sparse = self._sparse.query(question)
        mode = SearchMode(s.mode)
        hits = self._store.search(
            dense=dense,
            sparse=sparse,
            groups=groups,
            limit=s.top_k,
            mode=mode,
            prefetch_limit=s.candidates,
        )
        similarity = self._similarities(dense, groups, hits)
        passages = [Passage.from_hit(h, similarity.get(h.id, 0.0)) for h in hits]
        # Documents in force before superseded ones; equal scores in a fixed order, so a
        # question gets the same passages every time.
        passages.sort(key=lambda p: (p.payload.get("superseded") == "true", -p.score, p.chunk_id))
        top = passages[: s.context_passages]
        weights = self._term_weights(question, groups)
        term_coverage = max(
            (
                self._terms.coverage(
                    weights, self._terms.keys(f"{p.title} {p.heading or ''} {p.text}")
                )
                for p in top
            ),
            default=0.0,
        )
        supported = self._supported(top, term_coverage, detect_language(question))
        return Retrieval(question, passages, term_coverage, supported, weights)

    def _term_weights(self, question: str, groups: Sequence[str]) -> dict[str, float]:
        """IDF of each content word of the question among the passages the reader may see.

        A word no readable passage contains weighs most: a question about "busskort" is
        not answered by passages that merely share "kommun" and "kostar" with it.
        """
        total = max(self._store.count(), 1)
        weights = {}
        for word in self._terms.words(question):
            stem = self._terms.stem(word)
            df = 0 if stem is None else self._store.passages_with_term(stem, groups, _DF_CAP)
            weights[word] = math.log(1 + (total - df + 0.5) / (df + 0.5))
        return weights

    def _similarities(
        self, dense: list[float], groups: Sequence[str], hits: list[Hit]
    ) -> dict[str, float]:
        """Cosine similarity of each hit: one dense query over the same candidates."""
        if not hits:
            return {}
        nearest = self._store.search(
            dense=dense,
            sparse=None,
            groups=groups,
            limit=self._settings.candidates,
            mode=SearchMode.DENSE,
        )
        known = {h.id: h.score for h in nearest}
        floor = min(known.values(), default=0.0)
        return {h.id: known.get(h.id, floor) for h in hits}

    def _supported(self, top: list[Passage], term_coverage: float, lang: str) -> bool:
        if not top:
            return False
        best = max(top, key=lambda p: p.similarity)
        s = self._settings
        if best.payload.get("doc_lang", lang) != lang:
            # Asked in one language, answered in another: shared words say nothing.
            return best.similarity >= s.min_similarity
        if best.similarity >= s.strong_similarity:
            return term_coverage >= s.min_term_coverage / 2
        if term_coverage >= _FULL_COVERAGE:  # every rare word of the question is there
            return best.similarity >= s.min_similarity - _FULL_COVERAGE_SLACK
        return best.similarity >= s.min_similarity and term_coverage >= s.min_term_coverage
