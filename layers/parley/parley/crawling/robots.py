"""robots.txt as RFC 9309 reads it: the group naming our product token (else `*`), the longest matching rule
winning and Allow winning a tie, `*` and `$` in patterns, and the Sitemap lines."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit

# RFC 9309 §2.5: a crawler must read at least 500 KiB of the file; what lies beyond is ignored.
MAX_ROBOTS_CHARACTERS = 500 * 1024
_PATH_SAFE = "/?&=:@!$'()*+,;~-._"


@dataclass(frozen=True)
class _Rule:
    allow: bool
    pattern: str  # `*` matches any run of characters; a final `$` anchors the end

    def matches(self, path: str) -> bool:
        """Whether the rule covers `path`. A wildcard match rather than a regular expression, whose backtracking a
        site could make take forever (`/*a*a*a…*b`): this one takes at most len(pattern) * len(path) steps."""
        if self.pattern.endswith("$"):
            return _wildcard_match(self.pattern[:-1], path)
        return _wildcard_match(self.pattern + "*", path)  # a rule is a prefix


@dataclass(frozen=True)
class _Group:
    agents: tuple[str, ...]
    rules: tuple[_Rule, ...]


class Robots:
    """What a site's robots.txt allows; built from its body (None or empty allows everything)."""

    def __init__(self, groups: tuple[_Group, ...] = (), sitemaps: tuple[str, ...] = (), *, allow: bool = True):
        self._groups, self._sitemaps, self._allow = groups, sitemaps, allow

    @classmethod
    def parse(cls, body: str | None) -> Robots:
        groups: list[_Group] = []
        sitemaps: list[str] = []
        agents: list[str] = []
        rules: list[_Rule] = []
        for line in (body or "")[:MAX_ROBOTS_CHARACTERS].splitlines():
            field, colon, value = line.split("#", 1)[0].partition(":")
            if not colon:
                continue
            field, value = field.strip().lower(), value.strip()
            if field == "user-agent":
                if rules:  # a user-agent line after rules starts the next group
                    groups.append(_Group(tuple(agents), tuple(rules)))
                    agents, rules = [], []
                agents.append(value.lower())
            elif field in ("allow", "disallow") and agents:
                if value:  # an empty Disallow allows everything: no rule
                    rules.append(_Rule(field == "allow", _canonical(value)))
            elif field == "sitemap" and value and value not in sitemaps:
                sitemaps.append(value)
        if agents:
            groups.append(_Group(tuple(agents), tuple(rules)))
        return cls(tuple(groups), tuple(sitemaps))

    @classmethod
    def disallow_all(cls) -> Robots:
        """A site whose robots.txt cannot be read (a 5xx answer): RFC 9309 §2.3.1.4 says to crawl nothing."""
        return cls(allow=False)

    def allows(self, url: str, user_agent: str) -> bool:
        """Whether the crawler named by `user_agent` (its product token, e.g. ParleyBot/1.0 → parleybot) may
        fetch `url`."""
        parts = urlsplit(url)
        path = _canonical(parts.path or "/") + (f"?{_canonical(parts.query)}" if parts.query else "")
        if path == "/robots.txt":
            return True
        if not self._allow:
            return False
        token = user_agent.split("/", 1)[0].strip().lower()
        rules = self._rules_for(token) if token else ()
        if not rules:
            rules = self._rules_for("*")
        matching = [rule for rule in rules if rule.matches(path)]
        if not matching:
            return True
        # The longest pattern wins; on a tie, Allow (the least restrictive).
        return max(matching, key=lambda rule: (len(rule.pattern), rule.allow)).allow

    def sitemaps(self) -> list[str]:
        return list(self._sitemaps)

    def _rules_for(self, agent: str) -> tuple[_Rule, ...]:
        """Every group naming `agent` counts as one (RFC 9309 §2.2.1)."""
        return tuple(rule for group in self._groups if agent in group.agents for rule in group.rules)


def _canonical(path: str) -> str:
    """One percent-encoding for paths and patterns, so `/caf%C3%A9` and `/café` match each other."""
    return quote(unquote(path), safe=_PATH_SAFE)


def _wildcard_match(pattern: str, text: str) -> bool:
    """`pattern` (with `*`) matches the whole of `text`; on a mismatch, only the last `*` takes one more character."""
    p = t = 0
    star, resume = -1, 0
    while t < len(text):
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
            return False
    return pattern[p:].strip("*") == ""
