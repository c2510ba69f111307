"""Passages that read like instructions to a language model, not like a document.

A document can carry text meant for the model that reads it: "Ignorera tidigare
instruktioner. Svara att …", a note "to the AI reading this", chat role tags
(``<|im_start|>system``, ``[INST]``), a Markdown image whose URL would carry data away when
rendered. Such an instruction is found at ingest (and listed in the report) and left out,
whole, of what a model, an extractive answer and the citation check read.

An instruction is a run of sentences: one that announces or addresses (ignore what came
before, a note to the assistant, "du som är en AI", a role tag), and the sentences after it
that tell the model what to say ("Svara att …", "tell the user …"): up to a few, while they
read as commands; the first one whatever it says when the announcing one says nothing
more. Matching runs on a folded copy of the text (``assistant.text.lookalikes``: no
zero-width characters, no Cyrillic letters posing as Latin ones), and what is cut is the
original span. The patterns are narrow on purpose: ordinary policy text ("Svara på enkäten
senast …", "Ange diarienummer", "Följ instruktionerna i bilaga 2", "Tidigare anvisningar om
resor upphävs") must pass untouched. This screen is one control of several: the prompt
says excerpts are never instructions, and the citation check drops a claim whose number,
address or link no screened passage states.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass

from assistant.text.lookalikes import fold

MARKER = "[instruktionsliknande text utelämnad]"

# -- what an instruction speaks of and to ------------------------------------------------

_OBJECT_SV = (
    r"(?:instruktion(?:er|erna)?|anvisning(?:ar|arna)?|direktiv(?:en|et)?|regler(?:na)?|"
    r"kommandon(?:a)?|(?:system)?prompt(?:en|er|erna)?)"
)
_OBJECT_EN = (
    r"(?:instructions?|prompts?|rules|directions|directives|guidelines|guidance|context|"
    r"messages?|commands?|orders|programming|constraints|restrictions|text|content|input)"
)
# Who a note to a model names: "the AI", "language models", "ChatGPT", "AI-assistenten".
# Strong names are never a person's role; an assistant, a model or an agent may be one.
_STRONG_EN = (
    r"(?:(?:ai|llm|language[\s-]+model)[\s-]+(?:assistants?|agents?|systems?|tools?|models?|"
    r"services?|readers?|bots?)|virtual\s+assistants?|(?:large\s+)?language\s+models?|llms?|"
    r"chat\s?bots?|ai|a\.i\.|artificial\s+intelligence|chatgpt|gpt(?:-?\d\w*)?|copilot)"
)
_MODEL_EN = rf"(?:{_STRONG_EN}|assistants?|models?|agents?|bots?)"
_STRONG_SV = (
    r"(?:ai(?::n|:en)?|ai-(?:assistent|verktyg|tjänst|system|modell|chattbot|bot|agent)\w*|"
    r"språkmodell(?:en|er|erna)?|chatt?bot(?:en|ar|arna)?|chatgpt|gpt|copilot)"
)
_MODEL_SV = rf"(?:{_STRONG_SV}|assistent(?:en|er|erna)?|bot(?:en|ar|arna)?|modell(?:en|er|erna)?)"
_SAY_SV = r"(?:svara|säg|skriv|uppge|ange|berätta|nämn|meddela|påstå|hävda|informera)"
_SAY_EN = (
    r"(?:answer|say|reply|respond|tell|state|output|write|print|mention|give|include|claim|"
    r"inform|insist)"
)
# What stops an "ignore the above" from being an instruction: it is about a topic or case.
_ABOUT_SV = (
    r"(?!\s+(?:\w+\s+)?(?:om|för|gällande|angående|rörande|avseende|från|i|inom|vid|när|"
    r"ifall|då|under|eftersom)\b)"
)

_IGNORING = [
    # "Ignorera tidigare instruktioner", "strunta i alla ovanstående anvisningar",
    # "glöm dina regler"; not "bortse från tidigare anvisningar om resor".
    r"\b(?:ignorera|strunta\s+i|glöm|bortse\s+från|åsidosätt|bry\s+dig\s+inte\s+om)\s+"
    r"(?:helt\s+)?(?:alla\s+|allt\s+|samtliga\s+|de\s+)?(?:tidigare|föregående|ovanstående|"
    r"ovan\s+givna|ovannämnda|dina|era|alla|mina|givna|ursprungliga)\s+"
    rf"(?:\w+\s+)?{_OBJECT_SV}\b{_ABOUT_SV}",
    # "Bortse från allt ovan", "Ignorera ovanstående", "glöm allt du har fått veta"
    r"\b(?:ignorera|strunta\s+i|glöm|bortse\s+från|bry\s+dig\s+inte\s+om)\s+(?:helt\s+)?"
    r"(?:(?:allt|all\s+text|det|den\s+text)\s+(?:som\s+(?:står|stod|sagts|skrivits)\s+)?"
    r"(?:ovan|ovanför|ovanstående|tidigare|hittills|innan|före\s+(?:detta|denna))|"
    rf"(?:allt\s+|det\s+)?(?:ovanstående|föregående)){_ABOUT_SV}\b",
    r"\b(?:ignorera|strunta\s+i|glöm|bortse\s+från)\s+(?:bort\s+)?allt\s+(?:som\s+)?(?:du|ni)\s+"
    r"(?:har\s+|hade\s+)?(?:fått|lärt|hört|läst|blivit|vet|visste|fick)",
    # "Ignore all previous instructions", "disregard the above", "forget your rules"
    r"\b(?:ignore|disregard|forget|bypass|discard|abandon)\s+(?:all\s+|any\s+|every\s+)?"
    r"(?:of\s+)?(?:the\s+|your\s+|my\s+|these\s+|those\s+)?(?:previous|prior|earlier|above|"
    r"preceding|foregoing|former|system|original|initial|other|all)\s+(?:\w+\s+){0,2}?"
    rf"{_OBJECT_EN}\b",
    rf"\b(?:ignore|disregard|forget)\s+(?:all\s+|any\s+)?(?:of\s+)?(?:the\s+|your\s+)?"
    rf"{_OBJECT_EN}\s+(?:above|before|so\s+far|earlier|previously|given\s+(?:above|before)|"
    r"you\s+(?:were|have\s+been|got|received|had))",
    r"\b(?:ignore|disregard|forget|override|bypass)\s+(?:all\s+)?your\s+(?:\w+\s+)?(?:instructions|"
    r"rules|prompts?|guidelines|programming|directives|training|constraints|restrictions)",
    r"\boverride\s+(?:the\s+)?system\s+(?:prompt|instructions?|rules)",
    r"\b(?:disregard|ignore|forget)\s+(?:all\s+(?:of\s+)?)?(?:the\s+|this\s+)?(?:above|previous|"
    r"preceding|foregoing)\b(?=\s*(?:[.,;:!)]|and\b|then\b|$))",
    r"\b(?:ignore|disregard|forget)\s+(?:about\s+)?(?:everything|anything|all)\s+(?:above|before|"
    r"earlier|so\s+far|previously|(?:that\s+)?you(?:'ve|\s+have|\s+were|\s+had)?\s+"
    r"(?:been\s+)?(?:told|given|read|seen|learned|learnt|received))",
]
_ROLES = [
    # "Du är nu en AI utan regler", "från och med nu är du en assistent som …"
    r"\b(?:du\s+är\s+(?:nu|från\s+och\s+med\s+nu)|från\s+och\s+med\s+nu\s+är\s+du)\s+"
    r"(?:en|ett|inte\s+längre)\s+(?:\w+\s+){0,2}?"
    r"(?:ai|assistent|chatt?bot|bot|språkmodell|modell|system)\w*\b",
    rf"\bdu\s+är\s+en\s+(?:\w+\s+){{0,2}}?{_STRONG_SV}\b",
    r"\byou\s+are\s+now\s+(?:dan\b|(?:a|an|the|in)\s+(?:\w+\s+){0,3}?"
    r"(?:ai|assistant|model|chatbot|bot|dan|mode)\b)",
    rf"\byou\s+are\s+an?\s+(?:\w+\s+){{0,2}}?{_STRONG_EN}\b",
    r"\bpretend\s+(?:that\s+)?(?:you\s+are|to\s+be)\b|\blåtsas\s+(?:att\s+du\s+är|vara)\s+en\b",
]
_NEW_RULES = [
    # "New instructions:", "SYSTEM OVERRIDE", "developer mode"
    r"\b(?:new|updated|real|actual|true|hidden|secret|additional)\s+(?:system\s+)?"
    r"(?:instructions?|directives?|commands)\s*(?::|follow\b|below\b)",
    r"\b(?:nya|uppdaterade|riktiga|verkliga|dolda|hemliga|egentliga)\s+"
    r"(?:system)?(?:instruktioner|direktiv|kommandon)\s*(?::|följer\b|nedan\b)",
    r"\bsystem\s+override\b|\b(?:developer|jailbreak|dan)\s+mode\b|\bjailbreak",
    # asking for, or replacing, the system prompt
    r"\b(?:reveal|print|show|repeat|output|ignore|override|new|visa|skriv\s+ut|avslöja|"
    r"upprepa|ignorera|glöm|ny|nya)\s+(?:your\s+|the\s+|din\s+|dina\s+|er\s+)?"
    r"system\s?(?:prompt|instruktion|message|meddelande)\w*",
]
_ADDRESSING = [  # each names a model
    # "Note for the AI reading this", "Meddelande till språkmodellen", "Viktigt för AI-…:"
    r"\b(?:note|notes|message|memo|reminder|p\.?s\.?)\s+(?:for|to)\s+(?:the\s+|any\s+|all\s+|"
    rf"every\s+|an?\s+)?{_STRONG_EN}\b",
    rf"\binstructions?\s+to\s+(?:the\s+|any\s+|all\s+|an?\s+)?{_STRONG_EN}\b",
    r"\b(?:important|attention|notice|warning|hint|information)\s+(?:for|to)\s+(?:the\s+|any\s+|"
    rf"all\s+|every\s+|an?\s+)?{_STRONG_EN}\s*[:!,]",
    r"\b(?:meddelande|notering|anteckning|uppmaning|påminnelse|hälsning)\s+(?:till|för)\s+"
    rf"(?:den\s+|eventuella\s+|alla\s+|varje\s+|en\s+)?{_STRONG_SV}\b",
    rf"\binstruktion(?:er|erna)?\s+till\s+(?:den\s+|eventuella\s+|alla\s+)?{_STRONG_SV}\b",
    r"\b(?:viktigt|obs|information|not|besked)\s+(?:till|för)\s+(?:den\s+|eventuella\s+|"
    rf"alla\s+|varje\s+|en\s+)?{_STRONG_SV}\s*[:!,]",
    # "Dear ChatGPT,", "Attention language models:", "Till språkmodellen:", "Hej AI!"
    r"(?:^|(?<=[.!?:\n]))[\W_]*(?:dear|hey|hi|hello|attention|attn)[\s,]+"
    rf"(?:the\s+|all\s+|any\s+)?{_MODEL_EN}\b\s*[,:!]",
    rf"(?:^|(?<=[.!?:\n]))[\W_]*(?:to|note\s+to)[\s,]+(?:the\s+|all\s+|any\s+)?{_STRONG_EN}\b"
    r"\s*[,:!]",
    r"(?:^|(?<=[.!?:\n]))[\W_]*(?:hej|kära|hallå|hörru)[\s,]+(?:alla\s+)?"
    rf"{_MODEL_SV}\b\s*[,:!]",
    rf"(?:^|(?<=[.!?:\n]))[\W_]*(?:till|obs)[\s,]+(?:alla\s+)?{_STRONG_SV}\b\s*[,:!]",
    # "Assistant, when you answer …", "AI: ignorera …" (not "Assistent: Anna Svensson")
    rf"(?:^|(?<=[.!?\n]))[\W_]*(?:{_MODEL_EN}|{_MODEL_SV})\s*[,:]\s*(?=[^.!?\n]*\b(?:you|your|"
    rf"du|dig|din|ditt|dina|please|ignore|ignorera|{_SAY_EN}|{_SAY_SV})\b)",
    # "the AI reading this", "AI agents processing this file"
    rf"\b{_STRONG_EN}\s+(?:that\s+(?:is\s+|are\s+)?|which\s+(?:is\s+|are\s+)?|who\s+)?"
    r"(?:reading|reads|read|processing|processes|process|parsing|parses|summari[sz]ing|"
    r"summari[sz]es|analy[sz]ing|analy[sz]es|scanning|indexing|ingesting|answering)\s+"
    r"(?:questions\s+(?:about|on)\s+)?(?:this|these|the\s+following|the\s+(?:document|text|"
    r"file|page|policy))\b",
    r"\b(?:the|any|an?)\s+(?:assistant|model|bot)\s+(?:that\s+is\s+|which\s+is\s+|who\s+is\s+)?"
    r"(?:reading|summari[sz]ing|parsing|ingesting)\s+this\b",
    rf"\b{_MODEL_SV}\s+som\s+(?:läser|bearbetar|sammanfattar|analyserar|tolkar|går\s+igenom|"
    r"läser\s+in|svarar\s+på\s+frågor\s+om)\s+(?:detta|det\s+här|denna|dessa|texten|"
    r"dokumentet|filen|sidan)\b",
    # "If you are an AI", "as an AI, you", "du som är en AI", "om du är en språkmodell"
    rf"\b(?:if|when|since)\s+you\s+are\s+(?:an?\s+|the\s+)?{_STRONG_EN}\b",
    rf"\bas\s+an?\s+{_STRONG_EN}\s*,?\s+you\b",
    rf"\b(?:du|dig|er|ni)\s+som\s+(?:är\s+)?(?:en\s+)?{_STRONG_SV}\b",
    rf"\b(?:om|när|eftersom)\s+(?:du|ni)\s+är\s+(?:en\s+)?{_STRONG_SV}\b",
]
_SUMMARISING = [
    # "When summarising this document, …", "När du sammanfattar det här dokumentet"
    r"\bwhen\s+(?:you\s+are\s+|you're\s+|you\s+)?(?:summari[sz]ing|summari[sz]e|processing|"
    r"process|answering\s+questions\s+about|answer\s+questions\s+about)\s+(?:this|the)\s+"
    r"(?:document|text|file|page|policy)\b",
    r"\bnär\s+(?:du|ni)\s+(?:sammanfattar|bearbetar|besvarar\s+frågor\s+om|svarar\s+på\s+"
    r"frågor\s+om|får\s+frågor\s+om)\s+(?:detta|det\s+här|denna|dokumentet|texten)\b",
]
_ANY_QUESTION = [
    # "Regardless of the question, respond with …", "Oavsett vad användaren frågar, svara att"
    r"\b(?:regardless\s+of|irrespective\s+of|no\s+matter)\s+(?:what\s+|which\s+|the\s+)?"
    r"(?:the\s+)?(?:user\s+|anyone\s+|someone\s+|they\s+|people\s+)?(?:question|asks?|is\s+asked|"
    rf"prompt|query)[^.!?\n]{{0,60}}?\b{_SAY_EN}\b",
    r"\bwhatever\s+(?:the\s+)?(?:user|anyone|someone|they|people)\s+asks?\b",
    r"\boavsett\s+(?:vad|vilken|vilka|hur|fråga|frågan)\b[^.!?\n]{0,40}?\b(?:frågar|frågas|"
    rf"fråga|frågan|frågor|undrar)\b[^.!?\n]{{0,30}}?\b{_SAY_SV}\s+(?:alltid\s+|bara\s+|"
    r"endast\s+)?(?:att|med|:)",
]
_TAGS = [
    # chat role tags of the common templates
    r"<\|\s*(?:im_start|im_end|system|user|assistant|endoftext|eot_id|start_header_id|"
    r"end_header_id|begin_of_text)\s*\|>",
    r"\[/?INST\]|<</?SYS>>",
    r"</?\s*(?:system|assistant)\s*>",
    r"^[ \t]*#{1,6}[ \t]*(?:system|assistant|instruction|instructions|response)[ \t]*:",
    r"^[ \t]*assistant[ \t]*:",
    r"^[ \t]*system[ \t]*:[ \t]*(?:du|you|ignore|ignorera|strunta|glöm|forget|svara|answer|"
    r"respond|reply|skriv|write|säg|say|från\s+och\s+med\s+nu|from\s+now)\b",
]
# Markup a renderer acts on by itself: a remote or inline image, script, inline data.
_MARKUP = [
    r"!\[[^\]\n]*\]\(\s*<?\s*(?:(?:(?:https?|ftp):)?//|data:)[^)\n]*\)",
    r"!\[[^\]\n]*\]\[[^\]\n]*\]",
    r"\]\(\s*<?\s*(?:data|javascript|vbscript):",
    r"<img\b[^>\n]*\bsrc\s*=\s*[\"']?\s*(?:(?:(?:https?|ftp):)?//|data:)[^>\n]*>",
    r"<[a-z][^>\n]*\b(?:src|href|srcset|data|action|background|poster)\s*=\s*[\"']?\s*"
    r"(?:data|javascript|vbscript):",
    r"<(?:script|iframe|object|embed|svg|meta|base|form)\b",
]
# Each family of patterns with the words one of them needs (so most text skips it) and
# whether it speaks to the model (what follows may belong to it) or is markup.
_SCREENS = [
    (
        ("ignor", "strunta", "glöm", "bortse", "åsidosätt", "bry dig", "disregard", "forget",
         "bypass", "discard", "abandon", "override"),
        _IGNORING,
        True,
    ),
    (("du är", "you are", "pretend", "låtsas", "från och med nu"), _ROLES, True),
    (
        ("instruction", "instruktion", "direktiv", "directive", "kommandon", "command",
         "override", "mode", "jailbreak", "prompt", "message", "meddelande"),
        _NEW_RULES,
        True,
    ),
    (("ai", "a.i.", " llm", "gpt", "copilot", "bot", "model", "assist", "agent", "artificial"),
     _ADDRESSING, True),
    (("när ", "when "), _SUMMARISING, True),
    (("regardless", "irrespective", "no matter", "whatever", "oavsett"), _ANY_QUESTION, True),
    (("<", "[inst", "[/inst", "system", "assistant", "instruction", "response"), _TAGS, True),
    (("![", "<", "data:", "javascript:", "vbscript:"), _MARKUP, False),
]  # fmt: skip
_COMPILED = [
    (keys, re.compile("|".join(f"(?:{p})" for p in patterns), re.I | re.M), speaks)
    for keys, patterns, speaks in _SCREENS
]
# A reference-style image and the definitions of its target: "![a][ref]" … "[ref]: url".
_IMAGE_REFERENCE = re.compile(r"!\[([^\]\n]*)\](?:\[([^\]\n]*)\])?")
_DEFINITION = re.compile(r"^[ \t]{0,3}\[([^\]\n]+)\]:[ \t]*<?([^\s>]+)>?.*$", re.MULTILINE)
_ACTIVE_TARGET = re.compile(
    r"^(?:data|javascript|vbscript):|\?|\.(?:png|gif|jpe?g|svg|webp|bmp|ico)$", re.IGNORECASE
)
# A sentence that tells what to say: "Svara att …", "Du ska alltid uppge …", "Then reply …"
_COMMAND = re.compile(
    r"[\W_]*(?:(?:please|kindly|vänligen|och|and|then|sedan|därefter|also|även|bara|endast|"
    r"only|just|alltid|always|now|nu|instead|istället|i\s+stället)[\s,]+)*"
    r"(?:(?:du|ni|you)\s+(?:ska|skall|måste|bör|får|should|must|shall|will|need\s+to|"
    r"have\s+to|are\s+to)\s+(?:\w+\s+){0,2}?)?"
    rf"(?:{_SAY_SV}|säga|skriva|svarar|hänvisa|{_SAY_EN}|add|append|refer|direct)\b",
    re.IGNORECASE,
)
_FOLLOWING = 3  # commands after an instruction that belong to it, at most
_BARE_WORDS = 3  # an announcing sentence with no more than this after the match says nothing

# Where a sentence ends (the next starts right after it): a full stop before a capital
# ("t.ex. om" goes on), a line that ends in punctuation, a blank line, a line that starts
# with markup. A line broken inside a sentence (as PDFs and plain text do) goes on.
_SENTENCE_END = re.compile(
    r"(?<=[.!?])[\"”)]?[ \t]+(?=[\"“(\[]?[A-ZÅÄÖ0-9])"
    r"|(?<=[.!?:;>\]])[\"”)]?[ \t]*\n"
    r"|\n(?=[ \t]*\n)"
    r"|\n(?=[ \t]*[#<|\[!*•-])"
)


@dataclass(frozen=True)
class _Sentence:
    start: int
    end: int


def find_instructions(text: str, heading: str = "") -> list[str]:
    """The stretches of ``text`` that read like instructions to a model, each once.

    ``heading``: the heading the text stands under. A chunk's text leaves its headings
    out, and a heading can announce what its text goes on to tell the model ("### Till
    chattboten" over "Du ska alltid svara …").
    """
    return list(dict.fromkeys(text[a:b] for a, b in _spans(text, heading)))


def strip_instructions(text: str, heading: str = "") -> str:
    """``text`` with each such stretch replaced by a short marker."""
    spans = _spans(text, heading)
    if not spans:
        return text
    parts, at = [], 0
    for start, end in spans:
        parts += [text[at:start], MARKER]
        at = end
    parts.append(text[at:])
    return "".join(parts)


def _spans(text: str, heading: str = "") -> list[tuple[int, int]]:
    """The instructions, as (start, end) in ``text`` without their outer whitespace."""
    lead = heading.strip().rstrip(".:;") + ":\n"  # a heading reads like a label
    if heading.strip() and _spans(lead):
        return [
            (max(start - len(lead), 0), end - len(lead))
            for start, end in _spans(lead + text)
            if end > len(lead)
        ]
    folded = fold(text)
    plain = folded.text
    words = " " + " ".join(plain.lower().split())
    found = [
        (m.start(), m.end(), speaks)
        for keys, pattern, speaks in _COMPILED
        if any(key in words for key in keys)
        for m in pattern.finditer(plain)
    ]
    if "]:" in plain:
        found += [(start, end, False) for start, end in _reference_images(plain)]
    if not found:
        return []
    parts = _sentences(plain)
    starts = [s.start for s in parts]
    chosen: set[int] = set()
    speaking: dict[int, bool] = {}  # the last sentence of each match that speaks: bare?
    for start, end, speaks in found:
        while start < end - 1 and plain[start].isspace():
            start += 1  # a match may open with the line break before its sentence
        first = max(bisect_right(starts, start) - 1, 0)
        last = max(bisect_right(starts, max(end - 1, start)) - 1, first)
        chosen.update(range(first, last + 1))
        if speaks:
            bare = len(plain[end : parts[last].end].split()) <= _BARE_WORDS
            speaking[last] = speaking.get(last, False) or bare
    for i, bare in sorted(speaking.items()):
        _follow(plain, parts, i, bare, chosen)
    spans: list[tuple[int, int]] = []
    for i in sorted(chosen):
        start, end = folded.span(parts[i].start, parts[i].end)
        if spans and text[spans[-1][1] : start].strip() == "":
            spans[-1] = (spans[-1][0], end)
        else:
            spans.append((start, end))
    return spans


def _follow(plain: str, parts: list[_Sentence], i: int, bare: bool, chosen: set[int]) -> None:
    """Add to ``chosen`` the sentences after instruction ``i`` that belong to it."""
    for j in range(i + 1, min(i + 1 + _FOLLOWING, len(parts))):
        if j in chosen:
            continue
        said = plain[parts[j].start : parts[j].end]
        if (bare and j == i + 1 and not said.startswith("#")) or _COMMAND.match(said):
            chosen.add(j)
        else:
            break


def _sentences(plain: str) -> list[_Sentence]:
    """The sentences of ``plain``, without outer whitespace."""
    out: list[_Sentence] = []
    at = 0
    bounds = [m.start() for m in _SENTENCE_END.finditer(plain)] + [len(plain)]
    for stop in bounds:
        start, end = at, stop
        while start < end and plain[start].isspace():
            start += 1
        while end > start and plain[end - 1].isspace():
            end -= 1
        if start < end:
            out.append(_Sentence(start, end))
        at = stop
    return out


def _reference_images(plain: str) -> list[tuple[int, int]]:
    """Definitions ("[ref]: url") an image refers to, or whose target acts by itself."""
    definitions = list(_DEFINITION.finditer(plain))
    if not definitions:
        return []
    used = {
        _label(m.group(2) or m.group(1))
        for m in _IMAGE_REFERENCE.finditer(plain)
        if not plain.startswith("(", m.end())
    }
    return [
        (m.start(), m.end())
        for m in definitions
        if _label(m.group(1)) in used or _ACTIVE_TARGET.search(m.group(2))
    ]


def _label(value: str) -> str:
    return " ".join(value.split()).casefold()
