"""Every kind of bad file in one folder: each is reported with its reason, the good
documents are indexed, and nothing indexed before is lost."""

from __future__ import annotations

import io
import json
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import docx
import pytest
from fixtures_heavy import RunCli
from fpdf import FPDF
from pypdf import PdfReader, PdfWriter

from assistant.settings import Settings

EXPECTED = {
    "good.md": None,
    "tom.txt": "empty",
    "krypterad.pdf": "encrypted",
    "trasig.pdf": "corrupt",
    "egentligen-word.pdf": "mislabelled",
    "egentligen-text.docx": "mislabelled",
    "brus.txt": "undecodable",
    "bomb.docx": "zip_bomb",
    "stor.txt": "too_large",
    "program.exe": "unsupported",
    "hr/rehab.md": "access_rules",
}


def _pdf_bytes(text: str) -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.multi_cell(0, 8, text)
    return bytes(pdf.output())


def _encrypted_pdf() -> bytes:
    writer = PdfWriter()
    for page in PdfReader(io.BytesIO(_pdf_bytes("Hemlig text om lon."))).pages:
        writer.add_page(page)
    writer.encrypt("hemligt")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _docx_bytes() -> bytes:
    document = docx.Document()
    document.add_paragraph("Ett Word-dokument med fel filändelse.")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _zip_bomb(path: Path) -> None:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("word/document.xml", "w", force_zip64=True) as member:
            zeros = b"\0" * (1 << 20)
            for _ in range(200):  # 200 MB of zeros, about 200 KB on disk
                member.write(zeros)


def _folder(root: Path) -> Path:
    root.mkdir(parents=True)
    (root / "good.md").write_text(
        "# Semester\n\nSommarsemester söks senast den 31 mars i Personalportalen.\n"
    )
    (root / "tom.txt").write_bytes(b"")
    (root / "krypterad.pdf").write_bytes(_encrypted_pdf())
    (root / "trasig.pdf").write_bytes(_pdf_bytes("Resepolicy")[:300])
    (root / "egentligen-word.pdf").write_bytes(_docx_bytes())
    (root / "egentligen-text.docx").write_text("Det här är bara text.\n")
    (root / "brus.txt").write_bytes(bytes(range(256)) * 64)
    _zip_bomb(root / "bomb.docx")
    (root / "stor.txt").write_text("Lång text om ingenting. " * 20_000)
    (root / "program.exe").write_bytes(b"MZ\x90\x00" + b"\0" * 100)
    (root / "hr").mkdir()
    (root / "hr" / "rehab.md").write_text("# Rehab\n\nEndast för HR.\n")
    (root / "hr" / "access.toml").write_text('groups = "hr"\n')  # not a list
    return root


def _ingest(
    run_cli: RunCli, settings: Settings, folder: Path, *flags: str
) -> subprocess.CompletedProcess[str]:
    env = {"ASSISTANT_INGEST__MAX_FILE_MB": "0.3"}
    return run_cli("ingest", str(folder), *flags, data_dir=settings.data_dir, env=env)


@pytest.fixture(scope="module")
def runs(
    tmp_path_factory: pytest.TempPathFactory, run_cli: RunCli
) -> tuple[dict[str, Any], str, dict[str, Any]]:
    from assistant.settings import load_settings

    tmp = tmp_path_factory.mktemp("bad")
    settings = load_settings(data_dir=tmp / "data")
    folder = _folder(tmp / "docs")
    first = _ingest(run_cli, settings, folder, "--json")
    assert first.returncode == 0, first.stderr
    human = _ingest(run_cli, settings, folder)
    assert human.returncode == 0, human.stderr
    status = run_cli("status", "--json", data_dir=settings.data_dir, timeout=120)
    assert status.returncode == 0, status.stderr
    return json.loads(first.stdout), human.stdout, json.loads(status.stdout)


@pytest.mark.slow
def test_each_bad_file_is_reported_with_its_reason(
    runs: tuple[dict[str, Any], str, dict[str, Any]],
) -> None:
    report, _, _ = runs
    reasons = {f["file"]: f["reason"] for f in report["files"]}
    assert reasons == EXPECTED
    messages = {f["file"]: f["message"] for f in report["files"] if f["reason"]}
    assert "password" in messages["krypterad.pdf"].lower()
    assert "docx" in messages["egentligen-word.pdf"].lower()
    assert "access.toml" in messages["hr/rehab.md"]
    assert report["totals"]["new"] == 1
    assert report["totals"]["failed"] == len(EXPECTED) - 1


def test_the_summary_names_every_skipped_file(
    runs: tuple[dict[str, Any], str, dict[str, Any]],
) -> None:
    _, summary, _ = runs
    assert "1 unchanged" in summary
    assert f"{len(EXPECTED) - 1} skipped" in summary
    for name, reason in EXPECTED.items():
        if reason:
            assert f"{name}: [{reason}]" in summary


def test_status_shows_the_last_runs_errors(
    runs: tuple[dict[str, Any], str, dict[str, Any]],
) -> None:
    _, _, status = runs
    assert status["documents"] == 1
    assert status["store"]["kind"] == "embedded"
    assert {e["file"] for e in status["last_run"]["errors"]} == {
        name for name, reason in EXPECTED.items() if reason
    }
