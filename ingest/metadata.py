"""Document-level fields from the text itself: decision date, decided by, diarienummer,
valid until, document type, and whether the document says it has been superseded.

Municipal documents put these in a header block ("Beslutad av: Kommunstyrelsen",
"Dnr KS 2024/0123", "Gäller till: 2026-12-31"); we read the first pages only.
"""

from __future__ import annotations

import re

from ingest.model import ParsedDocument

_HEAD_CHARS = 4000
_DATE = r"(\d{4}-\d{2}-\d{2})"
_LABELS: dict[str, str] = {
    "decided_by": r"(?:beslutad|beslutat|fastställd|antagen)\s+av",
    "decision_date": r"(?:beslutsdatum|beslutad|fastställd|antagen)(?:\s+den)?",
    "registration_number": r"(?:diarienummer|dnr|diarie-?nr)",
    "valid_until": r"(?:gäller\s+till|giltig\s+till|gäller\s+t\.?\s?o\.?\s?m\.?|giltighetstid)",
    "doc_type": r"dokumenttyp",
    "supersedes": r"ersätter",
    "superseded_by": r"ersatt\s+av",
}
_DOC_TYPES = ("föreskrift", "riktlinje", "policy", "rutin", "förordning", "lag", "information")
_TITLE_TYPES = (
    (re.compile(r"\bpolicy\b|policy$", re.I), "policy"),
    (re.compile(r"riktlinje", re.I), "riktlinje"),
    (re.compile(r"\brutin", re.I), "rutin"),
    (re.compile(r"föreskrift|allmänna råd|\b[A-ZÅÄÖ]{2,8}FS\b"), "föreskrift"),
    (re.compile(r"förordning", re.I), "förordning"),
    (re.compile(r"\blag\b|\blag \(|^SFS\b", re.I), "lag"),
)


def _values(label: str, head: str) -> list[str]:
    pattern = rf"(?im)^[ \t]*{label}[ \t]*[:.]?[ \t]*(.+?)[ \t]*$"
    return [m.group(1).strip() for m in re.finditer(pattern, head)]


def _date_or_open(value: str) -> str | None:
    date = re.search(_DATE, value)
    if date:
        return date.group(1)
    return "Tills vidare" if re.search(r"tills\s+vidare", value, re.I) else None


def document_fields(doc: ParsedDocument) -> dict[str, str | bool]:
    """The fields we could find (named as in ``ChunkRecord``); absent ones are left out."""
    head = doc.text[:_HEAD_CHARS]
    found: dict[str, str | bool] = {}
    for name, label in _LABELS.items():
        values = _values(label, head)
        if name in ("decision_date", "valid_until"):
            values = [d for d in map(_date_or_open, values) if d]
        if not values:
            continue
        value = values[0]
        if name == "doc_type":
            value = next((t for t in _DOC_TYPES if t in value.lower()), value.lower())
        found[name] = value[:200]
    if "doc_type" not in found:
        for pattern, kind in _TITLE_TYPES:
            if pattern.search(doc.title) or pattern.search(doc.path.stem):
                found["doc_type"] = kind
                break
    if "superseded_by" in found or re.search(r"(?im)^\s*(upphävd|ersatt)\b", head):
        found["superseded"] = True
    return found
