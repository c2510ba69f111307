"""The product installed from its wheel, away from the checkout.

The wheel is built from a copy of the packages, installed into a fresh virtual environment
that sees the project's dependencies (a ``.pth`` file naming this environment's
site-packages) but not the editable checkout, and then run from a folder of its own: it
writes the example documents, indexes one, answers a question from it with a citation and
records it in the audit trail (its migrations shipped inside the package).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import venv
import zipfile
from pathlib import Path, PurePosixPath
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
# What the installed product reads from inside its packages: every file of these folders
# of the checkout must be in the wheel.
SHIPPED = {
    "prompts": ("*.md", "*.toml"),
    "evals/suites": ("*.jsonl", "*.md"),
    "evals": ("thresholds.toml",),
    "assistant/trail/migrations": ("*.py", "versions/*.py"),
    "examples/content": ("*.md",),
    "ui": ("app.py", "*.md", ".streamlit/config.toml"),
}


def _case(case_id: str) -> dict[str, Any]:
    for line in (REPO / "evals" / "suites" / "examples.jsonl").read_text("utf-8").splitlines():
        case: dict[str, Any] = json.loads(line)
        if case["id"] == case_id:
            return case
    raise AssertionError(f"{case_id} is not in evals/suites/examples.jsonl")


def _run(command: list[str], cwd: Path, env: dict[str, str], timeout: int = 600) -> str:
    done = subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
    return done.stdout


def _environment(data_dir: Path) -> dict[str, str]:
    """This process's environment without the project's settings or an import path."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("ASSISTANT_") and k not in ("PYTHONPATH", "PYTHONHOME")
    }
    return env | {"HF_HUB_OFFLINE": "1", "ASSISTANT_DATA_DIR": str(data_dir)}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel, built from a copy of the packages (the checkout gets no build/ folder)."""
    source = tmp_path_factory.mktemp("source")
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))
    for pattern in pyproject["tool"]["setuptools"]["packages"]["find"]["include"]:
        name = pattern.rstrip("*")
        shutil.copytree(
            REPO / name, source / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
        )
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, source / name)
    out = tmp_path_factory.mktemp("dist")
    command = [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out)]
    _run([*command, str(source)], cwd=source, env=_environment(source / ".data"))
    (built,) = out.glob("*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment with the wheel installed: its folder."""
    home = tmp_path_factory.mktemp("venv")
    venv.EnvBuilder(with_pip=False, symlinks=True).create(home)
    python = str(home / "bin" / "python")
    env = _environment(home / ".data")
    purelib = _run(
        [python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], home, env
    )
    # The dependencies (and pip) from this environment; a .pth line only adds a folder to
    # the path, so the editable install's own .pth there is not run: the checkout stays out.
    ours = dict.fromkeys([sysconfig.get_path("purelib"), sysconfig.get_path("platlib")])
    (Path(purelib.strip()) / "project-dependencies.pth").write_text("\n".join(ours) + "\n")
    _run(
        [python, "-m", "pip", "install", "--no-deps", "--no-index", "--ignore-installed",
         "--disable-pip-version-check", "--quiet", str(wheel)],
        home, env, timeout=300,
    )  # fmt: skip
    return home


def test_the_wheel_holds_every_file_the_product_reads(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = {PurePosixPath(n) for n in archive.namelist()}
    for folder, patterns in SHIPPED.items():
        expected = {
            PurePosixPath(p.relative_to(REPO).as_posix())
            for pattern in patterns
            for p in (REPO / folder).glob(pattern)
        }
        assert expected, f"nothing in {folder} matches {patterns}"
        missing = sorted(str(p) for p in expected - names)
        assert not missing, f"not in the wheel: {missing}"
    assert PurePosixPath("prompts/phrases.sv.toml") in names
    assert PurePosixPath("prompts/answer.sv.md") in names
    assert PurePosixPath("assistant/trail/migrations/env.py") in names
    assert not [n for n in names if n.parts[0] in ("tests", "bench", "deploy", "docs")]
    (entry_points,) = [n for n in names if n.name == "entry_points.txt"]
    with zipfile.ZipFile(wheel) as archive:
        assert "assistant = cli.main:app" in archive.read(str(entry_points)).decode()


@pytest.mark.slow
def test_the_installed_command_answers_from_the_examples(installed: Path, tmp_path: Path) -> None:
    """Outside the checkout: examples, ingest, ask (extractive) with a cited source."""
    work = tmp_path / "elsewhere"
    work.mkdir()
    data = work / "data"
    env = _environment(data)
    python, command = str(installed / "bin" / "python"), str(installed / "bin" / "assistant")

    found = "import assistant, prompts, ui; print(assistant.__file__, prompts.__file__)"
    where = _run([python, "-c", found], work, env)
    for path in where.split():
        assert Path(path).is_relative_to(installed), where
        assert not Path(path).is_relative_to(REPO), where

    case = _case("ex-semester-40-ar")
    _run([command, "examples"], work, env)
    document = next((data / "examples").rglob(case["source_file"]))
    ingested = json.loads(_run([command, "ingest", str(document), "--json"], work, env))
    assert ingested["totals"]["new"] == 1
    assert ingested["totals"]["chunks"] > 0
    answer = json.loads(
        _run([command, "ask", case["question"], "--mode", "extractive", "--json"], work, env)
    )
    assert not answer["refused"], answer["answer"]
    assert answer["citations"], answer["answer"]
    assert {c["file"] for c in answer["citations"]} == {case["source_file"]}
    assert "31 dagar" in answer["answer"]
    # The question is in the audit trail, whose schema the shipped migrations made.
    records = json.loads(_run([command, "audit", "list", "--json"], work, env))["records"]
    assert [r["question"] for r in records] == [case["question"]]
    assert not (work / ".data").exists(), "everything goes to ASSISTANT_DATA_DIR"
