"""`assistant model`: the packaged language models, for a model server on another machine."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cli.common import DataDir, JsonOut, edge, emit, err, settings_for

model_app = typer.Typer(help="The packaged language models (GGUF files in pip packages).")


@model_app.command("export")
def model_export(
    path: Annotated[
        Path, typer.Argument(help="The GGUF file to write, or a folder (then NAME.gguf in it).")
    ],
    model: Annotated[
        str | None,
        typer.Option(help="qwen2.5-1.5b or qwen2.5-0.5b (default: ASSISTANT_MODEL__LOCAL_MODEL)."),
    ] = None,
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """Write a packaged model as one GGUF file (checked against its SHA-256), to serve it
    with llama.cpp's server or any other GGUF server (docs/operations/deploy.md)."""
    from assistant.errors import ConfigError
    from assistant.models.packaged import PACKAGED_MODELS, export_model

    with edge():
        name = model or settings_for(data_dir).model.local_model
        packaged = PACKAGED_MODELS.get(name)
        if packaged is None:
            raise ConfigError(f"--model must be one of: {', '.join(PACKAGED_MODELS)}")
        if not json_out:
            err.print(f"Joining {packaged.title} ({packaged.size / 1e9:.2f} GB)…")
        written = export_model(packaged, path)
    if json_out:
        emit({"model": packaged.name, "path": str(written), "sha256": packaged.sha256})
    else:
        typer.echo(f"{written}  (sha256 {packaged.sha256})")
