"""Feedback and the Granskning page in a real browser: the app served by Streamlit
(the fixtures of ``chromium``, no sign-in, so the viewer is the local admin), driven by
Playwright in headless Chromium. Answers are extractive, so no language model is needed."""

from __future__ import annotations

import re

from chromium import ANSWER_MS, FIRST_ANSWER_MS
from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeout


def test_thumbs_down_with_a_reason_reaches_the_log(app_url: str, page: Page) -> None:
    page.goto(app_url)
    box = page.get_by_test_id("stChatInputTextArea")
    expect(box).to_be_editable(timeout=FIRST_ANSWER_MS)
    box.fill("När ska sommarsemester sökas?")
    box.press("Enter")
    expect(page.get_by_text("Citerat ur dokumenten")).to_be_visible(timeout=FIRST_ANSWER_MS)

    # Thumbs down opens the reason and the comment; Skicka stores them.
    page.get_by_role("radio", name="Tummen ned").click()
    reason = page.get_by_test_id("stSelectbox").filter(has_text="Vad var fel?")
    expect(reason).to_be_visible(timeout=ANSWER_MS)
    reason.click()
    page.get_by_role("option", name="Ofullständigt svar").click()
    page.get_by_label("Kommentar (valfritt)").fill("Saknar när beskedet kommer.")
    page.get_by_role("button", name="Skicka", exact=True).click()
    expect(page.get_by_text("Tack för din återkoppling")).to_be_visible(timeout=ANSWER_MS)
    expect(page.get_by_role("button", name="Skicka", exact=True)).to_have_count(0)

    # Granskning lists the answer with its verdict; opened, it shows the reason.
    page.get_by_role("link", name="Granskning").click()
    expect(page.get_by_role("heading", name="Granskning")).to_be_visible(timeout=ANSWER_MS)
    expect(page.get_by_text("1 post, nyaste först.")).to_be_visible()
    opener = page.get_by_test_id("stSelectbox").filter(has_text="Öppna en post")
    option = page.get_by_role("option", name=re.compile("När ska sommarsemester sökas"))
    for _ in range(3):  # on a busy machine the first click can land before the list is live
        opener.click()
        try:
            option.wait_for(timeout=10_000)
            break
        except PlaywrightTimeout:
            continue
    option.click()
    record = page.get_by_test_id("stVerticalBlock").filter(has_text="Återkoppling: tummen ned")
    expect(record.last).to_contain_text("Ofullständigt svar", timeout=ANSWER_MS)
    expect(record.last).to_contain_text("Saknar när beskedet kommer.")
    expect(record.last).to_contain_text("semester.md")
