"""What an ingestion run did, for the admin (a summary) and for scripts (JSON)."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from assistant import clock
from ingest.errors import Reason

LATEST = "ingest-latest.json"
# How a file kept out for access rules that cannot be read is reported (reason access_rules).
WITHHELD = "withheld: access rules cannot be read"
_POLICY = {"mask": "masked", "flag": "kept, flagged", "skip": "not indexed"}


@dataclass
class FileResult:
    file: str  # path relative to the root it was found under
    source: str  # absolute path
    status: str  # new, changed, unchanged, removed, failed
    reason: str | None = None
    message: str | None = None
    pages: int = 0
    ocr_pages: int = 0
    chunks: int = 0
    # Who may read it, once known; empty when its access rules cannot be read. Also who
    # may see its name where the report is shown.
    groups: list[str] = field(default_factory=list)
    # Personal identity numbers found (distinct), and the policy applied: mask, flag, skip.
    personal_numbers: int = 0
    personal_policy: str | None = None
    # Sentences that read like instructions to a model (at most a few, shortened; masked
    # under the mask policy). Known for the files this run parsed.
    instructions: list[str] = field(default_factory=list)


@dataclass
class RunReport:
    roots: list[str]
    store: dict[str, str]
    started_at: str = field(default_factory=clock.stamp)
    finished_at: str | None = None
    seconds: float = 0.0
    parse_seconds: float = 0.0
    embed_seconds: float = 0.0
    store_seconds: float = 0.0
    embedded_chunks: int = 0  # chunks the model embedded in this run
    cached_chunks: int = 0  # chunks whose vectors came from the embedding cache
    aborted: str | None = None  # why the run stopped early, if it did
    files: list[FileResult] = field(default_factory=list)

    def add(self, result: FileResult) -> None:
        self.files.append(result)

    def count(self, status: str) -> int:
        return sum(f.status == status for f in self.files)

    @property
    def failed(self) -> list[FileResult]:
        return [f for f in self.files if f.status == "failed"]

    @property
    def withheld(self) -> list[FileResult]:
        """Files kept out of the index because their access rules cannot be read."""
        return [f for f in self.failed if f.reason == Reason.ACCESS_RULES]

    @property
    def with_personal_numbers(self) -> list[FileResult]:
        return [f for f in self.files if f.personal_numbers]

    @property
    def with_instructions(self) -> list[FileResult]:
        return [f for f in self.files if f.instructions]

    def totals(self) -> dict[str, Any]:
        done = [f for f in self.files if f.status in ("new", "changed")]
        chunks = sum(f.chunks for f in done)
        pages = sum(f.pages for f in done)
        return {
            "files_seen": sum(f.status != "removed" for f in self.files),
            "new": self.count("new"),
            "changed": self.count("changed"),
            "unchanged": self.count("unchanged"),
            "removed": self.count("removed"),
            "failed": self.count("failed"),
            "pages": pages,
            "ocr_pages": sum(f.ocr_pages for f in done),
            "chunks": chunks,
            "personal_files": len(self.with_personal_numbers),
            "personal_numbers": sum(f.personal_numbers for f in self.with_personal_numbers),
            "instruction_files": len(self.with_instructions),
            "chunks_per_s": round(chunks / self.seconds, 2) if self.seconds else 0.0,
            "pages_per_s": round(pages / self.seconds, 2) if self.seconds else 0.0,
            "embed_share": round(self.embed_seconds / self.seconds, 3) if self.seconds else 0.0,
        }

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["totals"] = self.totals()
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunReport:
        """A report as ``to_dict`` wrote it (``totals`` is computed again, not read)."""
        known = {f.name for f in fields(cls)} - {"files"}
        file_keys = {f.name for f in fields(FileResult)}
        return cls(
            **{k: v for k, v in data.items() if k in known},
            files=[
                FileResult(**{k: v for k, v in f.items() if k in file_keys})
                for f in data.get("files", [])
            ],
        )

    def save(self, folder: Path) -> Path:
        """Write the report, and point ``ingest-latest.json`` at it atomically."""
        folder.mkdir(parents=True, exist_ok=True)
        stamp = self.started_at.replace(":", "").replace("-", "")[:15]
        path = folder / f"ingest-{stamp}-{os.getpid()}.json"
        text = json.dumps(self.to_dict(), ensure_ascii=False, indent=2)
        path.write_text(text, encoding="utf-8")
        tmp = folder / f".{LATEST}.tmp"
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(folder / LATEST)
        return path

    def summary(self) -> str:
        t = self.totals()
        lines = [
            f"Files: {t['files_seen']} seen, {t['new']} new, {t['changed']} changed, "
            f"{t['unchanged']} unchanged, {t['removed']} removed, {t['failed']} skipped",
            f"Indexed: {t['pages']} pages ({t['ocr_pages']} by OCR), {t['chunks']} chunks "
            f"({self.embedded_chunks} embedded, {self.cached_chunks} from the cache)",
            f"Time: {self.seconds:.1f} s ({t['chunks_per_s']} chunks/s; embedding "
            f"{self.embed_seconds:.1f} s, parsing {self.parse_seconds:.1f} s)",
        ]
        if self.withheld:
            lines.append(
                f"Withheld from everyone: {len(self.withheld)} file(s) whose access rules "
                "cannot be read; fix the access.toml named below and sync again"
            )
        if self.failed:
            lines.append("Skipped files:")
            lines += [f"  {f.file}: [{f.reason}] {f.message}" for f in self.failed]
        if self.with_personal_numbers:
            lines.append("Personal identity numbers:")
            lines += [
                f"  {f.file}: {f.personal_numbers} ({_POLICY.get(f.personal_policy or '', '?')})"
                for f in self.with_personal_numbers
            ]
        if self.with_instructions:
            lines.append("Passages that read like instructions to a model:")
            for f in self.with_instructions:
                lines += [f"  {f.file}: {snippet}" for snippet in f.instructions]
        if self.aborted:
            lines.append(f"Run stopped early: {self.aborted}")
        return "\n".join(lines)


def load_latest(folder: Path) -> RunReport | None:
    """The report of the last ingestion run, or None when there has been none."""
    path = folder / LATEST
    if not path.is_file():
        return None
    return RunReport.from_dict(json.loads(path.read_text(encoding="utf-8")))
