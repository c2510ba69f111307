"""The degraded suite: questions typed the way staff type them, by one fixed rule."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from eval_cases import CASES

from assistant.errors import InputError
from evals.dataset import load_cases
from evals.degrade import degrade, degraded_suite, write_degraded


def _one_swap(typed: str, word: str) -> bool:
    """Whether ``typed`` is ``word`` with two adjacent inner letters swapped."""
    if len(typed) != len(word) or typed == word:
        return False
    at = [i for i, (a, b) in enumerate(zip(typed, word, strict=True)) if a != b]
    return (
        len(at) == 2
        and at[1] == at[0] + 1
        and at[0] > 0
        and at[1] < len(word) - 1
        and (typed[at[0]], typed[at[1]]) == (word[at[1]], word[at[0]])
    )


def test_lower_case_without_marks() -> None:
    # No word of seven letters: no typo either.
    degraded = degrade("Hur MÅNGA dagar får jag? ÖVRIGT Än", "x")
    assert degraded == "hur manga dagar far jag? ovrigt an"


def test_the_first_long_form_becomes_its_abbreviation_in_capitals() -> None:
    assert degrade("Vad säger kommunallagen om det?", "x") == "vad sager KL om det?"
    assert degrade("Gäller LAGEN OM OFFENTLIG UPPHANDLING här?", "x") == "galler LOU har?"


def test_only_the_first_long_form_is_shortened() -> None:
    degraded = degrade("Gäller förvaltningslagen eller kommunallagen?", "x")
    assert degraded.startswith("galler FL eller ")
    assert _one_swap(degraded.removeprefix("galler FL eller ").rstrip("?"), "kommunallagen")


def test_one_typo_in_the_longest_word() -> None:
    degraded = degrade("Vem beviljar parkeringstillstånd för rörelsehindrade?", "x")
    vem, beviljar, typed, for_, rest = degraded.split()
    assert (vem, beviljar, for_, rest) == ("vem", "beviljar", "for", "rorelsehindrade?")
    assert _one_swap(typed, "parkeringstillstand")


def test_the_first_of_equally_long_words_gets_the_typo() -> None:
    first, second = degrade("semesterdag semestertid", "x").split()
    assert _one_swap(first, "semesterdag")
    assert second == "semestertid"


def test_the_long_form_is_shortened_before_the_longest_word_is_chosen() -> None:
    # Without it the long form would get the typo; the words left have six letters at most
    # (and é keeps its accent: only å, ä and ö lose their marks).
    degraded = degrade("Söker jag bostadsanpassningsbidrag för en ramp vid entrén?", "x")
    assert degraded == "soker jag BAB for en ramp vid entrén?"


def test_the_typo_position_comes_from_the_case_id() -> None:
    question = "Vad gäller för handläggningstiden?"
    assert degrade(question, "case-1") == degrade(question, "case-1")
    typos = {degrade(question, f"case-{n}").split()[-1].rstrip("?") for n in range(40)}
    assert all(_one_swap(t, "handlaggningstiden") for t in typos)
    assert len(typos) > 3


def test_a_word_of_repeated_inner_letters_keeps_its_letters() -> None:
    assert degrade("aaaaaaab", "x") == "aaaaaaab"


def test_the_degraded_suite_keeps_everything_but_ids_and_questions(tmp_path: Path) -> None:
    suite = tmp_path / "mini.jsonl"
    suite.write_text("".join(json.dumps(c, ensure_ascii=False) + "\n" for c in CASES), "utf-8")
    cases = load_cases(suite)
    degraded = degraded_suite(cases)
    assert [c.id for c in degraded] == [c.id + "~degraded" for c in cases]
    for old, new in zip(cases, degraded, strict=True):
        assert new.question == degrade(old.question, old.id)
        assert (new.answer, new.type, new.gold, new.groups, new.split) == (
            old.answer,
            old.type,
            old.gold,
            old.groups,
            old.split,
        )
        assert new.raw == old.raw | {"id": new.id, "question": new.question}
    out = tmp_path / "out"
    out.mkdir()
    written = load_cases(write_degraded(suite, out))
    assert written[0].raw["id"] == degraded[0].id
    assert [(c.id, c.question) for c in written] == [(c.id, c.question) for c in degraded]


def test_a_summary_suite_has_no_questions_to_degrade(tmp_path: Path) -> None:
    summary = Path(__file__).parents[1] / "evals" / "suites" / "summaries.jsonl"
    with pytest.raises(InputError, match="summary suite"):
        write_degraded(summary, tmp_path)
