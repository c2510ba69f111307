"""`assistant eval`: run golden sets through the app's answer path, compare runs, gate changes.

``eval run --json`` prints the stored run (``run.json``) with ``report`` (its HTML report)
and ``gate`` (passed, failures); ``eval compare --json`` prints the comparison.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from assistant.store.access import parse_groups
from cli.common import (
    DataDir,
    Groups,
    JsonOut,
    checked_mode,
    edge,
    emit,
    err,
    progress_bar,
    settings_for,
)

if TYPE_CHECKING:
    from evals.records import EvalRun

eval_app = typer.Typer(help="Evaluation suites: run golden sets, compare runs, gate changes.")


@eval_app.command("run")
def eval_run(
    dataset: Annotated[
        Path, typer.Argument(help="Golden set (JSONL), e.g. evals/suites/examples.jsonl")
    ],
    groups: Groups = "",
    mode: Annotated[
        str | None, typer.Option(help="generative or extractive (default: settings).")
    ] = None,
    report: Annotated[
        Path | None, typer.Option(help="Also write report.html and report.md to this folder.")
    ] = None,
    gate: Annotated[
        bool, typer.Option("--gate", help="Exit 1 when a metric is below its threshold.")
    ] = False,
    split: Annotated[
        str | None,
        typer.Option(
            help="Only this part of a split suite: dev (tune on it) or test (report on it)."
        ),
    ] = None,
    degraded: Annotated[
        bool,
        typer.Option(
            "--degraded",
            help="Ask the questions as staff type them: lower case, no å/ä/ö, an "
            "abbreviation, one typo (evals/degrade.py). The run's suite is named "
            "'<suite> (degraded)'.",
        ),
    ] = False,
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """Run every case through the app's answer path with the given groups; report figures."""
    from assistant.runtime import open_runtime
    from evals.degrade import write_degraded
    from evals.judge import build_judge
    from evals.report import write_reports
    from evals.runner import gate as check_gate
    from evals.runner import load_thresholds, run_suite, save_run

    answer_mode = checked_mode(mode)
    member_of = parse_groups(groups)
    with edge():
        settings = settings_for(data_dir)
        wants_model = settings.wants_chat_model(answer_mode)
        judge = build_judge(settings.eval)
        with open_runtime(settings, with_model=wants_model) as runtime:
            if runtime.model_problem:
                err.print(f"[yellow]No language model:[/yellow] {runtime.model_problem}")
            enabled = err.is_terminal and not json_out
            with (
                progress_bar(enabled, label="Evaluating") as bar,
                tempfile.TemporaryDirectory() as scratch,
            ):
                run = run_suite(
                    write_degraded(dataset, Path(scratch)) if degraded else dataset,
                    runtime,
                    groups=member_of,
                    mode=answer_mode,
                    judge=judge,
                    progress=bar,
                    split=split,
                )
        if degraded:
            run.suite, run.suite_path = f"{run.suite} (degraded)", str(dataset)
        folder = save_run(run, settings.evals_dir)
        if report:
            report.mkdir(parents=True, exist_ok=True)
            write_reports(run, None, report)
        failures = check_gate(
            run.summary, load_thresholds(settings.eval.thresholds_file, run.suite)
        )
    html = folder / "report.html"
    if json_out:
        emit(
            run.to_json()
            | {"report": str(html), "gate": {"passed": not failures, "failures": failures}}
        )
    else:
        _print_summary(run, html, failures)
    if gate and failures:
        raise typer.Exit(1)


def _print_summary(run: EvalRun, html: Path, failures: list[str]) -> None:
    part = f" ({run.split} part)" if run.split else ""
    typer.echo(f"{run.id}: {run.cases} cases{part}, {run.mode}, {run.model}, {run.seconds} s")
    for name, value in run.summary.items():
        if value is None or name == "cases":
            continue
        if not isinstance(value, float):
            typer.echo(f"  {name:26} {value}")
            continue
        low_high = run.intervals.get(name)
        interval = f"  [{low_high[0]:.3f}, {low_high[1]:.3f}]" if low_high else ""
        typer.echo(f"  {name:26} {value:.3f}{interval}")
    if run.intervals:
        typer.echo("  (95 % bootstrap intervals over the cases in brackets)")
    if run.judge_note:
        typer.echo(f"  ({run.judge_note})")
    typer.echo(f"Report: {html}")
    for failure in failures:
        typer.echo(f"Below threshold: {failure}")


@eval_app.command("compare")
def eval_compare(
    run_a: Annotated[str, typer.Argument(help="Earlier run: id or folder.")],
    run_b: Annotated[str, typer.Argument(help="Later run: id or folder.")],
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """What improved and what regressed from RUN_A to RUN_B, per metric and per case."""
    from evals.runner import compare, load_run

    with edge():
        settings = settings_for(data_dir)
        diff = compare(load_run(run_a, settings.evals_dir), load_run(run_b, settings.evals_dir))
    if json_out:
        emit(diff.to_json())
        return
    typer.echo(f"{diff.a} -> {diff.b}")
    for name, d in diff.metrics.items():
        if d.delta:
            typer.echo(f"  {name:26} {d.a:.3f} -> {d.b:.3f} ({d.delta:+.3f})")
    for title, cases in (("Improved", diff.improved), ("Regressed", diff.regressed)):
        typer.echo(f"{title}: {len(cases)} cases")
        for case in cases:
            moves = ", ".join(f"{c.metric} {c.a:.2f}->{c.b:.2f}" for c in case.changes)
            typer.echo(f"  {case.id}: {case.question} ({moves})")
