"""Sitemaps: urlset, sitemapindex, text, gzip; document types (XML bombs) refused."""

from __future__ import annotations

import gzip
from typing import Any

import pytest
from parley.crawling.sitemaps import InvalidSitemap, read_sitemap

URLSET = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <url><loc>https://site.example/</loc><lastmod>2026-11-01</lastmod></url>
  <url><loc>
    https://site.example/docs/a?x=1&amp;y=2
  </loc></url>
  <url><loc>ftp://site.example/file</loc></url>
  <url><loc>https://site.example/</loc></url>
</urlset>"""

INDEX = b"""<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <sitemap><loc>https://site.example/sitemap-docs.xml</loc></sitemap>
  <sitemap><loc>https://site.example/sitemap-blog.xml.gz</loc></sitemap>
</sitemapindex>"""


def test_a_urlset_gives_its_page_addresses_once_each() -> None:
    assert read_sitemap(URLSET) == (["https://site.example/", "https://site.example/docs/a?x=1&y=2"], [])


def test_a_sitemap_index_gives_nested_sitemaps() -> None:
    assert read_sitemap(INDEX) == (
        [],
        ["https://site.example/sitemap-docs.xml", "https://site.example/sitemap-blog.xml.gz"],
    )


def test_a_gzipped_sitemap_is_read() -> None:
    assert read_sitemap(gzip.compress(URLSET)) == read_sitemap(URLSET)


def test_a_text_sitemap_is_one_address_a_line() -> None:
    body = b"https://site.example/a\n\nnot an address\nhttps://site.example/b\r\n"

    assert read_sitemap(body) == (["https://site.example/a", "https://site.example/b"], [])


@pytest.mark.parametrize(
    "body",
    [
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
        b"<urlset><url><loc>&lol2;</loc></url></urlset>",
        b'<?xml version="1.0"?><!DOCTYPE urlset [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        b"<urlset><url><loc>&xxe;</loc></url></urlset>",
        b'<?xml version="1.0"?><!DOCTYPE urlset SYSTEM "http://site.example/sitemap.dtd"><urlset/>',
    ],
)
def test_a_document_type_is_refused(body: Any) -> None:
    with pytest.raises(InvalidSitemap) as refused:
        read_sitemap(body)

    assert "document type" in refused.value.reason


def test_a_gzip_bomb_is_refused() -> None:
    with pytest.raises(InvalidSitemap) as refused:
        read_sitemap(gzip.compress(b"<urlset>" + b" " * 60_000_000))

    assert "expands to more than" in refused.value.reason


def test_broken_xml_is_refused_with_a_reason() -> None:
    with pytest.raises(InvalidSitemap) as refused:
        read_sitemap(b"<urlset><url><loc>https://site.example/</url>")

    assert "not well-formed" in refused.value.reason
