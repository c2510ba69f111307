"""`assistant audit`: the operator's view of the audit trail (list, purge, content gaps).

``--groups`` shows the trail as an admin of those groups sees it in the app: answers and
the names of documents outside the groups withheld. Without it, ``list`` shows every
record in full, naming the documents of summaries and exports by id (their names are not
stored, and the store is not opened).
"""

from __future__ import annotations

import getpass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer

from assistant.identity import Identity
from assistant.query.contract import where
from assistant.settings import Settings
from assistant.trail import AuditFilter, AuditTrail, Readable, open_database
from assistant.trail.audit import records_csv
from cli.common import DataDir, Groups, JsonOut, edge, emit, err, settings_for

audit_app = typer.Typer(help="The audit trail: who was told what, on which sources.")

Since = Annotated[
    str | None,
    typer.Option(help="Only records from this day (YYYY-MM-DD) or this many days back (30d)."),
]


def cli_identity(groups: tuple[str, ...] = ()) -> Identity:
    """Who the trail names for commands run on the server: the operating-system user."""
    user = getpass.getuser()
    return Identity(f"cli:{user}", user, "admin", groups, signed_in=False)


def open_trail(settings: Settings) -> AuditTrail:
    return AuditTrail(open_database(settings.database_url), settings.audit)


def readable_by(settings: Settings, groups: tuple[str, ...]) -> Readable:
    """What a reader of ``groups`` may read, from the index."""
    from assistant.store import open_store
    from assistant.summary.library import Library

    store = open_store(settings)
    try:
        return Readable.of(Library(store).documents(list(groups)))
    finally:
        store.close()


def parse_since(since: str | None) -> datetime | None:
    if since is None:
        return None
    try:
        if since.endswith("d") and since[:-1].isdigit():
            return datetime.now(UTC) - timedelta(days=int(since[:-1]))
        return datetime.combine(date.fromisoformat(since), datetime.min.time(), UTC)
    except ValueError:
        err.print("[red]Error:[/red] --since takes a date (2026-11-01) or days back (30d)")
        raise typer.Exit(2) from None


@audit_app.command("list")
def audit_list(
    since: Since = None,
    user: Annotated[str | None, typer.Option(help="A user id or part of a name.")] = None,
    document: Annotated[
        str | None, typer.Option(help="A doc id or part of a cited file name.")
    ] = None,
    refused: Annotated[
        bool | None, typer.Option("--refused/--answered", help="Only refusals, or only answers.")
    ] = None,
    limit: Annotated[int, typer.Option(help="At most this many, newest first.")] = 100,
    csv_out: Annotated[bool, typer.Option("--csv", help="Print CSV instead.")] = False,
    groups: Annotated[
        str | None,
        typer.Option(
            "--groups",
            help="Show the records as an admin of these access groups (comma-separated) "
            "sees them: answers and names of other documents withheld. Default: all.",
        ),
    ] = None,
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """Print the trail's records, newest first (all of them unless --groups is given)."""
    from assistant.store.access import parse_groups

    chosen = AuditFilter(
        since=parse_since(since), user=user, document=document, refused=refused, limit=limit
    )
    with edge():
        settings = settings_for(data_dir)
        readable = (
            Readable.operator()
            if groups is None
            else readable_by(settings, tuple(parse_groups(groups)))
        )
        trail = open_trail(settings)
        try:
            found = [r.visible_to(readable) for r in trail.records(chosen)]
        finally:
            trail.db.close()
    if json_out:
        emit({"records": [r.to_json() for r in found]})
        return
    if csv_out:
        typer.echo(records_csv(found), nl=False)
        return
    for r in found:
        who = r.user_name or r.user_id
        what = r.action if r.kind == "action" else (r.question or "")
        flag = " [refused]" if r.refused else ""
        verdict = "" if r.feedback is None else (" 👍" if r.feedback.score else " 👎")
        typer.echo(f"{r.id:>6}  {r.at:%Y-%m-%d %H:%M}  {r.kind:<7} {who}: {what}{flag}{verdict}")
        for c in r.citations:
            typer.echo(f"          [{c.n}] {where(c.file, [c.page], sep=' ')}")
    err.print(f"{len(found)} records")


@audit_app.command("purge")
def audit_purge(
    days: Annotated[
        int | None, typer.Option(help="Keep this many days (default: audit.retention_days).")
    ] = None,
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """Delete records older than the retention, with their citations and feedback."""
    import time

    with edge():
        settings = settings_for(data_dir)
        keep = settings.audit.retention_days if days is None else days
        trail = open_trail(settings)
        try:
            t0 = time.perf_counter()
            removed = trail.purge(keep)
            seconds = time.perf_counter() - t0
            trail.action(cli_identity(), "purge", {"retention_days": keep, "removed": removed})
        finally:
            trail.db.close()
    if json_out:
        emit({"removed": removed, "retention_days": keep, "seconds": round(seconds, 3)})
        return
    if keep <= 0:
        typer.echo("Retention is 0 (keep everything): nothing removed.")
    else:
        typer.echo(f"Removed {removed} records older than {keep} days ({seconds:.2f} s).")


@audit_app.command("gaps")
def audit_gaps(
    since: Since = "90d",
    folder: Annotated[
        str | None, typer.Option(help="Only the topics whose closest documents are here.")
    ] = None,
    groups: Groups = "",
    markdown: Annotated[Path | None, typer.Option("--markdown", help="Write Markdown.")] = None,
    csv_file: Annotated[Path | None, typer.Option("--csv", help="Write CSV.")] = None,
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """The content-gap report: refused questions and thumbs-down answers by topic, with
    the closest documents a reader of --groups may see."""
    from assistant.runtime import open_runtime
    from assistant.store.access import parse_groups
    from assistant.summary.library import Library
    from assistant.trail.gaps import content_gaps

    with edge():
        settings = settings_for(data_dir)
        viewer = tuple(parse_groups(groups))
        trail = open_trail(settings)
        try:
            with open_runtime(settings, with_model=False) as runtime:
                readable = Readable.of(Library(runtime.store).documents(list(viewer)))
                report = content_gaps(
                    trail,
                    runtime.embedder,
                    runtime.retriever,
                    viewer,
                    readable=readable,
                    since=parse_since(since),
                )
            if folder is not None:
                report = report.for_folder(folder)
            trail.action(
                cli_identity(viewer), "export",
                {"what": "content_gaps", "folder": folder, "topics": len(report.gaps)},
            )  # fmt: skip
        finally:
            trail.db.close()
    if markdown:
        markdown.write_text(report.to_markdown(), encoding="utf-8")
    if csv_file:
        csv_file.write_text(report.to_csv(), encoding="utf-8")
    if json_out:
        emit(
            {
                "gaps": [
                    {"topic": g.topic, "folder": g.folder, "count": g.count,
                     "refused": g.refused, "weeks": g.weeks,
                     "closest": [d.rel_path for d in g.closest],
                     "questions": [q.question for q in g.questions]}
                    for g in report.gaps
                ]
            }
        )  # fmt: skip
        return
    if not (markdown or csv_file):
        typer.echo(report.to_markdown(), nl=False)
