"""Plain text: find the encoding, then split into paragraphs and simple headings."""

from __future__ import annotations

import re
from pathlib import Path

from charset_normalizer import from_bytes

from ingest.clean import clean_inline, clean_text
from ingest.errors import DocumentError, Reason
from ingest.model import Block, BlockKind, ParsedDocument

# Share of characters that may be control characters (other than tab/newline/CR) or
# replacement characters before we call a file binary noise.
_MAX_NOISE = 0.02
_SWEDISH = "åäöÅÄÖ"
_NUMBERED = re.compile(r"^(\d+(\.\d+)*\.?|[IVX]+\.)\s+\S")


def decode(data: bytes) -> tuple[str, str]:
    """Decode ``data``: UTF-8 (with or without BOM) first, then charset-normalizer.

    Returns ``(text, encoding)``; raises ``DocumentError(UNDECODABLE)`` for binary noise.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        return _checked(data[3:].decode("utf-8", errors="replace"), "utf-8-sig")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _checked(data.decode("utf-16", errors="replace"), "utf-16")
    if b"\x00" in data[:4096]:
        raise DocumentError(
            Reason.UNDECODABLE,
            "File does not contain readable text (binary data, NUL bytes); "
            "check that it is really a text file",
        )
    try:
        return _checked(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        pass
    best = from_bytes(data).best()
    if best is None:
        raise DocumentError(
            Reason.UNDECODABLE,
            "File's character encoding could not be recognised (not UTF-8, Windows-1252 or "
            "another known text encoding); save it as UTF-8",
        )
    encoding = best.encoding
    # charset-normalizer may pick a cousin of Windows-1252 for Swedish text; archives made
    # on Windows are cp1252 and decoding that way keeps å ä ö.
    if encoding != "cp1252" and _prefer_cp1252(data, str(best)):
        encoding = "cp1252"
    return _checked(data.decode(encoding, errors="replace"), encoding)


def _prefer_cp1252(data: bytes, decoded: str) -> bool:
    try:
        as_cp1252 = data.decode("cp1252")
    except UnicodeDecodeError:
        return False
    return sum(as_cp1252.count(c) for c in _SWEDISH) > sum(decoded.count(c) for c in _SWEDISH)


def _checked(text: str, encoding: str) -> tuple[str, str]:
    if not text.strip():
        raise DocumentError(Reason.EMPTY, "File holds only whitespace")
    noise = sum(1 for c in text if (c < " " and c not in "\t\n\r\f") or c == "\ufffd")
    if noise > _MAX_NOISE * len(text):
        raise DocumentError(
            Reason.UNDECODABLE,
            f"File does not look like text ({noise} control or undecodable characters in "
            f"{len(text)}); check that it is really a text file",
        )
    return text, encoding


def read_text(path: Path) -> tuple[str, str]:
    """Read and decode a text file (see ``decode``)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DocumentError(Reason.UNREADABLE, f"File cannot be read: {exc.strerror}") from exc
    return decode(data)


def _is_heading(paragraph: str) -> bool:
    if "\n" in paragraph or len(paragraph) > 80 or paragraph[-1] in ".,;:!?":
        return False
    letters = [c for c in paragraph if c.isalpha()]
    if not letters:
        return False
    if paragraph.isupper() and len(letters) >= 3:
        return True
    return bool(_NUMBERED.match(paragraph)) or (
        len(paragraph.split()) <= 8 and paragraph[0].isupper()
    )


def _level(heading: str) -> int:
    match = re.match(r"^(\d+(?:\.\d+)*)", heading)
    if match:
        return match.group(1).count(".") + 1
    return 1


def parse_txt(path: Path) -> ParsedDocument:
    """A TXT file as paragraphs; short standalone lines become headings."""
    raw, encoding = read_text(path)
    text = clean_text(raw)
    blocks: list[Block] = []
    path_stack: list[tuple[int, str]] = []
    for paragraph in re.split(r"\n\s*\n", text):
        paragraph = paragraph.strip()
        if not paragraph:
            continue
        lines = paragraph.split("\n")
        setext = len(lines) == 2 and re.fullmatch(r"=+|-+", lines[1].strip()) is not None
        if setext or _is_heading(paragraph):
            heading = clean_inline(lines[0] if setext else paragraph)
            level = (1 if lines[1].strip()[0] == "=" else 2) if setext else _level(heading)
            path_stack = [(lv, h) for lv, h in path_stack if lv < level] + [(level, heading)]
            blocks.append(Block(heading, "title", heading_path=tuple(h for _, h in path_stack)))
            continue
        kind: BlockKind = "list" if re.match(r"^([-*•–]|\d+[.)])\s", paragraph) else "text"
        blocks.append(Block(paragraph, kind, heading_path=tuple(h for _, h in path_stack)))
    return ParsedDocument(path=path, format="txt", title="", blocks=blocks, encoding=encoding)
