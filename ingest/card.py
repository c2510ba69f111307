"""A document card: one passage per document that says what the document is.

Questions about a document as a whole ("vad handlar direktivet om", "när och av vem
antogs policyn", "vad ersatte BFS 1992:15") rarely match one passage of its body. The
card gathers what the document says about itself: its title and designations, its type,
who decided it and when, how long it applies, what it replaces or was replaced by, and
its opening lines (quoted as they stand). It is indexed and cited like any passage.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from ingest.chunk import Chunk, cut_to_tokens
from ingest.model import ParsedDocument

_OPENING_WORDS = 120  # of the first text blocks, quoted as they stand
# Bounds by tokens whatever the blocks hold: a first block of a million characters (a file
# of one repeated word) gives a card of this size, not a passage of the whole file.
_OPENING_TOKENS = 600
_LINE_TOKENS = 48
_LABELS = (
    ("doc_type", "Dokumenttyp"),
    ("decided_by", "Beslutad av"),
    ("decision_date", "Beslutsdatum"),
    ("registration_number", "Diarienummer"),
    ("valid_until", "Gäller till"),
    ("supersedes", "Ersätter"),
    ("superseded_by", "Ersatt av"),
)


def document_card(
    doc: ParsedDocument,
    fields: Mapping[str, str | bool],
    designations: tuple[str, ...],
    count: Callable[[str], int],
) -> Chunk:
    """The card of ``doc``: its ``fields`` (``ingest.metadata``) and designations first."""
    lines = [doc.title or doc.path.stem]
    named = [d.upper() for d in designations if any(c.isdigit() for c in d)]
    if named:
        lines.append(f"Beteckning: {', '.join(named)}")
    lines += [f"{label}: {fields[key]}" for key, label in _LABELS if fields.get(key)]
    if fields.get("superseded") is True and not fields.get("superseded_by"):
        lines.append("Upphävd eller ersatt")
    opening, words = [], 0
    first_page = next((b.page for b in doc.blocks if b.text.strip()), None)
    for block in doc.blocks:
        if words >= _OPENING_WORDS or block.page != first_page:
            break
        if block.kind == "title" or not block.text.strip():
            continue
        opening.append(block.text.strip())
        words += len(block.text.split())
    lines = [cut_to_tokens(line, _LINE_TOKENS, count) for line in lines]
    quoted = cut_to_tokens("\n".join(opening), _OPENING_TOKENS, count)
    text = "\n".join(lines) + ("\n\n" + quoted if quoted else "")
    first = next((b for b in doc.blocks if b.page == first_page), None)
    return Chunk(
        text=text,
        embed_text=text,
        kind="card",
        page=first_page,
        page_label=first.page_label if first else None,
        heading_path=(),
        ocr=bool(first and first.ocr),
        tokens=count(text),
    )
