"""The MCP server (streamable HTTP, at ``/mcp/``): the municipality's documents as tools for
the AI assistants staff already use, with the same access rules as the app.

Tools: ``search_documents`` (passages, no model), ``ask`` (a cited answer or the refusal),
``get_passage`` (one passage by its ``chunk_id``) and ``list_documents`` (what the caller
may read). Every call is made as the caller of the HTTP request (``CALLER``, set by
``authenticated``): their groups filter every passage, and answers go into the audit
trail with the client ``mcp``.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import asdict
from typing import Any

import anyio
from fastapi import HTTPException
from mcp.server.fastmcp import FastMCP
from mcp.server.transport_security import TransportSecuritySettings
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from assistant.identity import Identity
from assistant.query.context import quoted
from assistant.query.contract import Passage, Source, source_contract
from assistant.store.access import readable_by
from assistant.summary.library import Library
from assistant.text.personal import mask_personal_numbers

CALLER: ContextVar[Identity] = ContextVar("caller")


def build_tools(service: Callable[[], Any]) -> FastMCP:
    """The MCP server; ``service()`` gives the API's ``Service`` (runtime, trail)."""
    server = FastMCP(
        "kommun-assistenten",
        instructions="Search and ask the municipality's own governing documents "
        "(policies, rules, guidelines; mostly Swedish). Answers cite their passages; "
        "when the documents do not answer, the answer says so.",
        stateless_http=True,
        json_response=True,
        streamable_http_path="/",
        # Callers are checked by their bearer token (or are the local user on loopback).
        transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False),
    )

    @server.tool()
    async def search_documents(question: str, limit: int = 5) -> dict[str, Any]:
        """Passages of the documents that best match the question (no language model)."""
        who = CALLER.get()

        def run() -> dict[str, Any]:
            masked = mask_personal_numbers(question)[0]
            retriever = service().runtime.retriever
            found = retriever.retrieve(masked, list(who.groups))
            passages = [
                source_contract(asdict(Source.of(n, p)))
                for n, p in enumerate(found.passages[: max(1, min(limit, 20))], start=1)
            ]
            return {"supported": found.supported, "passages": passages}

        return await anyio.to_thread.run_sync(run)

    @server.tool()
    async def ask(question: str) -> dict[str, Any]:
        """A short answer with numbered citations, or the sentence that the documents do
        not answer the question."""
        who = CALLER.get()

        def run() -> dict[str, Any]:
            masked, found = mask_personal_numbers(question)
            answer = service().runtime.assistant.ask(masked, list(who.groups))
            service().record(who, answer, found > 0, "mcp")
            return answer.to_json()

        return await anyio.to_thread.run_sync(run)

    @server.tool()
    async def get_passage(chunk_id: str) -> dict[str, Any]:
        """One passage (as a search result or citation names it by ``chunk_id``), whole."""
        who = CALLER.get()

        def run() -> dict[str, Any]:
            allowed = set(readable_by(list(who.groups)))
            hits = service().runtime.store.get_points([chunk_id])
            for hit in hits:
                if not allowed.isdisjoint(hit.record.groups):
                    # Screened as the model reads it: instruction-like text left out.
                    [passage] = quoted([Passage.from_hit(hit, similarity=0.0)])
                    source = Source.of(1, passage)
                    return source_contract(asdict(source)) | {"text": passage.text}
            return {"error": f"no passage {chunk_id!r} among those you may read"}

        return await anyio.to_thread.run_sync(run)

    @server.tool()
    async def list_documents() -> dict[str, Any]:
        """The documents the caller may read: id, title, file, type and designations."""
        who = CALLER.get()

        def run() -> dict[str, Any]:
            docs = Library(service().runtime.store).documents(list(who.groups))
            return {"documents": [document_contract(d) for d in docs]}

        return await anyio.to_thread.run_sync(run)

    return server


def document_contract(doc: Any) -> dict[str, Any]:
    """A document as the API shows it: never its server path or access groups."""
    return {
        "doc_id": doc.doc_id,
        "title": doc.title,
        "file": doc.file,
        "doc_type": doc.doc_type,
        "designations": list(doc.designations),
        "decision_date": doc.decision_date,
        "superseded": doc.superseded,
        "pages": doc.page_count,
    }


class Authenticated:
    """ASGI middleware before the MCP app: the caller from the bearer token (``who``
    raises the API's 401/403), kept in ``CALLER`` for the tools."""

    def __init__(self, app: ASGIApp, who: Callable[[Request], Identity]) -> None:
        self._app = app
        self._who = who

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        try:
            # In a worker thread: checking a token may fetch the provider's keys.
            identity = await anyio.to_thread.run_sync(self._who, Request(scope))
        except HTTPException as exc:
            response = JSONResponse(
                {"detail": exc.detail}, exc.status_code, headers=dict(exc.headers or {})
            )
            await response(scope, receive, send)
            return
        token = CALLER.set(identity)
        try:
            await self._app(scope, receive, send)
        finally:
            CALLER.reset(token)
