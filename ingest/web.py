"""Mirror a web site into a folder, so the folder pipeline (``ingest/sync.py``) indexes it.

``crawl(source, mirror_dir)`` starts at ``source.start_url`` and the sitemaps (the
configured ones and robots.txt's ``Sitemap:`` lines), follows ``<a href>`` links within
the include prefixes (never to another host, never under an exclude prefix, never where
robots.txt forbids this user agent), fetches documents (PDF, DOCX, …) linked from those
pages anywhere on the same host, and writes each page's main content and each document
into the mirror (``ingest/mirror.py``: one folder per site, a manifest, access rules).

Incremental: a URL fetched before is asked for with If-None-Match / If-Modified-Since;
304 keeps its file, the same content is not written again. The URLs of the last crawl
that no link reached are asked for directly, so what still exists stays.

What goes: a URL that answers 404 or 410, one robots.txt now forbids, one no longer under
the prefixes, and a linked document no page links to any more (unless the crawl was
incomplete). What stays, reported: a timeout, a connection error, any other HTTP error,
a redirect loop or a redirect off the site (a sign-in page somewhere else) keep the last
copy; a failure is never a deletion. robots.txt that cannot be read stops the crawl and
changes nothing.

Secrets (``headers``, ``cookies``) go with requests to this site only: redirects are
followed by hand, and never off the site.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urljoin, urlsplit
from urllib.robotparser import RobotFileParser

import httpx

from assistant.models.endpoints import keep_url_secrets_out_of_logs
from assistant.settings import Settings, WebSource
from assistant.store.access import EVERYONE
from ingest import mirror
from ingest.errors import Reason
from ingest.mirror import Entry, Mirrored
from ingest.report import FileResult
from ingest.sources import file_hash
from ingest.webpage import canonical, links, main_page, page_text, sitemap_urls

log = logging.getLogger(__name__)
MAX_REDIRECTS = 5
_MAX_SITEMAPS = 50
_HTML = ("text/html", "application/xhtml+xml")


@dataclass
class CrawlReport:
    """What one crawl of one site did. ``root`` is the site's folder in the mirror."""

    start_url: str
    root: Path
    requests: int = 0
    conditional: int = 0  # requests sent with If-None-Match or If-Modified-Since
    new: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    problems: list[FileResult] = field(default_factory=list)
    broken: list[str] = field(default_factory=list)  # linked, never there (404 / 410)
    limit_reached: bool = False
    aborted: str | None = None

    def summary(self) -> str:
        return (
            f"{self.requests} requests: {len(self.new)} new, {len(self.changed)} changed, "
            f"{len(self.unchanged)} unchanged, {len(self.removed)} removed, "
            f"{len(self.problems)} not fetched"
            + (
                f", {len(self.broken)} broken link{'s' * (len(self.broken) > 1)}"
                if self.broken
                else ""
            )
            + (" (max_pages reached)" if self.limit_reached else "")
            + (f"; stopped: {self.aborted}" if self.aborted else "")
        )


class _Skip(Exception):
    """This URL is not kept this time: the reason, and whether its last copy stays."""

    def __init__(self, reason: Reason | None, message: str, *, keep: bool = True) -> None:
        super().__init__(message)
        self.reason, self.message, self.keep = reason, message, keep


def mirror_dir(web_dir: Path, source: WebSource) -> Path:
    """Where a source's mirror lives below ``web_dir``: one folder per start URL (two
    sources on one host never share a manifest), named so an operator can tell."""
    start = canonical(source.start_url) or source.start_url
    digest = hashlib.sha256(start.encode()).hexdigest()[:8]
    return web_dir / f"{mirror.site_folder(start)}-{digest}"


def crawl(
    source: WebSource,
    mirror_dir: Path,
    *,
    access_file: str = "access.toml",
    on_url: Callable[[str], None] | None = None,
) -> CrawlReport:
    """Bring the site's mirror in ``mirror_dir`` up to date; see the module's docstring."""
    with _Crawler(source, mirror_dir, access_file, on_url or (lambda _: None)) as crawler:
        return crawler.run()


def crawl_sites(
    settings: Settings, sites: Sequence[WebSource], say: Callable[[str], None] = lambda _: None
) -> Mirrored:
    """Bring each site's mirror (below ``settings.web_dir``) up to date, one after the
    other, saying how each went: what ``assistant ingest`` and the Admin page's sync do
    before indexing."""
    crawled = Mirrored()
    for site in sites:
        say(f"Crawling {site.start_url} …")
        report = crawl(
            site, mirror_dir(settings.web_dir, site), access_file=settings.ingest.access_file
        )
        crawled.add(report.root, report.problems)
        say(f"  {report.summary()}")
    return crawled


class _Crawler:
    def __init__(
        self, source: WebSource, mirror_dir: Path, access_file: str, on_url: Callable[[str], None]
    ) -> None:
        self.source = source
        self.start = canonical(source.start_url) or source.start_url
        parts = urlsplit(self.start)
        self.site = f"{parts.scheme}://{parts.netloc}"
        self.folder = mirror_dir / mirror.site_folder(self.start)
        self.access_file = access_file
        self.on_url = on_url
        self.report = CrawlReport(self.start, self.folder)
        self.old = mirror.load_manifest(self.folder)
        self.new: dict[str, Entry] = {}
        self.kept: set[str] = set()  # old URLs whose last copy stays despite a problem
        self.incomplete = False  # some URL failed: what it would have linked may be missed
        self.queue: deque[tuple[str, list[str] | None]] = deque()
        self.seen: set[str] = set()
        # A document outside the groups' prefixes: the groups of every page linking it.
        self.linked: dict[str, list[list[str]]] = {}
        self.paths: dict[str, str] = {e.path: url for url, e in self.old.items()}
        self.robots = RobotFileParser()
        self.delay = source.delay_s
        self.last_request = 0.0
        headers = {"User-Agent": source.user_agent}
        headers |= {k: v.get_secret_value() for k, v in source.headers.items()}
        if source.cookies:
            headers["Cookie"] = "; ".join(
                f"{k}={v.get_secret_value()}" for k, v in source.cookies.items()
            )
        keep_url_secrets_out_of_logs()  # a query string may carry a session
        self.client = httpx.Client(
            headers=headers, timeout=httpx.Timeout(source.timeout_s), follow_redirects=False
        )

    def __enter__(self) -> _Crawler:
        return self

    def __exit__(self, *_: object) -> None:
        self.client.close()

    # -- the crawl -----------------------------------------------------------------------

    def run(self) -> CrawlReport:
        self.folder.mkdir(parents=True, exist_ok=True)
        try:
            self._read_robots()
        except _Skip as exc:
            self.report.aborted = exc.message
            self._problem(f"{self.site}/robots.txt", exc.reason, exc.message, [EVERYONE])
            return self.report
        self._add(self.start, None)
        for url in self._sitemap_pages():
            self._add(url, None)
        rechecked = False
        while self.queue or not rechecked:
            if not self.queue:  # what the last crawl knew and no link reached: still there?
                rechecked = True
                for url in sorted(set(self.old) - self.seen):
                    if self._scope(url) == "page":
                        self._add(url, self.old[url].groups)
                continue
            if self.report.requests >= self.source.max_pages:
                self.report.limit_reached = self.incomplete = True
                break
            url, inherited = self.queue.popleft()
            self.on_url(url)
            self._visit(url, inherited)
        self._finish()
        return self.report

    def _add(self, url: str, inherited: list[str] | None) -> None:
        """Queue a URL found on a page of the site (or in a sitemap) if it is in scope."""
        if url in self.seen or self._scope(url) is None:
            return
        if self._scope(url) == "document" and inherited is None:
            return  # a document outside the prefixes counts only as linked from a page
        self.seen.add(url)
        if not self.robots.can_fetch(self.source.user_agent, url):
            if url in self.old:
                self._problem(url, Reason.ROBOTS, "robots.txt now forbids it; removed", None)
            else:
                self._problem(url, Reason.ROBOTS, "robots.txt forbids it; not fetched", None)
            return
        self.queue.append((url, inherited))

    def _on_site(self, url: str) -> bool:
        """On the site and under no exclude prefix: where a redirect may lead."""
        excluded = any(url.startswith(p) for p in self.source.exclude)
        return url.startswith(self.site + "/") and not excluded

    def _scope(self, url: str) -> str | None:
        """'page' (fetched, links followed), 'document' (a linked document elsewhere on
        the host) or None (not fetched)."""
        if not self._on_site(url):
            return None
        if any(url.startswith(p) for p in self.source.include_prefixes):
            return "page"
        ext = os.path.splitext(urlsplit(url).path)[1].lower()
        return "document" if ext in mirror.DOCUMENT_EXTENSIONS else None

    def _groups(self, url: str, inherited: list[str] | None) -> list[str]:
        """The longest configured prefix's groups; a document outside them takes those of
        the first page that linked it (everyone when no prefix names groups)."""
        if not self.source.groups:
            return [EVERYONE]
        matches = [p for p in self.source.groups if url.startswith(p)]
        if matches:
            return list(self.source.groups[max(matches, key=len)])
        if inherited:
            return inherited
        raise _Skip(Reason.ACCESS_RULES, "no prefix in groups covers it; not fetched")

    def _visit(self, url: str, inherited: list[str] | None) -> None:
        try:
            groups = self._groups(url, inherited)
            final, response = self._get(url)
            self.seen.add(final)
            try:
                self._keep(final, response, groups, self._scope(final) == "page")
            finally:
                response.close()
        except _Skip as exc:
            if exc.keep and url in self.old:
                self.kept.add(url)
            if exc.keep and exc.reason is not None:
                self.incomplete = True
            if exc.reason is not None:
                shown = inherited or (self.old[url].groups if url in self.old else None)
                self._problem(url, exc.reason, exc.message, shown)
        except Exception as exc:  # a page no parser expected: it alone is skipped
            log.warning("%s could not be read: %s", url, type(exc).__name__)
            if url in self.old:
                self.kept.add(url)
            self.incomplete = True
            shown = inherited or (self.old[url].groups if url in self.old else None)
            message = f"could not be read ({type(exc).__name__}); any earlier copy stays"
            self._problem(url, Reason.UNREADABLE, message, shown)

    def _get(self, url: str) -> tuple[str, httpx.Response]:
        """The response at the end of the URL's redirects (within the site), streaming."""
        chain = [url]
        while True:
            response = self._request(chain[-1])
            location = response.headers.get("location")
            if not response.is_redirect or not location:
                return chain[-1], response
            response.close()
            target = canonical(urljoin(chain[-1], location))
            if target in chain:
                loop = " → ".join([*chain[chain.index(target) :], target])
                raise _Skip(Reason.REDIRECTS, f"redirect loop ({loop}); any earlier copy stays")
            if len(chain) > MAX_REDIRECTS:
                raise _Skip(
                    Reason.REDIRECTS, f"more than {MAX_REDIRECTS} redirects; any earlier copy stays"
                )
            if target is None or not self._on_site(target):
                raise _Skip(
                    Reason.REDIRECTS,
                    f"redirects off the site's prefixes ({target}), not followed; any earlier "
                    "copy stays (a sign-in page? check the source's headers or cookies)",
                )
            if not self.robots.can_fetch(self.source.user_agent, target):
                raise _Skip(Reason.ROBOTS, f"redirects to {target}, which robots.txt forbids")
            if target in self.new:
                raise _Skip(None, "", keep=False)  # reached already under its own URL
            chain.append(target)

    def _request(self, url: str) -> httpx.Response:
        wait = self.last_request + self.delay - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        headers = {}
        old = self.old.get(url)
        if old is not None and self._intact(old):
            if old.etag:
                headers["If-None-Match"] = old.etag
            if old.last_modified:
                headers["If-Modified-Since"] = old.last_modified
        self.report.requests += 1
        self.report.conditional += bool(headers)
        try:
            request = self.client.build_request("GET", url, headers=headers)
            return self.client.send(request, stream=True)
        except httpx.TimeoutException as exc:
            raise _Skip(Reason.TIMEOUT, self._timeout_message()) from exc
        except httpx.HTTPError as exc:
            message = f"cannot be fetched ({type(exc).__name__}); any earlier copy stays"
            raise _Skip(Reason.UNREACHABLE, message) from exc
        finally:
            self.last_request = time.monotonic()

    def _keep(self, url: str, response: httpx.Response, groups: list[str], page: bool) -> None:
        """Write what the response holds into the mirror, and follow a page's links."""
        old = self.old.get(url)
        if response.status_code == 304 and old is not None:
            self._record(url, old, "unchanged")
            self._follow(old.links, groups)
            return
        if response.status_code in (404, 410):
            if url not in self.old:  # never there: a link to nothing, said in the summary
                self.report.broken.append(url)
            raise _Skip(None, "", keep=False)
        if response.status_code != 200:
            raise _Skip(
                Reason.HTTP_ERROR,
                f"the server answered HTTP {response.status_code}; any earlier copy stays",
            )
        content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
        is_html = content_type in _HTML
        if is_html and not page:
            raise _Skip(Reason.UNSUPPORTED, "a page outside the include prefixes, not a document")
        rel = mirror.mirror_path(url, content_type, self.access_file)
        if rel is None:
            raise _Skip(
                Reason.UNSUPPORTED,
                f"the server sends {content_type or 'no content type'}, not a format the "
                "assistant reads",
                keep=False,
            )
        data = self._body(response)
        found: list[str] = []
        if is_html:
            text = page_text(data, response.charset_encoding)
            found = links(text, url)
            data = main_page(text).encode()
        if self.paths.get(rel, url) != url:  # another URL has this name: keep both apart
            stem, ext = os.path.splitext(rel)
            rel = f"{stem}_u{hashlib.sha256(url.encode()).hexdigest()[:10]}{ext}"
        digest = hashlib.sha256(data).hexdigest()
        entry = Entry(
            rel,
            digest,
            groups,
            content_type,
            response.headers.get("etag"),
            response.headers.get("last-modified"),
            found,
        )
        if old is not None and old.path == rel and old.hash == digest and self._intact(old):
            status = "unchanged"
        else:
            status = "changed" if old is not None else "new"
            self._write_access(rel, groups)
            mirror.write_atomic(self.folder / rel, data)
        self.paths[rel] = url
        self._record(url, entry, status)
        if page:
            self._follow(found, groups)

    def _body(self, response: httpx.Response) -> bytes:
        """The body, streamed: stops as soon as it is larger than max_bytes, or slower
        than timeout_s in all."""
        limit = self.source.max_bytes
        too_large = f"larger than {limit:,} bytes (max_bytes); not fetched".replace(",", " ")
        length = response.headers.get("content-length", "")
        if length.isdigit() and int(length) > limit:
            raise _Skip(Reason.TOO_LARGE, too_large)
        deadline = time.monotonic() + self.source.timeout_s
        body = bytearray()
        try:
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > limit:
                    raise _Skip(Reason.TOO_LARGE, too_large)
                if time.monotonic() > deadline:
                    raise _Skip(Reason.TIMEOUT, self._timeout_message())
        except httpx.TimeoutException as exc:
            raise _Skip(Reason.TIMEOUT, self._timeout_message()) from exc
        except httpx.HTTPError as exc:
            message = f"broke off while read ({type(exc).__name__}); any earlier copy stays"
            raise _Skip(Reason.UNREACHABLE, message) from exc
        return bytes(body)

    def _timeout_message(self) -> str:
        return f"no answer within {self.source.timeout_s:g} s (timeout_s); any earlier copy stays"

    def _follow(self, found: list[str], groups: list[str]) -> None:
        for link in found:
            if self._scope(link) == "document":
                self.linked.setdefault(link, []).append(groups)
            self._add(link, groups)

    def _narrowed(self) -> None:
        """A document outside every groups prefix is read by those who may read every
        page that links it (an hr page and an open page: hr), whichever page the crawl
        reached first. Pages with no group in common leave it without readers: removed
        from the mirror and reported, until its prefix is given groups."""
        if not self.source.groups:
            return
        for url, entry in list(self.new.items()):
            if url not in self.linked or any(url.startswith(p) for p in self.source.groups):
                continue
            readers = _common_readers(self.linked[url])
            if readers is None:
                del self.new[url]
                pages = sorted({", ".join(g) for g in self.linked[url]})
                self._problem(
                    url,
                    Reason.ACCESS_RULES,
                    f"linked from pages of groups that share none ({'; '.join(pages)}); "
                    "not indexed until a prefix in groups covers it",
                    sorted({g for gs in self.linked[url] for g in gs if g != EVERYONE}),
                )
                self._drop_status(url)
            elif readers != entry.groups:
                self.new[url] = replace(entry, groups=readers)

    def _drop_status(self, url: str) -> None:
        for said in (self.report.new, self.report.changed, self.report.unchanged):
            if url in said:
                said.remove(url)

    def _record(self, url: str, entry: Entry, status: str) -> None:
        self.new[url] = entry
        getattr(self.report, status).append(url)

    def _intact(self, entry: Entry) -> bool:
        path = self.folder / entry.path
        return path.is_file() and file_hash(path) == entry.hash

    def _problem(
        self, url: str, reason: Reason | None, message: str, groups: list[str] | None
    ) -> None:
        shown = groups if groups is not None else self._guess_groups(url)
        reason_code = (reason or Reason.UNREADABLE).value
        self.report.problems.append(
            FileResult(url, url, "failed", reason_code, message, groups=shown)
        )

    def _guess_groups(self, url: str) -> list[str]:
        """Who may see a URL's name in the report when no page gave it groups."""
        try:
            return self._groups(url, None)
        except _Skip:
            return sorted({g for gs in self.source.groups.values() for g in gs})[:1]

    # -- robots.txt and sitemaps -----------------------------------------------------------

    def _read_robots(self) -> None:
        url = f"{self.site}/robots.txt"
        try:
            response = self._request(url)
            try:
                status = response.status_code
                body = self._body(response) if status == 200 else b""
            finally:
                response.close()
        except _Skip as exc:
            raise _Skip(exc.reason, f"robots.txt cannot be read ({exc.message}); the crawl "
                        "stopped and the mirror is kept as it was") from exc  # fmt: skip
        if status in (401, 403) or status >= 500:
            raise _Skip(
                Reason.HTTP_ERROR,
                f"robots.txt answered HTTP {status}; the crawl stopped and the mirror is kept "
                "as it was (a sign-in needed? check the source's headers or cookies)",
            )
        self.robots.parse(page_text(body, response.charset_encoding).splitlines())
        delay = self.robots.crawl_delay(self.source.user_agent)
        if delay is not None:
            self.delay = max(self.delay, float(delay))

    def _sitemap_pages(self) -> list[str]:
        pending = [*self.source.sitemaps, *(self.robots.site_maps() or [])]
        pages: list[str] = []
        done: set[str] = set()
        while pending and len(done) < _MAX_SITEMAPS:
            url = canonical(pending.pop(0))
            if url is None or url in done or not url.startswith(self.site + "/"):
                continue
            done.add(url)
            try:
                _, response = self._get(url)
                try:
                    if response.status_code != 200:
                        raise _Skip(Reason.HTTP_ERROR, f"HTTP {response.status_code}")
                    data = self._body(response)
                finally:
                    response.close()
            except _Skip as exc:
                self._problem(url, exc.reason, f"sitemap not read: {exc.message}", [EVERYONE])
                continue
            found, nested = sitemap_urls(data)
            pages += [u for u in map(canonical, found) if u and self._scope(u) == "page"]
            pending += nested
        return pages

    # -- the end ---------------------------------------------------------------------------

    def _finish(self) -> None:
        """Keep what must stay, drop what went, and make the mirror say exactly that."""
        self._narrowed()
        for url, entry in self.old.items():
            if url in self.new:
                continue
            # Unreached yet still in scope: a page under the prefixes, a document on the site.
            page = entry.content_type in _HTML
            in_scope = self._scope(url) == "page" if page else self._on_site(url)
            allowed = self.robots.can_fetch(self.source.user_agent, url)
            unreached = url not in self.seen and in_scope and allowed
            if url in self.kept or (self.incomplete and unreached):
                self.new[url] = entry
            else:
                self.report.removed.append(url)
        mirror.settle(self.folder, self.new, self.access_file)

    def _write_access(self, rel: str, groups: list[str]) -> None:
        """Name the file's groups in its folder's rules before the file is there."""
        entries = [*self.old.values(), *self.new.values()]
        mirror.prepare_access(self.folder, entries, rel, groups, self.access_file)


def _common_readers(linking: list[list[str]]) -> list[str] | None:
    """The groups in every list (everyone counting as all groups); None when none is."""
    named = [set(groups) for groups in linking if EVERYONE not in groups]
    if not named:
        return [EVERYONE]
    common = set.intersection(*named)
    return sorted(common) if common else None
