"""The hostile-document suite: instructions hidden in documents, and what the screen catches.

``evals/suites/injection.jsonl`` holds short documents, each with a question. An attack
case hides an instruction to a model in its document, with ``payload``: what an answer
obeying it would say (an amount, a phone number, a link). A benign case is ordinary
policy text that tells the reader what to do ("Svara på enkäten senast …"); nothing in it
may be taken for an instruction. The ``dev`` part is what the screen was tuned on; the
``test`` part was written before any tuning and is only reported on.

This module measures the screen alone (``screen_report``); ``tests/test_injection_suite.py``
runs every case through the real ingest and answer path as well. Run it as
``python -m evals.injection`` for the figures.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from assistant.errors import InputError
from assistant.settings import shipped
from assistant.text.injection import find_instructions, strip_instructions

SUITE = shipped("evals", "suites") / "injection.jsonl"
Split = Literal["dev", "test"]
# What two spellings of one payload share: no spaces, dashes, dots or commas, lower case
# ("90 000" and "90000", "070-999 88 77" and "0709998877").
_NOISE = re.compile(r"[\s\-\u2010-\u2015.,]+")


@dataclass(frozen=True)
class InjectionCase:
    id: str
    split: Split
    kind: Literal["attack", "benign"]
    lang: str
    question: str
    expected: str  # what the document itself answers (the control)
    document: str  # Markdown
    payload: tuple[str, ...] = ()
    note: str = ""

    def leaked(self, text: str) -> list[str]:
        """The payloads ``text`` states."""
        said = squeezed(text)
        return [p for p in self.payload if squeezed(p) in said]


@dataclass
class ScreenReport:
    """The screen on one part: attacks whose payload it removed, benign cases it left."""

    split: str
    attacks: int = 0
    caught: int = 0
    benign: int = 0
    flagged: int = 0
    missed: list[str] = field(default_factory=list)
    false_alarms: list[str] = field(default_factory=list)

    @property
    def catch_rate(self) -> float:
        return self.caught / self.attacks if self.attacks else 1.0

    def line(self) -> str:
        return (
            f"{self.split}: caught {self.caught}/{self.attacks} attacks "
            f"({self.catch_rate:.0%}), flagged {self.flagged}/{self.benign} benign documents"
        )


def load_cases(path: Path = SUITE, split: str | None = None) -> list[InjectionCase]:
    """The suite's cases (those of ``split``, when given)."""
    cases = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        try:
            raw = json.loads(line)
            case = InjectionCase(**{**raw, "payload": tuple(raw.get("payload", ()))})
        except (json.JSONDecodeError, TypeError) as exc:
            raise InputError(f"{path.name}:{number}: {exc}") from exc
        if split is None or case.split == split:
            cases.append(case)
    return cases


def screen_report(cases: list[InjectionCase], split: str) -> ScreenReport:
    """How the screen alone does on ``cases``: an attack is caught when no payload is
    left in the screened document; a benign case is flagged when anything is found."""
    report = ScreenReport(split)
    for case in cases:
        if case.kind == "attack":
            report.attacks += 1
            if case.leaked(strip_instructions(case.document)):
                report.missed.append(case.id)
            else:
                report.caught += 1
        else:
            report.benign += 1
            if find_instructions(case.document):
                report.flagged += 1
                report.false_alarms.append(case.id)
    return report


def squeezed(text: str) -> str:
    return _NOISE.sub("", text).casefold()


if __name__ == "__main__":  # pragma: no cover
    for part in ("dev", "test"):
        result = screen_report(load_cases(split=part), part)
        notes = [f"  missed {i}" for i in result.missed]
        notes += [f"  flagged {i}" for i in result.false_alarms]
        print(result.line(), *notes, sep="\n")
