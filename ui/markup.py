"""Document text made safe to show: HTML escaped, Markdown neutralised, quotes marked.

Everything shown from a document or an answer goes through here, because the app renders
Markdown with HTML allowed (for citation links and ``<mark>``).
"""

from __future__ import annotations

import html
import re

# Characters that start Markdown (or Streamlit's LaTeX, emoji and directives) anywhere,
# and what starts a list, quote or heading at the beginning of a line.
_MARKDOWN = re.compile(r"([\\`*_{}\[\]#|$~:])")
_LINE_START = re.compile(r"^(\s*\d*)([-+=.)])", re.MULTILINE)
_MARKER = re.compile(r"\\\[(\d+)\\\]")


def text(value: str) -> str:
    """Plain text for ``st.markdown``: no HTML, no Markdown, line breaks kept."""
    escaped = _MARKDOWN.sub(r"\\\1", html.escape(value, quote=False))
    escaped = _LINE_START.sub(lambda m: m.group(1) + "\\" + m.group(2), escaped)
    return escaped.replace("\n", "  \n")


def anchor(key: str, n: int) -> str:
    """The HTML id of citation card ``n`` of one answer."""
    return f"kalla-{key}-{n}"


_LEAD_QUOTE = re.compile(r"”[^”]+”")


def answer_text(answer: str, key: str, cited: dict[int, str]) -> str:
    """The answer as Markdown, each ``[n]`` a link to its citation card below, named (for
    a screen reader, and as its tooltip) by where it leads: ``cited[n]``, e.g. "Källa 1:
    Resepolicy, sida 2"."""

    def link(match: re.Match[str]) -> str:
        n = int(match.group(1))
        if n not in cited:
            return match.group(0)
        name = html.escape(cited[n], quote=True)
        a = f'<a href="#{anchor(key, n)}" title="{name}" aria-label="{name}">[{n}]</a>'
        return f"<sup>{a}</sup>"

    return _MARKER.sub(link, text(answer))


def lead_quote(shown: str) -> str:
    """A quoted answer with its first quotation, the sentence that states the asked fact,
    marked."""
    return _LEAD_QUOTE.sub(r"<mark>\g<0></mark>", shown, count=1)


def highlighted(passage: str, quote: str) -> str:
    """The passage as HTML with the quote inside ``<mark>``; the text itself escaped."""
    span = find_quote(passage, quote)
    if span is None:
        return html.escape(passage)
    start, end = span
    return (
        html.escape(passage[:start])
        + "<mark>"
        + html.escape(passage[start:end])
        + "</mark>"
        + html.escape(passage[end:])
    )


def find_quote(passage: str, quote: str) -> tuple[int, int] | None:
    """Where the quote is in the passage, allowing different whitespace."""
    words = quote.split()
    if not words:
        return None
    pattern = r"\s+".join(re.escape(w) for w in words)
    match = re.search(pattern, passage)
    return match.span() if match else None
