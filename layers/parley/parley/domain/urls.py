"""One spelling per web address, and whether an address belongs to a website source."""

from __future__ import annotations

import re
from collections.abc import Sequence
from urllib.parse import urlsplit, urlunsplit

DEFAULT_PORTS = {"http": 80, "https": 443}
# The longest address a source starts at or a crawl reads (the sitemaps protocol's bound, and what browsers and
# servers commonly take): a longer one is refused with its reason, and robots.txt rules are never matched against it.
MAX_URL_LENGTH = 2048
_UNRESERVED = re.compile(r"%([0-9A-Fa-f]{2})")


def normalize(url: str) -> str:
    """The address in one spelling, so that one page is crawled once: scheme and host lowercased, the default port
    and the fragment dropped, dot segments resolved, escapes of unreserved characters decoded (ValueError if the
    address cannot be read)."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".")
    if host and not host.isascii():
        host = host.encode("idna").decode("ascii")
    if ":" in host:
        host = f"[{host}]"
    port = parts.port  # raises ValueError for a port that is not a number in range
    netloc = host if port is None or DEFAULT_PORTS.get(scheme) == port else f"{host}:{port}"
    userinfo, at, _ = parts.netloc.rpartition("@")
    if at:
        netloc = f"{userinfo}@{netloc}"
    path = _remove_dot_segments(_escapes(parts.path)) or ("/" if host else "")
    return urlunsplit((scheme, netloc, path, _escapes(parts.query), ""))


def in_scope(url: str, start_url: str, include: Sequence[str] = (), exclude: Sequence[str] = ()) -> bool:
    """Whether a crawl that started at `start_url` may fetch `url`: same scheme and host, under the directory of the
    start path (https://x/docs/intro → /docs/...), under one of `include`'s path prefixes if any, and under none of
    `exclude`'s."""
    try:
        candidate, start = urlsplit(normalize(url)), urlsplit(normalize(start_url))
    except ValueError:
        return False
    if candidate.scheme not in DEFAULT_PORTS or (candidate.scheme, candidate.netloc) != (start.scheme, start.netloc):
        return False
    path = candidate.path
    if not path.startswith(start.path[: start.path.rfind("/") + 1]):
        return False
    if include and not any(path.startswith(prefix) for prefix in include):
        return False
    return not any(path.startswith(prefix) for prefix in exclude)


def _escapes(text: str) -> str:
    """Escapes in one spelling: upper-case hex digits, and unreserved characters (RFC 3986 §2.3) unescaped."""

    def spell(found: re.Match[str]) -> str:
        character = chr(int(found.group(1), 16))
        if character.isascii() and (character.isalnum() or character in "-._~"):
            return character
        return f"%{found.group(1).upper()}"

    return _UNRESERVED.sub(spell, text)


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 §5.2.4: `/a/./b/../c` → `/a/c`."""
    output: list[str] = []
    segments = path.split("/")
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        if segment == ".":
            if last:
                output.append("")
        elif segment == "..":
            if len(output) > 1:
                output.pop()
            if last:
                output.append("")
        else:
            output.append(segment)
    return "/".join(output)
