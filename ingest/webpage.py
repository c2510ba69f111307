"""What the crawler reads from a fetched page: its main content, its links, a sitemap's URLs.

The main content is written to the mirror as a small HTML document (the page's
``<title>`` and its ``<main>``, ``[role=main]`` or ``<article>`` without navigation,
banners, footers, forms, scripts and hidden elements: ``ingest.office.strip_boilerplate``,
the same cleaning a saved HTML file gets). Links are read from the whole page first,
menus included: they are how the crawler finds the site.
"""

from __future__ import annotations

import gzip
import html
import io
from urllib.parse import urljoin, urlsplit, urlunsplit

from lxml import etree
from lxml import html as lxml_html

from ingest.errors import DocumentError
from ingest.office import strip_boilerplate
from ingest.text import decode

# A sitemap larger than this once unpacked is not read (a gzip bomb).
_MAX_SITEMAP_BYTES = 50 * 1024 * 1024
_SITEMAP_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def canonical(url: str) -> str | None:
    """The URL as the crawler keys it: http(s) only, no fragment, host in lower case,
    no default port, an empty path as "/"; the query string kept. None: not a web page."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    scheme = parts.scheme.lower()
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    if port is not None and port != {"http": 80, "https": 443}[scheme]:
        host = f"{host}:{port}"
    return urlunsplit((scheme, host, parts.path or "/", parts.query, ""))


def page_text(data: bytes, charset: str | None) -> str:
    """A page's bytes as text: the charset the server named, else as a text file is read.
    Never fails: an empty body is no text (an empty robots.txt allows everything), and
    bytes no text encoding explains are read as UTF-8 with replacements (the parser then
    finds what it finds)."""
    if charset:
        try:
            return data.decode(charset, errors="replace")
        except LookupError:
            pass
    if not data.strip():
        return ""
    try:
        return decode(data)[0]
    except DocumentError:
        return data.decode("utf-8", errors="replace")


def links(markup: str, base: str) -> list[str]:
    """The page's ``<a href>`` targets, absolute and canonical, each once, in page order
    (``<base href>`` honoured; ``rel=nofollow`` and non-web schemes left out)."""
    try:
        root = lxml_html.document_fromstring(markup)
    except (ValueError, etree.ParserError):
        return []
    declared = root.xpath("//base/@href")
    if declared:
        base = urljoin(base, str(declared[0]))
    found: dict[str, None] = {}
    for anchor in root.iter("a"):
        href = anchor.get("href")
        if not href or "nofollow" in (anchor.get("rel") or "").lower():
            continue
        url = canonical(urljoin(base, href.strip()))
        if url is not None:
            found[url] = None
    return list(found)


def main_page(markup: str) -> str:
    """The page's main content as a small HTML document of its own (title kept)."""
    cleaned, title = strip_boilerplate(markup)
    try:
        root = lxml_html.document_fromstring(cleaned)
    except (ValueError, etree.ParserError):
        return ""
    body = root.find("body")
    scope = body if body is not None else root
    inner = "".join(lxml_html.tostring(child, encoding="unicode") for child in scope)
    lead = html.escape(scope.text or "")
    return (
        '<!doctype html>\n<html><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title></head>\n<body>{lead}{inner}</body></html>\n"
    )


def sitemap_urls(data: bytes) -> tuple[list[str], list[str]]:
    """A sitemap's page URLs and, for a sitemap index, the sitemaps it names (gzip read
    too). Entities and DTDs are not resolved; unreadable XML gives nothing."""
    if data[:2] == b"\x1f\x8b":
        try:
            with gzip.GzipFile(fileobj=io.BytesIO(data)) as unpacked:
                data = unpacked.read(_MAX_SITEMAP_BYTES + 1)
        except (OSError, EOFError):
            return [], []
        if len(data) > _MAX_SITEMAP_BYTES:
            return [], []
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError:
        return [], []
    locs = [
        (loc.text or "").strip()
        for loc in root.iter(f"{_SITEMAP_NS}loc", "loc")
        if (loc.text or "").strip()
    ]
    tag = etree.QName(root).localname
    return ([], locs) if tag == "sitemapindex" else (locs, [])
