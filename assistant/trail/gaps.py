"""Where the documents fall short: refused questions and thumbs-down answers, by topic.

Questions are embedded with the model the assistant already runs and grouped by average
linkage (two groups join while their questions are, on average, at least ``threshold``
alike). Questions are read as the viewer may see them (a summary's request names only
documents they may read), and each topic gets the documents closest to its most central
question, found with the viewer's own access (a document they may not read is never
named), and so the folder whose owner should hear about it. Counts per ISO week and per
asking group make the charts.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import PurePosixPath
from typing import Protocol

import numpy as np

from assistant.query.retrieve import Retriever
from assistant.trail.audit import AuditFilter, AuditRecord, AuditTrail
from assistant.trail.readable import NO_FOLDER, Readable
from assistant.trail.safecsv import csv_text

# Chosen on the dev part of the sv-public suite: questions about one document belong
# together (bench/gaps.py prints the agreement on dev and test for several values).
DEFAULT_THRESHOLD = 0.86
MOST_QUESTIONS = 2000  # clustered per report: a few seconds on two cores
GAP_CSV_COLUMNS = ("topic", "folder", "closest_documents", "record_id", "at", "week",
                   "question", "refused", "reason", "comment")  # fmt: skip


class QueryEmbedder(Protocol):
    def get_query_embedding(self, query: str) -> list[float]: ...


@dataclass(frozen=True)
class GapQuestion:
    record_id: int
    at: datetime
    question: str
    refused: bool
    reason: str | None  # the thumbs-down reason, if one was given
    comment: str | None
    groups: tuple[str, ...]


@dataclass(frozen=True)
class NearDocument:
    file: str
    title: str
    rel_path: str
    folder: str
    similarity: float


@dataclass
class Gap:
    topic: str  # the most central question
    questions: list[GapQuestion]
    closest: list[NearDocument] = field(default_factory=list)

    @property
    def folder(self) -> str:
        return self.closest[0].folder if self.closest else NO_FOLDER

    @property
    def count(self) -> int:
        return len(self.questions)

    @property
    def refused(self) -> int:
        return sum(q.refused for q in self.questions)

    @property
    def weeks(self) -> dict[str, int]:
        return dict(sorted(Counter(week(q.at) for q in self.questions).items()))


@dataclass
class GapReport:
    gaps: list[Gap]  # biggest first

    @property
    def questions(self) -> list[GapQuestion]:
        return [q for g in self.gaps for q in g.questions]

    def weekly(self) -> dict[str, dict[str, int]]:
        """Per ISO week: refused questions and thumbs-down answers."""
        out: dict[str, dict[str, int]] = {}
        for q in self.questions:
            row = out.setdefault(week(q.at), {"refused": 0, "thumbs_down": 0})
            row["refused" if q.refused else "thumbs_down"] += 1
        return dict(sorted(out.items()))

    def by_group(self) -> dict[str, int]:
        """Questions per asking access group ('(öppna)' for those with none)."""
        counts: Counter[str] = Counter()
        for q in self.questions:
            counts.update(q.groups or ("(öppna)",))
        return dict(counts.most_common())

    def folders(self) -> list[str]:
        return sorted({g.folder for g in self.gaps})

    def for_folder(self, folder: str) -> GapReport:
        return GapReport([g for g in self.gaps if g.folder == folder])

    def to_csv(self) -> str:
        """One row per question; every text cell guarded against running as a formula."""
        return csv_text(GAP_CSV_COLUMNS, self._csv_rows())

    def _csv_rows(self) -> Iterator[list[object]]:
        for g in self.gaps:
            near = "; ".join(d.rel_path for d in g.closest)
            for q in g.questions:
                at = q.at.isoformat(timespec="seconds")
                yield [g.topic, g.folder, near, q.record_id, at, week(q.at), q.question,
                       q.refused, q.reason, q.comment]  # fmt: skip

    def to_markdown(self, title: str = "Kunskapsluckor") -> str:
        lines = [f"# {title}", ""]
        if not self.gaps:
            return "\n".join([*lines, "Inga obesvarade frågor eller tummen ned i perioden."])
        lines.append(
            f"{len(self.questions)} frågor i {len(self.gaps)} ämnen: frågor som assistenten "
            "inte kunde besvara ur dokumenten, och svar som fick tummen ned."
        )
        for n, g in enumerate(self.gaps, start=1):
            lines += ["", f"## {n}. {_md(g.topic)}", ""]
            lines.append(
                f"- Frågor: {g.count} ({g.refused} obesvarade, {g.count - g.refused} tummen ned)"
            )
            lines.append("- Per vecka: " + ", ".join(f"{w}: {c}" for w, c in g.weeks.items()))
            if g.closest:
                lines.append(
                    "- Närmaste dokument: "
                    + "; ".join(f"{_md(d.title or d.file)} ({_md(d.rel_path)})" for d in g.closest)
                )
            lines.append("- Exempel:")
            for q in g.questions[:5]:
                why = f" — {_md(q.reason)}" if q.reason else ""
                note = f" ({_md(q.comment)})" if q.comment else ""
                lines.append(f"  - {_md(q.question)}{why}{note}")
        return "\n".join(lines) + "\n"


def week(at: datetime) -> str:
    year, number, _ = at.isocalendar()
    return f"{year}-V{number:02d}"


def gap_questions(
    trail: AuditTrail,
    since: datetime | None,
    until: datetime | None,
    readable: Readable | None = None,
) -> list[GapQuestion]:
    """Refused answers and thumbs-down answers or summaries in the period, the newest
    ``MOST_QUESTIONS`` of them (clustering costs grow with the square of their number),
    as a viewer who may read ``readable`` sees them (no documents: none named)."""
    readable = readable or Readable()
    found: dict[int, GapQuestion] = {}
    for where in (
        AuditFilter(since=since, until=until, refused=True, kinds=("answer",),
                    limit=MOST_QUESTIONS),
        AuditFilter(since=since, until=until, feedback="down", kinds=("answer", "summary"),
                    limit=MOST_QUESTIONS),
    ):  # fmt: skip
        for r in trail.records(where):
            if r.question:
                found[r.id] = _question(r.visible_to(readable))
    return sorted(found.values(), key=lambda q: q.at)[-MOST_QUESTIONS:]


def content_gaps(
    trail: AuditTrail,
    embedder: QueryEmbedder,
    retriever: Retriever | None,
    viewer_groups: Sequence[str],
    *,
    readable: Readable | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    near: int = 3,
) -> GapReport:
    """The content-gap report of the period, as a viewer of ``viewer_groups`` may see it;
    ``readable``: the documents those groups may read (``Readable.of``), which a summary's
    request may name (None: it names none)."""
    questions = gap_questions(trail, since, until, readable)
    if not questions:
        return GapReport([])
    vectors = np.asarray([embedder.get_query_embedding(q.question) for q in questions])
    gaps = []
    for members in cluster(vectors, threshold):
        group = [questions[i] for i in members]
        central = members[_medoid(vectors[members])]
        gap = Gap(topic=questions[central].question, questions=group)
        if retriever is not None:
            gap.closest = _closest(retriever, gap.topic, viewer_groups, near)
        gaps.append(gap)
    gaps.sort(key=lambda g: (-g.count, g.topic))
    return GapReport(gaps)


def cluster(vectors: np.ndarray, threshold: float) -> list[list[int]]:
    """Average-linkage clusters of the rows of ``vectors`` (cosine), biggest first.

    ``link[a, b]`` holds the sum of similarities between the members of groups a and b, so
    the mean similarity of every pair of groups is one array division: each merge costs
    a pass over the matrix in numpy, not in Python.
    """
    n = len(vectors)
    if n == 0:
        return []
    unit = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    link = unit @ unit.T
    sizes = np.ones(n)
    alive = np.ones(n, dtype=bool)
    groups: list[list[int]] = [[i] for i in range(n)]
    while alive.sum() > 1:
        mean = link / np.outer(sizes, sizes)
        mean[~alive, :] = -np.inf
        mean[:, ~alive] = -np.inf
        np.fill_diagonal(mean, -np.inf)
        a, b = np.unravel_index(int(np.argmax(mean)), mean.shape)
        if mean[a, b] < threshold:
            break
        groups[a] += groups[b]
        groups[b] = []
        link[a, :] += link[b, :]
        link[:, a] += link[:, b]
        sizes[a] += sizes[b]
        alive[b] = False
    out = [sorted(groups[i]) for i in np.flatnonzero(alive)]
    return sorted(out, key=lambda g: (-len(g), g[0]))


def _medoid(vectors: np.ndarray) -> int:
    unit = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    return int(np.argmax((unit @ unit.T).sum(axis=1)))


def _closest(
    retriever: Retriever, question: str, groups: Sequence[str], limit: int
) -> list[NearDocument]:
    seen: dict[str, NearDocument] = {}
    for p in retriever.retrieve(question, groups).passages:
        if p.doc_id in seen:
            continue
        rel = p.record.rel_path
        parent = PurePosixPath(rel).parent.as_posix()
        seen[p.doc_id] = NearDocument(
            file=p.file,
            title=p.title,
            rel_path=rel,
            folder="/" if parent == "." else parent,
            similarity=round(p.similarity, 3),
        )
        if len(seen) == limit:
            break
    return list(seen.values())


def _question(r: AuditRecord) -> GapQuestion:
    return GapQuestion(
        record_id=r.id,
        at=r.at,
        question=r.question or "",
        refused=bool(r.refused),
        reason=r.feedback.reason if r.feedback else None,
        comment=r.feedback.comment if r.feedback else None,
        groups=r.groups,
    )


def _md(text: str) -> str:
    """Text safe inside a Markdown line: no links, images or HTML from a user's words."""
    return " ".join(text.split()).replace("[", "\\[").replace("]", "\\]").replace("<", "&lt;")
