"""A manager's draft as a file to send: Markdown, or Word (DOCX, through python-docx).

Both carry the text with its citation markers, the numbered sources (document, title,
designation, page, date) and a line saying it is an AI-drafted text checked against the
sources, to be reviewed by whoever sends it.

Neither carries a live image or link from document text: a draft quotes documents, and a
document can hold ``![](https://…?data)`` that a Markdown viewer would fetch on opening.
In Markdown, brackets, angle brackets, backticks and backslashes are escaped (citation
markers ``[n]`` stay as they are) and every web or e-mail address is code, so no viewer
links it; the Word file holds plain runs only, never a hyperlink or a picture.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from assistant.errors import ConfigError
from assistant.query.contract import where
from assistant.query.prompts import load_phrases
from assistant.summary.contract import Summary

DISCLAIMER = (
    "Utkastet är skrivet med AI-stöd och kontrollerat mot källorna: varje mening hänvisar "
    "till ett utdrag, och meningar som källorna inte stödde har tagits bort. Den som "
    "skickar texten ansvarar för att granska den."
)
LEFT_OUT = "Inte med i utkastet (tidsbudgeten räckte inte): "
_TABLE_RULE = re.compile(r"^\|?\s*-{3,}")
# What a Markdown viewer would turn into a link: web and e-mail addresses.
_ADDRESS = re.compile(
    r"(?:(?:https?|ftp)://|www\.)[^\s<>`\"'()\[\]]*[^\s<>`\"'()\[\].,;:!?]"
    r"|[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
)
# Markdown syntax characters that could build an image, link, code span or HTML; a
# citation marker ("[2]", "[1, 3]") not followed by a link target stays as it is.
_SYNTAX = re.compile(r"(\[\d+(?:\s*[,;]\s*\d+)*\](?![(\[:]))|([\\`\[\]<>])")


def kind_name(summary: Summary) -> str:
    """What the draft is, as its heading says it ("Huvudpunkter"): ``[ui.summary_kinds]``
    of the Swedish phrases, the language the exported file is written in."""
    names = load_phrases("sv").ui["summary_kinds"]
    if not isinstance(names, dict):
        raise ConfigError("[ui.summary_kinds] of the phrases file is not a table")
    return names[summary.kind]


def source_lines(summary: Summary) -> list[str]:
    """One line per citation: number, document, title, designation, page, date."""
    info = {row["file"]: row for row in summary.sources}
    lines = []
    for c in summary.citations:
        row = info.get(c.file, {})
        title = c.title if c.title != c.file else ""
        line = where([c.file, title, row.get("designation", "")], [c.page])
        if row.get("date"):
            line += f", beslutad {row['date']}"
        lines.append(f"[{c.n}] {line}")
    return lines


def to_markdown(summary: Summary, text: str | None = None) -> str:
    """The draft (``text``: as edited in the app) with its sources and the review line."""
    title = f"# {kind_name(summary)}: {inert(', '.join(summary.documents))}"
    body = text if text is not None else summary.summary
    out = [title, "", inert(body.strip()), "", "## Källor", ""]
    out += [f"- {inert(line)}" for line in source_lines(summary)]
    if summary.left_out:
        out += ["", LEFT_OUT + inert("; ".join(summary.left_out))]
    out += ["", f"*{DISCLAIMER} ({date.today().isoformat()}, {summary.model})*", ""]
    return "\n".join(out)


def to_docx(summary: Summary, path: Path, text: str | None = None) -> Path:
    """Write the draft as a Word document; returns the path."""
    from docx import Document

    document = Document()
    document.add_heading(f"{kind_name(summary)}: {', '.join(summary.documents)}", level=1)
    body = text if text is not None else summary.summary
    table_rows: list[list[str]] = []
    for line in body.splitlines():
        stripped = line.strip()
        if stripped.startswith("|"):
            if not _TABLE_RULE.match(stripped):
                table_rows.append([cell.strip() for cell in stripped.strip("|").split("|")])
            continue
        if table_rows:
            _table(document, table_rows)
            table_rows = []
        if not stripped:
            continue
        if stripped.startswith("#"):
            document.add_heading(stripped.lstrip("#").strip(), level=2)
        elif stripped.startswith(("- ", "* ")):
            document.add_paragraph(stripped[2:], style="List Bullet")
        else:
            document.add_paragraph(stripped)
    if table_rows:
        _table(document, table_rows)
    document.add_heading("Källor", level=2)
    for line in source_lines(summary):
        document.add_paragraph(line)
    if summary.left_out:
        document.add_paragraph(LEFT_OUT + "; ".join(summary.left_out))
    note = document.add_paragraph()
    note.add_run(f"{DISCLAIMER} ({date.today().isoformat()}, {summary.model})").italic = True
    path.parent.mkdir(parents=True, exist_ok=True)
    document.save(str(path))
    return path


def inert(text: str) -> str:
    """Markdown that shows ``text`` as written and makes nothing in it live: no image,
    link, autolink, HTML or code span; addresses as code."""
    parts, at = [], 0
    for match in _ADDRESS.finditer(text):
        parts += [_escaped(text[at : match.start()]), f"`{match.group(0)}`"]
        at = match.end()
    parts.append(_escaped(text[at:]))
    return "".join(parts)


def _escaped(text: str) -> str:
    return _SYNTAX.sub(lambda m: m.group(1) or "\\" + m.group(2), text)


def _table(document: object, rows: list[list[str]]) -> None:
    width = max(len(r) for r in rows)
    table = document.add_table(rows=len(rows), cols=width)  # type: ignore[attr-defined]
    table.style = "Table Grid"
    for i, row in enumerate(rows):
        for j, cell in enumerate(row):
            table.cell(i, j).text = cell
