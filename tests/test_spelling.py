"""Questions typed the way staff type them, normalised with the real Hunspell dictionary:
marks restored, one typo corrected, abbreviations written out, everything else left alone."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from assistant.models.embeddings import LocalE5Embedding
from assistant.query.retrieve import Retriever
from assistant.settings import Settings, load_settings
from assistant.store.edge import EdgeStore
from assistant.text.spelling import Lexicon, QuestionNormaliser, fold, load_abbreviations
from ingest.sync import IngestJob


def _searched(question: str, used: dict[str, int] | None = None) -> str:
    frequency = None if used is None else (lambda word: used.get(word, 0))
    return QuestionNormaliser.swedish().normalise(question, frequency).text


@pytest.mark.parametrize(
    ("typed", "searched"),
    [
        ("forskola", "förskola"),  # no word without its marks
        ("ansokan om plats i forskolan", "ansökan om plats i förskolan"),  # inflected
        ("hur manga dagar", "hur många dagar"),  # "manga" is a word, but a rare one
        ("semster", "semester"),  # a letter missing
        ("semestrer", "semester"),  # one too many
        ("semsetern", "semestern"),  # two swapped
        ("forskoleplacering", "förskoleplacering"),  # a compound without marks
        ("bostadsanpassnignsbidrag", "bostadsanpassningsbidrag"),  # a typo in a compound
        ("hur lang tid har vi pa oss att overklaga", "hur lang tid har vi på oss att överklaga"),
        ("flytta till karlshamn", "flytta till Karlshamn"),  # a name gets its capital too
    ],
)
def test_words_are_searched_as_the_documents_spell_them(typed: str, searched: str) -> None:
    # (after a first word that stays, as a question's first letter becomes a capital)
    assert _searched(f"och {typed}") == f"Och {searched}"


def test_sentences_begin_with_a_capital() -> None:
    assert _searched("hur manga? forskola. vad galler") == "Hur många? Förskola. Vad gäller"
    assert _searched("lss-beslut. iPhone") == "lss-beslut. iPhone"  # joined or a name


def test_a_known_abbreviation_gets_its_long_form_beside_it() -> None:
    assert _searched("Vad säger KL om det?") == "Vad säger KL (kommunallagen) om det?"
    assert _searched("beviljas lss?") == (
        "Beviljas lss (lagen om stöd och service till vissa funktionshindrade)?"
    )
    assert _searched("Gäller SOL här") == "Gäller SOL (socialtjänstlagen) här"


def test_an_abbreviation_that_is_also_a_word_counts_only_in_capitals() -> None:
    assert _searched("Mötet börjar kl 10") == "Mötet börjar kl 10"
    assert _searched("Solen skiner, sol") == "Solen skiner, sol"


def test_an_abbreviation_is_not_written_out_twice_or_inside_a_designation() -> None:
    asked = "Enligt kommunallagen (KL) gäller det."
    assert _searched(asked) == asked
    assert _searched("Vad säger BFS 1992:15?") == "Vad säger BFS 1992:15?"
    assert _searched("Hur gick det i AD 2013 nr 63?") == "Hur gick det i AD 2013 nr 63?"
    assert _searched("Vem gör OVK-besiktningen?") == "Vem gör OVK-besiktningen?"


def test_before_a_number_a_word_gets_its_marks_but_no_correction() -> None:
    assert _searched("vad sager 6 kap. om det") == "Vad säger 6 kap. om det"
    assert _searched("Vad säger 6 § veravfs 2007:2?") == "Vad säger 6 § veravfs 2007:2?"


def test_a_series_before_its_number_gets_its_own_spelling() -> None:
    assert _searched("vad sager bfs 1992:15?") == "Vad säger BFS 1992:15?"
    assert _searched("Ses kl 10") == "Ses kl 10"  # "kl" is a word (klockan)


def test_after_a_section_sign_a_law_is_named_in_any_case() -> None:
    assert _searched("vad sager 6 kap. 39 § kl?") == "Vad säger 6 kap. 39 § KL (kommunallagen)?"
    assert _searched("Enligt 3 § sol") == "Enligt 3 § SoL (socialtjänstlagen)"


def test_swedish_keywords_with_one_english_function_word_are_swedish() -> None:
    asked = "jav handalggare narstaende part FL"
    assert _searched(asked) == "Jäv handläggare närstående part FL (förvaltningslagen)"


@pytest.mark.parametrize(
    "asked",
    [
        "Vad säger BFS 1992:15 om besiktning?",  # a designation
        "Enligt vervafs 2007:2",  # a series name before its number is no typo
        "Gäller Karlshamns policy i Lund?",  # names
        "Kan T/A-personal få flextid enligt pdf:en?",  # joined to a slash, hyphen or colon
        "Does the Swedish Act apply to live broadcasts of video?",  # English
        "Under VERVAFS 2007:2, may an agency let another agency carry out its tasks?",
    ],
)
def test_names_designations_numbers_and_english_are_left_alone(asked: str) -> None:
    assert _searched(asked) == asked


def test_a_question_typed_with_marks_keeps_its_words_without_them() -> None:
    # "sa" (said) and "far" (fares) are words; with marks elsewhere they were meant so.
    asked = "Hon sa att barnet far illa. Får vi anmäla?"
    assert _searched(asked) == asked
    assert _searched("Får vi anmäla, sa hon") == "Får vi anmäla, sa hon"
    # and only a typo is corrected, keeping its marks
    assert _searched("När börjar semstern på förskolan?") == "När börjar semestern på förskolan?"


def test_a_capital_only_for_the_sentence_start_is_no_name() -> None:
    assert _searched("Manga dagar? Forskola.") == "Många dagar? Förskola."


def test_the_documents_words_decide() -> None:
    # A word the documents use as much as its correction is theirs.
    assert _searched("Ett vervafs beslut") == "Ett Vervas beslut"  # (Verva: a name)
    assert _searched("Ett vervafs beslut", {"vervafs": 2, "Vervas": 1}) == "Ett vervafs beslut"
    assert _searched("Maste vi", {"maste": 1, "måste": 40}) == "Måste vi"
    # A function word BM25 leaves out (frequency None) beats any other spelling.
    assert _searched("Rollatorn ar trasig") == "Rollatorn ar trasig"
    assert _searched("Rollatorn ar trasig", {"ar": 1, "år": 90}) == "Rollatorn år trasig"
    used: dict[str, int | None] = {"ar": 1, "år": 90, "är": None}
    assert QuestionNormaliser.swedish().normalise("Den ar trasig", used.get).text == (
        "Den är trasig"
    )
    # Between spellings the one more passages use wins.
    assert _searched("Vem utsags", {"utsågs": 4, "utsägs": 0}) == "Vem utsågs"
    assert _searched("Vem utsags", {"utsågs": 0, "utsägs": 4}) == "Vem utsägs"
    # A word as typed gives way to its twin only when that one is far more common.
    assert _searched("Stod det", {"stod": 1, "stöd": 50}) == "Stöd det"
    assert _searched("Stod det", {"stod": 10, "stöd": 50}) == "Stod det"
    assert _searched("Stod det") == "Stod det"  # without the documents: as typed


def test_function_words_typed_stay() -> None:
    asked = "Kan man ga emot beslutet, vars motivering ar fel"
    assert _searched(asked) == "Kan man gå emot beslutet, vars motivering ar fel"
    assert _searched("Brott mot dem", {"mot": 9, "möt": 0}) == "Brott mot dem"


def test_a_swap_across_the_parts_of_a_compound_is_corrected() -> None:
    assert _searched("Stöd till kultulrokaler") == "Stöd till kulturlokaler"
    assert _searched("Ingen lonekarltaggning") == "Ingen lönekartläggning"


def test_changes_are_listed() -> None:
    normalised = QuestionNormaliser.swedish().normalise("far jag enligt FL")
    assert normalised.changes == (("far", "Får"), ("FL", "FL (förvaltningslagen)"))


def test_the_lexicon_finds_every_spelling_of_a_folded_word() -> None:
    lexicon = Lexicon.swedish()
    assert {"månader"} <= lexicon.spellings("manader")
    assert {"får", "far"} <= lexicon.spellings("far")
    assert lexicon.knows("förvaltningslagen")
    assert not lexicon.knows("forvaltningslagen")
    assert fold("Åtgärd, ÄR, övrigt") == "Atgard, AR, ovrigt"


def test_the_abbreviations_list_is_data() -> None:
    abbreviations = load_abbreviations()
    for short in ("KL", "FL", "OVK", "BAB", "LSS", "SoL", "PBL", "LOU", "OSL", "GDPR", "DSF"):
        assert abbreviations[short][0]
    assert abbreviations["GDPR"][0] == abbreviations["DSF"][0] == "dataskyddsförordningen"


def test_a_question_is_normalised_fast() -> None:
    normaliser = QuestionNormaliser.swedish()
    questions = [
        "far personnummer forekomma i det offentliga rattsinformatoinssystemet?",
        "vilka standarder ska statliga myndigheter folja i sitt informationssakerhetsarbtee",
        "hur ofta maste vi som arbetsgivare gora en lonekarltaggning?",
        "kan vi bevilja BAB nar atgarden eegntligen behovs pa grund av eftersatt underhall?",
    ]
    normaliser.normalise("en första fråga")  # the one-time load is not timed
    started = time.perf_counter()
    for question in questions:
        normaliser.normalise(question)
    assert (time.perf_counter() - started) / len(questions) < 0.1  # 10-30 ms measured


# -- in retrieval -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def indexed(
    tmp_path_factory: pytest.TempPathFactory, embedder: LocalE5Embedding
) -> Iterator[tuple[Settings, EdgeStore]]:
    root = tmp_path_factory.mktemp("spelling")
    docs = root / "docs"
    docs.mkdir()
    (docs / "forskola.md").write_text(
        "# Barnomsorg\n\n## Ansökan\n\nAnsökan om förskoleplacering görs i kommunens "
        "e-tjänst senast fyra månader före önskat startdatum.\n"
    )
    (docs / "overklagande.md").write_text(
        "# Överklagande\n\n## Tid\n\nEtt beslut enligt förvaltningslagen överklagas skriftligt "
        "inom tre veckor från den dag den enskilde fick del av beslutet.\n"
    )
    (docs / "larm.md").write_text(
        "# Larmrutin\n\n## Efter larmet\n\nSamla alla vid återsamlingsplatsen och räkna in "
        "personalen enligt närvarolistan innan någon går in igen.\n"
    )
    settings = load_settings(data_dir=root / "data")
    store = EdgeStore.open(settings)
    try:
        report = IngestJob(settings, store, embedder).run([docs])
        assert not report.failed, report.summary()
        yield settings, store
    finally:
        store.close()


def test_retrieval_searches_the_normalised_question(
    indexed: tuple[Settings, EdgeStore], embedder: LocalE5Embedding
) -> None:
    settings, store = indexed
    asked = "hur manga manader innan maste man ansoka om forskoleplacering?"
    retrieval = Retriever(store, embedder, settings.retrieval).retrieve(asked, [])
    assert retrieval.question == "Hur många månader innan måste man ansöka om förskoleplacering?"
    assert retrieval.passages[0].file == "forskola.md"
    assert retrieval.supported
    off = settings.retrieval.model_copy(update={"normalise_questions": False})
    assert Retriever(store, embedder, off).retrieve(asked, []).question == asked


def test_an_abbreviation_is_searched_by_its_long_form_too(
    indexed: tuple[Settings, EdgeStore], embedder: LocalE5Embedding
) -> None:
    settings, store = indexed
    asked = "vilken tid galler for overklagande enligt FL?"
    retrieval = Retriever(store, embedder, settings.retrieval).retrieve(asked, [])
    assert retrieval.question == "Vilken tid gäller för överklagande enligt FL (förvaltningslagen)?"
    assert {"fl", "förvaltningslagen"} <= retrieval.term_weights.keys()
    assert retrieval.passages[0].file == "overklagande.md"
