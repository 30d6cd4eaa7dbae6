"""A website served on 127.0.0.1, made in code, for the crawl's tests and benchmark: its pages are a dict the caller
changes between syncs, every request is counted, and pages answer conditional requests (ETag) as real servers do."""

from __future__ import annotations

import hashlib
import html
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler

from local.fakes.samples import pdf
from local.loopback import LoopbackServer


@dataclass
class Response:
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


def page(
    title: str, text: str, *, links: tuple[str, ...] = (), canonical: str | None = None, noindex: bool = False
) -> Response:
    """An HTML page: its title, a paragraph of text, links, and optionally a canonical address or noindex."""
    head = f"<title>{html.escape(title)}</title>"
    if canonical:
        head += f'<link rel="canonical" href="{html.escape(canonical)}">'
    if noindex:
        head += '<meta name="robots" content="noindex">'
    anchors = "".join(f'<li><a href="{html.escape(link)}">{html.escape(link)}</a></li>' for link in links)
    body = f"<h1>{html.escape(title)}</h1><p>{html.escape(text)}</p><ul>{anchors}</ul>"
    document = f"<!doctype html><html><head>{head}</head><body>{body}</body></html>"
    return Response(document.encode())


def redirect(to: str) -> Response:
    return Response(status=302, headers={"Location": to})


def sitemap(urls: list[str]) -> Response:
    entries = "".join(f"<url><loc>{html.escape(url)}</loc></url>" for url in urls)
    namespace = "http://www.sitemaps.org/schemas/sitemap/0.9"
    body = f'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="{namespace}">{entries}</urlset>'
    return Response(body.encode(), content_type="application/xml")


class SampleSite(LoopbackServer):
    """`pages` maps a path to its response (missing paths answer 404); `requests` counts what was asked, by path."""

    def __init__(self) -> None:
        self.pages: dict[str, Response] = {}
        self.requests: Counter[str] = Counter()
        self.not_modified = 0
        self._lock = threading.Lock()
        self._open = threading.Event()
        self._open.set()
        super().__init__(self._serve)

    @contextmanager
    def held(self) -> Iterator[None]:
        """Requests arriving inside the block wait to be answered until it ends: a crawl stays under way, however
        fast the machine, for as long as a test needs it to."""
        self._open.clear()
        try:
            yield
        finally:
            self._open.set()

    def reset_counts(self) -> None:
        with self._lock:
            self.requests.clear()
            self.not_modified = 0

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        self._open.wait()
        path = handler.path.split("?", 1)[0]
        with self._lock:
            self.requests[path] += 1
            response = self.pages.get(path, Response(b"Not found", "text/plain", 404))
        etag = f'"{hashlib.sha256(response.body).hexdigest()[:16]}"'
        if response.status == 200 and handler.headers.get("If-None-Match") == etag:
            with self._lock:
                self.not_modified += 1
            handler.send_response(304)
            handler.send_header("ETag", etag)
            handler.end_headers()
            return
        handler.send_response(response.status)
        handler.send_header("Content-Type", response.content_type)
        handler.send_header("Content-Length", str(len(response.body)))
        if response.status == 200:
            handler.send_header("ETag", etag)
        for name, value in response.headers.items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(response.body)


def every_kind_of_page(site: SampleSite) -> None:
    """A llama farm's site with a page of every kind a crawl meets, linked from its home page: pages in scope (one
    linking further), one robots.txt disallows, a redirect loop, a missing page, a PDF, a noindex page, a canonical
    duplicate, an image, and a link to another site; and a sitemap of the pages."""
    base = site.url
    site.pages.update(
        {
            "/robots.txt": Response(
                f"User-agent: *\nDisallow: /private/\nSitemap: {base}/sitemap.xml\n".encode(), "text/plain"
            ),
            "/sitemap.xml": sitemap([f"{base}/docs/feeding", f"{base}/docs/shearing", f"{base}/manual.pdf"]),
            "/": page(
                "Home",
                "Welcome to the llama farm.",
                links=(
                    "/docs/feeding",
                    "/docs/shearing",
                    "/private/ledger",
                    "/loop",
                    "/missing",
                    "/manual.pdf",
                    "/hidden",
                    "/feeding-copy",
                    "/logo.png",
                    "https://elsewhere.example.com/",
                ),
            ),
            "/docs/feeding": page("Feeding", "Llamas eat grass and hay every day."),
            "/docs/shearing": page("Shearing", "Llamas are shorn in spring.", links=("/docs/old",)),
            "/docs/old": page("Old news", "The barn was painted red in 1999."),
            "/private/ledger": page("Ledger", "Private accounts."),
            "/loop": redirect(f"{base}/loop-back"),
            "/loop-back": redirect(f"{base}/loop"),
            "/manual.pdf": Response(pdf(["The llama manual: brush the fleece weekly."]), "application/pdf"),
            "/hidden": page("Hidden", "Not for search engines.", noindex=True),
            "/feeding-copy": page("Feeding", "Llamas eat grass and hay every day.", canonical=f"{base}/docs/feeding"),
            "/logo.png": Response(b"\x89PNG\r\n", "image/png"),
        }
    )
