"""OCR of scanned PDF pages: render with pypdfium2, recognise with Debian's tesseract.

``OMP_THREAD_LIMIT=1`` makes tesseract ~3x faster on 2 cores (10 s/page without,
3-5 s/page with); the languages come from settings (Swedish first: the English default
turns "Åsa Öberg på Ängsvägen" into "Asa Oberg pa Angsvagen").
"""

from __future__ import annotations

import functools
import io
import os
import shutil
import subprocess

import pypdfium2 as pdfium

from assistant.errors import ConfigError
from assistant.settings import IngestSettings
from ingest.errors import DocumentError, Reason

_INSTALL_HINT = "install the Debian packages tesseract-ocr and tesseract-ocr-swe"


class OcrUnavailable(ConfigError):
    """Tesseract or a language pack is missing: this machine cannot read scanned pages.

    A setting or an installation is wrong, not the document: the job stops with this
    message instead of skipping every scanned document as if it held no text.
    """


@functools.cache
def _installed_languages(binary: str) -> frozenset[str]:
    result = subprocess.run(
        [binary, "--list-langs"], capture_output=True, text=True, timeout=30, check=False
    )
    lines = (result.stdout + result.stderr).splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and ":" not in line)


def check_tesseract(languages: str) -> str:
    """Path of the tesseract binary, or ``OcrUnavailable`` naming what to install."""
    binary = shutil.which("tesseract")
    if binary is None:
        raise OcrUnavailable(
            "A PDF has scanned pages and OCR is on (ingest.ocr), but tesseract is not "
            f"installed; {_INSTALL_HINT}, or set ASSISTANT_INGEST__OCR=false"
        )
    missing = [lang for lang in languages.split("+") if lang not in _installed_languages(binary)]
    if missing:
        raise OcrUnavailable(
            f"A PDF has scanned pages but the tesseract language data {', '.join(missing)} is "
            f"missing; {_INSTALL_HINT} (tesseract-ocr-<lang> for each language in "
            "ingest.ocr_languages)"
        )
    return binary


def ocr_page(page: pdfium.PdfPage, settings: IngestSettings) -> str:
    """The recognised text of one page (may be empty); raises ``OcrUnavailable``.

    Raises ``subprocess.TimeoutExpired`` when the page takes longer than
    ``settings.ocr_timeout_s``; the caller decides whether to skip the page.
    """
    binary = check_tesseract(settings.ocr_languages)
    image = page.render(scale=settings.ocr_dpi / 72, grayscale=True).to_pil()
    buffer = io.BytesIO()
    image.save(buffer, format="PPM")  # uncompressed: much faster than PNG to write
    # The subprocess gets our environment plus the thread limit; this is the child's
    # environment, not a setting of ours.
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    result = subprocess.run(
        [
            binary,
            "stdin",
            "stdout",
            "-l",
            settings.ocr_languages,
            "--psm",
            "3",
            "--dpi",
            str(settings.ocr_dpi),
        ],
        input=buffer.getvalue(),
        capture_output=True,
        timeout=settings.ocr_timeout_s,
        env=env,
        check=False,
    )
    if result.returncode != 0:
        detail = result.stderr.decode("utf-8", errors="replace").strip().splitlines()
        raise DocumentError(
            Reason.UNREADABLE,
            f"OCR failed on a scanned page: {detail[-1] if detail else 'tesseract error'}",
        )
    return result.stdout.decode("utf-8", errors="replace")
