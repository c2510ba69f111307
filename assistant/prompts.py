"""Prompts are files in ``prompts/``: one per purpose and language, reviewed like code.

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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from llama_index.core.prompts.rich import RichPromptTemplate

from assistant.errors import ConfigError

PROMPTS_DIR = Path(__file__).resolve().parents[1] / "prompts"
_FRONT = re.compile(r"\A---\n(.*?)\n---\n", re.S)


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


def load_prompt(purpose: str, lang: str, folder: Path = PROMPTS_DIR) -> Prompt:
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
