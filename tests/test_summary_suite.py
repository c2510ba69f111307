"""The summary suite ``evals/suites/summaries.jsonl`` is well formed, and every key fact is
backed by its documents as our parser extracts them (real parser, no mocks).

Matching rules: evidence as in ``test_suites.py`` (Unicode NFC, runs of whitespace collapsed
to one space, case-sensitive), found in the text of any of the case's documents; terms are
matched case-insensitively in the fact's evidence or in the case's documents, the way a
summary is checked for them.
"""

from __future__ import annotations

from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from _corpus import SUITES, load_suite, normalize, parsed

SUITE = SUITES / "summaries.jsonl"

REQUIRED = frozenset({"id", "split", "corpus", "documents", "kind", "groups", "key_facts"})
OPTIONAL = frozenset({"notes"})
FACT_KEYS = frozenset({"fact", "evidence", "terms"})
SPLITS = frozenset({"dev", "test"})
CORPORA = frozenset({"sv-public", "examples"})
KINDS = frozenset({"summary", "key-points", "staff", "changes"})
FACTS_PER_CASE = (3, 6)
TERMS_PER_FACT = (1, 3)
MIN_EVIDENCE_CHARS = 20
MAX_TERM_CHARS = 30
LONG_DOCUMENT_PAGES = 10  # a PDF with at least this many pages counts as long


@pytest.fixture(scope="module")
def cases() -> list[dict[str, Any]]:
    return load_suite(SUITE)


# ---------------------------------------------------------------- format (no parsing)


def fact_problems(fact: Any, label: str) -> list[str]:
    if not isinstance(fact, dict) or set(fact) != FACT_KEYS:
        return [f"{label}: needs exactly the keys {sorted(FACT_KEYS)}"]
    problems = []
    if not isinstance(fact["fact"], str) or not fact["fact"].strip():
        problems.append(f"{label}: fact must be a non-empty sentence")
    evidence = fact["evidence"]
    if not isinstance(evidence, str) or len(normalize(evidence)) < MIN_EVIDENCE_CHARS:
        problems.append(f"{label}: evidence must be a string of >= {MIN_EVIDENCE_CHARS} chars")
    terms = fact["terms"]
    low, high = TERMS_PER_FACT
    if not isinstance(terms, list) or not low <= len(terms) <= high:
        return [*problems, f"{label}: needs {low}-{high} terms, got {terms!r}"]
    for term in terms:
        if not isinstance(term, str) or not term.strip() or term != term.strip():
            problems.append(f"{label}: term {term!r} must be a non-empty, stripped string")
        elif len(term) > MAX_TERM_CHARS:
            problems.append(f"{label}: term {term!r} is longer than {MAX_TERM_CHARS} chars")
    return problems


def case_problems(case: dict[str, Any]) -> list[str]:
    label = str(case.get("id", "<no id>"))
    missing, extra = REQUIRED - set(case), set(case) - REQUIRED - OPTIONAL
    if missing or extra:
        return [f"{label}: missing fields {sorted(missing)}, unknown fields {sorted(extra)}"]
    problems = []
    if not isinstance(case["id"], str) or not case["id"].startswith("sum-"):
        problems.append(f"{label}: id must be a string starting with 'sum-'")
    for key, allowed in (("split", SPLITS), ("corpus", CORPORA), ("kind", KINDS)):
        if case[key] not in allowed:
            problems.append(f"{label}: {key} {case[key]!r} not in {sorted(allowed)}")
    documents = case["documents"]
    if (
        not isinstance(documents, list)
        or not documents
        or not all(isinstance(d, str) and d and "/" not in d and "\\" not in d for d in documents)
        or len(set(documents)) != len(documents)
    ):
        problems.append(f"{label}: documents must be distinct file names (no folders)")
    elif case["kind"] == "changes" and len(documents) != 2:
        problems.append(f"{label}: a changes case lists exactly [older, newer]")
    groups = case["groups"]
    if not isinstance(groups, list) or not all(isinstance(g, str) and g for g in groups):
        problems.append(f"{label}: groups must be a list of group names")
    if "notes" in case and not isinstance(case["notes"], str):
        problems.append(f"{label}: notes must be a string")
    facts = case["key_facts"]
    low, high = FACTS_PER_CASE
    if not isinstance(facts, list) or not low <= len(facts) <= high:
        return [*problems, f"{label}: needs {low}-{high} key facts"]
    for n, fact in enumerate(facts):
        problems += fact_problems(fact, f"{label} key_facts[{n}]")
    return problems


def test_suite_is_well_formed(cases: list[dict[str, Any]]) -> None:
    problems = [problem for case in cases for problem in case_problems(case)]
    assert not problems, "\n".join(problems)
    duplicates = [i for i, n in Counter(c["id"] for c in cases).items() if n > 1]
    assert not duplicates, f"duplicate ids: {duplicates}"


def test_suite_mix(cases: list[dict[str, Any]]) -> None:
    assert len(cases) >= 18
    kinds = Counter(c["kind"] for c in cases)
    assert kinds["summary"] >= 6, kinds
    assert kinds["key-points"] >= 3, kinds
    assert kinds["staff"] >= 3, kinds
    assert 1 <= kinds["changes"] <= 2, kinds
    assert {c["corpus"] for c in cases} == CORPORA
    # Tune on dev, report on test: about 60/40, and every kind in both parts.
    dev = [c for c in cases if c["split"] == "dev"]
    assert 0.5 <= len(dev) / len(cases) <= 0.7, f"{len(dev)} of {len(cases)} cases in dev"
    for split in SPLITS:
        assert {c["kind"] for c in cases if c["split"] == split} == KINDS, split
    together = [c["id"] for c in cases if len(c["documents"]) > 1 and c["kind"] != "changes"]
    assert len(together) >= 2, "at least two cases summarize two documents together"
    restricted = [c for c in cases if c["groups"]]
    assert len(restricted) >= 2, "at least two cases on restricted example documents"
    assert all(c["corpus"] == "examples" for c in restricted), "only examples have groups"


def test_groups_match_access_rules(cases: list[dict[str, Any]]) -> None:
    """Any one of ``groups`` must be enough to read every document of the case."""
    from examples.catalog import DOCUMENTS, readers_of

    readers = {Path(spec.path).name: readers_of(spec.path) for spec in DOCUMENTS}
    problems = []
    for case in (c for c in cases if c["corpus"] == "examples"):
        groups = set(case["groups"])
        allowed = [readers.get(name) for name in case["documents"]]
        if all(a is None for a in allowed) and groups:
            problems.append(f"{case['id']}: the documents are public, the case needs no groups")
        if any(a is not None for a in allowed) and not groups:
            problems.append(f"{case['id']}: restricted documents, the case needs groups")
        for name, readable_by in zip(case["documents"], allowed, strict=True):
            if readable_by is not None and not groups <= set(readable_by):
                problems.append(f"{case['id']}: {name} is readable by {readable_by}, not {groups}")
    assert not problems, "\n".join(problems)


# ---------------------------------------------------------------- key facts (real parser)


@cache
def document_text(path: Path) -> str:
    """The parsed text of one document, normalized; each document is parsed once."""
    return normalize("\n\n".join(block.text for block in parsed(path).blocks))


def key_fact_problems(case: dict[str, Any], files: dict[str, Path]) -> list[str]:
    missing = [name for name in case["documents"] if name not in files]
    if missing:
        return [f"{case['id']}: no document named {name!r} in {case['corpus']}" for name in missing]
    texts = {name: document_text(files[name]) for name in case["documents"]}
    problems, used = [], set()
    for n, fact in enumerate(case["key_facts"]):
        label = f"{case['id']} key_facts[{n}]"
        evidence = normalize(fact["evidence"])
        sources = [name for name, text in texts.items() if evidence in text]
        if not sources:
            problems.append(f"{label}: evidence not in {case['documents']}: {evidence[:80]!r}")
        used.update(sources)
        haystacks = [evidence.casefold(), *(text.casefold() for text in texts.values())]
        for term in fact["terms"]:
            if not any(normalize(term).casefold() in hay for hay in haystacks):
                problems.append(f"{label}: term {term!r} is in neither evidence nor documents")
    if not problems and used != set(case["documents"]):
        unused = sorted(set(case["documents"]) - used)
        problems.append(f"{case['id']}: no key fact comes from {unused}")
    return problems


@pytest.fixture(scope="module")
def sv_public_files(corpus: Path) -> dict[str, Path]:
    return {p.name: p for p in corpus.iterdir() if p.is_file() and p.name != "README.md"}


@pytest.fixture(scope="module")
def example_files(example_docs: Path) -> dict[str, Path]:
    paths = [p for p in example_docs.rglob("*") if p.is_file() and p.name != "access.toml"]
    by_name = {path.name: path for path in paths}
    assert len(by_name) == len(paths), "example file names are not unique"
    return by_name


def test_sv_public_key_facts_match_documents(
    cases: list[dict[str, Any]], sv_public_files: dict[str, Path]
) -> None:
    chosen = [c for c in cases if c["corpus"] == "sv-public"]
    problems = [p for case in chosen for p in key_fact_problems(case, sv_public_files)]
    assert not problems, "\n".join(problems)


def test_examples_key_facts_match_documents(
    cases: list[dict[str, Any]], example_files: dict[str, Path]
) -> None:
    chosen = [c for c in cases if c["corpus"] == "examples"]
    problems = [p for case in chosen for p in key_fact_problems(case, example_files)]
    assert not problems, "\n".join(problems)


def test_sv_public_long_documents_are_covered(
    cases: list[dict[str, Any]], sv_public_files: dict[str, Path]
) -> None:
    def pages(name: str) -> int:
        return max((block.page or 0 for block in parsed(sv_public_files[name]).blocks), default=0)

    long_cases = [
        c["id"]
        for c in cases
        if c["corpus"] == "sv-public"
        and any(
            name in sv_public_files and pages(name) >= LONG_DOCUMENT_PAGES
            for name in c["documents"]
        )
    ]
    assert len(long_cases) >= 3, f"cases on long PDFs: {long_cases}"
