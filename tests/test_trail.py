"""The audit trail's contract, run on SQLite and on a real PostgreSQL server alike."""

from __future__ import annotations

import csv
import io
import json
import shutil
import unicodedata
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from assistant.identity import Identity
from assistant.query.contract import Answer, Source
from assistant.settings import AuditSettings
from assistant.summary.contract import Summary
from assistant.trail import AuditFilter, AuditTrail, MigrationError, Readable, open_database
from assistant.trail.audit import (
    WITHHELD,
    AuditRecord,
    CitedPassage,
    Feedback,
    records_csv,
)
from assistant.trail.db import MIGRATIONS, Database, create_database_engine, migrate
from assistant.trail.gaps import Gap, GapQuestion, GapReport, NearDocument
from assistant.trail.readable import OUTSIDE, OUTSIDE_FOLDER
from assistant.trail.schema import metadata, records

ANNA = Identity("sub-anna", "Anna Andersson", "employee", ("hr",), signed_in=True)
BO = Identity("sub-bo", "Bo Berg", "admin", (), signed_in=True)
PNR = "19121212-1212"  # Skatteverket's test number: checksum-valid


def _clear(url: str) -> None:
    engine = create_database_engine(url)
    with engine.begin() as conn:
        for table in ("feedback", "citations", "records", "alembic_version", "extra"):
            conn.execute(sa.text(f"DROP TABLE IF EXISTS {table}"))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'trail.db'}"
        return
    url = request.getfixturevalue("postgres_url")
    _clear(url)
    yield url
    _clear(url)


@pytest.fixture
def database(db_url: str) -> Iterator[Database]:
    db = open_database(db_url)
    yield db
    db.close()


def _source(n: int, doc: str, quote: str, url: str | None = None) -> Source:
    return Source(n=n, file=f"{doc}.md", page=2, heading="Regler", quote=quote, doc_id=doc,
                  chunk_id=f"{doc}-c{n}", score=0.8, title=f"Titel {doc}", url=url)  # fmt: skip


def _answer(
    question: str,
    *,
    refused: bool = False,
    docs: tuple[str, ...] = ("d1",),
    urls: dict[str, str] | None = None,
) -> Answer:
    """An answer citing ``docs`` (their live pages: ``urls``, by doc id)."""
    pages = urls or {}
    cited = [] if refused else [_source(i, d, f"Text ur {d}.", pages.get(d))
                                for i, d in enumerate(docs, 1)]  # fmt: skip
    return Answer(
        answer="Det framgår inte." if refused else "Ersättningen är 185 kr [1].",
        refused=refused,
        mode="extractive",
        citations=cited,
        retrieved=cited,
        model="extractive",
        timings_ms={"retrieval": 12.3, "total": 40.0},
        question=question,
    )


def test_migrations_build_the_schema_the_code_uses(database: Database) -> None:
    assert database.revision() == "0003"
    with database.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []


def test_upgrade_from_the_previous_version_keeps_the_records(db_url: str) -> None:
    engine = create_database_engine(db_url)
    migrate(engine, "0001")
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO records (at, kind, user_id, role, groups, timings, detail, question)"
                " VALUES (:at, 'answer', 'sub-anna', 'employee', '[]', '{}', '{}', 'Hur?')"
            ),
            {"at": datetime(2026, 1, 5, tzinfo=UTC)},
        )
    engine.dispose()
    db = open_database(db_url)
    try:
        trail = AuditTrail(db, AuditSettings())
        (old,) = trail.records()
        assert (old.question, old.personal_data, old.feedback) == ("Hur?", False, None)
        trail.give_feedback(old.id, ANNA, 1)
        assert trail.get(old.id).feedback.score == 1  # type: ignore[union-attr]
    finally:
        db.close()


PAGE = "https://www.kommun.example/bygga/bygglov/"


def test_upgrade_to_cited_pages_keeps_the_citations(db_url: str) -> None:
    engine = create_database_engine(db_url)
    migrate(engine, "0002")
    with engine.begin() as conn:
        rid = conn.execute(
            sa.text(
                "INSERT INTO records (at, kind, user_id, role, groups, timings, detail, question)"
                " VALUES (:at, 'answer', 'sub-anna', 'employee', '[]', '{}', '{}', 'Bygglov?')"
                " RETURNING id"
            ),
            {"at": datetime(2026, 1, 5, tzinfo=UTC)},
        ).scalar_one()
        conn.execute(
            sa.text(
                "INSERT INTO citations (record_id, n, doc_id, file, page, chunk_id, quote)"
                " VALUES (:rid, 1, 'd1', 'd1.md', 3, 'd1-c1', 'Text ur d1.')"
            ),
            {"rid": rid},
        )
        conn.execute(
            sa.text("INSERT INTO feedback (record_id, at, score) VALUES (:rid, :at, 1)"),
            {"rid": rid, "at": datetime(2026, 1, 5, tzinfo=UTC)},
        )
    engine.dispose()
    db = open_database(db_url)
    try:
        assert db.revision() == "0003"
        trail = AuditTrail(db, AuditSettings())
        (old,) = trail.records()
        assert (old.question, old.feedback.score) == ("Bygglov?", 1)  # type: ignore[union-attr]
        assert [(c.doc_id, c.page, c.quote, c.url) for c in old.citations] == [
            ("d1", 3, "Text ur d1.", None)]  # fmt: skip
        new = trail.answer(ANNA, _answer("Bygglov?", urls={"d1": PAGE}), endpoint="-")
        assert [c.url for c in trail.get(new).citations] == [PAGE]  # type: ignore[union-attr]
    finally:
        db.close()


def test_a_failed_migration_changes_nothing(db_url: str, tmp_path: Path) -> None:
    broken = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS, broken)
    (broken / "versions" / "0004_broken.py").write_text(
        '"""Broken."""\n'
        "import sqlalchemy as sa\nfrom alembic import op\n"
        'revision = "0004"\ndown_revision = "0003"\nbranch_labels = None\ndepends_on = None\n'
        "def upgrade() -> None:\n"
        '    op.create_table("extra", sa.Column("id", sa.Integer, primary_key=True))\n'
        '    op.execute("ALTER TABLE no_such_table ADD COLUMN x INTEGER")\n'
    )
    engine = create_database_engine(db_url)
    try:
        with pytest.raises(MigrationError, match="nothing was changed"):
            migrate(engine, script_location=broken)  # from empty: 0001 to 0004 at once
        assert sa.inspect(engine).get_table_names() == []
        migrate(engine, "0003")
        with engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO records (at, kind, user_id, role, groups, timings, detail)"
                    " VALUES (:at, 'action', 'x', 'admin', '[]', '{}', '{}')"
                ),
                {"at": datetime.now(UTC)},
            )
        with pytest.raises(MigrationError):
            migrate(engine, script_location=broken)
        tables = set(sa.inspect(engine).get_table_names())
        assert "extra" not in tables
        with engine.connect() as conn:
            assert MigrationContext.configure(conn).get_current_revision() == "0003"
            assert conn.execute(sa.text("SELECT count(*) FROM records")).scalar_one() == 1
    finally:
        engine.dispose()


def test_an_unreachable_database_is_said_without_its_password() -> None:
    url = "postgresql+psycopg://assistant:Hemligt-123@127.0.0.1:1/assistant"
    with pytest.raises(MigrationError) as caught:
        open_database(url)
    assert "Hemligt" not in str(caught.value)
    assert "nothing was changed" in str(caught.value)


def test_answers_are_recorded_with_the_question_masked(database: Database) -> None:
    trail = AuditTrail(database, AuditSettings())
    rid = trail.answer(ANNA, _answer(f"Vad gäller för {PNR}?", docs=("d1", "d2")), endpoint="-")
    record = trail.get(rid)
    assert record is not None
    assert PNR not in (record.question or "")
    assert "1212" not in (record.question or "")
    assert record.personal_data
    assert (record.user_id, record.user_name, record.role, record.groups) == (
        "sub-anna", "Anna Andersson", "employee", ("hr",))  # fmt: skip
    assert [(c.n, c.doc_id, c.page, c.chunk_id) for c in record.citations] == [
        (1, "d1", 2, "d1-c1"), (2, "d2", 2, "d2-c2")]  # fmt: skip
    assert record.timings == {"retrieval": 12.3, "total": 40.0}
    assert record.at.tzinfo is not None
    assert PNR not in records_csv(trail.records())


def test_filters(database: Database) -> None:
    trail = AuditTrail(database, AuditSettings())
    a = trail.answer(ANNA, _answer("Friskvård?", docs=("friskvard",)), endpoint="-")
    b = trail.answer(ANNA, _answer("Parkering?", refused=True), endpoint="-")
    c = trail.answer(BO, _answer("Semester?", docs=("semester",)), endpoint="-")
    d = trail.action(BO, "sync", {"roots": ["/srv/docs"], "failed": 0})
    trail.give_feedback(a, ANNA, 0, "outdated", "Gammal källa")
    trail.give_feedback(c, BO, 1)

    def ids(**kw: Any) -> list[int]:
        return [r.id for r in trail.records(AuditFilter(**kw))]

    assert ids() == [d, c, b, a]
    assert ids(user="sub-anna") == [b, a]
    assert ids(user="bo berg") == [d, c]
    assert ids(document="friskvard") == [a]
    assert ids(document="semester.md") == [c]
    assert ids(refused=True) == [b]
    assert ids(feedback="down") == [a]
    assert ids(feedback="up") == [c]
    assert ids(feedback="none") == [d, b]
    assert ids(kinds=("action",)) == [d]
    assert ids(since=datetime.now(UTC) + timedelta(minutes=1)) == []
    assert ids(until=datetime.now(UTC) - timedelta(days=1)) == []
    down = trail.get(a)
    assert down is not None
    assert down.feedback is not None
    assert (down.feedback.score, down.feedback.reason, down.feedback.comment) == (
        0, "outdated", "Gammal källa")  # fmt: skip


def test_feedback_belongs_to_the_person_answered(database: Database) -> None:
    trail = AuditTrail(database, AuditSettings())
    rid = trail.answer(ANNA, _answer("Friskvård?"), endpoint="-")
    with pytest.raises(PermissionError):
        trail.give_feedback(rid, BO, 0, "wrong")
    with pytest.raises(PermissionError):
        trail.give_feedback(rid + 1000, ANNA, 0, "wrong")
    with pytest.raises(ValueError, match="reason"):
        trail.give_feedback(rid, ANNA, 0, "because")
    trail.give_feedback(rid, ANNA, 0, "wrong", f"mitt nummer är {PNR}")
    trail.give_feedback(rid, ANNA, 1)  # changed their mind: one verdict, the last
    record = trail.get(rid)
    assert record is not None
    assert record.feedback is not None
    assert (record.feedback.score, record.feedback.reason) == (1, None)
    trail.give_feedback(rid, ANNA, 0, "incomplete", f"mitt nummer är {PNR}")
    record = trail.get(rid)
    assert record is not None
    assert record.feedback is not None
    assert PNR not in (record.feedback.comment or "")


def test_user_ids_can_be_kept_as_keyed_hashes(database: Database) -> None:
    settings = AuditSettings(hash_user_ids=True, hash_key="k" * 40)
    trail = AuditTrail(database, settings)
    rid = trail.answer(ANNA, _answer("Friskvård?"), endpoint="-")
    record = trail.get(rid)
    assert record is not None
    assert record.user_id.startswith("h:")
    assert "anna" not in record.user_id.lower()
    assert record.user_name is None
    assert [r.id for r in trail.records(AuditFilter(user="sub-anna"))] == [rid]
    trail.give_feedback(rid, ANNA, 1)
    other = AuditTrail(database, AuditSettings(hash_user_ids=True, hash_key="q" * 40))
    assert other.user_key("sub-anna") != record.user_id


def test_an_admin_sees_only_what_their_groups_may_read(database: Database) -> None:
    trail = AuditTrail(database, AuditSettings())
    rid = trail.answer(ANNA, _answer("Lön?", docs=("open", "hr-only")), endpoint="-")
    record = trail.get(rid)
    assert record is not None
    shown = record.visible_to(Readable({"open": "open.md"}))
    assert shown.answer == WITHHELD
    assert [c.readable for c in shown.citations] == [True, False]
    assert shown.citations[1].quote == ""
    assert "hr-only" not in shown.citations[1].file
    assert "Text ur hr-only" not in records_csv([shown])
    assert record.visible_to(Readable({"open": "open.md", "hr-only": "hr-only.md"})) == record


HR_PAGE = "https://intranat.kommun.example/sites/hr/Dokument/lonekartlaggning.docx"


def test_the_live_page_of_a_cited_passage_is_kept_and_shown_to_readers(
    database: Database,
) -> None:
    trail = AuditTrail(database, AuditSettings())
    pages = {"open": PAGE, "hr-only": HR_PAGE}
    rid = trail.answer(ANNA, _answer("Lön?", docs=("open", "hr-only", "file"), urls=pages),
                       endpoint="-")  # fmt: skip
    summary = Summary(
        "Bygglov söks hos nämnden [1].", "summary", ["open.md"],
        [_source(1, "open", "Text ur open.", PAGE)], [], [], "extractive", {},
    )  # fmt: skip
    sid = trail.summary(BO, summary, request="Sammanfattning", endpoint="-", doc_ids=["open"])
    record, summarized = trail.get(rid), trail.get(sid)
    assert record is not None
    assert summarized is not None
    assert [c.url for c in record.citations] == [PAGE, HR_PAGE, None]
    assert [c.url for c in summarized.citations] == [PAGE]
    everything = Readable.operator()
    (row,) = csv.DictReader(io.StringIO(records_csv([record.visible_to(everything)])))
    assert row["urls"] == f"{PAGE}; {HR_PAGE}"

    # An admin outside hr: the hr document's page is in neither the CSV nor the JSON.
    shown = record.visible_to(Readable({"open": "open.md", "file": "file.md"}))
    assert [c.url for c in shown.citations] == [PAGE, None, None]
    (row,) = csv.DictReader(io.StringIO(records_csv([shown])))
    assert row["urls"] == PAGE
    assert HR_PAGE not in records_csv([shown])
    assert HR_PAGE not in json.dumps(shown.to_json())
    assert "urls" in _columns(records_csv([]))


HR_FILE = "lonekartlaggning-2024.md"
OPEN = Readable({"open": "open.md"}, frozenset({"/"}))  # an admin outside hr
HR = Readable({"open": "open.md", "hr-doc": HR_FILE}, frozenset({"/", "hr"}))


def _names_and_shown(trail: AuditTrail, readable: Readable) -> tuple[list[AuditRecord], str]:
    """The records as ``readable``'s viewer sees them, and all of it as text (CSV, JSON)."""
    shown = [r.visible_to(readable) for r in trail.records()]
    text = records_csv(shown) + json.dumps([r.to_json() for r in shown], ensure_ascii=False)
    return shown, text


def test_summaries_and_exports_store_documents_by_id_and_name_them_to_readers(
    database: Database,
) -> None:
    trail = AuditTrail(database, AuditSettings())
    summary = Summary(
        "Lönerna jämförs per yrkesgrupp [1].", "summary", ["open.md", HR_FILE],
        [_source(1, "open", "Text ur open.")], [], [f"{HR_FILE}, s. 4, Metod"], "extractive", {},
    )  # fmt: skip
    rid = trail.summary(BO, summary, request="Sammanfattning", endpoint="-",
                        doc_ids=["open", "hr-doc"])  # fmt: skip
    trail.give_feedback(rid, BO, 0, "incomplete", "Saknar siffror.")
    trail.action(BO, "export", {"what": "summary", "format": "docx", "record_id": rid,
                                "kind": "summary", "doc_ids": ["open", "hr-doc"]})  # fmt: skip
    trail.action(BO, "export", {"what": "content_gaps", "folder": "hr", "topics": 1})
    with database.engine.connect() as conn:
        stored = " ".join(str(row) for row in conn.execute(sa.select(records)))
    assert "lonekartlaggning" not in stored, "names are not stored"

    (folder, export, summarized), text = _names_and_shown(trail, OPEN)
    assert "lonekartlaggning" not in text
    assert summarized.question == f"Sammanfattning: open.md; {OUTSIDE}"
    assert summarized.answer == WITHHELD, "drawn from a document the viewer may not read"
    assert summarized.detail["left_out"] == [OUTSIDE]
    assert export.detail["documents"] == ["open.md", OUTSIDE]
    assert folder.detail["folder"] == OUTSIDE_FOLDER

    (folder, export, summarized), text = _names_and_shown(trail, HR)
    assert summarized.question == f"Sammanfattning: open.md; {HR_FILE}"
    assert summarized.answer == summary.summary
    assert summarized.detail["left_out"] == [f"{HR_FILE}, s. 4, Metod"]
    assert export.detail["documents"] == ["open.md", HR_FILE]
    assert folder.detail["folder"] == "hr"
    assert HR_FILE in records_csv([summarized])


def test_records_written_before_ids_name_only_what_the_viewer_may_read(
    database: Database,
) -> None:
    """Earlier summaries and exports named their documents; a name is shown only when a
    document the viewer may read has it."""
    trail = AuditTrail(database, AuditSettings())
    with database.engine.begin() as conn:
        rid = conn.execute(
            sa.insert(records).values(
                at=datetime.now(UTC) - timedelta(minutes=1), kind="summary", user_id="sub-bo",
                user_name="Bo Berg", role="manager", groups=["hr"], timings={},
                question=f"Sammanfattning: open.md; {HR_FILE}", answer="Lönerna jämförs.",
                refused=False, mode="extractive", model="extractive", endpoint="-",
                detail={"kind": "summary", "documents": ["open.md", HR_FILE],
                        "left_out": [f"{HR_FILE}, s. 4, Metod", "open.md, s. 2"]},
            ).returning(records.c.id)
        ).scalar_one()  # fmt: skip
    trail.action(BO, "export", {"what": "summary", "file": "sammanfattning-open.docx",
                                "record_id": rid, "kind": "summary",
                                "documents": ["open.md", HR_FILE]})  # fmt: skip

    (export, summarized), text = _names_and_shown(trail, OPEN)
    assert "lonekartlaggning" not in text
    assert summarized.question == f"Sammanfattning: open.md; {OUTSIDE}"
    assert summarized.answer == WITHHELD
    assert summarized.detail["left_out"] == [OUTSIDE, "open.md, s. 2"]
    assert export.detail["documents"] == ["open.md", OUTSIDE]
    assert "file" not in export.detail, "the download was named after the first document"
    assert export.detail["format"] == "docx"

    (export, summarized), _ = _names_and_shown(trail, HR)
    assert summarized.question == f"Sammanfattning: open.md; {HR_FILE}"
    assert summarized.answer == "Lönerna jämförs."
    assert export.detail["file"] == "sammanfattning-open.docx"


def test_purge_removes_old_records_with_their_citations_and_feedback(database: Database) -> None:
    trail = AuditTrail(database, AuditSettings(retention_days=30))
    old = trail.answer(ANNA, _answer("Friskvård?"), endpoint="-")
    trail.give_feedback(old, ANNA, 0, "wrong")
    assert trail.purge(now=datetime.now(UTC)) == 0
    assert trail.purge(now=datetime.now(UTC) + timedelta(days=31)) == 1
    assert trail.count() == 0
    with database.engine.connect() as conn:
        for table in ("citations", "feedback"):
            assert conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one() == 0
    trail.answer(ANNA, _answer("Friskvård?"), endpoint="-")
    keep = AuditTrail(database, AuditSettings(retention_days=0))
    assert keep.purge(now=datetime.now(UTC) + timedelta(days=3650)) == 0


# -- CSV formula injection ---------------------------------------------------------------

FORMULAS = ('=HYPERLINK("http://x")', "+1", "-1", "@SUM(1)", "\t=1", "\r=1", "\n=1", " =1",
            "\u00a0@x", "＝1", "＋1", "－1", "＠x", "\u200b=1")  # fmt: skip
AT = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)


def _runs_as_formula(cell: str) -> bool:
    """Whether a spreadsheet could read the cell as a formula (checked independently of
    the code: control characters first, or a formula sign after spaces in any width)."""
    if cell[:1] in ("\t", "\r", "\n", "\0"):
        return True
    folded = unicodedata.normalize("NFKC", cell).lstrip(" \t\r\n\u00a0\u200b")
    return folded[:1] in ("=", "+", "-", "@")


def _every_field(text: str) -> AuditRecord:
    cited = CitedPassage(n=1, doc_id=text, file=text, title=text, page=None, heading=text,
                         chunk_id=text, quote=text, url=text)  # fmt: skip
    return AuditRecord(
        id=1, at=AT, kind=text, user_id=text, user_name=text, role=text, groups=(text, text),
        question=text, answer=text, refused=None, mode=text, model=text, endpoint=text,
        timings={"total": text}, action=text, detail={"what": text}, personal_data=False,
        citations=(cited,), feedback=Feedback(0, text, text, AT),
    )  # fmt: skip


def _every_gap_field(text: str) -> GapReport:
    asked = GapQuestion(record_id=1, at=AT, question=text, refused=False, reason=text,
                        comment=text, groups=(text,))  # fmt: skip
    near = NearDocument(file=text, title=text, rel_path=text, folder=text, similarity=0.9)
    return GapReport([Gap(topic=text, questions=[asked], closest=[near])])


def _columns(text: str) -> list[str]:
    return next(csv.reader(io.StringIO(text)))


@pytest.mark.parametrize("formula", FORMULAS)
@pytest.mark.parametrize("column", _columns(records_csv([])))
def test_no_audit_csv_cell_starts_a_formula(column: str, formula: str) -> None:
    (row,) = csv.DictReader(io.StringIO(records_csv([_every_field(formula)])))
    assert not _runs_as_formula(row[column]), (column, row[column])


@pytest.mark.parametrize("formula", FORMULAS)
@pytest.mark.parametrize("column", _columns(GapReport([]).to_csv()))
def test_no_gap_csv_cell_starts_a_formula(column: str, formula: str) -> None:
    (row,) = csv.DictReader(io.StringIO(_every_gap_field(formula).to_csv()))
    assert not _runs_as_formula(row[column]), (column, row[column])


def test_csv_cells_keep_their_text_behind_the_guard(database: Database) -> None:
    trail = AuditTrail(database, AuditSettings())
    trail.answer(ANNA, _answer('=HYPERLINK("http://x")'), endpoint="-")
    text = records_csv(trail.records())
    (row,) = csv.DictReader(io.StringIO(text))
    assert row["question"] == '\'=HYPERLINK("http://x")'
    assert row["answer"] == "Ersättningen är 185 kr [1]."
    assert text.splitlines()[0].startswith("id,at,kind,user_id")
