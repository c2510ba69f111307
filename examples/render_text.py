"""Writers for the text-native formats: Markdown, plain text, HTML and e-mail (.eml)."""

from __future__ import annotations

import textwrap
from email.message import EmailMessage
from email.policy import default as default_policy
from html import escape
from pathlib import Path

from examples.catalog import EmailSpec
from examples.markup import (
    PAGEBREAK_MARKER,
    Block,
    Heading,
    ListBlock,
    PageBreak,
    Paragraph,
    Source,
    Table,
    load_source,
)

TEXT_WIDTH = 78


def _wrap(text: str, initial_indent: str = "", subsequent_indent: str = "") -> list[str]:
    return textwrap.wrap(
        text,
        TEXT_WIDTH,
        initial_indent=initial_indent,
        subsequent_indent=subsequent_indent,
        break_long_words=False,
        break_on_hyphens=False,
    )


def write_markdown(source: Source, path: Path) -> None:
    """Markdown files are the source text itself, minus PDF-only page-break markers, with
    each metadata line as its own paragraph: Markdown joins consecutive lines into one
    paragraph, and many parsers drop hard line breaks, so this keeps one field per line."""
    lines = [line for line in source.raw.splitlines() if line.strip() != PAGEBREAK_MARKER]
    body = lines[len(source.metadata) :]
    head = "\n\n".join(source.metadata_lines)
    path.write_text(head + "\n" + "\n".join(body).rstrip() + "\n", encoding="utf-8")


def _text_heading(block: Heading) -> list[str]:
    if block.level == 1:
        return [block.text, "=" * len(block.text), ""]
    if block.level == 2:
        return [block.text, "-" * len(block.text), ""]
    return [block.text, ""]


def _text_list(block: ListBlock) -> list[str]:
    lines: list[str] = []
    for number, item in enumerate(block.items, start=1):
        marker = f"{number}. " if block.ordered else "- "
        indent = "    " * item.level
        lines += _wrap(item.text, indent + marker, indent + " " * len(marker))
    return [*lines, ""]


def _text_table(block: Table) -> list[str]:
    widths = [
        max(len(row[col]) for row in (block.header, *block.rows))
        for col in range(len(block.header))
    ]
    if sum(widths) + 3 * len(widths) <= TEXT_WIDTH + 20:
        rows = [block.header, tuple("-" * width for width in widths), *block.rows]
        lines = [
            "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
            for row in rows
        ]
        return [*lines, ""]
    lines = []
    for row in block.rows:
        pairs = [f"{name}: {cell}" for name, cell in zip(block.header, row, strict=True)]
        lines += _wrap("; ".join(pairs), "* ", "  ")
    return [*lines, ""]


def _text_block(block: Block) -> list[str]:
    if isinstance(block, Heading):
        return _text_heading(block)
    if isinstance(block, Paragraph):
        return [*_wrap(block.text), ""]
    if isinstance(block, ListBlock):
        return _text_list(block)
    if isinstance(block, Table):
        return _text_table(block)
    return []


def render_plain_text(source: Source) -> str:
    lines = [*source.metadata_lines, ""] if source.metadata else []
    for block in source.blocks:
        lines += _text_block(block)
    return "\n".join(lines).rstrip() + "\n"


def write_text(source: Source, path: Path, encoding: str = "utf-8") -> None:
    """Plain text; ``encoding="cp1252"`` gives the legacy Windows-1252 file."""
    path.write_bytes(render_plain_text(source).encode(encoding))


_HTML_HEAD = """<!DOCTYPE html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<title>{title} – Norrbacka kommun intranät</title>
<link rel="stylesheet" href="/static/intranat.css">
</head>
<body>
<header class="site-header">
<a class="logo" href="/">Norrbacka kommun – Intranätet</a>
<form class="search" action="/sok"><input name="q" placeholder="Sök på intranätet"></form>
</header>
<nav class="main-nav" aria-label="Huvudmeny">
<ul>
<li><a href="/">Startsida</a></li>
<li><a href="/personal">Personal och lön</a></li>
<li><a href="/ekonomi">Ekonomi och inköp</a></li>
<li><a href="/it">IT och säkerhet</a></li>
<li><a href="/samhallsbyggnad">Samhällsbyggnad</a></li>
<li><a href="/kontakt">Kontakt</a></li>
</ul>
</nav>
<nav class="breadcrumbs" aria-label="Brödsmulor">
<a href="/">Startsida</a> › <span>{title}</span>
</nav>
<main id="innehall">
"""

_HTML_FOOT = """</main>
<footer class="site-footer">
<p>Norrbacka kommun · Kommunhuset, Storgatan 12 · Växel 0999-10 000 · kommun@norrbacka.se</p>
<p><a href="/om-intranatet">Om intranätet</a> · <a href="/tillganglighet">Tillgänglighet</a>
· <a href="/cookies">Cookies</a></p>
</footer>
</body>
</html>
"""


def _html_list(block: ListBlock) -> list[str]:
    tag = "ol" if block.ordered else "ul"
    lines = [f"<{tag}>"]
    for item in block.items:
        nested = ' class="underpunkt"' if item.level else ""
        lines.append(f"<li{nested}>{escape(item.text)}</li>")
    return [*lines, f"</{tag}>"]


def _html_table(block: Table) -> list[str]:
    head = "".join(f"<th>{escape(cell)}</th>" for cell in block.header)
    lines = ["<table>", f"<thead><tr>{head}</tr></thead>", "<tbody>"]
    for row in block.rows:
        lines.append("<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in row) + "</tr>")
    return [*lines, "</tbody>", "</table>"]


def _html_block(block: Block) -> list[str]:
    if isinstance(block, Heading):
        return [f"<h{block.level}>{escape(block.text)}</h{block.level}>"]
    if isinstance(block, Paragraph):
        return [f"<p>{escape(block.text)}</p>"]
    if isinstance(block, ListBlock):
        return _html_list(block)
    if isinstance(block, Table):
        return _html_table(block)
    return []


def render_html(source: Source, language: str) -> str:
    lines = ['<div class="dokumentinfo">']
    lines += [f"<p>{escape(line)}</p>" for line in source.metadata_lines]
    lines.append("</div>")
    lines.append("<article>")
    for block in source.blocks:
        if not isinstance(block, PageBreak):
            lines += _html_block(block)
    lines.append("</article>")
    head = _HTML_HEAD.format(lang=language, title=escape(source.title))
    return head + "\n".join(lines) + "\n" + _HTML_FOOT


def write_html(source: Source, path: Path, language: str) -> None:
    path.write_text(render_html(source, language), encoding="utf-8")


def build_email(source: Source, spec: EmailSpec) -> EmailMessage:
    message = EmailMessage()
    message["From"] = spec.sender
    message["To"] = spec.recipient
    message["Subject"] = spec.subject
    message["Date"] = spec.date
    message["Message-ID"] = spec.message_id
    message.set_content(render_plain_text(source), cte="8bit")
    attachment = render_plain_text(load_source(spec.attachment_source))
    message.add_attachment(
        attachment, subtype="plain", filename=spec.attachment_filename, cte="8bit"
    )
    message.set_boundary("=_norrbacka_" + spec.attachment_source)
    return message


def write_email(source: Source, path: Path, spec: EmailSpec) -> None:
    path.write_bytes(build_email(source, spec).as_bytes(policy=default_policy))
