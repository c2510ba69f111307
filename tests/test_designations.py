"""Designations and section references: read alike from documents and from questions."""

from __future__ import annotations

import pytest

from assistant.text.designations import (
    asked_sections,
    designations,
    own_designations,
    sections,
)


@pytest.mark.parametrize(
    ("question", "named"),
    [
        ("Vad säger 5 kap. 3 § KL?", {"kl"}),
        ("Enligt kommunallagen, vem beslutar om budgeten?", {"kl"}),
        ("22 § FL – när ska ett beslut motiveras?", {"fl"}),
        ("Vad var uppdraget i dir. 2009:71?", {"dir 2009:71"}),
        ("BFS 1992:46 – vilka åtgärder ger bidrag?", {"bfs 1992:46"}),
        ("Vad gäller enligt VervaFS 2007:1?", {"vervafs 2007:1"}),
        ("12 § LIVSFS 2006:22", {"livsfs 2006:22"}),
        ("Vad föreslogs i prop. 2012/13:144?", {"prop 2012/13:144"}),
        ("Vad kom HD fram till i NJA 2014 s. 499?", {"nja 2014 s 499"}),
        ("AD 2013 nr 63 om läkarintyg", {"ad 2013 nr 63"}),
        ("Ds 1998:10 och SOU 2007:34", {"ds 1998:10", "sou 2007:34"}),
        ("Mål T 170-08 i Högsta domstolen", {"mål t 170-08"}),
        # Asked in English about Swedish documents.
        ("Who opposed the shipping support in Government Bill 2012/13:144?", {"prop 2012/13:144"}),
        ("What is the Labour Court judgment AD 2013 no. 63 about?", {"ad 2013 nr 63"}),
        ("What did the Supreme Court decide in NJA 2014 p. 499?", {"nja 2014 s 499"}),
        ("What did the terms of reference 2009:71 ask for?", {"dir 2009:71"}),
        ("Under the Administrative Procedure Act, may we correct a decision?", {"fl"}),
        ("Does the Act on accessibility to digital public services apply?", {"dos"}),
        # A law named by its whole title, or by the abbreviation staff use.
        ("Vad säger lagen om offentlig upphandling om direktupphandling?", {"lou"}),
        ("Gäller DOS-lagen för kommunens app?", {"dos"}),
        # Not designations: a plain law word, a year, a time, a count, a subject.
        ("Hur söker man bostadsanpassningsbidrag?", set()),
        ("Is our website accessible to everyone?", set()),
        ("What does the Higher Education Act say about appeals?", set()),
        ("Vad gäller enligt lagen om valet 2026 kl. 8:30?", set()),
        ("Hur många dagar ledigt får man?", set()),
    ],
)
def test_questions_name_documents_canonically(question: str, named: set[str]) -> None:
    assert designations(question) == named


def test_a_document_is_called_by_its_title_head_and_file_name() -> None:
    law = own_designations(
        "Kommunallag", "beteckning: 2017:725 rubrik: Kommunallag", "SFS_2017-725_kommunallag.md"
    )
    assert {"kl", "sfs 2017:725"} <= set(law)
    bill = own_designations(
        "Regeringens proposition", "2012/13:144", "Prop_2012-13-144_sjofart.docx"
    )
    assert "prop 2012/13:144" in bill
    ruling = own_designations(
        "ReferatLagrummet", "NJA 2014 s. 499\nMålnummer: T3592-13", "NJA_2014_s499.docx"
    )
    assert {"nja 2014 s 499", "mål t 3592-13"} <= set(ruling)
    # A law whose title is a phrase is called by its short name; a document that only
    # cites that law in its first lines is not.
    dos = own_designations(
        "Lag (2018:1937) om tillgänglighet till digital offentlig service",
        "SFS 2018:1937",
        "SFS_2018-1937_tillganglighet_digital_offentlig_service.md",
    )
    assert {"dos", "sfs 2018:1937"} <= set(dos)
    citing = own_designations(
        "Boverkets föreskrifter om bostadsanpassningsbidrag",
        "Med stöd av lagen (2018:222) om bostadsanpassningsbidrag föreskriver Boverket",
        "BFS_1992-46_bostadsanpassningsbidrag.pdf",
    )
    assert "bab" not in citing
    # A policy without a designation is called by none.
    assert own_designations("IT-policy", "Antagen av kommunfullmäktige", "it-policy.pdf") == ()
    # What the question names meets what the document is called.
    assert designations("Vad säger 5 kap. 3 § KL?") <= set(law)


def test_sections_come_from_headings_and_section_lines() -> None:
    path = ("Kommunallag", "5 kap. Fullmäktige", "Fullmäktiges uppgifter", "3 §")
    assert sections(path, "Fullmäktige får uppdra åt en nämnd att besluta.") == ("5 kap. 3 §",)
    text = "3 § Bidrag får lämnas för åtgärder.\n4 a § Ansökan görs hos kommunen."
    assert sections(("BFS 1992:46",), text) == ("3 §", "4a §")
    assert sections(("Inledning",), "Enligt 3 § gäller ...") == ()  # a reference, not a start


@pytest.mark.parametrize(
    ("question", "asked"),
    [
        ("Vad säger 5 kap. 3 § KL?", {"5 kap. 3 §"}),
        ("22 § FL", {"22 §"}),
        ("Vad gäller enligt 4 a § i förordningen?", {"4a §"}),
        ("Vad betyder det?", set()),
    ],
)
def test_questions_ask_for_sections(question: str, asked: set[str]) -> None:
    assert asked_sections(question) == asked
