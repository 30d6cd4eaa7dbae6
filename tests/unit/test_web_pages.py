"""What the crawler reads from an HTML page: title, canonical, noindex, links."""

from __future__ import annotations

from typing import Any

import pytest
from parley.crawling.pages import read_page

BASE = "https://site.example/docs/guide/page.html"


def test_title_is_its_text_on_one_line() -> None:
    page = read_page(b"<html><head><title>\n  Getting   started &amp; more\n</title></head></html>", BASE)

    assert page.title == "Getting started & more"


def test_a_page_without_a_title_has_none() -> None:
    assert read_page(b"<p>no title</p>", BASE).title is None


def test_canonical_is_made_absolute() -> None:
    page = read_page(b'<link rel="Canonical" href="../intro.html#top"><link rel="canonical" href="/second">', BASE)

    assert page.canonical == "https://site.example/docs/intro.html"


@pytest.mark.parametrize(
    ("html", "header", "noindex"),
    [
        (b'<meta name="robots" content="noindex">', None, True),
        (b'<meta name="ROBOTS" content="NoIndex, follow">', None, True),
        (b'<meta name="robots" content="none">', None, True),
        (b'<meta name="robots" content="index, follow">', None, False),
        (b'<meta name="description" content="noindex">', None, False),
        (b"<p>x</p>", "noindex", True),
        (b"<p>x</p>", "none", True),
        (b"<p>x</p>", "otherbot: noindex", False),
        (b"<p>x</p>", "unavailable_after: 25 Jun 2030 15:00:00 PST, noindex", True),
    ],
)
def test_noindex_from_meta_robots_or_the_header(html: Any, header: Any, noindex: Any) -> None:
    assert read_page(html, BASE, x_robots_tag=header).noindex is noindex


def test_links_are_absolute_web_addresses_once_each_in_document_order() -> None:
    html = b"""
    <a href="next.html#section">next</a>
    <a href="#top">same page</a>
    <a href="mailto:help@site.example">mail</a>
    <a href="javascript:void(0)">script</a>
    <a href="tel:+100">phone</a>
    <a href="../faq/">faq</a>
    <a href="HTTPS://Other.Example:443/x">elsewhere</a>
    <a href="next.html">next again</a>
    <a rel="nofollow" href="/login">sign in</a>
    <a>no href</a>
    <area href="/map">
    """

    assert read_page(html, BASE).links == [
        "https://site.example/docs/guide/next.html",
        "https://site.example/docs/faq/",
        "https://other.example/x",
        "https://site.example/map",
    ]


def test_base_href_changes_what_links_resolve_against() -> None:
    page = read_page(b'<base href="https://cdn.example/root/"><a href="a.html">a</a>', BASE)

    assert page.links == ["https://cdn.example/root/a.html"]


@pytest.mark.parametrize(
    ("html", "header"),
    [(b'<meta name="robots" content="nofollow"><a href="/a">a</a>', None), (b'<a href="/a">a</a>', "nofollow")],
)
def test_a_nofollow_page_gives_no_links(html: Any, header: Any) -> None:
    assert read_page(html, BASE, x_robots_tag=header).links == []


def test_the_declared_encoding_is_used() -> None:
    html = '<meta charset="iso-8859-1"><title>Café</title>'.encode("latin-1")

    assert read_page(html, BASE).title == "Café"
