"""Write and read the audit trail: answers, summaries, admin actions, and feedback.

Questions are stored with personal identity numbers masked. A user id can be stored as a
keyed hash (``audit.hash_user_ids``). Summaries and exports keep the documents they were
made from by id, never by name. Reading is for admins, and even an admin sees the text of
a record only as far as their own groups may read its documents
(``AuditRecord.visible_to``): an answer or summary drawn from a document they may not read
is withheld, and so are that document's name, quote and live page wherever the record
would show them (the request, the export's details, the CSV).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import sqlalchemy as sa

from assistant.identity import Identity
from assistant.query.contract import Answer, Source
from assistant.settings import AuditSettings
from assistant.summary.contract import Summary
from assistant.text.personal import mask_personal_numbers
from assistant.trail.db import Database
from assistant.trail.readable import Readable, shown_detail
from assistant.trail.safecsv import csv_cell as csv_cell  # the one safe cell, as before
from assistant.trail.safecsv import csv_text
from assistant.trail.schema import citations, feedback, records

Kind = Literal["answer", "summary", "action"]
Verdict = Literal["up", "down", "none"]
# Why an answer was not good enough: code -> what the app shows.
REASONS: dict[str, str] = {
    "wrong": "Fel svar",
    "incomplete": "Ofullständigt svar",
    "outdated": "Inaktuell källa",
    "wrong_document": "Fel dokument",
}
WITHHELD = "(undanhållet: bygger på dokument som du inte har behörighet att läsa)"
UNREADABLE_FILE = "(dokument som du inte har behörighet att läsa)"


@dataclass(frozen=True)
class CitedPassage:
    n: int
    doc_id: str
    file: str
    title: str | None
    page: int | None
    heading: str | None
    chunk_id: str
    quote: str
    url: str | None = None  # the live page of a web or SharePoint source's document
    readable: bool = True  # whether the viewer of this record may read the document


@dataclass(frozen=True)
class Feedback:
    score: int  # 1 thumbs up, 0 thumbs down
    reason: str | None
    comment: str | None
    at: datetime


@dataclass(frozen=True)
class AuditRecord:
    id: int
    at: datetime
    kind: str
    user_id: str
    user_name: str | None
    role: str
    groups: tuple[str, ...]
    question: str | None
    answer: str | None
    refused: bool | None
    mode: str | None
    model: str | None
    endpoint: str | None
    timings: dict[str, float]
    action: str | None
    detail: dict[str, Any]
    personal_data: bool
    citations: tuple[CitedPassage, ...] = ()
    feedback: Feedback | None = None

    @property
    def client(self) -> str:
        """What asked: "app", "cli", or through the API "api", "openai" or "mcp"."""
        return str(self.detail.get("client") or "app")

    @property
    def doc_ids(self) -> set[str]:
        return {c.doc_id for c in self.citations}

    def visible_to(self, readable: Readable) -> AuditRecord:
        """This record as a viewer who may read ``readable`` sees it: the answer only when
        every document it drew on is readable; the others' names, quotes and live pages
        withheld; the documents of a summary or an export named (``shown_detail``)."""
        shown = tuple(
            c
            if c.doc_id in readable
            else replace(
                c,
                file=UNREADABLE_FILE,
                title=None,
                heading=None,
                quote="",
                url=None,
                readable=False,
            )
            for c in self.citations
        )
        detail, named_hidden = shown_detail(self.detail, readable)
        hidden = named_hidden or any(not c.readable for c in shown)
        return replace(
            self,
            citations=shown,
            answer=WITHHELD if hidden else self.answer,
            question=self._request(detail, named_hidden),
            detail=detail,
        )

    def _request(self, shown: dict[str, Any], hidden: bool) -> str | None:
        """A summary's request with its documents named as the viewer may see them."""
        if self.kind != "summary" or self.question is None:
            return self.question
        names = "; ".join(str(n) for n in shown.get("documents", ()))
        if isinstance(self.detail.get("doc_ids"), list):
            return f"{self.question}: {names}" if names else self.question
        if not hidden:
            return self.question
        # Written before documents were stored by id: "Sammanfattning: a.pdf; b.pdf".
        kind, _, _ = self.question.partition(": ")
        return f"{kind}: {names}"

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["at"] = self.at.isoformat(timespec="seconds")
        if self.feedback is not None:
            data["feedback"]["at"] = self.feedback.at.isoformat(timespec="seconds")
        return data


@dataclass(frozen=True)
class AuditFilter:
    since: datetime | None = None
    until: datetime | None = None
    user: str | None = None  # a user id or part of a name
    document: str | None = None  # a doc id, or part of a cited file name
    refused: bool | None = None
    feedback: Verdict | None = None
    kinds: tuple[Kind, ...] = ()
    limit: int = 1000


class AuditTrail:
    def __init__(self, db: Database, settings: AuditSettings) -> None:
        self.db = db
        self._settings = settings

    # -- writing ---------------------------------------------------------------------------
    def user_key(self, subject: str) -> str:
        """What the trail stores as the user id: the id, or its keyed hash."""
        if not self._settings.hash_user_ids:
            return subject
        assert self._settings.hash_key is not None  # the settings insist on it
        key = self._settings.hash_key.get_secret_value().encode()
        return "h:" + hmac.new(key, subject.encode(), hashlib.sha256).hexdigest()[:32]

    def answer(
        self,
        who: Identity,
        answer: Answer,
        *,
        endpoint: str,
        personal_data: bool = False,
        client: str | None = None,
    ) -> int:
        """Record one answer as the user was shown it; ``personal_data``: the caller already
        masked personal identity numbers in the question (they are masked here too);
        ``client``: what asked other than the app: the command line ("cli") or the API
        ("api", "openai", "mcp"); None for the app
        and the command line."""
        question, found = mask_personal_numbers(answer.question)
        return self._insert(
            who,
            "answer",
            question=question,
            answer=answer.answer,
            refused=answer.refused,
            mode=answer.mode,
            model=answer.model,
            endpoint=endpoint,
            timings=answer.timings_ms,
            detail={"lang": answer.lang, "notice": answer.notice}
            | ({"client": client} if client else {}),
            personal_data=personal_data or found > 0,
            cited=answer.citations,
        )

    def summary(
        self,
        who: Identity,
        summary: Summary,
        *,
        request: str,
        endpoint: str,
        doc_ids: Sequence[str] = (),
    ) -> int:
        """Record one drafted summary. ``request`` says what was asked without naming a
        document (the kind of draft); ``doc_ids`` are the documents, in the order of
        ``summary.documents``: their names are not stored, a viewer sees them through
        what they may read (``AuditRecord.visible_to``)."""
        masked, found = mask_personal_numbers(request)
        return self._insert(
            who,
            "summary",
            question=masked,
            answer=summary.summary,
            refused=not summary.citations,
            mode="extractive" if summary.model == "extractive" else "generative",
            model=summary.model,
            endpoint=endpoint,
            timings=summary.timings_ms,
            detail={
                "kind": summary.kind,
                "doc_ids": list(doc_ids),
                "audience": summary.audience,
                "length": summary.length,
                "left_out": _left_out(summary, doc_ids),
            },
            personal_data=found > 0,
            cited=summary.citations,
        )

    def action(self, who: Identity, action: str, detail: dict[str, Any]) -> int:
        """Record an admin action (sync, evaluation run, export, purge) and its outcome;
        documents in ``detail`` go by id (``doc_ids``), never by name."""
        return self._insert(who, "action", action=action, detail=detail)

    def give_feedback(
        self,
        record_id: int,
        who: Identity,
        score: int,
        reason: str | None = None,
        comment: str | None = None,
    ) -> None:
        """Keep (or replace) the verdict of the user the record was made for."""
        if score not in (0, 1):
            raise ValueError("score is 1 (thumbs up) or 0 (thumbs down)")
        if reason is not None and reason not in REASONS:
            raise ValueError(f"unknown reason {reason!r}")
        comment = mask_personal_numbers(comment.strip())[0] if comment and comment.strip() else None
        with self.db.engine.begin() as conn:
            owner = conn.execute(
                sa.select(records.c.user_id).where(records.c.id == record_id)
            ).scalar_one_or_none()
            if owner is None or owner != self.user_key(who.subject):
                raise PermissionError("feedback is given by the person who was answered")
            conn.execute(sa.delete(feedback).where(feedback.c.record_id == record_id))
            conn.execute(
                sa.insert(feedback).values(
                    record_id=record_id,
                    at=datetime.now(UTC),
                    score=score,
                    reason=reason if score == 0 else None,
                    comment=comment,
                )
            )

    def _insert(
        self,
        who: Identity,
        kind: Kind,
        *,
        cited: Sequence[Source] = (),
        timings: dict[str, float] | None = None,
        detail: dict[str, Any] | None = None,
        **values: Any,
    ) -> int:
        hashed = self._settings.hash_user_ids
        row = {
            "at": datetime.now(UTC),
            "kind": kind,
            "user_id": self.user_key(who.subject),
            "user_name": None if hashed else who.name,
            "role": who.role,
            "groups": list(who.groups),
            "timings": {k: round(float(v), 1) for k, v in (timings or {}).items()},
            "detail": detail or {},
            **values,
        }
        with self.db.engine.begin() as conn:
            inserted = conn.execute(sa.insert(records).values(**row).returning(records.c.id))
            record_id = int(inserted.scalar_one())
            if cited:
                conn.execute(
                    sa.insert(citations),
                    [
                        {
                            "record_id": record_id,
                            "n": s.n,
                            "doc_id": s.doc_id,
                            "file": s.file,
                            "title": s.title or None,
                            "page": s.page,
                            "heading": s.heading,
                            "chunk_id": s.chunk_id,
                            "quote": s.quote,
                            "url": s.url or None,
                        }
                        for s in cited
                    ],
                )
        return record_id

    # -- reading ---------------------------------------------------------------------------
    def records(self, where: AuditFilter | None = None) -> list[AuditRecord]:
        """Records matching ``where``, newest first, with citations and feedback."""
        where = where or AuditFilter()
        query = _joined()
        if where.since is not None:
            query = query.where(records.c.at >= where.since)
        if where.until is not None:
            query = query.where(records.c.at < where.until)
        if where.user:
            needle = f"%{where.user.lower()}%"
            query = query.where(
                sa.or_(
                    records.c.user_id == where.user,
                    records.c.user_id == self.user_key(where.user),
                    sa.func.lower(records.c.user_name).like(needle),
                )
            )
        if where.document:
            needle = f"%{where.document.lower()}%"
            query = query.where(
                records.c.id.in_(
                    sa.select(citations.c.record_id).where(
                        sa.or_(
                            citations.c.doc_id == where.document,
                            sa.func.lower(citations.c.file).like(needle),
                        )
                    )
                )
            )
        if where.refused is not None:
            query = query.where(records.c.refused == where.refused)
        if where.feedback == "up":
            query = query.where(feedback.c.score == 1)
        elif where.feedback == "down":
            query = query.where(feedback.c.score == 0)
        elif where.feedback == "none":
            query = query.where(feedback.c.id.is_(None))
        if where.kinds:
            query = query.where(records.c.kind.in_(where.kinds))
        query = query.order_by(records.c.at.desc(), records.c.id.desc()).limit(where.limit)
        with self.db.engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
            cited = self._citations(conn, [row["id"] for row in rows])
        return [_record(row, cited.get(row["id"], ())) for row in rows]

    def get(self, record_id: int) -> AuditRecord | None:
        with self.db.engine.connect() as conn:
            row = conn.execute(_joined().where(records.c.id == record_id)).mappings().one_or_none()
            if row is None:
                return None
            return _record(row, self._citations(conn, [record_id]).get(record_id, ()))

    def _citations(
        self, conn: sa.Connection, ids: Sequence[int]
    ) -> dict[int, tuple[CitedPassage, ...]]:
        found: dict[int, list[CitedPassage]] = {}
        for start in range(0, len(ids), 500):
            rows = conn.execute(
                sa.select(citations)
                .where(citations.c.record_id.in_(ids[start : start + 500]))
                .order_by(citations.c.record_id, citations.c.n)
            ).mappings()
            for row in rows:
                found.setdefault(row["record_id"], []).append(
                    CitedPassage(
                        n=row["n"],
                        doc_id=row["doc_id"],
                        file=row["file"],
                        title=row["title"],
                        page=row["page"],
                        heading=row["heading"],
                        chunk_id=row["chunk_id"],
                        quote=row["quote"],
                        url=row["url"],
                    )
                )
        return {k: tuple(v) for k, v in found.items()}

    def count(self) -> int:
        with self.db.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(records)).scalar_one())

    def purge(self, retention_days: int | None = None, *, now: datetime | None = None) -> int:
        """Delete records (with their citations and feedback) older than the retention;
        returns how many. ``retention_days`` 0 keeps everything."""
        days = self._settings.retention_days if retention_days is None else retention_days
        if days <= 0:
            return 0
        cutoff = (now or datetime.now(UTC)) - timedelta(days=days)
        with self.db.engine.begin() as conn:
            old = sa.select(records.c.id).where(records.c.at < cutoff)
            # Children first: not every database enforces ON DELETE CASCADE by default.
            conn.execute(sa.delete(citations).where(citations.c.record_id.in_(old)))
            conn.execute(sa.delete(feedback).where(feedback.c.record_id.in_(old)))
            result = conn.execute(sa.delete(records).where(records.c.at < cutoff))
            return int(result.rowcount or 0)


def _joined() -> sa.Select[Any]:
    """Records with their feedback, if any."""
    return sa.select(
        records,
        feedback.c.score,
        feedback.c.reason,
        feedback.c.comment,
        feedback.c.at.label("feedback_at"),
    ).outerjoin(feedback, feedback.c.record_id == records.c.id)


def _utc(at: datetime) -> datetime:
    """SQLite hands back naive datetimes; they were stored as UTC."""
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def _record(row: Any, cited: Iterable[CitedPassage]) -> AuditRecord:
    verdict = None
    if row["score"] is not None:
        verdict = Feedback(
            score=row["score"],
            reason=row["reason"],
            comment=row["comment"],
            at=_utc(row["feedback_at"]),
        )
    return AuditRecord(
        id=row["id"],
        at=_utc(row["at"]),
        kind=row["kind"],
        user_id=row["user_id"],
        user_name=row["user_name"],
        role=row["role"],
        groups=tuple(row["groups"] or ()),
        question=row["question"],
        answer=row["answer"],
        refused=row["refused"],
        mode=row["mode"],
        model=row["model"],
        endpoint=row["endpoint"],
        timings=dict(row["timings"] or {}),
        action=row["action"],
        detail=dict(row["detail"] or {}),
        personal_data=bool(row["personal_data"]),
        citations=tuple(cited),
        feedback=verdict,
    )


def _left_out(summary: Summary, doc_ids: Sequence[str]) -> list[dict[str, str | None]]:
    """What the summary left out ("file, s. 3–5, Rubrik"), by document id and the rest."""
    named = list(zip(summary.documents, doc_ids, strict=False))
    out: list[dict[str, str | None]] = []
    for where in summary.left_out:
        of = [(f, i) for f, i in named if where == f or where.startswith(f + ", ")]
        file, doc_id = max(of, key=lambda pair: len(pair[0])) if of else ("", None)
        out.append({"doc_id": doc_id, "part": where[len(file) :].lstrip(", ") if file else ""})
    return out


CSV_COLUMNS = (
    "id", "at", "kind", "user_id", "user_name", "role", "groups", "question", "answer",
    "refused", "mode", "model", "endpoint", "action", "documents", "pages", "chunk_ids",
    "urls", "feedback", "reason", "comment", "personal_data", "total_ms", "client",
)  # fmt: skip


def records_csv(shown: Iterable[AuditRecord]) -> str:
    """The records as CSV (one row each, citations joined; ``urls``: each cited live page
    once, of documents the viewer may read), as a viewer sees them; every text cell guarded
    against running as a formula (``csv_text``)."""
    return csv_text(CSV_COLUMNS, (_csv_row(r) for r in shown))


def _csv_row(r: AuditRecord) -> list[object]:
    verdict = r.feedback
    return [
        r.id,
        r.at.isoformat(timespec="seconds"),
        r.kind,
        r.user_id,
        r.user_name,
        r.role,
        ";".join(r.groups),
        r.question,
        r.answer,
        r.refused,
        r.mode,
        r.model,
        r.endpoint,
        r.action,
        "; ".join(c.file for c in r.citations),
        "; ".join("" if c.page is None else str(c.page) for c in r.citations),
        "; ".join(c.chunk_id for c in r.citations if c.readable),
        "; ".join(dict.fromkeys(c.url for c in r.citations if c.readable and c.url)),
        None if verdict is None else ("up" if verdict.score else "down"),
        None if verdict is None else verdict.reason,
        None if verdict is None else verdict.comment,
        r.personal_data,
        r.timings.get("total"),
        r.client,
    ]
