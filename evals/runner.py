"""Run a golden set through the app's own answer path and keep the results.

Every case goes through ``Assistant.ask`` with the run's access groups, exactly as a
user with those groups would ask in the app. Runs are stored under
``DATA_DIR/evals/<run id>/run.json`` with their HTML and Markdown reports.
"""

from __future__ import annotations

import json
import time
import tomllib
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from assistant.errors import InputError
from assistant.query.contract import Answer, Mode
from assistant.runtime import Runtime
from assistant.store.access import normalise_groups
from evals.dataset import Case, load_cases
from evals.judge import Judge
from evals.metrics import answer_metrics, retrieval_metrics
from evals.records import (
    CaseMove,
    CaseResult,
    Change,
    Comparison,
    Delta,
    EvalRun,
    Passage,
    Summary,
)
from evals.runs import finished_run
from evals.summaries import is_summary_suite, run_summary_suite

Progress = Callable[[int, int, str], None]


def run_suite(
    path: Path,
    runtime: Runtime,
    *,
    groups: Sequence[str],
    mode: Mode | None = None,
    judge: Judge | None = None,
    progress: Progress | None = None,
    split: str | None = None,
) -> EvalRun:
    if is_summary_suite(path):  # whole-document drafts, measured by their key facts
        return run_summary_suite(
            path, runtime, groups=groups, mode=mode, progress=progress, split=split
        )
    cases = load_cases(path, split)
    settings = runtime.settings
    mode = mode or settings.answer.mode
    started = time.perf_counter()
    results: list[CaseResult] = []
    for done, case in enumerate(cases):
        if progress:
            progress(done, len(cases), case.id)
        answer = runtime.assistant.ask(case.question, case.reader_groups(groups), mode=mode)
        results.append(_result(case, answer, groups, judge))
    if progress:
        progress(len(cases), len(cases), "")
    note = (
        None if judge else "no judge configured (eval.judge): faithfulness and correctness skipped"
    )
    return finished_run(
        path, runtime, results, mode=mode, groups=groups, split=split, started=started,
        judge=judge.name if judge else None, judge_note=note,
    )  # fmt: skip


def _result(case: Case, answer: Answer, groups: Sequence[str], judge: Judge | None) -> CaseResult:
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
    return CaseResult(
        id=case.id,
        question=case.question,
        type=case.type,
        lang=case.lang,
        split=case.split,
        # The reference answer quotes a document this run's groups may not read.
        expected=f"(withheld: needs group {' or '.join(case.groups)})" if withheld else case.answer,
        expected_files=sorted(case.files),
        got=answer.answer,
        refused=answer.refused,
        expected_refusal=expected_refusal,
        asked_as=case.reader_groups(groups),
        mode=answer.mode,
        notice=answer.notice,
        unsupported=answer.unsupported,
        metrics={k: round(v, 4) for k, v in metrics.items()},
        judge={k: v for k, v in graded.items() if k.endswith(("reason", "error"))},
        citations=[Passage.of(s, 400) for s in answer.citations],
        retrieved=[Passage.of(s, 600) for s in answer.ranked],
        timings_ms=answer.timings_ms,
        tokens=answer.tokens,
    )


# -- stored runs ------------------------------------------------------------------------


def save_run(run: EvalRun, evals_dir: Path) -> Path:
    from evals.report import write_reports

    folder = evals_dir / run.id
    folder.mkdir(parents=True, exist_ok=True)
    text = json.dumps(run.to_json(), ensure_ascii=False, indent=2)
    (folder / "run.json").write_text(text, "utf-8")
    previous = _previous(run, evals_dir)
    write_reports(run, previous, folder)
    return folder


def load_run(ref: str | Path, evals_dir: Path) -> EvalRun:
    """A run by id, folder or run.json path."""
    path = Path(ref)
    candidates = [path, path / "run.json", evals_dir / str(ref) / "run.json"]
    for candidate in candidates:
        if candidate.is_file():
            return _read(candidate, with_results=True)
    raise InputError(f"No evaluation run {ref!s} (looked in {evals_dir})")


def list_runs(evals_dir: Path, viewer_groups: Iterable[str] | None = None) -> list[EvalRun]:
    """Stored runs, newest first, without their per-case results.

    With ``viewer_groups``, only the runs that viewer may see: a run's report quotes what
    its groups may read, so it is shown only to a viewer who has every one of them.
    """
    paths = sorted(evals_dir.glob("*/run.json"), key=lambda p: p.parent.name, reverse=True)
    runs = [_read(path, with_results=False) for path in paths]
    if viewer_groups is None:
        return runs
    viewer = set(normalise_groups(viewer_groups))
    return [run for run in runs if set(normalise_groups(run.groups)) <= viewer]


def _read(path: Path, *, with_results: bool) -> EvalRun:
    data: dict[str, Any] = json.loads(path.read_text("utf-8"))
    if not with_results:
        data.pop("results", None)
    run = EvalRun.model_validate(data)
    run.folder = path.parent
    return run


def _previous(run: EvalRun, evals_dir: Path) -> EvalRun | None:
    for other in list_runs(evals_dir):
        if other.id != run.id and other.suite == run.suite and other.folder is not None:
            return load_run(other.folder, evals_dir)
    return None


# -- comparing and gating ---------------------------------------------------------------

_CASE_METRICS = ("evidence_hit@5", "doc_hit@5", "citation_recall", "answer_f1", "correctness")


def compare(a: EvalRun, b: EvalRun, *, min_change: float = 0.2) -> Comparison:
    """What changed from run ``a`` to run ``b``: aggregate deltas and per-case moves."""
    deltas = {}
    for name, old in a.summary.items():
        new = b.summary.get(name)
        if old is not None and new is not None:
            deltas[name] = Delta(a=old, b=new, delta=round(new - old, 4))
    before = {r.id: r for r in a.results}
    improved: list[CaseMove] = []
    regressed: list[CaseMove] = []
    for case in b.results:
        old_case = before.get(case.id)
        if old_case is None:
            continue
        changes = []
        if old_case.refusal_right != case.refusal_right:
            was_right, is_right = float(old_case.refusal_right), float(case.refusal_right)
            changes.append(Change(metric="refusal", a=was_right, b=is_right))
        for name in _CASE_METRICS:
            old_value, new_value = old_case.metrics.get(name), case.metrics.get(name)
            if (
                old_value is not None
                and new_value is not None
                and abs(new_value - old_value) >= min_change
            ):
                changes.append(Change(metric=name, a=old_value, b=new_value))
        if not changes:
            continue
        move = CaseMove(id=case.id, question=case.question, changes=changes)
        (improved if sum(c.b - c.a for c in changes) > 0 else regressed).append(move)
    return Comparison(a=a.id, b=b.id, metrics=deltas, improved=improved, regressed=regressed)


def load_thresholds(path: Path, suite: str) -> dict[str, float]:
    """``[default]`` thresholds, overridden by the suite's own table."""
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise InputError(f"Cannot read thresholds {path}: {exc}") from exc
    return {**data.get("default", {}), **data.get(suite, {})}


def gate(summary: Summary, thresholds: dict[str, float]) -> list[str]:
    """Metrics below their threshold, as messages; empty when the run passes."""
    failures = []
    for name, minimum in sorted(thresholds.items()):
        value = summary.get(name)
        if value is None:
            continue
        if value < minimum:
            failures.append(f"{name} = {value:.3f} is below {minimum:.3f}")
    return failures
