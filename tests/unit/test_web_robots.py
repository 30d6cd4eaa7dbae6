"""robots.txt as RFC 9309 reads it: our group (else *), the longest rule wins, Allow wins a tie, Sitemap lines."""

from __future__ import annotations

from typing import Any

import pytest
from parley.crawling.robots import Robots

AGENT = "ParleyBot/1.0 (+https://parley.example/bot)"
ROBOTS = """
# the site's rules
User-agent: *
Disallow: /private/
Allow: /private/press/
Disallow: /*.pdf$
Disallow: /search?q=
Sitemap: https://site.example/sitemap.xml

User-agent: parleybot
User-agent: OtherBot
Disallow: /drafts          # parleybot's own group replaces *
Allow: /drafts/published
Disallow: /tie
Allow: /tie

user-agent: ParleyBot
disallow: /merged
Sitemap: https://site.example/news-sitemap.xml
"""


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        ("/", True),
        ("/drafts", False),
        ("/drafts/one", False),
        ("/drafts/published/one", True),  # the longer Allow beats the shorter Disallow
        ("/tie", True),  # equal length: Allow wins
        ("/merged/page", False),  # a second group naming us counts too
        ("/private/page", True),  # the * group does not apply to us
    ],
)
def test_our_group_decides_with_the_longest_rule(path: Any, allowed: Any) -> None:
    assert Robots.parse(ROBOTS).allows(f"https://site.example{path}", AGENT) is allowed


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        ("/private/page", False),
        ("/private/press/release", True),
        ("/files/report.pdf", False),
        ("/files/report.pdf?download=1", True),  # $ anchors the end
        ("/search?q=parley", False),
        ("/search", True),
        ("/robots.txt", True),
    ],
)
def test_other_crawlers_follow_the_star_group(path: Any, allowed: Any) -> None:
    assert Robots.parse(ROBOTS).allows(f"https://site.example{path}", "SomeBot/2.0") is allowed


def test_percent_encoding_does_not_hide_a_path() -> None:
    robots = Robots.parse("User-agent: *\nDisallow: /café\n")

    assert not robots.allows("https://site.example/caf%C3%A9/menu", AGENT)
    assert not robots.allows("https://site.example/café/menu", AGENT)


def test_sitemap_lines_are_read_wherever_they_stand() -> None:
    assert Robots.parse(ROBOTS).sitemaps() == [
        "https://site.example/sitemap.xml",
        "https://site.example/news-sitemap.xml",
    ]


@pytest.mark.parametrize("body", [None, "", "User-agent: *\nDisallow:\n", "Disallow: /before-any-group\n"])
def test_no_rules_allow_everything(body: Any) -> None:
    assert Robots.parse(body).allows("https://site.example/anything", AGENT)


def test_an_unreachable_robots_txt_disallows_all_but_itself() -> None:
    robots = Robots.disallow_all()

    assert not robots.allows("https://site.example/", AGENT)
    assert robots.allows("https://site.example/robots.txt", AGENT)


def test_a_pattern_built_to_backtrack_is_matched_without_hanging() -> None:
    # `/*a*a…*a*b` against a long run of a's makes a backtracking regular expression take forever
    robots = Robots.parse("User-agent: *\nDisallow: /" + "*a" * 30 + "*b\n")

    assert robots.allows("https://site.example/" + "a" * 2000, AGENT)
    assert not robots.allows("https://site.example/" + "a" * 2000 + "b", AGENT)
