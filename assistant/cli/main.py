"""The `assistant` command: ingest documents, show the index, build the example set.

Every subcommand takes ``--data-dir`` and ``--json``; with ``--json`` it prints exactly one
JSON object on stdout and nothing else there. Errors become one clear line on stderr and
a non-zero exit code: 2 for bad input or settings, 3 for a failed service or store.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, cast

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from assistant.errors import AssistantError, InputError, ServiceError
from assistant.settings import Settings, load_settings
from assistant.store.access import parse_groups
from ingest.report import FileResult

if TYPE_CHECKING:
    from assistant.query.answer import Answer, Mode

app = typer.Typer(
    name="assistant",
    help="A document assistant for Swedish municipalities: cited answers from your documents.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
err = Console(stderr=True, soft_wrap=True)

DataDir = Annotated[
    Path | None,
    typer.Option("--data-dir", help="Where the store and reports live (ASSISTANT_DATA_DIR)."),
]
JsonOut = Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout.")]


@app.callback()
def _configure_logging() -> None:
    """Warnings and errors of libraries go to stderr as one line each."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    # pypdf narrates its repair attempts on damaged files; the report already says "corrupt".
    logging.getLogger("pypdf").setLevel(logging.ERROR)


def _mode(mode: str | None) -> Mode | None:
    if mode not in (None, "generative", "extractive"):
        err.print("[red]Error:[/red] --mode must be generative or extractive", highlight=False)
        raise typer.Exit(2)
    return cast("Mode | None", mode)


def _settings(data_dir: Path | None) -> Settings:
    return load_settings(data_dir=data_dir) if data_dir else load_settings()


def _emit(data: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


@contextmanager
def _edge() -> Iterator[None]:
    """Turn the project's errors into a message and an exit code."""
    try:
        yield
    except InputError as exc:
        err.print(f"[red]Error:[/red] {exc}", highlight=False)
        raise typer.Exit(2) from None
    except ServiceError as exc:
        err.print(f"[red]Service error:[/red] {exc}", highlight=False)
        raise typer.Exit(3) from None
    except AssistantError as exc:
        err.print(f"[red]Error:[/red] {exc}", highlight=False)
        raise typer.Exit(1) from None


@app.command()
def ingest(
    paths: Annotated[
        list[Path], typer.Argument(help="Folders or files to index and keep in sync.")
    ],
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """Index documents; unchanged files are skipped, changed ones replaced, deleted ones removed.

    Files that cannot be read are reported with their reason and skipped; what was
    indexed before stays. A killed run can simply be started again.
    """
    from assistant.models.factory import build_embedding
    from assistant.store import open_store
    from ingest.sync import IngestJob

    with _edge():
        settings = _settings(data_dir)
        store = open_store(settings)
        embedder = build_embedding(settings.embedding)
        try:
            job = IngestJob(settings, store, embedder)
            interactive = err.is_terminal and not json_out
            with _progress(enabled=interactive) as progress:
                report = job.run(
                    paths, progress=progress, on_file=None if interactive else _log_file
                )
        finally:
            store.close()
            embedder.close()
    if json_out:
        _emit(report.to_dict())
    else:
        typer.echo(report.summary())
    if report.failed and not report.totals()["chunks"] and not report.count("unchanged"):
        raise typer.Exit(1)


def _log_file(result: FileResult) -> None:
    """One line per file on stderr when nobody watches a progress bar (cron, CI, pipes)."""
    detail = f"{result.chunks} chunks" if result.chunks else (result.message or "")
    line = f"{result.status:9} {result.file}" + (f"  ({detail})" if detail else "")
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


@contextmanager
def _progress(
    enabled: bool, label: str = "Indexing"
) -> Iterator[Callable[[int, int, str], None] | None]:
    if not enabled:
        yield None
        return
    bar = Progress(
        TextColumn(f"[bold]{label}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.description}"),
        console=err,
        transient=True,
    )
    task = bar.add_task("", total=None)

    def update(done: int, total: int, name: str) -> None:
        bar.update(task, completed=done, total=total, description=name)

    with bar:
        yield update


@app.command()
def status(data_dir: DataDir = None, json_out: JsonOut = False) -> None:
    """Show what the index holds and how the last sync went."""
    from ingest.status import index_status

    with _edge():
        data = index_status(_settings(data_dir))
    if json_out:
        _emit(data)
        return
    store = data["store"]
    typer.echo(f"Store: {store['kind']} at {store['location']} (collection {store['collection']})")
    if "busy" in data:
        typer.echo(f"Store busy: {data['busy']}")
    else:
        typer.echo(f"Documents: {data['documents']}  Chunks: {data['chunks']}")
        if data["formats"]:
            typer.echo("Formats: " + ", ".join(f"{k} {v}" for k, v in data["formats"].items()))
        if data["incomplete_documents"]:
            typer.echo("Incomplete (re-run ingest): " + ", ".join(data["incomplete_documents"]))
    last = data["last_run"]
    if last is None:
        typer.echo("Last sync: never")
        return
    t = last["totals"]
    typer.echo(
        f"Last sync: {last['finished_at'] or last['started_at']}: {t['new']} new, "
        f"{t['changed']} changed, {t['unchanged']} unchanged, {t['removed']} removed, "
        f"{t['failed']} skipped"
    )
    if last["aborted"]:
        typer.echo(f"  stopped early: {last['aborted']}")
    for e in last["errors"]:
        typer.echo(f"  {e['file']}: [{e['reason']}] {e['message']}")


@app.command()
def examples(
    out: Annotated[
        Path | None, typer.Option(help="Folder to write to (default: DATA_DIR/examples).")
    ] = None,
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """Write the bundled example documents of the fictional Norrbacka kommun."""
    from examples.build import build_examples

    with _edge():
        target = out or _settings(data_dir).data_dir / "examples"
        written = build_examples(target)
    if json_out:
        _emit({"folder": str(target), "documents": [str(p) for p in written]})
    else:
        typer.echo(f"Wrote {len(written)} example documents to {target}")


Groups = Annotated[
    str,
    typer.Option(
        "--groups",
        help="The asking user's access groups, comma-separated (e.g. hr,chefer). "
        "Documents without restriction are readable by everyone.",
    ),
]


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="The question, in Swedish or English.")],
    groups: Groups = "",
    mode: Annotated[
        str | None,
        typer.Option(help="generative (the model writes) or extractive (quotes sentences)."),
    ] = None,
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """Answer a question from the indexed documents, with numbered citations.

    With --json, prints exactly one object: answer, refused, mode, citations, retrieved,
    model, timings_ms (see README, "The ask contract").
    """
    from assistant.query.runtime import open_runtime

    _mode(mode)
    member_of = parse_groups(groups)
    with _edge():
        settings = _settings(data_dir)
        wants_model = (mode or settings.answer.mode) == "generative"
        with open_runtime(settings, with_model=wants_model) as runtime:
            if runtime.model_problem and not json_out:
                err.print(f"[yellow]No language model:[/yellow] {runtime.model_problem}")
            answer = None
            streamed: list[str] = []
            for item in runtime.assistant.stream(question, member_of, mode=_mode(mode)):
                if isinstance(item, str):
                    streamed.append(item)
                    if not json_out:
                        sys.stdout.write(item)
                        sys.stdout.flush()
                else:
                    answer = item
    assert answer is not None
    if json_out:
        _emit(answer.to_json())
        return
    _print_answer(answer, "".join(streamed))


def _print_answer(answer: Answer, streamed: str) -> None:
    """The checked answer (unless it is what was just streamed), then its sources."""
    if streamed:
        sys.stdout.write("\n")
    if answer.notice:
        typer.echo(("\n" if streamed else "") + answer.notice)
    if answer.unsupported and not answer.notice:
        typer.echo("\nChecked answer (sentences without support removed):")
    if answer.answer.strip() != streamed.strip():
        typer.echo(answer.answer)
    sources = answer.citations or ([] if not answer.refused else answer.retrieved)
    if sources:
        typer.echo("\nSources:" if answer.citations else "\nClosest documents:")
    for s in sources:
        where = ", ".join(
            x for x in (s.file, f"p. {s.page}" if s.page else "", s.heading or "") if x
        )
        flag = " (superseded)" if s.superseded else " (validity ended)" if s.expired else ""
        typer.echo(f"[{s.n}] {where}{flag}")
        if answer.citations:
            typer.echo(f'    "{s.quote[:300]}"')
    if answer.validity_notice:
        typer.echo("\n" + answer.validity_notice)
    if answer.unsupported:
        typer.echo("\nRemoved, no support in the sources: " + " | ".join(answer.unsupported))
    typer.echo(f"\n({answer.model}, {answer.timings_ms.get('total', 0) / 1000:.1f} s)")


@app.command()
def ui(
    data_dir: DataDir = None,
    port: Annotated[int, typer.Option(help="Port of the web app on this machine.")] = 8501,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
) -> None:
    """Start the web app (and the local model server when the local provider is used)."""
    import subprocess
    from contextlib import ExitStack

    signal.signal(signal.SIGTERM, _stop_like_ctrl_c)
    with _edge():
        settings = _settings(data_dir)
        with ExitStack() as stack:
            if settings.model.provider == "local":
                from assistant.models.local_server import LocalModelServer

                err.print("Starting the local language model…")
                server = LocalModelServer.from_settings(settings.model, settings.models_dir)
                stack.enter_context(server)
            app_file = Path(__file__).resolve().parents[2] / "ui" / "app.py"
            env = {**os.environ, "ASSISTANT_DATA_DIR": str(settings.data_dir.resolve())}
            command = [
                sys.executable, "-m", "streamlit", "run", str(app_file),
                "--server.address", host, "--server.port", str(port),
                "--server.headless", "true", "--browser.gatherUsageStats", "false",
                "--client.toolbarMode", "minimal", "--server.fileWatcherType", "none",
            ]  # fmt: skip
            err.print(f"The assistant is at http://{host}:{port} (Ctrl-C stops it).")
            from assistant.models.local_server import die_with_parent

            with suppress(KeyboardInterrupt):
                subprocess.run(command, env=env, check=False, preexec_fn=die_with_parent)


eval_app = typer.Typer(help="Evaluation suites: run golden sets, compare runs, gate changes.")
app.add_typer(eval_app, name="eval")


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
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """Run every case through the app's answer path with the given groups; report figures."""
    from assistant.query.runtime import open_runtime
    from evals.judge import build_judge
    from evals.report import write_reports
    from evals.runner import gate as check_gate
    from evals.runner import load_thresholds, run_suite, save_run

    _mode(mode)
    member_of = parse_groups(groups)
    with _edge():
        settings = _settings(data_dir)
        wants_model = (mode or settings.answer.mode) == "generative"
        judge = build_judge(settings)
        with open_runtime(settings, with_model=wants_model) as runtime:
            if runtime.model_problem:
                err.print(f"[yellow]No language model:[/yellow] {runtime.model_problem}")
            with _progress(enabled=err.is_terminal and not json_out, label="Evaluating") as bar:
                run = run_suite(
                    dataset,
                    runtime,
                    groups=member_of,
                    mode=_mode(mode),
                    judge=judge,
                    progress=bar,
                )
        folder = save_run(run, settings.evals_dir)
        if report:
            report.mkdir(parents=True, exist_ok=True)
            write_reports(run, None, report)
        failures = check_gate(
            run["summary"], load_thresholds(settings.eval.thresholds_file, run["suite"])
        )
    run["report"] = str(folder / "report.html")
    run["gate"] = {"passed": not failures, "failures": failures}
    if json_out:
        _emit(run)
    else:
        _print_summary(run)
    if gate and failures:
        raise typer.Exit(1)


def _print_summary(run: dict[str, Any]) -> None:
    s = run["summary"]
    typer.echo(
        f"{run['id']}: {s['cases']} cases, {run['mode']}, {run['model']}, {run['seconds']} s"
    )
    for name, value in s.items():
        if value is not None and name != "cases":
            typer.echo(
                f"  {name:26} {value:.3f}" if isinstance(value, float) else f"  {name:26} {value}"
            )
    if run["judge_note"]:
        typer.echo(f"  ({run['judge_note']})")
    typer.echo(f"Report: {run['report']}")
    for failure in run["gate"]["failures"]:
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

    with _edge():
        settings = _settings(data_dir)
        diff = compare(load_run(run_a, settings.evals_dir), load_run(run_b, settings.evals_dir))
    if json_out:
        _emit(diff)
        return
    typer.echo(f"{diff['a']} -> {diff['b']}")
    for name, d in diff["metrics"].items():
        if d["delta"]:
            typer.echo(f"  {name:26} {d['a']:.3f} -> {d['b']:.3f} ({d['delta']:+.3f})")
    for title in ("improved", "regressed"):
        typer.echo(f"{title.capitalize()}: {len(diff[title])} cases")
        for case in diff[title]:
            moves = ", ".join(f"{c['metric']} {c['a']:.2f}->{c['b']:.2f}" for c in case["changes"])
            typer.echo(f"  {case['id']}: {case['question']} ({moves})")


def _stop_like_ctrl_c(signum: int, frame: object) -> None:
    """`kill` (SIGTERM) stops the app as Ctrl-C does, so the model server stops with it."""
    raise KeyboardInterrupt


def main() -> None:
    app()


if __name__ == "__main__":
    main()
