"""What kind of fact a question asks for, and whether a passage states one.

"Hur mycket kostar …", "Inom hur lång tid …", "Vilket datum …", "Hur stor andel …",
"Vem utsågs …": such a question is answered only by text that states an amount of money,
a period of time, a date, a share or a person's name. Near misses are mostly of this
kind (the right document, which lacks the asked figure), and an answerable question's
figure is often in a passage that ranks a little lower than its topic's general text.
Retrieval uses both: it brings forward a passage of the same documents that states the
asked kind, and it finds no support when none does.

The question patterns are interrogatives, never bare topic words: "diskrimineringsersättning"
asks for no amount, "hur hög ersättning" does. A kind a text could state in words the
patterns do not know ("ett halvt prisbasbelopp") is read as present, so the check errs on
answering.
"""

from __future__ import annotations

import re
from enum import StrEnum


class AnswerKind(StrEnum):
    AMOUNT = "amount"  # of money
    SHARE = "share"
    PERIOD = "period"  # a length of time, or how often
    DATE = "date"
    PERSON = "person"
    LENGTH = "length"  # of a text or code: characters


_NUMBER = (
    r"(?:\d+(?:[  .,]\d+)*|en|ett|två|tre|fyra|fem|sex|sju|åtta|nio|tio|elva|tolv|"
    r"fjorton|femton|tjugo|trettio|fyrtio|femtio|sextio|nittio|hundra|"
    r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|"
    r"thirty|sixty|ninety|hundred)"
)
_TIME_UNIT = (
    r"(?:dag|dagar|dagars|dygn|vecka|veckor|veckors|månad|månader|månaders|år|års|"
    r"timme|timmar|timmars|minut|minuter|days?|weeks?|months?|years?|hours?|minutes?)"
)
_MONTH = (
    r"(?:januari|februari|mars|april|maj|juni|juli|augusti|september|oktober|november|"
    r"december|january|february|march|may|june|july|august|october)"
)
_MONEY_WORD = (
    r"(?:belopp|arvode|månadsarvode|avgift|sanktionsavgift|ersättning|bidrag|riksnorm|"
    r"lön|pris|kostnad|böter|vite)\w*"
)

_ASKS: dict[AnswerKind, re.Pattern[str]] = {
    AnswerKind.AMOUNT: re.compile(
        r"\b(?:vad (?:kostar|kostade|skulle det kosta)|hur mycket (?:kostar|kostade|pengar|"
        rf"betala\w*)|hur (?:stort|stor|högt|hög) (?:är )?(?:\w+ )?{_MONEY_WORD}|"
        rf"vilket (?:\w+ )?belopp|med hur mycket|hur många kronor|"
        r"how much (?:does|do|did|will|is|money|must|can|would)|what (?:does|did) it cost|"
        r"what is the (?:fee|amount|cost|price))\b",
        re.IGNORECASE,
    ),
    AnswerKind.SHARE: re.compile(
        r"\b(?:hur stor andel|hur många procent|vilken andel|"
        r"what (?:share|percentage|proportion)|how many percent)\b",
        re.IGNORECASE,
    ),
    AnswerKind.PERIOD: re.compile(
        r"\b(?:hur länge|hur lång \w*(?:tid|period|frist)|hur långt (?:i förväg|innan|före)|"
        r"inom hur|"
        r"hur många (?:dagar|veckor|månader|år|timmar)|"
        r"hur många (?:dagars|veckors|månaders|års)|hur ofta|how long (?:does|do|"
        r"did|will|can|must|is|has|have)|how many (?:days|weeks|months|years|hours)|"
        r"how often|within what)\b",
        re.IGNORECASE,
    ),
    AnswerKind.DATE: re.compile(
        # Not "vilken dag": "vilken dag i månaden" asks for a day of the month ("den 25:e").
        r"\b(?:vilket datum|what date|on which date|on what date)\b",
        re.IGNORECASE,
    ),
    AnswerKind.PERSON: re.compile(
        r"\b(?:vilka personer|vem utsågs|vilka utsågs|vem blev|vem var (?:ordförande|"
        r"utredare|ledamot)|who was appointed|who were appointed|which persons)\b",
        re.IGNORECASE,
    ),
    AnswerKind.LENGTH: re.compile(
        r"\b(?:hur långt(?! (?:i förväg|innan|före))|hur många tecken|how many characters)\b",
        re.IGNORECASE,
    ),
}

_SHARE = (
    r"\d+\s*(?:%|procent|percent)|\b(?:hälften|halva|tredjedel\w*|fjärdedel\w*|"
    r"half|third|quarter)\b"
)
_STATES: dict[AnswerKind, re.Pattern[str]] = {
    # An amount of money may be stated as a share of something ("3,4 procent av lönesumman").
    AnswerKind.AMOUNT: re.compile(
        r"\d[\d  .,]*\s*(?:(?:miljon|miljoner|miljard|miljarder|tusen)\s+)?"
        r"(?:kr|kronor|sek|euro|€|tkr|mkr|prisbasbelopp|basbelopp)\b|\b(?:kr|sek|€)\s*\d|"
        rf"prisbasbelopp|{_SHARE}",
        re.IGNORECASE,
    ),
    AnswerKind.SHARE: re.compile(_SHARE, re.IGNORECASE),
    AnswerKind.PERIOD: re.compile(
        rf"\b{_NUMBER}\s*{_TIME_UNIT}\b|\b(?:varje|vart|var|per|every|each) (?:\w+ )?"
        rf"{_TIME_UNIT}\b|\b(?:årligen|annually)\b",
        re.IGNORECASE,
    ),
    AnswerKind.DATE: re.compile(
        rf"\b\d{{1,2}}\s+{_MONTH}\b|\b{_MONTH}\s+\d{{1,2}}\b|\b\d{{4}}-\d{{2}}-\d{{2}}\b",
        re.IGNORECASE,
    ),
    # Two capitalised words in a row (a first name and a surname), or a title before a
    # capitalised name ("statsrådet Ask"). Organisations read as names too: that errs
    # on answering.
    AnswerKind.PERSON: re.compile(
        r"\b[A-ZÅÄÖ][a-zåäöéü]+(?:-[A-ZÅÄÖ][a-zåäöéü]+)? [A-ZÅÄÖ][a-zåäöéü]{2,}\b|"
        r"\b(?:statsråd(?:et)?|ordförande|utredare|ledamot|ledamöter|justitieråd(?:et|en)?|"
        r"generaldirektör(?:en)?|professor|direktör(?:en)?|chef(?:en)?) [A-ZÅÄÖ][a-zåäöéü]+"
    ),
    AnswerKind.LENGTH: re.compile(
        rf"\b{_NUMBER}\s*(?:tecken|characters|positioner|siffror|digits)\b", re.IGNORECASE
    ),
}


def asked_kinds(question: str) -> frozenset[AnswerKind]:
    """The kinds of fact ``question`` asks for; empty for most questions."""
    return frozenset(kind for kind, pattern in _ASKS.items() if pattern.search(question))


def states(kind: AnswerKind, text: str) -> bool:
    """Whether ``text`` states a fact of ``kind`` (an amount, a period, a date, …)."""
    return _STATES[kind].search(text) is not None
