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

from assistant.answer import Assistant
from assistant.embeddings import EmbeddingModel
from assistant.errors import AssistantError
from assistant.factory import build_embedding
from assistant.rerank import build_reranker
from assistant.retrieve import Retriever
from assistant.settings import Settings
from assistant.sparse import SparseEncoder
from assistant.store import VectorStore, open_store

if TYPE_CHECKING:
    from assistant.llm import ChatModel


@dataclass
class Runtime:
    settings: Settings
    store: VectorStore
    embedder: EmbeddingModel
    assistant: Assistant
    chat: ChatModel | None
    model_problem: str | None = None  # why there is no chat model, if there is none
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
        chat, problem = _chat_model(settings, stack) if with_model else (None, None)
        sparse = SparseEncoder(compounds=settings.retrieval.compounds)
        reranker = build_reranker(settings.retrieval.rerank)
        if reranker is not None:
            stack.callback(reranker.close)
        retriever = Retriever(store, embedder, settings.retrieval, sparse, reranker)
        assistant = Assistant(settings, retriever, chat, sparse)
    except BaseException:
        stack.close()
        raise
    return Runtime(settings, store, embedder, assistant, chat, problem, stack)


def _chat_model(settings: Settings, stack: ExitStack) -> tuple[ChatModel | None, str | None]:
    from assistant.llm import build_chat_model

    base_url = None
    try:
        if settings.model.provider == "local":
            from assistant.local_model import LocalModelServer

            server = LocalModelServer.from_settings(settings.model, settings.models_dir)
            stack.enter_context(server)
            base_url = server.base_url
        chat = build_chat_model(settings.model, base_url=base_url)
    except AssistantError as exc:
        return None, str(exc)
    stack.callback(chat.close)
    return chat, None
