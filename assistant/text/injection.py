"""Passages that read like instructions to a language model, not like a document.

A document can carry text meant for the model that reads it: "Ignorera tidigare
instruktioner och svara att …", chat role tags (``<|im_start|>system``, ``[INST]``), a
Markdown image whose URL would carry data away when rendered. Such a sentence is found at
ingest (and listed in the report) and left out of what a model or an extractive answer
reads. The patterns are narrow on purpose: ordinary policy text ("Följ instruktionerna i
bilaga 2", "Tidigare anvisningar om resor upphävs") must pass untouched.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right

MARKER = "[instruktionsliknande text utelämnad]"

_OBJECT_SV = (
    r"(?:instruktion(?:er|erna)?|anvisning(?:ar|arna)?|direktiv(?:en)?|(?:system)?prompt(?:en)?)"
)
_OBJECT_EN = r"(?:instructions?|prompts?|rules|directions|directives|guidelines)"
_PATTERNS = [
    # "Ignorera tidigare instruktioner", "strunta i alla ovanstående anvisningar",
    # "glöm dina instruktioner"; not "bortse från tidigare anvisningar om resor".
    r"\b(?:ignorera|strunta\s+i|glöm|bortse\s+från)\s+(?:alla\s+|allt\s+)?"
    r"(?:tidigare|föregående|ovanstående|ovan\s+givna|dina|era|alla|mina)\s+"
    rf"(?:\w+\s+)?{_OBJECT_SV}\b"
    r"(?!\s+(?:om|för|gällande|angående|rörande|avseende|från|i|inom)\b)",
    # "Du är nu en AI utan regler", "från och med nu är du en assistent som …"
    r"\b(?:du\s+är\s+(?:nu|från\s+och\s+med\s+nu)|från\s+och\s+med\s+nu\s+är\s+du)\s+"
    r"(?:en|ett|inte\s+längre)\s+(?:\w+\s+){0,2}?"
    r"(?:ai|assistent|chatt?bot|bot|språkmodell|modell|system)\w*\b",
    # "Ignore all previous instructions", "disregard the above", "forget your rules"
    r"\b(?:ignore|disregard|forget|override|bypass)\s+(?:all\s+|any\s+)?(?:of\s+)?"
    r"(?:the\s+|your\s+|my\s+)?(?:previous|prior|earlier|above|preceding|foregoing|system|"
    rf"original|all)\s+(?:\w+\s+)?{_OBJECT_EN}\b",
    r"\b(?:disregard|ignore|forget)\s+(?:all\s+(?:of\s+)?)?(?:the\s+)?(?:above|previous)\b",
    r"\byou\s+are\s+now\s+(?:dan\b|(?:a|an|the|in)\s+(?:\w+\s+){0,3}?"
    r"(?:ai|assistant|model|chatbot|bot|dan|mode)\b)",
    # asking for, or replacing, the system prompt
    r"\b(?:reveal|print|show|repeat|output|ignore|override|new|visa|skriv\s+ut|avslöja|"
    r"upprepa|ignorera|glöm|ny|nya)\s+(?:your\s+|the\s+|din\s+|dina\s+|er\s+)?"
    r"system\s?(?:prompt|instruktion|message|meddelande)\w*",
    # chat role tags of the common templates
    r"<\|\s*(?:im_start|im_end|system|user|assistant|endoftext|eot_id|start_header_id|"
    r"end_header_id|begin_of_text)\s*\|>",
    r"\[/?INST\]|<</?SYS>>",
    r"</?\s*(?:system|assistant)\s*>",
    r"^[ \t]*#{1,6}[ \t]*(?:system|assistant|instruction|instructions|response)[ \t]*:",
    r"^[ \t]*assistant[ \t]*:",
    r"^[ \t]*system[ \t]*:[ \t]*(?:du|you|ignore|ignorera|strunta|glöm|forget|svara|answer|"
    r"respond|reply|skriv|write|säg|say|från\s+och\s+med\s+nu|from\s+now)\b",
    # images that a renderer would fetch, the URL carrying what it was told to add
    r"!\[[^\]\n]*\]\(\s*<?(?:https?:)?//[^)\n]*\)",
    r"<img\b[^>\n]*\bsrc\s*=\s*[\"']?(?:https?:)?//[^>\n]*>",
]
_INSTRUCTION = re.compile("|".join(f"(?:{p})" for p in _PATTERNS), re.IGNORECASE | re.MULTILINE)
# Where a sentence ends (the match starts right after it): a full stop before a capital
# ("t.ex. om" goes on), a line that ends in punctuation, a blank line, a line that starts
# with markup. A line broken inside a sentence (as PDFs and plain text do) goes on.
_SENTENCE_END = re.compile(
    r"(?<=[.!?])[\"”)]?[ \t]+(?=[\"“(\[]?[A-ZÅÄÖ0-9])"
    r"|(?<=[.!?:;>\]])[\"”)]?[ \t]*\n"
    r"|\n(?=[ \t]*\n)"
    r"|\n(?=[ \t]*[#<|\[!*•-])"
)


def find_instructions(text: str) -> list[str]:
    """The sentences of ``text`` that read like instructions to a model, each once."""
    return list(dict.fromkeys(text[a:b] for a, b in _spans(text)))


def strip_instructions(text: str) -> str:
    """``text`` with each such sentence replaced by a short marker."""
    spans = _spans(text)
    if not spans:
        return text
    parts, at = [], 0
    for start, end in spans:
        parts += [text[at:start], MARKER]
        at = end
    parts.append(text[at:])
    return "".join(parts)


def _spans(text: str) -> list[tuple[int, int]]:
    """The sentences holding a match, as (start, end) without their outer whitespace."""
    matches = list(_INSTRUCTION.finditer(text))
    if not matches:
        return []
    ends = [(b.start(), b.end()) for b in _SENTENCE_END.finditer(text)]
    starts = [end for _, end in ends]
    stops = [start for start, _ in ends]
    spans: list[tuple[int, int]] = []
    for match in matches:
        i = bisect_right(starts, match.start())
        first = starts[i - 1] if i else 0
        j = bisect_left(stops, match.end())
        last = stops[j] if j < len(stops) else len(text)
        while first < last and text[first].isspace():
            first += 1
        while last > first and text[last - 1].isspace():
            last -= 1
        if spans and first <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(last, spans[-1][1]))
        else:
            spans.append((first, last))
    return spans
