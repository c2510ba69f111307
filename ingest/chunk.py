"""Cut a parsed document into chunks that keep their page and heading path.

Sections are runs of blocks under one heading path on one page; a chunk never crosses
a section, so every chunk cites exactly one page and one heading. Text is split with
llama-index's ``SentenceSplitter`` counting tiktoken tokens; a table that fits stays
whole, a larger one is cut between rows with its header row repeated.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import groupby

from llama_index.core.node_parser import SentenceSplitter
from llama_index.core.utils import get_tokenizer

from assistant.settings import IngestSettings
from ingest.model import Block, ParsedDocument

Tokenizer = Callable[[str], list[int]]
Counter = Callable[[str], int]

# What a title or heading may take of a chunk's embedded text: a heading of a million
# characters (a whole body styled as a heading) must not ride along with every chunk.
_HEADING_TOKENS = 48
_CONTEXT_TOKENS = 96
_ELLIPSIS = " …"

# Bump when parsing or chunking changes what a chunk holds: every document's index key
# changes with it, so the next sync replaces each document's chunks (new version first,
# then the old one deleted), as for an edited file. 2 = a document card per document;
# 3 = laws called by their whole titles and English names (assistant.text.designations);
# 4 = titles, headings and the card's opening bounded by tokens.
CHUNKER_VERSION = 4


@dataclass(frozen=True)
class Chunk:
    text: str  # what a citation quotes
    embed_text: str  # text with its title and headings in front: what gets embedded
    kind: str
    page: int | None
    page_label: str | None
    heading_path: tuple[str, ...]
    ocr: bool
    tokens: int


def default_tokenizer() -> Tokenizer:
    """tiktoken cl100k_base, loaded offline from the copy llama-index ships."""
    return get_tokenizer()


class Chunker:
    def __init__(self, settings: IngestSettings, tokenizer: Tokenizer | None = None) -> None:
        self._size = settings.chunk_tokens
        self._tokens = tokenizer or default_tokenizer()
        self._splitter = SentenceSplitter(
            chunk_size=settings.chunk_tokens,
            chunk_overlap=settings.chunk_overlap,
            tokenizer=self._tokens,
            paragraph_separator="\n\n",
        )

    def count(self, text: str) -> int:
        return len(self._tokens(text))

    def chunk(self, doc: ParsedDocument) -> list[Chunk]:
        chunks: list[Chunk] = []
        title = cut_to_tokens(doc.title, _HEADING_TOKENS, self.count)
        for (page, path), blocks in groupby(
            (b for b in doc.blocks if b.text.strip()), key=lambda b: (b.page, b.heading_path)
        ):
            path = tuple(cut_to_tokens(h, _HEADING_TOKENS, self.count) for h in path)
            chunks.extend(self._section(title, page, path, list(blocks)))
        return chunks

    def _section(
        self, title: str, page: int | None, path: tuple[str, ...], blocks: list[Block]
    ) -> Iterator[Chunk]:
        body = [b for b in blocks if b.kind != "title"]
        if not body:  # a heading alone on its page: nothing to cite
            return
        first = body[0]
        context = "\n".join(x for x in (title, " > ".join(path)) if x)
        context = cut_to_tokens(context, _CONTEXT_TOKENS, self.count)
        for kind, run in groupby(body, key=lambda b: "table" if b.kind == "table" else "text"):
            parts = list(run)
            ocr = any(b.ocr for b in parts)
            texts = (
                [p for b in parts for p in self._table_pieces(b.text)]
                if kind == "table"
                else self._splitter.split_text("\n\n".join(b.text for b in parts))
            )
            kind_name = kind if kind == "table" else _text_kind(parts)
            for text in texts:
                text = text.strip()
                if text:
                    yield Chunk(
                        text=text,
                        embed_text=f"{context}\n\n{text}" if context else text,
                        kind=kind_name,
                        page=page,
                        page_label=first.page_label,
                        heading_path=path,
                        ocr=ocr,
                        tokens=self.count(text),
                    )

    def _table_pieces(self, table: str) -> list[str]:
        if self.count(table) <= self._size:
            return [table]
        header, *rows = table.splitlines()
        if self.count(header) > self._size // 2:  # repeated in every piece: cut as text
            return self._splitter.split_text(table)
        pieces: list[str] = []
        current: list[str] = [header]
        used = self.count(header)
        for row in rows:
            cost = self.count(row) + 1
            if len(current) > 1 and used + cost > self._size:
                pieces.append("\n".join(current))
                current, used = [header], self.count(header)
            if cost > self._size:  # one giant row: let the sentence splitter cut it
                pieces.extend(self._splitter.split_text(row))
                continue
            current.append(row)
            used += cost
        if len(current) > 1:
            pieces.append("\n".join(current))
        return pieces


def cut_to_tokens(text: str, limit: int, count: Counter) -> str:
    """``text`` if it holds at most ``limit`` tokens, else its start within them, cut at a
    word where there is one, with " …" after it.

    A token is never shorter than a character, and no text of over ``8 * limit``
    characters is counted whole: a file of one repeated word costs what its start costs.
    """
    head = text[: 8 * limit]
    if len(head) == len(text) and count(text) <= limit:
        return text
    budget = limit - count(_ELLIPSIS)
    low, high = 0, len(head)  # the longest prefix within the budget: binary search
    while low < high:
        middle = (low + high + 1) // 2
        if count(head[:middle]) <= budget:
            low = middle
        else:
            high = middle - 1
    kept = head[:low]
    space = kept.rfind(" ")
    if space > low // 2:
        kept = kept[:space]
    return kept.rstrip() + _ELLIPSIS


def _text_kind(blocks: list[Block]) -> str:
    return "list" if all(b.kind == "list" for b in blocks) else "text"
