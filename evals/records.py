"""What an evaluation run stores: ``run.json`` as typed records, and a comparison of two.

The JSON shape is the contract of ``assistant eval run --json`` and of the stored runs;
fields added later have defaults, so runs stored before them still load. The metric maps
(a case's metrics, a run's summary) stay maps: their names are open-ended.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from assistant.query.contract import Source

# A run's aggregates by metric name; ``cases`` and token counts are ints, a metric no case
# defines is None. ``int | float`` keeps ints ints (pydantic would make 3 into 3.0).
Summary = dict[str, int | float | None]


class Passage(BaseModel):
    """A passage as a run keeps it: where it is from and the start of its text."""

    n: int
    file: str
    page: int | None = None
    heading: str | None = None
    text: str = ""

    @classmethod
    def of(cls, source: Source, chars: int) -> Passage:
        return cls(
            n=source.n,
            file=source.file,
            page=source.page,
            heading=source.heading,
            text=source.quote[:chars],
        )


class CaseResult(BaseModel):
    """One case of a suite as the run answered it, with its metrics."""

    id: str
    question: str
    type: str = ""
    lang: str = ""
    split: str | None = None
    expected: str = ""  # the reference answer, or why it is withheld from this run
    expected_files: list[str] = Field(default_factory=list)
    got: str = ""
    refused: bool = False
    expected_refusal: bool = False
    asked_as: list[str] = Field(default_factory=list)  # the groups the case was asked with
    mode: str = ""
    notice: str | None = None
    unsupported: list[str] = Field(default_factory=list)
    metrics: dict[str, float] = Field(default_factory=dict)
    judge: dict[str, str] = Field(default_factory=dict)  # the judge's reasons or its error
    citations: list[Passage] = Field(default_factory=list)
    retrieved: list[Passage] = Field(default_factory=list)
    timings_ms: dict[str, int | float] = Field(default_factory=dict)
    tokens: dict[str, int] = Field(default_factory=dict)

    @property
    def refusal_right(self) -> bool:
        """Refused exactly when it should."""
        return self.refused == self.expected_refusal


class RunConfig(BaseModel):
    """The settings that shape a run's figures (None: not recorded by an older run)."""

    collection: str | None = None
    chunk_tokens: int | None = None
    retrieval_mode: str | None = None
    compounds: bool | None = None
    rerank: str | None = None
    context_passages: int | None = None
    expand_questions: bool | None = None
    answer_kinds: bool | None = None  # the asked kind of fact brought forward / required
    focus_tokens: list[int] | None = None  # what the model read of each passage, by rank


class EvalRun(BaseModel):
    """One run of a golden set, as ``DATA_DIR/evals/<id>/run.json`` holds it."""

    id: str
    suite: str = ""
    suite_path: str = ""
    split: str | None = None  # the part of the suite that ran; None: all of it
    mode: str = ""
    groups: list[str] = Field(default_factory=list)
    model: str = ""
    judge: str | None = None
    judge_note: str | None = None
    config: RunConfig = Field(default_factory=RunConfig)
    started_at: str = ""
    seconds: float = 0.0
    summary: Summary = Field(default_factory=dict)
    # 95 % bootstrap intervals of the summary's quality figures, by metric name.
    intervals: dict[str, tuple[float, float]] = Field(default_factory=dict)
    by_type: dict[str, Summary] = Field(default_factory=dict)
    by_lang: dict[str, Summary] = Field(default_factory=dict)
    results: list[CaseResult] = Field(default_factory=list)
    # Where the run is stored, once it is read from there; never part of its JSON.
    folder: Path | None = Field(default=None, exclude=True)

    @property
    def cases(self) -> int:
        return int(self.summary.get("cases") or 0)

    def to_json(self) -> dict[str, Any]:
        """``run.json``, and what ``assistant eval run --json`` prints of the run."""
        return self.model_dump(mode="json")


class Delta(BaseModel):
    a: int | float
    b: int | float
    delta: int | float


class Change(BaseModel):
    metric: str
    a: float
    b: float


class CaseMove(BaseModel):
    """A case whose figures moved between two runs."""

    id: str
    question: str
    changes: list[Change]


class Comparison(BaseModel):
    """What changed from run ``a`` to run ``b``: ``assistant eval compare --json``."""

    a: str
    b: str
    metrics: dict[str, Delta]
    improved: list[CaseMove]
    regressed: list[CaseMove]

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")
