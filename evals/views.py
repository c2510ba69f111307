"""What a screen shows of evaluation runs, as plain rows: the suites on offer, key metrics
first, the gate per threshold, failing cases, the history and a comparison.

The UI only labels and lays these out; everything it decides about a run is decided here.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

from assistant.errors import InputError
from evals.dataset import load_cases
from evals.records import Comparison, EvalRun, Summary
from evals.report import KEY_METRICS as _QUALITY
from evals.report import failing
from evals.runner import gate

# Quality first (higher is better), then latency (lower is better).
KEY_METRICS = (*_QUALITY, "latency_total_p50_ms", "latency_total_p95_ms")

T = TypeVar("T")


def suites(*folders: Path) -> list[Path]:
    """The golden sets (``*.jsonl``) in these folders, in order; missing folders are empty."""
    found: list[Path] = []
    for folder in folders:
        if folder.is_dir():
            found += sorted(p for p in folder.glob("*.jsonl") if p.is_file())
    return found


def save_upload(name: str, data: bytes, folder: Path) -> Path:
    """Keep an uploaded golden set in ``folder`` once it loads; InputError says why not.

    The file name becomes the suite name (thresholds are looked up by it); a file of the
    same name is replaced only by a valid one.
    """
    stem = re.sub(r"[^\w-]+", "-", Path(name).stem).strip("-") or "uppladdad"
    safe = f"{stem}.jsonl"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{safe} is not UTF-8 text ({exc.reason})") from exc
    with tempfile.TemporaryDirectory() as tmp:
        trial = Path(tmp) / safe
        trial.write_bytes(data)
        load_cases(trial)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / safe
    target.write_bytes(data)
    return target


def ordered(summary: Mapping[str, T]) -> list[tuple[str, T]]:
    """Every entry of a summary (or deltas), key metrics first (in their order), then the rest."""
    first = [(name, summary[name]) for name in KEY_METRICS if name in summary]
    return first + [(k, v) for k, v in summary.items() if k not in KEY_METRICS]


def gate_rows(summary: Summary, thresholds: dict[str, float]) -> list[dict[str, Any]]:
    """Each threshold with the run's value and ``passed`` (None: the run did not measure it),
    judged by ``runner.gate`` itself."""
    rows = []
    for name, minimum in sorted(thresholds.items()):
        value = summary.get(name)
        passed = None if value is None else not gate(summary, {name: minimum})
        rows.append({"metric": name, "value": value, "threshold": minimum, "passed": passed})
    return rows


def failing_cases(run: EvalRun) -> list[dict[str, Any]]:
    """The cases ``report.failing`` flags, with what was expected, what came and why."""
    rows = []
    for result in run.results:
        why = failing(result)
        if why:
            rows.append(
                {
                    "id": result.id,
                    "question": result.question,
                    "expected": result.expected,
                    "expected_files": result.expected_files,
                    "got": result.got,
                    "why": why,
                }
            )
    return rows


def history_rows(runs: list[EvalRun]) -> list[dict[str, Any]]:
    """One row per stored run (as ``runner.list_runs`` gives them): who, what, key metrics."""
    return [
        {
            "id": run.id,
            "suite": run.suite,
            "mode": run.mode,
            "groups": list(run.groups),
            "model": run.model,
            "cases": run.summary.get("cases"),
            **{name: run.summary.get(name) for name in KEY_METRICS},
            "started_at": run.started_at,
        }
        for run in runs
    ]


def delta_rows(comparison: Comparison) -> list[dict[str, Any]]:
    """``runner.compare``'s metric deltas as rows, key metrics first."""
    return [{"metric": name, **delta.model_dump()} for name, delta in ordered(comparison.metrics)]
