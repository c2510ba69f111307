"""Find a file's real type from its bytes, and refuse files we must not hand to a parser.

Checks run cheapest first: extension, size (``stat``, before reading), magic numbers,
and for zip containers (DOCX, PPTX, XLSX) the zip directory, so a zip bomb is refused
before any library unpacks it.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from assistant.settings import IngestSettings
from ingest.errors import DocumentError, Reason

MB = 1024 * 1024

# Extension -> the format we parse it as.
EXTENSION_FORMATS: dict[str, str] = {
    ".pdf": "pdf",
    ".docx": "docx",
    ".pptx": "pptx",
    ".xlsx": "xlsx",
    ".html": "html",
    ".htm": "html",
    ".md": "md",
    ".markdown": "md",
    ".txt": "txt",
    ".eml": "eml",
    ".msg": "msg",
}

# What each sniffed kind is called in messages.
KIND_NAMES: dict[str, str] = {
    "pdf": "a PDF",
    "docx": "a Word document (DOCX)",
    "pptx": "a PowerPoint presentation (PPTX)",
    "xlsx": "an Excel workbook (XLSX)",
    "zip": "a zip archive",
    "odf": "an OpenDocument file (ODT/ODS/ODP)",
    "msg": "an Outlook message (MSG)",
    "doc": "a legacy Word document (.doc)",
    "xls": "a legacy Excel workbook (.xls)",
    "ppt": "a legacy PowerPoint file (.ppt)",
    "ole": "a legacy Microsoft Office file",
    "png": "a PNG image",
    "jpeg": "a JPEG image",
    "gif": "a GIF image",
    "tiff": "a TIFF image",
    "rtf": "an RTF document",
    "gzip": "a gzip archive",
    "7z": "a 7-Zip archive",
    "rar": "a RAR archive",
    "html": "an HTML page",
    "eml": "an e-mail message",
    "text": "plain text",
}

# Which sniffed kinds each format accepts.
_ACCEPTS: dict[str, frozenset[str]] = {
    "pdf": frozenset({"pdf"}),
    "docx": frozenset({"docx"}),
    "pptx": frozenset({"pptx"}),
    "xlsx": frozenset({"xlsx"}),
    "msg": frozenset({"msg"}),
    "eml": frozenset({"eml"}),
    "html": frozenset({"html", "text"}),
    "md": frozenset({"text", "html", "eml"}),
    "txt": frozenset({"text", "html", "eml"}),
}

# Kind -> the extension that would fit, for the advice in messages.
_FITTING_EXTENSION: dict[str, str] = {
    "pdf": ".pdf",
    "docx": ".docx",
    "pptx": ".pptx",
    "xlsx": ".xlsx",
    "msg": ".msg",
    "eml": ".eml",
    "html": ".html",
    "text": ".txt",
}

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"PK\x03\x04", "zip"),
    (b"PK\x05\x06", "zip"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "ole"),
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"GIF8", "gif"),
    (b"II*\x00", "tiff"),
    (b"MM\x00*", "tiff"),
    (b"{\\rtf", "rtf"),
    (b"\x1f\x8b", "gzip"),
    (b"7z\xbc\xaf\x27\x1c", "7z"),
    (b"Rar!", "rar"),
)

_ZIP_ROOTS: tuple[tuple[str, str], ...] = (
    ("word/document.xml", "docx"),
    ("ppt/presentation.xml", "pptx"),
    ("xl/workbook.xml", "xlsx"),
)

# Zip bomb limits besides settings.max_unpacked_mb: a high overall ratio on a big payload.
MAX_ZIP_RATIO = 100
MAX_ZIP_RATIO_FLOOR_MB = 20
MAX_ZIP_MEMBERS = 20_000

_HEADER_LINE = re.compile(rb"^[A-Za-z][A-Za-z0-9-]*:[ \t]")
_MAIL_HEADERS = re.compile(
    rb"^(from|to|subject|date|received|return-path|message-id|mime-version|delivered-to)"
    rb":[ \t]",
    re.IGNORECASE | re.MULTILINE,
)
_HTML_START = re.compile(rb"<(!doctype html|html|head|body)[\s>]", re.IGNORECASE)


def detect_format(path: Path, settings: IngestSettings) -> str:
    """Return the format to parse ``path`` as, or raise ``DocumentError`` saying why not."""
    suffix = path.suffix.lower()
    fmt = EXTENSION_FORMATS.get(suffix)
    if fmt is None or suffix not in settings.extensions:
        allowed = ", ".join(settings.extensions)
        shown = f"'{suffix}'" if suffix else "without an extension"
        raise DocumentError(
            Reason.UNSUPPORTED, f"Files {shown} are not supported; supported types: {allowed}"
        )
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise DocumentError(Reason.UNREADABLE, f"File cannot be read: {exc.strerror}") from exc
    if size == 0:
        raise DocumentError(Reason.EMPTY, "File is empty (0 bytes)")
    if size > settings.max_file_mb * MB:
        raise DocumentError(
            Reason.TOO_LARGE,
            f"File is {size / MB:.1f} MB, over the {settings.max_file_mb:g} MB limit "
            "(ingest.max_file_mb)",
        )
    kind = sniff(path)
    if kind not in _ACCEPTS[fmt]:
        fitting = _FITTING_EXTENSION.get(kind)
        advice = f"; rename it to {fitting}" if fitting else ""
        raise DocumentError(
            Reason.MISLABELLED,
            f"File is named {suffix} ({KIND_NAMES.get(fmt, fmt)}) but its content is "
            f"{KIND_NAMES[kind]}{advice}",
        )
    if kind in ("docx", "pptx", "xlsx"):
        check_zip(path, settings)
    return fmt


def sniff(path: Path) -> str:
    """The kind of content in ``path`` (a key of ``KIND_NAMES``), from its first bytes."""
    try:
        with path.open("rb") as handle:
            head = handle.read(8192)
    except OSError as exc:
        raise DocumentError(Reason.UNREADABLE, f"File cannot be read: {exc.strerror}") from exc
    if b"%PDF-" in head[:1024]:
        return "pdf"
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            if kind == "zip":
                return _zip_kind(path)
            if kind == "ole":
                return _ole_kind(path)
            return kind
    return _text_kind(head)


def _zip_kind(path: Path) -> str:
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise DocumentError(
            Reason.CORRUPT, f"File is a damaged zip container (Office file): {exc}"
        ) from exc
    for member, kind in _ZIP_ROOTS:
        if member in names:
            return kind
    if "mimetype" in names and any(n == "content.xml" for n in names):
        return "odf"
    return "zip"


def _ole_kind(path: Path) -> str:
    """OLE2 compound files: Outlook .msg or a legacy .doc/.xls/.ppt (by stream names)."""
    with path.open("rb") as handle:
        data = handle.read(16 * MB)

    def has(stream: str) -> bool:
        return stream.encode("utf-16-le") in data

    if has("__substg1.0_"):
        return "msg"
    if has("WordDocument"):
        return "doc"
    if has("Workbook") or has("Book"):
        return "xls"
    if has("PowerPoint Document"):
        return "ppt"
    return "ole"


def _text_kind(head: bytes) -> str:
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if _HTML_START.search(stripped[:2048]):
        return "html"
    first = stripped.split(b"\n", 1)[0]
    if _HEADER_LINE.match(first) and len(_MAIL_HEADERS.findall(stripped[:4096])) >= 2:
        return "eml"
    return "text"


def check_zip(path: Path, settings: IngestSettings) -> None:
    """Refuse zip containers whose directory promises too much unpacked data.

    Python's zipfile (used by python-docx, python-pptx, openpyxl) stops reading a member
    at the size its directory entry declares, so checking the directory is enough.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise DocumentError(
            Reason.CORRUPT, f"File is a damaged zip container (Office file): {exc}"
        ) from exc
    if len(infos) > MAX_ZIP_MEMBERS:
        raise DocumentError(
            Reason.ZIP_BOMB,
            f"Office file holds {len(infos)} parts (limit {MAX_ZIP_MEMBERS}); "
            "refused as a possible zip bomb",
        )
    unpacked = sum(info.file_size for info in infos)
    packed = max(1, sum(info.compress_size for info in infos))
    if unpacked > settings.max_unpacked_mb * MB:
        raise DocumentError(
            Reason.ZIP_BOMB,
            f"Office file would unpack to {unpacked / MB:.0f} MB, over the "
            f"{settings.max_unpacked_mb:g} MB limit (ingest.max_unpacked_mb); "
            "refused as a possible zip bomb",
        )
    ratio = unpacked / packed
    if ratio > MAX_ZIP_RATIO and unpacked > MAX_ZIP_RATIO_FLOOR_MB * MB:
        raise DocumentError(
            Reason.ZIP_BOMB,
            f"Office file is compressed {ratio:.0f}:1 ({packed / MB:.1f} MB unpacking to "
            f"{unpacked / MB:.0f} MB); refused as a possible zip bomb",
        )
