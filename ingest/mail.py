"""E-mail (.eml, Outlook .msg): header fields, the body via unstructured, and attachments.

Attachments are written to a temporary folder and parsed by the caller's ``parse_file``
(so a PDF attachment gets the full PDF path: bookmarks, OCR, size and zip-bomb checks).
Their blocks sit under a heading path starting with "Bilaga: <filename>".
"""

from __future__ import annotations

import logging
import re
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path

from ingest.clean import clean_inline
from ingest.errors import DocumentError, Reason
from ingest.model import Block, ParsedDocument
from ingest.office import elements_to_blocks, run_partition
from ingest.unstructured_compat import ensure_offline_unstructured

log = logging.getLogger(__name__)

ParseAttachment = Callable[[Path], ParsedDocument]
_UNSAFE = re.compile(r"[^\w.\- ]+")


def parse_eml(path: Path, parse_attachment: ParseAttachment) -> ParsedDocument:
    ensure_offline_unstructured()
    from unstructured.partition.email import partition_email

    try:
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
    except OSError as exc:
        raise DocumentError(Reason.UNREADABLE, f"File cannot be read: {exc.strerror}") from exc
    assert isinstance(message, EmailMessage)
    fields = _fields(
        sender=str(message.get("From", "")),
        subject=str(message.get("Subject", "")),
        date=_iso_date(str(message.get("Date", ""))),
    )
    elements = run_partition(
        partition_email, "E-mail message", filename=str(path), process_attachments=False
    )
    blocks = elements_to_blocks(elements)
    attachments = []
    for part in message.iter_attachments():
        payload = part.get_payload(decode=True)
        if isinstance(payload, bytes) and payload:
            attachments.append((part.get_filename() or "bilaga", payload))
    _add_attachments(blocks, fields, attachments, parse_attachment)
    return ParsedDocument(path, "eml", fields.get("subject", ""), blocks, fields=fields)


def parse_msg(path: Path, parse_attachment: ParseAttachment) -> ParsedDocument:
    ensure_offline_unstructured()
    from oxmsg import Message
    from unstructured.partition.msg import partition_msg

    try:
        message = Message.load(str(path))
        sent = message.sent_date
        fields = _fields(
            sender=message.sender or "",
            subject=message.subject or "",
            date=sent.isoformat() if isinstance(sent, datetime) else "",
        )
        attachments = [
            (a.file_name or "bilaga", a.file_bytes)
            for a in message.attachments
            if a.file_bytes and a.attached_by_value
        ]
    except Exception as exc:
        raise DocumentError(
            Reason.CORRUPT, f"Outlook message could not be read (damaged file?): {exc}"
        ) from exc
    elements = run_partition(
        partition_msg, "Outlook message", filename=str(path), process_attachments=False
    )
    blocks = elements_to_blocks(elements)
    _add_attachments(blocks, fields, attachments, parse_attachment)
    return ParsedDocument(path, "msg", fields.get("subject", ""), blocks, fields=fields)


def _fields(**values: str) -> dict[str, str]:
    return {key: clean_inline(value) for key, value in values.items() if clean_inline(value)}


def _iso_date(header: str) -> str:
    if not header:
        return ""
    try:
        return parsedate_to_datetime(header).isoformat()
    except (TypeError, ValueError):
        return header


def _add_attachments(
    blocks: list[Block],
    fields: dict[str, str],
    attachments: Iterable[tuple[str, bytes]],
    parse_attachment: ParseAttachment,
) -> None:
    """Parse each attachment and append its blocks; note the ones that cannot be read."""
    skipped: list[str] = []
    with tempfile.TemporaryDirectory(prefix="assistant-attachment-") as folder:
        for index, (name, data) in enumerate(attachments):
            safe = _UNSAFE.sub("_", Path(name).name).strip() or "bilaga"
            target = Path(folder) / f"{index}" / safe
            target.parent.mkdir()
            target.write_bytes(data)
            try:
                parsed = parse_attachment(target)
            except DocumentError as exc:
                log.info("attachment %s skipped: %s", name, exc.message)
                skipped.append(f"{name} ({exc.reason}: {exc.message})")
                continue
            head = f"Bilaga: {name}"
            blocks.append(Block(head, "title", heading_path=(head,)))
            for block in parsed.blocks:
                blocks.append(replace(block, heading_path=(head, *block.heading_path)))
    if skipped:
        fields["attachments_skipped"] = "; ".join(skipped)
