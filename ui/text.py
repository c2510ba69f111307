"""The app's words that more than one place uses: the names it shows for codes (roles,
record kinds, actions, kinds of draft, answer modes, sync statuses, personal-number
policies, the audit log's filter choices), its page titles and a few shared messages.

They are kept with the answers' phrases, in ``[ui]`` of ``prompts/phrases.sv.toml``, and
``ui_text()`` is the one way the app reads them. They are checked when first read: every
table names exactly the codes in ``CODES``, and comes back in that order (the order of
the choices and columns on screen).
"""

from __future__ import annotations

from functools import cache
from typing import Any, get_args

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from assistant.errors import ConfigError
from assistant.query.prompts import Phrases, load_phrases
from assistant.settings import AnswerSettings, IngestSettings, Role
from assistant.summary.contract import KINDS
from assistant.trail.audit import Kind, Verdict

LANG = "sv"  # the app speaks Swedish


def _choices(model: type[BaseModel], field: str) -> tuple[str, ...]:
    return get_args(model.model_fields[field].annotation)


# The codes each table of ``[ui]`` names, in the order the app shows them.
CODES: dict[str, tuple[str, ...]] = {
    "pages": ("chat", "summarize", "audit", "evaluation", "admin", "statement"),
    "roles": get_args(Role),
    "record_kinds": get_args(Kind),
    "actions": ("sync", "eval_run", "export", "purge"),
    "summary_kinds": KINDS,
    "answer_modes": _choices(AnswerSettings, "mode"),
    "sync_statuses": ("new", "changed", "unchanged", "removed", "failed"),
    "personal_policies": _choices(IngestSettings, "personal_numbers"),
    "refused_filter": ("all", "yes", "no"),
    "feedback_filter": ("all", *get_args(Verdict)),
}


class InterfaceText(BaseModel):
    """``[ui]`` of a phrases file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    pages: dict[str, str]
    roles: dict[str, str]
    record_kinds: dict[str, str]
    actions: dict[str, str]
    summary_kinds: dict[str, str]
    answer_modes: dict[str, str]
    sync_statuses: dict[str, str]
    personal_policies: dict[str, str]
    refused_filter: dict[str, str]
    feedback_filter: dict[str, str]
    removed_unsupported: str  # the heading of the sentences left out of an answer or draft
    documents_unreadable: str  # {reason}
    service_down: str  # {reason}
    no_model: str  # {reason}
    started_extractive: str  # the reason when the app runs without a model
    answer_mode: str
    no_groups: str  # a user or a run with no access groups
    run_a: str  # the two evaluation runs compared
    run_b: str
    all_kinds: str
    download_markdown: str

    @model_validator(mode="before")
    @classmethod
    def _every_code_named(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        data = dict(data)
        for table, codes in CODES.items():
            names = data.get(table)
            if not isinstance(names, dict):
                continue  # the field's own validation says what is wrong
            if set(names) != set(codes):
                raise ValueError(
                    f"[ui.{table}] names {sorted(names)}; the app's codes are {sorted(codes)}"
                )
            data[table] = {code: names[code] for code in codes}
        return data


def interface_text(phrases: Phrases) -> InterfaceText:
    """The ``[ui]`` words of one phrases file, checked."""
    try:
        return InterfaceText.model_validate(phrases.ui)
    except ValidationError as exc:
        raise ConfigError(f"[ui] of the phrases file: {exc}") from exc


@cache
def ui_text() -> InterfaceText:
    """The app's words (``[ui]`` of ``prompts/phrases.sv.toml``)."""
    return interface_text(load_phrases(LANG))
