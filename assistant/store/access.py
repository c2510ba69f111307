"""Who may read what: the access groups documents carry and readers present.

Every chunk carries the groups that may read it; every search carries the reader's
groups, and the store filters inside Qdrant. Group names are compared as written here.
"""

from __future__ import annotations

from collections.abc import Iterable

EVERYONE = "*"  # the access group of documents anyone may read


def normalise_groups(groups: Iterable[str]) -> list[str]:
    """Group names as stored and compared: trimmed, lower case, sorted, each once."""
    return sorted({g.strip().lower() for g in groups if g.strip()})


def parse_groups(text: str) -> list[str]:
    """Groups given as one comma-separated text (``--groups hr,chefer``)."""
    return normalise_groups(text.split(","))


def readable_by(groups: Iterable[str]) -> list[str]:
    """The group values a reader matches: their own groups plus everyone's."""
    return sorted({*normalise_groups(groups), EVERYONE})
