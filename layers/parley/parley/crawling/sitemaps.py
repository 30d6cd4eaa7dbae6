"""Page and sitemap addresses out of a sitemap (sitemaps.org): a <urlset>, a <sitemapindex>, or a plain text list,
gzipped or not. No document type is read, so an XML bomb (entity expansion) or an external entity is refused."""

from __future__ import annotations

import zlib
from xml.parsers import expat

from parley.domain.urls import DEFAULT_PORTS

# The protocol's limits on one sitemap: 50,000 addresses and 50 MB uncompressed.
MAX_SITEMAP_URLS = 50_000
MAX_SITEMAP_BYTES = 50 * 1024 * 1024


class InvalidSitemap(Exception):
    """A sitemap that cannot be read, with a reason the owner can act on."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def read_sitemap(body: bytes) -> tuple[list[str], list[str]]:
    """(page addresses, nested sitemap addresses), http(s) only, each once, in the sitemap's order."""
    body = _gunzipped(body)
    start = body.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not start.startswith(b"<"):
        return _text_sitemap(start.decode("utf-8", errors="replace")), []
    reader = _SitemapReader()
    try:
        reader.parser.Parse(body, True)
    except expat.ExpatError as error:
        raise InvalidSitemap(f"The sitemap is not well-formed XML ({expat.errors.messages[error.code]})") from None
    return list(dict.fromkeys(reader.pages)), list(dict.fromkeys(reader.sitemaps))


class _SitemapReader:
    def __init__(self) -> None:
        self.parser = expat.ParserCreate(namespace_separator=" ")
        self.parser.StartDoctypeDeclHandler = self._refuse_doctype
        self.parser.EntityDeclHandler = self._refuse_doctype
        self.parser.StartElementHandler = self._start
        self.parser.EndElementHandler = self._end
        self.parser.CharacterDataHandler = self._text
        self.pages: list[str] = []
        self.sitemaps: list[str] = []
        self._path: list[str] = []
        self._loc: list[str] | None = None

    def _refuse_doctype(self, *_args: object) -> None:
        raise InvalidSitemap("The sitemap declares a document type, which Parley refuses (it can hide an XML bomb)")

    def _start(self, name: str, _attributes: dict[str, str]) -> None:
        self._path.append(name.rsplit(" ", 1)[-1])  # the local name, whatever the namespace
        if self._path[-1] == "loc":
            self._loc = []

    def _end(self, _name: str) -> None:
        local = self._path.pop()
        if local == "loc" and self._loc is not None:
            url, self._loc = "".join(self._loc).strip(), None
            parent = self._path[-1] if self._path else ""
            if _web_address(url):
                if parent == "url":
                    self.pages.append(url)
                elif parent == "sitemap":
                    self.sitemaps.append(url)
            if len(self.pages) + len(self.sitemaps) > MAX_SITEMAP_URLS:
                raise InvalidSitemap(f"The sitemap lists more than {MAX_SITEMAP_URLS:,} addresses")

    def _text(self, data: str) -> None:
        if self._loc is not None:
            self._loc.append(data)


def _gunzipped(body: bytes) -> bytes:
    """A gzipped sitemap (sitemap.xml.gz) inflated, refused past the protocol's 50 MB."""
    if not body.startswith(b"\x1f\x8b"):
        if len(body) > MAX_SITEMAP_BYTES:
            raise InvalidSitemap(f"The sitemap is larger than {MAX_SITEMAP_BYTES:,} bytes")
        return body
    inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        inflated = inflate.decompress(body, MAX_SITEMAP_BYTES + 1)
    except zlib.error:
        raise InvalidSitemap("The sitemap's gzip data is damaged") from None
    if len(inflated) > MAX_SITEMAP_BYTES:
        raise InvalidSitemap(f"The sitemap expands to more than {MAX_SITEMAP_BYTES:,} bytes")
    return inflated


def _text_sitemap(text: str) -> list[str]:
    """A text sitemap: one address a line."""
    pages = [line.strip() for line in text.splitlines() if _web_address(line.strip())]
    if len(pages) > MAX_SITEMAP_URLS:
        raise InvalidSitemap(f"The sitemap lists more than {MAX_SITEMAP_URLS:,} addresses")
    return list(dict.fromkeys(pages))


def _web_address(url: str) -> bool:
    scheme, _, rest = url.partition("://")
    return scheme.lower() in DEFAULT_PORTS and bool(rest)
