"""The `assistant` command: ingest documents, show the index, build the example set, ask,
start the app; ``assistant eval`` (``cli/evaluate.py``) measures the answers.

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
from collections.abc import Callable
from contextlib import ExitStack, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from assistant import clock
from assistant.settings import shipped
from assistant.store.access import parse_groups
from assistant.text.personal import PERSONAL_DATA_WARNING, mask_personal_numbers
from cli.audit import audit_app, cli_identity, open_trail
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
from cli.evaluate import eval_app
from cli.model import model_app
from ingest.report import FileResult

if TYPE_CHECKING:
    from assistant.query.contract import Answer
    from assistant.runtime import Runtime
    from assistant.settings import Settings, WebSource
    from assistant.trail import AuditTrail

app = typer.Typer(
    name="assistant",
    help="A document assistant for Swedish municipalities: cited answers from your documents.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(eval_app, name="eval")
app.add_typer(audit_app, name="audit")
app.add_typer(model_app, name="model")


@app.callback()
def _configure_logging() -> None:
    """Warnings and errors of libraries go to stderr as one line each."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    # pypdf narrates its repair attempts on damaged files; the report already says "corrupt".
    logging.getLogger("pypdf").setLevel(logging.ERROR)


@app.command()
def ingest(
    paths: Annotated[
        list[str] | None,
        typer.Argument(
            help="Folders, files or web sites (https://host/path/) to index and keep in sync. "
            "None: the configured ingest.roots, ingest.web_sources and "
            "ingest.sharepoint_sources.",
            show_default=False,
        ),
    ] = None,
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """Index documents; unchanged files are skipped, changed ones replaced, deleted ones removed.

    Files that cannot be read are reported with their reason and skipped; what was
    indexed before stays. A killed run can simply be started again. A web site is first
    mirrored (robots.txt respected, only below the URL's folder on its host) and the
    mirror indexed like a folder; each passage cites the page's URL. SharePoint sources
    (configured only) are mirrored the same way through Microsoft Graph.
    """
    from assistant.models.factory import build_embedding
    from assistant.store import open_store
    from ingest.sync import IngestJob

    with edge():
        settings = settings_for(data_dir)
        roots, sites = _ingest_targets(settings, paths or [])
        interactive = err.is_terminal and not json_out
        from ingest.sharepoint import sync_sources
        from ingest.web import crawl_sites

        say = (lambda _: None) if json_out else err.print
        mirrored = crawl_sites(settings, sites, say=say)
        if not paths:
            mirrored.extend(sync_sources(settings, settings.ingest.sharepoint_sources, say=say))
        store = open_store(settings)
        embedder = build_embedding(settings.embedding)
        try:
            job = IngestJob(settings, store, embedder)
            with progress_bar(enabled=interactive) as progress:
                report = job.run(
                    [*roots, *mirrored.roots],
                    progress=progress,
                    on_file=None if interactive else _log_file,
                    problems=mirrored.problems,
                )
        finally:
            store.close()
            embedder.close()
    if json_out:
        emit(report.to_dict())
    else:
        typer.echo(report.summary())
    if report.failed and not report.totals()["chunks"] and not report.count("unchanged"):
        raise typer.Exit(1)


def _ingest_targets(settings: Settings, given: list[str]) -> tuple[list[Path], list[WebSource]]:
    """The folders and web sites to sync: those named (a URL is a site with the default
    settings), else the configured ``ingest.roots`` and ``ingest.web_sources``."""
    from assistant.errors import InputError
    from assistant.settings import WebSource

    if not given:
        configured = settings.ingest
        if not (configured.roots or configured.web_sources or configured.sharepoint_sources):
            raise InputError(
                "Name a folder, file or web site to ingest, or configure ingest.roots, "
                "ingest.web_sources or ingest.sharepoint_sources"
            )
        return list(settings.ingest.roots), list(settings.ingest.web_sources)
    roots: list[Path] = []
    sites: list[WebSource] = []
    for item in given:
        if item.startswith(("http://", "https://")):
            try:
                sites.append(WebSource(start_url=item))
            except ValueError as exc:
                raise InputError(f"{item}: not a web site to crawl ({exc})") from None
        else:
            roots.append(Path(item))
    return roots, sites


def _log_file(result: FileResult) -> None:
    """One line per file on stderr when nobody watches a progress bar (cron, CI, pipes)."""
    detail = f"{result.chunks} chunks" if result.chunks else (result.message or "")
    line = f"{result.status:9} {result.file}" + (f"  ({detail})" if detail else "")
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


@app.command()
def status(data_dir: DataDir = None, json_out: JsonOut = False) -> None:
    """Show what the index holds and how the last sync went."""
    from ingest.status import index_status

    with edge():
        status = index_status(settings_for(data_dir))
    if json_out:
        emit(status.to_json())
        return
    store = status.store
    typer.echo(f"Store: {store.kind} at {store.location} (collection {store.collection})")
    index = status.contents
    if index is None:
        typer.echo(f"Store busy: {status.busy}")
    else:
        typer.echo(f"Documents: {index.documents}  Chunks: {index.chunks}")
        if index.formats:
            typer.echo("Formats: " + ", ".join(f"{k} {v}" for k, v in index.formats.items()))
        if index.incomplete_documents:
            names = ", ".join(d.file for d in index.incomplete_documents)
            typer.echo("Incomplete (re-run ingest): " + names)
    last = status.last_run
    if last is None:
        typer.echo("Last sync: never")
        return
    t = last.totals
    typer.echo(
        f"Last sync: {clock.shown(last.finished_at or last.started_at)}: {t['new']} new, "
        f"{t['changed']} changed, {t['unchanged']} unchanged, {t['removed']} removed, "
        f"{t['failed']} skipped"
    )
    if last.aborted:
        typer.echo(f"  stopped early: {last.aborted}")
    for e in last.errors:
        typer.echo(f"  {e.file}: [{e.reason}] {e.message}")


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

    with edge():
        target = out or settings_for(data_dir).data_dir / "examples"
        written = build_examples(target)
    if json_out:
        emit({"folder": str(target), "documents": [str(p) for p in written]})
    else:
        typer.echo(f"Wrote {len(written)} example documents to {target}")


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
    model, timings_ms (docs/reference/cli.md). A personal identity number in the
    question is masked before anything sees it (the embedding, the model, the output, the
    trail), with a warning on stderr.
    """
    from assistant.query.contract import Queued, Sources
    from assistant.runtime import open_runtime

    question, personal = mask_personal_numbers(question)
    if personal:
        err.print(PERSONAL_DATA_WARNING, highlight=False, markup=False)
    answer_mode = checked_mode(mode)
    member_of = parse_groups(groups)
    with edge():
        settings = settings_for(data_dir)
        wants_model = settings.wants_chat_model(answer_mode)
        with open_runtime(settings, with_model=wants_model) as runtime:
            if runtime.model_problem and not json_out:
                err.print(f"[yellow]No language model:[/yellow] {runtime.model_problem}")
            answer = None
            streamed: list[str] = []
            for item in runtime.assistant.stream(question, member_of, mode=answer_mode):
                if isinstance(item, str):
                    streamed.append(item)
                    if not json_out:
                        sys.stdout.write(item)
                        sys.stdout.flush()
                elif not isinstance(item, Sources | Queued):
                    answer = item
            assert answer is not None
            _record(settings, lambda t: t.answer(cli_identity(tuple(member_of)), answer,
                                                 endpoint=_endpoint(runtime),
                                                 personal_data=personal > 0,
                                                 client="cli"))  # fmt: skip
    if json_out:
        emit(answer.to_json())
        return
    _print_answer(answer, "".join(streamed))


@app.command()
def summarize(
    documents: Annotated[
        list[str],
        typer.Argument(help="File names as citations show them (or paths or doc ids)."),
    ],
    kind: Annotated[
        str, typer.Option(help="summary, key-points, staff or changes (two versions).")
    ] = "summary",
    length: Annotated[str, typer.Option(help="short or long.")] = "short",
    audience: Annotated[str, typer.Option(help="staff, committee or residents.")] = "staff",
    mode: Annotated[
        str | None,
        typer.Option(help="generative (the model drafts) or extractive (quotes sentences)."),
    ] = None,
    groups: Groups = "",
    docx: Annotated[Path | None, typer.Option("--docx", help="Also write a Word file.")] = None,
    markdown: Annotated[
        Path | None, typer.Option("--markdown", help="Also write a Markdown file.")
    ] = None,
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """Draft a summary of whole documents, every sentence cited (for managers).

    With --json, prints exactly one object: summary, kind, documents, citations,
    unsupported, left_out, model, timings_ms (docs/reference/cli.md).
    """
    from assistant.runtime import open_runtime
    from assistant.summary.contract import KINDS, Progress, Summary
    from assistant.summary.export import to_docx, to_markdown

    answer_mode = checked_mode(mode)
    for value, allowed, name in (
        (kind, KINDS, "--kind"),
        (length, ("short", "long"), "--length"),
        (audience, ("staff", "committee", "residents"), "--audience"),
    ):
        if value not in allowed:
            err.print(f"[red]Error:[/red] {name} must be one of {', '.join(allowed)}")
            raise typer.Exit(2)
    with edge():
        settings = settings_for(data_dir)
        wants_model = (answer_mode or settings.answer.mode) == "generative"
        with open_runtime(settings, with_model=wants_model) as runtime:
            if runtime.model_problem and not json_out:
                err.print(f"[yellow]No language model:[/yellow] {runtime.model_problem}")
            summary = None
            for item in runtime.summarizer.stream(
                documents, parse_groups(groups), kind,  # type: ignore[arg-type]
                audience=audience, length=length, use_model=wants_model,  # type: ignore[arg-type]
            ):  # fmt: skip
                if isinstance(item, Summary):
                    summary = item
                elif not json_out and isinstance(item, Progress) and item.label:
                    err.print(f"[{item.done + 1}/{item.total}] {item.label}")
            assert summary is not None
            request = f"{kind}: {', '.join(documents)}"
            _record(settings, lambda t: t.summary(cli_identity(tuple(parse_groups(groups))),
                    summary, request=request, endpoint=_endpoint(runtime)))  # fmt: skip
    if docx:
        to_docx(summary, docx)
    if markdown:
        markdown.write_text(to_markdown(summary), encoding="utf-8")
    if json_out:
        emit(summary.to_json())
        return
    typer.echo(to_markdown(summary))
    if summary.notice:
        typer.echo(summary.notice)
    if summary.unsupported:
        typer.echo("Removed, no support in the sources: " + " | ".join(summary.unsupported))


def _print_answer(answer: Answer, streamed: str) -> None:
    """The checked answer (unless it is what was just streamed), then its sources."""
    from assistant.query.contract import where

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
        place = where(s.file, [s.page], s.heading, page_word="p.")
        flag = " (superseded)" if s.superseded else " (validity ended)" if s.expired else ""
        typer.echo(f"[{s.n}] {place}{flag}")
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
    host: Annotated[
        str | None,
        typer.Option(
            help="Address to listen on (default: Streamlit's server.address setting, else "
            "127.0.0.1). Any address but loopback needs sign-in (ASSISTANT_AUTH__*)."
        ),
    ] = None,
) -> None:
    """Start the web app (and the local model server when answers are generative)."""
    import subprocess
    import tempfile

    signal.signal(signal.SIGTERM, _stop_like_ctrl_c)
    with edge():
        settings = settings_for(data_dir)
        address = host or _streamlit_address() or "127.0.0.1"
        with ExitStack() as stack:
            _serving(settings, address, "the app", stack)
            command = [
                sys.executable, "-m", "streamlit", "run", str(_APP_FILE),
                "--server.address", address, "--server.port", str(port),
                "--server.headless", "true", "--browser.gatherUsageStats", "false",
                "--client.toolbarMode", "minimal", "--server.fileWatcherType", "none",
                *streamlit_guards(settings, address),
            ]  # fmt: skip
            if settings.auth.enabled:  # st.login reads the provider from Streamlit's secrets
                private = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="auth-")))
                command += ["--secrets.files", str(_write_auth_secrets(settings, private, port))]
            env = {**os.environ, "ASSISTANT_DATA_DIR": str(settings.data_dir.resolve())}
            err.print(f"The assistant is at http://{address}:{port} (Ctrl-C stops it).")
            from assistant.models.local_server import die_with_parent

            with suppress(KeyboardInterrupt):
                subprocess.run(command, env=env, check=False, preexec_fn=die_with_parent)


@app.command()
def api(
    data_dir: DataDir = None,
    port: Annotated[int, typer.Option(help="Port of the API on this machine.")] = 8000,
    host: Annotated[
        str,
        typer.Option(
            help="Address to listen on. Any address but loopback needs sign-in "
            "(ASSISTANT_AUTH__*): callers then bring a bearer token from the provider."
        ),
    ] = "127.0.0.1",
) -> None:
    """Start the API: OpenAI-compatible /v1, REST /api (and the local model server when
    answers are generative). OpenAPI schema at /openapi.json."""
    import uvicorn

    signal.signal(signal.SIGTERM, _stop_like_ctrl_c)
    with edge():
        settings = settings_for(data_dir)
        with ExitStack() as stack:
            _serving(settings, host, "the API", stack)
            os.environ["ASSISTANT_DATA_DIR"] = str(settings.data_dir.resolve())
            err.print(f"The API is at http://{host}:{port} (Ctrl-C stops it).")
            with suppress(KeyboardInterrupt):
                uvicorn.run(
                    "api.server:from_environment", factory=True, host=host, port=port,
                    log_level="warning", timeout_graceful_shutdown=10,
                )  # fmt: skip


def _serving(settings: Settings, address: str, what: str, stack: ExitStack) -> None:
    """Before the app or the API listens on ``address``: sign-in is configured unless it is
    loopback (anyone reaching the machine would otherwise be an admin), the audit trail is
    migrated (or it stops here), and the local model server runs (on ``stack``) when
    answers are generative."""
    from assistant.errors import ConfigError
    from assistant.identity import is_loopback

    if not settings.auth.enabled and not is_loopback(address):
        raise ConfigError(
            f"{what} would listen on {address} without sign-in, so anyone who reaches this "
            "machine would be an admin. Configure sign-in (ASSISTANT_AUTH__METADATA_URL, "
            "__CLIENT_ID, __CLIENT_SECRET and __COOKIE_SECRET; see "
            "docs/operations/access-and-sign-in.md) or listen on 127.0.0.1."
        )
    open_trail(settings).db.close()
    if settings.model.provider == "local" and settings.answer.mode == "generative":
        from assistant.models.local_server import LocalModelServer

        err.print("Starting the local language model…")
        stack.enter_context(LocalModelServer.from_settings(settings.model, settings.models_dir))


def _endpoint(runtime: Runtime) -> str:
    return runtime.chat.endpoint if runtime.chat is not None else "-"


def _record(settings: Settings, write: Callable[[AuditTrail], object]) -> None:
    """Write one record to the audit trail (its database migrated first)."""
    trail = open_trail(settings)
    try:
        write(trail)
    finally:
        trail.db.close()


_APP_FILE = shipped("ui", "app.py")


def streamlit_guards(settings: Settings, address: str) -> list[str]:
    """Streamlit options that hold whatever its config files say.

    Without sign-in: WebSocket connections only for a page whose address names this machine
    (``server.allowedHosts``), so a web page whose own name an attacker's DNS points at
    127.0.0.1 (DNS rebinding) is refused; cross-origin and XSRF protection on. With sign-in:
    no error details (message, traceback, server paths) for users, only a generic message;
    they stay in the server's log.
    """
    if settings.auth.enabled:
        return ["--client.showErrorDetails", "none"]
    hosts = dict.fromkeys(("localhost", "127.0.0.1", "::1", address.strip("[]")))
    options = ["--server.enableCORS", "true", "--server.enableXsrfProtection", "true"]
    for host in hosts:
        options += ["--server.allowedHosts", host]
    return options


def _streamlit_address() -> str | None:
    """Streamlit's own ``server.address`` (its config files or STREAMLIT_SERVER_ADDRESS)."""
    from streamlit import config

    address = os.environ.get("STREAMLIT_SERVER_ADDRESS") or config.get_option("server.address")
    return str(address) if address else None


def _write_auth_secrets(settings: Settings, folder: Path, port: int) -> Path:
    """Streamlit's ``[auth]`` secrets in a file only this user can read (deleted at exit)."""
    from assistant.identity import streamlit_auth_section

    section = streamlit_auth_section(settings.auth)
    section["redirect_uri"] = str(section["redirect_uri"]).replace("{port}", str(port))
    path = folder / "secrets.toml"
    path.touch(mode=0o600)
    path.write_text("[auth]\n" + _toml_pairs(section), encoding="utf-8")
    return path


def _toml_pairs(table: dict[str, object]) -> str:
    lines = []
    for key, value in table.items():
        if isinstance(value, dict):
            inner = ", ".join(f"{k} = {json.dumps(str(v))}" for k, v in value.items())
            lines.append(f"{key} = {{ {inner} }}")
        else:
            lines.append(f"{key} = {json.dumps(str(value))}")  # a JSON string is a TOML string
    return "\n".join(lines) + "\n"


def _stop_like_ctrl_c(signum: int, frame: object) -> None:
    """`kill` (SIGTERM) stops the app as Ctrl-C does, so the model server stops with it."""
    raise KeyboardInterrupt


def main() -> None:
    app()


if __name__ == "__main__":
    main()
