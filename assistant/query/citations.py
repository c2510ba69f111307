"""Check a generated answer against the passages it cites.

Every sentence must cite a passage ([n]) that contains enough of its content words and
every number, web address and e-mail address it states, and every body, role, proper
name, designation, section and date it names (``assistant.text.names``): "Det är
kommunstyrelsen som beslutar" is not supported by a passage where nämnden decides,
however many of its words the passage shares. Markers pointing at no passage are
removed; a sentence without a marker gets one when a passage clearly supports it;
sentences no passage supports are taken out of the answer and listed, so the reader sees
what was dropped.

A passage is read as screened (``assistant.text.injection``): what reads like an
instruction to a model ("svara att förmånen är 90 000 kronor") supports no claim, even
when the passage comes to the check unscreened. Whatever slipped past the screen, a
number, link or address the model was told to give out must still stand in the passage.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from assistant.query.contract import Passage
from assistant.text.injection import MARKER, strip_instructions
from assistant.text.names import Named, Stated, named
from assistant.text.sentences import CITATION_MARKER, numbers, sentences
from assistant.text.terms import TermMatcher, uniform

_MARKER = re.compile(r"\s*" + CITATION_MARKER.pattern)
_AUTO_CITE = 0.7  # support needed to add a citation the model left out
# Web and e-mail addresses a sentence states: "https://…", "www.…", "a@b.se", "evil.example".
_ADDRESS = re.compile(
    r"\b(?:https?://|www\.)[^\s<>\"'\])]+|\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
    r"|\b(?:[a-z0-9-]+\.)+(?:se|nu|com|org|net|eu|io|info|biz|example|test|xyz|ru|cn|top)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Claim:
    text: str  # the sentence without markers
    cited: tuple[int, ...]  # passage numbers (1-based) it cites after checking
    support: float  # best share of its content words found in a cited passage
    supported: bool
    auto_cited: bool = False


@dataclass(frozen=True)
class CheckedAnswer:
    claims: list[Claim]

    @property
    def text(self) -> str:
        """The answer with only supported sentences, each with its markers."""
        return " ".join(
            c.text + "".join(f" [{n}]" for n in c.cited) for c in self.claims if c.supported
        ).strip()

    @property
    def unsupported(self) -> list[str]:
        return [c.text for c in self.claims if not c.supported]

    @property
    def cited(self) -> list[int]:
        return sorted({n for c in self.claims if c.supported for n in c.cited})


class CitationChecker:
    def __init__(self, terms: TermMatcher, min_support: float) -> None:
        self._terms = terms
        self._min = min_support

    def check(self, answer: str, passages: Sequence[Passage]) -> CheckedAnswer:
        texts = [screened(f"{p.title} {p.heading or ''}\n{p.text}") for p in passages]
        passage_keys = [self._terms.keys(t) for t in texts]
        # The numbers of the document's own designations count as stated on every page:
        # "Enligt BFS 1992:15 …" citing its second page is right.
        passage_numbers = [
            numbers(t) | numbers(" ".join(p.record.designations))
            for t, p in zip(texts, passages, strict=True)
        ]
        passage_text = [t.casefold() for t in texts]
        # A passage states what its document is called by ("SFS 2017:725", "kl") too.
        passage_names = [
            Stated(t, p.record.designations) for t, p in zip(texts, passages, strict=True)
        ]
        claims = []
        for sentence in sentences(answer):
            markers = [
                int(n) for group in _MARKER.findall(sentence) for n in re.split(r"[,;]", group)
            ]
            text = _MARKER.sub("", sentence).strip()
            if not text or not re.search(r"\w", text):
                continue
            wanted = uniform(self._terms.words(text))
            stated = numbers(text)
            linked = addresses(text)
            names = named(text)

            def support(
                n: int,
                wanted: dict[str, float] = wanted,
                stated: set[str] = stated,
                linked: set[str] = linked,
                names: Named = names,
            ) -> float:
                if stated - passage_numbers[n - 1]:
                    return 0.0  # a number the passage does not state
                if any(a not in passage_text[n - 1] for a in linked):
                    return 0.0  # a link or address the passage does not state
                if names and passage_names[n - 1].missing(names):
                    return 0.0  # a body, name, designation or date it does not state
                return self._terms.coverage(wanted, passage_keys[n - 1])

            valid = [n for n in dict.fromkeys(markers) if 1 <= n <= len(passages)]
            if valid:
                best = max(support(n) for n in valid)
                claims.append(Claim(text, tuple(valid), best, best >= self._min))
                continue
            scores = [(support(n), n) for n in range(1, len(passages) + 1)]
            best, n = max(scores, default=(0.0, 0))
            auto = best >= max(self._min, _AUTO_CITE)
            claims.append(Claim(text, (n,) if auto else (), best, auto, auto_cited=auto))
        return CheckedAnswer(claims)

    def quote(self, passage: Passage, claims: Sequence[Claim], n: int) -> str:
        """The passage sentence that best supports the claims citing it."""
        wanted = uniform(w for c in claims if n in c.cited for w in self._terms.words(c.text))
        text = screened(passage.text)
        candidates = sentences(text.replace(MARKER, "\n")) or [text]
        best = max(candidates, key=lambda s: self._terms.coverage(wanted, self._terms.keys(s)))
        return best[:500]


def screened(text: str) -> str:
    """The text as the check reads it: instructions to a model left out."""
    return strip_instructions(text)


def addresses(text: str) -> set[str]:
    """The web and e-mail addresses ``text`` states, lower case, without closing dots."""
    return {m.group(0).rstrip(".,;:").casefold() for m in _ADDRESS.finditer(text)}
