"""`assistant eval` end to end over the indexed examples: JSON, reports, access, gate,
compare. Extractive mode, so no language model is needed here."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from eval_cases import CASES
from fixtures_heavy import RunCli

from assistant.settings import Settings


def _cli(
    run_cli: RunCli, settings: Settings, *args: str, **env: str
) -> subprocess.CompletedProcess[str]:
    return run_cli("eval", *args, data_dir=settings.data_dir, env=env)


def _run(
    run_cli: RunCli, settings: Settings, suite: Path, *more: str, **env: str
) -> subprocess.CompletedProcess[str]:
    """``assistant eval run SUITE --mode extractive MORE``."""
    return _cli(run_cli, settings, "run", str(suite), "--mode", "extractive", *more, **env)


@pytest.fixture(scope="module")
def suite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("suite") / "mini.jsonl"
    path.write_text("\n".join(json.dumps(c, ensure_ascii=False) for c in CASES) + "\n")
    return path


@pytest.fixture(scope="module")
def runs(
    indexed_examples: Settings, suite: Path, run_cli: RunCli
) -> tuple[dict[str, Any], dict[str, Any]]:
    public = _run(run_cli, indexed_examples, suite, "--json")
    assert public.returncode == 0, public.stderr
    managers = _run(run_cli, indexed_examples, suite, "--groups", "chefer", "--json")
    assert managers.returncode == 0, managers.stderr
    return json.loads(public.stdout), json.loads(managers.stdout)


def test_a_run_reports_every_metric(runs: tuple[dict[str, Any], dict[str, Any]]) -> None:
    public, _ = runs
    s = public["summary"]
    for name in ("doc_hit@1", "doc_hit@5", "doc_mrr", "page_hit@5", "evidence_hit@5"):
        assert s[name] == 1.0, name
    assert s["ndcg@10"] > 0.9
    assert s["refusal_accuracy"] == 1.0
    assert {
        "citation_precision",
        "citation_recall",
        "answer_f1",
        "latency_total_p95_ms",
    } <= s.keys()
    assert public["judge"] is None
    assert "skipped" in public["judge_note"]
    assert set(public["by_type"]) == {"factual", "unanswerable"}


def test_groups_decide_what_a_run_may_see(runs: tuple[dict[str, Any], dict[str, Any]]) -> None:
    public, managers = runs
    lon_public = next(r for r in public["results"] if r["id"] == "lon-1")
    assert lon_public["expected_refusal"]
    assert lon_public["refused"]
    report = Path(public["report"]).read_text()
    assert "3,4 procent" not in report
    assert "3,4 procent" not in json.dumps(public, ensure_ascii=False)
    lon_managers = next(r for r in managers["results"] if r["id"] == "lon-1")
    assert not lon_managers["refused"]
    assert "3,4 procent" in lon_managers["got"]


def test_reports_are_written(runs: tuple[dict[str, Any], dict[str, Any]]) -> None:
    _, managers = runs
    folder = Path(managers["report"]).parent
    html = (folder / "report.html").read_text()
    assert "<svg" in html
    assert "Compared with the previous run" in html
    assert "| doc_hit@5 |" in (folder / "report.md").read_text()


def test_compare_and_gate(
    indexed_examples: Settings,
    suite: Path,
    runs: tuple[dict[str, Any], dict[str, Any]],
    tmp_path: Path,
    run_cli: RunCli,
) -> None:
    public, _ = runs
    # A "change" that makes every answer a refusal: the two answerable cases regress.
    worse = _run(
        run_cli,
        indexed_examples,
        suite,
        "--json",
        ASSISTANT_RETRIEVAL__MIN_SIMILARITY="0.99",
        ASSISTANT_RETRIEVAL__STRONG_SIMILARITY="0.99",
    )
    assert worse.returncode == 0, worse.stderr
    worse_id = json.loads(worse.stdout)["id"]
    diff = _cli(run_cli, indexed_examples, "compare", public["id"], worse_id, "--json")
    assert diff.returncode == 0, diff.stderr
    moved = json.loads(diff.stdout)
    assert sorted(c["id"] for c in moved["regressed"]) == ["hotell-1", "sem-1"]
    assert moved["improved"] == []
    assert moved["metrics"]["refusal_accuracy"]["delta"] == -0.5
    back = json.loads(
        _cli(run_cli, indexed_examples, "compare", worse_id, public["id"], "--json").stdout
    )
    assert sorted(c["id"] for c in back["improved"]) == ["hotell-1", "sem-1"]
    strict = tmp_path / "strict.toml"
    strict.write_text('[default]\n"answer_f1" = 0.99\n')
    gated = _run(
        run_cli,
        indexed_examples,
        suite,
        "--gate",
        ASSISTANT_EVAL__THRESHOLDS_FILE=str(strict),
    )
    assert gated.returncode == 1
    assert "Below threshold: answer_f1" in gated.stdout


RUN_KEYS = [
    "id",
    "suite",
    "suite_path",
    "split",
    "mode",
    "groups",
    "model",
    "judge",
    "judge_note",
    "config",
    "started_at",
    "seconds",
    "summary",
    "intervals",
    "by_type",
    "by_lang",
    "results",
    "report",
    "gate",
]


def test_run_json_keeps_its_shape(runs: tuple[dict[str, Any], dict[str, Any]]) -> None:
    public, _ = runs
    assert list(public) == RUN_KEYS
    assert public["config"]["focus_tokens"] == [200, 80]  # what shaped the prompts
    assert public["summary"]["cases"] == len(CASES)  # counts stay ints
    assert public["gate"].keys() == {"passed", "failures"}
    case = public["results"][0]
    assert list(case)[:4] == ["id", "question", "type", "lang"]
    assert set(case["retrieved"][0]) == {"n", "file", "page", "heading", "text"}
    stored = json.loads((Path(public["report"]).parent / "run.json").read_text())
    assert list(stored) == RUN_KEYS[:-2]


def test_an_older_run_json_still_loads(tmp_path: Path) -> None:
    from evals.runner import compare, list_runs, load_run
    from evals.views import history_rows

    folder = tmp_path / "20240101-000000000-mini-extractive-abcd"
    folder.mkdir()
    old = {  # before judge_note, config, by_type/by_lang and the per-case extras
        "id": folder.name,
        "suite": "mini",
        "mode": "extractive",
        "groups": [],
        "model": "extractive",
        "started_at": "2024-01-01T00:00:00+00:00",
        "seconds": 1.5,
        "summary": {"doc_hit@5": 1.0, "cases": 1},
        "results": [
            {
                "id": "sem-1",
                "question": "När?",
                "refused": False,
                "expected_refusal": False,
                "metrics": {"doc_hit@5": 1.0},
                "timings_ms": {"total": 12.5},
            }
        ],
    }
    (folder / "run.json").write_text(json.dumps(old), encoding="utf-8")
    run = load_run(folder.name, tmp_path)
    assert (run.id, run.cases, run.judge_note, run.folder) == (folder.name, 1, None, folder)
    assert run.results[0].asked_as == []
    [listed] = list_runs(tmp_path)
    assert listed.results == []
    assert history_rows([listed])[0]["doc_hit@5"] == 1.0
    assert compare(run, run).to_json()["metrics"]["cases"] == {"a": 1, "b": 1, "delta": 0}
