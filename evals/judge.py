"""An LLM judge for faithfulness and correctness, through llama-index's evaluators.

Any OpenAI-compatible endpoint serves as judge (``eval.judge`` settings). llama-index's
``FaithfulnessEvaluator`` and ``CorrectnessEvaluator`` need a llama-index LLM, so a small
adapter hands them our chat model; nothing touches llama-index's global ``Settings``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from llama_index.core.evaluation import CorrectnessEvaluator, FaithfulnessEvaluator
from llama_index.core.llms import (
    CompletionResponse,
    CompletionResponseGen,
    CustomLLM,
    LLMMetadata,
)
from pydantic import PrivateAttr

from assistant.errors import ModelError
from assistant.models.chat import ChatModel
from assistant.models.factory import build_chat_model
from assistant.settings import EvalSettings


class _JudgeLLM(CustomLLM):
    """llama-index's view of one of our chat models."""

    _chat: Any = PrivateAttr()

    def __init__(self, chat: ChatModel) -> None:
        super().__init__()
        self._chat = chat

    @property
    def metadata(self) -> LLMMetadata:
        return LLMMetadata(model_name=self._chat.name, num_output=400, context_window=8192)

    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        text = self._chat.complete(
            [{"role": "user", "content": prompt}], max_tokens=400, temperature=0.0
        )
        return CompletionResponse(text=text)

    def stream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseGen:
        def gen() -> CompletionResponseGen:
            text = ""
            for delta in self._chat.stream(
                [{"role": "user", "content": prompt}], max_tokens=400, temperature=0.0
            ):
                text += delta
                yield CompletionResponse(text=text, delta=delta)

        return gen()


class Judge:
    def __init__(self, chat: ChatModel) -> None:
        llm = _JudgeLLM(chat)
        self.name = chat.name
        self._faithfulness = FaithfulnessEvaluator(llm=llm)
        self._correctness = CorrectnessEvaluator(llm=llm)

    def grade(
        self, question: str, answer: str, reference: str, contexts: Sequence[str]
    ) -> dict[str, Any]:
        """faithfulness (0/1), correctness (1–5 scaled to 0–1) and the judge's reasons."""
        try:
            faithful = self._faithfulness.evaluate(
                query=question, response=answer, contexts=list(contexts)
            )
            correct = self._correctness.evaluate(
                query=question, response=answer, reference=reference
            )
        except ModelError as exc:
            return {"judge_error": str(exc)}
        score = correct.score if correct.score is not None else 1.0
        return {
            "faithfulness": 1.0 if faithful.passing else 0.0,
            "correctness": round((score - 1) / 4, 4),
            "faithfulness_reason": (faithful.feedback or "")[:300],
            "correctness_reason": (correct.feedback or "")[:300],
        }


def build_judge(settings: EvalSettings) -> Judge | None:
    """The judge ``eval.judge`` names, or None when none is configured."""
    if settings.judge is None:
        return None
    return Judge(build_chat_model(settings.judge))
