"""A personal identity number typed by a user never lands in the audit trail: not in a
question, a summary request or a feedback comment, in any of the forms people write."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistant.identity import Identity
from assistant.query.contract import Answer
from assistant.settings import AuditSettings
from assistant.summary.contract import Summary
from assistant.text.personal import luhn_digit
from assistant.trail import AuditTrail, Database, open_database

WHO = Identity("sub-1", "Kim", "manager", ("hr",), signed_in=True)
WORDS = ("Vad", "gäller", "för", "semester", "min", "kollega", "med", "personnummer",
         "ansökan", "enligt", "riktlinjen", "?", "och", "lön", "hr")  # fmt: skip


@st.composite
def personal_numbers(draw: st.DrawFn) -> tuple[str, str]:
    """(as written, the ten digits): a checksum-valid personnummer or samordningsnummer."""
    born = draw(st.dates(date(1901, 1, 1), date(2025, 12, 31)))
    coordination = draw(st.booleans())
    day = born.day + (60 if coordination else 0)
    serial = draw(st.integers(0, 999))
    nine = f"{born:%y%m}{day:02d}{serial:03d}"
    ten = nine + luhn_digit(nine)
    form = draw(st.sampled_from(["ten", "ten-", "twelve", "twelve-"]))
    plus = "+" if date.today() - born > timedelta(days=365 * 100 + 30) else "-"
    written = {
        "ten": ten,
        "ten-": f"{ten[:6]}{plus}{ten[6:]}",
        "twelve": f"{born:%Y}{ten[2:]}",
        "twelve-": f"{born:%Y}{ten[2:6]}-{ten[6:]}",
    }[form]
    return written, ten


@st.composite
def texts_with_a_number(draw: st.DrawFn) -> tuple[str, str]:
    written, ten = draw(personal_numbers())
    before = draw(st.lists(st.sampled_from(WORDS), max_size=6))
    after = draw(st.lists(st.sampled_from(WORDS), max_size=6))
    glue = draw(st.sampled_from([" ", ", ", " (", ": ", "\n"]))
    return " ".join(before) + glue + written + draw(st.sampled_from(["", ")", ".", "?"])) + (
        " " + " ".join(after) if after else ""
    ), ten


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    db = open_database(f"sqlite:///{tmp_path_factory.mktemp('trail') / 'trail.db'}")
    yield db
    db.close()


def _everything(db: Database) -> str:
    """Every value of every table, as text."""
    out = []
    with db.engine.connect() as conn:
        for table in ("records", "citations", "feedback"):
            for row in conn.execute(sa.text(f"SELECT * FROM {table}")):
                out.append(" ".join(str(v) for v in row))
    return "\n".join(out)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(question=texts_with_a_number(), request=texts_with_a_number(), comment=texts_with_a_number())
def test_no_personal_number_reaches_the_trail(
    database: Database,
    question: tuple[str, str],
    request: tuple[str, str],
    comment: tuple[str, str],
    tmp_path: Path,
) -> None:
    trail = AuditTrail(database, AuditSettings())
    answer = Answer("Det framgår inte.", True, "extractive", [], [], "extractive", {},
                    question=question[0])  # fmt: skip
    rid = trail.answer(WHO, answer, endpoint="-")
    trail.give_feedback(rid, WHO, 0, "wrong", comment[0])
    summary = Summary("Sammanfattning.", "summary", ["a.pdf"], [], [], [], "extractive", {})
    trail.summary(WHO, summary, request=request[0], endpoint="-")
    stored = _everything(database)
    digits = "".join(ch for ch in stored if ch.isdigit() or ch in " \n")
    for _, ten in (question, request, comment):
        assert ten not in stored.replace("-", "").replace("+", "")
        assert ten[6:] not in digits.split()  # the last four never stand alone either
    assert trail.get(rid).personal_data  # type: ignore[union-attr]
