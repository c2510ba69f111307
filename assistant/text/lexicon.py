"""The Swedish dictionary looked up by a word's spelling without å, ä and ö marks.

A word typed "forskolan" may stand for "förskolan", "manga" for "manga" or "många". The
Hunspell Swedish dictionary (the ``hunspell-sv`` package) is read once into a table keyed
by each entry's folded spelling (å, ä -> a; ö -> o); a folded word is looked up through
the dictionary's suffix rules, so one lookup finds every spelling and inflection it may
stand for. Compounds split as in ``assistant.text.compounds`` (begin forms, middle forms,
an end word), over folded parts. A word one typo away from dictionary words finds them
too: for a compound only the stretch between whole parts is edited.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from assistant.text.compounds import dictionary_files

_BEGIN, _MIDDLE, _END, _ONLY_IN_COMPOUND, _NEEDS_AFFIX, _FORBIDDEN = "XUYZ¤%"
_MIN_COMPOUND, _MIN_PART, _MAX_PARTS = 7, 3, 4  # as in assistant.text.compounds
_LONGEST_END_STRETCH = 16  # letters edited as a compound's end word, at most
_FOLD = str.maketrans("åäöÅÄÖ", "aaoAAO")
LETTERS = "abcdefghijklmnopqrstuvwxyzé"


def fold(text: str) -> str:
    """``text`` without the marks of å, ä and ö (å, ä -> a; ö -> o)."""
    return text.translate(_FOLD)


@dataclass(frozen=True)
class _Rule:
    flag: str
    strip: str
    add: str
    condition: re.Pattern[str]
    alone: bool  # the form is a word on its own (not only a compound's part)
    left: bool  # the form may begin (X) or continue (U) a compound
    begins: bool

    def form(self, word: str, flags: str) -> str | None:
        """``word`` with this suffix, if its flags and ending allow it."""
        if self.flag in flags and word.endswith(self.strip) and self.condition.search(word):
            return word[: len(word) - len(self.strip)] + self.add
        return None


class Lexicon:
    """Swedish word forms by their folded spelling; load once with :meth:`swedish`."""

    def __init__(self, dic: Path, aff: Path) -> None:
        rules = _suffix_rules(aff.read_text(encoding="utf-8"))
        # folded ending -> folded letters it replaced -> the rules that make word forms so
        endings: dict[str, dict[str, list[_Rule]]] = {}
        by_flag: dict[str, list[_Rule]] = {}
        for rule in rules:
            by_flag.setdefault(rule.flag, []).append(rule)
            if rule.alone:
                by_strip = endings.setdefault(fold(rule.add), {})
                by_strip.setdefault(fold(rule.strip), []).append(rule)
        self._endings = {
            ending: tuple((strip, tuple(rules)) for strip, rules in by_strip.items())
            for ending, by_strip in endings.items()
        }
        self._longest_ending = max(map(len, endings), default=0)
        # folded entry -> its flags when it is spelt so, else (spelling, flags) pairs; most
        # entries have no marks and one spelling, which keeps the table small
        self._stems: dict[str, str | tuple[tuple[str, str], ...]] = {}
        left: dict[str, set[str]] = {}  # folded begin/middle form -> its spellings
        self._begin: set[str] = set()  # folded forms that may begin a compound
        with dic.open(encoding="utf-8") as lines:
            next(lines)  # the entry count
            for line in lines:
                word, _, flags = line.strip().partition("/")
                if not word.isalpha() or _FORBIDDEN in flags or not word[1:].islower():
                    continue  # acronyms and the like are not words to spell towards
                flags = sys.intern(flags)
                self._add_stem(word, flags)  # a name keeps its capital: "Karlshamn"
                forms = [(word, _BEGIN in flags)] if _BEGIN in flags or _MIDDLE in flags else []
                for flag in flags:
                    for rule in by_flag.get(flag, ()):
                        form = rule.form(word, flags) if rule.left else None
                        if form is not None:
                            forms.append((form, rule.begins))
                for form, begins in forms:
                    key = fold(form.lower())
                    left.setdefault(key, set()).add(form)
                    if begins:
                        self._begin.add(key)
        self._left = {key: tuple(sorted(spellings)) for key, spellings in left.items()}
        self._memo: dict[str, tuple[str, ...] | None] = {}

    @classmethod
    def swedish(cls) -> Lexicon:
        """The lexicon of the installed Swedish dictionary (loaded once per process)."""
        return _swedish()

    def spellings(self, key: str) -> set[str]:
        """The words whose folded lower-case form is ``key``: dictionary entries and their
        inflections, names with their capital ("karlshamns" -> "Karlshamns")."""
        return set(self._forms(key, compound_end=False))

    def compound_spellings(self, key: str) -> set[str]:
        """The compounds whose folded form is ``key``, by its best split (fewest parts,
        then the longest shortest part); empty when it splits into no dictionary parts."""
        if len(key) < _MIN_COMPOUND:
            return set()
        parts = self._split(key, first=True)
        if not parts or len(parts) < 2:
            return set()
        options = [self._left[parts[0]]]
        options += [tuple({w.lower() for w in self._left[p]}) for p in parts[1:-1]]
        options.append(tuple({w.lower() for w in self._forms(parts[-1], compound_end=True)}))
        words = [""]
        for choices in options:
            words = [w + c for w in words for c in sorted(choices)][:64]
        return set(words)

    def corrections(self, key: str) -> set[str]:
        """Words one typo away from ``key`` (a folded word that is no word or compound):
        two adjacent letters swapped, one left out or one put in. Plain words if there are
        any, else the compounds of the fewest parts."""
        found = {w for e in edits(key) for w in self._forms(e, compound_end=False)}
        if found or len(key) < _MIN_COMPOUND:
            return found
        # In a compound the typo is in one part: the parts before and after it are whole,
        # so only the stretch between them is edited. A begin or middle part costs one set
        # lookup, an end word many: those go last, and only while they can do better.
        stretches = sorted(
            ((a, b) for a in self._part_starts(key) for b in self._rest_starts(key, a)),
            key=lambda ab: (ab[1] == len(key), ab[1] - ab[0]),
        )
        by_parts: dict[int, set[str]] = {}
        for start, end in stretches:
            last = end == len(key)
            if last and (end - start > _LONGEST_END_STRETCH or 2 in by_parts):
                continue
            for edit in edits(key[start:end], first=1 if start == 0 else 0):
                if self._is_part(edit, start == 0, last):
                    self._add_compound(key[:start] + edit + key[end:], by_parts)
        if not by_parts:  # two letters swapped across the border of two parts
            for i in range(1, len(key) - 2):
                self._add_compound(key[:i] + key[i + 1] + key[i] + key[i + 2 :], by_parts)
        return by_parts[min(by_parts)] if by_parts else set()

    def _add_compound(self, key: str, by_parts: dict[int, set[str]]) -> None:
        parts = self._split(key, first=True)
        if parts:
            by_parts.setdefault(len(parts), set()).update(self.compound_spellings(key))

    def knows(self, word: str) -> bool:
        """Whether ``word`` is a Swedish word or compound as spelt (in any case)."""
        lower = word.lower()
        key = fold(lower)
        spelt = self.spellings(key) | self.compound_spellings(key)
        return lower in {w.lower() for w in spelt}

    def _add_stem(self, word: str, flags: str) -> None:
        key = fold(word.lower())
        if key not in self._stems and word == key:
            self._stems[key] = flags
        else:
            self._stems[key] = (*self._entries(key), (word, flags))

    def _entries(self, key: str) -> tuple[tuple[str, str], ...]:
        known = self._stems.get(key)
        if known is None:
            return ()
        return ((key, known),) if isinstance(known, str) else known

    def _forms(self, key: str, compound_end: bool) -> Iterator[str]:
        """Dictionary forms folded to ``key``; ``compound_end``: only those that may end a
        compound (their entry is flagged Y), else only those that stand alone."""
        for spelt, flags in self._entries(key):
            if _fits(flags, compound_end) and _NEEDS_AFFIX not in flags:
                yield spelt
        stems, endings = self._stems, self._endings  # the hot loop of corrections
        for size in range(min(self._longest_ending, len(key) - 1) + 1):
            by_strip = endings.get(key[len(key) - size :])
            if by_strip is None:
                continue
            base = key[: len(key) - size]
            for strip, rules in by_strip:
                known = stems.get(base + strip)
                if known is None:
                    continue
                for spelt, flags in ((base + strip, known),) if isinstance(known, str) else known:
                    if not _fits(flags, compound_end):
                        continue
                    for rule in rules:
                        form = rule.form(spelt, flags)
                        if form is not None:
                            yield form

    def _split(self, key: str, first: bool) -> tuple[str, ...] | None:
        """The best split of ``key`` into folded parts: as ``CompoundSplitter`` splits."""
        candidates: list[tuple[str, ...]] = []
        if not first and any(self._forms(key, compound_end=True)):
            candidates.append((key,))
        lefts = self._begin if first else self._left
        for cut in range(_MIN_PART, len(key) - _MIN_PART + 1):
            if key[:cut] not in lefts:
                continue
            rest = self._rest(key[cut:])
            if rest is not None and len(rest) < _MAX_PARTS:
                candidates.append((key[:cut], *rest))
        return min(candidates, key=lambda c: (len(c), -min(map(len, c))), default=None)

    def _part_starts(self, key: str) -> list[int]:
        """Where a part may start after whole parts from the word's start (0 included)."""
        starts, frontier = {0}, [0]
        for _ in range(_MAX_PARTS - 1):
            frontier = [
                cut
                for start in frontier
                for cut in range(start + _MIN_PART, len(key) - _MIN_PART + 1)
                if key[start:cut] in (self._begin if start == 0 else self._left)
            ]
            starts.update(frontier)
        return sorted(starts)

    def _rest_starts(self, key: str, after: int) -> list[int]:
        """Where, after ``after`` (leaving room for a part), the rest of ``key`` splits into
        whole parts; the word's end included."""
        ends = [cut for cut in range(after + 2, len(key) - _MIN_PART + 1) if self._rest(key[cut:])]
        return [*ends, len(key)]

    def _is_part(self, key: str, first: bool, last: bool) -> bool:
        if first and last:
            return False  # the whole word: no compound
        if last:
            return len(key) >= _MIN_PART and any(self._forms(key, compound_end=True))
        return key in (self._begin if first else self._left)

    def _rest(self, key: str) -> tuple[str, ...] | None:
        if key not in self._memo:
            if len(self._memo) > 200_000:
                self._memo.clear()
            self._memo[key] = self._split(key, first=False)
        return self._memo[key]


def _fits(flags: str, compound_end: bool) -> bool:
    return _END in flags if compound_end else _ONLY_IN_COMPOUND not in flags


def _suffix_rules(aff: str) -> list[_Rule]:
    rules = []
    for line in aff.splitlines():
        fields = line.split()
        if len(fields) < 5 or fields[0] != "SFX":
            continue
        flag, strip, add, condition = fields[1:5]
        add, _, cont = add.partition("/")
        rules.append(
            _Rule(
                flag=flag,
                strip="" if strip == "0" else strip.lower(),
                add="" if add == "0" else add.lower(),
                condition=re.compile(f"(?:{condition.lower()})$"),
                alone=_ONLY_IN_COMPOUND not in cont,
                left=_BEGIN in cont or _MIDDLE in cont,
                begins=_BEGIN in cont,
            )
        )
    return rules


def edits(key: str, letters: str = LETTERS, first: int = 1) -> set[str]:
    """``key`` with two adjacent letters swapped, one letter left out or one put in, from
    position ``first`` on (the first letter of a word is rarely mistyped)."""
    splits = [(key[:i], key[i:]) for i in range(first, len(key) + 1)]
    swapped = {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1 and b[0] != b[1]}
    shorter = {a + b[1:] for a, b in splits if b}
    longer = {a + c + b for a, b in splits for c in letters}
    return (swapped | shorter | longer) - {key}


@cache
def _swedish() -> Lexicon:
    return Lexicon(*dictionary_files())
