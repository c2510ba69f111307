"""Personal identity numbers in the spellings people and programs write, found and masked
on every path: a property test with a generator of its own.

The numbers are built here from a date, a serial and a Luhn digit computed here (not with
the code under test), then spelled: ten or twelve digits; between date and serial nothing,
a dash of any kind (hyphen, en, em, figure, minus, fullwidth, small), spaces (no-break,
thin, tab) or one line break; the date in groups of two before a dash; the serial as
``NN NN``; soft hyphens and zero-width characters inside; fullwidth or mathematical
digits. Put into Swedish text, each must be found, and masking must change the text only
where the number stands. Then the same spellings go through the real paths: a document
(its text, its file and folder names) through the ingest into the store and on to a
summary and its exports; a question through the answer path (a scripted model and an
embedding that records what it is given) into the audit trail; and ``assistant ask
--json``. Nothing downstream may hold the number's digits, however spaced.
"""

from __future__ import annotations

import json
import shutil
import unicodedata
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from docx import Document
from fakes import ScriptedChatModel
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st
from llama_index.core.base.embeddings.base import Embedding
from pydantic import PrivateAttr
from typer.testing import CliRunner

from assistant.errors import InputError
from assistant.identity import Identity
from assistant.models.embeddings import LocalE5Embedding
from assistant.query.answer import Assistant
from assistant.query.retrieve import Retriever
from assistant.settings import AuditSettings, Settings, load_settings
from assistant.store import chunk_point_id
from assistant.store.edge import EdgeStore
from assistant.summary.export import to_docx, to_markdown
from assistant.summary.library import Library
from assistant.summary.summarize import Summarizer
from assistant.text.personal import (
    PERSONAL_DATA_WARNING,
    PLACEHOLDER,
    find_personal_numbers,
    mask_personal_numbers,
)
from assistant.text.terms import TermMatcher
from assistant.trail import AuditTrail, open_database
from cli.main import app
from ingest.sync import IngestJob

# -- numbers and their spellings, built here ----------------------------------------------

DASHES = ("-", "\u2010", "\u2011", "\u2012", "\u2013", "\u2014", "\u2212", "\ufe63", "\uff0d")
SPACES = (" ", "\u00a0", "\u202f", "\u2009", "\u3000", "\t")
BREAKS = ("\n", "\r\n", " \n", "\n ")
INVISIBLE = ("\u00ad", "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff")
# Where digit zero is: ASCII, fullwidth, and the mathematical bold, double-struck,
# sans-serif bold and monospace digits (all the same digits after NFKC).
ZEROS = (0x30, 0xFF10, 0x1D7CE, 0x1D7D8, 0x1D7EC, 0x1D7F6)


def check_digit(nine: str) -> str:
    """Luhn: every other digit from the first doubled, the digits of the products summed."""
    total = sum(sum(divmod(int(d) * (2 - i % 2), 10)) for i, d in enumerate(nine))
    return str(-total % 10)


@dataclass(frozen=True)
class Number:
    ten: str  # YYMMDDNNNC
    twelve: str  # CCYYMMDDNNNC


@st.composite
def numbers(draw: st.DrawFn) -> Number:
    """A valid personnummer, or a samordningsnummer (day + 60)."""
    born = draw(st.dates(date(1900, 1, 1), date(2025, 12, 31)))
    day = born.day + 60 * draw(st.booleans())
    nine = f"{born:%y%m}{day:02d}{draw(st.integers(0, 999)):03d}"
    ten = nine + check_digit(nine)
    return Number(ten, f"{born.year // 100}{ten}")


@dataclass(frozen=True)
class Spelled:
    number: Number
    text: str  # as written: it starts and ends with a digit


@st.composite
def spellings(draw: st.DrawFn, in_path: bool = False) -> Spelled:
    """One number, spelled in one of the ways people and programs write it; ``in_path``:
    as a file or folder name holds it (no tab or line break)."""
    number = draw(numbers())
    twelve = draw(st.booleans())
    digits = number.twelve if twelve else number.ten
    head, serial = digits[:-4], digits[-4:]
    space = st.sampled_from(SPACES[:-1] if in_path else SPACES)
    dash = st.sampled_from(DASHES)
    if draw(st.booleans()):  # the date in groups: "19 12 12", "1912 12 12", "19 19 12 12"
        groups = [head[i : i + 2] for i in range(0, len(head), 2)]
        if twelve and draw(st.booleans()):
            groups = [groups[0] + groups[1], *groups[2:]]
        written = "".join(g + draw(space) for g in groups[:-1]) + groups[-1]
        written += draw(st.one_of(dash, st.tuples(space, dash, space).map("".join)))
    else:
        between = [
            st.just(""),
            dash,
            st.tuples(space, dash, space).map("".join),
            space,
            st.tuples(space, space).map("".join),
        ]
        if not twelve:
            between.append(st.just("+"))
        if not in_path:
            between.append(st.sampled_from(BREAKS))
        written = head + draw(st.one_of(between))
    written += serial[:2] + draw(st.one_of(st.just(""), space)) + serial[2:]
    zeros = iter(draw(st.lists(st.sampled_from(ZEROS), min_size=16, max_size=16)))
    written = "".join(chr(next(zeros) + int(c)) if c.isdigit() else c for c in written)
    for at, mark in sorted(
        draw(
            st.lists(
                st.tuples(st.integers(1, len(written) - 1), st.sampled_from(INVISIBLE)),
                max_size=3,
            )
        ),
        reverse=True,
    ):
        written = written[:at] + mark + written[at:]
    return Spelled(number, written)


WORDS = (
    "Sökande", "beslut", "om", "färdtjänst", "beviljas", "till", "och", "med", "enligt",
    "handläggare", "Anna", "Öberg", "ärendet", "gäller", "barnet", "vårdnadshavare",
    "3 000 kronor", "1 234 567 kr", "12 500,50 kronor", "2023-01-01", "den 1 januari 2023",
    "KS 2023/1234", "Dnr 2021-000123", "SFS 2018:1937", "(2018:1937)", "08-123 45 67",
    "070-123 45 67", "+46 70 123 45 67", "kl. 08.00–16.30", "§ 12", "bilaga 2", "12 %",
)  # fmt: skip
# Also in text without numbers: what only looks like one (a count row, a date range, an
# organisation number, a phone number after "tel").
LOOKALIKES = (
    "19 12 12 12 12", "230101–231231", "2023-01-01 – 2023-12-31", "212000-2742",
    "tel. 0701234569", "Mobil: 070123 4569", "20230101 – 20231231", "kl. 1212",
)  # fmt: skip
OPENINGS = (": ", " (", ", ", "\n", " nr ", " personnummer ", " för ")
CLOSINGS = ("", ".", ",", ")", ";", "?", "\n")
GLUE = (" ", ", ", ". ", "\n", " och ", "\u00a0", " \u200b")


def swedish(words: tuple[str, ...] = WORDS, noise: bool = False) -> st.SearchStrategy[str]:
    """Words of a municipal text; ``noise``: with any characters but digits among them."""
    word = st.sampled_from(words)
    if noise:
        word = st.one_of(word, st.text(st.characters(exclude_categories=["Nd", "Cs"]), max_size=6))
    return st.lists(st.tuples(word, st.sampled_from(GLUE)), min_size=1, max_size=8).map(
        lambda pairs: "".join(w + g for w, g in pairs).strip()
    )


@dataclass(frozen=True)
class InText:
    before: str
    spelled: Spelled
    after: str

    @property
    def text(self) -> str:
        return self.before + self.spelled.text + self.after


@st.composite
def texts_with_a_number(draw: st.DrawFn) -> InText:
    before = draw(swedish()) + draw(st.sampled_from(OPENINGS))
    after = draw(st.sampled_from(CLOSINGS)) + " " + draw(swedish())
    return InText(before, draw(spellings()), after)


def squeezed(text: str) -> str:
    """``text`` read independently of the finder: NFKC, without anything a spelling may put
    between digits (spaces, line breaks, dashes, plus, invisible characters)."""
    plain = unicodedata.normalize("NFKC", text)
    return "".join(
        c
        for c in plain
        if not (c.isspace() or c in "+\u2212" or unicodedata.category(c) in ("Cf", "Pd"))
    )


def strings(value: Any) -> Iterator[str]:
    """Every string in a JSON-like value, keys too."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from strings(k)
            yield from strings(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from strings(v)


def assert_not_held(values: Any, *numbers: Number) -> None:
    for text in strings(values):
        plain = squeezed(text)
        for number in numbers:
            assert number.ten not in plain, f"{number.twelve} is held in {text!r}"


# -- the finder and the masking ---------------------------------------------------------


def test_the_generator_builds_valid_numbers() -> None:
    assert check_digit("121212121") == "2"  # Skatteverket's test number 19121212-1212
    assert check_digit("811218987") == "6"  # and 811218-9876


@pytest.mark.parametrize(
    "written",
    [
        "19121212 1212",
        "121212 1212",
        "121212\u00a01212",
        "121212\t1212",
        "121212\n1212",
        "19 12 12 12-12 12",  # the issue's "19 12 12-12 12", with its century
        "12 12 12-12 12",
        "1912 12 12 - 1212",
        "19121212\u20141212",
        "121212\u20131212",
        "121212\u20121212",
        "121212\uff0d1212",
        "121212\ufe631212",
        "121212-12\u00ad12",
        "1212\u200b12-1212",
        "12\u200c1212-1212",
        "121212\u200d-1212",
        "121212-\u20601212",
        "1212\ufeff12-1212",
        "\uff11\uff19\uff11\uff12\uff11\uff12\uff11\uff12-\uff11\uff12\uff11\uff12",
    ],
)
def test_the_spellings_of_the_issue_are_found(written: str) -> None:
    text = f"Sökande: {written}, Storgatan 1."
    [found] = find_personal_numbers(text)
    assert found.ten == "1212121212"
    assert found.text == written
    assert mask_personal_numbers(text) == (f"Sökande: {PLACEHOLDER}, Storgatan 1.", 1)


@given(texts_with_a_number())
@example(
    InText("Sökande: ", Spelled(Number("1212121212", "191212121212"), "19 12 12 12-12 12"), ".")
)
def test_every_spelling_is_found_and_only_it_is_masked(case: InText) -> None:
    [found] = find_personal_numbers(case.text)
    assert found.ten == case.spelled.number.ten
    assert (found.start, found.end) == (len(case.before), len(case.before) + len(case.spelled.text))
    masked, count = mask_personal_numbers(case.text)
    assert (masked, count) == (case.before + PLACEHOLDER + case.after, 1)
    assert_not_held(masked, case.spelled.number)


@given(swedish(WORDS + LOOKALIKES, noise=True))
@example("Antal: 19 12 12 12 12 och 2019 12 31 - 2020 01 01.")
def test_text_without_a_number_is_left_as_it_is(text: str) -> None:
    assert find_personal_numbers(text) == []
    assert mask_personal_numbers(text) == (text, 0)


# -- a document: the ingest, the store, a summary and its exports -------------------------

RESOR = """# Riktlinje för tjänsteresor

Ersättningen för resor med egen bil är 25 kronor per mil. Resor bokas i resesystemet
senast en vecka före avresan. Chefen ger instruktioner om vilka resor som godkänns.
"""
BODY = (
    "Bidrag till bostadsanpassning beviljas med 45 000 kronor för att ta bort trösklar "
    "och bygga om badrummet. Arbetet ska vara klart senast den 30 juni 2026."
)


class RecordingEmbedding(LocalE5Embedding):
    """The local e5 model, recording every text it embeds (queries and passages): what an
    embedding endpoint would have been sent."""

    _texts: list[str] = PrivateAttr(default_factory=list)

    @property
    def texts(self) -> list[str]:
        return self._texts

    def _get_query_embedding(self, query: str) -> Embedding:
        self._texts.append(query)
        return super()._get_query_embedding(query)

    def _get_text_embeddings(self, texts: list[str]) -> list[Embedding]:
        self._texts.extend(texts)
        return super()._get_text_embeddings(texts)


@dataclass
class Index:
    """A masked index on one folder, its store open."""

    settings: Settings
    folder: Path
    store: EdgeStore
    embedder: RecordingEmbedding

    def stored(self) -> list[dict[str, Any]]:
        """Every stored passage's whole payload."""
        payloads = []
        for state in self.store.doc_states().values():
            for key, count in state.chunk_count.items():
                ids = [chunk_point_id(state.doc_id, key, i) for i in range(count)]
                payloads += [hit.record.payload() for hit in self.store.get_points(ids)]
        return payloads


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory, embedder: LocalE5Embedding) -> Iterator[Index]:
    root = tmp_path_factory.mktemp("spellings")
    folder = root / "docs"
    folder.mkdir()
    (folder / "resor.md").write_text(RESOR, encoding="utf-8")
    settings = load_settings(data_dir=root / "data", answer={"mode": "extractive"})
    store = EdgeStore.open(settings)
    recording = RecordingEmbedding(model_name="e5", threads=embedder.threads)
    IngestJob(settings, store, recording).run([folder])
    yield Index(settings, folder, store, recording)
    store.close()


# The paths through the store are slow to shrink: a failure is shown as it was found.
END_TO_END = {"deadline": None, "phases": [Phase.explicit, Phase.generate]}


@settings(
    max_examples=10, suppress_health_check=[HealthCheck.function_scoped_fixture], **END_TO_END
)
@given(
    in_text=texts_with_a_number(),
    folder=spellings(in_path=True),
    file=spellings(in_path=True),
)
def test_a_document_stores_and_exports_no_number_from_its_text_or_path(
    index: Index, tmp_path: Path, in_text: InText, folder: Spelled, file: Spelled
) -> None:
    where = index.folder / f"ärende {folder.text}"
    where.mkdir()
    try:
        path = where / f"beslut {file.text}.md"
        path.write_text(f"# Beslut om bostadsanpassning\n\n{in_text.text}\n\n{BODY}\n", "utf-8")
        index.embedder.texts.clear()
        report = IngestJob(index.settings, index.store, index.embedder).run([index.folder])
        [result] = [f for f in report.files if f.status == "new"]
        numbers = (in_text.spelled.number, folder.number, file.number)
        assert result.personal_numbers == len({n.ten for n in numbers})
        assert result.personal_policy == "mask"
        stored = index.stored()
        assert any(PLACEHOLDER in p["text"] for p in stored)
        assert_not_held(stored, *numbers)
        assert_not_held(index.embedder.texts, *numbers)
        assert_not_held([asdict(s) for s in index.store.doc_states().values()], *numbers)

        library = Library(index.store)
        [doc] = [d for d in library.documents([]) if d.file != "resor.md"]
        assert_not_held(asdict(doc), *numbers)
        summarizer = Summarizer(index.settings, library, TermMatcher(), None)
        summary = summarizer.summarize([doc.doc_id], [], "summary", use_model=False)
        assert summary.citations
        word = Document(str(to_docx(summary, tmp_path / "utkast.docx")))
        exported = [
            to_markdown(summary),
            *(p.text for p in word.paragraphs),
            *(c.text for t in word.tables for row in t.rows for c in row.cells),
        ]
        assert_not_held([summary.to_json(), asdict(summary), exported], *numbers)
    finally:
        shutil.rmtree(where)
        cleaned = IngestJob(index.settings, index.store, index.embedder).run([index.folder])
    # Gone from the folder, gone from the index: the masked stored path is under the root.
    assert [f.status for f in cleaned.files if f.file != "resor.md"] == ["removed"]
    assert {s.file for s in index.store.doc_states().values()} == {"resor.md"}


def test_a_synced_folder_named_with_a_number_is_refused_unless_flagged(tmp_path: Path) -> None:
    folder = tmp_path / "ärende 19121212\u00a01212"
    folder.mkdir()
    (folder / "resor.md").write_text(RESOR, encoding="utf-8")
    for policy in ("mask", "skip", "flag"):
        settings = load_settings(data_dir=tmp_path / policy, ingest={"personal_numbers": policy})
        store = EdgeStore.open(settings)
        try:
            job = IngestJob(settings, store, RecordingEmbedding(model_name="e5"))
            if policy == "flag":
                assert job.run([folder]).count("new") == 1
                continue
            with pytest.raises(InputError, match="holds a personal identity number") as refused:
                job.run([folder])
            assert PLACEHOLDER in str(refused.value)
            assert "1212" not in str(refused.value)
            assert store.doc_states() == {}
        finally:
            store.close()


# -- a question: the answer path and the audit trail ----------------------------------------

WHO = Identity("sub-1", "Kim", "manager", ("hr",), signed_in=True)


def _everything(trail: AuditTrail) -> list[str]:
    """Every value of every table of the trail, as text."""
    with trail.db.engine.connect() as conn:
        return [
            str(value)
            for table in ("records", "citations", "feedback")
            for row in conn.execute(sa.text(f"SELECT * FROM {table}"))
            for value in row
        ]


@pytest.fixture(scope="module")
def trail(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AuditTrail]:
    folder = tmp_path_factory.mktemp("trail")
    opened = AuditTrail(open_database(f"sqlite:///{folder / 'trail.db'}"), AuditSettings())
    yield opened
    opened.db.close()


@settings(
    max_examples=15, suppress_health_check=[HealthCheck.function_scoped_fixture], **END_TO_END
)
@given(question=texts_with_a_number(), request=texts_with_a_number(), comment=texts_with_a_number())
def test_a_question_reaches_no_model_embedding_answer_or_trail_with_its_number(
    index: Index, trail: AuditTrail, question: InText, request: InText, comment: InText
) -> None:
    chat = ScriptedChatModel(["Bidrag till resor ges med 25 kronor per mil."] * 4)
    index.embedder.texts.clear()
    retriever = Retriever(index.store, index.embedder, index.settings.retrieval)
    assistant = Assistant(index.settings, retriever, chat)
    earlier = [{"role": "user", "content": question.text}]
    answer = assistant.ask(question.text, [], earlier, mode="generative")
    number = question.spelled.number
    assert PLACEHOLDER in answer.question
    assert index.embedder.texts, "the question was searched"
    assert_not_held(index.embedder.texts, number)
    assert chat.calls, "the model was asked"
    assert_not_held(chat.calls, number)
    assert_not_held(answer.to_json(), number)

    rid = trail.answer(WHO, answer, endpoint=chat.endpoint)
    trail.give_feedback(rid, WHO, 0, "wrong", comment.text)
    summary = Summarizer(index.settings, Library(index.store), TermMatcher(), None).summarize(
        ["resor.md"], [], "summary", use_model=False
    )
    trail.summary(WHO, summary, request=request.text, endpoint="-")
    stored = _everything(trail)
    assert_not_held(stored, number, request.spelled.number, comment.spelled.number)


# -- the command line ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def closed_index(tmp_path_factory: pytest.TempPathFactory, embedder: LocalE5Embedding) -> Settings:
    """A small masked index, its store closed for the command to open."""
    root = tmp_path_factory.mktemp("cli")
    folder = root / "docs"
    folder.mkdir()
    (folder / "resor.md").write_text(RESOR, encoding="utf-8")
    settings = load_settings(data_dir=root / "data", answer={"mode": "extractive"})
    store = EdgeStore.open(settings)
    try:
        recording = RecordingEmbedding(model_name="e5", threads=embedder.threads)
        IngestJob(settings, store, recording).run([folder])
    finally:
        store.close()
    return settings


@settings(max_examples=6, **END_TO_END)
@given(question=texts_with_a_number())
def test_the_command_line_asks_with_the_masked_question_and_warns(
    closed_index: Settings, question: InText
) -> None:
    data_dir = str(closed_index.data_dir)
    asked = CliRunner().invoke(
        app, ["ask", question.text, "--mode", "extractive", "--json", "--data-dir", data_dir]
    )
    assert asked.exit_code == 0, asked.output
    number = question.spelled.number
    shown = json.loads(asked.stdout)
    assert PLACEHOLDER in shown["question"]
    assert_not_held(shown, number)
    assert PERSONAL_DATA_WARNING in " ".join(asked.stderr.split())
    trail = AuditTrail(open_database(closed_index.database_url), AuditSettings())
    try:
        assert_not_held(_everything(trail), number)
        last = trail.records()[0]
        assert (last.kind, last.personal_data) == ("answer", True)
        assert PLACEHOLDER in (last.question or "")
    finally:
        trail.db.close()
