"""The summary suite runs like any suite: the drafts of the real summarizer over the real
index of the example documents, measured by the key facts each must state."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from assistant.runtime import open_runtime
from assistant.settings import Settings, load_settings
from evals.runner import list_runs, run_suite, save_run
from evals.summaries import is_summary_suite, load_summary_cases

SUITE = Path(__file__).resolve().parents[1] / "evals" / "suites" / "summaries.jsonl"


@pytest.fixture(scope="module")
def data_dir(indexed_examples: Settings, tmp_path_factory: pytest.TempPathFactory) -> Path:
    copy = tmp_path_factory.mktemp("sumeval") / "data"
    shutil.copytree(indexed_examples.data_dir, copy)
    return copy


def test_the_summary_suite_runs_on_the_examples(data_dir: Path) -> None:
    assert is_summary_suite(SUITE)
    on_examples = [c.id for c in load_summary_cases(SUITE) if c.corpus == "examples"]
    settings = load_settings(data_dir=data_dir, answer={"mode": "extractive"})
    with open_runtime(settings, with_model=False) as runtime:
        run = run_suite(SUITE, runtime, groups=["hr", "chefer"], mode="extractive")
        outsider = run_suite(SUITE, runtime, groups=[], mode="extractive")
    assert sorted(r.id for r in run.results) == sorted(on_examples), "sv-public cases left out"
    assert run.judge_note is not None
    assert "not in this index" in run.judge_note
    coverage = run.summary["key_fact_coverage"]
    assert coverage is not None
    assert 0.1 < coverage <= 1.0
    precision = run.summary["summary_citation_precision"]
    assert precision is not None
    assert precision > 0.8, "quoted sentences stand in the passages they cite"
    assert run.summary["refusal_accuracy"] == 1.0
    assert "key_fact_coverage" in run.intervals
    assert run.summary["latency_first_section_p50_ms"] is not None
    # A reader without hr or chefer is told the restricted documents are not found.
    restricted = [r for r in outsider.results if r.expected_refusal]
    assert restricted
    assert all(r.refused for r in restricted)
    assert all("among those you may read" in r.got for r in restricted)
    assert all(r.expected.startswith("(withheld") for r in restricted)
    assert outsider.summary["refusal_accuracy"] == 1.0

    save_run(run, settings.evals_dir)
    save_run(outsider, settings.evals_dir)
    shown = [r.id for r in list_runs(settings.evals_dir, [])]
    assert outsider.id in shown
    assert run.id not in shown, "a viewer without groups never sees the hr+chefer run"
    stored = json.loads((settings.evals_dir / run.id / "run.json").read_text())
    assert stored["summary"]["key_fact_coverage"] == coverage
    assert "key_fact_coverage" in (settings.evals_dir / run.id / "report.md").read_text()
