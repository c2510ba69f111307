"""Whether the passages found support an answer at all, decided before any is written.

Two signals: the cosine similarity of the best passages to the question, and how many of
the question's content words the best passages contain. Both are of the question as
asked, never of its expansion.
"""

from __future__ import annotations

from collections.abc import Sequence

from assistant.query.contract import Passage
from assistant.settings import RetrievalSettings
from assistant.text.terms import TermMatcher

# A passage holding (nearly) all of the question's content words may be a little less
# similar than min_similarity: summaries ("Sammanfatta riktlinjen för bisysslor") are.
_FULL_COVERAGE = 0.9
_FULL_COVERAGE_SLACK = 0.015


def term_coverage(top: Sequence[Passage], weights: dict[str, float], terms: TermMatcher) -> float:
    """The largest share of the question's weighted content words one passage holds, its
    title and heading included."""
    return max(
        (terms.coverage(weights, terms.keys(f"{p.title} {p.heading or ''} {p.text}")) for p in top),
        default=0.0,
    )


def supported(
    top: Sequence[Passage], term_coverage: float, lang: str, settings: RetrievalSettings
) -> bool:
    """Whether the best passages (``top``) answer a question asked in ``lang``."""
    if not top:
        return False
    best = max(top, key=lambda p: p.similarity)
    s = settings
    if best.record.doc_lang != lang:
        # Asked in one language, answered in another: shared words say nothing.
        return best.similarity >= s.min_similarity
    if best.similarity >= s.strong_similarity:
        return term_coverage >= s.min_term_coverage / 2
    if term_coverage >= _FULL_COVERAGE:  # every rare word of the question is there
        return best.similarity >= s.min_similarity - _FULL_COVERAGE_SLACK
    return best.similarity >= s.min_similarity and term_coverage >= s.min_term_coverage
