"""Find the passages a reader may see that best answer a question, and judge whether
they support an answer at all.

Ranking happens inside Qdrant (dense e5 + compound-aware BM25 fused by RRF, the access
filter in every prefetch), with the question alone or together with a hypothetical answer
the chat model wrote for it (query expansion). An endpoint reranker, when configured,
reorders the best candidates. Then the passages are put in order (``rank``: documents in
force first, no near-duplicates), a passage stating the kind of fact the question asks
for is brought up from deeper in the documents found, and support is decided
(``support``). Short passages can be widened with their neighbours for the model's
context.
"""

from __future__ import annotations

import dataclasses
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from assistant.errors import ServiceError
from assistant.models.embeddings import EmbeddingModel
from assistant.models.rerank import Reranker
from assistant.query.contract import Passage
from assistant.query.rank import Asked, distinct, in_force_first
from assistant.query.support import supported, term_coverage
from assistant.settings import RetrievalSettings
from assistant.store import Hit, Search, SearchMode, VectorStore, chunk_point_id
from assistant.store.record import ChunkRecord
from assistant.text.answer_type import AnswerKind, asked_kinds, states
from assistant.text.injection import strip_instructions
from assistant.text.language import detect_language
from assistant.text.sparse import SparseEncoder
from assistant.text.spelling import QuestionNormaliser
from assistant.text.terms import TermMatcher

log = logging.getLogger(__name__)

_DF_CAP = 500


@dataclass(frozen=True)
class Retrieval:
    question: str
    passages: list[Passage]  # in rank order
    term_coverage: float  # share of the question's content words found in the top passages
    supported: bool
    term_weights: dict[str, float] = field(default_factory=dict)  # question word -> IDF


class Retriever:
    def __init__(
        self,
        store: VectorStore,
        embedder: EmbeddingModel,
        settings: RetrievalSettings,
        sparse: SparseEncoder | None = None,
        reranker: Reranker | None = None,
    ) -> None:
        self._store = store
        self._embedder = embedder
        self._settings = settings
        self._sparse = sparse or SparseEncoder(compounds=settings.compounds)
        self._terms = TermMatcher(self._sparse)
        self._reranker = reranker
        self._normaliser = QuestionNormaliser.swedish() if settings.normalise_questions else None

    def retrieve(
        self, question: str, groups: Sequence[str], expansion: str | None = None
    ) -> Retrieval:
        """Passages for ``question`` that a member of ``groups`` may read.

        ``expansion`` (a hypothetical answer in the documents' words) is searched together
        with the question, dense and BM25, to rank. Support is still decided on the
        question alone: the similarity of its own embedding (the thresholds were
        calibrated on it) and the coverage of its own words; the documents and sections
        it names come from it too.
        """
        s = self._settings
        question = self._normalised(question, groups)
        asked_vector = self._embedder.get_query_embedding(question)
        searched = f"{question}\n{expansion}" if expansion else question
        dense = self._embedder.get_query_embedding(searched) if expansion else asked_vector
        search = Search(
            dense=dense,
            sparse=self._sparse.query(searched),
            groups=groups,
            # spare hits, so dropped duplicates do not shorten the list
            limit=min(2 * s.top_k, s.candidates),
            mode=SearchMode(s.mode),
            prefetch_limit=s.candidates,
            fusion=s.fusion,
        )
        asked = Asked.of(question)
        narrowed = [dataclasses.replace(search, match=m, limit=s.top_k) for m in asked.matches()]
        hits = _merged([self._store.search(n) for n in narrowed] + [self._store.search(search)])
        similarity = self._similarities(asked_vector, search, narrowed, hits)
        passages = [Passage.from_hit(h, similarity.get(h.id, 0.0)) for h in hits]
        passages = self._reranked(question, passages)
        passages = distinct(in_force_first(passages, question))
        kinds = asked_kinds(question) if s.answer_kinds else frozenset()
        passages, unstated = self._stating_first(kinds, passages, search, asked_vector)
        passages = passages[: s.top_k]
        top = passages[: s.context_passages]
        weights = self._term_weights(question, groups)
        coverage = term_coverage(top, weights, self._terms)
        answered = not unstated and (
            supported(top, coverage, detect_language(question), s)
            or (bool(top) and asked.section_of(top[0]))
        )
        return Retrieval(question, passages, coverage, answered, weights)

    def _normalised(self, question: str, groups: Sequence[str]) -> str:
        """The question in the documents' spelling (``assistant.text.spelling``): how many
        passages the reader may see use a word keeps it, or chooses between spellings."""
        if self._normaliser is None:
            return question

        def used(word: str) -> int | None:
            stem = self._terms.stem(word)
            return None if stem is None else self._store.passages_with_term(stem, groups, _DF_CAP)

        normalised = self._normaliser.normalise(question, used)
        if normalised.changes:
            log.debug("Searched as %r (%s)", normalised.text, normalised.changes)
        return normalised.text

    def widened(self, passage: Passage) -> Passage:
        """A short passage with its neighbouring chunks on the same page, for the model.

        Chunks end at headings, so a hit can be a heading and two lines; the lines before
        and after it often hold what the question needs. Neighbours come from the same
        document version, so they have the same readers as the hit.
        """
        s = self._settings
        tokens = passage.tokens
        if not s.widen_below_tokens or tokens >= s.widen_below_tokens:
            return passage
        record = passage.record
        index = record.chunk_index
        ids = {
            i: chunk_point_id(passage.doc_id, record.index_key, i)
            for i in (index - 1, index + 1)
            if 0 <= i < record.chunk_count
        }
        found = {h.id: h for h in self._store.get_points(list(ids.values()))}
        before, after = found.get(ids.get(index - 1, "")), found.get(ids.get(index + 1, ""))
        # Each chunk is screened under its own heading before they are joined: a heading
        # can announce what its text tells a model (``assistant.text.injection``).
        text = _screened(passage.text, record)
        joined = False
        for hit, at_end in ((after, True), (before, False)):
            if hit is None or not _same_version_and_page(hit.record, record):
                continue
            if tokens + hit.record.tokens > s.widen_to_tokens:
                continue
            text = _join(text, _screened(hit.record.text, hit.record), at_end)
            tokens += hit.record.tokens
            joined = True
        if not joined:
            return passage
        return dataclasses.replace(passage, text=text, tokens=tokens)

    def _stating_first(
        self,
        kinds: frozenset[AnswerKind],
        passages: list[Passage],
        search: Search,
        vector: list[float],
    ) -> tuple[list[Passage], frozenset[AnswerKind]]:
        """The ranking with, for each kind of fact the question asks for (an amount, a
        period, a date, …) that no context passage states, the best passage of the
        context's documents that states it, second; and the kinds none of them states.

        The documents are the ones the ranking found; this only looks deeper into them
        (a search narrowed to them, which can only narrow the reader's access).
        """
        context = passages[: self._settings.context_passages]
        unstated = {k for k in kinds if not any(states(k, p.text) for p in context)}
        if not unstated or not context:
            return passages, frozenset(unstated)
        documents = list(dict.fromkeys(p.doc_id for p in context))
        inside = dataclasses.replace(
            search, match={"doc_id": documents}, limit=self._settings.candidates
        )
        hits = self._store.search(inside)
        similarity = self._similarities(vector, inside, (), hits)
        seen = {p.chunk_id for p in context}
        deeper = [p for p in passages if p.chunk_id not in seen and p.doc_id in documents]
        seen |= {p.chunk_id for p in deeper}
        deeper += [Passage.from_hit(h, similarity[h.id]) for h in hits if h.id not in seen]
        brought: dict[str, Passage] = {}
        for kind in sorted(unstated):
            found = next((p for p in deeper if states(kind, p.text)), None)
            if found is not None:
                unstated.discard(kind)
                brought[found.chunk_id] = found
        if not brought:
            return passages, frozenset(unstated)
        rest = [p for p in passages[1:] if p.chunk_id not in brought]
        return [passages[0], *brought.values(), *rest], frozenset(unstated)

    def _reranked(self, question: str, passages: list[Passage]) -> list[Passage]:
        """The best candidates in the reranker's order; the fused order if it fails."""
        if self._reranker is None or not passages:
            return passages
        head = passages[: self._settings.rerank.candidates]
        try:
            scores = self._reranker.rerank(question, [p.text for p in head])
        except ServiceError as exc:
            log.warning("Reranker unavailable, keeping the fused order: %s", exc)
            return passages
        reranked = [
            dataclasses.replace(p, score=float(score))
            for p, score in sorted(zip(head, scores, strict=True), key=lambda ps: -ps[1])
        ]
        floor = min((p.score for p in reranked), default=0.0)
        # The rest keep their order, below every reranked passage.
        rest = [
            dataclasses.replace(p, score=floor - 1 - i) for i, p in enumerate(passages[len(head) :])
        ]
        return reranked + rest

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
        self, vector: list[float], search: Search, narrowed: Sequence[Search], hits: list[Hit]
    ) -> dict[str, float]:
        """Cosine similarity of each hit to ``vector``: dense queries over the same
        candidates (a hit none of them finds gets the lowest similarity they found)."""
        if not hits:
            return {}
        known: dict[str, float] = {}
        for each in (search, *narrowed):
            dense = dataclasses.replace(
                each,
                dense=vector,
                sparse=None,
                mode=SearchMode.DENSE,
                limit=self._settings.candidates,
            )
            known |= {h.id: h.score for h in self._store.search(dense)}
        floor = min(known.values(), default=0.0)
        return {h.id: known.get(h.id, floor) for h in hits}


def _merged(rankings: Sequence[list[Hit]]) -> list[Hit]:
    """The rankings one after the other, each passage once, where it first came."""
    seen: dict[str, Hit] = {}
    for ranking in rankings:
        for hit in ranking:
            seen.setdefault(hit.id, hit)
    return list(seen.values())


def _same_version_and_page(a: ChunkRecord, b: ChunkRecord) -> bool:
    """Neighbours in the text: the same page of the same version (a card stands alone)."""
    if "card" in (a.kind, b.kind):
        return False
    return (a.doc_id, a.index_key, a.page, a.groups) == (b.doc_id, b.index_key, b.page, b.groups)


def _screened(text: str, record: ChunkRecord) -> str:
    return strip_instructions(text, record.heading_path[-1] if record.heading_path else "")


def _join(text: str, neighbour: str, at_end: bool) -> str:
    """Join two consecutive chunks, without the text their overlap repeats."""
    first, second = (text, neighbour) if at_end else (neighbour, text)
    for size in range(min(len(first), len(second)), 20, -1):
        if first.endswith(second[:size]):
            second = second[size:]
            break
    return f"{first}\n{second.lstrip()}" if second.strip() else first
