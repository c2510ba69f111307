"""The Swedish terms of an English question's words, to search the Swedish documents with.

Staff sometimes ask in English. Without a model to translate, an English question meets
the Swedish passages only through the dense model: none of its words is a word of BM25's
index. The glossary (``prompts/glossary.toml``,
written by hand from the vocabulary of Swedish public administration) gives the Swedish
terms of the English words and phrases a question contains ("notice period":
uppsägningstid); they are searched beside the question, as a query expansion is, and
whether the documents answer is still decided on the question as asked.

Matching is on lower-case words. A phrase wins over the words inside it ("local
government act" is kommunallagen, not kommun). A word matches as written first, then
without a plural ending ("grants"), then without -ed or -ing too ("appealed", "parking"
when no entry is spelt so); where two entries share a stem the shorter one answers
("parked": park, not parkering).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from functools import cache
from importlib.resources import files

from assistant.errors import ConfigError

# Letters and digits make words; a sentence's punctuation ends a phrase.
_TOKEN = re.compile(r"[^\W_]+|[.,;:!?()]")
_POSSESSIVE = re.compile(r"['’]s\b")
_VOWEL = re.compile(r"[aeiouy]")
# A doubled final consonant left by -ed or -ing ("planned", "submitting") is one letter.
_DOUBLED = re.compile(r"([bdfgkmnprt])\1$")

Forms = tuple[str, str, str]  # as written, singular, stem


def forms(word: str) -> Forms:
    """``word`` (lower case) as written, without a plural ending, and lightly stemmed:
    without -ed or -ing and a final e ("decided", "deciding" and "decide": decid)."""
    singular = _singular(word)
    stem = singular
    for ending in ("ing", "ed"):
        rest = singular.removesuffix(ending)
        if rest != singular and len(rest) >= 3 and _VOWEL.search(rest):
            stem = rest[:-1] if len(rest) > 3 and _DOUBLED.search(rest) else rest
            break
    if len(stem) > 3 and stem.endswith("e") and not stem.endswith("ee"):
        stem = stem[:-1]
    return word, singular, stem


def _singular(word: str) -> str:
    if len(word) <= 3 or not word.endswith("s"):
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"  # authorities
    if word.endswith(("sses", "ches", "shes", "xes", "zes")):
        return word[:-2]  # processes, taxes
    if word.endswith(("ss", "us", "is")):
        return word  # process, status, analysis
    return word[:-1]


class Glossary:
    """English words and phrases -> their Swedish terms."""

    def __init__(self, entries: Mapping[str, Sequence[str]]) -> None:
        # by form (as written, singular, stem): the entries' words -> (key, terms)
        levels: tuple[dict[tuple[str, ...], tuple[str, tuple[str, ...]]], ...] = ({}, {}, {})
        for key, terms in entries.items():
            words = [forms(t) for t in _words(key)]
            if not words or not terms:
                continue
            for level, index in enumerate(levels):
                spelt = tuple(f[level] for f in words)
                held = index.get(spelt)
                if held is None or len(key) < len(held[0]):
                    index[spelt] = (key, tuple(terms))
        self._levels = levels
        self._longest = max((len(k) for index in levels for k in index), default=0)

    @classmethod
    def english(cls) -> Glossary:
        """The packaged glossary (``prompts/glossary.toml``), read once."""
        return _packaged()

    def terms(self, text: str) -> list[str]:
        """The Swedish terms of the words and phrases of ``text``, in its order, each once,
        leaving out those ``text`` already holds."""
        words = [forms(t) for t in _words(text)]
        held = {w[0] for w in words}
        found: dict[str, None] = {}
        i = 0
        while i < len(words):
            match = self._longest_at(words, i)
            if match is None:
                i += 1
                continue
            length, terms = match
            found |= dict.fromkeys(t for t in terms if not set(_words(t)) <= held)
            i += length
        return list(found)

    def _longest_at(self, words: list[Forms], i: int) -> tuple[int, tuple[str, ...]] | None:
        """The longest phrase beginning at word ``i`` (as written first, then singular, then
        stemmed) and its terms."""
        for length in range(min(self._longest, len(words) - i), 0, -1):
            span = words[i : i + length]
            for level, index in enumerate(self._levels):
                entry = index.get(tuple(f[level] for f in span))
                if entry is not None:
                    return length, entry[1]
        return None


def _words(text: str) -> list[str]:
    """Lower-case words, a punctuation mark standing for itself (no phrase crosses it)."""
    return _TOKEN.findall(_POSSESSIVE.sub("", text.lower()))


@cache
def _packaged() -> Glossary:
    return Glossary(load_glossary())


def load_glossary() -> dict[str, tuple[str, ...]]:
    """``prompts/glossary.toml``: each English word or phrase -> its Swedish terms (the
    file's sections only group them)."""
    source = files("prompts") / "glossary.toml"
    try:
        sections = tomllib.loads(source.read_text(encoding="utf-8"))
        entries: dict[str, tuple[str, ...]] = {}
        for section in sections.values():
            for key, value in section.items():
                if key in entries:
                    raise ValueError(f"{key!r} is listed twice")
                entries[key] = (value,) if isinstance(value, str) else tuple(map(str, value))
        return entries
    except (OSError, AttributeError, TypeError, ValueError) as exc:
        raise ConfigError(f"The glossary prompts/glossary.toml: {exc}") from exc
