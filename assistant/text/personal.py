"""Personal identity numbers: personnummer and samordningsnummer, found and masked.

A number is ten digits (``YYMMDD-NNNN``; the separator is ``-``, ``+`` for someone of a
hundred or more, or none) or twelve (``YYYYMMDD-NNNN`` or without the separator). It
counts only when its date is a real date (a samordningsnummer adds 60 to the day) and
the Luhn checksum over its ten-digit form holds. What merely looks like one is left
alone: a digit run that goes on on either side, a phone number after "tel" or "mobil".

Masking writes ``ÅÅMMDD-XXXX`` in each one's place: the birth date is personal data too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

PLACEHOLDER = "ÅÅMMDD-XXXX"
PERSONAL_DATA_WARNING = (
    "Frågan innehöll något som liknar ett personnummer. Det har maskerats och sparas inte. "
    "Skriv inte personuppgifter i frågor."
)

_HYPHENS = "-\u2010\u2011\u2013\u2212"  # hyphen as typed, and as PDFs and word processors write it
_CANDIDATE = re.compile(
    rf"(?<![\d/])(?<!\d[{_HYPHENS}])"
    r"(?P<century>\d{2})?(?P<yy>\d{2})(?P<mm>\d{2})(?P<dd>\d{2})"
    rf"(?P<sep>[{_HYPHENS}+]?)(?P<serial>\d{{4}})"
    rf"(?!\d)(?![{_HYPHENS}/]\d)"
)
# Ten digits in a row after one of these words is a phone number ("tel. 0701234567").
_PHONE_CUE = re.compile(r"\b(tel|telefon\w*|mobil\w*|fax|sms|ring\w*)\.?:?\s*$", re.I)
_CUE_REACH = 24
_CENTURIES = ("18", "19", "20")


@dataclass(frozen=True)
class PersonalNumber:
    """One number found in a text: where it stands and what it is."""

    start: int
    end: int
    text: str  # as written
    ten: str  # the ten digits YYMMDDNNNN the checksum is over: the same person either way
    coordination: bool  # a samordningsnummer (day + 60)


def find_personal_numbers(text: str) -> list[PersonalNumber]:
    """Every valid personnummer and samordningsnummer in ``text``, in order."""
    found = []
    for m in _CANDIDATE.finditer(text):
        century, sep = m["century"], m["sep"]
        if century is not None and (century not in _CENTURIES or sep == "+"):
            continue
        day = int(m["dd"])
        coordination = day > 60
        if not _real_date(century, int(m["yy"]), int(m["mm"]), day - 60 * coordination):
            continue
        ten = m["yy"] + m["mm"] + m["dd"] + m["serial"]
        if not _luhn(ten):
            continue
        if not sep and century is None and _after_phone_cue(text, m.start()):
            continue
        found.append(PersonalNumber(m.start(), m.end(), m.group(0), ten, coordination))
    return found


def mask_personal_numbers(text: str) -> tuple[str, int]:
    """``text`` with each number replaced by ``ÅÅMMDD-XXXX``, and how many there were."""
    found = find_personal_numbers(text)
    if not found:
        return text, 0
    parts, at = [], 0
    for number in found:
        parts += [text[at : number.start], PLACEHOLDER]
        at = number.end
    parts.append(text[at:])
    return "".join(parts), len(found)


def luhn_digit(nine: str) -> str:
    """The check digit that makes ``nine`` digits (YYMMDDNNN) a valid ten-digit number."""
    return str((10 - _luhn_sum(nine + "0")) % 10)


def _luhn(ten: str) -> bool:
    return _luhn_sum(ten) % 10 == 0


def _luhn_sum(digits: str) -> int:
    total = 0
    for i, ch in enumerate(digits):
        n = int(ch) * (2 if i % 2 == 0 else 1)
        total += n - 9 if n > 9 else n
    return total


def _real_date(century: str | None, yy: int, month: int, day: int) -> bool:
    years = [int(century) * 100 + yy] if century else [1900 + yy, 2000 + yy]
    for year in years:
        try:
            date(year, month, day)
        except ValueError:
            continue
        return True
    return False


def _after_phone_cue(text: str, start: int) -> bool:
    return bool(_PHONE_CUE.search(text[max(0, start - _CUE_REACH) : start]))
