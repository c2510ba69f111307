"""Key facts: read from a reference answer by fixed rules and found in an answer."""

from __future__ import annotations

from evals.facts import fact_metrics, key_facts, stated


def values(facts):
    return [f.value for f in facts]


def test_numbers_dates_designations_and_number_words_are_facts():
    facts = key_facts(
        "Bidraget är 3 000 kronor och betalas ut inom två veckor, senast den 1 juli 1999 "
        "enligt SFS 1999:175.",
        "Hur stort är bidraget?",
    )
    assert values(facts) == ["3000", "1", "1999", "1999:175", "2", "juli"]


def test_what_the_question_states_and_what_brackets_cite_are_not_asked_for():
    facts = key_facts(
        "Enligt BFS 1992:46 ska ansökan lämnas inom 30 dagar (4 § BFS 1992:46).",
        "Hur lång tid har man enligt BFS 1992:46?",
    )
    assert values(facts) == ["30"]


def test_a_name_counts_only_when_the_evidence_states_it():
    reference = "Länsstyrelsen ska redovisa vilka områden som inte har inventerats."
    assert values(key_facts(reference, "Vad gäller?", ["ska de områden redovisas"])) == []
    facts = key_facts(reference, "Vem?", ["Länsstyrelsen ska redovisa områdena"])
    assert values(facts) == ["länsstyrelsen"]


def test_inflected_and_spelled_out_forms_are_stated():
    facts = key_facts("Beslutet fattas av nämnden inom två veckor.", "Vem beslutar?")
    assert stated(facts, "Nämndens beslut ska komma inom 2 veckor [1]") == [True, True]
    assert stated(facts, "Kommunstyrelsen beslutar inom 3 veckor [1]") == [False, False]


def test_thousands_and_decimals_are_read_alike():
    facts = key_facts("Avgiften är 10 000 kr och räntan 2,5 procent.", "Vad kostar det?")
    assert stated(facts, "10000 kronor, 2.5 %") == [True, True]
    assert stated(facts, "1 000 kronor, 25 %") == [False, False]


def test_correct_means_every_fact_and_a_refusal_states_none():
    facts = key_facts("Lönen betalas ut den 25:e, med 1 756 timmar per år.", "När?")
    assert fact_metrics(facts, "Lön den 25:e [1]", refused=False) == {
        "key_fact_correct": 0.0,
        "key_fact_recall": 0.5,
    }
    assert fact_metrics(facts, "den 25 och 1756 timmar", refused=False)["key_fact_correct"] == 1
    assert fact_metrics(facts, "den 25 och 1756 timmar", refused=True)["key_fact_recall"] == 0
    assert fact_metrics([], "vad som helst", refused=False) == {}


def test_a_designation_in_a_cited_title_is_stated():
    facts = key_facts("Det följer av BFS 1992:46.", "Vad gäller?")
    assert fact_metrics(facts, "Det gäller [1]", False, ["BFS 1992:46 Bostadsanpassning"]) == {
        "key_fact_correct": 1.0,
        "key_fact_recall": 1.0,
    }


def test_an_explicit_list_replaces_the_reference():
    facts = key_facts("Ja, Arbetsmiljöverket 2011.", "Fråga?", explicit=["Sydarkivera"])
    assert values(facts) == ["sydarkivera"]
