"""What the crawler needs from an HTML page: its title, canonical address, whether it may be indexed, and where
its links lead."""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

from parley.domain.urls import DEFAULT_PORTS, normalize

# Where a page declares its encoding (<meta charset> or http-equiv), looked for in its first bytes as browsers do.
_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_CHARSET_WINDOW = 4096


@dataclass(frozen=True)
class Page:
    title: str | None
    canonical: str | None  # absolute
    noindex: bool  # meta robots (or X-Robots-Tag) noindex or none
    links: list[str]  # absolute, normalized, http(s), in document order, once each; none when the page is nofollow


def read_page(html: bytes, base_url: str, *, x_robots_tag: str | None = None) -> Page:
    """Read a fetched page; relative addresses resolve against `base_url` (the address it was fetched from) or the
    page's own <base href>. Links marked rel="nofollow" are left out, and every link when the page says nofollow."""
    reader = _PageReader(base_url)
    reader.feed(_decode(html))
    reader.close()
    directives = reader.robots | _header_directives(x_robots_tag)
    nofollow = bool(directives & {"nofollow", "none"})
    return Page(
        title=" ".join("".join(reader.title_parts).split()) or None if reader.title_parts is not None else None,
        canonical=reader.canonical,
        noindex=bool(directives & {"noindex", "none"}),
        links=[] if nofollow else list(dict.fromkeys(reader.links)),
    )


class _PageReader(HTMLParser):
    def __init__(self, base_url: str) -> None:
        super().__init__(convert_charrefs=True)
        self.base = base_url
        self.title_parts: list[str] | None = None
        self.in_title = False
        self.canonical: str | None = None
        self.robots: set[str] = set()
        self.links: list[str] = []
        self._based = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        rel = set(attributes.get("rel", "").lower().split())
        if tag == "title" and self.title_parts is None:
            self.title_parts, self.in_title = [], True
        elif tag == "base" and not self._based and "href" in attributes:
            self._based = True
            self.base = urljoin(self.base, attributes["href"].strip())
        elif tag == "meta" and attributes.get("name", "").strip().lower() == "robots":
            self.robots |= _directives(attributes.get("content", ""))
        elif tag == "link" and "canonical" in rel and self.canonical is None:
            self.canonical = self._absolute(attributes.get("href", ""))
        elif tag in ("a", "area") and "href" in attributes and "nofollow" not in rel:
            link = self._absolute(attributes["href"])
            if link:
                self.links.append(link)

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self.in_title = False

    def handle_data(self, data: str) -> None:
        if self.in_title and self.title_parts is not None:
            self.title_parts.append(data)

    def _absolute(self, href: str) -> str | None:
        """`href` resolved, normalized, without its fragment; None unless it is an http(s) address."""
        href = href.strip()
        if not href or href.startswith("#"):
            return None
        try:
            url = normalize(urljoin(self.base, href))
        except ValueError:
            return None
        parts = urlsplit(url)
        return url if parts.scheme in DEFAULT_PORTS and parts.hostname else None


def _decode(html: bytes) -> str:
    """The page's text in the encoding it declares (a byte-order mark, then <meta charset>), else UTF-8."""
    for bom, encoding in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if html.startswith(bom):
            return html.decode(encoding, errors="replace").lstrip("\ufeff")
    declared = _CHARSET.search(html[:_CHARSET_WINDOW])
    encoding = "utf-8"
    if declared:
        try:
            encoding = codecs.lookup(declared.group(1).decode("ascii")).name
        except LookupError:
            encoding = "utf-8"
    # A page that declares UTF-16 in ASCII-compatible bytes is not UTF-16 (the HTML standard says to read UTF-8).
    if encoding.startswith("utf-16"):
        encoding = "utf-8"
    return html.decode(encoding, errors="replace")


def _directives(content: str) -> set[str]:
    return {part.strip().lower() for part in content.split(",") if part.strip()}


def _header_directives(header: str | None) -> set[str]:
    """The X-Robots-Tag directives meant for every crawler. `otherbot: noindex, nofollow` names another crawler:
    what follows such a prefix is that crawler's (a directive with a value, `unavailable_after: …`, is no prefix)."""
    found: set[str] = set()
    ours = True
    for part in (header or "").lower().split(","):
        name, colon, value = part.strip().partition(":")
        if colon and name not in _VALUED_DIRECTIVES:
            ours, directive = False, value.strip()
        else:
            directive = name.strip()
        if ours and directive:
            found.add(directive)
    return found


_VALUED_DIRECTIVES = frozenset({"unavailable_after", "max-snippet", "max-image-preview", "max-video-preview"})
