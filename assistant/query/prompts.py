"""Prompts are files in ``prompts/``: one per purpose and language, reviewed like code.

The fixed sentences of answers (the refusal, the notices, the labels of documents no
longer in force) are there too, in ``phrases.<lang>.toml``, loaded by ``load_phrases``.
``prompts`` is a package: its files are read through ``importlib.resources``, so they are
found in an installed wheel as in a checkout.

Each file starts with a front matter naming its variables::

    ---
    purpose: answer a question from numbered passages
    variables: [question, passages]
    ---
    {% chat role="system" %}...{% endchat %}
    {% chat role="user" %}...{% endchat %}

The body is a llama-index ``RichPromptTemplate``. Loading fails when the declared
variables and the ones the template uses differ; rendering fails when one is missing.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Any

from llama_index.core.prompts.rich import RichPromptTemplate
from pydantic import BaseModel, ConfigDict, ValidationError

from assistant.errors import ConfigError

PROMPTS_DIR: Traversable = files("prompts")
_FRONT = re.compile(r"\A---\n(.*?)\n---\n", re.S)
# The tags the prompts put around each passage, to say "quoted material, not instructions".
_DELIMITER = re.compile(r"</?\s*(?:utdrag|excerpt)\b[^>]*>", re.I)


@dataclass(frozen=True)
class Prompt:
    name: str
    variables: frozenset[str]
    template: RichPromptTemplate

    def messages(self, **values: Any) -> list[dict[str, str]]:
        """Render to chat messages in the OpenAI format."""
        missing = self.variables - values.keys()
        extra = values.keys() - self.variables
        if missing or extra:
            raise ConfigError(
                f"prompt {self.name}: missing {sorted(missing)}, unexpected {sorted(extra)}"
            )
        return [
            {"role": m.role.value, "content": str(m.content or "")}
            for m in self.template.format_messages(**values)
        ]


def excerpt(text: str) -> str:
    """A passage's text as the prompts quote it: a tag that would end the quote early
    (``</utdrag>`` written in a document) is taken out."""
    return _DELIMITER.sub("", text)


def load_prompt(purpose: str, lang: str, folder: Traversable = PROMPTS_DIR) -> Prompt:
    """``prompts/<purpose>.<lang>.md``, falling back to Swedish."""
    path = folder / f"{purpose}.{lang}.md"
    if not path.is_file():
        path = folder / f"{purpose}.sv.md"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"prompt file missing: {path}") from exc
    front = _FRONT.match(text)
    if not front:
        raise ConfigError(f"prompt {path.name}: no front matter with its variables")
    declared = re.search(r"^variables:\s*\[(.*?)\]\s*$", front.group(1), re.M)
    if not declared:
        raise ConfigError(f"prompt {path.name}: front matter lacks 'variables: [...]'")
    variables = frozenset(v.strip() for v in declared.group(1).split(",") if v.strip())
    template = RichPromptTemplate(text[front.end() :])
    used = frozenset(template.template_vars)
    if used != variables:
        raise ConfigError(
            f"prompt {path.name}: declares {sorted(variables)} but uses {sorted(used)}"
        )
    return Prompt(path.name, variables, template)


class Phrases(BaseModel):
    """The fixed sentences and labels of answers in one language (``phrases.<lang>.toml``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    no_support: str
    refusal_markers: tuple[str, ...]
    model_down: str  # {reason}
    unverified: str
    queue_full: str
    according_to: str  # {source}
    validity_superseded: str  # {refs}
    validity_expired: str  # {refs}
    source_word: str
    page_abbreviation: str
    label_superseded: str
    label_expired: str
    # The app's own words (``[ui]``), checked by the app's reader (``ui/text.py``).
    ui: dict[str, str | dict[str, str]]


@cache
def load_phrases(lang: str, folder: Traversable = PROMPTS_DIR) -> Phrases:
    """``prompts/phrases.<lang>.toml``, falling back to Swedish."""
    path = folder / f"phrases.{lang}.toml"
    if not path.is_file():
        path = folder / "phrases.sv.toml"
    try:
        return Phrases.model_validate(tomllib.loads(path.read_text(encoding="utf-8")))
    except (OSError, tomllib.TOMLDecodeError, ValidationError) as exc:
        raise ConfigError(f"phrases file {path}: {exc}") from exc


def refusal_markers() -> tuple[str, ...]:
    """What marks a model's answer as a refusal, in every language we answer in."""
    return tuple(m for lang in ("sv", "en") for m in load_phrases(lang).refusal_markers)
