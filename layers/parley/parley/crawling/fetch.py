"""GET one web page for a website source, reaching public addresses only (SSRF).

Every request, and every redirect hop, resolves its host once, refuses unless every address is public, then connects
to an address it checked, never to the host name again: a name that answers a public address to the check and a
private one to the connection (DNS rebinding) gets no second answer. TLS still verifies the certificate against the
host name (and sends it as SNI). Redirects are followed here, each hop checked the same way.
"""

from __future__ import annotations

import errno
import http.client
import ipaddress
import re
import socket
import ssl
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from urllib.parse import quote, urljoin, urlsplit

from parley.crawling.addresses import refusal
from parley.domain.urls import DEFAULT_PORTS, normalize

Resolve = Callable[[str, int], list[str]]
# Opens a TCP connection to (address, port) within the timeout, as `socket.create_connection` does.
Connect = Callable[[tuple[str, int], float], socket.socket]

REDIRECTS = frozenset({301, 302, 303, 307, 308})
_READ_PIECE = 64 * 1024
# Characters an address's path and query keep as they are; anything else (spaces, non-ASCII) is percent-encoded.
_URL_SAFE = "/?&=%:@!$'()*+,;~-._"
# A host as normalize() spells it: an ASCII (IDNA) name, an IPv4 address, or an IPv6 one (with its zone).
_HOST = re.compile(r"[a-z0-9_.-]+|[0-9a-f:.]+(%[\w.-]+)?")


@dataclass(frozen=True)
class FetchPolicy:
    user_agent: str
    # Only the local stack sets it (PARLEY_FETCH_ALLOW_LOOPBACK), to crawl a site served on the same machine.
    allow_loopback: bool = False
    max_bytes: int = 5_000_000
    timeout: float = 10.0
    max_redirects: int = 5


@dataclass(frozen=True)
class Fetched:
    url: str  # the final address after redirects, normalized
    status: int
    content_type: str  # the media type, lowercased, without parameters ("" when the site sent none)
    body: bytes  # empty for a 304 and for 4xx answers
    etag: str | None
    last_modified: str | None
    not_modified: bool
    x_robots_tag: str | None = None  # every X-Robots-Tag header, joined with ", " (for `read_page`)


class FetchRefused(Exception):
    """A fetch that will fail the same way every time (a refused address, a bad address, too large, a redirect
    loop): the reason says what the owner can change."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class FetchFailed(Exception):
    """A fetch that may work later (a timeout, a dropped connection, a 5xx or 429 answer)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def system_resolve(host: str, port: int) -> list[str]:
    """Every address the system's resolver gives for `host`, in its order."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def fetch(
    url: str,
    policy: FetchPolicy,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    resolve: Resolve = system_resolve,
    connect: Connect = socket.create_connection,
    tls: ssl.SSLContext | None = None,
) -> Fetched:
    """GET `url` as `policy` allows, following redirects; conditional when `etag` or `last_modified` is given
    (a 304 comes back as `not_modified`). 4xx answers (except 429) come back with their status; 5xx, 429 and
    network faults raise FetchFailed; everything the owner must change raises FetchRefused."""
    target = _Target.of(url)
    seen = {target.url}
    headers = {"User-Agent": policy.user_agent, "Accept-Encoding": "gzip", "Connection": "close"}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    context = tls or _system_tls()
    for _ in range(policy.max_redirects + 1):
        outcome = _hop(target, headers=headers, policy=policy, resolve=resolve, connect=connect, tls=context)
        if isinstance(outcome, Fetched):
            return outcome
        following = _Target.of(outcome, base=target.url)
        if following.url in seen:
            raise FetchRefused(f"{following.url} redirects in a loop")
        seen.add(following.url)
        target = following
    raise FetchRefused(f"{url[:200]} redirects more than {policy.max_redirects} times")


@dataclass(frozen=True)
class _Target:
    url: str
    scheme: str
    host: str  # ASCII, without brackets
    port: int
    path: str  # path and query, as sent on the request line

    @classmethod
    def of(cls, url: str, *, base: str | None = None) -> _Target:
        """The target of `url` (resolved against `base`, for a redirect's Location), or FetchRefused."""
        try:
            normal = normalize(urljoin(base, url) if base else url)
            parts = urlsplit(normal)
            port = parts.port
        except (ValueError, UnicodeError):
            raise FetchRefused(f"{url[:200]} is not a valid web address") from None
        if parts.scheme not in DEFAULT_PORTS:
            raise FetchRefused(f"Only http and https addresses are fetched, not {url[:200]}")
        if not parts.hostname or not _HOST.fullmatch(parts.hostname):
            raise FetchRefused(f"{url[:200]} has no valid host name")
        if parts.username is not None or parts.password is not None:
            raise FetchRefused("Addresses with a user name or password are not fetched")
        path = quote(parts.path or "/", safe=_URL_SAFE) + (
            f"?{quote(parts.query, safe=_URL_SAFE)}" if parts.query else ""
        )
        return cls(normal, parts.scheme, parts.hostname, port or DEFAULT_PORTS[parts.scheme], path)

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == DEFAULT_PORTS[self.scheme] else f"{host}:{self.port}"


class _Exchange:
    """One request on one connection, to an address that was checked, within one deadline."""

    def __init__(self, target: _Target, policy: FetchPolicy, resolve: Resolve, connect: Connect, tls: ssl.SSLContext):
        self.target, self.policy = target, policy
        self.deadline = time.monotonic() + policy.timeout
        sock = self._connect(_checked_addresses(target, policy.allow_loopback, resolve), connect)
        if target.scheme == "https":
            try:
                sock = tls.wrap_socket(sock, server_hostname=target.host)
            except ssl.SSLCertVerificationError as error:
                sock.close()
                raise FetchRefused(f"{target.host}'s certificate is not valid: {error.verify_message}") from None
            except (ssl.SSLError, OSError) as error:
                sock.close()
                raise _transient(error, target) from None
        self.sock = sock
        self.connection = http.client.HTTPConnection(target.host, target.port)
        self.connection.sock = sock  # already connected: http.client sends on it and never resolves the name

    def _connect(self, addresses: list[str], connect: Connect) -> socket.socket:
        failure: OSError | None = None
        for address in addresses:
            try:
                return connect((address, self.target.port), self._remaining())
            except OSError as error:
                failure = error
        assert failure is not None
        raise _transient(failure, self.target)

    def _remaining(self) -> float:
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise FetchFailed(f"{self.target.url} did not answer within {self.policy.timeout:g} s")
        return remaining

    def response(self, headers: dict[str, str]) -> http.client.HTTPResponse:
        try:
            self.connection.request("GET", self.target.path, headers={"Host": self.target.host_header, **headers})
            self.sock.settimeout(self._remaining())
            return self.connection.getresponse()
        except (OSError, http.client.HTTPException) as error:
            raise _transient(error, self.target) from None

    def body(self, response: http.client.HTTPResponse) -> bytes:
        """The body, decoded from gzip, refused as soon as it (or what it expands to) passes max_bytes."""
        limit = self.policy.max_bytes
        declared = response.getheader("Content-Length")
        if declared and declared.strip().isdigit() and int(declared) > limit:
            raise _too_large(self.target, limit)
        encoding = (response.getheader("Content-Encoding") or "identity").strip().lower()
        if encoding not in ("identity", "gzip", "x-gzip"):
            raise FetchRefused(f"{self.target.url} is sent with the {encoding} encoding, which Parley does not read")
        inflate = zlib.decompressobj(16 + zlib.MAX_WBITS) if encoding != "identity" else None
        body, received = bytearray(), 0
        try:
            while True:
                self.sock.settimeout(self._remaining())
                piece = response.read1(_READ_PIECE)  # what one receive brings, so the deadline holds
                if not piece:
                    break
                received += len(piece)
                if received > limit:
                    raise _too_large(self.target, limit)
                # At most one byte past the limit is inflated: enough to know a bomb is one.
                body += inflate.decompress(piece, limit + 1 - len(body)) if inflate else piece
                if len(body) > limit:
                    raise _too_large(self.target, limit)
            if inflate and received:  # an empty body stays empty, whatever its declared encoding
                body += inflate.flush()
                if len(body) > limit:
                    raise _too_large(self.target, limit)
                if not inflate.eof:
                    raise FetchFailed(f"{self.target.url} ended in the middle of its compressed body")
        except zlib.error:
            raise FetchRefused(f"{self.target.url}'s compressed body is damaged") from None
        except (OSError, http.client.HTTPException) as error:
            raise _transient(error, self.target) from None
        return bytes(body)

    def close(self) -> None:
        self.connection.close()


def _hop(
    target: _Target,
    *,
    headers: dict[str, str],
    policy: FetchPolicy,
    resolve: Resolve,
    connect: Connect,
    tls: ssl.SSLContext,
) -> Fetched | str:
    """`target`'s answer, or the Location it redirects to."""
    exchange = _Exchange(target, policy, resolve, connect, tls)
    try:
        response = exchange.response(headers)
        status = response.status
        location = response.getheader("Location")
        if status in REDIRECTS and location:
            return location
        if status == 429 or status >= 500:
            raise FetchFailed(f"{target.url} answered {status} {response.reason}; it may work later")
        not_modified = status == 304
        robots = response.headers.get_all("X-Robots-Tag")
        return Fetched(
            url=target.url,
            status=status,
            content_type=(response.getheader("Content-Type") or "").split(";")[0].strip().lower(),
            body=exchange.body(response) if 200 <= status < 300 else b"",
            etag=response.getheader("ETag") or (headers.get("If-None-Match") if not_modified else None),
            last_modified=response.getheader("Last-Modified")
            or (headers.get("If-Modified-Since") if not_modified else None),
            not_modified=not_modified,
            x_robots_tag=", ".join(robots) if robots else None,
        )
    finally:
        exchange.close()


@cache
def _system_tls() -> ssl.SSLContext:
    """The system's certificate authorities, loaded once per container."""
    return ssl.create_default_context()


def _checked_addresses(target: _Target, allow_loopback: bool, resolve: Resolve) -> list[str]:
    """The addresses `target`'s host resolves to, refused unless every one of them may be connected to."""
    try:
        addresses = [str(ipaddress.ip_address(target.host))]
    except ValueError:
        try:
            addresses = resolve(target.host, target.port)
        except socket.gaierror as error:
            if error.errno in (socket.EAI_NONAME, getattr(socket, "EAI_NODATA", socket.EAI_NONAME)):
                raise FetchRefused(f"The host {target.host} does not exist") from None
            raise FetchFailed(f"The host {target.host} could not be looked up: {error.strerror}") from None
    if not addresses:
        raise FetchRefused(f"The host {target.host} has no address")
    for address in addresses:
        reason = refusal(address, allow_loopback=allow_loopback)
        if reason:
            named = "" if address == target.host else f"{target.host} resolves to "
            raise FetchRefused(f"{named}{reason}; Parley fetches public web addresses only")
    return addresses


def _too_large(target: _Target, limit: int) -> FetchRefused:
    return FetchRefused(f"{target.url} is larger than {limit:,} bytes")


def _transient(error: OSError | http.client.HTTPException, target: _Target) -> FetchFailed:
    if isinstance(error, TimeoutError):
        return FetchFailed(f"{target.url} did not answer in time")
    if isinstance(error, ConnectionRefusedError) or getattr(error, "errno", None) == errno.ECONNREFUSED:
        return FetchFailed(f"{target.host_header} refused the connection")
    return FetchFailed(f"The connection to {target.host_header} failed ({type(error).__name__})")
