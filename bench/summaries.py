"""Summary benchmark: whole documents of about 1, 10 and 40 pages drafted by the local model.

Prints, per document, the end-to-end time and the time until the first section is visible
(p50 over ``--repeats`` runs), the parts drafted and left out, citations and removed
sentences; the extractive draft of the same document runs in the same process as the
baseline. The documents are the sv-public corpus's PDFs whose page counts are closest to
the targets. Usage::

    python -m bench.summaries --corpus ../shared/corpus/sv-public [--data-dir DIR]

``--data-dir`` reuses an index of the corpus there (else one is built in a temporary
folder first, a few minutes).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path

from assistant.runtime import Runtime, open_runtime
from assistant.settings import load_settings
from assistant.summary.contract import Summary
from assistant.summary.library import DocumentInfo, Library
from ingest.sync import IngestJob

TARGETS = (1, 10, 40)


def main(corpus: Path, data_dir: Path, repeats: int, kind: str, pages: list[int]) -> None:
    settings = load_settings(data_dir=data_dir, answer={"mode": "generative"})
    with open_runtime(settings) as runtime:
        if not runtime.store.doc_states():
            IngestJob(settings, runtime.store, runtime.embedder).run([corpus])
        if runtime.chat is None:
            raise SystemExit(f"no local model: {runtime.model_problem}")
        print(f"model {runtime.chat.name}; parts of at most {settings.summary.part_tokens} "
              f"tokens, at most {settings.summary.max_parts} per draft; kind {kind}")  # fmt: skip
        for target, doc in _documents(runtime):
            if target in pages:
                _bench(runtime, target, doc, repeats, kind)


def _documents(runtime: Runtime) -> list[tuple[int, DocumentInfo]]:
    pdfs = [d for d in Library(runtime.store).documents([]) if d.page_count]
    chosen = []
    for target in TARGETS:
        best = min(pdfs, key=lambda d: (abs((d.page_count or 0) - target), d.file))
        chosen.append((target, best))
    return chosen


def _bench(runtime: Runtime, target: int, doc: DocumentInfo, repeats: int, kind: str) -> None:
    summarizer = runtime.summarizer
    extractive = summarizer.summarize([doc.file], [], kind, use_model=False)  # type: ignore[arg-type]
    runs: list[Summary] = [
        summarizer.summarize([doc.file], [], kind, length="short")  # type: ignore[arg-type]
        for _ in range(repeats)
    ]
    total = statistics.median(r.timings_ms["total"] for r in runs) / 1000
    first = statistics.median(r.timings_ms.get("first_section", 0.0) for r in runs) / 1000
    last = runs[-1]
    print(
        f"~{target:>2} pages: {doc.file} ({doc.page_count} pages, {doc.chunks} passages)\n"
        f"   generative: total p50 {total:.1f} s, first section p50 {first:.1f} s, "
        f"{len(last.sections)} sections, {len(last.citations)} citations, "
        f"{len(last.unsupported)} sentences removed, {len(last.left_out)} stretches left out"
        f"{' (' + last.notice + ')' if last.notice else ''}\n"
        f"   extractive: total {extractive.timings_ms['total'] / 1000:.2f} s, "
        f"{len(extractive.citations)} citations; generative/extractive time "
        f"{total / max(extractive.timings_ms['total'] / 1000, 0.001):.0f}x"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=Path("../shared/corpus/sv-public"))
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--kind", default="summary")
    parser.add_argument("--pages", type=int, nargs="*", default=list(TARGETS))
    args = parser.parse_args()
    if args.data_dir:
        main(args.corpus, args.data_dir, args.repeats, args.kind, args.pages)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            main(args.corpus, Path(tmp), args.repeats, args.kind, args.pages)
