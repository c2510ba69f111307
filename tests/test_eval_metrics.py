"""The evaluation metrics on small cases computed by hand."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from assistant.errors import InputError
from assistant.query.contract import Answer, Source
from evals.dataset import Case, Gold, load_cases
from evals.metrics import (
    aggregate,
    answer_metrics,
    intervals,
    normalise,
    retrieval_metrics,
    token_f1,
)
from evals.records import CaseResult


def _src(n: int, file: str, text: str, page: int | None = None) -> Source:
    return Source(n, file, page, None, text, "d", f"c{n}", 0.9)


CASE = Case(
    id="c1",
    question="Hur stort är friskvårdsbidraget?",
    answer="3 000 kronor per år",
    type="factual",
    lang="sv",
    gold=(Gold("friskvard.md", None, "Bidraget är högst 3 000 kronor per år."),),
)


def test_matching_rule_is_nfc_and_whitespace_only() -> None:
    decomposed = "fo\u0308rskola"  # o + combining diaeresis
    assert normalise(f"  {decomposed}\n\t i  kommunen ") == "förskola i kommunen"
    assert normalise("Förskola") != normalise("förskola")  # case is kept


def test_retrieval_metrics_by_hand() -> None:
    ranked = [
        _src(1, "semester.md", "Semester söks i mars."),
        _src(2, "semester.md", "Mer om semester."),
        _src(3, "friskvard.md", "Bidraget är högst  3 000 kronor\nper år. Kvitto krävs."),
        _src(4, "resor.pdf", "Hotell.", page=2),
    ]
    m = retrieval_metrics(CASE, ranked)
    assert m["doc_hit@1"] == 0.0
    assert m["doc_hit@5"] == 1.0
    assert m["doc_mrr"] == pytest.approx(1 / 2)  # distinct files: semester, friskvard, resor
    assert m["ndcg@10"] == pytest.approx(1 / math.log2(3))
    assert m["evidence_hit@5"] == 1.0
    assert "page_hit@5" not in m  # no gold page for a Markdown file


def test_page_hit_needs_file_and_page() -> None:
    case = Case("c2", "q", "a", "factual", "sv", (Gold("resor.pdf", 3, "Hotell i Stockholm."),))
    wrong_page = retrieval_metrics(case, [_src(1, "resor.pdf", "Hotell.", page=2)])
    right_page = retrieval_metrics(case, [_src(1, "resor.pdf", "Hotell.", page=3)])
    assert (wrong_page["page_hit@5"], right_page["page_hit@5"]) == (0.0, 1.0)
    assert wrong_page["evidence_hit@5"] == 0.0


def test_citation_precision_and_recall_by_hand() -> None:
    cited = [_src(1, "friskvard.md", "Bidraget är högst"), _src(2, "semester.md", "Semester.")]
    answer = Answer("3 000 kr [1] [2]", False, "generative", cited, cited, "m", {})
    passages = {"c1": "Bidraget är högst 3 000 kronor per år.", "c2": "Semester."}
    m = answer_metrics(CASE, answer, passages)
    assert m["citation_precision"] == 0.5  # one of two cited passages holds the evidence
    assert m["citation_recall"] == 1.0


@pytest.mark.parametrize(
    ("got", "expected", "f1"),
    [
        ("3000 kronor per år [1]", "3 000 kronor per år", 1.0),
        # got: bidraget 3000 kronor; expected: 3000 kronor per år -> P 2/3, R 2/4
        ("Bidraget är 3 000 kronor.", "3 000 kronor per år", 2 * (2 / 3) * (1 / 2) / (7 / 6)),
        ("Inget svar", "3 000 kronor per år", 0.0),
    ],
)
def test_answer_f1_swedish_normalisation(got: str, expected: str, f1: float) -> None:
    # "är" is a stop word, "3 000" and "3000" are one token, the marker goes.
    assert token_f1(got, expected) == pytest.approx(f1, abs=1e-4)


def test_refusal_figures_treat_refusal_as_positive() -> None:
    def r(refused: bool, expected: bool) -> CaseResult:
        return CaseResult(
            id="c",
            question="q",
            refused=refused,
            expected_refusal=expected,
            timings_ms={"total": 1000.0},
        )

    s = aggregate([r(True, True), r(True, False), r(False, True), r(False, False)])
    assert s["refusal_accuracy"] == 0.5
    assert s["refusal_precision"] == 0.5
    assert s["refusal_recall"] == 0.5
    assert s["latency_total_p50_ms"] == 1000.0


def _hit(value: float, refused: bool = False) -> CaseResult:
    return CaseResult(id="c", question="q", refused=refused, metrics={"evidence_hit@5": value})


def test_bootstrap_intervals_hold_the_figure_and_narrow_with_more_cases() -> None:
    few = [_hit(1.0)] * 8 + [_hit(0.0)] * 2  # 0.8 of 10 cases
    many = few * 10  # 0.8 of 100 cases
    low, high = intervals(few)["evidence_hit@5"]
    assert low <= 0.8 <= high
    assert high - low >= 0.3  # one or two cases of ten move the figure a lot
    low_many, high_many = intervals(many)["evidence_hit@5"]
    assert low_many <= 0.8 <= high_many
    assert high_many - low_many < (high - low) / 2
    assert intervals(few) == intervals(few)  # seeded: the same run, the same intervals
    # Every case alike: nothing to resample.
    assert intervals([_hit(1.0)] * 5)["evidence_hit@5"] == (1.0, 1.0)
    # A figure no case defines has no interval.
    assert "refusal_precision" not in intervals(few)


def test_a_split_suite_runs_one_part(tmp_path: Path) -> None:
    lines = [
        {"id": f"c{i}", "question": "Fråga?", "answer": "Svar.", "source_file": "a.md",
         "source_page": None, "evidence": "x" * 40, "type": "factual", "lang": "sv",
         "split": split}
        for i, split in enumerate(["dev", "test", "test"])
    ]  # fmt: skip
    suite = tmp_path / "suite.jsonl"
    suite.write_text("\n".join(json.dumps(c) for c in lines), encoding="utf-8")
    assert [c.id for c in load_cases(suite, "test")] == ["c1", "c2"]
    assert [c.id for c in load_cases(suite, "dev")] == ["c0"]
    assert len(load_cases(suite)) == 3
    with pytest.raises(InputError, match="split"):
        load_cases(suite, "holdout")
