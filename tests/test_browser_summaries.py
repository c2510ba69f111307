"""Sammanfatta in a real browser: the app served by Streamlit (the fixtures of ``chromium``,
no sign-in, so the viewer is the local admin), driven by Playwright in headless Chromium.
The draft is extractive, so no language model is needed."""

from __future__ import annotations

import re

from chromium import FIRST_ANSWER_MS
from docx import Document
from playwright.sync_api import Page, expect


def test_pick_a_document_and_download_its_draft(app_url: str, page: Page) -> None:
    page.goto(app_url)
    page.get_by_role("link", name="Sammanfatta").click()
    expect(page.get_by_role("heading", name="Sammanfatta")).to_be_visible(timeout=FIRST_ANSWER_MS)

    # Streamlit's multiselect filters its options by the text typed.
    documents = page.get_by_test_id("stMultiSelect").filter(has_text="Dokument att utgå från")
    documents.locator("input").fill("Resepolicy")
    page.get_by_role("option", name=re.compile("Resepolicy för Norrbacka kommun")).click()
    page.keyboard.press("Escape")
    page.get_by_role("button", name="Skriv utkast").click()

    draft = page.get_by_label(re.compile("^Utkastet"))
    expect(draft).to_have_value(re.compile(r"Med tjänsteresa avses.*\[\d+\]", re.S), timeout=30_000)
    word = page.get_by_role("button", name="Ladda ned som Word (DOCX)")
    expect(word).to_be_visible()
    expect(page.get_by_text("Extraktivt utkast")).to_be_visible()

    with page.expect_download() as download:
        word.click()
    assert download.value.suggested_filename == "sammanfattning-resepolicy.docx"
    text = "\n".join(p.text for p in Document(download.value.path()).paragraphs)
    assert "Med tjänsteresa avses" in text
    assert "Källor" in text
