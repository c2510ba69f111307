"""Ingestion benchmark: index ../shared/corpus/sv-public into a fresh embedded store.

Prints pages/s, chunks/s, the embedding share of the time and peak RSS, then the same
figures for a no-change re-sync and a parse-only pass over the same files, run in this
process as baselines. Then a tenth of the documents is edited (a page added at the end of
a PDF, a paragraph to a text file) and synced twice: with the embedding cache (only the
new chunks are embedded) and, after a second edit of the same files, without it (every
chunk of an edited document embedded again): the ratio is what the cache saves. With
``--naive`` it also builds the naive llama-index pipeline's index of the same corpus with
the same e5 model (``bench/baseline.py``) and prints the cold-ingest ratio. With
``--scans`` it makes scans of the corpus (the first pages of its PDFs as images, for OCR)
and ingests them with the text documents twice: parsing the next file while the current
one is embedded (the job's way), and one file after the other (the baseline). Usage:
``python -m bench.ingest [FOLDER] [--naive] [--scans]``.
"""

from __future__ import annotations

import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

from llama_index.core.base.embeddings.base import BaseEmbedding

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


def main(folder: Path, naive: bool = False) -> None:
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
        _edited_resync(folder, Path(tmp), embedder)
        if naive:
            _naive(folder, Path(tmp), embedder, cold.seconds)


def _edited_resync(corpus: Path, tmp: Path, embedder: BaseEmbedding) -> None:
    """Sync after editing a tenth of the documents, with and without the cache."""
    copy = tmp / "edited"
    shutil.copytree(corpus, copy)
    settings = load_settings(data_dir=tmp / "resync")
    # The copy is indexed from the cold run's cache (setup, not measured).
    shutil.copytree(tmp / "cache", tmp / "resync" / "cache")
    store = EdgeStore.open(settings)
    try:
        IngestJob(settings, store, embedder).run([copy])
        files = sorted(p for p in copy.rglob("*") if p.is_file() and p.suffix != ".toml")
        chosen = files[:: max(1, round(len(files) / max(1, len(files) // 10)))][
            : max(1, len(files) // 10)
        ]
        for rounds, cache in ((1, True), (2, False)):
            for path in chosen:
                _edit(path, rounds)
            job_settings = load_settings(data_dir=tmp / "resync", ingest={"embedding_cache": cache})
            report = IngestJob(job_settings, store, embedder).run([copy])
            label = "with the embedding cache" if cache else "without it (re-embed)"
            print(
                f"re-sync after editing {len(chosen)} of {len(files)} documents, {label}: "
                f"{report.seconds:.1f} s ({report.count('changed')} changed; "
                f"{report.embedded_chunks} chunks embedded, {report.cached_chunks} from cache)"
            )
            if cache:
                with_cache = report.seconds
            else:
                print(f"  the cache made it {report.seconds / max(with_cache, 1e-9):.1f}x faster")
    finally:
        store.close()


def _edit(path: Path, round_: int) -> None:
    """Add a short new section at the end: a page to a PDF, a paragraph to other text."""
    text = (
        f"Tillägg {round_}: Beslutet har kompletterats med en ny bestämmelse om "
        "digital ansökan. Ansökan ska lämnas via kommunens e-tjänst senast 30 dagar "
        "före planerad start."
    )
    if path.suffix.lower() == ".pdf":
        from fpdf import FPDF
        from pypdf import PdfReader, PdfWriter

        page = FPDF()
        page.add_page()
        page.add_font("DejaVu", fname="/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
        page.set_font("DejaVu", size=11)
        page.multi_cell(0, 6, text)
        extra = tmp_pdf = path.with_suffix(".extra.pdf")
        page.output(str(tmp_pdf))
        writer = PdfWriter(clone_from=PdfReader(path))
        writer.append(PdfReader(extra))
        extra.unlink()
        with path.open("wb") as out:
            writer.write(out)
    elif path.suffix.lower() in (".md", ".txt", ".markdown"):
        with path.open("a", encoding="utf-8") as out:
            out.write(f"\n\n{text}\n")
    else:
        os.utime(path)  # other formats: touched only (their hash does not change)


def _naive(corpus: Path, tmp: Path, embedder: BaseEmbedding, ours: float) -> None:
    from bench.baseline import naive_index

    t0 = time.perf_counter()
    naive_index(corpus, tmp / "naive", embedder)  # type: ignore[arg-type]
    seconds = time.perf_counter() - t0
    print(
        f"naive llama-index pipeline, cold: {seconds:.1f} s; ours took {ours:.1f} s "
        f"({seconds / ours:.2f}x faster)"
    )


class _OneAfterTheOther(IngestJob):
    """The baseline: no file is parsed ahead."""

    def _parse_ahead(self, *_: object) -> None:
        return None


def _scans(corpus: Path, pages: int = 2, pdfs: int = 8) -> None:
    """Parse ahead against one file after the other, on scans and text documents."""
    import pypdfium2 as pdfium

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "scans"
        folder.mkdir()
        for path in sorted(corpus.glob("*.pdf"))[:pdfs]:
            pdf = pdfium.PdfDocument(path)
            images = [pdf[i].render(scale=150 / 72).to_pil() for i in range(min(pages, len(pdf)))]
            images[0].save(folder / path.name, save_all=True, append_images=images[1:])
            pdf.close()
        for path in sorted(corpus.glob("*.md")):
            shutil.copy(path, folder / path.name)
        timings = {}
        for name, job_class in (("one after the other", _OneAfterTheOther), ("ahead", IngestJob)):
            settings = load_settings(data_dir=Path(tmp) / name, ingest={"embedding_cache": False})
            store = EdgeStore.open(settings)
            try:
                report = job_class(settings, store, build_embedding(settings.embedding)).run(
                    [folder]
                )
            finally:
                store.close()
            t = report.totals()
            timings[name] = report.seconds
            print(
                f"scans + text, parsing {name}: {report.seconds:.1f} s "
                f"({t['pages']} pages, {t['ocr_pages']} OCR, {t['chunks']} passages)"
            )
        ratio = timings["one after the other"] / timings["ahead"]
        print(f"  parsing ahead: {ratio:.2f}x faster")


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    corpus = Path(args[0]) if args else DEFAULT
    if "--scans" in sys.argv:
        _scans(corpus)
    else:
        main(corpus, naive="--naive" in sys.argv)
