"""Run a golden set through the app's own answer path and keep the results.

Every case goes through ``Assistant.ask`` with the run's access groups, exactly as a
user with those groups would ask in the app. Runs are stored under
``DATA_DIR/evals/<run id>/run.json`` with their HTML and Markdown reports.
"""

from __future__ import annotations

import json
import time
import tomllib
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from assistant.errors import InputError
from assistant.query.answer import Answer, Mode
from assistant.query.runtime import Runtime
from assistant.store import collection_name
from evals.dataset import Case, load_cases
from evals.judge import Judge
from evals.metrics import aggregate, answer_metrics, by_group, retrieval_metrics

Progress = Callable[[int, int, str], None]


def run_suite(
    path: Path,
    runtime: Runtime,
    *,
    groups: Sequence[str],
    mode: Mode | None = None,
    judge: Judge | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    cases = load_cases(path)
    settings = runtime.settings
    mode = mode or settings.answer.mode
    started = time.perf_counter()
    results = []
    for done, case in enumerate(cases):
        if progress:
            progress(done, len(cases), case.id)
        answer = runtime.assistant.ask(case.question, case.reader_groups(groups), mode=mode)
        results.append(_result(case, answer, groups, judge))
    if progress:
        progress(len(cases), len(cases), "")
    stamp = datetime.now(UTC)
    return {
        # Sortable to the millisecond, unique even within one.
        "id": f"{stamp:%Y%m%d-%H%M%S}{stamp.microsecond // 1000:03d}-{path.stem}-{mode}"
        f"-{uuid.uuid4().hex[:4]}",
        "suite": path.stem,
        "suite_path": str(path),
        "mode": mode,
        "groups": sorted(groups),
        "model": runtime.assistant.model_name if mode == "generative" else "extractive",
        "judge": judge.name if judge else None,
        "judge_note": None
        if judge
        else "no judge configured (eval.judge): faithfulness and correctness skipped",
        "config": {
            "collection": collection_name(settings),
            "chunk_tokens": settings.ingest.chunk_tokens,
            "retrieval_mode": settings.retrieval.mode,
            "compounds": settings.retrieval.compounds,
            "rerank": settings.retrieval.rerank.provider,
            "context_passages": settings.retrieval.context_passages,
        },
        "started_at": stamp.isoformat(timespec="seconds"),
        "seconds": round(time.perf_counter() - started, 2),
        "summary": aggregate(results),
        "by_type": by_group(results, "type"),
        "by_lang": by_group(results, "lang"),
        "results": results,
    }


def _result(
    case: Case, answer: Answer, groups: Sequence[str], judge: Judge | None
) -> dict[str, Any]:
    expected_refusal = case.expects_refusal(groups)
    metrics: dict[str, float] = {}
    if not expected_refusal:
        passages = {s.chunk_id: s.quote for s in answer.ranked}
        metrics |= retrieval_metrics(case, answer.ranked)
        metrics |= answer_metrics(case, answer, passages)
    graded: dict[str, Any] = {}
    if judge and not expected_refusal and not answer.refused:
        graded = judge.grade(
            case.question, answer.answer, case.answer, [s.quote for s in answer.retrieved]
        )
        metrics |= {k: v for k, v in graded.items() if k in ("faithfulness", "correctness")}
    withheld = case.type != "unanswerable" and expected_refusal
    return {
        "id": case.id,
        "question": case.question,
        "type": case.type,
        "lang": case.lang,
        # The reference answer quotes a document this run's groups may not read.
        "expected": f"(withheld: needs group {' or '.join(case.groups)})"
        if withheld
        else case.answer,
        "expected_files": sorted(case.files),
        "got": answer.answer,
        "refused": answer.refused,
        "expected_refusal": expected_refusal,
        "asked_as": case.reader_groups(groups),
        "mode": answer.mode,
        "notice": answer.notice,
        "unsupported": answer.unsupported,
        "metrics": {k: round(v, 4) for k, v in metrics.items()},
        "judge": {k: v for k, v in graded.items() if k.endswith(("reason", "error"))},
        "citations": [_brief(s, 400) for s in answer.citations],
        "retrieved": [_brief(s, 600) for s in answer.ranked],
        "timings_ms": answer.timings_ms,
        "tokens": answer.tokens,
    }


def _brief(source: Any, chars: int) -> dict[str, Any]:
    return {
        "n": source.n,
        "file": source.file,
        "page": source.page,
        "heading": source.heading,
        "text": source.quote[:chars],
    }


# -- stored runs ------------------------------------------------------------------------


def save_run(run: dict[str, Any], evals_dir: Path) -> Path:
    from evals.report import write_reports

    folder = evals_dir / run["id"]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "run.json").write_text(json.dumps(run, ensure_ascii=False, indent=2), "utf-8")
    previous = _previous(run, evals_dir)
    write_reports(run, previous, folder)
    return folder


def load_run(ref: str | Path, evals_dir: Path) -> dict[str, Any]:
    """A run by id, folder or run.json path."""
    path = Path(ref)
    candidates = [path, path / "run.json", evals_dir / str(ref) / "run.json"]
    for candidate in candidates:
        if candidate.is_file():
            data: dict[str, Any] = json.loads(candidate.read_text("utf-8"))
            return data
    raise InputError(f"No evaluation run {ref!s} (looked in {evals_dir})")


def list_runs(evals_dir: Path) -> list[dict[str, Any]]:
    """Stored runs, newest first, without their per-case results."""
    runs = []
    for path in sorted(evals_dir.glob("*/run.json"), key=lambda p: p.parent.name, reverse=True):
        data = json.loads(path.read_text("utf-8"))
        data.pop("results", None)
        data["folder"] = str(path.parent)
        runs.append(data)
    return runs


def _previous(run: dict[str, Any], evals_dir: Path) -> dict[str, Any] | None:
    for other in list_runs(evals_dir):
        if other["id"] != run["id"] and other["suite"] == run["suite"]:
            return load_run(other["folder"], evals_dir)
    return None


# -- comparing and gating ---------------------------------------------------------------

_CASE_METRICS = ("evidence_hit@5", "doc_hit@5", "citation_recall", "answer_f1", "correctness")


def compare(a: dict[str, Any], b: dict[str, Any], *, min_change: float = 0.2) -> dict[str, Any]:
    """What changed from run ``a`` to run ``b``: aggregate deltas and per-case moves."""
    deltas = {}
    for name, old in a["summary"].items():
        new = b["summary"].get(name)
        if isinstance(old, (int, float)) and isinstance(new, (int, float)):
            deltas[name] = {"a": old, "b": new, "delta": round(new - old, 4)}
    before = {r["id"]: r for r in a["results"]}
    improved: list[dict[str, Any]] = []
    regressed: list[dict[str, Any]] = []
    for case in b["results"]:
        old_case = before.get(case["id"])
        if old_case is None:
            continue
        changes = []
        was_right = old_case["refused"] == old_case["expected_refusal"]
        is_right = case["refused"] == case["expected_refusal"]
        if was_right != is_right:
            changes.append(("refusal", float(was_right), float(is_right)))
        for name in _CASE_METRICS:
            old, new = old_case["metrics"].get(name), case["metrics"].get(name)
            if old is not None and new is not None and abs(new - old) >= min_change:
                changes.append((name, old, new))
        if not changes:
            continue
        entry = {
            "id": case["id"],
            "question": case["question"],
            "changes": [{"metric": m, "a": o, "b": n} for m, o, n in changes],
        }
        (improved if sum(n - o for _, o, n in changes) > 0 else regressed).append(entry)
    return {
        "a": a["id"],
        "b": b["id"],
        "metrics": deltas,
        "improved": improved,
        "regressed": regressed,
    }


def load_thresholds(path: Path, suite: str) -> dict[str, float]:
    """``[default]`` thresholds, overridden by the suite's own table."""
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise InputError(f"Cannot read thresholds {path}: {exc}") from exc
    return {**data.get("default", {}), **data.get(suite, {})}


def gate(summary: dict[str, Any], thresholds: dict[str, float]) -> list[str]:
    """Metrics below their threshold, as messages; empty when the run passes."""
    failures = []
    for name, minimum in sorted(thresholds.items()):
        value = summary.get(name)
        if value is None:
            continue
        if value < minimum:
            failures.append(f"{name} = {value:.3f} is below {minimum:.3f}")
    return failures
