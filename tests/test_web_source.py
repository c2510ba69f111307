"""A web source: a real HTTP server on loopback serves a small municipal site built here;
the crawler mirrors it and the folder pipeline indexes the mirror into the real store."""

from __future__ import annotations

import contextlib
import email.utils
import hashlib
import io
import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache, partial
from http.server import BaseHTTPRequestHandler, SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import docx
import pytest
from fixtures_heavy import RunCli, killed_and_run_again
from fpdf import FPDF

from assistant.models.embeddings import LocalE5Embedding
from assistant.runtime import open_runtime
from assistant.settings import Settings, WebSource, load_settings
from assistant.store import Search, SearchMode
from assistant.store.edge import EdgeStore
from assistant.store.record import ChunkRecord
from ingest.mirror import MANIFEST, UrlLookup
from ingest.sources import discover
from ingest.sync import IngestJob
from ingest.web import CrawlReport, crawl, mirror_dir

SECRET = "hemlig-nyckel-4711"
MENU = "Menyval Bygga och bo"
FOOTER = "Kommunhuset Storgatan 1 sidfot"
MODIFIED = email.utils.formatdate(1_700_000_000, usegmt=True)


@cache  # built once: fpdf2 stamps each build with the time
def _pdf() -> bytes:
    pdf = FPDF()
    pdf.set_font("helvetica", size=12)
    pdf.add_page()
    pdf.multi_cell(0, 8, "Riktlinje för representation. Sidan ett handlar om syftet.")
    pdf.add_page()
    pdf.multi_cell(
        0, 8, "Vid extern representation får kostnaden vara högst 600 kronor per person."
    )
    return bytes(pdf.output())


@cache
def _docx() -> bytes:
    document = docx.Document()
    document.add_heading("Lönetillägg", level=1)
    document.add_paragraph("Lönetillägg för jour betalas med 120 kronor per timme.")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _page(title: str, main: str, links: str = "") -> bytes:
    return (
        f"<!doctype html><html><head><title>{title}</title>"
        "<script>var spårning = 'skript';</script></head><body>"
        f"<header><a href='/'>Startsida</a></header>"
        f"<nav><ul><li><a href='/styrdokument/'>{MENU}</a></li>"
        "<li><a href='/utanfor/sida'>Utanför</a></li></ul></nav>"
        f"<main><h1>{title}</h1>{main}{links}"
        "<div hidden>Dold text som aldrig syns</div></main>"
        f"<footer><p>{FOOTER}</p></footer></body></html>"
    ).encode()


@dataclass
class Site:
    """The site's state (the test changes it between crawls) and what it was asked."""

    port: int = 0
    other: str = ""  # another host's URL, linked from the start page
    version: int = 1
    gone: bool = False
    robots_status: int = 200
    log: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    @property
    def folder(self) -> str:
        """The site's folder in its mirror."""
        return f"127.0.0.1_{self.port}"

    def asked(self, path: str) -> list[dict[str, str]]:
        return [h for p, h in self.log if p == path]

    def routes(self) -> dict[str, Callable[[], tuple[int, str, bytes]]]:
        base = f"http://127.0.0.1:{self.port}"
        index_links = (
            "<ul><li><a href='semester'>Semester</a></li>"
            "<li><a href='/download/18.abc/riktlinje-representation.pdf'>Riktlinje (PDF)</a></li>"
            "<li><a href='intern/hemlig'>Internt</a></li>"
            f"<li><a href='{self.other}/extern'>Annan webbplats</a></li>"
            "<li><a href='loop-a'>Omdirigering</a></li>"
            "<li><a href='langsam'>Långsam</a></li><li><a href='stor'>Stor</a></li>"
            "<li><a href='forsvinner#stycke'>Försvinner</a></li>"
            "<li><a href='hr/lon'>Lön</a></li><li><a href='mailto:a@b.se'>Post</a></li>"
            "<li><a href='/download/18.xyz/saknas.pdf'>Borttagen bilaga</a></li></ul>"
        )
        hours = "31 mars" if self.version == 1 else "15 april"
        robots = f"User-agent: *\nDisallow: /styrdokument/intern/\nSitemap: {base}/sitemap.xml\n"
        return {
            "/robots.txt": lambda: (self.robots_status, "text/plain", robots.encode()),
            "/sitemap.xml": lambda: (
                200,
                "application/xml",
                (
                    '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/'
                    f'sitemap/0.9"><url><loc>{base}/styrdokument/</loc></url>'
                    f"<url><loc>{base}/styrdokument/arkiv/bisyssla?id=7&amp;v=2</loc></url>"
                    "</urlset>"
                ).encode(),
            ),
            "/styrdokument/": lambda: (
                200,
                "text/html; charset=utf-8",
                _page(
                    "Styrdokument",
                    "<p>Här finns kommunens styrdokument för anställda.</p>",
                    index_links,
                ),
            ),
            "/styrdokument/semester": lambda: (
                200,
                "text/html; charset=utf-8",
                _page(
                    "Semesterregler",
                    f"<p>Sommarsemester ska sökas senast den {hours} i personalsystemet.</p>",
                ),
            ),
            "/styrdokument/arkiv/bisyssla?id=7&v=2": lambda: (
                200,
                "text/html; charset=utf-8",
                _page("Bisysslor", "<p>En bisyssla ska anmälas till närmaste chef.</p>"),
            ),
            "/styrdokument/forsvinner": lambda: (
                (404, "text/html", b"<h1>Sidan finns inte</h1>")
                if self.gone
                else (
                    200,
                    "text/html",
                    _page("Parkering", "<p>Parkeringstillstånd söks hos trafikenheten.</p>"),
                )
            ),
            "/download/18.abc/riktlinje-representation.pdf": lambda: (
                200,
                "application/pdf",
                _pdf(),
            ),
            "/download/18.def/lonetillagg": lambda: (
                200,
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                _docx(),
            ),
            "/styrdokument/intern/hemlig": lambda: (200, "text/html", _page("Hemlig", "<p>x</p>")),
            "/utanfor/sida": lambda: (200, "text/html", _page("Utanför", "<p>utanför</p>")),
        }


def _handler(site: Site) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            path = self.path
            site.log.append((path, {k.lower(): v for k, v in self.headers.items()}))
            if path in ("/styrdokument/loop-a", "/styrdokument/loop-b"):
                self._send(302, "", b"", location=path[:-1] + ("b" if path[-1] == "a" else "a"))
            elif path == "/styrdokument/langsam":
                time.sleep(1.5)
                self._send(200, "text/html", _page("Långsam", "<p>sent</p>"))
            elif path == "/styrdokument/stor":
                self._huge()
            elif path == "/styrdokument/hr/lon":
                if self.headers.get("X-Intranet-Token") != SECRET:
                    self._send(403, "text/plain", b"forbidden")
                    return
                body = _page(
                    "Lön och tillägg",
                    "<p>Lönerevision sker i april varje år enligt avtalet.</p>"
                    "<p><a href='/download/18.def/lonetillagg.docx'>Lönetillägg (Word)</a></p>",
                )
                self._send(200, "text/html; charset=utf-8", body)
            elif path == "/download/18.def/lonetillagg.docx":
                self._send(302, "", b"", location="/download/18.def/lonetillagg")
            elif path in site.routes():
                self._send(*site.routes()[path]())
            else:
                self._send(404, "text/html", b"<h1>Finns inte</h1>")

        def _send(self, status: int, kind: str, body: bytes, location: str = "") -> None:
            etag = f'"{hashlib.sha256(body).hexdigest()[:16]}"'
            if status == 200 and self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.end_headers()
                return
            self.send_response(status)
            if location:
                self.send_header("Location", location)
            if kind:
                self.send_header("Content-Type", kind)
            if status == 200:
                self.send_header("ETag", etag)
                self.send_header("Last-Modified", MODIFIED)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            with contextlib.suppress(OSError):  # the crawler gave up waiting (the slow page)
                self.wfile.write(body)

        def _huge(self) -> None:
            """A page far over max_bytes, streamed without a Content-Length."""
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Connection", "close")
            self.end_headers()
            try:
                for _ in range(400):
                    self.wfile.write(b"<p>" + b"stor text " * 1000 + b"</p>")
            except OSError:
                pass  # the crawler stopped reading: what it should do

    return Handler


def _serve(site: Site) -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(site))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def other() -> Iterator[Site]:
    """Another host (another address and port): nothing may ever be asked of it."""
    site = Site()
    for server in _serve(site):
        site.port = server.server_address[1]
        yield site


@pytest.fixture
def site(other: Site) -> Iterator[Site]:
    site = Site(other=f"http://127.0.0.1:{other.port}")
    for server in _serve(site):
        site.port = server.server_address[1]
        yield site


def _source(site: Site) -> WebSource:
    base = f"http://127.0.0.1:{site.port}"
    return WebSource(
        start_url=f"{base}/styrdokument/",
        groups={f"{base}/styrdokument/": ("*",), f"{base}/styrdokument/hr/": ("hr",)},
        delay_s=0,
        timeout_s=0.5,
        max_bytes=200_000,
        headers={"X-Intranet-Token": SECRET},  # type: ignore[dict-item]
    )


def _mirror_text(root: Path) -> str:
    return "\n".join(
        p.read_bytes().decode("utf-8", "replace") for p in sorted(root.rglob("*")) if p.is_file()
    )


def _files(root: Path) -> dict[Path, bytes]:
    """The mirror's files but its manifest (which holds the crawl's own notes)."""
    return {p: p.read_bytes() for p in root.rglob("*") if p.is_file() and p.name != MANIFEST}


def _reasons(report: CrawlReport) -> dict[str, str]:
    return {p.file.split("/", 3)[-1]: str(p.reason) for p in report.problems}


def test_a_crawl_mirrors_the_site_within_its_prefixes(
    tmp_path: Path, site: Site, other: Site, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # httpx and httpcore narrate every request
    report = crawl(_source(site), tmp_path)
    root = report.root
    files = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
    assert files == [
        ".crawl.json",
        "download/18.abc/access.toml",
        "download/18.abc/riktlinje-representation.pdf",
        "download/18.def/access.toml",
        "download/18.def/lonetillagg.docx",
        "styrdokument/access.toml",
        "styrdokument/arkiv/access.toml",
        f"styrdokument/arkiv/bisyssla_q{hashlib.sha256(b'id=7&v=2').hexdigest()[:10]}.html",
        "styrdokument/forsvinner.html",
        "styrdokument/hr/access.toml",
        "styrdokument/hr/lon.html",
        "styrdokument/index.html",
        "styrdokument/semester.html",
    ]
    assert _reasons(report) == {
        "styrdokument/intern/hemlig": "robots",
        "styrdokument/loop-a": "redirects",
        "styrdokument/langsam": "timeout",
        "styrdokument/stor": "too_large",
    }
    assert "loop-a → " in next(p.message for p in report.problems if p.reason == "redirects")
    # Never asked: another host, a page outside the prefixes, what robots.txt forbids.
    assert other.log == []
    assert site.asked("/utanfor/sida") == []
    assert site.asked("/styrdokument/intern/hemlig") == []
    # The page's main content only: no menu, banner, footer, script or hidden text.
    page = (root / "styrdokument/semester.html").read_text(encoding="utf-8")
    assert "Sommarsemester ska sökas senast den 31 mars" in page
    assert "<title>Semesterregler</title>" in page
    for chrome in (MENU, FOOTER, "Startsida", "skript", "Dold text"):
        assert chrome not in page
    # Who may read what: the hr page and the document only it links to are hr's.
    assert 'groups = ["hr"]' in (root / "styrdokument/hr/access.toml").read_text()
    assert '"lonetillagg.docx" = ["hr"]' in (root / "download/18.def/access.toml").read_text()
    assert (
        '"riktlinje-representation.pdf" = ["*"]'
        in (root / "download/18.abc/access.toml").read_text()
    )
    # The secret went with the requests to the site and is nowhere in the mirror or report.
    assert site.asked("/styrdokument/hr/lon")[0]["x-intranet-token"] == SECRET
    assert SECRET not in _mirror_text(root)
    assert SECRET not in repr(report)
    assert "127.0.0.1" in caplog.text
    assert SECRET not in caplog.text
    # A query string may carry a session or a signature: its values never reach the log.
    assert "bisyssla?id=***&v=***" in caplog.text
    assert "id=7" not in caplog.text
    # A link to nothing is named in the summary; it is no problem of any document.
    assert report.broken == [f"http://127.0.0.1:{site.port}/download/18.xyz/saknas.pdf"]
    assert report.summary().endswith("not fetched, 1 broken link")
    lookup = UrlLookup()
    assert lookup(root / "styrdokument/index.html") == f"http://127.0.0.1:{site.port}/styrdokument/"


def test_a_second_crawl_asks_conditionally_and_mirrors_changes_and_deletions(
    tmp_path: Path, site: Site
) -> None:
    first = crawl(_source(site), tmp_path)
    assert first.conditional == 0
    site.version, site.gone = 2, True
    second = crawl(_source(site), tmp_path)
    base = f"http://127.0.0.1:{site.port}"
    assert second.changed == [f"{base}/styrdokument/semester"]
    assert second.removed == [f"{base}/styrdokument/forsvinner"]
    assert second.broken == [f"{base}/download/18.xyz/saknas.pdf"]  # gone is not broken
    assert not second.new
    assert f"{base}/styrdokument/" in second.unchanged
    assert f"{base}/download/18.abc/riktlinje-representation.pdf" in second.unchanged
    # The unchanged pages were asked with their ETag and answered 304.
    assert site.asked("/styrdokument/")[-1]["if-none-match"]
    assert site.asked("/styrdokument/")[-1]["if-modified-since"] == MODIFIED
    assert second.conditional >= 5
    root = second.root
    assert not (root / "styrdokument/forsvinner.html").exists()
    assert "15 april" in (root / "styrdokument/semester.html").read_text(encoding="utf-8")
    assert '"forsvinner.html"' not in (root / "styrdokument/access.toml").read_text()


def test_a_transient_error_keeps_the_last_copy(tmp_path: Path, site: Site) -> None:
    crawl(_source(site), tmp_path)
    broken = _source(site).model_copy(update={"headers": {}})  # the sign-in lapsed: 403
    report = crawl(broken, tmp_path)
    assert _reasons(report)["styrdokument/hr/lon"] == "http_error"
    assert (report.root / "styrdokument/hr/lon.html").is_file()
    assert not report.removed  # the hr page and the document it links to both stay
    assert (report.root / "download/18.def/lonetillagg.docx").is_file()


def test_robots_txt_that_cannot_be_read_changes_nothing(tmp_path: Path, site: Site) -> None:
    first = crawl(_source(site), tmp_path)
    before = _mirror_text(first.root)
    site.robots_status, site.gone = 503, True
    report = crawl(_source(site), tmp_path)
    assert report.aborted
    assert [(p.file.rsplit("/", 1)[-1], p.reason) for p in report.problems] == [
        ("robots.txt", "http_error")
    ]
    assert not report.removed
    assert _mirror_text(first.root) == before
    assert [p for p, _ in site.log].count("/styrdokument/") == 1  # nothing fetched after it


def test_a_crash_without_the_manifest_converges_to_the_same_mirror(
    tmp_path: Path, site: Site
) -> None:
    first = crawl(_source(site), tmp_path)
    before = _files(first.root)
    (first.root / MANIFEST).unlink()  # killed before the manifest was written
    (first.root / "styrdokument" / ".tmp-halfwritten").write_bytes(b"half")
    (first.root / "styrdokument" / "gammal.html").write_bytes(b"<p>left behind</p>")
    again = crawl(_source(site), tmp_path)
    assert _files(again.root) == before
    assert json.loads((again.root / MANIFEST).read_text())["urls"]


class _Linked(BaseHTTPRequestHandler):
    """Three folders of pages (open, hr, ekonomi) linking two attachments under
    /download/, which no groups prefix covers."""

    def do_GET(self) -> None:
        pages = {
            "/styrdokument/": "<a href='tom'>Tom</a><a href='hr/'>HR</a>"
            "<a href='ek/'>Ekonomi</a><a href='/download/a.pdf'>A</a>",
            "/styrdokument/hr/": "<a href='/download/a.pdf'>A</a><a href='/download/b.pdf'>B</a>",
            "/styrdokument/ek/": "<a href='/download/b.pdf'>B</a>",
        }
        if self.path in pages:
            kind, body = "text/html", _page("Sida", pages[self.path])
        elif self.path == "/styrdokument/tom":  # an empty page: no parser makes a tree of it
            kind, body = "text/html", b""
        elif self.path in ("/download/a.pdf", "/download/b.pdf"):
            kind, body = "application/pdf", _pdf()
        else:
            kind, body = "text/plain", b""
        known = body or self.path in ("/robots.txt", "/styrdokument/tom")
        self.send_response(200 if known else 404)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_an_attachment_is_read_by_those_who_may_read_every_page_linking_it(
    tmp_path: Path,
) -> None:
    """The open start page links a.pdf before the hr page does: a.pdf is still hr's. b.pdf
    is linked from hr's and ekonomi's pages, which share no group: not indexed, said.
    (Before: a.pdf was everyone's, and an empty robots.txt or page stopped the crawl.)"""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Linked)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    source = WebSource(
        start_url=f"{base}/styrdokument/",
        groups={
            f"{base}/styrdokument/": ("*",),
            f"{base}/styrdokument/hr/": ("hr",),
            f"{base}/styrdokument/ek/": ("ekonomi",),
        },
        delay_s=0,
    )
    try:
        report = crawl(source, tmp_path)
    finally:
        server.shutdown()
        server.server_close()
    groups = {s.relative: s.groups for s in discover([report.root])}
    assert groups["download/a.pdf"] == ("hr",)
    assert "download/b.pdf" not in groups
    assert not (report.root / "download" / "b.pdf").exists()
    [problem] = [p for p in report.problems if p.file.endswith("/download/b.pdf")]
    assert problem.reason == "access_rules"
    assert "share none" in (problem.message or "")
    assert groups["styrdokument/hr/index.html"] == ("hr",)
    assert groups["styrdokument/index.html"] == ("*",)
    # An empty robots.txt allows everything; an empty page is skipped, the crawl goes on.
    [empty] = [p for p in report.problems if p.file.endswith("/styrdokument/tom")]
    assert empty.reason == "unreadable"


def _records(settings: Settings, embedder: LocalE5Embedding) -> list[ChunkRecord]:
    """Every passage in the store (a reader in hr sees them all here)."""
    store = EdgeStore.open(settings)
    try:
        query = embedder.get_query_embedding("styrdokument")
        hits = store.search(Search(query, None, ["hr"], 500, SearchMode.DENSE))
    finally:
        store.close()
    return [h.record for h in hits]


def _sync(
    settings: Settings, embedder: LocalE5Embedding, site: Site
) -> tuple[CrawlReport, dict[str, Any]]:
    crawled = crawl(_source(site), settings.web_dir)
    store = EdgeStore.open(settings)
    try:
        report = IngestJob(settings, store, embedder).run([crawled.root], problems=crawled.problems)
    finally:
        store.close()
    return crawled, report.to_dict()


def _statuses(report: dict[str, Any]) -> dict[str, str]:
    """File (its path in the mirror, or a URL's path) -> its status, or why it failed."""
    return {
        f["file"].split("/", 3)[-1] if f["file"].startswith("http") else f["file"]: f["reason"]
        or f["status"]
        for f in report["files"]
    }


def test_the_mirror_is_indexed_cited_by_url_and_kept_in_step(
    settings: Settings, site: Site, embedder: LocalE5Embedding
) -> None:
    base = f"http://127.0.0.1:{site.port}"
    _, first = _sync(settings, embedder, site)
    assert _statuses(first) == {
        "styrdokument/index.html": "new",
        "styrdokument/semester.html": "new",
        "styrdokument/forsvinner.html": "new",
        "styrdokument/hr/lon.html": "new",
        "download/18.abc/riktlinje-representation.pdf": "new",
        "download/18.def/lonetillagg.docx": "new",
        next(k for k in _statuses(first) if k.startswith("styrdokument/arkiv/")): "new",
        "styrdokument/intern/hemlig": "robots",
        "styrdokument/loop-a": "redirects",
        "styrdokument/langsam": "timeout",
        "styrdokument/stor": "too_large",
    }
    records = _records(settings, embedder)
    text = "\n".join(r.text for r in records)
    assert "Sommarsemester ska sökas senast den 31 mars" in text
    for chrome in (MENU, FOOTER, "Startsida", "Dold text"):
        assert chrome not in text
    urls = {r.rel_path: r.url for r in records}
    assert urls["styrdokument/semester.html"] == f"{base}/styrdokument/semester"
    assert urls["download/18.def/lonetillagg.docx"] == f"{base}/download/18.def/lonetillagg"
    groups = {r.rel_path: r.groups for r in records}
    assert groups["styrdokument/hr/lon.html"] == ("hr",)
    assert groups["download/18.def/lonetillagg.docx"] == ("hr",)  # linked from hr's page
    assert groups["styrdokument/semester.html"] == ("*",)
    saved = "\n".join(p.read_text() for p in settings.reports_dir.glob("*.json"))
    assert site.asked("/styrdokument/hr/lon")
    assert SECRET not in saved

    with open_runtime(settings, with_model=False) as runtime:
        answer = runtime.assistant.ask("När ska sommarsemester sökas?", [], mode="extractive")
        assert answer.citations[0].url == f"{base}/styrdokument/semester"
        pdf = runtime.assistant.ask(
            "Hur mycket får extern representation kosta per person?", [], mode="extractive"
        )
        [cited] = [c for c in pdf.citations if "600 kronor" in c.quote]
        assert cited.url == f"{base}/download/18.abc/riktlinje-representation.pdf"
        assert cited.page == 2
        outsider = runtime.assistant.ask("Vad betalas lönetillägg för jour med?", [])
        assert all(c.url != f"{base}/download/18.def/lonetillagg" for c in outsider.retrieved)

    site.version, site.gone = 2, True
    crawled, second = _sync(settings, embedder, site)
    statuses = _statuses(second)
    assert statuses["styrdokument/semester.html"] == "changed"
    assert statuses["forsvinner.html"] == "removed"  # named as the index knew it
    assert list(statuses.values()).count("unchanged") == 5
    assert crawled.conditional >= 5  # asked with the ETag …
    assert len(crawled.unchanged) >= 5  # … and answered 304 or the same content
    text = "\n".join(r.text for r in _records(settings, embedder))
    assert "15 april" in text
    assert "31 mars" not in text
    assert "Parkeringstillstånd" not in text
    before = sorted((r.doc_id, r.index_key, r.chunk_index) for r in _records(settings, embedder))

    (crawled.root / MANIFEST).unlink()  # a crawl killed before its manifest was written
    _, third = _sync(settings, embedder, site)
    assert set(_statuses(third).values()) == {"unchanged", "robots", "redirects", "timeout",
                                              "too_large"}  # fmt: skip
    after = sorted((r.doc_id, r.index_key, r.chunk_index) for r in _records(settings, embedder))
    assert after == before


def test_a_url_on_the_command_line_is_a_site_with_the_defaults(tmp_path: Path) -> None:
    from assistant.errors import InputError
    from cli.main import _ingest_targets

    settings = load_settings(data_dir=tmp_path / "data")
    roots, [site] = _ingest_targets(
        settings, ["https://intranet.kommun.se/styrdokument/index.html", "docs"]
    )
    assert roots == [Path("docs")]
    assert site.include_prefixes == ("https://intranet.kommun.se/styrdokument/",)
    assert (site.delay_s, site.groups, site.headers) == (1.0, {}, {})
    with pytest.raises(InputError, match=r"ingest\.web_sources"):
        _ingest_targets(settings, [])


def test_assistant_ingest_syncs_the_configured_sites(
    tmp_path: Path, site: Site, other: Site, run_cli: RunCli
) -> None:
    source = _source(site)
    configured = source.model_dump(mode="json") | {"headers": {"X-Intranet-Token": SECRET}}
    env = {"ASSISTANT_INGEST__WEB_SOURCES": json.dumps([configured])}
    result = run_cli("ingest", "--json", data_dir=tmp_path / "data", env=env, timeout=240)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    statuses = _statuses(report)
    assert statuses["styrdokument/hr/lon.html"] == "new"  # the secret header went along
    assert statuses["styrdokument/langsam"] == "timeout"
    assert report["roots"] == [str(mirror_dir(tmp_path / "data/sources/web", source) / site.folder)]
    assert SECRET not in result.stdout + result.stderr
    assert other.log == []


class _Folder(SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.mark.slow
def test_a_crawl_killed_mid_way_and_run_again_gives_the_same_index(
    tmp_path: Path, run_cli: RunCli
) -> None:
    """``assistant ingest URL`` killed (SIGKILL) while it mirrors the site, then run again:
    the index is the one a run from nothing gives."""
    www = tmp_path / "www" / "rutiner"
    www.mkdir(parents=True)
    for i in range(10):
        (www / f"rutin-{i:02d}.txt").write_text(
            f"Rutin nummer {i}\n\nEnligt rutin {i} ska ärenden av typ {i} handläggas inom "
            f"{i + 2} arbetsdagar av enhet {i}.\n",
            encoding="utf-8",
        )
    server = ThreadingHTTPServer(
        ("127.0.0.1", 0), partial(_Folder, directory=str(tmp_path / "www"))
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/rutiner/"
    slow = {"ASSISTANT_INGEST__WEB_SOURCES": json.dumps([{"start_url": url, "delay_s": 0.4}])}
    try:
        after_kill, from_nothing = killed_and_run_again(
            run_cli, slow, tmp_path / "data", tmp_path / "fresh", "rutin-*.txt"
        )
    finally:
        server.shutdown()
        server.server_close()
    assert after_kill == from_nothing
    assert len([n for n in after_kill if n.startswith("rutin-")]) == 10
