"""Find the documents under the folders an admin points at, and who may read each.

Access rules: a folder may hold an ``access.toml`` naming the groups that may read the
documents in it and below it; the nearest one up the tree wins::

    groups = ["hr", "chefer"]          # everyone in hr or chefer
    [files]
    "lonetabell.xlsx" = ["hr"]          # this file in this folder: hr only

Without any rule file a document is readable by everyone. ``"*"`` (or "alla",
"everyone") in a list also means everyone. A rule file that cannot be read makes the
documents under it fail with a clear reason: never public by accident.

The rules come from the real tree, not from the folder named: the walk up goes past it
to the file system's root, so ``share/hr/access.toml`` holds when ``share/hr/lon`` is
synced on its own (a rule file above can only narrow the default, everyone). A root that
lies inside another root of the same discovery is covered by the outer one: each file is
found once, and named relative to the outer root.

Links: a link whose target lies outside the folder being indexed fails with
``outside_root`` (a file or a whole folder, reported once): reading it would publish
something nobody put in the document folder. A link to something inside the folder is
skipped, since the target is found on its own, under its own access rules; indexing the
link would give it the rules of the link's folder. A broken link fails as ``unreadable``.
"""

from __future__ import annotations

import hashlib
import os
import tomllib
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import cast

from assistant.store.access import EVERYONE, normalise_groups
from ingest.errors import DocumentError, Reason

_EVERYONE_WORDS = {"*", "alla", "everyone", "all"}
_DOC_NAMESPACE = uuid.UUID("6b1b3f0e-3c55-4d8e-9d3f-9a1c4e2b7a10")


@dataclass(frozen=True)
class SourceFile:
    path: Path  # absolute
    root: Path  # the folder (or file) the admin named
    groups: tuple[str, ...] | None  # who may read it; None: its access rules cannot be read
    problem: tuple[Reason, str] | None = None  # why it must not be indexed, known up front

    @property
    def doc_id(self) -> str:
        return str(uuid.uuid5(_DOC_NAMESPACE, self.path.as_posix()))

    @property
    def relative(self) -> str:
        if self.root == self.path:
            return self.path.name
        return self.path.relative_to(self.root).as_posix()

    def checked_groups(self) -> tuple[str, ...]:
        """Who may read the file; raises the ``DocumentError`` that keeps it out."""
        if self.problem is not None:
            raise DocumentError(*self.problem)
        if self.groups is None:
            raise DocumentError(Reason.ACCESS_RULES, "bad access rules")
        return self.groups


def discover(roots: Iterable[Path], access_file: str = "access.toml") -> Iterator[SourceFile]:
    """Every candidate file under the roots, sorted, skipping hidden and temporary files;
    a file under two of the roots is found once (see ``outermost``)."""
    read_rules = cache(_read_rules)  # each rule file read once per discovery
    for root in outermost(roots):
        if root.is_file():
            yield _source(root, root.parent, access_file, read_rules)
            continue
        for folder, dirs, files in os.walk(root):  # lists links to folders, never enters
            here = Path(folder)
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            linked = [d for d in dirs if (here / d).is_symlink()]
            dirs[:] = [d for d in dirs if d not in linked]
            names = [n for n in files if not n.startswith((".", "~$")) and n != access_file]
            for name in sorted([*linked, *names]):
                path = here / name
                source = _source(path, root, access_file, read_rules)
                if path.is_symlink():
                    link = _link(source)
                    if link is not None:
                        yield link
                    continue
                yield source


def outermost(roots: Iterable[Path]) -> list[Path]:
    """The roots resolved, each once and in the order given, without those inside another
    root: the outer one covers them (a file must not be found twice under two names)."""
    resolved = list(dict.fromkeys(r.expanduser().resolve() for r in roots))
    return [r for r in resolved if not any(o != r and r.is_relative_to(o) for o in resolved)]


def _link(source: SourceFile) -> SourceFile | None:
    """A link met in the walk: a failure to report (its groups those of the folder it sits
    in, so the report can say who may see its name), or None to skip it quietly."""
    path, root = source.path, source.root
    target = Path(os.path.realpath(path))  # the end of the chain, even when broken
    if not target.is_relative_to(root):
        message = f"the link leads outside the document folder, to {target}, and is not followed"
        return replace(source, problem=(Reason.OUTSIDE_ROOT, message))
    if not target.exists():  # broken, or links that loop
        message = f"the link is broken: {target.relative_to(root).as_posix()} cannot be found"
        return replace(source, problem=(Reason.UNREADABLE, message))
    return None  # the walk finds the target itself, with its own access rules


_RuleReader = Callable[[Path], "dict[str, object] | None"]


def _source(path: Path, root: Path, access_file: str, read_rules: _RuleReader) -> SourceFile:
    try:
        groups = _groups_for(path, access_file, read_rules)
    except ValueError as exc:
        return SourceFile(path, root, None, (Reason.ACCESS_RULES, str(exc)))
    return SourceFile(path, root, groups)


def _groups_for(path: Path, access_file: str, read_rules: _RuleReader) -> tuple[str, ...]:
    """The groups of the nearest rules up the real tree, whatever folder was synced."""
    folder = path.parent
    while True:
        rules = read_rules(folder / access_file)
        if rules is not None:
            # [files] names files of its own folder only; a deeper file of the same name
            # takes the folder rules (else a public override would publish it).
            per_file = cast(dict[str, object], rules.get("files", {}))
            if folder == path.parent and path.name in per_file:
                return _normalise(per_file[path.name], folder / access_file)
            if "groups" in rules:
                return _normalise(rules["groups"], folder / access_file)
        if folder.parent == folder:  # the file system's root: no rules anywhere above
            return (EVERYONE,)
        folder = folder.parent


def _read_rules(rule_file: Path) -> dict[str, object] | None:
    try:
        if not rule_file.is_file():
            return None
        data = tomllib.loads(rule_file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ValueError(f"Access rules in {rule_file} cannot be read: {exc}") from exc
    unknown = set(data) - {"groups", "files"}
    if unknown:
        raise ValueError(f"Access rules in {rule_file}: unknown keys {sorted(unknown)}")
    if not isinstance(data.get("files", {}), dict):
        raise ValueError(f"Access rules in {rule_file}: [files] must be a table")
    return data


def _normalise(value: object, rule_file: Path) -> tuple[str, ...]:
    if not isinstance(value, list) or not value or not all(isinstance(g, str) for g in value):
        raise ValueError(f"Access rules in {rule_file}: a group list must be non-empty strings")
    groups = normalise_groups(value)
    if set(groups) & _EVERYONE_WORDS:
        return (EVERYONE,)
    return tuple(groups)


def file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
