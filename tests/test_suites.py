"""The golden evaluation suites in ``evals/suites/`` are well formed, and every evidence
sentence really is in its document as our parser extracts it (real parser, no mocks).

Matching rule (the evaluator's): Unicode NFC and runs of whitespace collapsed to one space
on both sides, nothing else. For PDFs the evidence must be on ``source_page``.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from _corpus import CORPUS, SUITES, load_suite, normalize, parsed

SV_PUBLIC = SUITES / "sv-public.jsonl"
EXAMPLES = SUITES / "examples.jsonl"

REQUIRED = ("id", "question", "answer", "source_file", "source_page", "evidence", "type", "lang")
OPTIONAL = frozenset({"sources", "groups", "asked_as", "split", "note"})
SPLITS = frozenset({"dev", "test"})
SOURCE_KEYS = frozenset({"file", "page", "evidence"})
TYPES = frozenset({"factual", "multi-hop", "summary", "unanswerable"})
LANGS = frozenset({"sv", "en"})
EVIDENCE_CHARS = (30, 250)


def citations(case: dict[str, Any]) -> list[tuple[str, int | None, str]]:
    """(file, page, evidence) of the main evidence and of every ``sources`` entry."""
    if case["type"] == "unanswerable" and not case["source_file"]:
        return []
    found = [(case["source_file"], case["source_page"], case["evidence"])]
    found += [(s["file"], s["page"], s["evidence"]) for s in case.get("sources", [])]
    return found


def evidence_problem(path: Path, page: int | None, evidence: str) -> str | None:
    """None if ``evidence`` matches the parsed text (on ``page`` for PDFs), else why not."""
    doc = parsed(path)
    blocks = doc.blocks if doc.format != "pdf" else [b for b in doc.blocks if b.page == page]
    if not blocks:
        return f"{path.name}: no parsed text on page {page}"
    if normalize(evidence) in normalize("\n\n".join(b.text for b in blocks)):
        return None
    pages = sorted({b.page for b in doc.blocks if normalize(evidence) in normalize(b.text)})
    where = f" (found on page(s) {pages})" if pages and doc.format == "pdf" else ""
    return f"{path.name} p.{page}: evidence not found{where}: {evidence[:80]!r}"


# ---------------------------------------------------------------- format (no parsing)


def check_page(file: str, page: Any, label: str) -> list[str]:
    if file.lower().endswith(".pdf"):
        if type(page) is not int or page < 1:
            return [f"{label}: PDF {file} needs a 1-based int page, got {page!r}"]
    elif page is not None:
        return [f"{label}: page must be null for non-PDF {file}, got {page!r}"]
    return []


def check_evidence_text(evidence: Any, label: str) -> list[str]:
    if not isinstance(evidence, str) or not evidence.strip():
        return [f"{label}: evidence must be a non-empty string"]
    low, high = EVIDENCE_CHARS
    if not low <= len(normalize(evidence)) <= high:
        return [f"{label}: evidence is {len(evidence)} chars, keep it {low}-{high}"]
    return []


def case_problems(case: dict[str, Any]) -> list[str]:
    label = str(case.get("id", "<no id>"))
    missing = [key for key in REQUIRED if key not in case]
    extra = set(case) - set(REQUIRED) - OPTIONAL
    if missing or extra:
        return [f"{label}: missing fields {missing}, unknown fields {sorted(extra)}"]
    problems = [
        f"{label}: {key} must be a string"
        for key in ("id", "question", "answer", "source_file", "evidence", "type", "lang")
        if not isinstance(case[key], str)
    ]
    if problems:
        return problems
    if not case["id"].strip() or not case["question"].strip():
        problems.append(f"{label}: id and question must not be empty")
    if case["type"] not in TYPES:
        problems.append(f"{label}: type {case['type']!r} not in {sorted(TYPES)}")
    if case["lang"] not in LANGS:
        problems.append(f"{label}: lang {case['lang']!r} not in {sorted(LANGS)}")
    if "/" in case["source_file"] or "\\" in case["source_file"]:
        problems.append(f"{label}: source_file must be a file name only")
    if "note" in case and not isinstance(case["note"], str):
        problems.append(f"{label}: note must be a string")
    if "split" in case and case["split"] not in SPLITS:
        problems.append(f"{label}: split must be one of {sorted(SPLITS)}")
    for key in ("groups", "asked_as"):
        groups = case.get(key, [])
        if not isinstance(groups, list) or not all(isinstance(g, str) and g for g in groups):
            problems.append(f"{label}: {key} must be a list of group names")

    if case["type"] == "unanswerable":
        if case["source_file"] or case["source_page"] is not None or case["evidence"]:
            problems.append(f"{label}: unanswerable needs source_file '', page null, evidence ''")
        if case["answer"] or case.get("sources"):
            problems.append(f"{label}: unanswerable needs an empty answer and no sources")
        return problems

    if not case["answer"].strip() or not case["source_file"]:
        problems.append(f"{label}: answerable case needs an answer and a source_file")
        return problems
    problems += check_page(case["source_file"], case["source_page"], label)
    problems += check_evidence_text(case["evidence"], label)
    sources = case.get("sources", [])
    if not isinstance(sources, list):
        return [*problems, f"{label}: sources must be a list"]
    for n, source in enumerate(sources):
        where = f"{label} sources[{n}]"
        if not isinstance(source, dict) or set(source) != SOURCE_KEYS:
            problems.append(f"{where}: needs exactly the keys {sorted(SOURCE_KEYS)}")
            continue
        if not isinstance(source["file"], str) or not source["file"] or "/" in source["file"]:
            problems.append(f"{where}: file must be a file name")
            continue
        problems += check_page(source["file"], source["page"], where)
        problems += check_evidence_text(source["evidence"], where)
    if case["type"] == "multi-hop" and len(sources) < 2:
        problems.append(f"{label}: multi-hop needs at least two sources")
    return problems


@pytest.mark.parametrize("suite", [SV_PUBLIC, EXAMPLES], ids=lambda p: p.name)
def test_suite_is_well_formed(suite: Path) -> None:
    cases = load_suite(suite)
    problems = [problem for case in cases for problem in case_problems(case)]
    assert not problems, "\n".join(problems)
    duplicates = [i for i, n in Counter(c["id"] for c in cases).items() if n > 1]
    assert not duplicates, f"duplicate ids: {duplicates}"
    assert {c["type"] for c in cases} == TYPES
    assert {c["lang"] for c in cases} == LANGS


def test_sv_public_mix() -> None:
    cases = load_suite(SV_PUBLIC)
    assert len(cases) >= 200
    share = sum(c["type"] == "unanswerable" for c in cases) / len(cases)
    assert 0.08 <= share <= 0.15, f"unanswerable share {share:.1%}"
    assert all(not c.get("groups") for c in cases), "the public corpus has no access groups"
    # Every case is in a part: dev to tune on, test to report on. The test part has every
    # kind of question, and none of the cases the earlier defaults were tuned on.
    assert {c.get("split") for c in cases} == SPLITS
    test = [c for c in cases if c["split"] == "test"]
    assert len(test) >= 80
    assert {c["type"] for c in test} == TYPES
    assert {c["lang"] for c in test} == LANGS
    assert not [c["id"] for c in test if not c["id"].startswith("svp2-")]


def test_examples_mix() -> None:
    cases = load_suite(EXAMPLES)
    restricted = [c for c in cases if c.get("groups") and c["type"] != "unanswerable"]
    refused = [c for c in cases if c.get("asked_as") == [] and c["type"] == "unanswerable"]
    assert len(restricted) >= 4
    assert len(refused) >= 2
    assert all(c.get("note") for c in refused), "say in note why a reader gets a refusal"


# ---------------------------------------------------------------- evidence (real parser)


@pytest.fixture(scope="module")
def sv_corpus() -> Path:
    if not CORPUS.is_dir():
        pytest.skip(f"shared corpus missing at {CORPUS}: sv-public evidence not checked")
    return CORPUS


@pytest.fixture(scope="module")
def example_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    from examples.build import build_examples

    paths = build_examples(tmp_path_factory.mktemp("examples-suite"))
    by_name = {path.name: path for path in paths}
    assert len(by_name) == len(paths), "example file names are not unique"
    return by_name


def citation_problems(cases: list[dict[str, Any]], files: dict[str, Path]) -> list[str]:
    problems = []
    for case in cases:
        for name, page, evidence in citations(case):
            if name not in files:
                problems.append(f"{case['id']}: no document named {name!r}")
                continue
            problem = evidence_problem(files[name], page, evidence)
            if problem:
                problems.append(f"{case['id']}: {problem}")
    return problems


def test_sv_public_evidence_matches_parsed_corpus(sv_corpus: Path) -> None:
    files = {p.name: p for p in sv_corpus.iterdir() if p.is_file() and p.name != "README.md"}
    cases = load_suite(SV_PUBLIC)
    problems = citation_problems(cases, files)
    assert not problems, "\n".join(problems)


def test_examples_evidence_matches_parsed_documents(example_files: dict[str, Path]) -> None:
    problems = citation_problems(load_suite(EXAMPLES), example_files)
    assert not problems, "\n".join(problems)


def test_examples_groups_match_access_rules() -> None:
    from examples.catalog import DOCUMENTS, readers_of

    readers = {Path(spec.path).name: readers_of(spec.path) for spec in DOCUMENTS}
    problems = []
    for case in load_suite(EXAMPLES):
        groups = set(case.get("groups", []))
        for name, _, _ in citations(case):
            allowed = readers.get(name)
            if allowed is None and groups:
                problems.append(f"{case['id']}: {name} is public, the case needs no groups")
            elif allowed is not None and not groups & set(allowed):
                problems.append(f"{case['id']}: {name} is readable by {allowed}, not {groups}")
    assert not problems, "\n".join(problems)
