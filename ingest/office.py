"""DOCX, PPTX, XLSX, HTML, Markdown, EML and MSG through unstructured's per-format partitioners.

Always the explicit partition function, ``languages=["swe"]`` and the ``fast`` strategy
where one exists (``auto``/``hi_res`` fetch models). Elements map to Blocks; headings
come from ``Title`` elements and their ``category_depth``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from lxml import html as lxml_html

from ingest.clean import clean_inline, clean_text
from ingest.errors import DocumentError, Reason
from ingest.model import Block, BlockKind, ParsedDocument
from ingest.text import read_text
from ingest.unstructured_compat import ensure_offline_unstructured

LANGUAGES = ["swe"]
_SKIPPED = {"Header", "Footer", "PageBreak", "PageNumber", "Image"}

# Markup that is navigation or chrome on most sites, dropped before partitioning.
_BOILERPLATE_XPATH = (
    ".//nav | .//header | .//footer | .//aside | .//script | .//style | .//noscript | .//form"
    " | .//*[@role='navigation' or @role='banner' or @role='contentinfo' or @role='search']"
    " | .//*[@aria-hidden='true'] | .//*[@hidden]"
    " | .//*[contains(translate(@style, ' ', ''), 'display:none')]"
)
_BOILERPLATE_WORDS = ("breadcrumb", "cookie", "skip-link", "skiplink", "navigation", "menu")


def elements_to_blocks(
    elements: Iterable[Any], *, slides: bool = False, prefix: tuple[str, ...] = ()
) -> list[Block]:
    """Map unstructured elements to Blocks with heading paths (outermost first).

    ``slides``: pages are slides; each slide's first title starts a fresh heading path and
    later "titles" on it (short body lines unstructured guesses to be titles) stay text.
    """
    blocks: list[Block] = []
    stack: list[tuple[int, str]] = []
    slide: int | None = None
    slide_titled = False
    for element in elements:
        category = element.category
        if category in _SKIPPED:
            continue
        meta = element.metadata
        page = meta.page_number if slides else None
        if slides and page != slide:
            slide, slide_titled, stack = page, False, []
        if category == "Table":
            text = table_text(meta.text_as_html) if meta.text_as_html else ""
            text = text or clean_text(element.text or "")
            if text:
                path = prefix + tuple(h for _, h in stack)
                blocks.append(Block(text, "table", page, None, path))
            continue
        text = clean_text(element.text or "")
        if not text:
            continue
        if category == "Title" and not (slides and slide_titled):
            slide_titled = True
            title = clean_inline(text)
            level = (meta.category_depth or 0) + 1
            stack = [(lv, h) for lv, h in stack if lv < level] + [(level, title)]
            blocks.append(Block(title, "title", page, None, prefix + tuple(h for _, h in stack)))
            continue
        kind: BlockKind = "list" if category == "ListItem" else "text"
        blocks.append(Block(text, kind, page, None, prefix + tuple(h for _, h in stack)))
    return blocks


def table_text(table_html: str) -> str:
    """A table as one row per line, cells joined by " | " (empty rows and cells dropped)."""
    try:
        root = lxml_html.fromstring(table_html)
    except (ValueError, TypeError):
        return ""
    rows = []
    for row in root.iter("tr"):
        cells = [clean_inline(cell.text_content()) for cell in row if cell.tag in ("td", "th")]
        cells = [cell for cell in cells if cell]
        if cells:
            rows.append(" | ".join(cells))
    return "\n".join(rows)


def run_partition(partition: Callable[..., list[Any]], what: str, **kwargs: Any) -> list[Any]:
    """Run a partitioner; a library failure on a file we already sniffed means it is damaged."""
    try:
        return partition(languages=LANGUAGES, **kwargs)
    except DocumentError:
        raise
    except Exception as exc:
        raise DocumentError(
            Reason.CORRUPT, f"{what} could not be read (damaged file?): {type(exc).__name__}: {exc}"
        ) from exc


def parse_docx(path: Path) -> ParsedDocument:
    ensure_offline_unstructured()
    from docx import Document
    from unstructured.partition.docx import partition_docx

    elements = run_partition(partition_docx, "Word document", filename=str(path), strategy="fast")
    try:
        title = clean_inline(Document(str(path)).core_properties.title or "")
    except Exception:
        title = ""
    return ParsedDocument(path, "docx", title, elements_to_blocks(elements))


def parse_pptx(path: Path) -> ParsedDocument:
    ensure_offline_unstructured()
    from unstructured.partition.pptx import partition_pptx

    elements = run_partition(
        partition_pptx,
        "PowerPoint presentation",
        filename=str(path),
        strategy="fast",
        include_page_breaks=False,
        include_slide_notes=True,
    )
    blocks = elements_to_blocks(elements, slides=True)
    slides = max((b.page or 0 for b in blocks), default=0)
    return ParsedDocument(path, "pptx", "", blocks, page_count=slides)


def parse_xlsx(path: Path) -> ParsedDocument:
    """One table block per sheet, under the sheet's name as heading."""
    ensure_offline_unstructured()
    from unstructured.partition.xlsx import partition_xlsx

    elements = run_partition(
        partition_xlsx,
        "Excel workbook",
        filename=str(path),
        find_subtable=False,
        include_header=True,
    )
    blocks: list[Block] = []
    for element in elements:
        sheet = clean_inline(element.metadata.page_name or f"Blad {element.metadata.page_number}")
        html = element.metadata.text_as_html
        text = (table_text(html) if html else "") or clean_text(element.text or "")
        if text:
            blocks.append(Block(sheet, "title", heading_path=(sheet,)))
            blocks.append(Block(text, "table", heading_path=(sheet,)))
    return ParsedDocument(path, "xlsx", "", blocks)


def strip_boilerplate(markup: str) -> tuple[str, str]:
    """Keep a page's ``<main>`` (or ``<article>``) when it has one, and drop navigation,
    headers, footers, cookie banners and scripts. Returns ``(html, page_title)``.
    """
    try:
        root = lxml_html.document_fromstring(markup)
    except (ValueError, TypeError):
        return markup, ""
    title = clean_inline(root.findtext(".//title") or "")
    main = root.xpath("//main | //*[@role='main'] | //article")
    scope = main[0] if main else root
    for node in scope.xpath(_BOILERPLATE_XPATH):
        if node is not scope and node.getparent() is not None:
            node.drop_tree()
    for node in scope.xpath(".//*[@id or @class]"):
        if node.tag in ("html", "body") or node.getparent() is None:
            continue
        marker = f"{node.get('id', '')} {node.get('class', '')}".lower()
        if any(word in marker for word in _BOILERPLATE_WORDS):
            node.drop_tree()
    body = lxml_html.tostring(scope, encoding="unicode")
    return (f"<html><body>{body}</body></html>" if main else body), title


def parse_html(path: Path) -> ParsedDocument:
    ensure_offline_unstructured()
    from unstructured.partition.html import partition_html

    markup, encoding = read_text(path)
    cleaned, page_title = strip_boilerplate(markup)
    elements = run_partition(partition_html, "HTML page", text=cleaned)
    blocks = elements_to_blocks(elements)
    first_heading = next((b.text for b in blocks if b.kind == "title"), "")
    return ParsedDocument(path, "html", first_heading or page_title, blocks, encoding=encoding)


def parse_md(path: Path) -> ParsedDocument:
    ensure_offline_unstructured()
    from unstructured.partition.md import partition_md

    text, encoding = read_text(path)
    elements = run_partition(partition_md, "Markdown file", text=text)
    return ParsedDocument(path, "md", "", elements_to_blocks(elements), encoding=encoding)
