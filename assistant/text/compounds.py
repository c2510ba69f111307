"""Split Swedish compounds into their parts, with the Hunspell Swedish dictionary.

"förskoleplacering" should meet "placering i förskolan", "parkeringstillstånd" should
meet "tillstånd för parkering". The dictionary (the ``hunspell-sv`` package) marks which
forms may begin a compound (flag X, e.g. "förskole", or "parkerings" made from
"parkering" by its linking-s suffix), continue one (U) or end one (Y). A word splits
into a begin form, any middle forms and an end word, possibly inflected
("förskole|placeringen"). Among the possible splits the one with the fewest parts wins,
then the one whose shortest part is longest: "parkerings|tillstånd", not
"parkering|stillstånd" (the dictionary does not let bare "parkering" begin a compound).

Parts come back as the dictionary word they were made from ("parkering", not
"parkerings"), so the same stemmer meets them in documents and questions. Only the
parts are returned; the caller keeps the whole word too.
"""

from __future__ import annotations

import importlib.metadata
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from assistant.errors import ConfigError

_BEGIN, _MIDDLE, _END, _ONLY_IN_COMPOUND = "X", "U", "Y", "Z"
_MIN_WORD = 7  # shorter words are not split
_MIN_PART = 3
_MAX_PARTS = 4  # the dictionary's COMPOUNDWORDMAX
# Inflections an end word may carry: strip the ending, optionally restore a final a/e
# ("skolorna" -> "skol" -> "skola", "pojkarna" -> "pojk" -> "pojke").
_ENDINGS = sorted(
    set(
        "s n en ens et ets t ts na nas ar arna arnas er erna ernas or orna ornas r rna rnas "
        "a e as es ns ade ande ad at de te d re ast aste are ens".split()
    ),
    key=len,
    reverse=True,
)
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


@dataclass(frozen=True)
class _Rule:
    strip: str
    add: str
    condition: re.Pattern[str]
    flags: str


class CompoundSplitter:
    """Dictionary-based compound splitting; load once with :meth:`swedish`."""

    def __init__(self, dic: Path, aff: Path) -> None:
        rules = _suffix_rules(aff.read_text(encoding="utf-8"))
        self._left: dict[str, str] = {}  # begin/middle form -> the word it comes from
        self._begin: set[str] = set()
        self._end: set[str] = set()
        self._memo: dict[str, tuple[str, ...] | None] = {}
        lines = dic.read_text(encoding="utf-8").splitlines()
        for line in lines[1:]:  # the first line is the entry count
            word, _, flags = line.partition("/")
            word = word.strip()
            if not word or not word.isalpha():
                continue
            lower = word.lower()
            if _BEGIN in flags or _MIDDLE in flags:
                self._left.setdefault(lower, lower)
                if _BEGIN in flags:
                    self._begin.add(lower)
            if _END in flags and _ONLY_IN_COMPOUND not in flags:
                self._end.add(lower)
            for flag in flags:
                for rule in rules.get(flag, ()):
                    if not (lower.endswith(rule.strip) and rule.condition.search(lower)):
                        continue
                    form = lower[: len(lower) - len(rule.strip)] + rule.add
                    self._left.setdefault(form, lower)
                    if _BEGIN in rule.flags:
                        self._begin.add(form)

    @classmethod
    def swedish(cls) -> CompoundSplitter:
        """The splitter over the installed Swedish dictionary (loaded once per process)."""
        return _swedish()

    def split(self, word: str) -> list[str]:
        """The parts of ``word`` as dictionary words, or ``[]`` when it is no compound."""
        lower = word.lower()
        if len(lower) < _MIN_WORD or not lower.isalpha():
            return []
        parts = self._split(lower, first=True)
        return list(parts) if parts and len(parts) > 1 else []

    def parts(self, text: str) -> list[str]:
        """The parts of every compound in ``text``, in order (repeats kept: they count)."""
        return [part for word in _WORD.findall(text) for part in self.split(word)]

    def _split(self, word: str, first: bool) -> tuple[str, ...] | None:
        return _best(self._candidates(word, first))

    def _candidates(self, word: str, first: bool) -> Iterable[tuple[str, ...]]:
        if not first:
            end = self._end_word(word)
            if end is not None:
                yield (end,)
        for cut in range(_MIN_PART, len(word) - _MIN_PART + 1):
            left = word[:cut]
            if left not in (self._begin if first else self._left):
                continue
            rest = self._cached_rest(word[cut:])
            if rest is not None and len(rest) < _MAX_PARTS:
                yield (self._left[left], *rest)

    def _cached_rest(self, rest: str) -> tuple[str, ...] | None:
        if rest not in self._memo:
            if len(self._memo) > 200_000:
                self._memo.clear()
            self._memo[rest] = self._split(rest, first=False)
        return self._memo[rest]

    def _end_word(self, word: str) -> str | None:
        if word in self._end:
            return word
        for ending in _ENDINGS:
            if not word.endswith(ending) or len(word) - len(ending) < _MIN_PART:
                continue
            base = word[: -len(ending)]
            for candidate in (base, base + "a", base + "e"):
                if candidate in self._end:
                    return candidate
        return None


def _best(candidates: Iterable[tuple[str, ...]]) -> tuple[str, ...] | None:
    """Fewest parts first, then the most even split (longest shortest part)."""
    return min(candidates, key=lambda c: (len(c), -min(map(len, c))), default=None)


def _suffix_rules(aff: str) -> dict[str, list[_Rule]]:
    """Suffix rules that make compound parts (their continuation flags hold X or U)."""
    rules: dict[str, list[_Rule]] = {}
    for line in aff.splitlines():
        fields = line.split()
        if len(fields) < 5 or fields[0] != "SFX":
            continue
        flag, strip, add, condition = fields[1], fields[2], fields[3], fields[4]
        add, _, cont = add.partition("/")
        if not (_BEGIN in cont or _MIDDLE in cont):
            continue
        rules.setdefault(flag, []).append(
            _Rule(
                strip="" if strip == "0" else strip.lower(),
                add="" if add == "0" else add.lower(),
                condition=re.compile(f"(?:{condition.lower()})$"),
                flags=cont,
            )
        )
    return rules


def dictionary_files(distribution: str = "hunspell-sv") -> tuple[Path, Path]:
    """The .dic and .aff files of the installed Swedish Hunspell dictionary package."""
    try:
        files = importlib.metadata.files(distribution) or []
    except importlib.metadata.PackageNotFoundError:
        files = []
    found = {f.name: Path(str(f.locate())).resolve() for f in files}
    dic, aff = found.get("sv_SE.dic"), found.get("sv_SE.aff")
    if dic is None or aff is None or not dic.is_file() or not aff.is_file():
        raise ConfigError(
            f"The Swedish dictionary (package {distribution}) is not installed; install the "
            "project's dependencies or set ASSISTANT_RETRIEVAL__COMPOUNDS=false."
        )
    return dic, aff


@cache
def _swedish() -> CompoundSplitter:
    return CompoundSplitter(*dictionary_files())
