"""Which version of a document applies: whether it is still in force, and which other
version a reference in its header names ("Ersatt av: …", "Ersätter: …").

Ranking puts a superseded document after the successor it names; the summaries page
offers the other version of a document to compare it with. Both ask ``names`` the same
question, so a reference means one thing wherever it is read.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date

from assistant.store.record import ChunkRecord
from assistant.text.designations import designations as designations_in

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def validity(record: ChunkRecord, today: date | None = None) -> str | None:
    """'superseded', 'expired' (its valid-until date has passed) or None (in force)."""
    if record.superseded:
        return "superseded"
    valid_until = record.valid_until or ""
    if _ISO_DATE.fullmatch(valid_until) and valid_until < (today or date.today()).isoformat():
        return "expired"
    return None


def names(reference: str | None, title: str, designations: Iterable[str]) -> bool:
    """Whether ``reference`` (what a header says replaced a document, or what it replaces:
    "KS 2024/0388 Riktlinje för friskvårdsbidrag 2025", "BFS 1992:15") names the document
    with this ``title`` and these canonical ``designations``.

    It does when it holds the whole title, or names one of the designations (read in the
    canonical form ``assistant.text.designations`` writes, so "BFS 1992: 15" is
    "bfs 1992:15" and "BFS 1992:150" is not). A part of a title is not enough: "Riktlinje"
    would name every guideline.
    """
    named = (reference or "").casefold().strip()
    if not named:
        return False
    whole = title.casefold().strip()
    return (bool(whole) and whole in named) or bool(designations_in(named) & set(designations))
