"""Answer-latency benchmark: ten questions over the example documents, local default model.

Prints the time until the sources are known (what the app shows first), time to first
token and total answer time (p50, p95) and how the time splits into
retrieval, prompt processing (until the first token) and generation; the extractive mode
over the same questions runs in the same process as the baseline. Builds and indexes the
examples in a temporary folder. Usage: ``python -m bench.answer [--model qwen2.5-0.5b]``.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path

from assistant.query.contract import Answer
from assistant.runtime import open_runtime
from assistant.settings import load_settings
from examples.build import build_examples
from ingest.sync import IngestJob

QUESTIONS = [
    "Hur stort är friskvårdsbidraget?",
    "När ska sommarsemester sökas?",
    "Hur många semesterdagar får sparas per år?",
    "Vem godkänner en utrikes tjänsteresa?",
    "Vad är högsta hotellpris i Stockholm?",
    "Hur långt måste ett lösenord vara?",
    "När ska en personuppgiftsincident anmälas till IMY?",
    "Hur lång är handläggningstiden för parkeringstillstånd?",
    "How long is a contractor account valid?",
    "När krävs tre skriftliga offerter?",
]


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main(model: str, data_root: Path) -> None:
    settings = load_settings(data_dir=data_root, model={"local_model": model})
    docs = build_examples(data_root / "examples")
    with open_runtime(settings) as runtime:
        IngestJob(settings, runtime.store, runtime.embedder).run([data_root / "examples"])
        print(f"{len(docs)} example documents indexed; model {runtime.assistant.model_name}")
        if runtime.model_problem:
            print(f"no model: {runtime.model_problem}")
        for mode in ("extractive", "generative"):
            answers: list[Answer] = [runtime.assistant.ask(q, [], mode=mode) for q in QUESTIONS]
            _report(mode, answers)


def _report(mode: str, answers: list[Answer]) -> None:
    first = [a.timings_ms["first_token"] for a in answers]
    total = [a.timings_ms["total"] for a in answers]
    retrieve = [a.timings_ms["retrieve"] for a in answers]
    sources = [a.timings_ms["sources"] for a in answers]
    print(
        f"{mode}: sources p50 {_p(sources, 0.5):.0f} ms (p95 {_p(sources, 0.95):.0f}),"
        f" first token p50 {_p(first, 0.5) / 1000:.2f} s (p95 {_p(first, 0.95) / 1000:.2f}),"
        f" total p50 {_p(total, 0.5) / 1000:.2f} s (p95 {_p(total, 0.95) / 1000:.2f});"
        f" refused {sum(a.refused for a in answers)}/{len(answers)},"
        f" fell back {sum(a.notice is not None for a in answers)}"
    )
    spent = sum(total)
    if mode == "generative" and spent:
        prompt = sum(f - r for f, r in zip(first, retrieve, strict=True))
        print(
            f"  shares: retrieval {sum(retrieve) / spent:.1%}, prompt processing "
            f"{prompt / spent:.1%}, generation {(spent - sum(first)) / spent:.1%};"
            f" retrieval p50 {statistics.median(retrieve):.0f} ms"
        )
    for a in answers:
        print(f"  [{a.timings_ms['total'] / 1000:5.1f} s] {a.question} -> {a.answer[:90]!r}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default="qwen2.5-1.5b", choices=["qwen2.5-1.5b", "qwen2.5-0.5b"])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        main(args.model, Path(tmp))
