"""Property tests: no text of a document outside the reader's groups ever reaches them.

Hypothesis builds small random libraries: Markdown and TXT documents in nested folders,
readable by groups that ``access.toml`` files give (a folder's ``groups``, ``[files]``
overrides for a file in that folder, ``"*"``/``"alla"``/``"everyone"``, any casing).
Every document carries a secret marker of its own (``hemlig7f3a``) in its title and in
every sentence, so a leak is found exactly. Who may read what comes from an oracle of the
rule as ``ingest/sources.py`` documents it, written here independently of that code.

* ``test_rule_files_give_the_documented_readers``: ``discover`` gives every file the
  readers the documented rule gives it (no model, many examples).
* ``test_no_answer_or_evaluation_run_shows_an_unreadable_document``: the library is
  indexed for real (``IngestJob``, e5, Qdrant Edge) and random readers (any subset of the
  groups, none included) ask every document's sentences verbatim, its marker, the same
  facts without the marker, and unrelated questions, through the real answer path
  (extractive, no language model). Nothing of a document the reader may not read is in
  any answer: its text, citations, the passages retrieved or offered as the closest
  documents of a refusal, any other field of the ``Answer`` (all of it serialized, the
  ``ask --json`` form too); no source of one either (doc, chunk, path). The same holds for
  an evaluation run with the reader's groups over questions about every document: the run,
  its stored ``run.json`` and reports, and the stored runs the evaluation page lists for
  that reader: ``list_runs(evals_dir, viewer_groups)``, as the page calls it, lists the
  runs whose groups are a subset of the viewer's (the hidden runs that do hold a viewer's
  secrets are counted, so the rule is seen to matter). Managers' summaries too: the
  documents the summaries page offers are exactly the readable ones, a draft of a
  readable document holds nothing of another, and one the reader may not read is "not
  found" by name, the refusal saying nothing of it.
  Positive control: a reader who may read a document gets its marker back when quoting
  one of its sentences, so an empty index or refusing everything fails the test.
  The same index is then served by the API (``create_app`` under uvicorn on loopback) and
  each reader calls it with an ID token from the OpenID Connect provider on loopback (their
  groups as provider groups, mapped as the sign-in maps them): ``/api/search``,
  ``/api/ask``, ``/v1/chat/completions`` (streamed and not), ``/api/documents``,
  ``/api/summarize``, and the MCP tools ``search_documents``, ``ask``, ``list_documents``
  and ``get_passage`` (asked for every passage of the library by its id). No response holds
  a secret of the reader's; the documents listed are exactly the readable ones, and a
  readable document's marker comes back (the control).
* ``test_no_answer_shows_an_unreadable_page_of_a_web_site``: the library served by a
  plain web server on loopback, its rule files given as the web source's groups by URL
  prefix (``ingest/web.py``), crawled, mirrored and indexed; the same answer checks.
* ``test_no_answer_shows_an_unreadable_item_of_a_sharepoint_library``: the library served
  as a document library by the Graph-shaped server on loopback (``tests/graph_server.py``),
  each document's readers given as its permission grants (a Microsoft 365 group per access
  group, mapped by object id as at sign-in; an organisation or anonymous link or a site
  group mapped to everyone for a document everyone may read; grants that map to nothing
  beside them), synced (``ingest/sharepoint.py``), mirrored and indexed; the same answer
  checks. Items shared only in ways that map to no access group (a person, a group not in
  ``auth.access_groups``, a link for specific people, an invitation) are skipped with
  reason ``permissions``, never indexed, and nothing of them is in any answer, the control
  reader's included.

The counts of examples, answers and runs checked are printed at the end of the module.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest
import uvicorn
from api_process import mcp_calls
from fixtures_llm import free_port
from graph_server import (
    LIBRARY,
    ORG_LINK,
    Graph,
    group_grant,
    person,
    serving,
    site_group_grant,
    source_of,
)
from hypothesis import HealthCheck, Phase, example, given, note, settings
from hypothesis import strategies as st
from oidc import id_token, run_provider

from api.server import create_app
from assistant.errors import InputError
from assistant.models.embeddings import LocalE5Embedding
from assistant.query.contract import Answer
from assistant.runtime import Runtime, open_runtime
from assistant.settings import Settings, WebSource, load_settings
from assistant.store import VectorStore, chunk_point_id
from assistant.store.edge import EdgeStore
from assistant.summary.library import Library as DocumentLibrary
from evals.runner import list_runs, load_run, run_suite, save_run
from ingest.sharepoint import sync
from ingest.sources import discover
from ingest.sync import IngestJob
from ingest.web import crawl

POOL = ("hr", "chefer", "ekonomi", "socialtjanst")
EVERYONE_WORDS = ("*", "alla", "everyone")
# Nested on purpose: a rule file rules the folders below it too.
FOLDERS = ("", "personal", "personal/rehab", "ekonomi")
# Few names, so the same name turns up in several folders and in [files] tables.
NAMES = ("rutin.md", "rutin.txt", "riktlinje.md", "beslut.txt", "policy.md")
TOPICS = (
    ("Friskvård", "friskvårdsbidraget"),
    ("Semester", "sommarsemestern"),
    ("Parkering", "parkeringstillståndet"),
    ("Rehabilitering", "rehabiliteringsutredningen"),
    ("Lönerevision", "löneöversynen"),
    ("Bisysslor", "bisysslan"),
    ("Tjänsteresor", "tjänsteresan"),
    ("Försörjningsstöd", "försörjningsstödet"),
    ("Attest", "attesten"),
    ("Distansarbete", "distansarbetet"),
)
# A sentence with the document's marker, and the same fact asked without it.
FACTS = (
    ("Enligt rutin {m} ska {s} sökas senast den {day} {month}.", "När ska {s} sökas?"),
    ("Rutin {m} anger att {s} ger högst {amount} kronor per år.", "Hur mycket ger {s} per år?"),
    ("Frågor om {s} enligt rutin {m} besvaras av {unit}.", "Vem besvarar frågor om {s}?"),
    (
        "Beslut om {s} enligt rutin {m} fattas inom {days} arbetsdagar.",
        "Hur snabbt fattas beslut om {s}?",
    ),
    ("Rutin {m} kräver att {s} dokumenteras i {system}.", "Var dokumenteras {s}?"),
)
MONTHS = ("januari", "mars", "maj", "augusti", "oktober", "december")
UNITS = ("personalenheten", "lönekontoret", "trafikenheten", "ekonomienheten", "närmaste chef")
SYSTEMS = ("personalsystemet", "ärendesystemet", "diariet", "ekonomisystemet")
UNRELATED = (
    "Vad kostar ett busskort för pensionärer?",
    "När öppnar simhallen på lördagar?",
    "Hur söker jag bygglov för en altan?",
    "Var lämnar jag grovsopor i kommunen?",
)

Readers = frozenset[str] | None  # None: everyone


def _normalised(groups: Sequence[str]) -> frozenset[str]:
    return frozenset(g.strip().lower() for g in groups if g.strip())


def _readers_of(groups: Sequence[str]) -> Readers:
    named = _normalised(groups)
    return None if named & set(EVERYONE_WORDS) else named


# -- the library -------------------------------------------------------------------------


@dataclass(frozen=True)
class Doc:
    folder: str
    name: str
    marker: str
    title: str
    sentences: tuple[str, ...]
    questions: tuple[str, ...]  # the sentences' facts asked without the marker

    @property
    def rel(self) -> str:
        return f"{self.folder}/{self.name}" if self.folder else self.name

    def text(self) -> str:
        first, rest = self.sentences[:1], self.sentences[1:]
        if self.name.endswith(".md"):
            more = f"\n\n## Mer information\n\n{' '.join(rest)}" if rest else ""
            return f"# {self.title}\n\n{' '.join(first)}{more}\n"
        return f"{self.title}\n\n" + "\n\n".join(self.sentences) + "\n"


@dataclass(frozen=True)
class Rule:
    """One ``access.toml``: a folder's groups (or none) and ``[files]`` overrides."""

    groups: tuple[str, ...] | None
    files: tuple[tuple[str, tuple[str, ...]], ...]

    def toml(self) -> str:
        lines = [] if self.groups is None else [f"groups = {json.dumps(list(self.groups))}"]
        if self.files:
            lines.append("[files]")
            lines += [f'"{name}" = {json.dumps(list(groups))}' for name, groups in self.files]
        return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Library:
    docs: tuple[Doc, ...]
    rules: Mapping[str, Rule]  # folder -> its access.toml

    def write(self, root: Path) -> None:
        for folder, rule in self.rules.items():
            (root / folder).mkdir(parents=True, exist_ok=True)
            (root / folder / "access.toml").write_text(rule.toml(), encoding="utf-8")
        for doc in self.docs:
            (root / doc.folder).mkdir(parents=True, exist_ok=True)
            (root / doc.rel).write_text(doc.text(), encoding="utf-8")

    def readers(self, folder: str, name: str) -> Readers:
        """The documented rule: the nearest rule file up the tree that names groups wins;
        its ``[files]`` entry overrides them for a file in that same folder."""
        here = folder
        while True:
            rule = self.rules.get(here)
            if rule is not None:
                own = dict(rule.files).get(name) if here == folder else None
                if own is not None:
                    return _readers_of(own)
                if rule.groups is not None:
                    return _readers_of(rule.groups)
            if not here:
                return None
            here = here.rpartition("/")[0]

    def may_read(self, groups: Sequence[str], doc: Doc) -> bool:
        readers = self.readers(doc.folder, doc.name)
        return readers is None or bool(readers & _normalised(groups))

    def describe(self) -> str:
        rules = {f"{f or '.'}/access.toml": r.toml() for f, r in self.rules.items()}
        docs = {d.rel: sorted(self.readers(d.folder, d.name) or ["*"]) for d in self.docs}
        return f"rules={rules} readers={docs}"


def _spelled(group: str) -> st.SearchStrategy[str]:
    """A group name as an admin or a sign-in might write it."""
    return st.sampled_from([group, group.upper(), group.title(), f" {group} "])


# Mostly named groups, so that most readers lack some document; a list naming everyone
# (alone or with groups) a quarter of the time.
_NAMED = st.lists(st.sampled_from(POOL), min_size=1, max_size=3, unique=True)
_OPEN = st.lists(st.sampled_from(POOL + EVERYONE_WORDS), min_size=1, max_size=2, unique=True).map(
    lambda groups: groups if set(groups) & set(EVERYONE_WORDS) else [*groups, "*"]
)
GROUP_LISTS = st.one_of(_NAMED, _NAMED, _NAMED, _OPEN).flatmap(
    lambda groups: st.tuples(*map(_spelled, groups))
)

RULES = st.builds(
    Rule,
    groups=st.one_of(GROUP_LISTS, GROUP_LISTS, st.none()),
    files=st.lists(
        st.tuples(st.sampled_from(NAMES), GROUP_LISTS), max_size=2, unique_by=lambda f: f[0]
    ).map(tuple),
)

PLACES = st.lists(
    st.tuples(st.sampled_from(FOLDERS), st.sampled_from(NAMES)), min_size=3, max_size=8, unique=True
)

# A reader: a few groups of the pool, or none (all of them is the control reader's).
READERS = st.sets(st.sampled_from(POOL), max_size=2).flatmap(
    lambda groups: st.tuples(*map(_spelled, sorted(groups))).map(list)
)


SLOTS = st.fixed_dictionaries(
    {
        "day": st.integers(1, 28),
        "month": st.sampled_from(MONTHS),
        "amount": st.integers(2, 60).map(lambda n: n * 100),
        "unit": st.sampled_from(UNITS),
        "days": st.integers(2, 30),
        "system": st.sampled_from(SYSTEMS),
    }
)
SAMPLE_SLOTS = {
    "day": 31,
    "month": "mars",
    "amount": 3000,
    "unit": "lönekontoret",
    "days": 10,
    "system": "diariet",
}


def make_doc(
    folder: str,
    name: str,
    code: str,
    topic: tuple[str, str],
    facts: Sequence[tuple[str, str]],
    slots: Mapping[str, object],
) -> Doc:
    marker = f"hemlig{code}"
    title, subject = topic
    filled = {"m": marker, "s": subject, **slots}
    return Doc(
        folder,
        name,
        marker,
        f"{title} {marker}",
        tuple(sentence.format(**filled) for sentence, _ in facts),
        tuple(question.format(**filled) for _, question in facts),
    )


@st.composite
def libraries(draw: st.DrawFn) -> Library:
    places = draw(PLACES)
    codes = st.text("0123456789abcdef", min_size=4, max_size=4)
    markers = draw(st.lists(codes, min_size=len(places), max_size=len(places), unique=True))
    topics = draw(st.permutations(TOPICS))
    docs = [
        make_doc(
            folder,
            name,
            code,
            topic,
            draw(st.lists(st.sampled_from(FACTS), min_size=2, max_size=3, unique=True)),
            draw(SLOTS),
        )
        for (folder, name), code, topic in zip(places, markers, topics, strict=False)
    ]
    rules = draw(st.dictionaries(st.sampled_from(FOLDERS), RULES, min_size=1, max_size=4))
    return Library(tuple(docs), rules)


# -- the rules alone ---------------------------------------------------------------------


# A [files] entry names a file in its own folder: a file of the same name in a folder
# below follows that folder's groups (hr here), not the entry.
SAME_NAME_BELOW = Library(
    (
        make_doc("", "rutin.md", "0001", TOPICS[0], FACTS[:2], SAMPLE_SLOTS),
        make_doc("personal", "rutin.md", "0002", TOPICS[3], FACTS[:2], SAMPLE_SLOTS),
        make_doc("personal", "policy.md", "0003", TOPICS[4], FACTS[:2], SAMPLE_SLOTS),
    ),
    {"": Rule(groups=("hr",), files=(("rutin.md", ("*",)),))},
)


@settings(max_examples=200, deadline=None, database=None, derandomize=True)
@given(library=libraries())
@example(library=SAME_NAME_BELOW)
def test_rule_files_give_the_documented_readers(library: Library) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        library.write(root)
        indexed = {s.relative: s.groups for s in discover([root])}
    note(library.describe())
    for doc in library.docs:
        expected = library.readers(doc.folder, doc.name)
        got = indexed[doc.rel]
        assert got is not None, f"{doc.rel}: the rules could not be read"
        assert (None if got == ("*",) else frozenset(got)) == expected, (
            f"{doc.rel} is readable by {got}, the rule files say {sorted(expected or ['*'])}"
        )


# -- answers and evaluation runs ---------------------------------------------------------


@dataclass
class Tally:
    examples: int = 0
    documents: int = 0
    answers: int = 0
    refusals_with_closest: int = 0  # refusals that offered the closest documents
    forbidden_asked: int = 0  # answers to a question quoting a document the reader may not read
    controls: int = 0
    controls_found: int = 0
    runs: int = 0
    summaries: int = 0  # drafts of documents the reader may read, checked for others' text
    summaries_refused: int = 0  # documents the reader may not read, asked for by name
    listed: int = 0
    hidden_with_secrets: int = 0  # runs the listing rule hides that hold a viewer's secret
    api_responses: int = 0  # responses of the API and the MCP tools checked
    api_controls: int = 0  # readable documents whose marker came back through the API
    passages_refused: int = 0  # get_passage of a passage the caller may not read
    web_examples: int = 0  # libraries served as a web site, crawled and indexed
    sharepoint_examples: int = 0  # libraries served as a SharePoint library, synced and indexed
    sharepoint_unpublished: int = 0  # items whose grants map to no group: never indexed


@pytest.fixture(scope="module")
def tally() -> Iterator[Tally]:
    counts = Tally()
    yield counts
    print(f"\n[access properties] {dataclasses.asdict(counts)}")


# One thread: questions are embedded one short text at a time, and on a busy two-core
# machine the OpenMP barriers of two threads cost several times what they save.
THREADS = 1


@pytest.fixture(scope="module")
def embedder() -> LocalE5Embedding:
    return LocalE5Embedding(model_name="e5", threads=THREADS)


@dataclass(frozen=True)
class Indexed:
    """A document as the store holds it."""

    doc_id: str
    chunk_ids: frozenset[str]
    groups: tuple[str, ...]


@dataclass(frozen=True)
class Secrets:
    """What a reader must never see of the documents they may not read."""

    texts: dict[str, str]  # a string of the document -> which document, said for a message
    doc_ids: frozenset[str]

    def found_in(self, text: str) -> list[str]:
        return [f"{s!r} of {doc}" for s, doc in self.texts.items() if s in text]


def _secrets(
    library: Library, groups: Sequence[str], root: Path, indexed: Mapping[str, Indexed]
) -> Secrets:
    texts: dict[str, str] = {}
    doc_ids = set()
    for doc in library.docs:
        if library.may_read(groups, doc):
            continue
        stored = indexed[doc.rel]
        doc_ids.add(stored.doc_id)
        strings = [doc.marker, doc.title, *doc.sentences, stored.doc_id, *stored.chunk_ids]
        readers = sorted(library.readers(doc.folder, doc.name) or ["*"])
        said = f"{doc.rel} (the rules: {readers}; indexed for {list(stored.groups)})"
        texts |= dict.fromkeys([*strings, (root / doc.rel).as_posix()], said)
    return Secrets(texts, frozenset(doc_ids))


def _paths_holding(data: Any, needle: str, at: str = "") -> list[str]:
    """Where in a JSON-like value a string holds ``needle``, for the failure message."""
    if isinstance(data, dict):
        return [p for k, v in data.items() for p in _paths_holding(v, needle, f"{at}.{k}")]
    if isinstance(data, list):
        return [p for i, v in enumerate(data) for p in _paths_holding(v, needle, f"{at}[{i}]")]
    return [at] if isinstance(data, str) and needle in data else []


def _check_answer(answer: Answer, question: str, secrets: Secrets, who: str) -> None:
    # The reader's own question comes back in three fields; nothing else may hold a secret.
    echoed = (answer.question, answer.standalone_question, answer.searched_question)
    assert echoed == (question, question, question)
    # Every field (the ranking and token counts too), and what `assistant ask --json` prints.
    forms = [dataclasses.asdict(answer), answer.to_json()]
    for form in forms:
        for key in ("question", "standalone_question", "searched_question"):
            del form[key]
        leaks = secrets.found_in(json.dumps(form, ensure_ascii=False, default=str))
        where = [p for s in secrets.texts for p in _paths_holding(form, s)] if leaks else []
        assert not leaks, f"{who} asked {question!r}: {leaks} at {where}"
    for source in [*answer.citations, *answer.retrieved, *answer.ranked]:
        assert source.doc_id not in secrets.doc_ids, f"{who} asked {question!r}: {source}"


def _suite(library: Library, path: Path) -> None:
    """One question per document, annotated with the groups that may read it."""
    cases = []
    for i, doc in enumerate(library.docs):
        case: dict[str, Any] = {
            "id": f"d{i}",
            "question": doc.questions[0],
            "answer": doc.sentences[0],
            "source_file": doc.name,
            "source_page": None,
            "evidence": doc.sentences[0],
            "type": "factual",
            "lang": "sv",
        }
        readers = library.readers(doc.folder, doc.name)
        if readers is not None:
            case["groups"] = sorted(readers)
        cases.append(case)
    cases.append(
        {
            "id": "utanfor",
            "question": UNRELATED[0],
            "answer": "",
            "source_file": "",
            "source_page": None,
            "evidence": "",
            "type": "unanswerable",
            "lang": "sv",
        }
    )
    path.write_text("\n".join(json.dumps(c, ensure_ascii=False) for c in cases) + "\n", "utf-8")


def _stored_text(folder: Path) -> str:
    """What a stored run holds: its run.json and both reports."""
    files = ("run.json", "report.html", "report.md")
    return "\n".join((folder / name).read_text("utf-8") for name in files)


def _indexed(store: VectorStore, root: Path) -> dict[str, Indexed]:
    """Every document the store holds, by its path under ``root``."""
    found = {}
    for state in store.doc_states().values():
        chunk_ids = frozenset(
            chunk_point_id(state.doc_id, key, i)
            for key, count in state.chunk_count.items()
            for i in range(count)
        )
        [first, *_] = store.get_points(sorted(chunk_ids))
        rel = Path(state.source).relative_to(root).as_posix()
        found[rel] = Indexed(state.doc_id, chunk_ids, first.record.groups)
    return found


@settings(
    max_examples=10,
    deadline=None,
    database=None,
    derandomize=True,
    # Each example indexes its own library: shrinking would index hundreds more.
    phases=(Phase.explicit, Phase.generate),
    # The one function-scoped fixture is conftest's autouse network guard, which holds
    # for every example alike.
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(library=libraries(), readers=st.lists(READERS, min_size=2, max_size=3))
@pytest.mark.slow
def test_no_answer_or_evaluation_run_shows_an_unreadable_document(
    library: Library,
    readers: list[list[str]],
    embedder: LocalE5Embedding,
    provider: str,
    tally: Tally,
) -> None:
    everything = list(POOL)  # a reader who may read every document: the control
    readers = [*readers, everything]
    note(library.describe())
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "docs"
        library.write(root)
        settings_ = load_settings(
            data_dir=Path(tmp) / "data",
            answer={"mode": "extractive"},
            embedding={"threads": THREADS},
        )
        store = EdgeStore.open(settings_)
        try:
            report = IngestJob(settings_, store, embedder).run([root])
            assert not report.failed, report.summary()
            indexed = _indexed(store, root.resolve())
        finally:
            store.close()
        assert indexed.keys() == {d.rel for d in library.docs}
        with open_runtime(settings_, with_model=False) as runtime:
            for groups in readers:
                secrets = _secrets(library, groups, root.resolve(), indexed)
                quotes = [s for d in library.docs for s in d.sentences]
                questions = quotes if groups is everything else _questions(library)
                _ask(runtime, library, groups, questions, secrets, tally)
                _summarize(runtime, library, groups, secrets, tally)
                _evaluate(runtime, library, groups, secrets, Path(tmp) / "atkomst.jsonl", tally)
            _check_listing(library, readers, settings_.evals_dir, root.resolve(), indexed, tally)
        served = _api_settings(settings_, provider)
        with _serving(served) as url:
            for groups in readers:
                secrets = _secrets(library, groups, root.resolve(), indexed)
                _through_api(url, provider, library, groups, secrets, indexed, tally)
    tally.examples += 1
    tally.documents += len(library.docs)


def _questions(library: Library) -> list[str]:
    """Every sentence quoted, every marker, the same facts asked plainly, and unrelated
    questions (refused, with the closest documents offered)."""
    questions = list(UNRELATED)
    for doc in library.docs:
        questions += [*doc.sentences, f"Vad säger rutin {doc.marker}?", *doc.questions]
    return questions


def _ask(
    runtime: Runtime,
    library: Library,
    groups: list[str],
    questions: list[str],
    secrets: Secrets,
    tally: Tally,
) -> None:
    controls = found = 0
    for question in questions:
        answer = runtime.assistant.ask(question, groups)
        _check_answer(answer, question, secrets, f"a reader of {groups}")
        tally.answers += 1
        tally.refusals_with_closest += answer.refused and bool(answer.retrieved)
        for doc in library.docs:
            if question not in doc.sentences:
                continue
            if library.may_read(groups, doc):
                controls += 1
                found += doc.marker in answer.answer
            else:
                tally.forbidden_asked += 1
    tally.controls += controls
    tally.controls_found += found
    # Quoting a sentence of a document one may read brings it back (nearly always).
    assert found >= 0.8 * controls, f"{groups}: {found} of {controls} quoted sentences answered"


def _summarize(
    runtime: Runtime, library: Library, groups: list[str], secrets: Secrets, tally: Tally
) -> None:
    """Managers' drafts: the documents offered, each drafted by name, and those asked for
    by name that the reader may not read (they are "not found", nothing else said)."""
    offered = DocumentLibrary(runtime.store).documents(groups)
    assert {d.rel_path for d in offered} == {
        d.rel for d in library.docs if library.may_read(groups, d)
    }, "the summaries page offers exactly the documents the reader may read"
    for doc in library.docs:
        for kind in ("summary", "staff"):
            if not _found_by_name(library, groups, doc):
                with pytest.raises(InputError, match="among those you may read") as refused:
                    runtime.summarizer.summarize([doc.rel], groups, kind, use_model=False)
                said = str(refused.value)
                assert not secrets.found_in(said), f"{doc.rel} refused, but said: {said}"
                tally.summaries_refused += 1
                continue
            draft = runtime.summarizer.summarize([doc.rel], groups, kind, use_model=False)
            text = json.dumps(draft.to_json(), ensure_ascii=False) + json.dumps(
                [asdict(s) for s in draft.sections], ensure_ascii=False
            )
            leaks = secrets.found_in(text)
            assert not leaks, f"a draft for {groups} shows {leaks}"
            if kind == "summary" and library.may_read(groups, doc):
                assert doc.marker in draft.summary, "the control: a readable draft has its text"
            tally.summaries += 1


def _found_by_name(library: Library, groups: Sequence[str], doc: Doc) -> bool:
    """Whether asking for ``doc.rel`` by name finds a document the reader may read: this
    one, or (a name without a folder) one of that file name in another folder, which the
    summaries take the name for when the path itself is none of the reader's."""
    return library.may_read(groups, doc) or any(
        library.may_read(groups, d) and d.name == doc.rel for d in library.docs
    )


def _evaluate(
    runtime: Runtime,
    library: Library,
    groups: list[str],
    secrets: Secrets,
    suite: Path,
    tally: Tally,
) -> None:
    if not suite.exists():
        _suite(library, suite)
    run = run_suite(suite, runtime, groups=sorted(_normalised(groups)), mode="extractive")
    folder = save_run(run, runtime.settings.evals_dir)
    for where, text in (
        ("the run", json.dumps(run.to_json(), ensure_ascii=False)),
        (str(folder), _stored_text(folder)),
    ):
        leaks = secrets.found_in(text)
        assert not leaks, f"evaluation run of {groups}: {leaks} in {where}"
    tally.runs += 1
    readable = {d.marker for d in library.docs if library.may_read(groups, d)}
    if readable:  # control: the run does answer from what the groups may read
        assert any(m in r.got for r in run.results for m in readable), run.results


def _check_listing(
    library: Library,
    readers: list[list[str]],
    evals_dir: Path,
    root: Path,
    indexed: Mapping[str, Indexed],
    tally: Tally,
) -> None:
    runs = list_runs(evals_dir)
    assert len(runs) == len(readers)
    for groups in readers:
        viewer = set(_normalised(groups))
        secrets = _secrets(library, groups, root, indexed)
        shown = list_runs(evals_dir, groups)  # what the evaluation page lists
        assert sorted(viewer) in [r.groups for r in shown], "a viewer sees their own runs"
        for listed in shown:
            assert listed.folder is not None
            full = load_run(listed.folder, evals_dir)
            text = json.dumps(full.to_json(), ensure_ascii=False) + _stored_text(listed.folder)
            leaks = secrets.found_in(text)
            assert not leaks, f"a viewer of {groups} is shown run {listed.groups}: {leaks}"
            tally.listed += 1
        for hidden in (r for r in runs if r.id not in {s.id for s in shown}):
            assert hidden.folder is not None
            tally.hidden_with_secrets += bool(secrets.found_in(_stored_text(hidden.folder)))


# -- through the API and the MCP tools ------------------------------------------------

API_SECRET = "atkomst-klienthemlighet-7c1d"
# Every reader the strategy can draw (up to two groups of the pool) and the control (all).
READER_SETS = [
    *(frozenset(c) for n in range(3) for c in itertools.combinations(POOL, n)),
    frozenset(POOL),
]
ECHOED = ("question", "standalone_question", "searched_question")


def _sub(groups: Sequence[str]) -> str:
    return "r-" + "-".join(sorted(_normalised(groups)))


@pytest.fixture(scope="module")
def provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The OpenID Connect provider with one user per reader: the reader's groups as the
    provider's group ids (``grp-hr``), which the settings map to the access groups."""
    users = {
        _sub(s): (f"Läsare {_sub(s)}", ["personal", *(f"grp-{g}" for g in sorted(s))])
        for s in READER_SETS
    }
    yield from run_provider(tmp_path_factory.mktemp("provider"), users)


def _api_settings(indexed: Settings, provider: str) -> Settings:
    """The indexed library's settings with sign-in through the provider: everyone a
    manager (so summaries can be asked for), groups mapped as the sign-in maps them."""
    return load_settings(
        data_dir=indexed.data_dir,
        answer={"mode": "extractive"},
        embedding={"threads": THREADS},
        auth={
            "metadata_url": f"{provider}/.well-known/openid-configuration",
            "client_id": "dokumentassistent",
            "client_secret": API_SECRET,
            "cookie_secret": "atkomst-kakhemlighet-" + "0" * 24,
            "roles": {"manager": ["personal"], "employee": ["personal"]},
            "access_groups": {f"grp-{g}": g for g in POOL},
        },
        api={"requests_per_minute": 100_000},
    )


@contextmanager
def _serving(settings_: Settings) -> Iterator[str]:
    """The API app under uvicorn on a free loopback port, in a thread of this process."""
    port = free_port()
    config = uvicorn.Config(create_app(settings_), host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 120
    while not server.started:
        assert thread.is_alive(), "the API stopped while starting"
        assert time.monotonic() < deadline, "the API did not start"
        time.sleep(0.1)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def _without_echo(data: Any) -> Any:
    """A response without the fields that repeat the caller's own question."""
    if isinstance(data, dict):
        return {k: _without_echo(v) for k, v in data.items() if k not in ECHOED}
    if isinstance(data, list):
        return [_without_echo(v) for v in data]
    return data


def _through_api(
    url: str,
    provider: str,
    library: Library,
    groups: list[str],
    secrets: Secrets,
    indexed: Mapping[str, Indexed],
    tally: Tally,
) -> None:
    """One reader calls every endpoint and tool with their own token."""
    token = id_token(provider, _sub(groups), API_SECRET)
    readable = [d for d in library.docs if library.may_read(groups, d)]
    readable_ids = {indexed[d.rel].doc_id for d in readable}
    shown: list[tuple[str, str]] = []  # (what was asked, the response as text)

    def seen(what: str, data: Any) -> str:
        text = json.dumps(_without_echo(data), ensure_ascii=False)
        shown.append((what, text))
        return text

    with httpx.Client(
        base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=120
    ) as http:

        def call(method: str, path: str, body: Any = None, ok: int = 200) -> Any:
            response = http.request(method, path, json=body)
            assert response.status_code == ok, f"{path} {body}: {response.text[:300]}"
            return response.json()

        listed = call("GET", "/api/documents")
        seen("/api/documents", listed)
        controls = 0
        assert {d["doc_id"] for d in listed["documents"]} == readable_ids
        for doc in library.docs:
            mine = library.may_read(groups, doc)
            hits = seen("search", call("POST", "/api/search", {"question": doc.sentences[0]}))
            seen("ask", call("POST", "/api/ask", {"question": doc.questions[0]}))
            body = {"documents": [doc.rel]}
            found = _found_by_name(library, groups, doc)
            drafted = call("POST", "/api/summarize", body, ok=200 if found else 400)
            seen(f"summarize {doc.rel}", drafted)
            if mine:  # the control: what the reader may read does come back
                controls += doc.marker in hits and doc.marker in drafted["summary"]
        for doc in library.docs[:2]:
            message = {"role": "user", "content": doc.sentences[-1]}
            chat = {"model": "kommun-assistenten", "messages": [message]}
            seen("chat", call("POST", "/v1/chat/completions", chat))
        message = {"role": "user", "content": library.docs[-1].questions[0]}
        streamed = http.post("/v1/chat/completions", json={"messages": [message], "stream": True})
        assert streamed.status_code == 200
        shown.append(("chat streamed", streamed.text))
    assert controls >= 0.8 * len(readable), f"{groups}: {controls} of {len(readable)} came back"
    tally.api_controls += controls

    chunks = sorted(c for i in indexed.values() for c in i.chunk_ids)
    unknown = str(uuid.uuid4())
    calls: list[tuple[str, dict[str, object]]] = [
        ("list_documents", {}),
        *(("search_documents", {"question": d.questions[0]}) for d in library.docs),
        *(("ask", {"question": d.questions[-1]}) for d in library.docs[:3]),
        *(("get_passage", {"chunk_id": c}) for c in [*chunks, unknown]),
    ]
    names, results = mcp_calls(url, calls, token)
    assert "get_passage" in names
    assert {d["doc_id"] for d in results[0]["documents"]} == readable_ids
    passages = dict(zip([*chunks, unknown], results[-len(chunks) - 1 :], strict=True))
    for (name, arguments), result in zip(calls, results, strict=True):
        if name != "get_passage":
            seen(f"MCP {name} {arguments}", result)
    readable_chunks = {c for d in readable for c in indexed[d.rel].chunk_ids}
    for chunk_id, passage in passages.items():
        if chunk_id in readable_chunks:
            seen(f"MCP get_passage {chunk_id}", passage)
            assert passage["text"], chunk_id
            continue
        # Not the reader's: the same words as for a passage that does not exist at all.
        assert passage == {"error": f"no passage {chunk_id!r} among those you may read"}
        tally.passages_refused += chunk_id != unknown

    for what, text in shown:
        leaks = secrets.found_in(text)
        assert not leaks, f"a reader of {groups}: {what} shows {leaks}"
    tally.api_responses += len(shown) + len(passages)


# -- a web site: the same rules as URL prefixes ------------------------------------------


class _Quiet(SimpleHTTPRequestHandler):
    """Serves a folder as a plain web server would: files, and a listing of each folder's
    links (the pages the crawler follows)."""

    extensions_map: ClassVar[dict[str, str]] = {
        **SimpleHTTPRequestHandler.extensions_map,
        ".md": "text/markdown",
    }

    def log_message(self, *args: object) -> None:
        pass


# A library served as a source and mirrored: fewer examples (each crawls or syncs, then
# indexes), settings otherwise as the folder test's.
MIRRORED = settings(
    max_examples=4,
    deadline=None,
    database=None,
    derandomize=True,
    phases=(Phase.explicit, Phase.generate),
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


def _index_mirror(
    tmp: str, mirror: Path, root: Path, embedder: LocalE5Embedding
) -> tuple[Settings, dict[str, Indexed]]:
    """The mirror indexed into a store of its own; the documents found under ``root``."""
    settings_ = load_settings(
        data_dir=Path(tmp) / "data", answer={"mode": "extractive"}, embedding={"threads": THREADS}
    )
    store = EdgeStore.open(settings_)
    try:
        report = IngestJob(settings_, store, embedder).run([mirror])
        assert not report.failed, report.summary()
        return settings_, _indexed(store, root.resolve())
    finally:
        store.close()


def _ask_every_reader(
    settings_: Settings,
    library: Library,
    readers: list[list[str]],
    root: Path,
    indexed: dict[str, Indexed],
    tally: Tally,
    never: dict[str, str] | None = None,
    asked: Sequence[str] = (),
) -> None:
    """Each reader asks the library's questions (the control reader, the last, quotes every
    sentence) and ``asked``; no answer holds a secret of theirs or any of ``never``."""
    with open_runtime(settings_, with_model=False) as runtime:
        for groups in readers:
            secrets = _secrets(library, groups, root.resolve(), indexed)
            if never:
                secrets = dataclasses.replace(secrets, texts=secrets.texts | never)
            quotes = [s for d in library.docs for s in d.sentences]
            questions = quotes if groups is readers[-1] else _questions(library)
            _ask(runtime, library, groups, [*questions, *asked], secrets, tally)


def _web_groups(library: Library, site: str) -> dict[str, tuple[str, ...]]:
    """The library's rule files as the web source's groups: a folder's groups for its
    prefix, a ``[files]`` entry for the file's own URL; the longest prefix wins as the
    nearest rule does. Without a rule at the top, everyone (the folder default)."""
    groups: dict[str, tuple[str, ...]] = {site: ("*",)}
    for folder, rule in library.rules.items():
        prefix = f"{site}{folder}/" if folder else site
        if rule.groups is not None:
            groups[prefix] = rule.groups
        for name, named in rule.files:
            groups[prefix + name] = named
    return groups


@MIRRORED
@given(library=libraries(), readers=st.lists(READERS, min_size=2, max_size=3))
@pytest.mark.slow
def test_no_answer_shows_an_unreadable_page_of_a_web_site(
    library: Library, readers: list[list[str]], embedder: LocalE5Embedding, tally: Tally
) -> None:
    """The library served by a web server on loopback, its rules given as the web
    source's groups by URL prefix, crawled, mirrored and indexed: every reader's answers
    hold nothing of a page they may not read (and the control reader's do find them)."""
    readers = [*readers, list(POOL)]  # the control reader, who may read everything, last
    note(library.describe())
    with tempfile.TemporaryDirectory() as tmp:
        served = Path(tmp) / "www" / "bib"
        for doc in library.docs:  # the documents only: the rules are the source's groups
            (served / doc.folder).mkdir(parents=True, exist_ok=True)
            (served / doc.rel).write_text(doc.text(), encoding="utf-8")
        server = ThreadingHTTPServer(
            ("127.0.0.1", 0), partial(_Quiet, directory=str(Path(tmp) / "www"))
        )
        threading.Thread(target=server.serve_forever, daemon=True).start()
        site = f"http://127.0.0.1:{server.server_address[1]}/bib/"
        source = WebSource(start_url=site, groups=_web_groups(library, site), delay_s=0)
        try:
            crawled = crawl(source, Path(tmp) / "mirror")
        finally:
            server.shutdown()
            server.server_close()
        assert not crawled.problems, crawled.problems
        root = crawled.root / "bib"
        settings_, found = _index_mirror(tmp, crawled.root, root, embedder)
        indexed = {
            rel: i for rel, i in found.items()
            if not rel.endswith(".html")  # the folder listings: names only
        }  # fmt: skip
        assert indexed.keys() == {d.rel for d in library.docs}
        _ask_every_reader(settings_, library, readers, root, indexed, tally)
    tally.web_examples += 1


# -- a SharePoint library: the same rules as each item's grants --------------------------

# Each access group of the pool as a Microsoft 365 group's object id (auth.access_groups).
GROUP_IDS = {g: str(uuid.uuid5(uuid.NAMESPACE_URL, f"grupp/{g}")) for g in POOL}
ACCESS_GROUPS = {object_id: g for g, object_id in GROUP_IDS.items()}
ALL_STAFF = "Alla medarbetare"  # a SharePoint group the source maps to everyone
SITE_GROUPS = {ALL_STAFF: "*"}
# A document everyone may read: shared with the organisation, by an anonymous link, or
# with the site group of all staff.
EVERYONE_GRANTS: tuple[dict[str, Any], ...] = (
    ORG_LINK,
    {"id": "anon", "roles": ["read"], "link": {"scope": "anonymous", "type": "view"}},
    site_group_grant("5", ALL_STAFF),
)
# Grants that map to no access group: they give no one access through the assistant.
UNMAPPED_GRANTS: tuple[dict[str, Any], ...] = (
    {"id": "u1", "roles": ["write"], "grantedToV2": person("Anna Andersson", "5d33dd65-user")},
    group_grant("99999999-8888-4777-a666-555544443333", "Projektgruppen"),
    {"id": "l1", "roles": ["read"], "link": {"scope": "users", "type": "view"},
     "grantedToIdentitiesV2": [person("Cia Ek", "88bb-user")]},
    {"id": "i1", "roles": ["read"],
     "invitation": {"email": "extern@example.org", "signInRequired": True}},
)  # fmt: skip


@dataclass(frozen=True)
class SharedLibrary:
    """A library as a SharePoint document library: each document's grants, and items
    shared only in ways that map to no access group (never published)."""

    library: Library
    grants: Mapping[str, list[dict[str, Any]]]  # a document's path -> its permissions
    unpublished: tuple[tuple[Doc, list[dict[str, Any]]], ...]

    def describe(self) -> str:
        def said(grants: list[dict[str, Any]]) -> list[str]:
            return [json.dumps(g.get("link") or g.get("grantedToV2") or g)[:80] for g in grants]

        grants = {rel: said(g) for rel, g in self.grants.items()}
        hidden = {d.rel: said(g) for d, g in self.unpublished}
        return f"{self.library.describe()} grants={grants} unpublished={hidden}"


def _grants(readers: Readers) -> st.SearchStrategy[list[dict[str, Any]]]:
    """A document's grants: a group grant per access group that may read it (everyone: a
    grant to everyone, maybe beside groups), and now and then grants mapping to nothing."""
    if readers is None:
        mapped = st.tuples(
            st.sampled_from(EVERYONE_GRANTS), st.sets(st.sampled_from(POOL), max_size=2)
        ).map(lambda e: [e[0], *(group_grant(GROUP_IDS[g], g.title()) for g in sorted(e[1]))])
    else:
        mapped = st.just([group_grant(GROUP_IDS[g], g.title()) for g in sorted(readers)])
    noise = st.lists(st.sampled_from(UNMAPPED_GRANTS), max_size=2, unique_by=lambda g: g["id"])
    return st.tuples(mapped, noise).flatmap(lambda m: st.permutations([*m[0], *m[1]]))


@st.composite
def shared_libraries(draw: st.DrawFn) -> SharedLibrary:
    library = draw(libraries())
    grants = {d.rel: draw(_grants(library.readers(d.folder, d.name))) for d in library.docs}
    unpublished = []
    for i in range(draw(st.integers(0, 2))):
        name = f"utkast{i}.{draw(st.sampled_from(('md', 'txt')))}"
        facts = draw(st.lists(st.sampled_from(FACTS), min_size=2, max_size=3, unique=True))
        doc = make_doc(
            draw(st.sampled_from(FOLDERS)), name, f"opub{i}", draw(st.sampled_from(TOPICS)),
            facts, draw(SLOTS),
        )  # fmt: skip
        only = st.lists(
            st.sampled_from(UNMAPPED_GRANTS), min_size=1, max_size=3, unique_by=lambda g: g["id"]
        )
        unpublished.append((doc, draw(only)))
    return SharedLibrary(library, grants, tuple(unpublished))


@MIRRORED
@given(shared=shared_libraries(), readers=st.lists(READERS, min_size=2, max_size=3))
@pytest.mark.slow
def test_no_answer_shows_an_unreadable_item_of_a_sharepoint_library(
    shared: SharedLibrary, readers: list[list[str]], embedder: LocalE5Embedding, tally: Tally
) -> None:
    """The library served by the Graph-shaped server as a document library, each item's
    readers given as its grants, synced, mirrored and indexed: every reader's answers hold
    nothing of an item they may not read, nor of one whose grants map to no access group
    (and the control reader's do find those they may read)."""
    library = shared.library
    readers = [*readers, list(POOL)]  # the control reader, who may read everything, last
    note(shared.describe())
    graph = Graph()
    for doc in library.docs:
        graph.put(doc.rel, doc.text().encode(), shared.grants[doc.rel], _mime(doc))
    hidden = {graph.put(d.rel, d.text().encode(), g, _mime(d)): d for d, g in shared.unpublished}
    with tempfile.TemporaryDirectory() as tmp, serving(graph):
        synced = sync(
            source_of(graph, site_groups=SITE_GROUPS), Path(tmp) / "mirror", ACCESS_GROUPS
        )
        skipped = {p.file: p.reason for p in synced.problems}
        unpublished = {graph.drive_item(i)["webUrl"]: d for i, d in hidden.items()}
        assert skipped == dict.fromkeys(unpublished, "permissions"), synced.problems
        root = (synced.root / LIBRARY).resolve()
        settings_, indexed = _index_mirror(tmp, synced.root, root, embedder)
        # Every document with the readers its grants give; no item that maps to no one.
        assert indexed.keys() == {d.rel for d in library.docs}
        for doc in library.docs:
            expected = sorted(library.readers(doc.folder, doc.name) or ["*"])
            assert list(indexed[doc.rel].groups) == expected, doc.rel
        never = {
            text: f"{d.rel}, shared only in ways that map to no access group"
            for d in hidden.values()
            for text in (d.marker, d.title, *d.sentences, (root / d.rel).as_posix())
        }
        asked = [s for d in hidden.values() for s in d.sentences]
        _ask_every_reader(settings_, library, readers, root, indexed, tally, never, asked)
    tally.sharepoint_examples += 1
    tally.sharepoint_unpublished += len(hidden)


def _mime(doc: Doc) -> str:
    return "text/markdown" if doc.name.endswith(".md") else "text/plain"
