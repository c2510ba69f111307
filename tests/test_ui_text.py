"""The app's words (``[ui]`` of the phrases files, read through ``ui.text.ui_text``): every
file names every code and message, and every key the code looks up is there."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant.errors import ConfigError
from assistant.query.prompts import PROMPTS_DIR, load_phrases
from ui.text import CODES, InterfaceText, interface_text, ui_text

REPO = Path(__file__).resolve().parents[1]
LANGS = sorted(f.name.split(".")[1] for f in PROMPTS_DIR.iterdir() if f.name.startswith("phrases."))


def _sources(*folders: str) -> Iterator[tuple[Path, ast.Module]]:
    for folder in folders:
        for path in sorted((REPO / folder).rglob("*.py")):
            yield path, ast.parse(path.read_text(encoding="utf-8"))


def _looked_up(tree: ast.Module) -> Iterator[tuple[str, str, int]]:
    """``(table, key, line)`` of each ``<…>.<table>["key"]`` in ``tree``, also through a
    name a function binds to a table (``roles = ui_text().roles`` … ``roles["admin"]``)."""
    for scope in (n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.Lambda)):
        aliases = {
            node.targets[0].id: node.value.attr
            for node in ast.walk(scope)
            if isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and isinstance(node.value, ast.Attribute)
            and node.value.attr in CODES
        }
        for node in ast.walk(scope):
            if not (
                isinstance(node, ast.Subscript)
                and isinstance(node.slice, ast.Constant)
                and isinstance(node.slice.value, str)
            ):
                continue
            target, key = node.value, node.slice.value
            if isinstance(target, ast.Attribute) and target.attr in CODES:
                yield target.attr, key, node.lineno
            elif isinstance(target, ast.Name) and target.id in aliases:
                yield aliases[target.id], key, node.lineno


def _recorded_actions(tree: ast.Module) -> Iterator[tuple[str, int]]:
    """The action of each ``record_action(settings, viewer, "sync", …)`` and
    ``trail.action(identity, "purge", …)`` call."""
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        position = None
        if isinstance(func, ast.Name) and func.id == "record_action":
            position = 2
        elif isinstance(func, ast.Attribute) and func.attr == "action":
            position = 1
        if position is None or len(node.args) <= position:
            continue
        arg = node.args[position]
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            yield arg.value, node.lineno


def _keys(node: Any) -> Any:
    return {k: _keys(v) for k, v in node.items()} if isinstance(node, dict) else None


@pytest.mark.parametrize("lang", LANGS)
def test_every_phrases_file_has_the_apps_words(lang: str) -> None:
    text = interface_text(load_phrases(lang))
    for table, codes in CODES.items():
        names: dict[str, str] = getattr(text, table)
        assert tuple(names) == codes, table  # in the app's order
        assert all(n.strip() for n in names.values()), table
    for field in ("documents_unreadable", "service_down", "no_model"):
        assert "{reason}" in getattr(text, field), field


def test_every_language_names_the_same_words() -> None:
    swedish = _keys(load_phrases("sv").ui)
    assert set(swedish) == set(InterfaceText.model_fields)
    for lang in LANGS:
        assert _keys(load_phrases(lang).ui) == swedish, lang


def test_every_key_the_app_looks_up_is_in_the_swedish_file() -> None:
    text = ui_text()
    found = 0
    for path, tree in _sources("ui"):
        for table, key, line in _looked_up(tree):
            found += 1
            assert key in getattr(text, table), f"{path.relative_to(REPO)}:{line}: {table}[{key!r}]"
    assert found >= 10, "the scan found too few look-ups to be reading the code"


def test_every_action_recorded_has_a_name() -> None:
    recorded = {
        (action, f"{path.relative_to(REPO)}:{line}")
        for path, tree in _sources("ui", "cli", "assistant", "ingest", "evals")
        for action, line in _recorded_actions(tree)
    }
    assert {a for a, _ in recorded} >= {"sync", "export", "purge"}, recorded
    unnamed = sorted(where for action, where in recorded if action not in ui_text().actions)
    assert not unnamed, f"actions without a name in [ui.actions]: {unnamed}"


def test_the_words_live_in_one_place() -> None:
    """No module of the app spells out a message or label the phrases file holds (the
    phrases of several words; a single word such as "export" may mean something else)."""
    text = ui_text()
    values = [
        value
        for field in InterfaceText.model_fields
        for value in (
            getattr(text, field).values()
            if isinstance(getattr(text, field), dict)
            else [getattr(text, field)]
        )
    ]
    words = {p.strip() for v in values for p in v.split("{reason}") if " " in p.strip()}
    words = {w for w in words if len(w) >= 12}
    assert len(words) >= 8, words
    spelled = [
        f"{path.relative_to(REPO)}:{node.lineno}: {node.value!r}"
        for path, tree in _sources("ui")
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and any(w in node.value for w in words)
    ]
    assert not spelled, spelled


def test_a_missing_or_unknown_name_is_a_configuration_error(tmp_path: Path) -> None:
    swedish = (PROMPTS_DIR / "phrases.sv.toml").read_text(encoding="utf-8")
    broken = {
        r"ui\.roles": swedish.replace('manager = "chef"\n', ""),
        r"ui\.actions": swedish.replace('purge = "rensning"\n', 'purge = "x"\nreindex = "y"\n'),
        "answer_mode": swedish.replace('answer_mode = "Svarsläge"\n', ""),
    }
    for n, (problem, text) in enumerate(broken.items()):
        assert text != swedish, problem
        folder = tmp_path / str(n)
        folder.mkdir()
        (folder / "phrases.sv.toml").write_text(text, encoding="utf-8")
        with pytest.raises(ConfigError, match=problem):
            interface_text(load_phrases("sv", folder))


def test_the_order_on_screen_is_the_apps(tmp_path: Path) -> None:
    swedish = (PROMPTS_DIR / "phrases.sv.toml").read_text(encoding="utf-8")
    reordered = swedish.replace(
        'generative = "generativt"\nextractive = "extraktivt"\n',
        'extractive = "extraktivt"\ngenerative = "generativt"\n',
    )
    assert reordered != swedish
    (tmp_path / "phrases.sv.toml").write_text(reordered, encoding="utf-8")
    modes = interface_text(load_phrases("sv", tmp_path)).answer_modes
    assert list(modes) == ["generative", "extractive"]
