"""Summary suites: whole-document drafts measured against the key facts they must state.

One case per line::

    {"id": str, "split": "dev"|"test", "corpus": str, "documents": [file, ...],
     "kind": "summary"|"key-points"|"staff"|"changes", "groups": [str],
     "key_facts": [{"fact": str, "evidence": str, "terms": [str, ...]}], "notes": str}

A fact counts as stated when every one of its terms occurs in the draft (case and spacing
ignored). Cases whose documents are not in the index being measured (the suite covers two
corpora) are left out of the run and named in its note. A run whose groups may not read a
case's documents must be told "not found", which counts as a right refusal.

Figures per case: ``key_fact_coverage``; ``summary_citation_precision``, the share of the
draft's cited sentences whose words stand in a passage they cite (word overlap, not the
checker's own rule); ``unsupported_rate``, the share of drafted sentences the check took
out; and the time to the first section and in all.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.errors import InputError
from assistant.query.contract import Mode
from assistant.runtime import Runtime
from assistant.store.access import normalise_groups
from assistant.summary.contract import KINDS, Summary
from assistant.text.sentences import CITATION_MARKER, sentences
from evals.metrics import normalise, tokens
from evals.records import CaseResult, EvalRun, Passage
from evals.runs import finished_run

Progress = Any  # Callable[[int, int, str], None], as evals.runner has it

_REQUIRED = {"id", "documents", "kind", "key_facts"}
_SUPPORTED_OVERLAP = 0.5  # share of a sentence's words found in the passage it cites


@dataclass(frozen=True)
class SummaryCase:
    id: str
    documents: tuple[str, ...]
    kind: str
    facts: tuple[dict[str, Any], ...]
    groups: tuple[str, ...] = ()
    split: str | None = None
    corpus: str = ""


def is_summary_suite(path: Path) -> bool:
    """Whether the suite's first case is a summary case (documents and key facts; a
    question case may carry key facts too)."""
    try:
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                if line.strip():
                    return {"documents", "key_facts"} <= json.loads(line).keys()
    except (OSError, json.JSONDecodeError):
        return False  # the question-suite loader says what is wrong
    return False


def load_summary_cases(path: Path, split: str | None = None) -> list[SummaryCase]:
    cases: list[SummaryCase] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path.name} line {number}"
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"{where}: not JSON ({exc})") from exc
        missing = _REQUIRED - set(data)
        if missing:
            raise InputError(f"{where}: missing {sorted(missing)}")
        if data["kind"] not in KINDS:
            raise InputError(f"{where}: kind must be one of {KINDS}")
        cases.append(
            SummaryCase(
                id=str(data["id"]),
                documents=tuple(data["documents"]),
                kind=data["kind"],
                facts=tuple(data["key_facts"]),
                groups=tuple(normalise_groups(data.get("groups", []))),
                split=data.get("split"),
                corpus=str(data.get("corpus", "")),
            )
        )
    if split is not None:
        cases = [c for c in cases if c.split == split]
    if not cases:
        raise InputError(f"{path} holds no cases" + (f" in its {split} part" if split else ""))
    return cases


def run_summary_suite(
    path: Path,
    runtime: Runtime,
    *,
    groups: Sequence[str],
    mode: Mode | None = None,
    progress: Progress | None = None,
    split: str | None = None,
) -> EvalRun:
    settings = runtime.settings
    mode = mode or settings.answer.mode
    indexed = {state.file for state in runtime.store.doc_states().values()}
    everything = load_summary_cases(path, split)
    cases = [c for c in everything if set(c.documents) <= indexed]
    skipped = [c.id for c in everything if c not in cases]
    if not cases:
        raise InputError(f"none of the documents of {path.name} are in this index")
    started = time.perf_counter()
    results = []
    for done, case in enumerate(cases):
        if progress:
            progress(done, len(cases), case.id)
        results.append(_result(case, runtime, groups, mode))
    if progress:
        progress(len(cases), len(cases), "")
    note = f"{len(skipped)} cases on documents not in this index: {', '.join(skipped)}"
    return finished_run(
        path, runtime, results, mode=mode, groups=normalise_groups(groups), split=split,
        started=started, judge=None, judge_note=note if skipped else None,
    )  # fmt: skip


def _result(case: SummaryCase, runtime: Runtime, groups: Sequence[str], mode: Mode) -> CaseResult:
    readable = set(case.groups) <= set(normalise_groups(groups))
    label = f"{case.kind}: {', '.join(case.documents)}"
    base: dict[str, Any] = {
        "id": case.id, "question": label, "type": case.kind, "lang": "sv",
        "split": case.split, "expected_files": sorted(case.documents),
        "asked_as": sorted(normalise_groups(groups)), "mode": mode,
    }  # fmt: skip
    try:
        summary = runtime.summarizer.summarize(
            list(case.documents), list(groups), case.kind,  # type: ignore[arg-type]
            length="long" if case.kind == "summary" else "short",
            use_model=mode == "generative",
        )  # fmt: skip
    except InputError as exc:
        return CaseResult(
            **base,
            expected="(withheld: needs group " + " or ".join(case.groups) + ")"
            if not readable
            else "; ".join(f["fact"] for f in case.facts),
            got=str(exc),
            refused=True,
            expected_refusal=not readable,
        )
    cited = runtime.store.get_points([c.chunk_id for c in summary.citations])
    texts = {hit.id: hit.record.text for hit in cited}  # the whole passages cited
    return CaseResult(
        **base,
        expected="; ".join(f["fact"] for f in case.facts),
        got=summary.summary,
        refused=False,
        expected_refusal=not readable,
        notice=summary.notice,
        unsupported=summary.unsupported,
        metrics={k: round(v, 4) for k, v in summary_metrics(case, summary, texts).items()},
        citations=[Passage.of(s, 400) for s in summary.citations],
        timings_ms={
            "total": summary.timings_ms.get("total", 0.0),
            "first_section": summary.timings_ms.get("first_section", 0.0),
        },
    )


def summary_metrics(
    case: SummaryCase, summary: Summary, passages: dict[str, str]
) -> dict[str, float]:
    """The case's figures; ``passages``: the text of each cited passage by chunk id."""
    text = _flat(summary.summary)
    covered = [all(_flat(term) in text for term in fact["terms"]) for fact in case.facts]
    quotes = {c.n: passages.get(c.chunk_id, c.quote) for c in summary.citations}
    cited = supported = 0
    for sentence in sentences(summary.summary.replace("|", ". ")):
        numbers = [int(n) for n in re.findall(r"\[(\d+)\]", sentence)]
        words = set(tokens(CITATION_MARKER.sub("", sentence)))
        if not numbers or len(words) < 3:
            continue
        cited += 1
        best = max((len(words & set(tokens(quotes.get(n, "")))) for n in numbers), default=0)
        supported += best / len(words) >= _SUPPORTED_OVERLAP
    kept = cited + 0.0
    metrics = {
        "key_fact_coverage": sum(covered) / len(covered) if covered else 0.0,
        "unsupported_rate": len(summary.unsupported) / (len(summary.unsupported) + kept)
        if summary.unsupported or kept
        else 0.0,
    }
    if cited:
        metrics["summary_citation_precision"] = supported / cited
    return metrics


def _flat(text: str) -> str:
    return normalise(text.replace("\u00a0", " ")).lower()
