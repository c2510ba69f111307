"""The content-gap report: refused and thumbs-down questions by topic, with the closest
documents a viewer may read."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from assistant.identity import Identity
from assistant.query.contract import Answer
from assistant.runtime import Runtime, open_runtime
from assistant.settings import AuditSettings, Settings
from assistant.summary.contract import Summary
from assistant.summary.library import Library
from assistant.trail import AuditTrail, Readable, open_database
from assistant.trail.gaps import cluster, content_gaps, week
from assistant.trail.readable import OUTSIDE

ANNA = Identity("sub-anna", "Anna", "employee", ("hr",), signed_in=True)
OLLE = Identity("sub-olle", "Olle", "employee", (), signed_in=True)
PARKING = ("Får jag parkera på kommunens parkering?", "Var kan anställda parkera bilen?",
           "Finns det personalparkering vid stadshuset?")  # fmt: skip
PETS = ("Får jag ta med min hund till jobbet?", "Är hundar tillåtna på kontoret?")


def _refusal(question: str) -> Answer:
    return Answer("Det framgår inte av dokumenten.", True, "extractive", [], [], "extractive",
                  {"total": 30.0}, question=question)  # fmt: skip


@pytest.fixture(scope="module")
def runtime(indexed_examples: Settings) -> Iterator[Runtime]:
    with open_runtime(indexed_examples, with_model=False) as opened:
        yield opened


@pytest.fixture
def trail(tmp_path: Path) -> Iterator[AuditTrail]:
    db = open_database(f"sqlite:///{tmp_path / 'trail.db'}")
    yield AuditTrail(db, AuditSettings())
    db.close()


def test_cluster_joins_what_is_alike_and_only_that() -> None:
    rng = np.random.default_rng(3)
    a, b = rng.normal(size=16), rng.normal(size=16)
    vectors = np.asarray([a, a + 0.05 * rng.normal(size=16), b, b + 0.05 * rng.normal(size=16), a])
    assert cluster(vectors, 0.95) == [[0, 1, 4], [2, 3]]
    assert cluster(vectors, 1.01) == [[0], [1], [2], [3], [4]]
    assert cluster(vectors[:0], 0.9) == []


def test_gaps_group_by_topic_with_the_viewers_closest_documents(
    trail: AuditTrail, runtime: Runtime
) -> None:
    for q in PARKING:
        trail.answer(OLLE, _refusal(q), endpoint="-")
    for q in PETS:
        trail.answer(ANNA, _refusal(q), endpoint="-")
    answered = Answer("Lönen betalas den 25:e [1].", False, "extractive", [], [], "extractive",
                      {}, question="När betalas lönen ut?")  # fmt: skip
    down = trail.answer(ANNA, answered, endpoint="-")
    trail.give_feedback(down, ANNA, 0, "outdated", "Datumet har ändrats")
    trail.answer(ANNA, answered, endpoint="-")  # answered, no complaint: not a gap

    report = content_gaps(trail, runtime.embedder, runtime.retriever, ())
    topics = [sorted(q.question for q in g.questions) for g in report.gaps]
    assert sorted(PARKING) in topics
    assert sorted(PETS) in topics
    assert ["När betalas lönen ut?"] in topics
    assert report.gaps[0].count == 3  # biggest first
    salary = next(g for g in report.gaps if g.topic == "När betalas lönen ut?")
    assert (salary.refused, salary.questions[0].reason) == (0, "outdated")
    assert report.by_group() == {"(öppna)": 3, "hr": 3}
    this_week = week(datetime.now(UTC))
    assert report.weekly() == {this_week: {"refused": 5, "thumbs_down": 1}}

    restricted = ("hr/", "chefer/")
    open_paths = [d.rel_path for g in report.gaps for d in g.closest]
    assert open_paths
    assert not [p for p in open_paths if p.startswith(restricted)]
    hr_view = content_gaps(trail, runtime.embedder, runtime.retriever, ("hr", "chefer"), near=5)
    hr_paths = [d.rel_path for g in hr_view.gaps for d in g.closest]
    assert [p for p in hr_paths if p.startswith(restricted)]

    folder = report.gaps[0].folder
    mine = report.for_folder(folder)
    assert mine.gaps
    assert all(g.folder == folder for g in mine.gaps)
    markdown = mine.to_markdown()
    assert markdown.startswith("# Kunskapsluckor")
    assert mine.gaps[0].topic.split()[0] in markdown
    rows = mine.to_csv().splitlines()
    assert rows[0].startswith("topic,folder,closest_documents")
    assert len(rows) == 1 + sum(g.count for g in mine.gaps)


def test_period_and_markdown_safety(trail: AuditTrail, runtime: Runtime) -> None:
    trail.answer(OLLE, _refusal("![x](http://evil.example/p.png) [klicka](http://x)"), endpoint="-")
    report = content_gaps(trail, runtime.embedder, None, ())
    assert re.search(r"(?<!\\)\]\(http", report.to_markdown()) is None  # no live link
    assert "\\[klicka\\]" in report.to_markdown()
    later = datetime.now(UTC) + timedelta(days=1)
    assert content_gaps(trail, runtime.embedder, None, (), since=later).gaps == []


def test_a_thumbs_down_summary_names_only_documents_the_viewer_may_read(
    trail: AuditTrail, runtime: Runtime
) -> None:
    library = Library(runtime.store)
    hr_only = next(d for d in library.documents(["hr"]) if d.file == "lonekartlaggning-2024.md")
    summary = Summary("Lönerna jämförs.", "summary", [hr_only.file], [], [], [], "extractive", {})
    down = trail.summary(ANNA, summary, request="Sammanfattning", endpoint="-",
                         doc_ids=[hr_only.doc_id])  # fmt: skip
    trail.give_feedback(down, ANNA, 0, "incomplete", "Saknar siffror.")

    chefer = ("chefer",)
    outside = content_gaps(trail, runtime.embedder, runtime.retriever, chefer,
                           readable=Readable.of(library.documents(chefer)))  # fmt: skip
    (gap,) = outside.gaps
    assert gap.topic == f"Sammanfattning: {OUTSIDE}"
    for text in (outside.to_markdown(), outside.to_csv(), repr(outside)):
        assert "lonekartlaggning" not in text

    reader = content_gaps(trail, runtime.embedder, None, ("hr",),
                          readable=Readable.of(library.documents(["hr"])))  # fmt: skip
    assert reader.gaps[0].topic == "Sammanfattning: lonekartlaggning-2024.md"
