"""One stored run of a suite, the same for question suites and summary suites."""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from assistant.runtime import Runtime
from assistant.store import collection_name
from evals.metrics import aggregate, by_group, intervals
from evals.records import CaseResult, EvalRun, RunConfig


def finished_run(
    path: Path,
    runtime: Runtime,
    results: Sequence[CaseResult],
    *,
    mode: str,
    groups: Sequence[str],
    split: str | None,
    started: float,
    judge: str | None,
    judge_note: str | None,
) -> EvalRun:
    """The run of ``path`` that just ended (``started``: its ``time.perf_counter()``)."""
    settings = runtime.settings
    stamp = datetime.now(UTC)
    return EvalRun(
        # Sortable to the millisecond, unique even within one.
        id=f"{stamp:%Y%m%d-%H%M%S}{stamp.microsecond // 1000:03d}-{path.stem}-{mode}"
        f"-{uuid.uuid4().hex[:4]}",
        suite=path.stem,
        suite_path=str(path),
        split=split,
        mode=mode,
        groups=sorted(groups),
        model=runtime.assistant.model_name if mode == "generative" else "extractive",
        judge=judge,
        judge_note=judge_note,
        config=RunConfig(
            collection=collection_name(settings),
            chunk_tokens=settings.ingest.chunk_tokens,
            retrieval_mode=settings.retrieval.mode,
            compounds=settings.retrieval.compounds,
            rerank=settings.retrieval.rerank.provider,
            context_passages=settings.retrieval.context_passages,
            expand_questions=settings.retrieval.expand_questions,
            answer_kinds=settings.retrieval.answer_kinds,
            focus_tokens=list(settings.answer.focus_tokens),
        ),
        started_at=stamp.isoformat(timespec="seconds"),
        seconds=round(time.perf_counter() - started, 2),
        summary=aggregate(results),
        intervals=intervals(results),
        by_type=by_group(results, "type"),
        by_lang=by_group(results, "lang"),
        results=list(results),
    )
