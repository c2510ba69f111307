"""WCAG 2.1 AA in a real browser: axe-core on every page, keyboard-only walkthroughs,
reflow at 320 CSS pixels and 200 % zoom, and the theme's contrast computed.

axe-core (the copy inside the ``axe-playwright-python`` package) runs in Debian's
Chromium against the app served by Streamlit (``tests/chromium.py``), on every page an
admin sees (an admin sees every page; an employee sees a subset of the same pages),
before and after a question is answered, a citation opened, a summary drafted and a
record opened. No finding of impact serious or critical may remain; every other finding
must be one the accessibility statement lists (``ui/accessibility.sv.md``). The findings of
each page are written to ``axe-findings.json`` in the test's folder.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from chromium import ANSWER_MS, FIRST_ANSWER_MS, REPO
from playwright.sync_api import Page, expect

from assistant.settings import UISettings
from ui import accessibility

TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
STATEMENT = REPO / "ui" / "accessibility.sv.md"
THEME = REPO / "ui" / ".streamlit" / "config.toml"
MOST_TABS = 80  # a keyboard user reaches anything on a page within this many Tab presses


def _axe(page: Page, where: str, findings: dict[str, list[dict[str, object]]]) -> None:
    """axe-core's WCAG 2.1 A/AA and best-practice rules on the page as it is now."""
    from axe_playwright_python.sync_playwright import Axe

    # Streamlit dims the elements of a run in progress: check the page as it settles.
    page.wait_for_function("() => !document.querySelector('[data-stale=\"true\"]')")
    page.wait_for_timeout(500)
    result = Axe().run(page, options={"runOnly": {"type": "tag", "values": TAGS}})
    findings[where] = [
        {
            "rule": v["id"],
            "impact": v["impact"],
            "nodes": len(v["nodes"]),
            "targets": [n["target"] for n in v["nodes"][:5]],
            "summary": v["nodes"][0].get("failureSummary", "")[:300],
        }
        for v in result.response["violations"]
    ]
    Path("/tmp/axe-progress.json").write_text(json.dumps(findings, indent=1, ensure_ascii=False))


def _check(findings: dict[str, list[dict[str, object]]], out: Path) -> None:
    out.write_text(json.dumps(findings, indent=2, ensure_ascii=False), encoding="utf-8")
    serious = [
        (where, f["rule"], f["impact"], f["targets"], f["summary"])
        for where, found in findings.items()
        for f in found
        if f["impact"] in ("serious", "critical")
    ]
    assert not serious, serious
    listed = STATEMENT.read_text(encoding="utf-8")
    unlisted = sorted(
        {str(f["rule"]) for found in findings.values() for f in found} - set(_rules(listed))
    )
    assert not unlisted, f"findings the statement does not list: {unlisted}"


def _rules(statement: str) -> list[str]:
    """The axe rule ids the statement names (written as `rule-id`)."""
    return re.findall(r"`([a-z0-9-]+)`", statement)


def _ask(page: Page, question: str) -> None:
    box = page.get_by_test_id("stChatInputTextArea")
    expect(box).to_be_editable(timeout=FIRST_ANSWER_MS)
    box.fill(question)
    box.press("Enter")


def _open(page: Page, name: str) -> None:
    page.get_by_test_id("stSidebarNavItems").get_by_role("link", name=name).click()
    expect(page.get_by_role("heading", name=name, level=1)).to_be_visible(timeout=ANSWER_MS)


def test_every_page_has_no_serious_finding(app_url: str, page: Page, tmp_path: Path) -> None:
    findings: dict[str, list[dict[str, object]]] = {}
    page.goto(app_url)
    expect(page.get_by_test_id("stChatInputTextArea")).to_be_editable(timeout=FIRST_ANSWER_MS)
    assert page.evaluate("document.documentElement.lang") == "sv"
    _axe(page, "Fråga", findings)

    _ask(page, "När ska sommarsemester sökas?")
    answer = page.get_by_test_id("stChatMessage").filter(has=page.locator("sup a")).last
    expect(answer).to_contain_text("31 mars", timeout=FIRST_ANSWER_MS)
    _axe(page, "Fråga, besvarad", findings)
    answer.get_by_text("Visa källan").first.click()
    expect(answer.locator("mark").first).to_be_visible(timeout=ANSWER_MS)
    _axe(page, "Fråga, källan öppen", findings)
    _ask(page, "Vad kostar ett busskort för pensionärer?")
    expect(page.get_by_test_id("stAlertContainer").last).to_be_visible(timeout=ANSWER_MS)
    _axe(page, "Fråga, inget stöd", findings)

    _open(page, "Sammanfatta")
    _axe(page, "Sammanfatta", findings)
    documents = page.get_by_test_id("stMultiSelect").filter(has_text="Dokument att utgå från")
    documents.locator("input").fill("Resepolicy")
    page.get_by_role("option", name=re.compile("Resepolicy för Norrbacka kommun")).click()
    page.keyboard.press("Escape")
    page.get_by_role("button", name="Skriv utkast").click()
    expect(page.get_by_role("button", name="Ladda ned som Word (DOCX)")).to_be_visible(
        timeout=ANSWER_MS
    )
    _axe(page, "Sammanfatta, utkast", findings)

    for name in ("Admin", "Utvärdering", "Granskning"):
        _open(page, name)
        _axe(page, name, findings)
    page.get_by_test_id("stSelectbox").filter(has_text="Öppna en post").click()
    page.get_by_role("option", name=re.compile("När ska sommarsemester sökas")).click()
    expect(page.get_by_text("semester.md").last).to_be_visible(timeout=ANSWER_MS)
    _axe(page, "Granskning, post öppen", findings)
    page.get_by_role("tab", name="Kunskapsluckor").click()
    expect(page.get_by_text("Per vecka")).to_be_visible(timeout=ANSWER_MS)
    _axe(page, "Granskning, kunskapsluckor", findings)
    _open(page, "Tillgänglighet")
    _axe(page, "Tillgänglighet", findings)
    _check(findings, tmp_path / "axe-findings.json")


def test_the_dark_theme_has_no_serious_finding(
    app_url: str, chromium: Callable[..., Any], tmp_path: Path
) -> None:
    """The app follows the system's dark setting; the same rules hold there."""
    context = chromium().new_context(
        viewport={"width": 1280, "height": 1400}, locale="sv-SE", color_scheme="dark"
    )
    page = context.new_page()
    findings: dict[str, list[dict[str, object]]] = {}
    page.goto(app_url)
    expect(page.get_by_test_id("stChatInputTextArea")).to_be_editable(timeout=FIRST_ANSWER_MS)
    assert page.evaluate("document.documentElement.classList.contains('assistant-dark')")
    _ask(page, "När ska sommarsemester sökas?")
    answer = page.get_by_test_id("stChatMessage").filter(has=page.locator("sup a")).last
    expect(answer).to_contain_text("31 mars", timeout=FIRST_ANSWER_MS)
    _axe(page, "Fråga, besvarad, mörkt tema", findings)
    _open(page, "Granskning")
    _axe(page, "Granskning, mörkt tema", findings)
    context.close()
    _check(findings, tmp_path / "axe-findings.json")


def _contrast(one: str, other: str) -> float:
    """WCAG 2.1 contrast ratio of two #rrggbb colours."""

    def luminance(colour: str) -> float:
        channels = [int(colour.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4)]
        r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    high, low = sorted((luminance(one), luminance(other)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_contrast_computes_like_wcag() -> None:
    assert _contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert _contrast("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)  # the AA edge
    assert _contrast("#ffffff", "#ffffff") == pytest.approx(1.0)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_theme_colours_meet_aa(scheme: str) -> None:
    theme = tomllib.loads(THEME.read_text(encoding="utf-8"))["theme"][scheme]
    muted = accessibility.LIGHT_MUTED if scheme == "light" else accessibility.DARK_MUTED
    focus = accessibility.FOCUS if scheme == "light" else accessibility.DARK_FOCUS
    for background in (theme["backgroundColor"], theme["secondaryBackgroundColor"]):
        for text in (theme["textColor"], theme["linkColor"], theme["grayTextColor"], muted):
            assert _contrast(text, background) >= 4.5, (scheme, text, background)
        # Controls and the focus ring: 3:1 against what they sit on (WCAG 1.4.11).
        assert _contrast(focus, background) >= 3, (scheme, focus, background)
        assert _contrast(theme["primaryColor"], background) >= 3, (scheme, background)
    assert _contrast("#ffffff", theme["primaryColor"]) >= 4.5, "a primary button's label"


def _focused(page: Page) -> dict[str, str]:
    """The focused element: its tag, text or label, and whether its focus is visible."""
    result: dict[str, str] = page.evaluate(
        r"""() => {
          const el = document.activeElement;
          const spoken = (node) => {  // its text as a screen reader has it: no hidden icons
            const copy = node.cloneNode(true);
            copy.querySelectorAll('[aria-hidden="true"]').forEach((n) => n.remove());
            return copy.textContent.replace(/\s+/g, " ");
          };
          const style = getComputedStyle(el);
          const ring = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
          return {
            tag: el.tagName.toLowerCase(),
            name: (el.getAttribute("aria-label") || spoken(el) || el.value || "").trim(),
            testid: el.dataset.testid || "",
            role: el.getAttribute("role") || "",
            ring: String(ring || style.boxShadow !== "none"),
          };
        }"""
    )
    return result


def _tab_to(page: Page, wanted: Callable[[dict[str, str]], bool], back: bool = False) -> None:
    """Press Tab (or Shift+Tab) until the focused element is the wanted one; its focus
    must be visible, and it must come within ``MOST_TABS`` presses."""
    for _ in range(MOST_TABS):
        page.keyboard.press("Shift+Tab" if back else "Tab")
        focused = _focused(page)
        if wanted(focused):
            assert focused["ring"] == "true", f"focus not visible on {focused}"
            return
    pytest.fail(f"not reached by the keyboard; focus ended on {_focused(page)}")


def _named(text: str) -> Callable[[dict[str, str]], bool]:
    """A focusable element whose name (label or text) holds ``text``."""
    return lambda focused: _control(focused) and text in focused["name"]


def _control(focused: dict[str, str]) -> bool:
    """A control (not a scrollable region that takes focus, whose text is everything)."""
    return focused["tag"] in ("a", "button", "input", "textarea", "summary") or focused["role"] in (
        "button",
        "link",
        "tab",
        "radio",
        "checkbox",
        "option",
        "combobox",
    )


def _field(page: Page, testid: str, label: str) -> Callable[[dict[str, str]], bool]:
    """The text box of the Streamlit widget ``testid`` labelled ``label``."""
    script = f"document.activeElement.closest('[data-testid={testid}]')?.innerText || ''"
    return lambda focused: focused["tag"] == "input" and page.evaluate(script).startswith(label)


def test_ask_and_open_a_citation_with_the_keyboard_only(app_url: str, page: Page) -> None:
    page.goto(app_url)
    expect(page.get_by_test_id("stChatInputTextArea")).to_be_editable(timeout=FIRST_ANSWER_MS)
    page.keyboard.press("Tab")
    assert _focused(page)["name"] == "Till frågerutan", "the first stop skips to the question"
    page.keyboard.press("Enter")
    assert _focused(page)["testid"] == "stChatInputTextArea"
    page.keyboard.type("När ska sommarsemester sökas?")
    page.keyboard.press("Enter")
    answer = page.get_by_test_id("stChatMessage").filter(has=page.locator("sup a")).last
    expect(answer).to_contain_text("31 mars", timeout=FIRST_ANSWER_MS)
    # The live region says the answer once it is done.
    expect(page.locator("#assistant-live")).to_contain_text("31 mars", timeout=ANSWER_MS)

    _tab_to(page, _named("Källa 1: "), back=True)  # the marker names where it leads
    assert re.fullmatch(r"Källa 1: .+", _focused(page)["name"])
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#kalla-0-1"
    _tab_to(page, _named("Visa källan"))
    page.keyboard.press("Enter")
    expect(answer.locator("mark").first).to_be_visible(timeout=ANSWER_MS)
    _tab_to(page, _named("Ladda ned originalet"))
    with page.expect_download() as download:
        page.keyboard.press("Enter")
    assert download.value.suggested_filename == "semester.md"

    # Feedback: thumbs down (named in Swedish), a reason, sent.
    _tab_to(page, _named("Tummen upp"))  # a radio group: Tab enters, arrows choose
    page.keyboard.press("ArrowRight")
    assert _focused(page)["name"] == "Tummen ned"
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Skicka", exact=True)).to_be_visible(timeout=ANSWER_MS)
    _tab_to(page, lambda focused: _control(focused) and focused["name"] == "Skicka")
    page.keyboard.press("Enter")
    sent = page.get_by_role("button", name="Skicka", exact=True)
    expect(sent).to_have_count(0, timeout=ANSWER_MS)


def _to_page_by_keyboard(page: Page, app_url: str, name: str) -> None:
    """From the app's first page to page ``name`` through its menu link, by keyboard."""
    page.goto(app_url)
    expect(page.get_by_test_id("stChatInputTextArea")).to_be_editable(timeout=FIRST_ANSWER_MS)
    _tab_to(page, _named(name))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=name, level=1)).to_be_visible(timeout=ANSWER_MS)


def test_draft_and_download_a_summary_with_the_keyboard_only(app_url: str, page: Page) -> None:
    _to_page_by_keyboard(page, app_url, "Sammanfatta")
    _tab_to(page, _field(page, "stMultiSelect", "Dokument att utgå från"))
    page.keyboard.type("Resepolicy")
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")
    _tab_to(page, _named("Skriv utkast"))
    chosen = page.get_by_test_id("stMultiSelect").filter(has_text="Dokument att utgå från")
    expect(chosen).to_contain_text("Resepolicy för Norrbacka kommun")
    # Known limit (in the statement): Streamlit's multiselect also takes the option that is
    # highlighted when Tab leaves it, so a second document is chosen here as well.
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Ladda ned som Word (DOCX)")).to_be_visible(
        timeout=ANSWER_MS
    )
    _tab_to(page, _named("Ladda ned som Word (DOCX)"))
    with page.expect_download() as download:
        page.keyboard.press("Enter")
    name = download.value.suggested_filename
    assert name.startswith("sammanfattning-resepolicy"), name
    assert name.endswith(".docx"), name


def test_run_an_evaluation_with_the_keyboard_only(app_url: str, page: Page) -> None:
    _to_page_by_keyboard(page, app_url, "Utvärdering")
    _tab_to(page, _field(page, "stSelectbox", "Testsvit"))
    page.keyboard.type("examples")
    page.keyboard.press("Enter")
    _tab_to(page, _named("Kör utvärdering"))
    page.keyboard.press("Enter")
    expect(page.get_by_text(re.compile("Mått"))).to_be_visible(timeout=180_000)


@pytest.mark.parametrize(("width", "scale"), [(320, 1), (640, 2)], ids=["320px", "zoom200"])
def test_the_page_reflows_without_sideways_scrolling(
    app_url: str, chromium: Callable[..., Any], tmp_path: Path, width: int, scale: int
) -> None:
    """320 CSS pixels wide, and 200 % zoom of a 1280 px window (640 CSS pixels at twice
    the pixel density): no text needs scrolling sideways. Screenshots in the test folder."""
    browser = chromium()
    context = browser.new_context(
        viewport={"width": width, "height": 900}, device_scale_factor=scale, locale="sv-SE"
    )
    page = context.new_page()
    page.goto(app_url)
    expect(page.get_by_test_id("stChatInputTextArea")).to_be_editable(timeout=FIRST_ANSWER_MS)
    _ask(page, "När ska sommarsemester sökas?")
    answer = page.get_by_test_id("stChatMessage").filter(has=page.locator("sup a")).last
    expect(answer).to_contain_text("31 mars", timeout=FIRST_ANSWER_MS)
    page.wait_for_timeout(500)
    page.screenshot(path=str(tmp_path / f"answer-{width}px-x{scale}.png"), full_page=True)
    overflow = page.evaluate(
        """() => [...document.querySelectorAll('[data-testid=stMain] p, [data-testid=stMain] li')]
            .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 1)
            .map((el) => el.innerText.slice(0, 60))"""
    )
    assert not overflow, f"text beyond the right edge at {width}px: {overflow}"
    assert page.evaluate("document.scrollingElement.scrollWidth") <= width + 1
    context.close()


def test_the_statement_names_the_organisation_and_where_to_report() -> None:
    ui = UISettings(
        title="Norrbackas dokumentassistent",
        organisation="Norrbacka kommun",
        accessibility_contact="tillganglighet@norrbacka.se",
    )
    text = accessibility.statement(ui)
    assert text.startswith("Norrbacka kommun står bakom Norrbackas dokumentassistent.")
    assert "Kontakta tillganglighet@norrbacka.se" in text
    for required in ("2018:1937", "WCAG 2.1", "Digg", "Rapportera brister", "delvis förenlig"):
        assert required in text, required
    assert "{" not in text, "every field filled in"
    assert "Kontakta IT-supporten" in accessibility.statement(UISettings())
