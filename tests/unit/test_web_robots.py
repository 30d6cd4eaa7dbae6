"""robots.txt as RFC 9309 reads it: our group (else *), the longest rule wins, Allow wins a tie, Sitemap lines."""

from __future__ import annotations

from typing import Any

import pytest
from parley.crawling.robots import MAX_RULES, Robots, wildcard_match
from parley.domain.urls import MAX_URL_LENGTH

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


# The probe's file: 2,415 rules `Disallow: /*aaa…ab` (198 a's), about 500 KB, and a 2,000-character path of a's.
HOSTILE = "User-agent: *\n" + ("Disallow: /*" + "a" * 198 + "b\n") * 2415
LONG_PATH = "/" + "a" * 1999


def _two_pointer_steps(pattern: str, text: str) -> int:
    """The steps of the matcher this one replaced (the last `*` takes one more character on each mismatch)."""
    p = t = steps = 0
    star, resume = -1, 0
    while t < len(text):
        steps += 1
        if p < len(pattern) and pattern[p] == "*":
            star, resume = p, t
            p += 1
        elif p < len(pattern) and pattern[p] == text[t]:
            p += 1
            t += 1
        elif star >= 0:
            p, resume = star + 1, resume + 1
            t = resume
        else:
            break
    return steps


def test_the_hostile_rule_is_matched_in_one_pass_where_the_old_matcher_took_quadratic_steps() -> None:
    pattern = "/*" + "a" * 198 + "b"

    matched, looked = wildcard_match(pattern, LONG_PATH)

    assert matched is False
    assert looked <= len(LONG_PATH) + len(pattern)
    assert _two_pointer_steps(pattern + "*", LONG_PATH) > 300_000  # 1,800 starts, each 199 steps


@pytest.mark.parametrize(
    ("pattern", "path", "matched"),
    [
        ("/", "/anything", True),
        ("/a*b", "/axxb", True),
        ("/a*b", "/axx", False),
        ("/a**b", "/ab", True),
        ("/*.pdf$", "/x/y.pdf", True),
        ("/*.pdf$", "/x/y.pdf?download", False),
        ("/x$", "/x", True),
        ("/x$", "/xy", False),
        ("/a*a$", "/a", False),  # the last piece may not reuse what the first matched
        ("/a*a$", "/aa", True),
        ("*", "/", True),
        ("/*a*b*c", "/cbacbabc", True),
        ("/*a*b*c", "/cbacba", False),
    ],
)
def test_wildcards_and_anchors(pattern: str, path: str, matched: bool) -> None:
    assert wildcard_match(pattern, path)[0] is matched


@pytest.mark.parametrize("size", [10, 1_000, 100_000])
def test_a_match_looks_at_each_character_of_the_path_at_most_once(size: int) -> None:
    # `*a` repeated and `*a*b` patterns against runs of a's: what made backtracking and two-pointer matchers blow up
    text = "/" + "a" * size
    for pattern in ("/" + "*a" * 50 + "*b", "/*" + "a" * 60 + "b", "/" + "*a" * 50 + "$", "/*" + "a" * 60 + "b$"):
        _, looked = wildcard_match(pattern, text)
        assert looked <= len(text) + len(pattern), pattern


def test_the_hostile_robots_txt_against_a_2000_character_address() -> None:
    robots = Robots.parse(HOSTILE)

    assert robots.allows("https://site.example" + LONG_PATH, AGENT)
    assert not robots.allows("https://site.example" + LONG_PATH + "b", AGENT)
    assert len(robots._rules_for("*")) == 1  # the 2,415 identical rules count once


def test_rules_past_the_cap_are_ignored() -> None:
    body = "User-agent: *\n" + "".join(f"Disallow: /p{n}/\n" for n in range(MAX_RULES + 10))
    robots = Robots.parse(body)

    assert len(robots._rules_for("*")) == MAX_RULES
    assert not robots.allows(f"https://site.example/p{MAX_RULES - 1}/x", AGENT)
    assert robots.allows(f"https://site.example/p{MAX_RULES}/x", AGENT)


def test_an_address_over_the_length_limit_is_never_allowed() -> None:
    robots = Robots.parse("User-agent: *\nAllow: /\n")
    base = "https://site.example/"

    assert robots.allows(base + "a" * (MAX_URL_LENGTH - len(base)), AGENT)
    assert not robots.allows(base + "a" * (MAX_URL_LENGTH - len(base) + 1), AGENT)
