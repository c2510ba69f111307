from __future__ import annotations

from pathlib import Path

import pytest

from assistant.errors import ConfigError
from assistant.prompts import PROMPTS_DIR, load_prompt


@pytest.mark.parametrize("path", sorted(PROMPTS_DIR.glob("*.md")), ids=lambda p: p.name)
def test_every_shipped_prompt_loads(path: Path) -> None:
    purpose, lang, _ = path.name.split(".")
    prompt = load_prompt(purpose, lang)
    assert prompt.variables


def test_answer_prompt_numbers_the_passages() -> None:
    messages = load_prompt("answer", "sv").messages(
        passages=[{"n": 1, "source": "Semester – Ansökan", "text": "Söks senast 31 mars."}],
        question="När söker jag?",
    )
    assert [m["role"] for m in messages] == ["system", "user"]
    assert "[1] Semester – Ansökan\nSöks senast 31 mars." in messages[1]["content"]
    assert messages[1]["content"].rstrip().endswith("Fråga: När söker jag?")


def test_undeclared_or_missing_variables_are_refused(tmp_path: Path) -> None:
    (tmp_path / "x.sv.md").write_text("---\nvariables: [question]\n---\n{{ question }} {{ extra }}")
    with pytest.raises(ConfigError, match="declares"):
        load_prompt("x", "sv", tmp_path)
    (tmp_path / "y.sv.md").write_text("---\nvariables: [question]\n---\n{{ question }}")
    with pytest.raises(ConfigError, match="missing"):
        load_prompt("y", "sv", tmp_path).messages()


def test_unknown_language_falls_back_to_swedish() -> None:
    assert load_prompt("answer", "fi").name == "answer.sv.md"
