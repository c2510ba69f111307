"""Personal identity numbers: personnummer and samordningsnummer, found and masked.

A number is ten digits (``YYMMDD-NNNN``; the separator is ``-``, ``+`` for someone of a
hundred or more, or none) or twelve (``YYYYMMDD-NNNN`` or without the separator). It
counts only when its date is a real date (a samordningsnummer adds 60 to the day) and
the Luhn checksum over its ten-digit form holds.

People and programs spell them in more ways than that, so the text is normalised first,
keeping where each character came from: fullwidth and other decimal digits become 0-9,
every dash (en, em, figure, fullwidth, small, minus sign) becomes ``-``, every space
(no-break, thin, tab) a space, and invisible characters (soft hyphen, zero-width space
and joiners, word joiner, byte order mark) are dropped. Then the date and the serial may
stand apart by spaces or one line break (``121212 1212``), the serial may be written
``NN NN``, and a date in groups (``19 12 12``) counts when a dash follows it
(``19 12 12-12 12``): two-digit groups with spaces alone are a row of counts.

What merely looks like one is left alone: a digit run that goes on on either side, a
diarienummer ``KS 2023/1234``, a phone number after "tel" or "mobil".

Masking writes ``ÅÅMMDD-XXXX`` in each one's place in the text as it was written (the
rest of it unchanged): the birth date is personal data too.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

PLACEHOLDER = "ÅÅMMDD-XXXX"
PERSONAL_DATA_WARNING = (
    "Frågan innehöll något som liknar ett personnummer. Det har maskerats och sparas inte. "
    "Skriv inte personuppgifter i frågor."
)

# Where a number may start: a digit that does not go on a digit run, "dnr 2021-" or "/".
_START = re.compile(r"(?<![0-9/])(?<![0-9]-)[0-9]")
# Date and serial: a separator, spaces or one line break between them (or nothing).
_BETWEEN = r"(?P<sep> ?[-+] ?| {1,3}| *\n *)?"
_DASH = r"(?P<sep> ?[-+] ?)"
_SERIAL = r"(?P<serial>[0-9]{4}|[0-9]{2} [0-9]{2})(?![0-9])(?![-/][0-9])"
# The ways a number is read from where it may start, in order: one that does not hold
# (a wrong date, a checksum) may yet be another ("2001010008 12" is 200101-0008).
_FORMS = tuple(
    re.compile(pattern)
    for pattern in (
        rf"(?P<date>[0-9]{{8}}){_BETWEEN}{_SERIAL}",
        rf"(?P<date>[0-9]{{6}}){_BETWEEN}{_SERIAL}",
        rf"(?P<date>[0-9]{{2}} ?[0-9]{{2}} [0-9]{{2}} [0-9]{{2}}){_DASH}{_SERIAL}",
        rf"(?P<date>[0-9]{{2}} [0-9]{{2}} [0-9]{{2}}){_DASH}{_SERIAL}",
    )
)
# Ten digits in a row after one of these words is a phone number ("tel. 0701234567").
_PHONE_CUE = re.compile(r"\b(tel|telefon\w*|mobil\w*|fax|sms|ring\w*)\.?:?\s*$", re.I)
_CUE_REACH = 24
_CENTURIES = ("18", "19", "20")
_ANY_DIGIT = re.compile(r"\d")
_ROW_GOES_ON = re.compile(r" [0-9]{2} [0-9]{2}(?![0-9])")
_LINE_BREAKS = "\n\v\f\x1c\x1d\x1e\x85\u2028\u2029"
_DASHES = "\u2043\u2212"  # hyphen bullet, minus sign; every other dash is category Pd


@dataclass(frozen=True)
class PersonalNumber:
    """One number found in a text: where it stands and what it is."""

    start: int
    end: int
    text: str  # as written
    ten: str  # the ten digits YYMMDDNNNN the checksum is over: the same person either way
    coordination: bool  # a samordningsnummer (day + 60)


def find_personal_numbers(text: str) -> list[PersonalNumber]:
    """Every valid personnummer and samordningsnummer in ``text``, in order; ``start`` and
    ``end`` are offsets in ``text`` as given."""
    if not _ANY_DIGIT.search(text):
        return []
    plain, origin = _normalised(text)
    found = []
    at = 0
    while start := _START.search(plain, at):
        read = _read(plain, start.start())
        if read is None:
            at = start.end()
            continue
        m, ten, coordination = read
        begin, end = _origin(origin, m.start()), _origin(origin, m.end() - 1) + 1
        found.append(PersonalNumber(begin, end, text[begin:end], ten, coordination))
        at = m.end()
    return found


def _read(plain: str, at: int) -> tuple[re.Match[str], str, bool] | None:
    """The first way of reading a number at ``at`` that holds: the match, its ten digits
    and whether it is a samordningsnummer."""
    for form in _FORMS:
        m = form.match(plain, at)
        if m is not None and (number := _checked(m, plain)) is not None:
            return m, *number
    return None


def _checked(m: re.Match[str], plain: str) -> tuple[str, bool] | None:
    """A candidate's ten digits and whether it is a samordningsnummer, if it is valid."""
    digits = m["date"].replace(" ", "")
    century = digits[:2] if len(digits) == 8 else None
    yy, mm, dd = digits[-6:-4], digits[-4:-2], digits[-2:]
    sep = (m["sep"] or "").strip()
    if century is not None and (century not in _CENTURIES or sep == "+"):
        return None
    day = int(dd)
    coordination = day > 60
    if not _real_date(century, int(yy), int(mm), day - 60 * coordination):
        return None
    ten = yy + mm + dd + m["serial"].replace(" ", "")
    if not _luhn(ten):
        return None
    if sep not in ("-", "+") and century is None and _after_phone_cue(plain, m.start()):
        return None
    if " " in m["date"] + m["serial"] and _ROW_GOES_ON.match(plain, m.end()):
        return None  # part of a longer row of groups: "2019 12 31 - 2020 01 01"
    return ten, coordination


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


class _Plain(dict[int, int | None]):
    """``str.translate`` table: each character as the finder reads it, worked out once."""

    def __missing__(self, code: int) -> int | None:
        self[code] = _plain(chr(code))
        return self[code]


def _plain(ch: str) -> int | None:
    """The character the finder reads for ``ch`` (None: dropped as invisible)."""
    category = unicodedata.category(ch)
    if category == "Cf":
        return None
    if category == "Nd":
        return ord(str(unicodedata.decimal(ch)))
    if category == "Pd" or ch in _DASHES:
        return ord("-")
    if ch in _LINE_BREAKS:
        return ord("\n")
    if ch.isspace():  # tab, no-break and thin spaces, a carriage return before its \n
        return ord(" ")
    compatible = unicodedata.normalize("NFKC", ch)
    # One character for one (fullwidth plus, solidus), never a digit from a superscript.
    if len(compatible) == 1 and not compatible.isdigit():
        return ord(compatible)
    return ord(ch)


_TABLE = _Plain()


def _normalised(text: str) -> tuple[str, list[int] | None]:
    """``text`` as the finder reads it, and for each of its characters the offset in
    ``text`` it came from (None: the same offsets, nothing was dropped)."""
    plain = text.translate(_TABLE)
    if len(plain) == len(text):
        return plain, None
    return plain, [i for i, ch in enumerate(text) if _TABLE[ord(ch)] is not None]


def _origin(origin: list[int] | None, at: int) -> int:
    return at if origin is None else origin[at]


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
