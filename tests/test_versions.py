"""Which document a header's reference names (``versions.names``), and the one way a
passage's place is said in words (``contract.where``)."""

from __future__ import annotations

from typing import Any

import pytest

from assistant.query.contract import where
from assistant.query.versions import names

TITLE = "Riktlinje för friskvårdsbidrag 2025"


def test_a_reference_holding_the_whole_title_names_the_document() -> None:
    assert names(f"KS 2024/0388 {TITLE}", TITLE, ())
    assert names(f"Ersatt av: {TITLE.upper()}", TITLE, ())  # case does not matter
    assert not names("KS 2024/0388 Riktlinje för friskvårdsbidrag 2024", TITLE, ())


def test_a_part_of_a_title_does_not_name_it() -> None:
    """ "Riktlinje" would otherwise name every guideline."""
    assert not names("Riktlinje", TITLE, ())
    assert not names("friskvårdsbidrag", TITLE, ())


def test_a_shared_designation_names_the_document_in_its_canonical_form() -> None:
    assert names("BFS 1992:15", "Boverkets föreskrifter", {"bfs 1992:15"})
    assert names("BFS 1992: 15", "Boverkets föreskrifter", {"bfs 1992:15"})
    assert names("Ersätter: kommunallagen (1991:900)", "Kommunallag (2017:725)", {"kl"})
    assert not names("BFS 1992:15", "Boverkets föreskrifter", {"bfs 1992:16"})


def test_a_designation_inside_a_longer_one_or_a_word_does_not_name_it() -> None:
    assert not names("BFS 1992:150", "Boverkets föreskrifter", {"bfs 1992:15"})
    assert not names("Ersätter: rutin för klagomål", "Kommunallag (2017:725)", {"kl"})


@pytest.mark.parametrize("reference", [None, "", "   "])
def test_no_reference_names_nothing(reference: str | None) -> None:
    assert not names(reference, TITLE, {"bfs 1992:15"})


def test_an_empty_title_is_not_in_every_reference() -> None:
    assert not names("Ersatt av: KS 2024/0388", "", ())


@pytest.mark.parametrize(
    ("args", "keywords", "expected"),
    [
        (("resepolicy.pdf",), {}, "resepolicy.pdf"),
        (("resepolicy.pdf", [3]), {}, "resepolicy.pdf, s. 3"),
        (("resepolicy.pdf", [None]), {}, "resepolicy.pdf"),
        (("resepolicy.pdf", [0]), {}, "resepolicy.pdf"),
        (("resepolicy.pdf", [3, 4, 5]), {}, "resepolicy.pdf, s. 3–5"),
        (("resepolicy.pdf", [None, 4, 7]), {}, "resepolicy.pdf, s. 4–7"),
        (("resepolicy.pdf", ["iv"]), {}, "resepolicy.pdf, s. iv"),
        (("resepolicy.pdf", [3], "Ansökan"), {}, "resepolicy.pdf, s. 3, Ansökan"),
        (("resepolicy.pdf", [], "Ansökan"), {}, "resepolicy.pdf, Ansökan"),
        (("resepolicy.pdf", [3], ""), {}, "resepolicy.pdf, s. 3"),
        (("", [], "Ansökan"), {}, "Ansökan"),
        ((["resepolicy.pdf", "Resepolicy", ""], [3]), {}, "resepolicy.pdf, Resepolicy, s. 3"),
        (("resepolicy.pdf", [3], "Ansökan"), {"sep": " · "}, "resepolicy.pdf · s. 3 · Ansökan"),
        (("resepolicy.pdf", [3]), {"sep": " "}, "resepolicy.pdf s. 3"),
        (("resepolicy.pdf", [3], "Ansökan"), {"page_word": "p."}, "resepolicy.pdf, p. 3, Ansökan"),
        (
            ("Resepolicy", [3], "Ansökan"),
            {"heading_sep": " – "},
            "Resepolicy, s. 3 – Ansökan",
        ),
        (
            ("Resepolicy", [3, 5], "Ansökan"),
            {"sep": " – ", "page_in_brackets": True},
            "Resepolicy – Ansökan (s. 3–5)",
        ),
        (("Resepolicy", [], "Ansökan"), {"page_in_brackets": True}, "Resepolicy, Ansökan"),
    ],
)
def test_where_says_the_place_in_one_line(
    args: tuple[Any, ...], keywords: dict[str, Any], expected: str
) -> None:
    assert where(*args, **keywords) == expected
