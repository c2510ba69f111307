"""The app in a real browser: ``streamlit run ui/app.py`` as its own process over an indexed
copy of the example documents, driven by Playwright in Debian's headless Chromium.

Answers are extractive, so no language model is needed. Chromium is started with every
background service off, so it talks to nothing but the app on the loopback interface.
Skipped only when Chromium (``/usr/bin/chromium``) or the ``playwright`` package is missing.
"""

from __future__ import annotations

from pathlib import Path

from chromium import ANSWER_MS, FIRST_ANSWER_MS
from playwright.sync_api import Page, expect

from assistant.query.prompts import load_phrases

# The innermost Streamlit block around an element: for a card's anchor, the bordered card.
CARD = "xpath=ancestor::div[@data-testid='stVerticalBlock'][1]"
NO_SUPPORT = load_phrases("sv").no_support


def _ask(page: Page, question: str) -> None:
    box = page.get_by_test_id("stChatInputTextArea")
    expect(box).to_be_editable(timeout=FIRST_ANSWER_MS)
    box.fill(question)
    box.press("Enter")


def test_ask_see_the_source_and_a_refusal(app_url: str, page: Page, tmp_path: Path) -> None:
    page.goto(app_url)
    _ask(page, "När ska sommarsemester sökas?")

    # The answer: its text with a linked citation marker, then the citation card.
    answer = page.get_by_test_id("stChatMessage").filter(has=page.locator("sup a")).last
    expect(answer).to_contain_text("31 mars", timeout=FIRST_ANSWER_MS)
    marker = answer.locator("sup a", has_text="[1]").first
    expect(marker).to_have_attribute("href", "#kalla-0-1")
    card = answer.locator("#kalla-0-1").locator(CARD)
    expect(card).to_contain_text("semester.md")

    # The marker leads to its card; the card's source viewer shows the quote marked.
    marker.click()
    expect(card).to_be_in_viewport()
    card.get_by_text("Visa källan").click()
    mark = card.locator("mark").first
    expect(mark).to_be_visible(timeout=ANSWER_MS)
    expect(mark).to_contain_text("31 mars")
    expect(mark).to_be_in_viewport(ratio=1)  # the expander has opened (not clipped)

    shot = tmp_path / "answer.png"
    page.screenshot(path=str(shot), full_page=True, animations="disabled")
    assert shot.stat().st_size > 1000
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    # A question the documents do not answer is refused, not guessed.
    _ask(page, "Vad kostar ett busskort för pensionärer?")
    refusal = page.get_by_test_id("stAlertContentInfo").get_by_text(NO_SUPPORT)
    expect(refusal).to_be_visible(timeout=ANSWER_MS)
