"""Key facts: what an answer must state to be right, checked without a model.

The key facts of a case are the numbers, dates, amounts, periods, names and designations
of its reference answer (or the suite's explicit ``key_facts`` list, when it has one). Read
by fixed rules, so the figure means the same on every run and every suite:

* a number (digits, "3 000" = "3000", "0,5" = "0.5", a Swedish or English number word
  from two to twelve: "två veckor" states 2), a designation ("SFS 2017:725" is "2017:725")
  and a month name are facts; a date is its day, month and year;
* a name is a capitalised word that does not open a sentence, and a body is a word ending
  in one of Swedish's organisation endings (nämnden, styrelsen, fullmäktige, verket, …);
  both match the answer's word with the same stem (genitive and definite forms count);
* what the reference says in brackets is where it comes from, not the fact (left out),
  and what the question itself states is not a fact the answer is asked for (left out);
* a name counts only when the documents state it in the case's gold evidence: a
  reference written by a person names the implicit subject ("länsstyrelsen ska redovisa")
  where the document's sentence does not, and a quote of that sentence is right.

``key_fact_correct`` is 1 when an answer states every key fact of its case, else 0 (and 0
for a refusal); ``key_fact_recall`` is the share stated. A case without key facts (a
yes/no question whose reference names nothing) has neither.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from assistant.text.sentences import CITATION_MARKER

_WORD_NUMBERS = {
    "två": "2", "tre": "3", "fyra": "4", "fem": "5", "sex": "6", "sju": "7", "åtta": "8",
    "nio": "9", "tio": "10", "elva": "11", "tolv": "12", "two": "2", "three": "3",
    "four": "4", "five": "5", "six": "6", "seven": "7", "eight": "8", "nine": "9",
    "ten": "10", "eleven": "11", "twelve": "12", "halv": "0.5", "half": "0.5",
}  # fmt: skip
_MONTHS = (
    "januari februari mars april maj juni juli augusti september oktober november december "
    "january february march may june july august october"
).split()
_BODY = re.compile(
    r"\w*(nämnd|nämnden|styrelse|styrelsen|fullmäktige|verket|myndigheten|inspektionen|"
    r"kontoret|förvaltningen|rådet|domstolen|regeringen|riksdagen|länsstyrelsen|"
    r"ombudsmannen|kammarkollegiet|kommissionen)s?$"
)
_NUMBER = re.compile(r"\d+(?:[ \u00a0]\d{3})*(?:[.,]\d+)?(?::\d+)?")
_CAPITALISED = re.compile(r"[A-ZÅÄÖÉ][\w-]*")
_BRACKETS = re.compile(r"\([^()]*\)")
_DIGIT_NEXT = re.compile(r"\s*\d")
_SENTENCE_START = re.compile(r"(^|[.!?:;]\s+|\n)$")


@dataclass(frozen=True)
class Fact:
    kind: str  # "number", "month", "name"
    value: str  # normalised: digits, a month, a lower-case name

    def stated_in(self, text: Facts) -> bool:
        if self.kind == "name":
            return any(_same_stem(self.value, w) for w in text.words)
        return self.value in (text.numbers if self.kind == "number" else text.words)


@dataclass(frozen=True)
class Facts:
    """What a text states, read for matching."""

    numbers: frozenset[str]
    words: frozenset[str]

    @classmethod
    def of(cls, text: str) -> Facts:
        flat = _flat(text)
        found = {_number(n) for n in _NUMBER.findall(flat)}
        words = re.findall(r"\w+(?:-\w+)*", flat.casefold())
        found |= {_WORD_NUMBERS[w] for w in words if w in _WORD_NUMBERS}
        # "2017:725" also states 2017 and 725; "3,5" states itself only.
        found |= {part for n in list(found) if ":" in n for part in n.split(":")}
        return cls(frozenset(found), frozenset(words))


def key_facts(
    reference: str,
    question: str = "",
    evidence: Sequence[str] | None = None,
    explicit: Sequence[str] = (),
) -> list[Fact]:
    """The facts an answer to ``question`` must state, read from its ``reference``
    answer (names only when the gold ``evidence`` states them, if given), or the suite's
    ``explicit`` list (each item read the same way, every name kept)."""
    if explicit:
        return _unique(f for item in explicit for f in _read(item, question, all_names=True))
    facts = _read(reference, question)
    if evidence is not None:
        documents = Facts.of(" ".join(evidence))
        facts = (f for f in facts if f.kind != "name" or f.stated_in(documents))
    return _unique(facts)


def stated(facts: Sequence[Fact], answer: str) -> list[bool]:
    text = Facts.of(answer)
    return [f.stated_in(text) for f in facts]


def fact_metrics(
    facts: Sequence[Fact], answer: str, refused: bool, cited: Sequence[str] = ()
) -> dict[str, float]:
    """``cited``: the titles of the answer's cited sources, which the reader sees beside
    it (a designation there is stated)."""
    if not facts:
        return {}
    found = [False] * len(facts) if refused else stated(facts, " ".join([answer, *cited]))
    return {
        "key_fact_correct": float(all(found)),
        "key_fact_recall": sum(found) / len(found),
    }


def _read(text: str, question: str, all_names: bool = False) -> Iterable[Fact]:
    asked = Facts.of(question)
    text = _flat(text)
    while _BRACKETS.search(text):
        text = _BRACKETS.sub(" ", text)
    for raw in _NUMBER.findall(text):
        fact = Fact("number", _number(raw))
        if not fact.stated_in(asked):
            yield fact
    for word in re.findall(r"\w+(?:-\w+)*", text.casefold()):
        if word in _WORD_NUMBERS and _WORD_NUMBERS[word] not in asked.numbers:
            yield Fact("number", _WORD_NUMBERS[word])
        elif word in _MONTHS and word not in asked.words:
            yield Fact("month", word)
        elif _BODY.match(word) and not Fact("name", word).stated_in(asked):
            yield Fact("name", word)
    for match in _CAPITALISED.finditer(text):
        word = match.group(0)
        opens = _SENTENCE_START.search(text[: match.start()])
        if (opens and not all_names) or len(word) < 3 or word.endswith("-"):
            continue
        if word.isupper() and _DIGIT_NEXT.match(text, match.end()):
            continue  # "BFS 1992:46", "SEK 15 000": the number is the fact
        fact = Fact("name", word.casefold())
        if word.casefold() not in _MONTHS and not fact.stated_in(asked):
            yield fact


def _unique(facts: Iterable[Fact]) -> list[Fact]:
    """One fact per number and per stem ("nämnden", "nämndens" are one)."""
    kept: list[Fact] = []
    for fact in facts:
        if not any(
            (k.kind == fact.kind == "name" and _same_stem(k.value, fact.value)) or k == fact
            for k in kept
        ):
            kept.append(fact)
    return kept


def _flat(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    return re.sub(r"\s+", " ", CITATION_MARKER.sub(" ", text))


def _number(raw: str) -> str:
    value = re.sub(r"[ \u00a0]", "", raw).replace(",", ".")
    return value[:-2] if value.endswith(".0") else value


def _same_stem(fact: str, word: str) -> bool:
    """Swedish inflects by ending: "nämnden", "nämndens", "nämnd" name one body."""
    if word == fact:
        return True
    stem = len(fact) - 2 if len(fact) > 6 else len(fact)
    return len(word) >= stem and word[:stem] == fact[:stem] and abs(len(word) - len(fact)) <= 3
