"""The named baseline every retrieval table starts with: a naive llama-index pipeline.

``SimpleDirectoryReader`` (llama-index's file readers: pypdf per PDF page, docx2txt,
Markdown; HTML read as text) → ``SentenceSplitter`` (350/50 tokens, as ours) →
``VectorStoreIndex`` in memory with the same e5-small embedding model, top-k by cosine.
No access groups, no hybrid search, no "no support" decision: it never refuses.

The index is persisted with llama-index's own storage under ``folder`` and reused, so the
corpus is embedded once. Each case of a suite is scored with the same retrieval metrics
as the app's evaluation runs (``evals.metrics``), with bootstrap intervals.
"""

from __future__ import annotations

import time
from pathlib import Path

from llama_index.core import (
    SimpleDirectoryReader,
    StorageContext,
    VectorStoreIndex,
    load_index_from_storage,
)
from llama_index.core.node_parser import SentenceSplitter
from llama_index.core.schema import NodeWithScore

from assistant.models.embeddings import LocalE5Embedding
from assistant.query.contract import Source
from evals.dataset import load_cases
from evals.metrics import aggregate, intervals, retrieval_metrics
from evals.records import CaseResult, EvalRun

TOP_K = 10


def naive_index(corpus: Path, folder: Path, embedder: LocalE5Embedding) -> VectorStoreIndex:
    """The baseline's index of ``corpus``, built once and then loaded from ``folder``."""
    if (folder / "docstore.json").is_file():
        storage = StorageContext.from_defaults(persist_dir=str(folder))
        index = load_index_from_storage(storage, embed_model=embedder)
        assert isinstance(index, VectorStoreIndex)
        return index
    documents = SimpleDirectoryReader(str(corpus)).load_data()
    nodes = SentenceSplitter(chunk_size=350, chunk_overlap=50).get_nodes_from_documents(documents)
    started = time.perf_counter()
    index = VectorStoreIndex(nodes, embed_model=embedder, show_progress=False)
    print(
        f"  naive llama-index: {len(documents)} documents, {len(nodes)} chunks, "
        f"embedded in {time.perf_counter() - started:.0f} s"
    )
    index.storage_context.persist(persist_dir=str(folder))
    return index


def naive_run(index: VectorStoreIndex, suite: Path, split: str | None) -> EvalRun:
    """The suite's cases (of ``split``) through the baseline's retriever, scored like a run."""
    retriever = index.as_retriever(similarity_top_k=TOP_K)
    results = []
    for case in load_cases(suite, split):
        started = time.perf_counter()
        hits = retriever.retrieve(case.question)
        ms = round((time.perf_counter() - started) * 1000, 1)
        expected_refusal = case.type == "unanswerable"
        metrics = {} if expected_refusal else retrieval_metrics(case, _sources(hits))
        results.append(
            CaseResult(
                id=case.id,
                question=case.question,
                type=case.type,
                lang=case.lang,
                split=case.split,
                refused=False,  # it always answers
                expected_refusal=expected_refusal,
                metrics=metrics,
                timings_ms={"retrieve": ms, "total": ms},
            )
        )
    return EvalRun(
        id=f"naive-llama-index-{suite.stem}-{split or 'all'}",
        suite=suite.stem,
        suite_path=str(suite),
        split=split,
        mode="retrieval only",
        model="none",
        summary=aggregate(results),
        intervals=intervals(results),
        results=results,
    )


def _sources(hits: list[NodeWithScore]) -> list[Source]:
    sources = []
    for n, hit in enumerate(hits, start=1):
        meta = hit.node.metadata
        label = str(meta.get("page_label", ""))
        sources.append(
            Source(
                n=n,
                file=str(meta.get("file_name", "")),
                page=int(label) if label.isdigit() else None,
                heading=None,
                quote=hit.node.get_content(),
                doc_id=str(hit.node.ref_doc_id or ""),
                chunk_id=hit.node.node_id,
                score=round(float(hit.score or 0.0), 4),
            )
        )
    return sources
