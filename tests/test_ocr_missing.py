"""A machine without Tesseract: scanned PDFs are a configuration problem, said once and
clearly, not a "no text" verdict on every scanned document."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pypdfium2 as pdfium
from _corpus import corpus_file
from fixtures_heavy import RunCli


def _scan(folder: Path) -> Path:
    source = pdfium.PdfDocument(corpus_file("BFS_1992-46_bostadsanpassningsbidrag.pdf"))
    folder.mkdir(parents=True, exist_ok=True)
    scan = folder / "skannad.pdf"
    source[0].render(scale=100 / 72, grayscale=True).to_pil().save(scan, resolution=100)
    return scan


def _ingest(
    run_cli: RunCli, folder: Path, data_dir: Path, **env: str
) -> subprocess.CompletedProcess[str]:
    return run_cli("ingest", str(folder), data_dir=data_dir, env=env)


def test_scanned_pdf_without_tesseract_stops_the_job_with_how_to_fix(
    tmp_path: Path, run_cli: RunCli
) -> None:
    docs = tmp_path / "docs"
    _scan(docs)
    (docs / "regel.md").write_text("# Regel\n\nFriskvårdsbidraget är 3 000 kronor.\n")
    empty_path = tmp_path / "bin"  # a PATH where no tesseract can be found
    empty_path.mkdir()

    run = _ingest(run_cli, docs, tmp_path / "data", PATH=str(empty_path))

    assert run.returncode == 2, run.stderr
    assert "Traceback" not in run.stderr
    assert "tesseract is not installed" in run.stderr
    assert "tesseract-ocr-swe" in run.stderr
    assert "ASSISTANT_INGEST__OCR=false" in run.stderr
    # The run's report says why it stopped; no document was marked as holding no text.
    report = json.loads((tmp_path / "data" / "reports" / "ingest-latest.json").read_text())
    assert "tesseract" in report["aborted"]
    assert all(f["reason"] != "no_text" for f in report["files"])


def test_with_ocr_turned_off_the_scan_is_skipped_and_the_rest_indexed(
    tmp_path: Path, run_cli: RunCli
) -> None:
    docs = tmp_path / "docs"
    _scan(docs)
    (docs / "regel.md").write_text("# Regel\n\nFriskvårdsbidraget är 3 000 kronor.\n")
    empty_path = tmp_path / "bin"
    empty_path.mkdir()

    run = _ingest(
        run_cli, docs, tmp_path / "data", PATH=str(empty_path), ASSISTANT_INGEST__OCR="false"
    )

    assert run.returncode == 0, run.stderr
    report = json.loads((tmp_path / "data" / "reports" / "ingest-latest.json").read_text())
    outcome = {f["file"]: (f["status"], f["reason"]) for f in report["files"]}
    assert outcome == {"regel.md": ("new", None), "skannad.pdf": ("failed", "no_text")}
