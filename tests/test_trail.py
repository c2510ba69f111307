"""The audit trail's contract, run on SQLite and on a real PostgreSQL server alike."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from assistant.identity import Identity
from assistant.query.answer import Answer, Source
from assistant.settings import AuditSettings
from assistant.trail import AuditFilter, AuditTrail, MigrationError, open_database
from assistant.trail.audit import WITHHELD, records_csv
from assistant.trail.db import MIGRATIONS, Database, create_database_engine, migrate
from assistant.trail.schema import metadata

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


def _source(n: int, doc: str, quote: str) -> Source:
    return Source(n=n, file=f"{doc}.md", page=2, heading="Regler", quote=quote, doc_id=doc,
                  chunk_id=f"{doc}-c{n}", score=0.8, title=f"Titel {doc}")  # fmt: skip


def _answer(question: str, *, refused: bool = False, docs: tuple[str, ...] = ("d1",)) -> Answer:
    cited = [] if refused else [_source(i, d, f"Text ur {d}.") for i, d in enumerate(docs, 1)]
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
    assert database.revision() == "0002"
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


def test_a_failed_migration_changes_nothing(db_url: str, tmp_path: Path) -> None:
    broken = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS, broken)
    (broken / "versions" / "0003_broken.py").write_text(
        '"""Broken."""\n'
        "import sqlalchemy as sa\nfrom alembic import op\n"
        'revision = "0003"\ndown_revision = "0002"\nbranch_labels = None\ndepends_on = None\n'
        "def upgrade() -> None:\n"
        '    op.create_table("extra", sa.Column("id", sa.Integer, primary_key=True))\n'
        '    op.execute("ALTER TABLE no_such_table ADD COLUMN x INTEGER")\n'
    )
    engine = create_database_engine(db_url)
    try:
        with pytest.raises(MigrationError, match="nothing was changed"):
            migrate(engine, script_location=broken)  # from empty: 0001, 0002, 0003 at once
        assert sa.inspect(engine).get_table_names() == []
        migrate(engine, "0002")
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
            assert MigrationContext.configure(conn).get_current_revision() == "0002"
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
    shown = record.visible_to({"open"})
    assert shown.answer == WITHHELD
    assert [c.readable for c in shown.citations] == [True, False]
    assert shown.citations[1].quote == ""
    assert "hr-only" not in shown.citations[1].file
    assert "Text ur hr-only" not in records_csv([shown])
    assert record.visible_to({"open", "hr-only"}) == record


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


def test_csv_cells_never_start_a_formula(database: Database) -> None:
    trail = AuditTrail(database, AuditSettings())
    trail.answer(ANNA, _answer('=HYPERLINK("http://x")'), endpoint="-")
    text = records_csv(trail.records())
    assert "'=HYPERLINK" in text
    assert text.splitlines()[0].startswith("id,at,kind,user_id")
