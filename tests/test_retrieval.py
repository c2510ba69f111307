"""Retrieval over real documents: the Hunspell compound splitter, Swedish and English
analysis, in-force documents first, no near-duplicates, and short hits widened. Real
parser, real e5, real Qdrant Edge."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import date

import pytest
from records import chunk_record

from assistant.errors import ConfigError
from assistant.models.embeddings import LocalE5Embedding
from assistant.query.contract import Passage
from assistant.query.rank import distinct, in_force_first
from assistant.query.retrieve import Retriever
from assistant.settings import Settings, load_settings
from assistant.store import EVERYONE, Hit, Search, SearchMode
from assistant.store.edge import EdgeStore
from assistant.text.compounds import CompoundSplitter, dictionary_files
from assistant.text.sparse import SparseEncoder
from ingest.sync import IngestJob


@pytest.mark.parametrize(
    ("word", "parts"),
    [
        ("förskoleplacering", ["förskole", "placering"]),
        ("parkeringstillstånd", ["parkering", "tillstånd"]),  # not parkering|stillstånd
        ("biståndshandläggare", ["bistånd", "handläggare"]),
        ("personuppgiftsbiträdesavtal", ["personuppgift", "biträde", "avtal"]),
        ("hemtjänstinsatserna", ["hemtjänst", "insats"]),
        ("Kommunfullmäktige", ["kommun", "fullmäktig"]),
    ],
)
def test_compounds_split_into_dictionary_words(word: str, parts: list[str]) -> None:
    assert CompoundSplitter.swedish().split(word) == parts


@pytest.mark.parametrize("word", ["förvaltning", "information", "utbildning", "beslutet", "IT"])
def test_plain_words_are_not_split(word: str) -> None:
    assert CompoundSplitter.swedish().split(word) == []


def test_compound_parts_meet_the_phrase_in_both_directions() -> None:
    with_parts, without = SparseEncoder(compounds=True), SparseEncoder(compounds=False)
    document = "Ansökan om förskoleplacering görs i e-tjänsten."
    question = "Hur söker jag placering i förskola?"
    shared = set(with_parts.document(document)[0]) & set(with_parts.query(question)[0])
    assert len(shared) >= 2  # placering and förskola
    assert not set(without.document(document)[0]) & set(without.query(question)[0])
    reverse = set(with_parts.document("Tillstånd för parkering söks hos trafikenheten.")[0])
    assert len(reverse & set(with_parts.query("Vem beviljar parkeringstillstånd?")[0])) >= 2


def test_english_passages_get_english_analysis() -> None:
    sparse = SparseEncoder()
    text = "The contractor reported the incidents which applied to the employees."
    english, swedish = set(sparse.document(text, "en")[0]), set(sparse.document(text, "sv")[0])
    # English stemming joins the forms a question uses with the document's.
    question = set(sparse.query("reporting incident")[0])
    assert len(english & question) == 2
    assert len(swedish & question) < 2
    # English stop words are not terms of an English passage.
    assert not english & set(sparse.query("the which")[0])
    assert swedish & set(sparse.query("the which")[0])


def _passage(
    chunk_id: str, text: str, score: float, similarity: float, **fields: str | bool
) -> Passage:
    record = chunk_record(chunk_id, text, **fields)
    return Passage.from_hit(Hit(chunk_id, score, record), similarity)


def test_documents_in_force_come_first() -> None:
    today = date(2026, 11, 23)
    old = _passage("old", "a", 0.9, 0.90, superseded=True)
    expired = _passage("expired", "b", 0.8, 0.88, valid_until="2026-10-31")
    current = _passage("current", "c", 0.7, 0.87, valid_until="Tills vidare")
    weak = _passage("weak", "d", 0.6, 0.80, valid_until="2027-12-31")
    ranked = [p.chunk_id for p in in_force_first([old, expired, current, weak], "", today)]
    # Not in force: below a passage in force that is nearly as similar (within 0.05 for
    # superseded, 0.02 for expired), above one that is clearly less similar.
    assert ranked == ["current", "old", "expired", "weak"]
    assert expired.validity(today) == "expired"
    assert expired.validity(date(2026, 10, 1)) is None
    # A question naming the year in a document's title asks for that document.
    old_2023 = dataclasses.replace(old, title="Riktlinje 2023")
    asked = in_force_first([old_2023, current], "Vad gällde 2023?", today)
    assert [p.chunk_id for p in asked] == ["old", "current"]
    assert in_force_first([old_2023, current], "Vad gällde 2024?", today)[0] is current


def test_a_superseded_document_goes_after_its_successor_but_is_not_hidden() -> None:
    today = date(2026, 11, 23)
    old = _passage(
        "old", "a", 0.9, 0.90, superseded=True, superseded_by="Riktlinje för bisysslor 2025"
    )
    successor = _passage("new", "b", 0.5, 0.70, title="Riktlinje för bisysslor 2025")
    unrelated = [_passage(f"u{i}", "c", 0.8 - i / 100, 0.80) for i in range(12)]
    ranked = [p.chunk_id for p in in_force_first([old, successor, *unrelated], "", today)]
    # After everything in force when what replaced it is there, however less similar.
    assert ranked[-1] == "old"
    # Replaced by a document given by its designation.
    by_designation = dataclasses.replace(
        old, record=old.record.model_copy(update={"superseded_by": "BFS 1992:15"})
    )
    named = _passage("bfs", "d", 0.4, 0.60, designations=("bfs 1992:15",))
    ranked = [p.chunk_id for p in in_force_first([by_designation, named, *unrelated], "", today)]
    assert ranked[-1] == "old"
    # Without its successor among clearly less similar passages, it stays first.
    alone = [p.chunk_id for p in in_force_first([old, *unrelated], "", today)]
    assert alone[0] == "old"


def test_near_duplicates_leave_the_ranking() -> None:
    rule = "Bidraget är 3 000 kronor per år och betalas ut mot kvitto från en godkänd aktivitet."
    ranked = [
        _passage("v2025", f"Riktlinje 2025. {rule}", 0.9, 0.9),
        _passage("v2024", f"Riktlinje 2024. {rule}", 0.8, 0.9),
        _passage("other", "Semester söks senast den 31 mars i personalsystemet.", 0.7, 0.8),
    ]
    assert [p.chunk_id for p in distinct(ranked)] == ["v2025", "other"]


@pytest.fixture(scope="module")
def indexed(
    tmp_path_factory: pytest.TempPathFactory, embedder: LocalE5Embedding
) -> Iterator[tuple[Settings, EdgeStore]]:
    """Small policy documents: two versions of one guideline, an expired one, one with
    short sections, a compound-only wording, and two regulations named by designation."""
    root = tmp_path_factory.mktemp("retrieval")
    docs = root / "docs"
    docs.mkdir()
    rule = (
        "Medarbetare får friskvårdsbidrag med högst 3 000 kronor per kalenderår. Bidraget "
        "betalas ut mot kvitto från en aktivitet som Skatteverket godkänner som friskvård."
    )
    (docs / "friskvard-2025.md").write_text(
        f"Gäller till: Tills vidare\n\n# Friskvårdsbidrag 2025\n\n## Bidrag\n\n{rule}\n"
    )
    (docs / "friskvard-2024.md").write_text(
        f"Ersatt av: Friskvårdsbidrag 2025\n\n# Friskvårdsbidrag 2024\n\n## Bidrag\n\n{rule}\n"
    )
    (docs / "forskola.md").write_text(
        "# Barnomsorg\n\n## Ansökan\n\nAnsökan om förskoleplacering görs i kommunens "
        "e-tjänst senast fyra månader före önskat startdatum.\n"
    )
    (docs / "larm.md").write_text(
        "# Larmrutin\n\n## Brandlarm\n\nRing 112.\n\n"
        "## Efter larmet\n\nSamla alla vid återsamlingsplatsen vid parkeringen och "
        "räkna in personalen enligt närvarolistan innan någon går in igen.\n"
    )
    # Two regulations on one subject, named only by their designations and sections.
    (docs / "BFS_1991-36_ventilation.md").write_text(
        "# Boverkets föreskrifter om funktionskontroll av ventilationssystem\n\n"
        "BFS 1991:36\n\n## 2 §\n\nBesiktning ska göras innan systemet tas i bruk.\n\n"
        "## 3 §\n\nÅterkommande besiktning av ventilationssystem ska göras vart tredje år "
        "i skolor och daghem.\n"
    )
    (docs / "BFS_1992-15_ventilation.md").write_text(
        "# Ändring i föreskrifterna om funktionskontroll av ventilationssystem\n\n"
        "BFS 1992:15\n\n## 3 §\n\nÅterkommande besiktning av ventilationssystem ska "
        "göras vart sjätte år i flerbostadshus och kontor.\n"
    )
    settings = load_settings(data_dir=root / "data", retrieval={"widen_below_tokens": 40})
    store = EdgeStore.open(settings)
    try:
        report = IngestJob(settings, store, embedder).run([docs])
        assert not report.failed, report.summary()
        yield settings, store
    finally:
        store.close()


def _retriever(settings: Settings, store: EdgeStore, **retrieval: object) -> Retriever:
    tuned = settings.retrieval.model_copy(update=retrieval)
    return Retriever(store, LocalE5Embedding(model_name="e5"), tuned)


def test_compound_wording_is_found_by_bm25_alone(indexed: tuple[Settings, EdgeStore]) -> None:
    _, store = indexed
    sparse = SparseEncoder().query("När ska man söka placering i förskola?")
    hits = store.search(
        Search(dense=None, sparse=sparse, groups=[], limit=3, mode=SearchMode.SPARSE)
    )
    assert hits
    assert hits[0].record.file == "forskola.md"
    assert EVERYONE in hits[0].record.groups


def test_one_version_of_a_duplicated_guideline_in_force_first(
    indexed: tuple[Settings, EdgeStore],
) -> None:
    settings, store = indexed
    retrieval = _retriever(settings, store).retrieve("Hur stort är friskvårdsbidraget?", [])
    assert retrieval.passages[0].file == "friskvard-2025.md"
    # The superseded version repeats the rule word for word: only the one in force stays.
    assert [p.file for p in retrieval.passages if "3 000 kronor" in p.text] == ["friskvard-2025.md"]


def test_a_short_hit_is_widened_with_its_neighbour_on_the_page(
    indexed: tuple[Settings, EdgeStore],
) -> None:
    settings, store = indexed
    retriever = _retriever(settings, store)
    retrieval = retriever.retrieve("Vilket nummer ringer man vid brandlarm?", [])
    hit = next(p for p in retrieval.passages if "Ring 112" in p.text)
    widened = retriever.widened(hit)
    assert "återsamlingsplatsen" in widened.text
    assert widened.text.count("Ring 112") == 1
    assert widened.chunk_id == hit.chunk_id  # still cited as the hit
    off = _retriever(settings, store, widen_below_tokens=0)
    assert off.widened(hit).text == hit.text


def test_a_missing_dictionary_is_a_clear_configuration_error() -> None:
    with pytest.raises(ConfigError, match="hunspell-sv-absent"):
        dictionary_files("hunspell-sv-absent")
    SparseEncoder(compounds=False)  # still possible without the dictionary


def test_a_document_named_by_its_designation_comes_first_even_when_superseded() -> None:
    today = date(2026, 11, 23)
    old = _passage("old", "a", 0.5, 0.80, superseded=True, designations=("bfs 1991:36",))
    new = _passage("new", "b", 0.9, 0.90, designations=("bfs 1992:15",))
    section = _passage(
        "old-3", "c", 0.4, 0.79, superseded=True, designations=("bfs 1991:36",), sections=("3 §",)
    )
    other = _passage("other", "d", 0.95, 0.91)
    plain = [
        p.chunk_id for p in in_force_first([old, new, section, other], "OVK-intervaller", today)
    ]
    assert plain == ["other", "new", "old", "old-3"]  # superseded last when nothing is named
    named = in_force_first([old, new, section, other], "Vad säger 3 § BFS 1991:36?", today)
    # The named document first, its named section before its other passages.
    assert [p.chunk_id for p in named] == ["old-3", "old", "other", "new"]


def test_a_question_naming_a_designation_and_section_gets_that_passage_first(
    indexed: tuple[Settings, EdgeStore],
) -> None:
    settings, store = indexed
    retriever = _retriever(settings, store)
    for question, file, says in (
        ("Vad säger 3 § BFS 1991:36?", "BFS_1991-36_ventilation.md", "vart tredje år"),
        ("Vad säger 3 § BFS 1992:15?", "BFS_1992-15_ventilation.md", "vart sjätte år"),
    ):
        first = retriever.retrieve(question, []).passages[0]
        assert first.file == file, question
        assert says in first.text
        assert "3 §" in first.record.sections
    # Each document carries its designation, and a card that says what it is.
    cards = [p for p in retriever.retrieve("BFS 1991:36", []).passages if p.record.kind == "card"]
    assert cards
    assert cards[0].file == "BFS_1991-36_ventilation.md"
    assert "Beteckning: BFS 1991:36" in cards[0].text
