"""Generate the example document set of the fictional municipality Norrbacka kommun.

Usage: ``python -m examples.build OUT_DIR``
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from examples.catalog import ACCESS_RULES, DOCUMENTS, AccessRule, DocumentSpec
from examples.markup import Source, load_source
from examples.render_office import write_docx, write_pptx, write_xlsx
from examples.render_pdf import write_pdf, write_scanned_pdf
from examples.render_text import write_email, write_html, write_markdown, write_text

ACCESS_HEADER = "# Groups that may read the documents in this folder and its subfolders.\n"
FALLBACK_DATE = datetime(2025, 1, 1, 9, 0, tzinfo=UTC)

Writer = Callable[[DocumentSpec, Source, Path], None]


def document_timestamp(source: Source) -> datetime:
    """Fixed creation time of a document: its decision date at 09:00 UTC."""
    decided = source.meta("Beslutsdatum")
    if decided is None:
        return FALLBACK_DATE
    return datetime.fromisoformat(decided).replace(hour=9, tzinfo=UTC)


def _write_pdf(spec: DocumentSpec, source: Source, path: Path) -> None:
    header = spec.running_header or f"Norrbacka kommun – {source.title}"
    write_pdf(source, path, header, document_timestamp(source))


def _write_email(spec: DocumentSpec, source: Source, path: Path) -> None:
    if spec.email is None:
        raise ValueError(f"{spec.path}: eml documents need an EmailSpec")
    write_email(source, path, spec.email)


WRITERS: dict[str, Writer] = {
    "pdf": _write_pdf,
    "scanned-pdf": lambda spec, src, path: write_scanned_pdf(src, path, document_timestamp(src)),
    "docx": lambda spec, src, path: write_docx(src, path, document_timestamp(src)),
    "pptx": lambda spec, src, path: write_pptx(src, path, document_timestamp(src)),
    "xlsx": lambda spec, src, path: write_xlsx(src, path, document_timestamp(src)),
    "html": lambda spec, src, path: write_html(src, path, spec.language),
    "md": lambda spec, src, path: write_markdown(src, path),
    "txt": lambda spec, src, path: write_text(src, path),
    "txt-cp1252": lambda spec, src, path: write_text(src, path, encoding="cp1252"),
    "eml": _write_email,
}


def render_access_toml(rule: AccessRule) -> str:
    groups = ", ".join(f'"{group}"' for group in rule.groups)
    text = f"{ACCESS_HEADER}groups = [{groups}]\n"
    if rule.files:
        text += "\n[files]\n"
        for name, file_groups in rule.files.items():
            listed = ", ".join(f'"{group}"' for group in file_groups)
            text += f'"{name}" = [{listed}]\n'
    return text


def write_access_files(out_dir: Path) -> list[Path]:
    written = []
    for folder, rule in ACCESS_RULES.items():
        path = out_dir / folder / "access.toml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render_access_toml(rule), encoding="utf-8")
        written.append(path)
    return written


def build_document(spec: DocumentSpec, out_dir: Path) -> Path:
    path = out_dir / spec.path
    path.parent.mkdir(parents=True, exist_ok=True)
    WRITERS[spec.format](spec, load_source(spec.source), path)
    return path


def build_examples(out_dir: Path) -> list[Path]:
    """Write the whole example tree (documents and access.toml files) to ``out_dir``,
    overwriting existing files, and return the paths of the written documents."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    write_access_files(out_dir)
    return [build_document(spec, out_dir) for spec in DOCUMENTS]


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m examples.build OUT_DIR", file=sys.stderr)
        return 2
    out_dir = Path(args[0])
    paths = build_examples(out_dir)
    for path in paths:
        print(path.relative_to(out_dir))
    print(f"{len(paths)} documents written to {out_dir}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
