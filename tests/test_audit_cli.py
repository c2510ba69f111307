"""The operator's `assistant audit` commands, and the CLI's answers in the trail."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from fixtures_heavy import RunCli

from assistant.identity import Identity
from assistant.settings import AuditSettings, Settings
from assistant.store import open_store
from assistant.summary.contract import Summary
from assistant.summary.library import Library
from assistant.trail import AuditTrail, open_database
from assistant.trail.readable import OUTSIDE

HR_ONLY = "lonekartlaggning-2024.md"  # in hr/: the hr group only, not chefer


Cli = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def cli(run_cli: RunCli) -> Cli:
    """``assistant ARGS`` on the settings' data, its trail in the database file ``db``."""

    def run(settings: Settings, db: Path, *args: str) -> subprocess.CompletedProcess[str]:
        env = {"ASSISTANT_DB__URL": f"sqlite:///{db}"}
        return run_cli(*args, data_dir=settings.data_dir, env=env)

    return run


def test_cli_records_answers_and_lists_gaps_and_purges(
    indexed_examples: Settings, tmp_path: Path, cli: Cli
) -> None:
    db = tmp_path / "cli.db"
    asked = cli(indexed_examples, db, "ask", "Vad gäller för 19121212-1212 och friskvård?",
                "--mode", "extractive", "--json")  # fmt: skip
    assert asked.returncode == 0, asked.stderr
    refused = cli(indexed_examples, db, "ask", "Hur många elefanter bor i stadshuset?",
                  "--mode", "extractive", "--json")  # fmt: skip
    assert json.loads(refused.stdout)["refused"]

    listed = cli(indexed_examples, db, "audit", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    records = json.loads(listed.stdout)["records"]
    assert [r["kind"] for r in records] == ["answer", "answer"]
    first = records[1]
    assert "19121212" not in first["question"]
    assert first["personal_data"]
    assert first["user_id"].startswith("cli:")
    assert first["citations"]
    assert {"n", "doc_id", "file", "page", "chunk_id", "quote"} <= set(first["citations"][0])
    plain = cli(indexed_examples, db, "audit", "list")  # as an operator reads it
    assert plain.returncode == 0, plain.stderr
    cited = first["citations"][0]
    page = f" s. {cited['page']}" if cited["page"] else ""
    assert f"[1] {cited['file']}{page}" in plain.stdout, plain.stdout
    only_refused = json.loads(cli(indexed_examples, db, "audit", "list", "--refused",
                                  "--json").stdout)["records"]  # fmt: skip
    assert [r["question"] for r in only_refused] == ["Hur många elefanter bor i stadshuset?"]
    future = (datetime.now(UTC) + timedelta(days=2)).date().isoformat()
    assert json.loads(cli(indexed_examples, db, "audit", "list", "--since", future,
                          "--json").stdout)["records"] == []  # fmt: skip

    gaps = cli(indexed_examples, db, "audit", "gaps", "--json")
    assert gaps.returncode == 0, gaps.stderr
    (gap,) = json.loads(gaps.stdout)["gaps"]
    assert gap["questions"] == ["Hur många elefanter bor i stadshuset?"]

    engine = sa.create_engine(f"sqlite:///{db}")
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE records SET at = :old WHERE kind = 'answer'"),
                     {"old": datetime.now(UTC) - timedelta(days=400)})  # fmt: skip
    engine.dispose()
    purged = cli(indexed_examples, db, "audit", "purge", "--json")
    assert json.loads(purged.stdout)["removed"] == 2
    left = json.loads(cli(indexed_examples, db, "audit", "list", "--json").stdout)["records"]
    assert [(r["kind"], r["action"]) for r in left] == [("action", "purge"), ("action", "export")]


def test_with_groups_the_cli_names_only_documents_they_may_read(
    indexed_examples: Settings, tmp_path: Path, cli: Cli
) -> None:
    store = open_store(indexed_examples)
    try:
        hr_doc = next(d for d in Library(store).documents(["hr"]) if d.file == HR_ONLY)
    finally:
        store.close()
    db = tmp_path / "cli.db"
    opened = open_database(f"sqlite:///{db}")
    try:
        trail = AuditTrail(opened, AuditSettings())
        manager = Identity("sub-kim", "Kim", "manager", ("hr",), signed_in=True)
        summary = Summary("Lönerna jämförs.", "summary", [HR_ONLY], [], [], [], "extractive", {})
        rid = trail.summary(manager, summary, request="Sammanfattning", endpoint="-",
                            doc_ids=[hr_doc.doc_id])  # fmt: skip
        trail.give_feedback(rid, manager, 0, "incomplete")
        trail.action(manager, "export", {"what": "summary", "format": "docx", "record_id": rid,
                                         "doc_ids": [hr_doc.doc_id]})  # fmt: skip
    finally:
        opened.close()

    def output(*args: str) -> str:
        done = cli(indexed_examples, db, "audit", *args)
        assert done.returncode == 0, done.stderr
        return done.stdout

    for listed in (output("list", "--groups", "chefer"), output("list", "--groups", "chefer",
                   "--json"), output("list", "--groups", "chefer", "--csv")):  # fmt: skip
        assert "lonekartlaggning" not in listed
        assert OUTSIDE in listed
    assert "lonekartlaggning" not in output("list")  # the operator's view names by id
    assert HR_ONLY in output("list", "--groups", "hr", "--json")
    assert f"Sammanfattning: {HR_ONLY}" in output("list", "--groups", "hr")

    gaps = json.loads(output("gaps", "--groups", "chefer", "--json"))["gaps"]
    assert [g["topic"] for g in gaps] == [f"Sammanfattning: {OUTSIDE}"]
    assert "lonekartlaggning" not in json.dumps(gaps)
    gaps = json.loads(output("gaps", "--groups", "hr", "--json"))["gaps"]
    assert [g["topic"] for g in gaps] == [f"Sammanfattning: {HR_ONLY}"]
