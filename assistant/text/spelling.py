"""Questions as staff type them, in the spelling the documents use, without any model.

Staff type "hur manga dagar semster far jag enligt KL": no å, ä or ö, a typo, an
abbreviation, no capitals. BM25 then meets no document word and the support decision
refuses. With the Hunspell Swedish dictionary (``assistant.text.lexicon``) the normaliser

- restores å, ä and ö in a word that is no Swedish word as typed but is one with them
  ("forskola" -> "förskola"), and in a word that is one but a rare twin of a common word
  ("manga" -> "många": a function word wins, then the word more passages use); a name
  gets its capital ("karlshamns" -> "Karlshamns"), a sentence its first capital;
- corrects one typo (two adjacent letters swapped, one letter missing or one too many) in
  a word of five letters or more that is no dictionary word ("semster" -> "semester"),
  compounds included;
- writes the long form of a known abbreviation (``prompts/abbreviations.toml``) next to
  it: "KL" -> "KL (kommunallagen)"; before a number it names a document series and only
  gets its own spelling back ("bfs 1992:15" -> "BFS 1992:15").

It leaves alone what it cannot judge: words with capitals (names, designations, other
abbreviations), words joined to a digit, hyphen, colon or slash, function words as typed
("man", "mot"), short words, words the documents use as much as the correction, and
questions in English; a word before a number may be a series name and is not corrected.
In a question typed with å, ä or ö anywhere, a word without them was meant so: only a
typo is corrected.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

from spacy.lang.en.stop_words import STOP_WORDS as _EN_STOP_WORDS
from spacy.lang.sv.stop_words import STOP_WORDS

from assistant.errors import ConfigError
from assistant.text.lexicon import LETTERS, Lexicon, edits, fold

# How many passages (a reader may see) use a word; None for a function word BM25 ignores.
Frequency = Callable[[str], int | None]

_MIN_TYPO = 5  # shorter words have too many dictionary words one letter away
_RARER = 10  # a known word gives way to a twin at least this many times as common
_MARKS = re.compile(r"[åäö]")
_WORD = re.compile(r"[^\W\d_]+")
# Swedish function words by their spelling without marks ("pa" -> "på"), to tell the language
_MARKED_STOP_WORDS = {fold(w): w for w in sorted(STOP_WORDS) if _MARKS.search(w)}
_SENTENCE_START = re.compile(r"(?:^|[.!?]\s+)$")
_ABBREVIATED = re.compile(  # a period that ends no sentence: "6 kap. om", "prop. 2012/13"
    r"(?:^|[\s(])(?:kap|prop|dir|s|p|nr|jfr|ca|resp|st|mom|ff|bl\.a|t\.ex|m\.fl|dvs|osv|etc)"
    r"\.\s+$",
    re.IGNORECASE,
)
# A word joined to a digit, hyphen, colon or slash ("OVK-besiktning", "pdf:en", "T/A") is
# part of a name; one before a number may name a series ("BFS 1992:15", "vervafs 2007:2").
_JOINED_BEFORE = re.compile(r"[\d\-:/@_&]$")
_JOINED_AFTER = re.compile(r"[\-:/@_&]")
_NUMBER_AFTER = re.compile(r"\s*\d")
_SECTION_BEFORE = re.compile(r"§\s*$")  # "39 § kl": the law a section is of


@dataclass(frozen=True)
class Normalised:
    text: str
    changes: tuple[tuple[str, str], ...] = ()  # (as typed, as searched), in order


class QuestionNormaliser:
    """Restore marks, correct a typo, write out abbreviations; load with :meth:`swedish`."""

    def __init__(self, lexicon: Lexicon, abbreviations: Mapping[str, Sequence[str]]) -> None:
        self._lexicon = lexicon
        # as a question may write it -> (as the list writes it, its long form)
        self._known: dict[str, tuple[str, str]] = {}
        # lower case -> the same; where the case tells no word from it ("39 § kl" is KL)
        self._any_case: dict[str, tuple[str, str]] = {}
        for short, forms in abbreviations.items():
            entry = (short, forms[0])
            self._known.setdefault(short, entry)
            self._known.setdefault(short.upper(), entry)
            lower = short.lower()
            if lower not in STOP_WORDS and not lexicon.knows(lower):
                self._known.setdefault(lower, entry)
            self._any_case.setdefault(lower, entry)

    @classmethod
    def swedish(cls) -> QuestionNormaliser:
        """Over the installed Swedish dictionary and the packaged abbreviations (once)."""
        return _normaliser()

    def normalise(self, question: str, frequency: Frequency | None = None) -> Normalised:
        """``question`` in the documents' spelling. ``frequency`` (how many passages use
        a word) keeps words the documents use and chooses between spellings."""
        words = list(_WORD.finditer(question))
        swedish = not _english([w.group().lower() for w in words])
        # Whoever types å, ä or ö at all meant the words typed without them.
        marked = bool(_MARKS.search(question.lower()))
        parts: list[str] = []
        changes: list[tuple[str, str]] = []
        end = 0
        for match in words:
            word, start = match.group(), match.start()
            parts.append(question[end:start])
            end = match.end()
            before, after = question[:start], question[end:]
            sentence_start = _starts_sentence(before)
            plain = word.islower() or (sentence_start and word[1:].islower())  # no name
            new = self._abbreviation(word, question, before, after)
            joined = _JOINED_BEFORE.search(before) or _JOINED_AFTER.match(after)
            if new is None and swedish and plain and not joined:
                series = _NUMBER_AFTER.match(after) is not None  # not corrected, then
                new = self._respelt(word, marked, frequency, correct=not series) or word
                if sentence_start:
                    new = new[:1].upper() + new[1:]  # "hur" -> "Hur"
            new = new or word
            if new != word:
                changes.append((word, new))
            parts.append(new)
        parts.append(question[end:])
        return Normalised("".join(parts), tuple(changes))

    def _abbreviation(self, word: str, question: str, before: str, after: str) -> str | None:
        """``word (long form)`` for a known abbreviation, unless it is part of a word or its
        long form is in the question already. Before a number it names a document series
        and only gets its own spelling back ("ad 2013 nr 63" -> "AD 2013 nr 63"); after a
        section sign any spelling counts: "39 § kl" -> "39 § KL (kommunallagen)"."""
        if _NUMBER_AFTER.match(after):  # a series: "bfs 1992:15" -> "BFS 1992:15"
            series = self._known.get(word)
            return series[0] if series else None
        section = _SECTION_BEFORE.search(before) is not None
        known = self._any_case.get(word.lower()) if section else self._known.get(word)
        if known is None or _JOINED_AFTER.match(after):
            return None
        short, long_form = known
        spelt = short if section else word  # "§ kl": the law's own spelling
        if fold(long_form.lower()) in fold(question.lower()):
            return spelt  # written out already
        return f"{spelt} ({long_form})"

    def _respelt(
        self, word: str, marked: bool, frequency: Frequency | None, correct: bool = True
    ) -> str | None:
        """The spelling to search ``word`` (no name: lower case, or capitalised to begin a
        sentence) by, or None to keep it. ``marked``: the question has å, ä or ö (only a
        typo is corrected); ``correct``: whether a typo may be (not in a series name)."""
        lower = word.lower()
        key = fold(lower)
        lexicon = self._lexicon
        if lower != key or marked:  # typed with care: only a typo is corrected
            if not correct or lexicon.knows(lower):
                return None
            nearby = edits(lower, LETTERS + "åäö")
            best = _commonest({w for w in self._corrections(key) if w.lower() in nearby}, frequency)
        else:
            twins = lexicon.spellings(key) | lexicon.compound_spellings(key)
            if lower in twins or lower in STOP_WORDS:  # a word as typed, or its twin
                twin = _commonest(twins - {lower}, frequency)
                if twin is None or not _much_more_common(twin, lower, frequency):
                    return None
                return _cased(twin, word)
            best = _commonest(twins or (self._corrections(key) if correct else ()), frequency)
        if best is None:
            return None
        if best.lower() != lower and _used_as_much(lower, best, frequency):
            return None  # (a name only gets its capital back: "Karlshamns")
        return _cased(best, word)

    def _corrections(self, key: str) -> set[str]:
        """Dictionary words one typo away from ``key`` (a folded word)."""
        if len(key) < _MIN_TYPO:
            return set()
        return self._lexicon.corrections(key)


def load_abbreviations() -> dict[str, tuple[str, ...]]:
    """``prompts/abbreviations.toml``: each abbreviation -> its long forms, first the one
    written out."""
    source = files("prompts") / "abbreviations.toml"
    try:
        table = tomllib.loads(source.read_text(encoding="utf-8"))["abbreviations"]
        return {str(k): tuple(map(str, v)) for k, v in table.items() if v}
    except (OSError, KeyError, TypeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"The abbreviations list prompts/abbreviations.toml: {exc}") from exc


def _starts_sentence(before: str) -> bool:
    return bool(_SENTENCE_START.search(before)) and not _ABBREVIATED.search(before)


def _english(words: Sequence[str]) -> bool:
    """More English function words than Swedish ones, counting Swedish ones typed without
    their marks ("gäller ... även för" typed "galler ... aven for")."""
    english = sum(w in _EN_STOP_WORDS for w in words)
    swedish = sum(_MARKED_STOP_WORDS.get(w, w) in STOP_WORDS for w in words)
    return english > max(swedish, 1)  # one ("part") in Swedish keywords is no English


def _commonest(candidates: Iterable[str], frequency: Frequency | None) -> str | None:
    """A function word first, then a word before a name ("töms", not "Toms"), then the word
    the most passages use; ties alphabetically."""
    candidates = list(candidates)
    if len(candidates) < 2:
        return candidates[0] if candidates else None

    def rank(word: str) -> tuple[bool, bool, int, str]:
        used = (frequency(word) if frequency is not None else 0) or 0
        return (not _is_function_word(word, frequency), word[:1].isupper(), -used, word)

    return min(candidates, key=rank)


def _much_more_common(twin: str, typed: str, frequency: Frequency | None) -> bool:
    """Whether a known word should give way to its twin with marks: never a function word
    ("man", "mot", "har"); always to one ("manga" -> "många"); else to a word the
    documents use ``_RARER`` times as much."""
    if _is_function_word(typed, frequency):
        return False
    if _is_function_word(twin, frequency):
        return True
    if frequency is None:
        return False
    twin_used, typed_used = frequency(twin) or 0, frequency(typed) or 0
    return twin_used > 0 and twin_used >= _RARER * typed_used


def _used_as_much(typed: str, best: str, frequency: Frequency | None) -> bool:
    """Whether the documents use a word as typed (no dictionary word) as much as the best
    dictionary word for it: then it is theirs ("vervafs", a name). Passages are counted by
    BM25 stem, which an unknown word can share with others ("maste" with "mast")."""
    if frequency is None:
        return False
    typed_used, best_used = frequency(typed), frequency(best)
    return best_used is not None and (typed_used or 0) >= max(best_used, 1)


def _is_function_word(word: str, frequency: Frequency | None) -> bool:
    return word in STOP_WORDS or (frequency is not None and frequency(word) is None)


def _cased(word: str, typed: str) -> str:
    return word[:1].upper() + word[1:] if typed[:1].isupper() else word


@cache
def _normaliser() -> QuestionNormaliser:
    return QuestionNormaliser(Lexicon.swedish(), load_abbreviations())
