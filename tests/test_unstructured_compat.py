"""The offline shim for unstructured: fails loudly if an upgrade moves what it patches."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from ingest import unstructured_compat

REPO = Path(__file__).resolve().parents[1]


def test_patched_function_still_exists() -> None:
    module = unstructured_compat.patched_module()
    assert callable(getattr(module, unstructured_compat._PATCHED_FUNCTION, None)), (
        "unstructured.nlp.tokenize._get_nlp moved: update ingest/unstructured_compat.py"
    )
    unstructured_compat.ensure_offline_unstructured()
    nlp = module._get_nlp()
    assert nlp.lang == "sv"
    assert "sentencizer" in nlp.pipe_names


_OFFLINE_SCRIPT = r"""
import io, socket, sys
from pathlib import Path

def refuse(*args, **kwargs):
    raise OSError("network disabled in this test")

socket.socket.connect = refuse
socket.create_connection = refuse

from docx import Document
from ingest.unstructured_compat import ensure_offline_unstructured
ensure_offline_unstructured()
from unstructured.partition.docx import partition_docx
from unstructured.partition.md import partition_md
from unstructured.partition.text import partition_text

tmp = Path(sys.argv[1])
doc = Document()
doc.add_heading("Riktlinje för distansarbete", 1)
doc.add_paragraph("Medarbetaren får arbeta hemifrån två dagar i veckan. Chefen beslutar.")
doc.save(tmp / "a.docx")
swe = ["swe"]
texts = [
    partition_docx(filename=str(tmp / "a.docx"), strategy="fast", languages=swe),
    partition_md(text="# Rubrik\n\nFörskolan öppnar kl. 6. Den stänger kl. 18.", languages=swe),
    partition_text(text="Måltider serveras i matsalen. Välkommen!", languages=swe),
]
texts = [" ".join(e.text for e in elements) for elements in texts]
print("\n".join(texts))
"""


def test_partitioning_works_with_network_impossible(tmp_path: Path) -> None:
    dead = "http://127.0.0.1:9"
    env = {"HTTP_PROXY": dead, "HTTPS_PROXY": dead, "http_proxy": dead, "https_proxy": dead,
           "PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PYTHONPATH": str(REPO)}  # fmt: skip
    result = subprocess.run(
        [sys.executable, "-W", "error", "-c", _OFFLINE_SCRIPT, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=REPO,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Medarbetaren får arbeta hemifrån" in result.stdout
    assert "Förskolan öppnar kl. 6." in result.stdout
    assert "Måltider serveras i matsalen." in result.stdout
