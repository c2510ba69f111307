"""Retrieval at scale: search and full-retrieval latency over a synthetic 100,000-chunk index.

Builds an embedded Qdrant Edge store in a temporary folder with ``--chunks`` synthetic
chunks (and, in the same pass, a baseline store holding the first 10 % of them), then
times, per query and excluding the embedding of the question:

- ``store.search`` in dense, sparse and hybrid mode, for a reader in no group (documents
  for everyone only) and for a reader in "hr", the access filter inside Qdrant as always;
- the whole ``Retriever.retrieve`` path (hybrid search, the second dense search for the
  similarities, the document count and one ``passages_with_term`` per question word, the
  term matching), with an embedder that hands back the question's precomputed vector.

Prints p50/p95/max per step for both index sizes, the ratio between them, a per-step
split of the retrieval time, build time and peak RSS. Target: retrieval p95 < 50 ms at
100,000 chunks.

The index is synthetic; nothing is copied into the repository and no corpus is read:

- **Text.** Swedish-looking passages of 150-250 words, sampled with a Zipf-like
  (Zipf-Mandelbrot) distribution from the words of the installed Hunspell Swedish
  dictionary (``hunspell-sv``), read at run time. The dictionary's function words (those
  on spaCy's Swedish stop-word list) take the most frequent ranks, as in real text, and
  the words of the benchmark questions are given ranks between 20 and 20,000 among the
  content words, so counting their passages meets both common and rare terms.
- **Sparse vectors.** The real ``SparseEncoder().document`` (Swedish BM25, compounds on).
- **Dense vectors.** Random unit vectors with cluster structure (a shared direction, as
  e5 vectors have, topics, documents within topics, chunks within documents; numpy,
  fixed seed), some topics placed near the questions. Embedding 100,000 chunks with e5
  would take hours on a 2-core machine; the dense side's cost depends on the number and
  size of the vectors, not on what they mean.
- **Questions.** Thirty Swedish policy questions, embedded once with the real e5 model
  (random vectors if it cannot be loaded); every timed query reuses those vectors.
- **Access.** About 30 % of the documents (so of the chunks) are readable by "hr" or
  "chefer" only, the rest by everyone (``*``), as the ingest job stores them.

Usage: ``python -m bench.scale [--chunks 100000] [--queries 200]`` (about three minutes
and 3.6 GB peak RSS at 100,000 chunks on two cores; most of it building the index).
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import resource
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from llama_index.core.base.embeddings.base import Embedding
from spacy.lang.sv.stop_words import STOP_WORDS

from assistant.models.embeddings import LocalE5Embedding
from assistant.models.factory import build_embedding
from assistant.query.retrieve import Retriever
from assistant.settings import Settings, load_settings
from assistant.store import (
    EVERYONE,
    DocState,
    Hit,
    Search,
    SearchMode,
    StoredPoint,
    chunk_point_id,
)
from assistant.store.edge import EdgeStore
from assistant.store.record import ChunkRecord
from assistant.text.sparse import SparseEncoder
from ingest.sync import index_key

QUESTIONS = [
    "Hur stort är friskvårdsbidraget och vad får det användas till?",
    "Hur många semesterdagar får sparas till nästa år?",
    "När ska sommarsemestern vara ansökt?",
    "Vem godkänner en utrikes tjänsteresa?",
    "Vilket är det högsta tillåtna hotellpriset vid tjänsteresor?",
    "Hur långt måste ett lösenord vara?",
    "När ska en personuppgiftsincident anmälas till Integritetsskyddsmyndigheten?",
    "Hur lång är handläggningstiden för parkeringstillstånd?",
    "När krävs tre skriftliga anbud vid direktupphandling?",
    "Vilka regler gäller för bisysslor?",
    "Hur anmäler jag sjukfrånvaro och när behövs läkarintyg?",
    "Vad gäller för rehabilitering efter lång sjukskrivning?",
    "Hur går lönerevisionen till och vem sätter lönen?",
    "Får jag arbeta hemifrån och vilka krav ställs på distansarbete?",
    "Hur ersätts övertid och mertid?",
    "Vad ska jag göra om jag utsätts för hot eller våld på arbetet?",
    "Hur rapporterar jag en arbetsskada eller ett tillbud?",
    "Vilka gåvor får en anställd ta emot från leverantörer?",
    "Hur ska allmänna handlingar diarieföras och arkiveras?",
    "Hur lång uppsägningstid har en tillsvidareanställd?",
    "Vad gäller för föräldraledighet och tillfällig föräldrapenning?",
    "Hur bokar jag en tjänstebil och hur redovisas körjournalen?",
    "Vilka krav gäller för upphandling av konsulttjänster?",
    "Hur hanteras klagomål på förskoleplacering?",
    "Hur ansöker man om bygglov för en altan?",
    "Vem ansvarar för brandskyddet i kommunens lokaler?",
    "Vad kostar avgiften för hemtjänst per månad?",
    "Hur länge sparas kamerabevakningens inspelningar?",
    "Vilka rutiner gäller vid misstanke om korruption eller oegentligheter?",
    "När betalas representationsersättning ut och vad är taket per person?",
]
_RESTRICTED = ("hr", "chefer")  # the groups restricted documents are readable by
_RESTRICTED_SHARE = 0.3
_SEED = 20240611
_BATCH = 1000  # points per upsert
_BASELINE_SHARE = 0.1


def _p(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# -- the synthetic corpus ---------------------------------------------------------------


def _dictionary_words() -> list[str]:
    """Lower-case alphabetic entries of the installed Swedish Hunspell dictionary."""
    files = importlib.metadata.files("hunspell-sv") or []
    dic = next(Path(str(f.locate())).resolve() for f in files if f.name == "sv_SE.dic")
    lines = dic.read_text(encoding="utf-8").splitlines()[1:]  # the first line is a count
    words = (line.partition("/")[0].strip() for line in lines)
    return list(dict.fromkeys(w for w in words if w.isalpha() and w.islower()))


def _vocabulary(rng: np.random.Generator, questions: Sequence[str]) -> list[str]:
    """Words by rank: function words first, the questions' words among the content words."""
    words = _dictionary_words()
    function = [w for w in words if w in STOP_WORDS]
    asked = sorted(
        {w.strip("?,.").lower() for q in questions for w in q.split() if len(w.strip("?,.")) > 3}
        - set(STOP_WORDS)
    )
    content = [w for w in words if w not in STOP_WORDS and w not in asked]
    rng.shuffle(function)
    rng.shuffle(content)
    ranks = np.exp(rng.uniform(np.log(20), np.log(20_000), len(asked))).astype(int)
    for rank, word in sorted(zip(ranks.tolist(), asked, strict=True)):
        content.insert(rank, word)
    return function + content


@dataclass
class _Corpus:
    """Deterministic synthetic documents, chunk by chunk, as the ingest job would store them."""

    vocab: np.ndarray  # words by rank
    questions: np.ndarray  # (n, dims) unit question vectors
    seed: int
    dims: int
    topics: int = 256
    cumulative: np.ndarray = field(init=False)  # of the rank probabilities
    centres: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        ranks = np.arange(len(self.vocab), dtype=np.float64)
        weights = 1.0 / (ranks + 2.7)  # Zipf-Mandelbrot, exponent 1
        self.cumulative = np.cumsum(weights) / weights.sum()
        rng = np.random.default_rng(self.seed + 1)
        common = _unit(self.questions.mean(axis=0))  # e5 vectors share a direction
        own = _unit(rng.standard_normal((self.topics, self.dims)))
        near = self.questions - np.outer(self.questions @ common, common)
        own[: len(near)] = _unit(near)  # the first topics are what the questions ask about
        self.centres = _unit(1.3 * common + own)

    def documents(self, total: int) -> Iterator[list[tuple[str, str, ChunkRecord]]]:
        """Per document: (point id, text to encode, record) of each chunk, ``total`` in all."""
        rng = np.random.default_rng(self.seed)
        made = 0
        doc = 0
        while made < total:
            n = min(total - made, 1 + int(rng.geometric(1 / 15)), 200)
            yield self._document(rng, doc, n)
            made += n
            doc += 1

    def _document(
        self, rng: np.random.Generator, doc: int, n: int
    ) -> list[tuple[str, str, ChunkRecord]]:
        restricted = rng.random() < _RESTRICTED_SHARE
        groups = [str(rng.choice(_RESTRICTED))] if restricted else [EVERYONE]
        title = f"{self._words(rng, 1)[0].capitalize()} – {' '.join(self._words(rng, 3))}"
        doc_id = hashlib.sha256(f"doc-{doc}".encode()).hexdigest()[:32]
        content_hash = hashlib.sha256(f"content-{doc}".encode()).hexdigest()
        key = index_key(content_hash, tuple(groups))
        common: dict[str, Any] = {
            "doc_id": doc_id,
            "index_key": key,
            "content_hash": content_hash,
            "chunk_count": n,
            "source": f"/synthetic/dok{doc:06d}.pdf",
            "file": f"dok{doc:06d}.pdf",
            "rel_path": f"dok{doc:06d}.pdf",
            "title": title,
            "format": "pdf",
            "page_count": n // 2 + 1,
            "groups": groups,
            "modified": "2024-05-01T08:00:00+00:00",
            "indexed_at": "2024-06-11T08:00:00+00:00",
            "doc_lang": "sv",
            "doc_type": str(rng.choice(["policy", "riktlinje", "rutin", "föreskrift"])),
        }
        if rng.random() < 0.03:
            common["superseded"] = True
        chunks = []
        heading = ""
        for i in range(n):
            if i % 3 == 0:
                heading = f"{i // 3 + 1}. {' '.join(self._words(rng, 3)).capitalize()}"
            words = self._words(rng, int(rng.integers(150, 251)))
            text = _sentences(rng, words)
            record = ChunkRecord(
                **common,
                chunk_index=i,
                text=text,
                kind="text",
                page=i // 2 + 1,
                page_label=str(i // 2 + 1),
                heading_path=(heading,),
                heading=heading,
                ocr=False,
                tokens=int(len(words) * 1.7),
                lang="sv",
            )
            chunks.append(
                (chunk_point_id(doc_id, key, i), f"{title} > {heading}\n\n{text}", record)
            )
        return chunks

    def _words(self, rng: np.random.Generator, n: int) -> list[str]:
        ranks = np.searchsorted(self.cumulative, rng.random(n), side="right")
        return list(self.vocab[np.minimum(ranks, len(self.vocab) - 1)])

    def dense(self, rng: np.random.Generator, sizes: Sequence[int]) -> np.ndarray:
        """Vectors for documents of ``sizes`` chunks: topic, then document, then chunk."""
        topic = self.centres[rng.integers(0, self.topics, len(sizes))]
        docs = _unit(topic + rng.normal(0, 0.025, topic.shape))
        per_chunk = np.repeat(docs, sizes, axis=0)
        return _unit(per_chunk + rng.normal(0, 0.02, per_chunk.shape)).astype(np.float32)


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def _sentences(rng: np.random.Generator, words: list[str]) -> str:
    out = []
    start = 0
    while start < len(words):
        end = min(len(words), start + int(rng.integers(6, 19)))
        sentence = " ".join(words[start:end])
        out.append(sentence[:1].upper() + sentence[1:] + ".")
        start = end
    return " ".join(out)


@dataclass
class _BuildTimes:
    text: float = 0.0
    sparse: float = 0.0
    dense: float = 0.0
    upsert: float = 0.0
    optimize: float = 0.0
    docs: int = 0
    restricted: int = 0
    rss_before_optimize: float = 0.0  # peak RSS in MB once every point is upserted


def _build(
    corpus: _Corpus, total: int, stores: list[tuple[EdgeStore, int]], t: _BuildTimes
) -> None:
    """Stream ``total`` chunks into the stores; each store takes the first ``n`` of them."""
    encoder = SparseEncoder()
    rng = np.random.default_rng(corpus.seed + 2)
    pending: list[tuple[str, str, ChunkRecord]] = []
    sizes: list[int] = []
    done = 0

    def flush() -> None:
        nonlocal done
        t0 = time.perf_counter()
        vectors = corpus.dense(rng, sizes).tolist()
        t1 = time.perf_counter()
        points = []
        for (point_id, embed_text, record), vector in zip(pending, vectors, strict=True):
            indices, values = encoder.document(embed_text, "sv")
            points.append(StoredPoint(point_id, vector, indices, values, record))
        t2 = time.perf_counter()
        for store, n in stores:
            if done < n:
                store.upsert(points[: n - done])
        t3 = time.perf_counter()
        t.dense += t1 - t0
        t.sparse += t2 - t1
        t.upsert += t3 - t2
        done += len(points)
        pending.clear()
        sizes.clear()

    t0 = time.perf_counter()
    for chunks in corpus.documents(total):
        t.docs += 1
        t.restricted += len(chunks) if chunks[0][2].groups != (EVERYONE,) else 0
        pending.extend(chunks)
        sizes.append(len(chunks))
        if len(pending) >= _BATCH:
            t.text += time.perf_counter() - t0
            flush()
            t0 = time.perf_counter()
    t.text += time.perf_counter() - t0
    if pending:
        flush()
    t.rss_before_optimize = _rss_mb()
    t0 = time.perf_counter()
    for store, _ in stores:
        store.optimize()
    t.optimize += time.perf_counter() - t0


# -- measuring --------------------------------------------------------------------------


class _TimedStore:
    """The store, with the time spent in each of its calls added up by name."""

    def __init__(self, inner: EdgeStore) -> None:
        self._inner = inner
        self.kind = inner.kind
        self.location = inner.location
        self.collection = inner.collection
        self.seconds: dict[str, float] = {}
        self.calls: dict[str, int] = {}

    def _timed(self, name: str, call: Callable[[], Any]) -> Any:
        t0 = time.perf_counter()
        try:
            return call()
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - t0
            self.calls[name] = self.calls.get(name, 0) + 1

    def reset(self) -> None:
        self.seconds.clear()
        self.calls.clear()

    def upsert(self, points: Sequence[StoredPoint]) -> None:
        self._inner.upsert(points)

    def delete_doc(self, doc_id: str, keep_key: str | None = None) -> None:
        self._inner.delete_doc(doc_id, keep_key)

    def doc_states(self) -> dict[str, DocState]:
        return self._inner.doc_states()

    def count(self) -> int:
        return int(self._timed("count", self._inner.count))

    def search(self, search: Search) -> list[Hit]:
        hits: list[Hit] = self._timed(
            f"search ({search.mode.value})", lambda: self._inner.search(search)
        )
        return hits

    def get_points(self, ids: Sequence[str]) -> list[Hit]:
        return self._inner.get_points(ids)

    def passages_with_term(self, term: int, groups: Sequence[str], cap: int) -> int:
        return int(
            self._timed(
                "passages_with_term", lambda: self._inner.passages_with_term(term, groups, cap)
            )
        )

    def optimize(self) -> None:
        self._inner.optimize()

    def close(self) -> None:
        self._inner.close()


class _Precomputed(LocalE5Embedding):
    """Hands back each question's vector, computed before the clock started."""

    vectors: dict[str, list[float]]

    def _get_query_embedding(self, query: str) -> Embedding:
        return self.vectors[query]


@dataclass(frozen=True)
class _Query:
    text: str
    dense: list[float]
    sparse: tuple[list[int], list[float]]


Figures = dict[str, list[float]]  # row label -> latencies in ms
Split = dict[str, tuple[float, float]]  # step -> (mean ms per retrieval, calls per retrieval)
_STEPS = {
    "search (hybrid)": "hybrid search (RRF)",
    "search (dense)": "dense search for similarities",
    "count": "count() (exact)",
    "passages_with_term": "passages_with_term()",
}


def _measure(
    store: EdgeStore, settings: Settings, queries: list[_Query], n: int
) -> tuple[Figures, Split]:
    s = settings.retrieval
    timed = _TimedStore(store)
    vectors = {q.text: q.dense for q in queries}
    retriever = Retriever(timed, _Precomputed(model_name="precomputed", vectors=vectors), s)
    figures: Figures = {}
    readers: dict[str, list[str]] = {"everyone": [], "hr": ["hr"]}

    def run(label: str, call: Callable[[_Query, list[str]], object], groups: list[str]) -> None:
        for i in range(min(n, 20)):  # warm-up, not timed
            call(queries[i % len(queries)], groups)
        times = figures.setdefault(label, [])
        for i in range(n):
            t0 = time.perf_counter()
            call(queries[i % len(queries)], groups)
            times.append((time.perf_counter() - t0) * 1000)

    for mode in SearchMode:

        def search(q: _Query, groups: list[str], mode: SearchMode = mode) -> object:
            return store.search(
                Search(q.dense, q.sparse, groups, s.top_k, mode, prefetch_limit=s.candidates)
            )

        for who, groups in readers.items():
            run(f"search {mode.value} [{who}]", search, groups)
    for who, groups in readers.items():
        run(f"retrieve [{who}]", lambda q, g: retriever.retrieve(q.text, g), groups)

    # Where the retrieval time goes: the same path once more, store calls timed one by one.
    timed.reset()
    t0 = time.perf_counter()
    for i in range(n):
        retriever.retrieve(queries[i % len(queries)].text, [])
    total = (time.perf_counter() - t0) * 1000 / n
    split: Split = {
        _STEPS.get(name, name): (seconds * 1000 / n, timed.calls[name] / n)
        for name, seconds in timed.seconds.items()
    }
    rest = total - sum(ms for ms, _ in split.values())
    split["rest: BM25 query, term matching"] = (rest, 1.0)
    split["total"] = (total, 1.0)
    return figures, split


def _questions(settings: Settings, dims: int) -> tuple[np.ndarray, str]:
    """The questions' e5 vectors, or random ones if the model cannot be loaded."""
    try:
        embedder = build_embedding(settings.embedding)
        vectors = np.asarray([embedder.get_query_embedding(q) for q in QUESTIONS])
        return _unit(vectors), f"e5 ({settings.embedding.model})"
    except Exception as exc:  # no model files: the timings hardly depend on the vectors
        rng = np.random.default_rng(_SEED + 3)
        return _unit(rng.standard_normal((len(QUESTIONS), dims))), f"random ({exc})"


def _report(
    sizes: tuple[int, int], base: tuple[Figures, Split], full: tuple[Figures, Split]
) -> None:
    a, b = sizes
    print()
    print(f"{'ms per query':<30}{f'{a:,} chunks':>20}{f'{b:,} chunks':>20}{'p95 ratio':>11}")
    print(f"{'':<30}{'p50   p95   max':>20}{'p50   p95   max':>20}")
    for label, values in full[0].items():
        small = base[0][label]
        cols = [f"{_p(v, 0.5):5.1f} {_p(v, 0.95):5.1f} {max(v):5.1f}" for v in (small, values)]
        ratio = _p(values, 0.95) / max(_p(small, 0.95), 1e-9)
        print(f"{label:<30}{cols[0]:>20}{cols[1]:>20}{ratio:>10.1f}x")
    print()
    print(f"{'retrieve [everyone] by step':<34}{'mean ms (calls)':>16}{'mean ms (calls)':>20}")
    for step, (ms, calls) in full[1].items():
        small_ms, small_calls = base[1].get(step, (0.0, 0.0))
        print(f"{step:<34}{small_ms:>9.1f} ({small_calls:3.1f}){ms:>13.1f} ({calls:3.1f})")


def main(chunks: int, queries: int) -> None:
    base_n = max(1, int(chunks * _BASELINE_SHARE))
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        full_settings = load_settings(data_dir=Path(tmp) / "full")
        base_settings = load_settings(data_dir=Path(tmp) / "base")
        dims = full_settings.embedding.dimensions
        t0 = time.perf_counter()
        question_vectors, source = _questions(full_settings, dims)
        print(
            f"questions: {len(QUESTIONS)}, vectors from {source} in "
            f"{time.perf_counter() - t0:.1f} s"
        )

        rng = np.random.default_rng(_SEED)
        vocab = _vocabulary(rng, QUESTIONS)
        corpus = _Corpus(np.asarray(vocab, dtype=object), question_vectors, _SEED, dims)
        print(f"vocabulary: {len(vocab):,} words from hunspell-sv (Zipf-like ranks)")

        full = EdgeStore.open(full_settings)
        stack.callback(full.close)
        base = EdgeStore.open(base_settings)
        stack.callback(base.close)
        times = _BuildTimes()
        t0 = time.perf_counter()
        _build(corpus, chunks, [(full, chunks), (base, base_n)], times)
        wall = time.perf_counter() - t0
        print(
            f"build: {full.count():,} chunks in {times.docs:,} documents "
            f"({times.restricted / chunks:.0%} of chunks restricted to hr/chefer), "
            f"plus the {base.count():,}-chunk baseline: {wall:.1f} s"
        )
        print(
            f"  text {times.text:.1f} s, BM25 vectors {times.sparse:.1f} s, dense vectors "
            f"{times.dense:.1f} s, upsert {times.upsert:.1f} s, optimize {times.optimize:.1f} s;"
            f" {chunks / wall:.0f} chunks/s"
        )

        print(
            f"  peak RSS {times.rss_before_optimize:.0f} MB after the upserts, "
            f"{_rss_mb():.0f} MB after optimize (memory-mapped segment files count too)"
        )

        encoder = SparseEncoder(compounds=full_settings.retrieval.compounds)
        prepared = [
            _Query(q, [float(x) for x in v], encoder.query(q))
            for q, v in zip(QUESTIONS, question_vectors, strict=True)
        ]
        t0 = time.perf_counter()
        base_figures = _measure(base, base_settings, prepared, queries)
        full_figures = _measure(full, full_settings, prepared, queries)
        r = full_settings.retrieval
        print(
            f"measured {queries} queries per row (after a warm-up) in "
            f"{time.perf_counter() - t0:.1f} s; search limit {r.top_k}, prefetch "
            f"{r.candidates} per side; retrieve in {r.mode} mode, query embedding excluded"
        )
        _report((base_n, chunks), base_figures, full_figures)

        p95 = max(_p(v, 0.95) for k, v in full_figures[0].items() if k.startswith("retrieve"))
        verdict = "met" if p95 < 50 else "NOT met"
        print()
        print(
            f"target: retrieval p95 < 50 ms at {chunks:,} chunks: {verdict} "
            f"(worst retrieve p95 {p95:.1f} ms)"
        )
        print(f"peak RSS {_rss_mb():.0f} MB")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--chunks", type=int, default=100_000, help="chunks in the index")
    parser.add_argument("--queries", type=int, default=200, help="timed queries per row")
    args = parser.parse_args()
    main(args.chunks, args.queries)
