"""Fakes of our own interfaces (never of library internals), for tests only."""

from __future__ import annotations

import re
from collections.abc import Generator, Iterable

from assistant.errors import ModelError


class ScriptedChatModel:
    """A ``ChatModel`` that answers from a script and records what it was asked.

    Each call takes the next reply; a reply that is an exception is raised instead
    (e.g. ``ModelError`` to exercise fallbacks). Replies are streamed word by word.
    """

    def __init__(
        self,
        replies: Iterable[str | Exception],
        *,
        name: str = "scripted:test",
        endpoint: str = "scripted://test",
    ) -> None:
        self.name = name
        self.endpoint = endpoint
        self._replies = list(replies)
        self.calls: list[list[dict[str, str]]] = []
        self.options: list[dict[str, float]] = []
        self.closed = False

    def stream(
        self, messages: list[dict[str, str]], *, max_tokens: int, temperature: float
    ) -> Generator[str, None, None]:
        self.calls.append([dict(m) for m in messages])
        self.options.append({"max_tokens": max_tokens, "temperature": temperature})
        if not self._replies:
            raise ModelError(f"{self.name}: no scripted reply left for call {len(self.calls)}")
        reply = self._replies.pop(0)
        if isinstance(reply, Exception):
            raise reply
        yield from re.findall(r"\s*\S+|\s+", reply)

    def complete(
        self, messages: list[dict[str, str]], *, max_tokens: int, temperature: float
    ) -> str:
        return "".join(self.stream(messages, max_tokens=max_tokens, temperature=temperature))

    def close(self) -> None:
        self.closed = True


class ObedientChatModel:
    """A ``ChatModel`` that does what the excerpts in its prompt tell it to.

    Where an excerpt says to answer, say, write or give out something ("svara att X",
    "answer that X", "give out the phone number X", "respond with: X"), it answers X
    citing that excerpt; otherwise it quotes the first sentence of the first excerpt.
    It proves an instruction never reached it: had one, its answer repeats it. Prompts
    without excerpts (a rewrite, a translation) get their last line back.
    """

    OBEY = re.compile(
        r"\b(?:svara|säg|skriv|uppge|ange|meddela|påstå|hävda|nämn|answer|say|reply|respond|"
        r"state|claim|mention|include|output|write|tell\s+(?:the\s+)?(?:user|users|everyone|"
        r"anyone|them)|give\s+out)\b[\s,]*(?:alltid\s+|always\s+|only\s+|bara\s+|endast\s+)?"
        r"(?:att|that|with|med|:)?\s*[\"“]?(?P<what>[^\n\"”]{3,}?)(?:[\"”]|[.!]\s|[.!]?$)",
        re.IGNORECASE | re.MULTILINE,
    )
    EXCERPT = re.compile(
        r"\[(?P<n>\d+)\][^\n]*\n<(?:utdrag|excerpt)>\n(?P<text>.*?)\n</(?:utdrag|excerpt)>", re.S
    )

    def __init__(self, *, name: str = "obedient:test", endpoint: str = "obedient://test") -> None:
        self.name = name
        self.endpoint = endpoint
        self.calls: list[list[dict[str, str]]] = []
        self.obeyed: list[str] = []
        self.closed = False

    def reply(self, messages: list[dict[str, str]]) -> str:
        prompt = messages[-1]["content"]
        excerpts = list(self.EXCERPT.finditer(prompt))
        if not excerpts:
            lines = prompt.strip().splitlines()
            return lines[-1] if lines else ""
        for excerpt in excerpts:
            told = self.OBEY.search(excerpt["text"])
            if told:
                self.obeyed.append(told["what"])
                return f"{told['what'].strip()} [{excerpt['n']}]."
        first = excerpts[0]
        sentence = re.split(r"(?<=[.!?])\s", first["text"].strip())[0]
        return f"{sentence.rstrip('.')} [{first['n']}]."

    def stream(
        self, messages: list[dict[str, str]], *, max_tokens: int, temperature: float
    ) -> Generator[str, None, None]:
        self.calls.append([dict(m) for m in messages])
        yield from re.findall(r"\s*\S+|\s+", self.reply(messages))

    def complete(
        self, messages: list[dict[str, str]], *, max_tokens: int, temperature: float
    ) -> str:
        return "".join(self.stream(messages, max_tokens=max_tokens, temperature=temperature))

    def close(self) -> None:
        self.closed = True
