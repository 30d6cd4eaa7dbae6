"""One spelling per address, and which addresses a website source may crawl."""

from __future__ import annotations

from typing import Any

import pytest
from parley.domain.urls import in_scope, normalize


@pytest.mark.parametrize(
    ("url", "normal"),
    [
        ("HTTP://Site.Example:80/a/./b/../c?x=1#frag", "http://site.example/a/c?x=1"),
        ("https://site.example:443", "https://site.example/"),
        ("https://site.example:8443/%7euser/%2f", "https://site.example:8443/~user/%2F"),
        ("http://site.example/a/b/..", "http://site.example/a/"),
        ("http://site.example/../../a", "http://site.example/a"),
        ("http://[::1]:80/", "http://[::1]/"),
        ("http://bücher.example/", "http://xn--bcher-kva.example/"),
    ],
)
def test_normalize(url: Any, normal: Any) -> None:
    assert normalize(url) == normal


def test_normalize_refuses_a_port_out_of_range() -> None:
    with pytest.raises(ValueError):
        normalize("http://site.example:99999/")


@pytest.mark.parametrize(
    ("url", "start", "expected"),
    [
        ("https://site.example/docs/a", "https://site.example/docs/", True),
        ("https://site.example/docs/a", "https://site.example/docs/intro", True),  # the start page's directory
        ("https://site.example/documents", "https://site.example/docs/", False),
        ("https://site.example/blog/", "https://site.example/docs/", False),
        ("https://site.example/anything", "https://site.example", True),
        ("https://SITE.example:443/docs/a#x", "https://site.example/docs/", True),
        ("http://site.example/docs/a", "https://site.example/docs/", False),  # another scheme
        ("https://www.site.example/docs/a", "https://site.example/docs/", False),  # another host
        ("https://site.example:8443/docs/a", "https://site.example/docs/", False),  # another port
        ("https://site.example/docs/../admin", "https://site.example/docs/", False),
        ("mailto:x@site.example", "https://site.example/", False),
        ("https://site.example:bad/", "https://site.example/", False),
    ],
)
def test_in_scope_stays_on_the_start_host_and_directory(url: Any, start: Any, expected: Any) -> None:
    assert in_scope(url, start) is expected


def test_include_and_exclude_are_path_prefixes() -> None:
    start = "https://site.example/"

    assert in_scope("https://site.example/docs/a", start, include=["/docs/", "/faq"])
    assert not in_scope("https://site.example/blog/a", start, include=["/docs/", "/faq"])
    assert not in_scope("https://site.example/docs/old/a", start, include=["/docs/"], exclude=["/docs/old/"])
    assert in_scope("https://site.example/docs/new/a", start, exclude=["/docs/old/"])
