"""Retrieval comparison on the shipped suites: dense-only, BM25-only, hybrid, and each
sparse configuration with and without Swedish compound splitting.

For each suite the documents are indexed twice (compound parts off and on; the dense
vectors are the same), then every configuration runs the suite through the app's answer
path in extractive mode, so citation figures come from the same retrieval without a model
in the way. Prints one Markdown table per suite. Retrieval latency is the whole retrieval
step of an answer (query embedding, the fused search, similarity and word-weight lookups).

Indexes are kept under ``--data-root`` (default ``.data/bench-retrieval``) and only
re-synced on later runs; each run is saved with the index, for ``assistant eval compare``.
Usage:
``python -m bench.retrieval [--suite examples|sv-public ...] [--corpus FOLDER]``.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.query.runtime import open_runtime
from assistant.settings import Settings, load_settings
from evals.runner import run_suite, save_run
from examples.build import build_examples
from ingest.sync import IngestJob

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus" / "sv-public"
METRICS = ("doc_hit@5", "evidence_hit@5", "ndcg@10", "citation_precision", "refusal_accuracy")
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


def _evaluate(root: Path, suite: Suite) -> list[tuple[str, dict[str, Any]]]:
    for compounds in (False, True):
        _index(_settings(root, suite, "hybrid", compounds), suite.docs)
    rows = []
    for label, mode, compounds in CONFIGS:
        settings = _settings(root, suite, mode, compounds)
        with open_runtime(settings, with_model=False) as runtime:
            run = run_suite(
                REPO / "evals" / "suites" / f"{suite.name}.jsonl",
                runtime,
                groups=suite.groups,
                mode="extractive",
            )
        save_run(run, settings.evals_dir)  # for `assistant eval compare`
        rows.append((label, run.summary))
    return rows


def _table(suite: Suite, rows: list[tuple[str, dict[str, Any]]]) -> str:
    head = ["configuration", *METRICS, "retrieval p50 / p95 ms"]
    lines = [f"### {suite.name}", "", "| " + " | ".join(head) + " |", "|---" * len(head) + "|"]
    for label, s in rows:
        cells = [f"{s[m]:.3f}" if s.get(m) is not None else "–" for m in METRICS]
        latency = f"{s[LATENCY[0]]:.0f} / {s[LATENCY[1]]:.0f}"
        lines.append("| " + " | ".join([label, *cells, latency]) + " |")
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
        suites.append(Suite("sv-public", args.corpus, ()))
    for suite in suites:
        print(f"{suite.name}:")
        rows = _evaluate(root, suite)
        print()
        print(_table(suite, rows))
        print()


if __name__ == "__main__":
    main()
