from __future__ import annotations

from pathlib import Path

import pytest

from assistant.store import EVERYONE
from ingest.errors import DocumentError, Reason
from ingest.sources import discover, file_hash


def _tree(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def _groups(root: Path) -> dict[str, tuple[str, ...] | None]:
    return {s.relative: s.groups for s in discover([root])}


def test_nearest_rule_file_decides_and_files_table_overrides(tmp_path: Path) -> None:
    _tree(
        tmp_path,
        {
            "semester.md": "x",
            "hr/rehab.md": "x",
            "hr/access.toml": 'groups = ["HR"]\n',
            "hr/chefer/lon.md": "x",
            "hr/chefer/tabell.xlsx": "x",
            "hr/chefer/access.toml": 'groups = ["chefer", "hr"]\n[files]\n"tabell.xlsx" = ["hr"]\n',
            "hr/open/info.md": "x",
            "hr/open/access.toml": 'groups = ["alla"]\n',
        },
    )
    assert _groups(tmp_path) == {
        "semester.md": (EVERYONE,),
        "hr/rehab.md": ("hr",),
        "hr/chefer/lon.md": ("chefer", "hr"),
        "hr/chefer/tabell.xlsx": ("hr",),
        "hr/open/info.md": (EVERYONE,),
    }


@pytest.mark.parametrize(
    "rules",
    ['groups = "hr"\n', "groups = []\n", "grups = ['hr']\n", "groups = [\n", "[files]\nx = 1\n"],
)
def test_broken_rules_never_make_a_document_public(tmp_path: Path, rules: str) -> None:
    _tree(tmp_path, {"hr/rehab.md": "x", "hr/access.toml": rules})
    [source] = list(discover([tmp_path]))
    if rules.startswith("[files]"):  # a files entry that is not a list
        _tree(tmp_path, {"hr/access.toml": '[files]\n"rehab.md" = 1\n'})
        [source] = list(discover([tmp_path]))
    assert source.groups is None
    with pytest.raises(DocumentError) as caught:
        source.checked_groups()
    assert caught.value.reason is Reason.ACCESS_RULES
    assert "access.toml" in caught.value.message


def test_hidden_and_lock_files_are_skipped_and_ids_are_stable(tmp_path: Path) -> None:
    _tree(tmp_path, {"a.md": "x", ".hidden.md": "x", "~$a.docx": "x", ".git/config": "x"})
    first = [s.relative for s in discover([tmp_path])]
    assert first == ["a.md"]
    ids = {s.doc_id for s in discover([tmp_path])} | {s.doc_id for s in discover([tmp_path])}
    assert len(ids) == 1


def test_a_single_file_can_be_named(tmp_path: Path) -> None:
    _tree(tmp_path, {"hr/rehab.md": "x", "hr/access.toml": 'groups = ["hr"]\n'})
    [source] = list(discover([tmp_path / "hr" / "rehab.md"]))
    assert source.groups == ("hr",)
    assert source.relative == "rehab.md"


def test_file_hash_changes_with_content(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text("ett")
    before = file_hash(path)
    path.write_text("två")
    assert file_hash(path) != before


def test_rules_above_the_synced_folder_hold(tmp_path: Path) -> None:
    _tree(
        tmp_path,
        {
            "share/hr/access.toml": 'groups = ["hr"]\n',
            "share/hr/lon/tabell.md": "x",
            "share/hr/lon/2025/mars.md": "x",
        },
    )
    lon = tmp_path / "share" / "hr" / "lon"
    assert _groups(lon) == {"tabell.md": ("hr",), "2025/mars.md": ("hr",)}
    [single] = list(discover([lon / "2025" / "mars.md"]))
    assert single.groups == ("hr",)


@pytest.mark.parametrize("nested_first", [False, True])
def test_overlapping_roots_find_each_file_once_under_its_own_rules(
    tmp_path: Path, nested_first: bool
) -> None:
    _tree(
        tmp_path,
        {
            "share/hr/access.toml": 'groups = ["hr"]\n',
            "share/hr/rehab.md": "x",
            "share/hr/lon/tabell.md": "x",
        },
    )
    hr = tmp_path / "share" / "hr"
    roots = [hr / "lon", hr / "lon" / "tabell.md", hr]
    found = list(discover(roots if nested_first else roots[::-1]))
    assert sorted((s.relative, s.groups) for s in found) == [
        ("lon/tabell.md", ("hr",)),
        ("rehab.md", ("hr",)),
    ]
    alone = {s.path: s.doc_id for s in discover([hr / "lon"])}
    assert {s.path: s.doc_id for s in found if s.path in alone} == alone, "ids follow the file"
