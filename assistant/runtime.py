"""Everything a question needs, opened once from settings and closed together.

The CLI opens a runtime per command; the app keeps one for its whole life (it owns the
embedded store then). With the local provider the llama.cpp server is started here, or
reused when one already answers on the configured port (say, the app's).
"""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Self

from assistant.models.embeddings import EmbeddingModel
from assistant.models.factory import build_embedding, build_reranker, open_chat_model
from assistant.query.answer import Assistant
from assistant.query.gate import Gate
from assistant.query.retrieve import Retriever
from assistant.settings import Settings
from assistant.store import VectorStore, open_store
from assistant.summary.library import Library
from assistant.summary.summarize import Summarizer
from assistant.text.sparse import SparseEncoder
from assistant.text.terms import TermMatcher

if TYPE_CHECKING:
    from assistant.models.chat import ChatModel


@dataclass
class Runtime:
    settings: Settings
    store: VectorStore
    embedder: EmbeddingModel
    assistant: Assistant
    summarizer: Summarizer
    chat: ChatModel | None
    model_problem: str | None = None  # why there is no chat model, if there is none
    retriever: Retriever | None = None
    _stack: ExitStack = field(default_factory=ExitStack, repr=False)

    def close(self) -> None:
        self._stack.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def open_runtime(settings: Settings, *, with_model: bool = True) -> Runtime:
    """Open the store, the embedding model and (``with_model``) the chat model.

    A chat model that cannot be had is not fatal: answers are then extractive and
    ``model_problem`` says why.
    """
    stack = ExitStack()
    try:
        store = open_store(settings)
        stack.callback(store.close)
        embedder = build_embedding(settings.embedding)
        stack.callback(embedder.close)
        chat, problem = (
            open_chat_model(settings.model, settings.models_dir, stack)
            if with_model
            else (None, None)
        )
        sparse = SparseEncoder(compounds=settings.retrieval.compounds)
        reranker = build_reranker(settings.retrieval.rerank)
        if reranker is not None:
            stack.callback(reranker.close)
        retriever = Retriever(store, embedder, settings.retrieval, sparse, reranker)
        gate = Gate(settings.model.slots, settings.model.queue_limit) if chat else None
        assistant = Assistant(settings, retriever, chat, sparse, gate)
        summarizer = Summarizer(settings, Library(store), TermMatcher(sparse), chat, embedder)
    except BaseException:
        stack.close()
        raise
    return Runtime(
        settings, store, embedder, assistant, summarizer, chat, problem, retriever, stack
    )
