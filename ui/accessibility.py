"""What the served page needs for assistive technology that Streamlit does not give it.

Streamlit serves ``<html lang="en">``, has no way past its sidebar to the content, and
announces nothing when an answer is done; some of its grey text is below 4.5:1. Its
theme (``ui/.streamlit/config.toml``, read because it sits beside ``app.py``) sets the
colours; ``page_support()`` adds, once per page, a small script that:

- sets the page language to Swedish (``lang="sv"``), and ``lang`` on every container
  keyed ``lang-<code>-…`` (an English answer is read with English pronunciation); names
  Streamlit's own controls in Swedish (``NAMES``: "Tummen ned", not "Thumbs down");
- puts skip links first in the Tab order ("Till frågerutan" on a page with a question
  box, then "Till sidans innehåll"), in place of Streamlit's English one;
- keeps one polite live region: the text of an element marked ``data-announce`` (see
  ``announce()``) is read out when it appears, once, so a finished answer is announced
  when it is done, not token by token;
- gives captions, links and focus rings colours and outlines that meet WCAG 2.1 AA.

Everything it changes is checked in Chromium with axe-core (``tests/test_accessibility.py``).
"""

from __future__ import annotations

import html
import json
from datetime import date
from pathlib import Path

import streamlit as st

from assistant.settings import UISettings

LANG = "sv"
# Text colours on the theme's backgrounds; ``tests/test_accessibility.py`` computes their
# contrast (at least 4.5:1 for text, 3:1 for the focus ring) from these and the theme file.
LIGHT_MUTED = "#55534f"
DARK_MUTED = "#c9c5bd"
FOCUS = "#1a5fb4"
DARK_FOCUS = "#8cb8f0"

# Streamlit's own names for its controls and regions (aria-label), in Swedish: a screen
# reader reads them in the page's language.
NAMES = {
    "Thumbs up": "Tummen upp",
    "Thumbs down": "Tummen ned",
    "Feedback rating": "Betyg på svaret",
    "Sidebar": "Sidopanel",
    "App pages": "Sidor",
    "Main menu": "Huvudmeny",
    "Send message": "Skicka frågan",
    "Expand sidebar": "Visa sidopanelen",
    "Collapse sidebar": "Dölj sidopanelen",
    "Clear value": "Rensa värdet",
    "Clear all": "Rensa alla",
    "Selected values": "Valda värden",
    "Open": "Öppna",
    "Close": "Stäng",
    "Stop script": "Avbryt",
    "Link to heading": "Länk till rubriken",
    "Scroll tabs left": "Bläddra flikarna åt vänster",
    "Scroll tabs right": "Bläddra flikarna åt höger",
    "Notifications": "Meddelanden",
    "Markdown content": "Innehåll",
    "Add files": "Lägg till filer",
}

_STYLE = f"""
.assistant-skip {{
  position: absolute; left: 0.5rem; top: -4rem; z-index: 1000100;
  padding: 0.5rem 0.75rem; background: #ffffff; color: #1b1b1b;
  border: 2px solid {FOCUS}; border-radius: 0.25rem; text-decoration: underline;
}}
.assistant-skip:focus {{ top: 0.5rem; }}
.assistant-hidden {{
  position: absolute !important; width: 1px; height: 1px; padding: 0; margin: -1px;
  overflow: hidden; clip: rect(0, 0, 0, 0); white-space: nowrap; border: 0;
}}
.st-key-assistant-support, [data-testid="stSkipToContent"] {{ display: none; }}
[data-testid="stCaptionContainer"], [data-testid="stMarkdownContainer"] blockquote {{
  opacity: 1 !important; }}
html.assistant-light [data-testid="stCaptionContainer"],
html.assistant-light [data-testid="stCaptionContainer"] *,
html.assistant-light [data-testid="stMarkdownContainer"] blockquote,
html.assistant-light [data-testid="stMarkdownContainer"] blockquote * {{ color: {LIGHT_MUTED}; }}
html.assistant-dark [data-testid="stCaptionContainer"],
html.assistant-dark [data-testid="stCaptionContainer"] *,
html.assistant-dark [data-testid="stMarkdownContainer"] blockquote,
html.assistant-dark [data-testid="stMarkdownContainer"] blockquote * {{ color: {DARK_MUTED}; }}
html.assistant-light :focus-visible {{ outline: 3px solid {FOCUS} !important;
  outline-offset: 2px; }}
html.assistant-dark :focus-visible {{ outline: 3px solid {DARK_FOCUS} !important;
  outline-offset: 2px; }}
"""

_SCRIPT = r"""
(() => {
  const doc = window.document;
  if (doc.documentElement.dataset.assistantSupport) return;
  doc.documentElement.dataset.assistantSupport = "1";
  const style = doc.createElement("style");
  style.textContent = __STYLE__;
  doc.head.appendChild(style);

  const live = doc.createElement("div");
  live.id = "assistant-live";
  live.className = "assistant-hidden";
  live.setAttribute("role", "status");
  live.setAttribute("aria-live", "polite");
  live.setAttribute("aria-atomic", "true");
  doc.body.appendChild(live);

  // Streamlit's own skip link is in English and outside any landmark: ours replace it,
  // in a navigation landmark, shown when focused.
  const nav = doc.createElement("nav");
  nav.setAttribute("aria-label", "Genvägar");
  const toQuestion = doc.createElement("a");
  toQuestion.href = "#";
  toQuestion.textContent = "Till frågerutan";
  const toContent = doc.createElement("a");
  toContent.href = "#";
  toContent.textContent = "Till sidans innehåll";
  for (const link of [toQuestion, toContent]) {
    link.className = "assistant-skip";
    nav.appendChild(link);
  }
  doc.body.insertBefore(nav, doc.body.firstChild);
  const questionBox = () => doc.querySelector('[data-testid="stChatInputTextArea"]');
  const focus = (target) => {
    if (!target) return;
    if (!target.matches("textarea, input, button, a[href]")) target.tabIndex = -1;
    target.focus();
  };
  toQuestion.addEventListener("click", (event) => {
    event.preventDefault();
    focus(questionBox());
  });
  toContent.addEventListener("click", (event) => {
    event.preventDefault();
    focus(doc.querySelector('[data-testid="stMain"] h1')
      || doc.querySelector('[data-testid="stMain"]'));
  });

  const NAMES = __NAMES__;
  const said = new WeakSet();
  const luminance = (rgb) => {
    const c = (rgb.match(/[0-9.]+/g) || ["255", "255", "255"]).slice(0, 3).map(Number);
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]);
  };
  const fix = () => {
    const root = doc.documentElement;
    if (root.lang !== "__LANG__") root.lang = "__LANG__";
    const painted = [doc.querySelector('[data-testid="stApp"]'), doc.body]
      .filter(Boolean).map((el) => getComputedStyle(el).backgroundColor)
      .find((colour) => !/^rgba\(.*,\s*0\)$/.test(colour) && colour !== "transparent");
    const dark = painted !== undefined && luminance(painted) < 0.2;
    if (root.classList.contains("assistant-dark") !== dark) {
      root.classList.toggle("assistant-dark", dark);
      root.classList.toggle("assistant-light", !dark);
    }
    if (!root.classList.contains("assistant-light") && !dark) root.classList.add("assistant-light");
    const asking = Boolean(questionBox());
    if (toQuestion.hidden === asking) toQuestion.hidden = !asking;
    for (const el of doc.querySelectorAll("[aria-label]")) {
      const swedish = NAMES[el.getAttribute("aria-label")];
      if (swedish) el.setAttribute("aria-label", swedish);
    }
    for (const el of doc.querySelectorAll('[class*="st-key-lang-"]')) {
      const code = [...el.classList].find((c) => c.startsWith("st-key-lang-"));
      const lang = code && code.split("-")[3];
      if (lang && el.lang !== lang) el.lang = lang;
    }
    for (const el of doc.querySelectorAll("[data-announce]")) {
      if (said.has(el)) continue;
      said.add(el);
      live.textContent = "";
      const text = el.dataset.announce;
      window.setTimeout(() => { live.textContent = text; }, 150);
    }
  };
  let pending = false;
  const soon = () => {  // once per frame, however many nodes a rerun or a token changed
    if (pending) return;
    pending = true;
    window.requestAnimationFrame(() => { pending = false; fix(); });
  };
  fix();
  new MutationObserver(soon).observe(doc.body, { childList: true, subtree: true });
})();
"""


def page_support() -> None:
    """Add the page's language, skip link, live region and styles (once per page load;
    later runs leave them as they are)."""
    script = (
        _SCRIPT.replace("__STYLE__", json.dumps(_STYLE))
        .replace("__NAMES__", json.dumps(NAMES, ensure_ascii=False))
        .replace("__LANG__", LANG)
    )
    with st.container(key="assistant-support"):
        st.html(f"<script>{script}</script>", unsafe_allow_javascript=True)


def announce(text: str) -> None:
    """Have a screen reader say ``text`` politely, once (for example when an answer is
    done): a hidden element the page script reads into its live region."""
    st.html(f'<span class="assistant-hidden" data-announce="{html.escape(text)}"></span>')


def lang_key(lang: str, key: str) -> str:
    """The key of a container whose text is in ``lang`` (the page script sets ``lang``)."""
    return f"lang-{lang}-{key}"


STATEMENT = Path(__file__).with_name("accessibility.sv.md")
REVIEWED = date(2026, 12, 6)  # when the statement's findings were last checked


def statement(ui: UISettings) -> str:
    """The accessibility statement as Markdown, with the organisation, the app's name and
    where to report a problem filled in."""
    contact = ui.accessibility_contact.strip() or "IT-supporten"
    return STATEMENT.read_text(encoding="utf-8").format(
        organisation=ui.organisation, app=ui.title, contact=contact, reviewed=REVIEWED.isoformat()
    )
