"""Retrieval comparison on the shipped suites, the naive llama-index baseline first.

Rows: the naive pipeline (``bench/baseline.py``: SimpleDirectoryReader + SentenceSplitter
350/50 + VectorStoreIndex with the same e5-small), then ours: dense-only, BM25-only,
hybrid, each sparse configuration with and without Swedish compound splitting. For each
suite the documents are indexed twice (compound parts off and on; the dense vectors are
the same), then every configuration runs the suite through the app's answer path in
extractive mode, so citation and refusal figures come from retrieval and the "no support"
decision without a model in the way. A split suite (sv-public) gets one table per part:
choose on dev, report on test. Key figures carry their 95 % bootstrap interval.
Retrieval latency is the whole retrieval step of an answer (query embedding, the fused
search, similarity and word-weight lookups).

Indexes are kept under ``--data-root`` (default ``.data/bench-retrieval``) and only
re-synced on later runs; each run is saved with the index, for ``assistant eval compare``.
Usage:
``python -m bench.retrieval [--suite examples|sv-public ...] [--corpus FOLDER]``.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

from assistant.models.embeddings import LocalE5Embedding
from assistant.runtime import open_runtime
from assistant.settings import Settings, load_settings
from bench.baseline import naive_index, naive_run
from evals.metrics import aggregate
from evals.records import EvalRun
from evals.runner import run_suite, save_run
from examples.build import build_examples
from ingest.sync import IngestJob

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus" / "sv-public"
METRICS = (
    "evidence_hit@5",
    "doc_hit@5",
    "ndcg@10",
    "citation_precision",
    "refusal_accuracy",
    "refusal_precision",
    "refusal_recall",
)
WITH_INTERVAL = ("evidence_hit@5", "refusal_accuracy")
LATENCY = ("latency_retrieve_p50_ms", "latency_retrieve_p95_ms")
CONFIGS = (  # (label, retrieval mode, compound parts)
    ("dense only", "dense", False),
    ("BM25 only", "sparse", False),
    ("BM25 + compounds", "sparse", True),
    ("hybrid", "hybrid", False),
    ("hybrid + compounds", "hybrid", True),
)


@dataclass(frozen=True)
class Suite:
    name: str
    docs: Path
    groups: tuple[str, ...]
    splits: tuple[str | None, ...] = (None,)

    @property
    def path(self) -> Path:
        return REPO / "evals" / "suites" / f"{self.name}.jsonl"


def _settings(root: Path, suite: Suite, mode: str, compounds: bool) -> Settings:
    return load_settings(
        data_dir=root / f"{suite.name}-compounds-{'on' if compounds else 'off'}",
        retrieval={"mode": mode, "compounds": compounds},
    )


def _index(settings: Settings, docs: Path) -> None:
    with open_runtime(settings, with_model=False) as runtime:
        report = IngestJob(settings, runtime.store, runtime.embedder).run([docs])
        t = report.totals()
        print(f"  indexed {docs.name}: {t['chunks']} chunks, {report.seconds:.0f} s")


def _evaluate(root: Path, suite: Suite, split: str | None) -> list[tuple[str, EvalRun]]:
    embedder = LocalE5Embedding(model_name="multilingual-e5-small-q4")
    index = naive_index(suite.docs, root / f"{suite.name}-naive-llama-index", embedder)
    rows = [("naive llama-index (baseline)", naive_run(index, suite.path, split))]
    for label, mode, compounds in CONFIGS:
        settings = _settings(root, suite, mode, compounds)
        with open_runtime(settings, with_model=False) as runtime:
            run = run_suite(
                suite.path, runtime, groups=suite.groups, mode="extractive", split=split
            )
        save_run(run, settings.evals_dir)  # for `assistant eval compare`
        rows.append((label, run))
    return rows


def _cell(run: EvalRun, name: str) -> str:
    value = run.summary.get(name)
    if not isinstance(value, float):
        return "–"
    interval = run.intervals.get(name) if name in WITH_INTERVAL else None
    return f"{value:.3f}" + (f" [{interval[0]:.2f}–{interval[1]:.2f}]" if interval else "")


def _table(suite: Suite, split: str | None, rows: list[tuple[str, EvalRun]]) -> str:
    head = ["configuration", *METRICS, "English ev_hit@5", "retrieval p50 / p95 ms"]
    part = f" ({split} part, {rows[0][1].cases} cases)" if split else ""
    lines = [
        f"### {suite.name}{part}",
        "",
        "| " + " | ".join(head) + " |",
        "|---" * len(head) + "|",
    ]
    for label, run in rows:
        english = aggregate([r for r in run.results if r.lang == "en"]).get("evidence_hit@5")
        s = run.summary
        latency = f"{s[LATENCY[0]]:.0f} / {s[LATENCY[1]]:.0f}"
        english_cell = f"{english:.3f}" if isinstance(english, float) else "–"
        cells = [_cell(run, m) for m in METRICS]
        lines.append("| " + " | ".join([label, *cells, english_cell, latency]) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--suite", action="append", choices=["examples", "sv-public"])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--data-root", type=Path, default=REPO / ".data" / "bench-retrieval")
    args = parser.parse_args()
    root: Path = args.data_root
    wanted = args.suite or ["examples", "sv-public"]
    suites = []
    if "examples" in wanted:
        built = root / "examples-docs"
        build_examples(built)
        suites.append(Suite("examples", built, ("hr", "chefer")))
    if "sv-public" in wanted:
        suites.append(Suite("sv-public", args.corpus, (), splits=("dev", "test")))
    for suite in suites:
        print(f"{suite.name}:")
        for compounds in (False, True):
            _index(_settings(root, suite, "hybrid", compounds), suite.docs)
        for split in suite.splits:
            rows = _evaluate(root, suite, split)
            print()
            print(_table(suite, split, rows))
            print()


if __name__ == "__main__":
    main()
