"""What every `assistant` command shares: its options, the settings, the error edge, JSON
output and the progress bar on stderr."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, cast

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from assistant.errors import AssistantError, InputError, ServiceError
from assistant.settings import Settings, load_settings

if TYPE_CHECKING:
    from assistant.query.contract import Mode

err = Console(stderr=True, soft_wrap=True)

DataDir = Annotated[
    Path | None,
    typer.Option("--data-dir", help="Where the store and reports live (ASSISTANT_DATA_DIR)."),
]
JsonOut = Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout.")]
Groups = Annotated[
    str,
    typer.Option(
        "--groups",
        help="The asking user's access groups, comma-separated (e.g. hr,chefer). "
        "Documents without restriction are readable by everyone.",
    ),
]


def checked_mode(mode: str | None) -> Mode | None:
    """``--mode`` as an answer mode; anything else ends the command with exit code 2."""
    if mode not in (None, "generative", "extractive"):
        err.print("[red]Error:[/red] --mode must be generative or extractive", highlight=False)
        raise typer.Exit(2)
    return cast("Mode | None", mode)


def settings_for(data_dir: Path | None) -> Settings:
    return load_settings(data_dir=data_dir) if data_dir else load_settings()


def emit(data: dict[str, Any]) -> None:
    """The one JSON object of ``--json`` on stdout."""
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


@contextmanager
def edge() -> Iterator[None]:
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


@contextmanager
def progress_bar(
    enabled: bool, label: str = "Indexing"
) -> Iterator[Callable[[int, int, str], None] | None]:
    """A ``progress(done, total, name)`` callback drawing a bar on stderr, or None."""
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
