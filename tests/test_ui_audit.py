"""The audit trail in the app, run by Streamlit's AppTest over the real index of the example
documents (the fixtures of ``apptest``) with a real SQLite trail per test: answers and
summaries recorded, personal identity numbers masked before anything sees them, feedback,
the recorded admin actions, and the Granskning page (the log and the content gaps)."""

from __future__ import annotations

import csv
import io
import json
import logging
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from apptest import APP, TIMEOUT, Index, Start, ask, button, claims, served, shown
from eval_cases import MINI, jsonl
from streamlit.testing.v1 import AppTest

from assistant.identity import Identity
from assistant.query.contract import Answer, Source
from assistant.settings import AuditSettings, load_settings
from assistant.store import open_store
from assistant.summary.library import DocumentInfo, Library
from assistant.text.personal import PERSONAL_DATA_WARNING
from assistant.trail import AuditFilter, AuditRecord, AuditTrail, Readable, open_database
from assistant.trail.audit import UNREADABLE_FILE, WITHHELD, records_csv
from assistant.trail.readable import OUTSIDE
from ui.recording import NOT_LOGGED, THANKS

PAGE = "app_pages/audit.py"
PNR = "19121212-1212"  # Skatteverket's test number: checksum-valid
HR_QUESTION = "När levereras personalakter till kommunarkivet?"
HR_FILE = "personalakter-arkivering-gallring.txt"
HR_QUOTE = "levereras till kommunarkivet en gång per år"


@pytest.fixture(autouse=True)
def db_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A trail of this test's own (the app's cached one is dropped by ``start``)."""
    url = f"sqlite:///{tmp_path / 'trail.db'}"
    monkeypatch.setenv("ASSISTANT_DB__URL", url)
    return url


@contextmanager
def trail_of(url: str) -> Iterator[AuditTrail]:
    """The same database as the app's, opened by the test."""
    db = open_database(url)
    try:
        yield AuditTrail(db, AuditSettings())
    finally:
        db.close()


def records(url: str, **where: object) -> list[AuditRecord]:
    with trail_of(url) as trail:
        return trail.records(AuditFilter(**where))  # type: ignore[arg-type]


def audit(app: AppTest) -> AppTest:
    app.switch_page(PAGE).run()
    assert not app.exception, app.exception
    return app


def run(app: AppTest) -> AppTest:
    app.run()
    assert not app.exception, app.exception
    return app


def signed_in_now(role: str, groups: list[str]) -> dict[str, object]:
    """The claims of a user whose sign-in was just issued (``iat``)."""
    return claims(role, groups, iat=int(time.time()))


def frame(app: AppTest, column: str) -> list[dict[str, object]]:
    table = next(d.value for d in app.dataframe if column in d.value.columns)
    rows: list[dict[str, object]] = table.to_dict("records")
    return rows


# -- recording and feedback ------------------------------------------------------------


def test_an_answer_is_recorded_and_takes_feedback(start: Start, db_url: str) -> None:
    app = ask(start(), "När ska sommarsemester sökas?")
    (record,) = records(db_url)
    turn = app.session_state["turns"][0]
    assert turn.record_id == record.id
    assert (record.kind, record.user_id, record.role) == ("answer", "local", "admin")
    assert record.question == "När ska sommarsemester sökas?"
    assert record.answer == turn.answer.answer
    assert (record.refused, record.mode, record.model, record.endpoint) == (
        False,
        "extractive",
        "extractive",
        "-",
    )
    assert "semester.md" in [c.file for c in record.citations]
    assert record.timings["total"] > 0

    # Thumbs down asks why; nothing is stored until it is sent.
    app.feedback[0].set_value(0)
    run(app)
    assert records(db_url)[0].feedback is None
    app.selectbox(key=f"feedback_reason_{record.id}").select("incomplete")
    app.text_area(key=f"feedback_comment_{record.id}").input("Saknar datum för besked.")
    button(app, "Skicka").click().run()
    assert not app.exception, app.exception
    given = records(db_url)[0].feedback
    assert given is not None
    assert (given.score, given.reason) == (0, "incomplete")
    assert given.comment == "Saknar datum för besked."
    assert THANKS in shown(app)
    assert not [b for b in app.button if b.label == "Skicka"], "the form is gone"

    # A second answer: thumbs up is stored at once, and the first turn's thumbs still work.
    ask(app, "Och när får man besked?")
    second = app.session_state["turns"][1].record_id
    assert second is not None
    assert second != record.id
    app.feedback[1].set_value(1)
    run(app)
    with trail_of(db_url) as trail:
        assert trail.get(second).feedback.score == 1  # type: ignore[union-attr]
    app.feedback[0].set_value(1)
    run(app)
    with trail_of(db_url) as trail:
        first = trail.get(record.id).feedback  # type: ignore[union-attr]
    assert first is not None
    assert (first.score, first.reason) == (1, None), "the verdict is replaced"
    assert shown(app).count(THANKS) == 2


def test_a_personal_number_is_masked_before_anything_sees_it(
    start: Start, db_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    app = ask(start(), f"Jag har personnummer {PNR}. När ska sommarsemester sökas?")
    assert PERSONAL_DATA_WARNING in [w.value for w in app.warning]
    asked = app.chat_message[0].markdown[0].value.replace("\\", "")
    assert asked == "Jag har personnummer ÅÅMMDD-XXXX. När ska sommarsemester sökas?"
    turn = app.session_state["turns"][0]
    assert turn.personal_data
    assert "31 mars" in turn.answer.answer, "the masked question is answered"
    (record,) = records(db_url)
    assert record.question == "Jag har personnummer ÅÅMMDD-XXXX. När ska sommarsemester sökas?"
    assert record.personal_data
    digits = ("19121212", "121212-1212", "1212-1212")
    kept = repr(app.session_state.to_dict())
    assert not any(d in kept for d in digits), "not in the session"
    assert not any(d in shown(app) for d in digits), "not on screen"
    assert not any(d in r.getMessage() for r in caplog.records for d in digits), "not logged"

    run(app)  # the warning stays with its question
    assert PERSONAL_DATA_WARNING in [w.value for w in app.warning]


def test_a_failing_trail_still_answers(
    start: Start, db_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    app = ask(start(), "När ska sommarsemester sökas?")  # opens (and migrates) the trail
    engine = sa.create_engine(db_url)
    with engine.begin() as conn:  # the database breaks under the running app
        for table in ("feedback", "citations", "records"):
            conn.execute(sa.text(f"DROP TABLE {table}"))
    engine.dispose()
    question = "Hur många dagar sommarsemester får man?"
    ask(app, question)
    assert NOT_LOGGED in [w.value for w in app.warning]
    turn = app.session_state["turns"][1]
    assert turn.record_id is None
    assert sum(c.value.startswith("Citerat ur dokumenten") for c in app.caption) == 2, "answered"
    assert len(app.feedback) == 1, "no thumbs for an answer that was not logged"
    failures = [r.getMessage() for r in caplog.records if "could not record" in r.getMessage()]
    assert failures == [
        "The audit trail could not record an answer: OperationalError: no such table: records"
    ]
    assert not any(question in r.getMessage() for r in caplog.records)


def test_a_failed_migration_stops_the_app(
    start: Start, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    future = tmp_path / "future.db"
    with sqlite3.connect(future) as conn:  # a database a newer version of the app made
        conn.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)")
        conn.execute("INSERT INTO alembic_version VALUES ('9999')")
    conn.close()
    monkeypatch.setenv("ASSISTANT_DB__URL", f"sqlite:///{future}")
    app = start()
    assert len(app.error) == 1
    message = app.error[0].value.replace("\\", "")
    assert message.startswith("**Granskningsloggen går inte att öppna")
    assert "9999" in message
    assert not app.chat_input, "the app does nothing else"
    assert not app.sidebar.markdown


def test_a_summary_its_feedback_and_its_export_are_recorded(start: Start, db_url: str) -> None:
    app = start(user=signed_in_now("manager", []))
    app.switch_page("app_pages/summarize.py").run()
    docs = app.multiselect(key="_widget_summary_docs")
    resepolicy = next(o for o in docs.options if "resepolicy.pdf" in o)
    docs.select(resepolicy).run()
    button(app, "Skriv utkast").click().run()
    assert not app.exception, app.exception
    (summary,) = records(db_url)
    draft = app.session_state["summary_draft"]
    assert draft.record_id == summary.id
    assert (summary.kind, summary.user_id, summary.role) == ("summary", "manager-1", "manager")
    assert summary.question == "Sammanfattning", "the documents are kept by id"
    (doc_id,) = summary.detail["doc_ids"]
    assert summary.visible_to(Readable({doc_id: "resepolicy.pdf"})).question == (
        "Sammanfattning: resepolicy.pdf"
    )
    assert summary.answer == draft.summary.summary
    assert summary.citations

    app.feedback[0].set_value(1).run()
    assert records(db_url, kinds=("summary",))[0].feedback.score == 1  # type: ignore[union-attr]
    word = next(b for b in app.get("download_button") if "Word" in b.proto.label)
    word.click().run()  # type: ignore[attr-defined]
    assert not app.exception, app.exception
    (export,) = records(db_url, kinds=("action",))
    assert export.action == "export"
    assert export.detail["what"] == "summary"
    assert export.detail["record_id"] == summary.id
    assert (export.detail["format"], export.detail["doc_ids"]) == ("docx", [doc_id])
    assert "file" not in export.detail, "the download is named after the document"


def test_sync_and_evaluation_runs_are_recorded(
    start: Start, index: Index, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    suite = tmp_path / "suites"
    suite.mkdir()
    (suite / "mini.jsonl").write_bytes(jsonl(MINI[:1]))
    monkeypatch.setenv("ASSISTANT_EVAL__SUITES_DIR", str(suite))
    folder = tmp_path / "nytt"
    folder.mkdir()
    (folder / "cykelpolicy.md").write_text(
        "# Cykelpolicy\n\nTjänstecyklar lånas ut av fordonsenheten i kommunhuset.\n",
        encoding="utf-8",
    )
    examples = index.data_dir / "examples"
    monkeypatch.setenv("ASSISTANT_INGEST__ROOTS", json.dumps([str(examples), str(folder)]))
    app = start()
    app.switch_page("app_pages/admin.py").run()
    app.multiselect[0].set_value([str(folder.resolve())]).run()
    button(app, "Synkronisera nu").click().run()
    assert not app.exception, app.exception
    (sync,) = records(db_url, kinds=("action",))
    assert sync.action == "sync"
    assert sync.detail["roots"] == [str(folder.resolve())]
    assert sync.detail["totals"]["new"] == 1
    assert (sync.detail["failed"], sync.detail["aborted"]) == (0, None)

    app.switch_page("app_pages/evaluation.py").run()
    button(app, "Kör utvärdering").click().run()
    assert not app.exception, app.exception
    evaluation = records(db_url, kinds=("action",))[0]
    assert evaluation.action == "eval_run"
    assert evaluation.detail["suite"] == "mini"
    assert (evaluation.detail["mode"], evaluation.detail["cases"]) == ("extractive", 1)
    assert evaluation.detail["metrics"]["doc_hit@5"] == 1.0


# -- Granskning ----------------------------------------------------------------------


def test_only_admins_have_the_audit_page(start: Start) -> None:
    for role in ("employee", "manager"):
        app = start(user=claims(role, ["hr"]))
        with pytest.raises(ValueError, match="Known pages"):
            app.switch_page(PAGE)
        direct = AppTest.from_file(APP.parent / PAGE, default_timeout=TIMEOUT)
        direct.user = {"is_logged_in": True, **claims(role, ["hr"])}
        direct.run()
        assert not direct.exception, direct.exception
        assert "Den här sidan är för rollen administratör" in direct.error[0].value
        assert not direct.dataframe, "nothing of the page is drawn"
        assert not direct.get("download_button")
    admin = audit(start(["hr"]))
    assert [t.value for t in admin.title] == ["Granskning"]
    assert [t.label for t in admin.tabs] == ["Logg", "Kunskapsluckor"]


def test_the_log_filters_opens_and_withholds_what_the_admin_may_not_read(
    start: Start, db_url: str
) -> None:
    hr_admin = start(["hr"])  # "admin-1" with the hr group asks about an hr document
    ask(hr_admin, HR_QUESTION)
    button(hr_admin.sidebar, "Rensa samtalet").click().run()  # a new question, not a follow-up
    ask(hr_admin, "Vad kostar ett busskort för pensionärer?")
    hr_record, refused = sorted(records(db_url), key=lambda r: r.id)
    assert HR_FILE in [c.file for c in hr_record.citations]
    assert refused.refused
    hr_admin.feedback[0].set_value(0).run()
    button(hr_admin, "Skicka").click().run()

    # An admin without the hr group: the record is listed, its answer and quote withheld.
    app = audit(start([]))
    rows = frame(app, "Id")
    assert [r["Id"] for r in rows] == [refused.id, hr_record.id], "newest first"
    by_id = {r["Id"]: r for r in rows}
    assert by_id[refused.id]["Obesvarad"] == "ja"
    assert by_id[refused.id]["Återkoppling"] == "tummen ned"
    assert by_id[hr_record.id]["Fråga / åtgärd"] == HR_QUESTION
    assert by_id[hr_record.id]["Citerade filer"] == UNREADABLE_FILE
    assert by_id[hr_record.id]["Användare"] == "Test admin"
    assert by_id[hr_record.id]["Roll"] == "administratör"
    assert by_id[hr_record.id]["Via"] == "appen"

    app.selectbox(key="audit_record").select(hr_record.id).run()
    assert not app.exception, app.exception
    text = shown(app)
    assert HR_QUESTION in text
    assert WITHHELD in text
    assert hr_record.answer not in text  # type: ignore[operator]
    assert HR_FILE not in text
    assert HR_QUOTE not in text
    assert "Via: appen · läge: extraktivt · modell: extractive · slutpunkt: - · tider: " in text

    # The CSV export is the rows as this admin sees them, and is recorded.
    csv_button = next(b for b in app.get("download_button") if b.proto.label == "Exportera CSV")
    with trail_of(db_url) as trail:
        visible = [r.visible_to(Readable()) for r in trail.records()]
    data = records_csv(visible)
    name = f"granskningslogg-{date.today().isoformat()}.csv"
    assert served(csv_button, data.encode("utf-8-sig"), "text/csv", name)
    exported = list(csv.DictReader(io.StringIO(data)))
    assert [int(r["id"]) for r in exported] == [refused.id, hr_record.id]
    assert exported[1]["answer"] == WITHHELD
    assert HR_FILE not in data
    assert exported[0]["feedback"] == "down"
    csv_button.click().run()  # type: ignore[attr-defined]
    assert not app.exception, app.exception
    export = records(db_url, kinds=("action",))[0]
    assert (export.action, export.detail["what"], export.detail["records"]) == (
        "export",
        "audit_log",
        2,
    )

    # Filters: refused, feedback, kind, user.
    app.selectbox(key="audit_refused").select("Ja").run()
    assert [r["Id"] for r in frame(app, "Id")] == [refused.id]
    app.selectbox(key="audit_refused").select("Alla")
    app.selectbox(key="audit_feedback").select("Ingen").run()
    assert [r["Id"] for r in frame(app, "Id")] == [export.id, hr_record.id]
    app.selectbox(key="audit_feedback").select("Alla")
    app.multiselect(key="audit_kinds").select("action").run()
    assert [r["Typ"] for r in frame(app, "Id")] == ["åtgärd"]
    app.multiselect(key="audit_kinds").unselect("action")
    app.text_input(key="audit_user").input("nobody").run()
    assert "Inga poster med de här urvalen." in shown(app)

    # An admin with the hr group sees the answer, the file and the quote.
    reader = audit(start(["hr"]))
    reader.selectbox(key="audit_record").select(hr_record.id).run()
    text = shown(reader)
    assert WITHHELD not in text
    assert HR_FILE in text
    assert HR_QUOTE in text
    hr_doc = next(c.doc_id for c in hr_record.citations if c.file == HR_FILE)
    reader.selectbox(key="audit_document").select(hr_doc).run()
    assert [r["Id"] for r in frame(reader, "Id")] == [hr_record.id]


OPEN_PAGE = "https://www.kommun.example/jobba-hos-oss/semester/"
HR_PAGE = "https://intranat.kommun.example/sites/hr/personalakter.aspx"


def _readable_documents(index: Index, groups: list[str]) -> list[DocumentInfo]:
    """What a viewer of ``groups`` may read (before the app opens the store: one owner)."""
    store = open_store(load_settings(data_dir=index.data_dir))
    try:
        return Library(store).documents(groups)
    finally:
        store.close()


def _page_links(app: AppTest) -> list[tuple[str, str]]:
    return [(b.proto.label, b.proto.url) for b in app.get("link_button")]


def test_an_opened_record_links_only_the_live_pages_the_admin_may_read(
    start: Start, index: Index, db_url: str
) -> None:
    """Documents mirrored from a web site or SharePoint: their cited pages are kept, and
    shown (and exported) only to an admin who may read the document."""
    everyone = _readable_documents(index, [])
    hr = {d.file: d for d in _readable_documents(index, ["hr"])}
    semester, personalakter = hr["semester.md"], hr[HR_FILE]
    assert semester.doc_id in {d.doc_id for d in everyone}
    assert personalakter.doc_id not in {d.doc_id for d in everyone}
    cited = [
        Source(n=n, file=d.file, page=None, heading=None, quote=f"Ur {d.title}.",
               doc_id=d.doc_id, chunk_id=f"{d.doc_id}-{n}", score=0.9, title=d.title, url=url)
        for n, (d, url) in enumerate([(semester, OPEN_PAGE), (personalakter, HR_PAGE),
                                      (semester, "javascript:alert(1)")], start=1)
    ]  # fmt: skip
    with trail_of(db_url) as trail:
        rid = trail.answer(
            ANNA,
            Answer(answer="Så här [1][2].", refused=False, mode="extractive", citations=cited,
                   retrieved=cited, model="extractive", timings_ms={"total": 30.0},
                   question="Semester och personalakter?"),
            endpoint="-",
        )  # fmt: skip

    outsider = audit(start([]))
    outsider.selectbox(key="audit_record").select(rid).run()
    assert not outsider.exception, outsider.exception
    assert _page_links(outsider) == [("Öppna sidan", OPEN_PAGE)], "never a javascript: link"
    assert OPEN_PAGE in shown(outsider)
    assert "personalakter.aspx" not in _everything(outsider)
    with trail_of(db_url) as trail:
        (record,) = [r.visible_to(Readable.of(everyone)) for r in trail.records()]
    data = records_csv([record])
    csv_button = next(
        b for b in outsider.get("download_button") if b.proto.label == "Exportera CSV"
    )
    name = f"granskningslogg-{date.today().isoformat()}.csv"
    assert served(csv_button, data.encode("utf-8-sig"), "text/csv", name)
    (row,) = csv.DictReader(io.StringIO(data))
    assert row["urls"] == f"{OPEN_PAGE}; javascript:alert(1)"
    assert "personalakter.aspx" not in data

    reader = audit(start(["hr"]))
    reader.selectbox(key="audit_record").select(rid).run()
    assert not reader.exception, reader.exception
    assert _page_links(reader) == [("Öppna sidan", OPEN_PAGE), ("Öppna sidan", HR_PAGE)]
    assert HR_PAGE in shown(reader)


HR_ONLY = "lonekartlaggning-2024.md"  # in hr/: the hr group only, not chefer


def _everything(app: AppTest) -> str:
    """All the page shows, tables and code blocks included."""
    tables = [d.value.to_csv() for d in app.dataframe]
    return "\n".join([shown(app), *tables, *(c.value for c in app.code)])


def _summarized_and_exported(start: Start) -> None:
    """A manager of hr drafts a summary of an hr-only document, downloads it and gives it
    a thumbs down."""
    app = start(user=signed_in_now("manager", ["hr"]))
    app.switch_page("app_pages/summarize.py").run()
    docs = app.multiselect(key="_widget_summary_docs")
    docs.select(next(o for o in docs.options if HR_ONLY in o)).run()
    button(app, "Skriv utkast").click().run()
    assert not app.exception, app.exception
    word = next(b for b in app.get("download_button") if "Word" in b.proto.label)
    word.click().run()  # type: ignore[attr-defined]
    app.feedback[0].set_value(0).run()
    record_id = app.session_state["summary_draft"].record_id
    app.selectbox(key=f"feedback_reason_{record_id}").select("incomplete")
    button(app, "Skicka").click().run()
    assert not app.exception, app.exception


def _gap_tab(app: AppTest) -> AppTest:
    app.session_state["audit_tab"] = "Kunskapsluckor"
    return run(app)


def test_the_trail_names_a_summarized_document_only_to_admins_who_may_read_it(
    start: Start, db_url: str
) -> None:
    _summarized_and_exported(start)
    export, summary = records(db_url)
    assert (export.action, summary.kind) == ("export", "summary")
    assert summary.feedback is not None
    assert summary.feedback.score == 0
    (hr_doc,) = summary.detail["doc_ids"]

    # An admin of chefer: the summary, its export and the gap report name no hr document.
    app = audit(start(user=signed_in_now("admin", ["chefer"])))
    rows = {r["Id"]: r for r in frame(app, "Id")}
    assert rows[summary.id]["Fråga / åtgärd"] == f"Sammanfattning: {OUTSIDE}"
    app.selectbox(key="audit_record").select(export.id).run()
    assert not app.exception, app.exception
    assert OUTSIDE in _everything(app)
    assert "lonekartlaggning" not in _everything(app)
    app.selectbox(key="audit_record").select(summary.id).run()
    assert WITHHELD in shown(app)
    assert "lonekartlaggning" not in _everything(app)
    with trail_of(db_url) as trail:
        outsider = [r.visible_to(Readable()) for r in trail.records()]
    data = records_csv(outsider)
    csv_button = next(b for b in app.get("download_button") if b.proto.label == "Exportera CSV")
    name = f"granskningslogg-{date.today().isoformat()}.csv"
    assert served(csv_button, data.encode("utf-8-sig"), "text/csv", name)
    assert OUTSIDE in data
    assert "lonekartlaggning" not in data
    _gap_tab(app)
    (topic,) = [t["Ämne"] for t in frame(app, "Ämne")]
    assert topic == f"Sammanfattning: {OUTSIDE}"
    report = next(iter(app.session_state["gap_reports"].values()))[1]
    for text in (_everything(app), report.to_markdown(), report.to_csv()):
        assert "lonekartlaggning" not in text

    # An admin of hr reads the document: its name is shown everywhere.
    reader = audit(start(user=signed_in_now("admin", ["hr"])))
    rows = {r["Id"]: r for r in frame(reader, "Id")}
    assert rows[summary.id]["Fråga / åtgärd"] == f"Sammanfattning: {HR_ONLY}"
    reader.selectbox(key="audit_record").select(export.id).run()
    assert HR_ONLY in _everything(reader)
    with trail_of(db_url) as trail:
        readers = [r.visible_to(Readable({hr_doc: HR_ONLY})) for r in trail.records()]
    csv_button = next(b for b in reader.get("download_button") if b.proto.label == "Exportera CSV")
    assert served(csv_button, records_csv(readers).encode("utf-8-sig"), "text/csv", name)
    assert HR_ONLY in records_csv(readers)
    _gap_tab(reader)
    assert [t["Ämne"] for t in frame(reader, "Ämne")] == [f"Sammanfattning: {HR_ONLY}"]


ANNA = Identity("sub-anna", "Anna Andersson", "employee", ("hr",), signed_in=True)
BO = Identity("sub-bo", "Bo Berg", "manager", ("chefer",), signed_in=True)
REFUSED = [
    "Vad kostar ett busskort för pensionärer?",
    "Hur mycket kostar busskort för pensionärer?",
    "Vad är priset på ett busskort för en pensionär?",
]
THUMBS_DOWN = [
    "Hur ansöker jag om parkeringstillstånd för rörelsehindrade?",
    "Hur söker man parkeringstillstånd om man är rörelsehindrad?",
]


def _seed_gaps(url: str) -> None:
    with trail_of(url) as trail:
        for who, question in zip((ANNA, BO, ANNA), REFUSED, strict=True):
            trail.answer(who, _answer(question, refused=True), endpoint="-")
        for question in THUMBS_DOWN:
            record_id = trail.answer(BO, _answer(question), endpoint="-")
            trail.give_feedback(record_id, BO, 0, "incomplete", "Hittar inte blanketten.")
        trail.answer(ANNA, _answer("När ska sommarsemester sökas?"), endpoint="-")  # no gap


def _answer(question: str, *, refused: bool = False) -> Answer:
    return Answer(
        answer="Det framgår inte av dokumenten." if refused else "Så här gör du.",
        refused=refused,
        mode="extractive",
        citations=[],
        retrieved=[],
        model="extractive",
        timings_ms={"total": 30.0},
        question=question,
    )


def test_the_content_gaps_show_topics_charts_and_folder_reports(start: Start, db_url: str) -> None:
    _seed_gaps(db_url)
    app = audit(start([]))
    app.session_state["audit_tab"] = "Kunskapsluckor"
    run(app)
    topics = frame(app, "Ämne")
    assert [(t["Frågor"], t["Obesvarade"]) for t in topics] == [(3, 3), (2, 0)]
    assert topics[0]["Ämne"] in REFUSED
    assert topics[1]["Ämne"] in THUMBS_DOWN
    assert topics[1]["Mapp"] == "samhallsbyggnad"
    assert "parkeringstillstand" in str(topics[1]["Närmaste dokument"])
    assert "När ska sommarsemester" not in shown(app)
    charts = app.get("vega_lite_chart")
    assert len(charts) == 3, "per week, per group, the biggest gaps"
    assert "5 frågor i 2 ämnen" in shown(app)

    folder = app.selectbox(key="gap_folder")
    assert "samhallsbyggnad" in folder.options
    folder.select("samhallsbyggnad").run()
    report = next(iter(app.session_state["gap_reports"].values()))[1]
    part = report.for_folder("samhallsbyggnad")
    buttons = {b.proto.label: b for b in app.get("download_button")}
    markdown = part.to_markdown("Kunskapsluckor: samhallsbyggnad")
    assert "Hittar inte blanketten." in markdown
    assert served(
        buttons["Ladda ned som Markdown"],
        markdown.encode(),
        "text/markdown",
        "kunskapsluckor-samhallsbyggnad.md",
    )
    assert served(
        buttons["Ladda ned som CSV"],
        part.to_csv().encode("utf-8-sig"),
        "text/csv",
        "kunskapsluckor-samhallsbyggnad.csv",
    )
    buttons["Ladda ned som CSV"].click().run()  # type: ignore[attr-defined]
    assert not app.exception, app.exception
    (export,) = records(db_url, kinds=("action",))
    assert export.detail == {
        "what": "content_gaps",
        "folder": "samhallsbyggnad",
        "days": 90,
        "topics": 1,
        "format": "csv",
    }
    assert records(db_url, kinds=("action",))[0].user_id == "admin-1"
