"""Golden sets: JSONL files of questions with their expected answer and evidence.

One case per line::

    {"id": str, "question": str, "answer": str, "source_file": str, "source_page": int|null,
     "evidence": str, "type": "factual"|"multi-hop"|"summary"|"unanswerable",
     "lang": "sv"|"en", "sources": [{"file": str, "page": int|null, "evidence": str}]}

Optional: ``groups`` (access groups a reader needs; a run without any of them must
refuse the case), ``asked_as`` (the groups this one case is asked with, e.g. ``[]`` to
check that a reader without a group gets a refusal; only groups the run has count),
``split`` (``dev``: thresholds, weights and prompts may be chosen on it; ``test``: only
reported on, once per decision), ``key_facts`` (the facts a right answer states, when
the reference answer's own are not the right ones: ``evals.facts``) and ``note``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.errors import InputError
from assistant.store.access import normalise_groups

TYPES = ("factual", "multi-hop", "summary", "unanswerable")
REQUIRED = {"id", "question", "answer", "source_file", "source_page", "evidence", "type", "lang"}
OPTIONAL = {"sources", "groups", "asked_as", "split", "note", "key_facts"}
SPLITS = ("dev", "test")


@dataclass(frozen=True)
class Gold:
    """One passage a correct answer rests on."""

    file: str
    page: int | None
    evidence: str


@dataclass(frozen=True)
class Case:
    id: str
    question: str
    answer: str
    type: str
    lang: str
    gold: tuple[Gold, ...]  # source_file/evidence first, then ``sources``
    groups: tuple[str, ...] = ()
    asked_as: tuple[str, ...] | None = None
    split: str | None = None  # "dev" or "test"; None in suites that are not split
    note: str = ""
    key_facts: tuple[str, ...] = ()
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def files(self) -> set[str]:
        return {g.file for g in self.gold if g.file}

    def reader_groups(self, run_groups: Sequence[str]) -> list[str]:
        """The groups this case is asked with: the run's, narrowed by ``asked_as``."""
        run = normalise_groups(run_groups)
        if self.asked_as is None:
            return run
        return [g for g in run if g in self.asked_as]

    def expects_refusal(self, run_groups: Sequence[str]) -> bool:
        """Unanswerable, or answerable only for groups the reader does not have."""
        if self.type == "unanswerable":
            return True
        readers = set(self.reader_groups(run_groups))
        return bool(self.groups) and not set(self.groups) & readers


def load_cases(path: Path, split: str | None = None) -> list[Case]:
    """Read and check a golden set (only the cases of ``split``, when given); InputError
    naming the line on any problem."""
    if split is not None and split not in SPLITS:
        raise InputError(f"split must be one of {SPLITS}, not {split!r}")
    cases: list[Case] = []
    seen: set[str] = set()
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise InputError(f"Cannot read the suite {path}: {exc}") from exc
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{path.name} line {number}"
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"{where}: not JSON ({exc})") from exc
        case = _case(data, where)
        if case.id in seen:
            raise InputError(f"{where}: duplicate id {case.id!r}")
        seen.add(case.id)
        cases.append(case)
    if split is not None:
        cases = [c for c in cases if c.split == split]
    if not cases:
        raise InputError(f"{path} holds no cases" + (f" in its {split} part" if split else ""))
    return cases


def _case(data: Any, where: str) -> Case:
    if not isinstance(data, dict):
        raise InputError(f"{where}: a case must be a JSON object")
    missing = REQUIRED - data.keys()
    unknown = data.keys() - REQUIRED - OPTIONAL
    if missing or unknown:
        raise InputError(f"{where}: missing {sorted(missing)}, unknown {sorted(unknown)}")
    if data["type"] not in TYPES or data["lang"] not in ("sv", "en"):
        raise InputError(f"{where}: type must be one of {TYPES} and lang sv or en")
    if data.get("split", "dev") not in SPLITS:
        raise InputError(f"{where}: split must be one of {SPLITS}")
    page = data["source_page"]
    if page is not None and (not isinstance(page, int) or page < 1):
        raise InputError(f"{where}: source_page must be a 1-based number or null")
    gold = []
    if data["source_file"]:
        gold.append(Gold(str(data["source_file"]), page, str(data["evidence"])))
    for source in data.get("sources") or []:
        gold.append(Gold(str(source["file"]), source.get("page"), str(source.get("evidence", ""))))
    if data["type"] != "unanswerable" and not gold:
        raise InputError(f"{where}: an answerable case needs a source_file")
    return Case(
        id=str(data["id"]),
        question=str(data["question"]),
        answer=str(data["answer"]),
        type=data["type"],
        lang=data["lang"],
        gold=tuple(dict.fromkeys(gold)),
        groups=tuple(normalise_groups(map(str, data.get("groups") or ()))),
        asked_as=(
            tuple(normalise_groups(map(str, data["asked_as"]))) if "asked_as" in data else None
        ),
        split=data.get("split"),
        note=str(data.get("note", "")),
        key_facts=tuple(map(str, data.get("key_facts") or ())),
        raw=data,
    )
