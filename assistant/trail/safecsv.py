"""CSV that a spreadsheet opens as text: the trail's one way of writing CSV.

A cell that starts with ``=``, ``+``, ``-`` or ``@`` (also after leading spaces, and in
their full-width or small forms, which spreadsheets fold to the same signs), or with a tab,
a carriage return, a line feed or NUL, may be run as a formula by Excel, LibreOffice or
Google Sheets (OWASP "CSV Injection", ASVS 1.2.10). Such a cell gets a leading apostrophe,
which the spreadsheet shows as text. Quotes and separators inside a cell are the ``csv``
module's job. ``csv_text`` puts every text cell of every row through ``csv_cell``, so a
new column cannot miss the guard.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterable, Sequence

FORMULA_SIGNS = frozenset("=+-@\u2212")  # U+2212 minus: NFKC leaves it, spreadsheets do not
CONTROL_START = frozenset("\t\r\n\0")
GUARD = "'"


def csv_cell(text: str | None) -> str:
    """``text`` as a cell a spreadsheet shows as text, never runs as a formula."""
    if not text:
        return ""
    return GUARD + text if _opens_a_formula(text) else text


def csv_text(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """The rows as CSV under ``header``: numbers as they are, booleans as true/false,
    None as an empty cell, everything else as guarded text."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([csv_cell(name) for name in header])
    for row in rows:
        writer.writerow([_cell(value) for value in row])
    return out.getvalue()


def _cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return value
    return csv_cell(str(value))


def _opens_a_formula(text: str) -> bool:
    if text[0] in CONTROL_START:
        return True
    for ch in unicodedata.normalize("NFKC", text):
        if ch in FORMULA_SIGNS:
            return True
        if not (ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf")):
            return False
    return False
