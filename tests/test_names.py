"""What a sentence names, and whether a passage states it: inflection does not count."""

from __future__ import annotations

import pytest

from assistant.text.names import Stated, body, dates, named, proper_names, sections

# -- bodies and roles ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("word", "key"),
    [
        ("nämnden", "nämnd"),
        ("nämndens", "nämnd"),
        ("nämnderna", "nämnd"),
        ("Byggnadsnämndens", "byggnadsnämnd"),
        ("kommunstyrelsen", "kommunstyrelse"),
        ("Länsstyrelsen", "länsstyrelse"),
        ("kommunfullmäktiges", "kommunfullmäktige"),
        ("Skatteverket", "skatteverk"),
        ("Boverkets", "boverk"),
        ("tillsynsmyndigheten", "tillsynsmyndighet"),
        ("Skolinspektionen", "skolinspektion"),
        ("lönekontoret", "lönekontor"),
        ("socialförvaltningen", "socialförvaltning"),
        ("Lagrådet", "lagråd"),
        ("förvaltningsrätten", "förvaltningsrätt"),
        ("domstolen", "domstol"),
        ("regeringens", "regering"),
        ("riksdagen", "riksdag"),
        ("kommunerna", "kommun"),
        ("förvaltningschefen", "förvaltningschef"),
        ("ordföranden", "ordförande"),
        ("committee's", "en:committee"),
        ("municipalities", "en:municipality"),
    ],
)
def test_a_body_in_any_form_has_one_key(word: str, key: str) -> None:
    assert body(word) == key


@pytest.mark.parametrize(
    "word",
    [
        "omnämnd",  # "mentioned"
        "benämnd",
        "området",  # "the area", not a council
        "samrådet",  # "the consultation"
        "rådet",  # alone: "the advice"
        "regelverket",
        "nätverket",
        "omyndighet",
        "rätten",  # "the right"
        "kontoret",  # alone: a place
        "skatteverket",  # agencies are named capitalised
        "förvaltningslagen",
    ],
)
def test_words_that_only_look_like_bodies_are_none(word: str) -> None:
    assert body(word) is None


# -- proper names ---------------------------------------------------------------------------


def test_proper_names_are_capitalised_words_past_the_sentence_start() -> None:
    found = proper_names("Ansökan skickas till Försäkringskassan av Anna Berg.")
    assert found == {"försäkringskassan", "anna", "berg"}


def test_a_capital_after_a_colon_or_full_stop_is_no_name() -> None:
    assert proper_names("Svar: Ansökan görs skriftligt. Den prövas.") == set()
    assert proper_names("No. The application is made in writing.") == set()


def test_designations_and_law_names_are_not_read_as_names() -> None:
    claim = named("Enligt 5 kap. 3 § KL och SFS 2017:725 gäller the Local Government Act.")
    assert claim.names == frozenset()
    assert claim.designations == {"kl", "sfs 2017:725"}


def test_a_name_s_genitive_is_the_name() -> None:
    assert (
        Stated("Beslut av Försäkringskassan.").missing(named("Enligt Försäkringskassans regler."))
        == []
    )
    assert Stated("Karlshamns kommun.").missing(named("Policyn i Karlshamn gäller.")) == []


# -- sections and dates ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("enligt 5 kap. 3 § KL", {"5 kap.", "3 §"}),
        ("3 a § gäller", {"3a §"}),
        ("3 och 4 §§", {"3 §", "4 §"}),
        ("2–4 §§", {"2 §", "3 §", "4 §"}),
        ("antagen av KF 2018-06-18 § 98", {"98 §"}),
        ("under section 9", {"9 §"}),
        ("the Act (13 ch. 14 §)", {"13 kap.", "14 §"}),
        ("in chapter 2", {"2 kap."}),
    ],
)
def test_section_references(text: str, found: set[str]) -> None:
    assert sections(text) == found


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("senast den 31 mars 2019", {(2019, 3, 31)}),
        ("beslutad 2018-06-18", {(2018, 6, 18)}),
        ("senast 30 april", {(None, 4, 30)}),
        ("i kraft från juli 2018", {(2018, 7, None)}),
        ("by 12 May 2017", {(2017, 5, 12)}),
        ("on June 18, 2018", {(2018, 6, 18)}),
        ("the board may 2 times a year", set()),  # "may" the verb
    ],
)
def test_dates(text: str, found: set[tuple[int | None, int, int | None]]) -> None:
    assert dates(text) == found


# -- a claim against a passage --------------------------------------------------------------

PASSAGE = Stated(
    "Riktlinje för bygglov\nByggnadsnämnden beslutar om bygglov. Beslutet kan överklagas till "
    "länsstyrelsen enligt 13 kap. 3 § senast den 1 juli 2018. Högsta domstolen har prövat frågan."
)


@pytest.mark.parametrize(
    "claim",
    [
        "Byggnadsnämndens beslut om bygglov.",
        "Nämnden beslutar om bygglov.",  # a bare head: any nämnd of the passage
        "Nämnderna beslutar.",
        "Myndigheten beslutar om bygglov.",  # a generic authority: any body
        "Länsstyrelsen prövar överklagandet enligt 13 kap. 3 §.",
        "Överklagandet ska ha kommit in senast 2018-07-01.",
        "Överklagandet ska ha kommit in senast den 1 juli.",
        "Enligt HD gäller detta.",
        "The committee decides on building permits.",  # a nämnd meets a committee
    ],
)
def test_what_the_passage_states_in_another_form_is_stated(claim: str) -> None:
    assert PASSAGE.missing(named(claim)) == []


@pytest.mark.parametrize(
    ("claim", "missing"),
    [
        ("Det är kommunstyrelsen som beslutar om bygglov.", ["kommunstyrelse"]),
        ("Beslutet kan överklagas till regeringen.", ["regering"]),
        ("Beslutet överklagas till Skatteverket.", ["skatteverk"]),
        ("Enligt 12 kap. 3 § överklagas beslutet.", ["12 kap."]),
        ("Beslutet överklagas senast den 1 juni 2018.", ["2018-6-1"]),
        ("Frågan har prövats av Kammarrätten i Göteborg.", ["kammarrätt", "göteborg"]),
        ("Enligt SFS 2017:725 beslutar nämnden.", ["sfs 2017:725"]),
        ("Beslutet fattades av Anna Berg.", ["anna", "berg"]),
        ("The government decides on building permits.", ["en:government"]),
    ],
)
def test_what_the_passage_does_not_state_is_missing(claim: str, missing: list[str]) -> None:
    assert PASSAGE.missing(named(claim)) == missing


def test_the_document_s_own_designations_count_as_stated() -> None:
    passage = Stated("Fullmäktige beslutar i ärenden av principiell beskaffenhet.", ["kl"])
    assert passage.missing(named("Enligt kommunallagen beslutar fullmäktige.")) == []
    assert passage.missing(named("Enligt förvaltningslagen beslutar fullmäktige.")) == ["fl"]


def test_a_passage_may_name_an_agency_in_the_indefinite() -> None:
    passage = Stated("Samråd med Statens skolverk och Statens skolinspektion.")
    assert passage.missing(named("Utredaren samråder med Skolverket och Skolinspektionen.")) == []
    assert body("livsmedelsinspektion") is None  # in a claim: an inspection
