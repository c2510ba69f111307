"""A suite's questions typed the way staff type them: does the app answer them as well?

One fixed rule, the same on every run (the only varying input is a hash of the case id):

1. The first known long form of an abbreviation (``prompts/abbreviations.toml``) is
   replaced by its abbreviation: "enligt kommunallagen" becomes "enligt KL". The
   abbreviation keeps its capitals (KL, SoL, LSS): staff who type everything else in lower
   case still write abbreviations as they see them printed, and "kl" would read as
   "klockan". When several abbreviations share a long form, the first listed is used.
2. Everything else is lower-cased, and å, ä, ö (and Å, Ä, Ö) lose their marks: å and ä
   become a, ö becomes o.
3. One typo: in the longest word of at least seven letters (the first of equally long
   ones; never the abbreviation), two adjacent inner letters change places, at a position
   the case id's hash chooses (the next pair of different letters, if the chosen two are
   the same).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from collections.abc import Sequence
from functools import cache
from pathlib import Path

from assistant.errors import InputError
from assistant.text.spelling import load_abbreviations
from evals.dataset import Case, load_cases
from evals.summaries import is_summary_suite

SUFFIX = "~degraded"
_MIN_TYPO_WORD = 7
_WORD = re.compile(r"[^\W\d_]+")
_FOLD = str.maketrans("åäöÅÄÖ", "aaoAAO")


def degrade(question: str, case_id: str) -> str:
    """``question`` as staff would type it (the rules above); the same for the same id."""
    before, abbreviation, after = _shortened(question)
    before, after = _plain(before), _plain(after)
    words = [(m.start(), m.group()) for m in _WORD.finditer(before)]
    offset = len(before) + len(abbreviation)
    words += [(offset + m.start(), m.group()) for m in _WORD.finditer(after)]
    text = before + abbreviation + after
    longest = max(
        (w for w in words if len(w[1]) >= _MIN_TYPO_WORD),
        key=lambda w: len(w[1]),
        default=None,
    )
    if longest is None:
        return text
    start, word = longest
    typo = _swapped(word, _hash(case_id))
    return text[:start] + typo + text[start + len(word) :]


def degraded_suite(cases: Sequence[Case]) -> list[Case]:
    """The cases with degraded questions and ids ending in ``~degraded``; all else kept."""
    return [
        dataclasses.replace(
            case,
            id=case.id + SUFFIX,
            question=(question := degrade(case.question, case.id)),
            raw=case.raw | {"id": case.id + SUFFIX, "question": question},
        )
        for case in cases
    ]


def write_degraded(path: Path, folder: Path) -> Path:
    """The suite at ``path`` with degraded questions, written into ``folder`` under the
    same file name (a run is named after its suite's file)."""
    if is_summary_suite(path):
        raise InputError(f"{path} is a summary suite: it has no questions to degrade")
    cases = degraded_suite(load_cases(path))
    degraded = folder / path.name
    lines = (json.dumps(case.raw, ensure_ascii=False) + "\n" for case in cases)
    degraded.write_text("".join(lines), encoding="utf-8")
    return degraded


def _shortened(question: str) -> tuple[str, str, str]:
    """The question around the first long form with an abbreviation: (before, the
    abbreviation, after); ``(question, "", "")`` when it holds none."""
    match = _long_forms().search(question)
    if match is None:
        return question, "", ""
    abbreviation = _abbreviation_of()[match.group().lower()]
    return question[: match.start()], abbreviation, question[match.end() :]


def _plain(text: str) -> str:
    return text.lower().translate(_FOLD)


def _swapped(word: str, seed: int) -> str:
    """``word`` with two adjacent inner letters (neither the first nor the last) swapped."""
    pairs = len(word) - 3  # inner pairs (i, i + 1) for i in 1 .. len - 3
    for step in range(pairs):
        i = 1 + (seed + step) % pairs
        if word[i] != word[i + 1]:
            return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    return word


def _hash(case_id: str) -> int:
    return int.from_bytes(hashlib.sha256(case_id.encode("utf-8")).digest()[:8], "big")


@cache
def _abbreviation_of() -> dict[str, str]:
    """Each long form (lower case) -> the first abbreviation that lists it."""
    found: dict[str, str] = {}
    for abbreviation, long_forms in load_abbreviations().items():
        for form in long_forms:
            found.setdefault(form.lower(), abbreviation)
    return found


@cache
def _long_forms() -> re.Pattern[str]:
    """Any long form as whole words; at one place the longest wins."""
    forms = sorted(_abbreviation_of(), key=len, reverse=True)
    return re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, forms)) + r")(?!\w)", re.I)
