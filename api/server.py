"""The assistant over HTTP: an OpenAI-compatible ``/v1`` and the REST API ``/api``.

Every call is made as its caller (``api/auth.py``): with the caller's access groups, so a
response never holds text of a document outside them; questions are masked for personal
identity numbers before anything reads them; answers go through the same answer path as
the app (the model's line, the citation check, the refusal) and are recorded in the audit
trail with the client that asked.

- ``GET /api/health``: the process answers; ``GET /api/ready``: the index and the audit
  trail can be read (503 otherwise), for load balancers.
- ``POST /api/ask`` ``{"question", "history"?, "mode"?}``: the ``assistant ask --json``
  contract. ``POST /api/search`` ``{"question", "limit"?}``: the passages only, no model.
- ``GET /v1/models``: the assistant as one model. ``POST /v1/chat/completions``: the last
  user message is the question, earlier turns its history; the answer as the assistant
  message, streamed (server-sent events) or not, with the citations in the extension field
  ``citations`` (file, page, heading, quote, document id) and ``refused``.
"""

from __future__ import annotations

import itertools
import json
import logging
import threading
import time
import uuid
from collections.abc import Generator, Iterator
from contextlib import asynccontextmanager, closing, contextmanager
from dataclasses import asdict
from typing import Annotated, Any, Literal

import anyio
from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from api.auth import Forbidden, TokenVerifier, Unauthorised
from api.limits import BodyLimit, RateLimiter
from api.tools import Authenticated, build_tools, document_contract
from assistant.errors import AssistantError, InputError, LineFull
from assistant.identity import LOCAL_USER, Identity
from assistant.query.contract import Answer, Mode, Queued, Source, Sources, source_contract
from assistant.runtime import Runtime, open_runtime
from assistant.settings import Settings
from assistant.summary.contract import Audience, Kind, Length
from assistant.summary.library import Library
from assistant.text.personal import mask_personal_numbers
from assistant.trail import AuditTrail
from assistant.trail.db import failure_said, open_database

log = logging.getLogger(__name__)

VERSION = "1"
MODEL_ID = "kommun-assistenten"
MAX_QUESTION_CHARS = 4000
MAX_HISTORY = 20
StreamItem = str | Sources | Queued | Answer


class Turn(BaseModel):
    """An earlier turn of the conversation, in the shape the answer path reads."""

    model_config = ConfigDict(extra="forbid")

    role: Literal["user", "assistant"]
    content: str


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str = Field(min_length=1, max_length=MAX_QUESTION_CHARS)
    history: list[Turn] = Field(default_factory=list, max_length=MAX_HISTORY)
    mode: Mode | None = None


class SearchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str = Field(min_length=1, max_length=MAX_QUESTION_CHARS)
    limit: int = Field(5, ge=1, le=20)


class FeedbackRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    record_id: int
    score: Literal[0, 1]  # 1: thumbs up, 0: thumbs down
    reason: Literal["wrong", "incomplete", "outdated", "wrong_document"] | None = None
    comment: str | None = Field(None, max_length=2000)


class SummarizeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    documents: list[str] = Field(min_length=1, max_length=10)  # file names or doc ids
    kind: Kind = "summary"
    audience: Audience = "staff"
    length: Length = "short"


class ChatMessage(BaseModel):
    role: Literal["system", "user", "assistant", "developer", "tool"]
    content: str | list[dict[str, Any]] | None = None


class ChatRequest(BaseModel):
    """The Chat Completions request; fields the assistant does not use are accepted and
    ignored (temperature, max_tokens, …): the answer path decides how it answers."""

    model_config = ConfigDict(extra="allow")

    model: str = MODEL_ID
    messages: list[ChatMessage] = Field(min_length=1, max_length=2 * MAX_HISTORY + 2)
    stream: bool = False


class Problem(BaseModel):
    """The body of every refusal but 422 (FastAPI's own): why, in one sentence."""

    detail: str


PROBLEMS = {
    400: "The body is not JSON, or cannot be answered as sent (an unknown document, …).",
    401: "With sign-in: the bearer token is missing or not valid here.",
    403: "The caller may not do this.",
    413: "The request body, or the question, is too long.",
    429: "Too many calls this minute; Retry-After says in how many seconds to try again.",
    503: "The language model or the index failed.",
}
CALLER = (401, 403, 429)  # any call made as a caller
BODY = (400, 413)  # any call with a body (FastAPI parses it; api/limits.py)


def problems(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The refusals a route may answer with, declared in the OpenAPI schema."""
    return {code: {"model": Problem, "description": PROBLEMS[code]} for code in codes}


class Service:
    """What one API process holds: the settings, the runtime, the audit trail and the
    token verifier (None without a provider: the local user)."""

    def __init__(self, settings: Settings, runtime: Runtime | None = None) -> None:
        self.settings = settings
        self._runtime = runtime
        self._lock = threading.Lock()
        self.verifier = TokenVerifier(settings.auth) if settings.auth.enabled else None
        self.limiter = RateLimiter(settings.api.requests_per_minute)
        self.trail = AuditTrail(open_database(settings.database_url), settings.audit)

    @property
    def runtime(self) -> Runtime:
        with self._lock:
            if self._runtime is None:
                self._runtime = open_runtime(
                    self.settings, with_model=self.settings.wants_chat_model()
                )
            return self._runtime

    def close(self) -> None:
        if self._runtime is not None:
            self._runtime.close()
        self.trail.db.close()

    def endpoint_of(self, model: str) -> str:
        chat = self.runtime.chat
        return chat.endpoint if chat is not None and model != "extractive" else "-"

    def record(self, who: Identity, answer: Answer, personal_data: bool, client: str) -> int | None:
        """Into the audit trail (the record's id); a failing database costs the caller
        nothing but a log line (which never names the question)."""
        try:
            return self.trail.answer(
                who,
                answer,
                endpoint=self.endpoint_of(answer.model),
                personal_data=personal_data,
                client=client,
            )
        except Exception as exc:  # any database failure
            log.error("The audit trail could not record an API answer: %s", failure_said(exc))
            return None


def _service(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


def caller(request: Request) -> Identity:
    """The identity behind the request's bearer token; the local user without a provider."""
    return identify(_service(request), request)


def identify(service: Service, request: Request) -> Identity:
    """The caller, counted against their rate limit (429 with Retry-After beyond it)."""
    who = _identity(service, request)
    wait = service.limiter.wait_s(who.subject)
    if wait:
        raise HTTPException(
            429, f"too many requests: try again in {wait} s", {"Retry-After": str(wait)}
        )
    return who


def _identity(service: Service, request: Request) -> Identity:
    if service.verifier is None:
        return LOCAL_USER
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise HTTPException(401, "a bearer token is required", {"WWW-Authenticate": "Bearer"})
    try:
        return service.verifier.identity(token.strip())
    except Unauthorised as exc:
        raise HTTPException(401, str(exc), {"WWW-Authenticate": "Bearer"}) from exc
    except Forbidden as exc:
        raise HTTPException(403, str(exc)) from exc


Caller = Annotated[Identity, Depends(caller)]


def create_app(settings: Settings, runtime: Runtime | None = None) -> FastAPI:
    """The API over ``settings``; ``runtime`` (opened on first use when None) is closed
    with the app."""

    holder: list[Service] = []
    tools = build_tools(lambda: holder[0])

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> Any:
        app.state.service = Service(settings, runtime)
        holder.append(app.state.service)
        # Open the index and the models before the first request is accepted.
        await anyio.to_thread.run_sync(lambda: app.state.service.runtime)
        try:
            async with tools.session_manager.run():
                yield
        finally:
            app.state.service.close()

    app = FastAPI(
        title="Kommun-assistenten API",
        version=VERSION,
        description="Answers with citations from the organisation's own documents, as the "
        "caller may read them.",
        lifespan=lifespan,
    )

    app.add_middleware(BodyLimit, most=settings.api.max_body_bytes)
    # The MCP server: streamable HTTP at /mcp/, as the caller of each request.
    app.mount("/mcp", Authenticated(tools.streamable_http_app(), lambda r: identify(holder[0], r)))

    @app.get("/api/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/api/ready", responses={503: {"description": "The index or audit trail failed."}})
    def ready(request: Request) -> JSONResponse:
        service = _service(request)
        try:
            service.runtime.store.count()
            service.trail.db.revision()
        except Exception as exc:
            log.warning("not ready: %s", failure_said(exc))
            return JSONResponse({"status": "not ready", "reason": type(exc).__name__}, 503)
        return JSONResponse({"status": "ready"})

    @app.post("/api/search", responses=problems(*CALLER, *BODY, 503))
    def search(body: SearchRequest, who: Caller, request: Request) -> dict[str, Any]:
        service = _service(request)
        question = mask_personal_numbers(body.question)[0]
        retriever = service.runtime.retriever
        if retriever is None:  # pragma: no cover  (open_runtime always builds one)
            raise HTTPException(503, "retrieval is not available")
        found = retriever.retrieve(question, list(who.groups))
        passages = [
            source_contract(asdict(Source.of(n, p)))
            for n, p in enumerate(found.passages[: body.limit], start=1)
        ]
        return {"question": question, "supported": found.supported, "passages": passages}

    @app.post("/api/ask", responses=problems(*CALLER, *BODY, 503))
    def ask(body: AskRequest, who: Caller, request: Request) -> dict[str, Any]:
        service = _service(request)
        question, masked = mask_personal_numbers(body.question)
        history = [turn.model_dump() for turn in body.history]
        answer = _answer(service, who, question, history, body.mode)
        record_id = service.record(who, answer, masked > 0, "api")
        return answer.to_json() | {"record_id": record_id}

    @app.get("/api/documents", responses=problems(*CALLER))
    def documents(who: Caller, request: Request) -> dict[str, Any]:
        docs = Library(_service(request).runtime.store).documents(list(who.groups))
        return {"documents": [document_contract(d) for d in docs]}

    @app.post("/api/feedback", status_code=204, responses=problems(*CALLER, *BODY))
    def give_feedback(body: FeedbackRequest, who: Caller, request: Request) -> None:
        """Thumbs up or down on an answer (its ``record_id`` from ``/api/ask``), by the
        person who was answered."""
        try:
            _service(request).trail.give_feedback(
                body.record_id, who, body.score, body.reason if body.score == 0 else None,
                body.comment,
            )  # fmt: skip
        except PermissionError as exc:
            raise HTTPException(403, str(exc)) from exc

    @app.post("/api/summarize", responses=problems(*CALLER, *BODY, 503))
    def summarize(body: SummarizeRequest, who: Caller, request: Request) -> dict[str, Any]:
        """A cited draft of whole documents (the manager role)."""
        if not who.may("manager"):
            raise HTTPException(403, "drafting summaries is for the manager role")
        service = _service(request)
        try:
            summary = service.runtime.summarizer.summarize(
                body.documents, list(who.groups), body.kind, audience=body.audience,
                length=body.length,
                use_model=settings.answer.mode == "generative",
            )  # fmt: skip
        except InputError as exc:
            raise HTTPException(400, str(exc)) from exc
        except AssistantError as exc:
            raise HTTPException(503, str(exc)) from exc
        try:
            service.trail.summary(
                who, summary, request=body.kind, endpoint=service.endpoint_of(summary.model)
            )
        except Exception as exc:
            log.error("The audit trail could not record an API summary: %s", failure_said(exc))
        return summary.to_json()

    @app.get("/v1/models", responses=problems(*CALLER))
    def models(who: Caller) -> dict[str, Any]:
        return {
            "object": "list",
            "data": [{"id": MODEL_ID, "object": "model", "created": 0, "owned_by": "kommun"}],
        }

    @app.post(
        "/v1/chat/completions",
        response_model=None,
        responses={
            # With "stream": true, server-sent events (the checked answer, then citations).
            200: {"content": {"text/event-stream": {}}},
            **problems(*CALLER, *BODY, 503),
        },
    )
    def chat_completions(
        body: ChatRequest, who: Caller, request: Request
    ) -> dict[str, Any] | StreamingResponse:
        service = _service(request)
        question, history = _conversation(body.messages)
        question, masked = mask_personal_numbers(question)
        if not body.stream:
            answer = _answer(service, who, question, history, None)
            service.record(who, answer, masked > 0, "openai")
            return _completion(answer)
        stream = service.runtime.assistant.stream(
            question, list(who.groups), history, when_full="refuse"
        )
        # Up to the model's turn before the response starts: a full line is still a 429.
        first = _primed(stream)
        return StreamingResponse(
            _chunks(first, stream, service, who, masked > 0), media_type="text/event-stream"
        )

    return app


def _answer(
    service: Service,
    who: Identity,
    question: str,
    history: list[dict[str, str]],
    mode: Mode | None,
) -> Answer:
    with _refusals():
        return service.runtime.assistant.ask(
            question, list(who.groups), history, mode, when_full="refuse"
        )


@contextmanager
def _refusals() -> Iterator[None]:
    """The answer path's errors as the API's refusals: the caller's input 400, a full
    model line 429 with Retry-After (an API caller can come back; the app instead answers
    with the documents' sentences at once), any other failure 503."""
    try:
        yield
    except InputError as exc:
        raise HTTPException(400, str(exc)) from exc
    except LineFull as exc:
        headers = {"Retry-After": str(exc.retry_after_s)}
        raise HTTPException(429, str(exc), headers) from exc
    except AssistantError as exc:
        raise HTTPException(503, str(exc)) from exc


def _primed(stream: Generator[StreamItem, None, None]) -> list[StreamItem]:
    """The stream's items up to the first that is not the sources: the answer has then
    got a place in the model's line (or is answered without the model)."""
    items: list[StreamItem] = []
    with _refusals():
        for item in stream:
            items.append(item)
            if not isinstance(item, Sources):
                break
    return items


def _text(content: str | list[dict[str, Any]] | None) -> str:
    if isinstance(content, str):
        return content
    return " ".join(
        str(part.get("text", "")) for part in content or [] if part.get("type") == "text"
    )


def _conversation(messages: list[ChatMessage]) -> tuple[str, list[dict[str, str]]]:
    """The last user message (the question) and the user and assistant turns before it."""
    turns = [
        (m.role, _text(m.content).strip()) for m in messages if m.role in ("user", "assistant")
    ]
    if not turns or turns[-1][0] != "user" or not turns[-1][1]:
        raise HTTPException(400, "the last message must be the user's question")
    question = turns[-1][1]
    if len(question) > MAX_QUESTION_CHARS:
        raise HTTPException(413, f"the question is longer than {MAX_QUESTION_CHARS} characters")
    history = [{"role": role, "content": text} for role, text in turns[:-1] if text]
    return question, history[-MAX_HISTORY:]


def _extension(answer: Answer) -> dict[str, Any]:
    """The assistant's own fields beside the OpenAI ones: citations, refusal, form."""
    return {
        "citations": [
            {k: c[k] for k in ("n", "file", "page", "heading", "quote", "doc_id", "title", "url")}
            for c in answer.to_json()["citations"]
        ],
        "refused": answer.refused,
        "form": answer.form,
        "mode": answer.mode,
    }


def _completion(answer: Answer) -> dict[str, Any]:
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": MODEL_ID,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": answer.answer},
                "finish_reason": "stop",
            }
        ],
        **_extension(answer),
    }


def _chunks(
    first: list[StreamItem],
    stream: Generator[StreamItem, None, None],
    service: Service,
    who: Identity,
    personal_data: bool,
) -> Iterator[str]:
    """Server-sent events in the Chat Completions stream format. The model's words are not
    sent as they come: the checked answer may differ from them (sentences without support
    removed, or the quote instead), so the checked answer is sent when it is ready, then a
    last chunk with the citations."""
    ident, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())

    def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
        body = {
            "id": ident,
            "object": "chat.completion.chunk",
            "created": created,
            "model": MODEL_ID,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            **extra,
        }
        return f"data: {json.dumps(body, ensure_ascii=False)}\n\n"

    yield chunk({"role": "assistant", "content": ""})
    try:
        with closing(stream):  # a client that leaves early gives up its place in line
            for item in itertools.chain(first, stream):
                if isinstance(item, Answer):
                    service.record(who, item, personal_data, "openai")
                    yield chunk({"content": item.answer})
                    yield chunk({}, "stop", **_extension(item))
                    break
    except AssistantError as exc:
        yield f"data: {json.dumps({'error': {'message': str(exc)}}, ensure_ascii=False)}\n\n"
    yield "data: [DONE]\n\n"


def from_environment() -> FastAPI:
    """The app over the settings of the environment (``ASSISTANT_*``, the data folder):
    what ``assistant api`` serves (``uvicorn --factory api.server:from_environment``)."""
    from assistant.settings import load_settings

    return create_app(load_settings())
