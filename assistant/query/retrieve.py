"""Find the passages a reader may see that best answer a question, and judge whether
they support an answer at all.

Ranking happens inside Qdrant (dense e5 + compound-aware BM25 fused by RRF, the access
filter in every prefetch), with the question alone or together with a hypothetical answer
the chat model wrote for it (query expansion). An endpoint reranker, when configured,
reorders the best candidates. Then documents in force go before superseded or expired
ones, and passages that repeat another's text (versions of one regulation, copies) are
dropped, so they do not crowd out the rest. Short passages can be widened with their
neighbours for the model's context.

Support is decided from two signals before any answer is written: the cosine similarity
of the best passages to the question, and how many of the question's content words the
best passages contain. Both are of the question as asked, never of its expansion.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from assistant.errors import ServiceError
from assistant.models.embeddings import EmbeddingModel
from assistant.models.rerank import Reranker
from assistant.settings import RetrievalSettings
from assistant.store import Hit, Search, SearchMode, VectorStore, chunk_point_id
from assistant.store.record import ChunkRecord
from assistant.text.answer_type import AnswerKind, asked_kinds, states
from assistant.text.designations import asked_sections, designations
from assistant.text.injection import strip_instructions
from assistant.text.language import detect_language
from assistant.text.sparse import SparseEncoder
from assistant.text.terms import TermMatcher

log = logging.getLogger(__name__)

_DF_CAP = 500
# A passage holding (nearly) all of the question's content words may be a little less
# similar than min_similarity: summaries ("Sammanfatta riktlinjen för bisysslor") are.
_FULL_COVERAGE = 0.9
_FULL_COVERAGE_SLACK = 0.015
# Two passages are near-duplicates when this share of the shorter one's word 4-grams
# is also in the other.
_DUPLICATE_OVERLAP = 0.8
_SHINGLE = 4
# A passage not in force goes below a passage in force that is nearly as similar to the
# question: within this much cosine for an expired document (often a late revision), and
# within more for a superseded one (its successor says what applies now).
_EXPIRED_MARGIN = 0.02
_SUPERSEDED_MARGIN = 0.05
_YEAR = re.compile(r"\b(?:19|20)\d\d\b")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


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
    tokens: int  # of ``text``, which widening can make longer than the stored chunk
    record: ChunkRecord = field(repr=False, compare=False)

    def validity(self, today: date | None = None) -> str | None:
        """'superseded', 'expired' (valid-until date passed) or None for a document in force."""
        return validity(self.record, today)

    @classmethod
    def from_hit(cls, hit: Hit, similarity: float) -> Passage:
        r = hit.record
        return cls(
            chunk_id=hit.id,
            doc_id=r.doc_id,
            file=r.file,
            source=r.source,
            title=r.title,
            page=r.page,
            page_label=r.page_label,
            heading=r.heading,
            text=r.text,
            score=hit.score,
            similarity=similarity,
            tokens=r.tokens,
            record=r,
        )


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
        term_coverage = max(
            (
                self._terms.coverage(
                    weights, self._terms.keys(f"{p.title} {p.heading or ''} {p.text}")
                )
                for p in top
            ),
            default=0.0,
        )
        supported = not unstated and (
            self._supported(top, term_coverage, detect_language(question))
            or (bool(top) and asked.section_of(top[0]))
        )
        return Retrieval(question, passages, term_coverage, supported, weights)

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

    def _supported(self, top: list[Passage], term_coverage: float, lang: str) -> bool:
        if not top:
            return False
        best = max(top, key=lambda p: p.similarity)
        s = self._settings
        if best.record.doc_lang != lang:
            # Asked in one language, answered in another: shared words say nothing.
            return best.similarity >= s.min_similarity
        if best.similarity >= s.strong_similarity:
            return term_coverage >= s.min_term_coverage / 2
        if term_coverage >= _FULL_COVERAGE:  # every rare word of the question is there
            return best.similarity >= s.min_similarity - _FULL_COVERAGE_SLACK
        return best.similarity >= s.min_similarity and term_coverage >= s.min_term_coverage


def validity(record: ChunkRecord, today: date | None = None) -> str | None:
    """'superseded', 'expired' (its valid-until date has passed) or None (in force)."""
    if record.superseded:
        return "superseded"
    valid_until = record.valid_until or ""
    if _ISO_DATE.fullmatch(valid_until) and valid_until < (today or date.today()).isoformat():
        return "expired"
    return None


def in_force_first(
    passages: Sequence[Passage], question: str = "", today: date | None = None
) -> list[Passage]:
    """Rank order that prefers documents in force, without hiding one that is not.

    A superseded document goes after everything in force when the document that replaced
    it is among the passages; otherwise below a passage in force after it that is nearly
    as similar to the question (within 0.05 cosine). A document past its valid-until date
    (often only a late revision) goes below one within 0.02. A passage clearly the best
    match keeps its place, marked as not in force: it may be the only one with the
    answer. A question naming a document by its designation, or a year in its title
    ("friskvårdsbidraget 2023"), asks for that document, in force or not. Equal scores
    keep a fixed order, so a question gets the same passages every time.
    """
    today = today or date.today()
    named = Asked.of(question)
    asked = set(_YEAR.findall(question))
    ranked = sorted(passages, key=lambda p: (-p.score, p.chunk_id))
    state = {
        p.chunk_id: None
        if asked & set(_YEAR.findall(p.title)) or named.document_of(p)
        else p.validity(today)
        for p in ranked
    }
    # A superseded document whose successor is among the passages says nothing that
    # applies now that the successor does not: it goes after everything in force.
    replaced = {
        p.chunk_id
        for p in ranked
        if state[p.chunk_id] == "superseded"
        and any(state[q.chunk_id] is None and _replaces(q, p) for q in ranked)
    }
    moved = True
    while moved:
        moved = False
        for i in range(len(ranked) - 1):
            a, b = ranked[i], ranked[i + 1]
            margin = _SUPERSEDED_MARGIN if state[a.chunk_id] == "superseded" else _EXPIRED_MARGIN
            if (
                state[a.chunk_id] is not None
                and state[b.chunk_id] is None
                and b.similarity >= a.similarity - margin
            ):
                ranked[i], ranked[i + 1] = b, a
                moved = True
    # A document the question names by its designation goes first, the section it names
    # before its other passages; what was replaced last.
    return sorted(
        ranked,
        key=lambda p: (
            bool(named.documents) and not named.document_of(p),
            bool(named.sections) and not named.section_of(p),
            p.chunk_id in replaced,
        ),
    )


def _replaces(new: Passage, old: Passage) -> bool:
    """Whether ``new`` is of the document ``old`` says replaced it ("Ersatt av: …"), named
    by its title or by a designation."""
    successor = (old.record.superseded_by or "").casefold().strip()
    if not successor:
        return False
    title = new.title.casefold().strip()
    by_title = bool(title) and (title in successor or successor in title)
    return by_title or bool(designations(successor) & set(new.record.designations))


@dataclass(frozen=True)
class Asked:
    """The documents and sections a question names: "5 kap. 3 § KL", "BFS 1992:46"."""

    documents: frozenset[str]
    sections: frozenset[str]

    @classmethod
    def of(cls, question: str) -> Asked:
        return cls(frozenset(designations(question)), frozenset(asked_sections(question)))

    def matches(self) -> list[dict[str, list[str]]]:
        """Store filters for the named section of the named documents, then for the rest
        of those documents; none when the question names no document."""
        if not self.documents:
            return []
        document = {"designations": sorted(self.documents)}
        section = [{**document, "sections": sorted(self.sections)}] if self.sections else []
        return [*section, document]

    def document_of(self, p: Passage) -> bool:
        return bool(self.documents & set(p.record.designations))

    def section_of(self, p: Passage) -> bool:
        return self.document_of(p) and bool(self.sections & set(p.record.sections))


def _merged(rankings: Sequence[list[Hit]]) -> list[Hit]:
    """The rankings one after the other, each passage once, where it first came."""
    seen: dict[str, Hit] = {}
    for ranking in rankings:
        for hit in ranking:
            seen.setdefault(hit.id, hit)
    return list(seen.values())


def distinct(passages: Sequence[Passage]) -> list[Passage]:
    """``passages`` without those that repeat the text of one ranked before them."""
    kept: list[tuple[Passage, frozenset[tuple[str, ...]]]] = []
    for p in passages:
        shingles = _shingles(p.text)
        if not any(_overlap(shingles, other) >= _DUPLICATE_OVERLAP for _, other in kept):
            kept.append((p, shingles))
    return [p for p, _ in kept]


def _shingles(text: str) -> frozenset[tuple[str, ...]]:
    words = re.findall(r"\w+", text.lower())
    return frozenset(tuple(words[i : i + _SHINGLE]) for i in range(len(words) - _SHINGLE + 1))


def _overlap(a: frozenset[tuple[str, ...]], b: frozenset[tuple[str, ...]]) -> float:
    smaller = min(len(a), len(b))
    return len(a & b) / smaller if smaller >= _SHINGLE else 0.0


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
