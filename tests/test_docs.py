"""The documentation stays true: the configuration reference matches the settings, the
site builds with ``mkdocs build --strict``, and the README stays short and names only
``make`` targets and files that exist."""

from __future__ import annotations

import functools
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"
REGENERATE = "python scripts/config_reference.py"


@functools.cache
def _generator() -> ModuleType:
    """``scripts/config_reference.py``, loaded from its file (``scripts/`` is no package)."""
    path = REPO / "scripts" / "config_reference.py"
    spec = importlib.util.spec_from_file_location("config_reference", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_the_configuration_reference_is_generated_from_the_settings() -> None:
    generator = _generator()
    committed = (REPO / "docs" / "reference" / "configuration.md").read_text(encoding="utf-8")
    assert committed == generator.render(), (
        f"docs/reference/configuration.md is stale: run `{REGENERATE}` and commit it"
    )


def test_the_reference_names_every_setting_with_secrets_unset() -> None:
    page = _generator().render()
    for name in (
        "ASSISTANT_DATA_DIR",
        "ASSISTANT_RETRIEVAL__RERANK__BASE_URL",
        "ASSISTANT_EVAL__JUDGE__MODEL",
        "ASSISTANT_AUTH__COOKIE_SECRET",
    ):
        assert f"| `{name}` |" in page, name
    secret = next(line for line in page.splitlines() if "`ASSISTANT_DB__URL`" in line)
    assert "| secret | unset |" in secret


class _Section(BaseModel):
    """A section."""

    described: int = Field(1, description="Has one.")
    bare: int = 2


class _Root(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="X_", env_nested_delimiter="__")

    part: _Section = Field(default_factory=_Section)


def test_a_setting_without_a_description_stops_the_generator() -> None:
    generator = _generator()
    with pytest.raises(generator.MissingDescription, match=r"part\.bare"):
        generator.render(_Root)


def test_check_fails_on_a_stale_page_and_says_how_to_regenerate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    generator = _generator()
    stale = tmp_path / "configuration.md"
    stale.write_text("# Configuration\n", encoding="utf-8")
    monkeypatch.setattr(generator, "OUTPUT", stale)
    assert generator.main(["--check"]) == 1
    assert REGENERATE in capsys.readouterr().err
    assert generator.main([]) == 0  # writes it
    assert generator.main(["--check"]) == 0


def test_the_site_builds_strictly(tmp_path: Path) -> None:
    site = tmp_path / "site"
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=REPO,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert (site / "reference" / "configuration" / "index.html").is_file()
    assert (site / "design" / "threat-model" / "index.html").is_file()


def _make_targets() -> set[str]:
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    return set(re.findall(r"^([A-Za-z][\w.-]*)\s*:(?!=)", makefile, flags=re.MULTILINE))


def _code(markdown: str) -> list[str]:
    """The inline code spans and fenced blocks of a Markdown text."""
    fenced = re.findall(r"^```[^\n]*\n(.*?)^```", markdown, flags=re.MULTILINE | re.DOTALL)
    prose = re.sub(r"^```[^\n]*\n.*?^```", "", markdown, flags=re.MULTILINE | re.DOTALL)
    return fenced + re.findall(r"`([^`\n]+)`", prose)


def test_the_readme_is_short() -> None:
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 200, f"README.md has {len(lines)} lines; the rest belongs in docs/"


def test_every_make_target_the_readme_names_exists() -> None:
    named = {
        target
        for code in _code(README.read_text(encoding="utf-8"))
        for target in re.findall(r"(?:^|[\s;&(])make\s+([a-z][\w-]*)", code)
    }
    assert {"run", "test"} <= named
    missing = sorted(named - _make_targets())
    assert not missing, f"README.md names make targets the Makefile lacks: {missing}"


def test_the_readme_links_to_files_that_exist() -> None:
    text = README.read_text(encoding="utf-8")
    links = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text)
    local = [link for link in links if "://" not in link]
    assert local, "the README links into docs/"
    broken = sorted(link for link in local if not (REPO / link).exists())
    assert not broken, f"README.md links to missing files: {broken}"
