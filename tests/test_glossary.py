"""The English-to-Swedish glossary an English question is searched with when no model
translates it: phrases win over the words inside them, plural, -ed and -ing forms match,
Swedish questions and model translations are left alone, and the packaged glossary gives
a real question the documents' terms."""

from __future__ import annotations

from fakes import ScriptedChatModel

from assistant.query.rewrite import Rewriter
from assistant.settings import RetrievalSettings
from assistant.text.glossary import Glossary, forms, load_glossary

SMALL = Glossary(
    {
        "local government act": ["kommunallagen"],
        "local": ["lokal"],
        "government": ["regeringen"],
        "municipality": ["kommun"],
        "appeal": ["överklaga"],
        "grant": ["bidrag"],
        "authority": ["myndighet"],
        "tax": ["skatt"],
        "park": ["park"],
        "parking": ["parkering"],
        "decide": ["besluta"],
        "plan": ["plan"],
        "planning": ["planering"],
    }
)


def test_a_phrase_wins_over_the_words_inside_it() -> None:
    assert SMALL.terms("What does the Local Government Act say?") == ["kommunallagen"]
    assert SMALL.terms("Which local government decides?") == ["lokal", "regeringen", "besluta"]


def test_plural_ed_and_ing_forms_match() -> None:
    assert SMALL.terms("Appealed grants") == ["överklaga", "bidrag"]
    assert SMALL.terms("appealing against the authorities' taxes") == [
        "överklaga",
        "myndighet",
        "skatt",
    ]
    assert SMALL.terms("Who decided?") == SMALL.terms("deciding") == ["besluta"]
    assert forms("planned") == ("planned", "planned", "plan")
    assert forms("status") == ("status", "status", "status")


def test_a_word_spelt_as_an_entry_is_that_entry() -> None:
    # "parking" and "park" share a stem; the spelling decides, then the shorter entry.
    assert SMALL.terms("parking") == ["parkering"]
    assert SMALL.terms("parks") == ["park"]
    assert SMALL.terms("parked") == ["park"]
    assert SMALL.terms("planning") == ["planering"]


def test_terms_the_question_holds_are_not_repeated() -> None:
    assert SMALL.terms("May the kommun appeal, and may the municipality appeal?") == ["överklaga"]


def test_no_phrase_crosses_a_sentence_mark() -> None:
    assert SMALL.terms("Local. Government act") == ["lokal", "regeringen"]


def test_the_packaged_glossary_gives_a_real_question_the_documents_terms() -> None:
    glossary = Glossary.english()
    question = (
        "Can the municipality demand repayment of a housing adaptation grant, and how do "
        "I appeal the decision under the Administrative Procedure Act?"
    )
    terms = glossary.terms(question)
    for expected in (
        "kommun",
        "återbetalning",
        "bostadsanpassningsbidrag",
        "överklaga",
        "beslut",
        "förvaltningslagen",
    ):
        assert expected in terms
    # Phrases won: no "bostad" for "housing", no "bidrag" for "grant".
    assert "bostad" not in terms
    assert "bidrag" not in terms


def test_the_packaged_glossary_knows_staff_words() -> None:
    glossary = Glossary.english()
    asked = {
        "What is the notice period?": "uppsägningstid",
        "Is flexitime allowed for teachers?": "flextid",
        "Which supervisory authority is responsible?": "tillsynsmyndighet",
        "What does the Local Government Act say about the fee?": "kommunallagen",
        "How are personal data breaches reported?": "personuppgiftsincident",
    }
    for question, term in asked.items():
        assert term in glossary.terms(question), question
    assert "kommun" not in glossary.terms("What does the Local Government Act say?")


def test_the_packaged_glossary_is_well_formed() -> None:
    entries = load_glossary()
    assert len(entries) > 500
    assert all(key == key.lower().strip() for key in entries)
    assert all(terms and all(t.strip() for t in terms) for terms in entries.values())


def test_a_swedish_question_is_searched_as_asked() -> None:
    rewriter = Rewriter(None, RetrievalSettings())
    question = "Hur överklagar jag ett beslut om bostadsanpassningsbidrag?"
    assert rewriter.in_swedish(question, "sv", {}) == question
    timings: dict[str, float] = {}
    english = "How do I appeal a decision on a housing adaptation grant?"
    # Searched as asked, with the glossary's Swedish terms beside it (not deciding support).
    assert rewriter.in_swedish(english, "en", timings) == english
    assert rewriter.bridge(english, english) == (
        "överklaga överklagande beslut bostadsanpassningsbidrag"
    )
    assert rewriter.bridge(question, question) is None
    assert not timings


def test_a_model_translation_is_searched_without_the_glossary() -> None:
    settings = RetrievalSettings(translate_questions=True)
    chat = ScriptedChatModel(["Hur överklagar jag ett beslut?"])
    rewriter = Rewriter(chat, settings)
    english = "How do I appeal a decision?"
    assert rewriter.in_swedish(english, "en", {}) == "Hur överklagar jag ett beslut?"
    # A failed translation leaves the glossary's terms.
    failing = Rewriter(ScriptedChatModel([]), settings)
    assert failing.in_swedish(english, "en", {}) == english
    assert failing.bridge(english, english) == "överklaga överklagande beslut"
    assert rewriter.bridge(english, "Hur överklagar jag ett beslut?") is None
