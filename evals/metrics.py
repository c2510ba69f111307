"""Per-case metrics and their aggregates. Definitions (k = 10 passages retrieved):

* ``doc_hit@1`` / ``doc_hit@5``: a gold file is the file of the first / one of the first
  five passages. ``doc_mrr``: reciprocal rank of the first gold file among the distinct
  files of the ranked passages. ``ndcg@10``: nDCG of that distinct-file ranking with
  binary relevance (gold file or not), via llama-index's ``NDCG``.
* ``page_hit@5`` (cases with a gold page): one of the first five passages is from a gold
  file *and* page. ``evidence_hit@5``: one of them contains a gold evidence sentence.
* ``citation_precision``: cited passages that contain gold evidence or come from a gold
  source page (a gold file, for formats without pages), over all cited passages.
  ``citation_recall``: gold evidence items covered by some cited passage.
* ``refused`` / ``expected_refusal`` feed ``refusal_accuracy``, ``refusal_precision`` and
  ``refusal_recall`` (refusal is the positive class).
* ``key_fact_correct`` / ``key_fact_recall`` (``evals.facts``): the answer states every
  key fact of the reference (its numbers, dates, designations, names) / the share it
  states; a refusal states none. ``key_fact_correct_written`` / ``_quoted``: the same for
  the written and the quoted form of the answer, both on every case where the answer
  step had both (the shown form and ``Answer.alternative``); ``written_share``: answers
  shown as written.
* ``answer_f1``: token F1 of the answer against the reference (lower-cased, NFC,
  punctuation and citation markers removed, numbers joined: "3 000" = "3000", Swedish
  and English stop words dropped).

Evidence matching: NFC and runs of whitespace collapsed to one space on both sides;
nothing else.
"""

from __future__ import annotations

import random
import re
import statistics
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Literal

from llama_index.core.evaluation.retrieval.metrics import MRR, NDCG

from assistant.query.contract import Answer, Source
from assistant.text.sentences import CITATION_MARKER
from assistant.text.terms import STOP_WORDS
from evals.dataset import Case, Gold
from evals.facts import fact_metrics, key_facts
from evals.records import CaseResult, Summary

K = 10


def normalise(text: str) -> str:
    """The evidence matching rule: NFC, whitespace runs collapsed to one space."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text)).strip()


def _contains(passage: str, gold: Gold) -> bool:
    return bool(gold.evidence) and normalise(gold.evidence) in normalise(passage)


def _from_gold_page(source: Source, gold: Gold) -> bool:
    return source.file == gold.file and (gold.page is None or source.page == gold.page)


def retrieval_metrics(case: Case, ranked: Sequence[Source]) -> dict[str, float]:
    top = list(ranked[:K])
    files = [s.file for s in top]
    distinct = list(dict.fromkeys(files))
    gold_files = sorted(case.files)
    metrics = {
        "doc_hit@1": float(bool(files) and files[0] in case.files),
        "doc_hit@5": float(any(f in case.files for f in files[:5])),
        "doc_mrr": MRR().compute(expected_ids=gold_files, retrieved_ids=distinct).score,
        "ndcg@10": NDCG().compute(expected_ids=gold_files, retrieved_ids=distinct).score,
    }
    if any(g.evidence for g in case.gold):
        metrics["evidence_hit@5"] = float(
            any(_contains(s.quote, g) for s in top[:5] for g in case.gold)
        )
    paged = [g for g in case.gold if g.page is not None]
    if paged:
        metrics["page_hit@5"] = float(
            any(s.file == g.file and s.page == g.page for s in top[:5] for g in paged)
        )
    return metrics


def answer_metrics(case: Case, answer: Answer, passages: dict[str, str]) -> dict[str, float]:
    """Citation and answer metrics of an answerable case; ``passages`` maps chunk id to
    the full passage text (citations carry only the quoted sentence)."""
    metrics: dict[str, float] = {"answer_f1": token_f1(answer.answer, case.answer)}
    if answer.refused:
        metrics["answer_f1"] = 0.0
    facts = key_facts(case.answer, case.question, [g.evidence for g in case.gold], case.key_facts)
    titles = [s.title or s.file for s in answer.citations]
    shown = fact_metrics(facts, answer.answer, answer.refused, titles)
    metrics |= shown
    if shown and not answer.refused:
        # Both forms the answer step had, on the same case: the one shown and the other.
        other = "quoted" if answer.form == "written" else "written"
        metrics[f"key_fact_correct_{answer.form}"] = shown["key_fact_correct"]
        if answer.alternative:
            every = [s.title or s.file for s in answer.retrieved]
            metrics[f"key_fact_correct_{other}"] = fact_metrics(
                facts, answer.alternative, False, every
            )["key_fact_correct"]
    if not answer.refused:
        metrics["written_share"] = float(answer.form == "written")
    cited = answer.citations

    def supports(source: Source, gold: Gold) -> bool:
        text = passages.get(source.chunk_id, source.quote)
        return _contains(text, gold) or _from_gold_page(source, gold)

    if cited:
        metrics["citation_precision"] = sum(
            any(supports(s, g) for g in case.gold) for s in cited
        ) / len(cited)
    if case.gold:
        metrics["citation_recall"] = sum(
            any(supports(s, g) for s in cited) for g in case.gold
        ) / len(case.gold)
    return metrics


_NUMBER_GAP = re.compile(r"(?<=\d)[\s\u00a0](?=\d{3}\b)")


def tokens(text: str) -> list[str]:
    text = unicodedata.normalize("NFC", text).lower()
    text = CITATION_MARKER.sub(" ", text)
    text = _NUMBER_GAP.sub("", text)
    words = re.findall(r"\w+(?:[.,]\d+)?", text)
    return [w for w in words if w not in STOP_WORDS]


def token_f1(got: str, expected: str) -> float:
    a, b = tokens(got), tokens(expected)
    if not a or not b:
        return float(a == b)
    common = sum((Counter(a) & Counter(b)).values())
    if not common:
        return 0.0
    precision, recall = common / len(a), common / len(b)
    return 2 * precision * recall / (precision + recall)


def mean(values: Iterable[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return round(statistics.fmean(present), 4) if present else None


def percentile(values: Sequence[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


METRICS = (
    "doc_hit@1",
    "doc_hit@5",
    "doc_mrr",
    "page_hit@5",
    "evidence_hit@5",
    "ndcg@10",
    "citation_precision",
    "citation_recall",
    "key_fact_correct",
    "key_fact_recall",
    "key_fact_correct_written",
    "key_fact_correct_quoted",
    "written_share",
    "answer_f1",
    "faithfulness",
    "correctness",
    # summary suites (evals/summaries.py)
    "key_fact_coverage",
    "summary_citation_precision",
    "unsupported_rate",
)


def aggregate(results: Sequence[CaseResult]) -> Summary:
    """Mean of every metric over the cases that define it, refusal figures, latency, cost."""
    summary: Summary = {name: mean(r.metrics.get(name) for r in results) for name in METRICS}
    tp = sum(r.refused and r.expected_refusal for r in results)
    fp = sum(r.refused and not r.expected_refusal for r in results)
    fn = sum(not r.refused and r.expected_refusal for r in results)
    summary["refusal_accuracy"] = (
        round(sum(r.refusal_right for r in results) / len(results), 4) if results else None
    )
    summary["refusal_precision"] = round(tp / (tp + fp), 4) if tp + fp else None
    summary["refusal_recall"] = round(tp / (tp + fn), 4) if tp + fn else None
    for stage in ("expand", "retrieve", "first_token", "first_section", "total"):
        values = [r.timings_ms[stage] for r in results if stage in r.timings_ms]
        summary[f"latency_{stage}_p50_ms"] = percentile(values, 0.5)
        summary[f"latency_{stage}_p95_ms"] = percentile(values, 0.95)
    summary["tokens_in"] = sum(r.tokens.get("prompt", 0) for r in results)
    summary["tokens_out"] = sum(r.tokens.get("answer", 0) for r in results)
    summary["cases"] = len(results)
    return summary


# The figures a bootstrap interval is given for: the quality metrics, not latency or cost.
QUALITY = (*METRICS, "refusal_accuracy", "refusal_precision", "refusal_recall")


def intervals(
    results: Sequence[CaseResult], resamples: int = 1000, seed: int = 0
) -> dict[str, tuple[float, float]]:
    """95 % bootstrap intervals of the quality figures: the cases resampled with replacement.

    A difference between two runs that lies inside these intervals may be one or two cases
    of luck, not a better configuration. Seeded, so a run's intervals are reproducible.
    """
    if not results:
        return {}
    rng = random.Random(seed)
    draws: dict[str, list[float]] = {name: [] for name in QUALITY}
    for _ in range(resamples):
        sample = rng.choices(results, k=len(results))
        figures = _quality(sample)
        for name, value in figures.items():
            if value is not None:
                draws[name].append(value)
    found = {}
    for name, values in draws.items():
        if len(values) >= resamples // 2:  # defined in most resamples
            values.sort()
            low = values[int(0.025 * (len(values) - 1))]
            high = values[round(0.975 * (len(values) - 1))]
            found[name] = (round(low, 4), round(high, 4))
    return found


def _quality(results: Sequence[CaseResult]) -> dict[str, float | None]:
    figures: dict[str, float | None] = {}
    for name in METRICS:
        values = [r.metrics[name] for r in results if name in r.metrics]
        figures[name] = sum(values) / len(values) if values else None
    tp = sum(r.refused and r.expected_refusal for r in results)
    fp = sum(r.refused and not r.expected_refusal for r in results)
    fn = sum(not r.refused and r.expected_refusal for r in results)
    figures["refusal_accuracy"] = sum(r.refusal_right for r in results) / len(results)
    figures["refusal_precision"] = tp / (tp + fp) if tp + fp else None
    figures["refusal_recall"] = tp / (tp + fn) if tp + fn else None
    return figures


def by_group(results: Sequence[CaseResult], key: Literal["type", "lang"]) -> dict[str, Summary]:
    """``aggregate`` per case type or language."""
    groups: dict[str, list[CaseResult]] = {}
    for r in results:
        groups.setdefault(r.type if key == "type" else r.lang, []).append(r)
    return {name: aggregate(rs) for name, rs in sorted(groups.items())}
