"""The ingestion job: keep one collection in step with the documents under some folders.

For each file: hash it; skip it if the store already holds every chunk of exactly this
version; else parse, chunk, embed and upsert the new version, and only then delete the
old one. Point ids derive from (document, version, chunk number), so a killed run that
is started again overwrites its half-written points and ends in the same state. A file
that fails keeps whatever was indexed for it before, except a link that now leads outside
the folder (``outside_root``), a document left out for its personal identity numbers
(``personal_data``) and one whose access rules cannot be read (``access_rules``, fail
closed: the earlier rules may have been broader than the ones being written): nothing of
it should be readable, so it goes, until the next sync that can index it again (from the
embedding cache, so cheaply).
A file that disappeared from a folder named in this run is removed from the index.
A file of a web source's mirror (``ingest/web.py``) carries the URL it was fetched from,
read from the mirror's manifest (``ingest.mirror.UrlLookup``).

Parsing runs in one thread of its own, one file at a time (PDFium is not thread-safe):
while a document is embedded, the next file that needs it is parsed (OCR of a scan runs
in Tesseract's own process meanwhile), and its parse is used only if the file still has
the same content when its turn comes.

Personal identity numbers are looked for in every parsed document, before chunking, and
in its path below the synced folder (``ingest.personal_numbers``): 'mask' writes
ÅÅMMDD-XXXX in their place in everything indexed (chunks, the card, title, headings,
e-mail fields, the file and folder names and the stored path), 'flag' keeps them, 'skip'
leaves the document out and removes what was indexed of it before. Under 'mask' and
'skip' a synced folder whose own path holds one is refused: its path is in every record.
The policy is part of the index key, so changing it re-indexes on the next sync.
Sentences that read like instructions to a model are recorded on their chunks and listed
in the report.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import TypeVar

from llama_index.core.base.embeddings.base import BaseEmbedding

from assistant import clock
from assistant.errors import AssistantError, InputError
from assistant.settings import Settings
from assistant.store import DocState, StoredPoint, VectorStore, chunk_point_id
from assistant.store.record import ChunkRecord
from assistant.text.designations import own_designations, sections
from assistant.text.injection import find_instructions, strip_instructions
from assistant.text.language import detect_language
from assistant.text.personal import find_personal_numbers, mask_personal_numbers
from assistant.text.sparse import SparseEncoder
from ingest.card import document_card
from ingest.chunk import CHUNKER_VERSION, Chunk, Chunker
from ingest.embed_cache import EmbeddingCache
from ingest.errors import DocumentError, Reason
from ingest.metadata import document_fields
from ingest.mirror import UrlLookup
from ingest.model import ParsedDocument
from ingest.parse import parse_file
from ingest.report import WITHHELD, FileResult, RunReport
from ingest.sources import SourceFile, discover, file_hash

log = logging.getLogger(__name__)
_UPSERT_BATCH = 256
# The start of a document that says what it is called; later lines cite other documents.
_HEAD_CHARS = 400
# What the report quotes of a document's instruction-like sentences.
_REPORTED_INSTRUCTIONS = 5
_REPORTED_CHARS = 160

_T = TypeVar("_T")

# Failures that take what was indexed of the file out of the index.
_WITHDRAWN = (Reason.OUTSIDE_ROOT, Reason.PERSONAL_DATA, Reason.ACCESS_RULES)

# Called before each file: (files done, files in all, file name).
Progress = Callable[[int, int, str], None]
# Called after each file with its outcome.
OnFile = Callable[[FileResult], None]


class IngestJob:
    def __init__(
        self,
        settings: Settings,
        store: VectorStore,
        embedder: BaseEmbedding,
        *,
        chunker: Chunker | None = None,
        sparse: SparseEncoder | None = None,
    ) -> None:
        self._settings = settings
        self._store = store
        self._embedder = embedder
        self._chunker = chunker or Chunker(settings.ingest)
        self._sparse = sparse or SparseEncoder(compounds=settings.retrieval.compounds)
        self._cache: EmbeddingCache | None = None  # open during a run
        self._parser: ThreadPoolExecutor | None = None  # the parsing thread, during a run
        # The next file's parse started ahead: (path, content hash) and its future.
        self._ahead: tuple[tuple[Path, str], Future[ParsedDocument]] | None = None
        self._urls = UrlLookup()  # a web source's mirrored file: the URL it came from

    def run(
        self,
        roots: Sequence[Path],
        progress: Progress | None = None,
        on_file: OnFile | None = None,
        problems: Sequence[FileResult] = (),
    ) -> RunReport:
        """Sync the roots. ``problems``: what the sources found before the run (a web
        crawl's URLs not fetched, ``ingest/web.py``), reported with the files."""
        if self._settings.ingest.personal_numbers != "flag":
            _refuse_numbered_roots(roots)  # before the report, which names the roots
        started = time.perf_counter()
        report = RunReport(
            roots=[str(r.expanduser().resolve()) for r in roots],
            store={
                "kind": self._store.kind,
                "location": self._store.location,
                "collection": self._store.collection,
            },
        )
        for problem in problems:
            report.add(problem)
            (on_file or (lambda _: None))(problem)
        self._urls = UrlLookup()  # manifests read afresh each run
        self._cache = (
            EmbeddingCache.for_settings(self._settings)
            if self._settings.ingest.embedding_cache
            else None
        )
        try:
            self._run(roots, report, progress, on_file or (lambda _: None))
            if self._cache is not None:
                self._cache.prune()
        except KeyboardInterrupt:
            report.aborted = "interrupted by the user; run the same command again to finish"
            raise
        except Exception as exc:
            report.aborted = f"{type(exc).__name__}: {exc}"
            raise
        finally:
            if self._cache is not None:
                report.embedded_chunks, report.cached_chunks = self._cache.misses, self._cache.hits
                self._cache.close()
                self._cache = None
            report.seconds = round(time.perf_counter() - started, 3)
            report.finished_at = clock.stamp()
            report.save(self._settings.reports_dir)
        return report

    def _run(
        self,
        roots: Sequence[Path],
        report: RunReport,
        progress: Progress | None,
        on_file: OnFile,
    ) -> None:
        missing = [str(r) for r in roots if not r.exists()]
        if missing:
            raise InputError(f"No such file or folder: {', '.join(missing)}")
        states = self._store.doc_states()
        sources = list(discover(roots, self._settings.ingest.access_file))
        self._parser = ThreadPoolExecutor(max_workers=1, thread_name_prefix="parse")
        try:
            for done, source in enumerate(sources):
                if progress:
                    progress(done, len(sources), source.relative)
                following = sources[done + 1] if done + 1 < len(sources) else None
                result = self._sync_file(
                    source,
                    states.get(source.doc_id),
                    report,
                    parse_next=partial(self._parse_ahead, following, states),
                )
                report.add(result)
                on_file(result)
        finally:
            self._parser.shutdown(wait=True, cancel_futures=True)
            self._parser, self._ahead = None, None
        seen = {s.doc_id for s in sources}
        for state in states.values():
            if state.doc_id not in seen and _under(state.source, report.roots):
                self._store.delete_doc(state.doc_id)
                result = FileResult(state.file, state.source, "removed")
                report.add(result)
                on_file(result)
        if progress:
            progress(len(sources), len(sources), "")
        self._store.optimize()

    def _sync_file(
        self,
        source: SourceFile,
        state: DocState | None,
        report: RunReport,
        parse_next: Callable[[], None] = lambda: None,
    ) -> FileResult:
        policy = self._settings.ingest.personal_numbers
        groups: tuple[str, ...] = ()
        found = 0
        try:
            groups = source.checked_groups()
            content_hash, key = self._version(source.path, groups)
            if state is not None and state.complete_key() == key:
                return FileResult(
                    source.relative,
                    str(source.path),
                    "unchanged",
                    groups=list(groups),
                    personal_numbers=state.personal_numbers,
                    personal_policy=state.personal_policy,
                )
            status = "changed" if state is not None else "new"
            t0 = time.perf_counter()
            try:
                doc = self._parse(source.path, content_hash)
            finally:
                parse_next()  # the next file is parsed while this one is embedded
            found = personal_numbers(doc, source.relative)
            if found and policy == "skip":
                raise DocumentError(
                    Reason.PERSONAL_DATA,
                    f"the document holds {found} personal identity number(s) and "
                    "ingest.personal_numbers is 'skip'",
                )
            if found and policy == "mask":
                doc = masked(doc)
            chunks = self._chunk(doc)
            report.parse_seconds += time.perf_counter() - t0
            if not chunks:
                raise DocumentError(Reason.NO_TEXT, "the document holds no text to index")
            points = self._points(
                source, doc, chunks, content_hash, key, groups, report, found, policy
            )
            t0 = time.perf_counter()
            for start in range(0, len(points), _UPSERT_BATCH):
                self._store.upsert(points[start : start + _UPSERT_BATCH])
            self._store.delete_doc(source.doc_id, keep_key=key)
            report.store_seconds += time.perf_counter() - t0
        except DocumentError as exc:
            message = exc.message
            if exc.reason is Reason.ACCESS_RULES:
                message = f"{WITHHELD}, so nobody reads it until they are fixed ({message})"
            if exc.reason in _WITHDRAWN and state is not None:
                self._store.delete_doc(source.doc_id)
                message += "; what was indexed from this path before is removed"
            return FileResult(
                source.relative,
                str(source.path),
                "failed",
                exc.reason.value,
                message,
                groups=list(source.groups or ()),  # who may see its name in the report
                personal_numbers=found,
                personal_policy=policy if found else None,
            )
        # The card repeats the opening: each sentence once, as the chunks hold it.
        said = dict.fromkeys(s for p in points for s in p.record.instructions)
        return FileResult(
            source.relative,
            str(source.path),
            status,
            pages=doc.page_count,
            ocr_pages=doc.ocr_pages,
            chunks=len(points),  # the passages stored: the chunks and the document's card
            groups=list(groups),
            personal_numbers=found,
            personal_policy=policy if found else None,
            instructions=[_shortened(s) for s in list(said)[:_REPORTED_INSTRUCTIONS]],
        )

    def _version(self, path: Path, groups: tuple[str, ...]) -> tuple[str, str]:
        """The file's content hash and the index key of this version of it."""
        try:
            content_hash = file_hash(path)
        except OSError as exc:
            raise DocumentError(Reason.UNREADABLE, f"cannot read the file: {exc}") from exc
        policy = self._settings.ingest.personal_numbers
        return content_hash, index_key(content_hash, groups, personal_numbers=policy)

    def _parse(self, path: Path, content_hash: str) -> ParsedDocument:
        """Parse in the parsing thread (the parse started ahead when it is of this very
        content); a parser bug on one odd file must not stop the whole run."""
        assert self._parser is not None, "parsing happens during a run"
        ahead, self._ahead = self._ahead, None
        if ahead is not None and ahead[0] == (path, content_hash):
            return self._guarded(path, ahead[1].result)
        if ahead is not None:
            ahead[1].cancel()  # the file changed since: parsed again below
        future = self._parser.submit(parse_file, path, self._settings.ingest)
        return self._guarded(path, future.result)

    def _parse_ahead(self, source: SourceFile | None, states: Mapping[str, DocState]) -> None:
        """Start parsing ``source`` if its turn will need it (new or changed)."""
        assert self._parser is not None, "parsing happens during a run"
        if source is None:
            return
        try:
            content_hash, key = self._version(source.path, source.checked_groups())
        except AssistantError:
            return  # its own turn says why
        state = states.get(source.doc_id)
        if state is not None and state.complete_key() == key:
            return
        future = self._parser.submit(parse_file, source.path, self._settings.ingest)
        self._ahead = ((source.path, content_hash), future)

    def _chunk(self, doc: ParsedDocument) -> list[Chunk]:
        return self._guarded(doc.path, lambda: self._chunker.chunk(doc))

    def _guarded(self, path: Path, step: Callable[[], _T]) -> _T:
        try:
            return step()
        except AssistantError:
            raise  # a document error is recorded by the caller; a setting error stops the job
        except Exception as exc:
            log.debug("parser failed on %s", path, exc_info=True)
            raise DocumentError(
                Reason.PARSER_FAILED,
                f"the parser failed on this file ({type(exc).__name__}: {exc}); "
                "re-save it from its program, or report it with the file attached",
            ) from exc

    def _points(
        self,
        source: SourceFile,
        doc: ParsedDocument,
        chunks: list[Chunk],
        content_hash: str,
        key: str,
        groups: tuple[str, ...],
        report: RunReport,
        found: int,
        policy: str,
    ) -> list[StoredPoint]:
        fields = document_fields(doc)
        named = own_designations(doc.title, doc.text[:_HEAD_CHARS], doc.path.name)
        card = document_card(_screened_opening(doc), fields, named, self._chunker.count)
        chunks = [*chunks, card]
        t0 = time.perf_counter()
        texts = [c.embed_text for c in chunks]
        if self._cache is not None:
            dense = self._cache.embed(texts, self._embedder.get_text_embedding_batch)
        else:
            dense = self._embedder.get_text_embedding_batch(texts)
            report.embedded_chunks += len(texts)
        report.embed_seconds += time.perf_counter() - t0
        doc_lang = detect_language(doc.text)
        stat = source.path.stat()
        hide = _mask if found and policy == "mask" else str
        points = []
        for i, (chunk, vector) in enumerate(zip(chunks, dense, strict=True)):
            lang = detect_language(chunk.text) if len(chunk.text) > 200 else doc_lang
            indices, values = self._sparse.document(chunk.embed_text, lang)
            record = ChunkRecord(
                doc_id=source.doc_id,
                index_key=key,
                content_hash=content_hash,
                chunk_count=len(chunks),
                # Where the file is (its path below the root masked with the rest).
                source=(source.root / hide(source.relative)).as_posix(),
                # What citations show of the path.
                file=hide(source.path.name),
                rel_path=hide(source.relative),
                # A web page's URL (its query string too: hashed in the file name).
                url=_masked_url(self._urls(source.path), _mask if policy == "mask" else str),
                title=doc.title,
                format=doc.format,
                page_count=doc.page_count,
                groups=groups,
                modified=datetime.fromtimestamp(stat.st_mtime, UTC).isoformat(timespec="seconds"),
                indexed_at=datetime.now(UTC).isoformat(timespec="seconds"),
                doc_lang=doc_lang,
                email=dict(doc.fields),
                designations=named,
                personal_numbers=found,
                personal_policy=policy if found else None,
                chunk_index=i,
                text=chunk.text,
                kind=chunk.kind,
                page=chunk.page,
                page_label=chunk.page_label,
                heading_path=chunk.heading_path,
                heading=" > ".join(chunk.heading_path) or None,
                sections=sections(chunk.heading_path, chunk.text),
                ocr=chunk.ocr,
                tokens=chunk.tokens,
                lang=lang,
                instructions=tuple(find_instructions(chunk.text, _last(chunk.heading_path))),
                **fields,
            )
            point_id = chunk_point_id(source.doc_id, key, i)
            points.append(StoredPoint(point_id, vector, indices, values, record))
        return points


def index_key(content_hash: str, groups: tuple[str, ...], *, personal_numbers: str = "mask") -> str:
    """What decides whether a stored version is current: content, readers, chunker, and
    the policy on personal identity numbers (``ingest.personal_numbers``)."""
    basis = f"{content_hash}|{','.join(groups)}|{CHUNKER_VERSION}|{personal_numbers}"
    return hashlib.sha256(basis.encode()).hexdigest()[:32]


def personal_numbers(doc: ParsedDocument, relative: str = "") -> int:
    """The distinct personal identity numbers in the document's path below the synced
    folder (``relative``; else its file name), title, text and fields."""
    texts = [*(relative or doc.path.name).split("/"), doc.title, *doc.fields.values()]
    for block in doc.blocks:
        texts += [block.text, *block.heading_path]
    return len({n.ten for text in texts for n in find_personal_numbers(text)})


def masked(doc: ParsedDocument) -> ParsedDocument:
    """The document with ÅÅMMDD-XXXX for each personal identity number, wherever it stands
    (its file name too: the card falls back on it for a title)."""
    blocks = [
        replace(b, text=_mask(b.text), heading_path=tuple(_mask(h) for h in b.heading_path))
        for b in doc.blocks
    ]
    fields = {name: _mask(value) for name, value in doc.fields.items()}
    path = doc.path.with_name(_mask(doc.path.name))
    return replace(doc, path=path, title=_mask(doc.title), blocks=blocks, fields=fields)


def _mask(text: str) -> str:
    return mask_personal_numbers(text)[0]


def _refuse_numbered_roots(roots: Sequence[Path]) -> None:
    """A folder to sync whose own path (or a file's folder) holds a personal identity number
    is refused: that part of the path is in every record, and it cannot be masked there
    without losing track of what the folder holds."""
    for root in roots:
        resolved = root.expanduser().resolve()
        folder = resolved.parent if resolved.is_file() else resolved
        if find_personal_numbers(folder.as_posix()):
            raise InputError(
                f"{mask_personal_numbers(str(root))[0]}: the folder's path holds a personal "
                "identity number and ingest.personal_numbers is not 'flag'; rename the "
                "folder, or sync the folder above it (names below it are masked)"
            )


def _screened_opening(doc: ParsedDocument) -> ParsedDocument:
    """The document as its card quotes it: on the first page, a block under a heading
    that speaks to a model ("Till chattboten") without what the heading announces. The
    card leaves headings out; the rest is screened where the card is read."""
    first = next((b.page for b in doc.blocks), None)
    blocks = []
    for b in doc.blocks:
        if b.page == first and b.heading_path:
            under = strip_instructions(b.text, _last(b.heading_path))
            if under != strip_instructions(b.text):
                b = replace(b, text=under)
        blocks.append(b)
    return replace(doc, blocks=blocks)


def _masked_url(url: str | None, hide: Callable[[str], str]) -> str | None:
    return None if url is None else hide(url)


def _last(path: tuple[str, ...]) -> str:
    return path[-1] if path else ""


def _shortened(sentence: str) -> str:
    text = " ".join(sentence.split())
    return text if len(text) <= _REPORTED_CHARS else text[: _REPORTED_CHARS - 1] + "…"


def _under(source: str, roots: list[str]) -> bool:
    path = Path(source)
    return any(path == Path(r) or Path(r) in path.parents for r in roots)
