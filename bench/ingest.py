"""Ingestion benchmark: index ../shared/corpus/sv-public into a fresh embedded store.

Prints pages/s, chunks/s, the embedding share of the time and peak RSS, then the same
figures for a no-change re-sync and a parse-only pass over the same files, run in this
process as baselines. Usage: ``python -m bench.ingest [FOLDER]``.
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from pathlib import Path

from assistant.models.factory import build_embedding
from assistant.settings import load_settings
from assistant.store.edge import EdgeStore
from ingest.chunk import Chunker
from ingest.parse import parse_file
from ingest.sources import discover
from ingest.sync import IngestJob

DEFAULT = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "sv-public"


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(folder: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(data_dir=Path(tmp))
        embedder = build_embedding(settings.embedding)
        store = EdgeStore.open(settings)
        try:
            job = IngestJob(settings, store, embedder)
            cold = job.run([folder])
            t = cold.totals()
            print(f"corpus: {folder} ({t['files_seen']} files)")
            print(
                f"cold ingest: {cold.seconds:.1f} s, {t['pages']} pages ({t['ocr_pages']} OCR), "
                f"{t['chunks']} chunks, {t['failed']} skipped"
            )
            print(f"  pages/s {t['pages_per_s']}, chunks/s {t['chunks_per_s']}")
            print(
                f"  time shares: parse+chunk {cold.parse_seconds / cold.seconds:.0%}, "
                f"embed {cold.embed_seconds / cold.seconds:.0%}, "
                f"store {cold.store_seconds / cold.seconds:.0%}"
            )
            print(f"  embedding: {t['chunks'] / max(cold.embed_seconds, 1e-9):.1f} chunks/s")
            print(f"  peak RSS {_rss_mb():.0f} MB")
            for f in cold.failed:
                print(f"  skipped {f.file}: [{f.reason}] {f.message}")

            warm = job.run([folder])
            print(
                f"no-change re-sync: {warm.seconds:.2f} s "
                f"({cold.seconds / max(warm.seconds, 1e-9):.0f}x faster than cold)"
            )
        finally:
            store.close()

        chunker = Chunker(settings.ingest)
        t0 = time.perf_counter()
        pages = chunks = 0
        for source in discover([folder]):
            try:
                doc = parse_file(source.path, settings.ingest)
            except Exception:
                continue
            pages += doc.page_count
            chunks += len(chunker.chunk(doc))
        parse_s = time.perf_counter() - t0
        print(
            f"parse+chunk only (baseline): {parse_s:.1f} s, {pages / parse_s:.1f} pages/s, "
            f"{chunks / parse_s:.1f} chunks/s; cold ingest took "
            f"{cold.seconds / parse_s:.1f}x as long"
        )
        print(f"peak RSS at end {_rss_mb():.0f} MB")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT)
