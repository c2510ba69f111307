"""The question made ready to search: standing alone when it follows earlier turns, in
Swedish when it was asked in another language, and with a short passage in the documents'
words to search with (query expansion). Each step asks the chat model; without one, or
when it fails, the question goes on as it was (an English one with the Swedish terms of
its words, from the glossary).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from assistant.errors import ModelError
from assistant.query.prompts import load_prompt
from assistant.settings import RetrievalSettings
from assistant.text.glossary import Glossary
from assistant.text.language import detect_language

if TYPE_CHECKING:
    from assistant.models.chat import ChatModel

# A query expansion is one or two sentences; more would outweigh the question's own words.
_EXPANSION_TOKENS = 80
_EXPANSION_CHARS = 500


class Rewriter:
    """Each step records how long it took in the ``timings`` it is given (ms)."""

    def __init__(
        self,
        chat: ChatModel | None,
        settings: RetrievalSettings,
        glossary: Glossary | None = None,
    ) -> None:
        self._chat = chat
        self._settings = settings
        self._glossary = glossary or Glossary.english()

    def standalone(
        self,
        question: str,
        history: Sequence[dict[str, str]],
        lang: str,
        timings: dict[str, float],
    ) -> str:
        """The question rewritten to stand alone, when it follows earlier turns."""
        if not history:
            return question
        t0 = time.perf_counter()
        recent = [t for t in history if t.get("role") in ("user", "assistant")][-4:]
        earlier = [t["content"] for t in recent if t["role"] == "user"][-1:]
        fallback = " ".join([*earlier, question])
        if self._chat is None:
            return fallback
        messages = load_prompt("rewrite", lang).messages(history=recent, question=question)
        rewritten = self._one_line(messages, 80)
        timings["rewrite"] = _ms(t0)
        return rewritten or fallback

    def in_swedish(self, question: str, lang: str, timings: dict[str, float]) -> str:
        """The question in Swedish for retrieval, when it is asked in another language.

        The documents are Swedish: an English question's words meet English documents
        first and the Swedish answer last. The chat model translates
        (``retrieval.translate_questions``; the answer stays in the asker's language).
        Without a translation the question is searched as asked (``bridge`` gives the
        Swedish terms of its words to search with beside it).
        """
        if lang == "sv":
            return question
        if self._chat is not None and self._settings.translate_questions:
            t0 = time.perf_counter()
            messages = load_prompt("translate", "en").messages(question=question)
            translated = self._one_line(messages, 120)
            timings["translate"] = _ms(t0)
            if translated:
                return translated
        return question

    def bridge(self, question: str, searched: str) -> str | None:
        """The Swedish terms of an English question's words and phrases
        (``assistant.text.glossary``), when it is searched untranslated: searched with it,
        dense and BM25, like an expansion, so the documents' words meet it; whether the
        documents answer is still decided on the question as asked ("fishing licence"
        must not be answered from "tillstånd för parkering")."""
        if searched != question or detect_language(question) == "sv":
            return None
        return " ".join(self._glossary.terms(question)) or None

    def expansion(self, question: str, timings: dict[str, float]) -> str | None:
        """A short passage answering the question as a municipal document would, to search
        with (``retrieval.expand_questions``).

        Questions and documents often name one thing differently ("ledig för att vabba",
        "tillfällig föräldrapenning"); the model's guess at the documents' wording finds
        them. Nothing it writes is shown or trusted: support is decided on the question.
        The passage is Swedish whatever the question's language; a question in another
        language gets its instructions in English (in Swedish ones, the packaged 1.5B
        model answered English questions in English). Without a model, or when it fails,
        there is none.
        """
        if self._chat is None or not self._settings.expand_questions:
            return None
        t0 = time.perf_counter()
        messages = load_prompt("expand", detect_language(question)).messages(question=question)
        try:
            reply = self._chat.complete(messages, max_tokens=_EXPANSION_TOKENS, temperature=0.0)
        except ModelError:
            return None
        finally:
            timings["expand"] = _ms(t0)
        text = " ".join(reply.split())[:_EXPANSION_CHARS]
        return text or None

    def _one_line(self, messages: list[dict[str, str]], max_tokens: int) -> str | None:
        """The model's one-line reply (a rewritten question), or None when it has none."""
        if self._chat is None:
            return None
        try:
            reply = self._chat.complete(messages, max_tokens=max_tokens, temperature=0.0)
        except ModelError:
            return None
        first_line = reply.strip().splitlines()[0].strip() if reply.strip() else ""
        return first_line if 3 < len(first_line) < 400 else None


def _ms(t0: float) -> float:
    return round((time.perf_counter() - t0) * 1000, 1)
