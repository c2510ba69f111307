"""Right answers: key-fact correctness of the answer forms on sv-public, quoted (no model)
beside the default (the local model writes, the quote stands in), in one process.

For each part (dev: choose; test: report) the suite runs through the app's answer path
twice on one index: ``extractive`` (the quoted form only) and ``generative`` (the
default). The generative run keeps both forms of every answer (``Answer.alternative``),
so three policies are measured on the same cases: the shown answer (the default choice
between written and quoted), always written (when the model wrote a checked answer) and
always quoted. Printed with 95 % bootstrap intervals: key-fact correctness (overall,
written, quoted), citation precision and recall, refusal precision and recall, English
cases (evidence in the top five, key facts), the share of written answers and the first
token p50 / p95.

The index is built under ``--data-dir`` (default ``.data/bench-facts``) and re-synced on
later runs. Usage: ``python -m bench.facts [--split dev|test ...] [--corpus FOLDER]``.
"""

from __future__ import annotations

import argparse
import random
from collections.abc import Sequence
from pathlib import Path

from assistant.query.contract import Mode
from assistant.runtime import open_runtime
from assistant.settings import load_settings
from evals.metrics import aggregate, intervals
from evals.records import CaseResult, EvalRun
from evals.runner import run_suite
from ingest.sync import IngestJob

REPO = Path(__file__).resolve().parent.parent
SUITE = REPO / "evals" / "suites" / "sv-public.jsonl"
CORPUS = REPO.parent / "shared" / "corpus" / "sv-public"
FORMS: tuple[tuple[str, Mode | None], ...] = (
    ("quoted (no model)", "extractive"),
    ("generative (default)", None),
)
FIGURES = (
    "key_fact_correct",
    "key_fact_correct_written",
    "key_fact_correct_quoted",
    "citation_precision",
    "citation_recall",
    "refusal_precision",
    "refusal_recall",
    "written_share",
)


def _policy(results: Sequence[CaseResult], form: str) -> tuple[float, float, float] | None:
    """Key-fact correctness had every answer been shown ``form`` where the answer step
    had it (the other form where it had only that), with a 95 % bootstrap interval."""
    values = []
    for r in results:
        m = r.metrics
        if "key_fact_correct" not in m:
            continue
        values.append(m.get(f"key_fact_correct_{form}", m["key_fact_correct"]))
    if not values:
        return None
    rng = random.Random(0)
    means = sorted(sum(rng.choices(values, k=len(values))) / len(values) for _ in range(1000))
    return sum(values) / len(values), means[24], means[974]


def _cell(run: EvalRun, name: str) -> str:
    value = run.summary.get(name)
    if not isinstance(value, float):
        return "–"
    low_high = run.intervals.get(name)
    return f"{value:.3f}" + (f" [{low_high[0]:.2f}–{low_high[1]:.2f}]" if low_high else "")


def _english(run: EvalRun) -> str:
    english = [r for r in run.results if r.lang == "en"]
    if not english:
        return "–"
    s = aggregate(english)
    found = intervals(english).get("evidence_hit@5")
    hit = s.get("evidence_hit@5")
    facts = s.get("key_fact_correct")
    shown = f"{hit:.3f}" if isinstance(hit, float) else "–"
    if found:
        shown += f" [{found[0]:.2f}–{found[1]:.2f}]"
    return shown + (f" / {facts:.3f}" if isinstance(facts, float) else "")


def _report(split: str, runs: list[tuple[str, EvalRun]]) -> None:
    head = [
        "answers", *FIGURES, "English ev@5 / facts", "first token p50 / p95 s",
    ]  # fmt: skip
    print(f"\n### sv-public, {split} part ({runs[0][1].cases} cases)\n")
    print("| " + " | ".join(head) + " |")
    print("|---" * len(head) + "|")
    for label, run in runs:
        s = run.summary
        p50, p95 = s.get("latency_first_token_p50_ms"), s.get("latency_first_token_p95_ms")
        first = f"{p50 / 1000:.1f} / {p95 / 1000:.1f}" if p50 and p95 else "–"
        cells = [_cell(run, f) for f in FIGURES]
        print("| " + " | ".join([label, *cells, _english(run), first]) + " |")
    generative = dict(runs).get("generative (default)")
    if generative is not None:
        print("\nThe generative run's answers under each policy (key-fact correctness):")
        for form, label in (("written", "always written"), ("quoted", "always quoted")):
            figure = _policy(generative.results, form)
            if figure:
                print(f"- {label}: {figure[0]:.3f} [{figure[1]:.2f}–{figure[2]:.2f}]")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", action="append", choices=["dev", "test"])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--data-dir", type=Path, default=REPO / ".data" / "bench-facts")
    args = parser.parse_args()
    settings = load_settings(data_dir=args.data_dir)
    with open_runtime(settings) as runtime:
        report = IngestJob(settings, runtime.store, runtime.embedder).run([args.corpus])
        print(f"indexed {args.corpus.name}: {report.totals()['chunks']} chunks")
        if runtime.model_problem:
            print(f"no model: {runtime.model_problem}")
        for split in args.split or ["dev", "test"]:
            runs = []
            for label, mode in FORMS:
                run = run_suite(SUITE, runtime, groups=[], mode=mode, split=split)
                runs.append((label, run))
            _report(split, runs)


if __name__ == "__main__":
    main()
