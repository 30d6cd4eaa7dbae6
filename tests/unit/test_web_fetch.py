"""The website fetcher reaches public addresses only (every hop, at connect time), within its limits.

Sites are served by http.server on 127.0.0.1 in a thread. Public names are answered by fake resolvers, and a fake
`connect` that records the address it was handed and connects to the local server instead: no test reaches out.
"""

from __future__ import annotations

import datetime
import gzip
import http.server
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from parley.crawling.fetch import FetchFailed, FetchPolicy, FetchRefused, fetch
from parley.settings import Settings

from local.loopback import LoopbackServer
from local.stack.stack import ROOT
from local.template import load_template

DEPLOYED = FetchPolicy(user_agent="ParleyBot/1.0 (+https://parley.example/bot)")
LOCAL = FetchPolicy(user_agent="ParleyBot/1.0 (+https://parley.example/bot)", allow_loopback=True)
PUBLIC = "93.184.216.34"  # a public address: only ever handed to a fake connect, never dialled

Handler = Callable[[http.server.BaseHTTPRequestHandler], None]


@dataclass
class Site:
    """A site on 127.0.0.1: a handler per path, and every request it received (path, headers)."""

    port: int
    routes: dict[str, Handler] = field(default_factory=dict)
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    def url(self, path: str = "/", host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"


def answer(status: int, body: bytes = b"", **headers: str) -> Handler:
    def handle(request: http.server.BaseHTTPRequestHandler) -> None:
        request.send_response(status)
        for name, value in headers.items():
            request.send_header(name.replace("_", "-"), value)
        if "Content_Length" not in headers:
            request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        request.wfile.write(body)

    return handle


def redirect(location: str, status: int = 302) -> Handler:
    return answer(status, Location=location)


@contextmanager
def serving(tls: ssl.SSLContext | None = None) -> Iterator[Site]:
    site = Site(port=0)

    def serve(request: http.server.BaseHTTPRequestHandler) -> None:
        site.requests.append((request.path, dict(request.headers)))
        site.routes.get(request.path, answer(404, b"not here"))(request)

    with LoopbackServer(serve, keep_alive=True, tls=tls) as server:
        site.port = server.port
        yield site


@pytest.fixture(scope="module")
def _served() -> Iterator[Site]:
    with serving() as serving_site:
        yield serving_site


@pytest.fixture
def site(_served: Site) -> Site:
    """The module's site, with no routes and no requests yet (one server for the module: starting and stopping one
    per test cost more than most tests)."""
    _served.routes.clear()
    _served.requests.clear()
    return _served


class Dialler:
    """A `connect` that records every address it is handed and dials `port` on 127.0.0.1 instead; without a port
    it dials loopback addresses only, so even a broken fetcher reaches nothing beyond this machine."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port
        self.dialled: list[tuple[str, int]] = []

    def __call__(self, address: tuple[str, int], timeout: float) -> socket.socket:
        self.dialled.append(address)
        if self.port is not None:
            return socket.create_connection(("127.0.0.1", self.port), timeout)
        if address[0] != "127.0.0.1":
            raise ConnectionRefusedError(f"the tests' dialler does not dial {address[0]}")
        return socket.create_connection(address, timeout)


def resolver(*answers: list[str]) -> Callable[[str, int], list[str]]:
    """A resolver giving `answers` in turn, one per look-up, the last one from then on."""
    given = iter(answers)
    last: list[str] = []

    def resolve(_host: str, _port: int) -> list[str]:
        nonlocal last
        last = next(given, last)
        return last

    return resolve


NOT_PUBLIC = [
    "127.0.0.1",
    "127.1.2.3",
    "10.0.0.5",
    "172.16.0.1",
    "172.31.255.254",
    "192.168.1.1",
    "169.254.169.254",
    "100.64.0.1",
    "0.0.0.0",
    "224.0.0.1",
    "255.255.255.255",
    "240.0.0.1",
    "::1",
    "::",
    "fc00::1",
    "fd00:ec2::254",
    "fe80::1",
    "fec0::1",
    "ff02::1",
    "::ffff:127.0.0.1",
    "::ffff:169.254.169.254",
    "::ffff:10.0.0.1",
    "::7f00:1",
    "64:ff9b::a9fe:a9fe",
    "64:ff9b::7f00:1",
    "2002:a9fe:a9fe::1",
]


@pytest.mark.parametrize("address", NOT_PUBLIC)
def test_deployed_policy_refuses_a_name_that_resolves_to_a_non_public_address(address: Any) -> None:
    # Given a name that resolves to an address that is not public
    dialler = Dialler()

    # When it is fetched with the deployed policy
    with pytest.raises(FetchRefused) as refused:
        fetch("https://site.example/page", DEPLOYED, resolve=resolver([address]), connect=dialler)

    # Then it is refused, naming the address, before any connection
    assert address in refused.value.reason
    assert dialler.dialled == []


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/",
        "http://[::ffff:7f00:1]/",
        "http://10.0.0.1:8080/",
        "http://0.0.0.0/",
        "http://[fe80::1%25eth0]/",
    ],
)
def test_deployed_policy_refuses_address_literals_that_are_not_public(url: Any) -> None:
    dialler = Dialler()

    with pytest.raises(FetchRefused):
        fetch(url, DEPLOYED, resolve=resolver([PUBLIC]), connect=dialler)

    assert dialler.dialled == []


def test_one_private_answer_among_public_ones_refuses_the_name() -> None:
    dialler = Dialler()

    with pytest.raises(FetchRefused) as refused:
        fetch("http://site.example/", DEPLOYED, resolve=resolver([PUBLIC, "10.1.2.3"]), connect=dialler)

    assert "10.1.2.3" in refused.value.reason
    assert dialler.dialled == []


@pytest.mark.parametrize("address", ["10.0.0.5", "192.168.1.1", "169.254.169.254", "fc00::1", "::ffff:127.0.0.1"])
def test_allowing_loopback_allows_nothing_else(address: Any) -> None:
    dialler = Dialler()

    with pytest.raises(FetchRefused):
        fetch("http://site.example/", LOCAL, resolve=resolver([address]), connect=dialler)

    assert dialler.dialled == []


def test_deployed_policy_refuses_a_server_on_this_machine(site: Any) -> None:
    site.routes["/"] = answer(200, b"secret", Content_Type="text/html")

    for url in (site.url("/"), site.url("/", host="localhost")):
        with pytest.raises(FetchRefused) as refused:
            fetch(url, DEPLOYED)
        assert "loopback" in refused.value.reason

    assert site.requests == []


def test_local_policy_fetches_a_server_on_this_machine_with_its_user_agent(site: Any) -> None:
    site.routes["/page"] = answer(200, b"<title>Hi</title>", Content_Type="text/html; charset=utf-8", ETag='"v1"')

    page = fetch(site.url("/page"), LOCAL)

    assert (page.status, page.content_type, page.body, page.etag) == (200, "text/html", b"<title>Hi</title>", '"v1"')
    assert page.url == site.url("/page")
    assert site.requests[0][1]["User-Agent"] == LOCAL.user_agent


def test_connection_goes_to_the_checked_address_not_a_second_lookup(site: Any) -> None:
    # Given a name whose first answer is public and whose later answers are this machine (DNS rebinding)
    site.routes["/"] = answer(200, b"public page", Content_Type="text/html")
    resolve = resolver([PUBLIC], ["127.0.0.1"])
    dialler = Dialler(port=site.port)

    # When it is fetched
    page = fetch("http://rebind.example/", DEPLOYED, resolve=resolve, connect=dialler)

    # Then the connection went to the address that was checked, with the name kept as the Host
    assert page.body == b"public page"
    assert dialler.dialled == [(PUBLIC, 80)]
    assert site.requests[0][1]["Host"] == "rebind.example"
    # And the next look-up, now answering loopback, is refused without connecting
    with pytest.raises(FetchRefused):
        fetch("http://rebind.example/", DEPLOYED, resolve=resolve, connect=dialler)
    assert dialler.dialled == [(PUBLIC, 80)]


def test_every_redirect_hop_is_resolved_and_checked_again(site: Any) -> None:
    # Given a public name that redirects to itself, and answers loopback to the second look-up
    site.routes["/"] = redirect("http://rebind.example/next")
    site.routes["/next"] = answer(200, b"must not be read")
    dialler = Dialler(port=site.port)

    with pytest.raises(FetchRefused) as refused:
        fetch("http://rebind.example/", DEPLOYED, resolve=resolver([PUBLIC], ["127.0.0.1"]), connect=dialler)

    assert "127.0.0.1" in refused.value.reason
    assert dialler.dialled == [(PUBLIC, 80)]
    assert [path for path, _ in site.requests] == ["/"]


@pytest.mark.parametrize(
    "location",
    [
        "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
        "http://10.0.0.1/",
        "http://[fd00:ec2::254]/",
        "http://metadata.internal/",
    ],
)
def test_redirect_from_an_allowed_local_site_to_an_internal_address_is_refused(site: Any, location: Any) -> None:
    # Given a local site (allowed in the local stack) that redirects to an internal address
    site.routes["/go"] = redirect(location)
    dialler = Dialler()

    def resolve(host: str, _port: int) -> list[str]:
        return ["127.0.0.1"] if host == "127.0.0.1" else ["169.254.169.254"]

    # When it is fetched with loopback allowed
    with pytest.raises(FetchRefused):
        fetch(site.url("/go"), LOCAL, resolve=resolve, connect=dialler)

    # Then only the local site was connected to
    assert dialler.dialled == [("127.0.0.1", site.port)]


def test_redirects_are_followed_to_the_final_address(site: Any) -> None:
    site.routes["/old"] = redirect("/middle", 301)
    site.routes["/middle"] = redirect(site.url("/new"), 308)
    site.routes["/new"] = answer(200, b"new", Content_Type="text/plain")

    page = fetch(site.url("/old"), LOCAL)

    assert (page.url, page.body) == (site.url("/new"), b"new")


@pytest.mark.parametrize("location", ["http://[::1", "gopher://site.example/", "http://user:pw@site.example/"])
def test_a_redirect_to_an_address_that_is_not_plain_http_is_refused(site: Any, location: Any) -> None:
    site.routes["/go"] = redirect(location)

    with pytest.raises(FetchRefused):
        fetch(site.url("/go"), LOCAL)

    assert len(site.requests) == 1


def test_a_redirect_loop_is_refused(site: Any) -> None:
    site.routes["/a"] = redirect("/b")
    site.routes["/b"] = redirect("/a")

    with pytest.raises(FetchRefused) as refused:
        fetch(site.url("/a"), LOCAL)

    assert "loop" in refused.value.reason


def test_more_redirects_than_the_policy_allows_are_refused(site: Any) -> None:
    for hop in range(6):
        site.routes[f"/{hop}"] = redirect(f"/{hop + 1}")
    site.routes["/6"] = answer(200, b"end")
    policy = FetchPolicy(user_agent="ParleyBot/1.0", allow_loopback=True, max_redirects=5)

    assert fetch(site.url("/1"), policy).body == b"end"  # five redirects: allowed
    with pytest.raises(FetchRefused) as refused:
        fetch(site.url("/0"), policy)  # six

    assert "more than 5" in refused.value.reason


def test_a_body_over_max_bytes_is_refused_declared_or_streamed(site: Any) -> None:
    def streamed(request: http.server.BaseHTTPRequestHandler) -> None:
        request.send_response(200)
        request.send_header("Connection", "close")
        request.end_headers()
        for _ in range(100):
            request.wfile.write(b"x" * 100)

    site.routes["/declared"] = answer(200, b"x" * 2000)
    site.routes["/streamed"] = streamed
    site.routes["/fits"] = answer(200, b"x" * 1000)
    policy = FetchPolicy(user_agent="ParleyBot/1.0", allow_loopback=True, max_bytes=1000)

    for path in ("/declared", "/streamed"):
        with pytest.raises(FetchRefused) as refused:
            fetch(site.url(path), policy)
        assert "larger than 1,000 bytes" in refused.value.reason
    assert len(fetch(site.url("/fits"), policy).body) == 1000


def test_gzip_bodies_are_inflated_within_max_bytes(site: Any) -> None:
    bomb = gzip.compress(b"\0" * 5_000_000)  # 5 MB of zeros in about 5 kB: 50 times the limit
    site.routes["/page"] = answer(200, gzip.compress(b"<p>hello</p>"), Content_Encoding="gzip")
    site.routes["/bomb"] = answer(200, bomb, Content_Encoding="gzip")
    policy = FetchPolicy(user_agent="ParleyBot/1.0", allow_loopback=True, max_bytes=100_000)

    site.routes["/empty"] = answer(200, b"", Content_Encoding="gzip")
    site.routes["/cut"] = answer(200, gzip.compress(b"<p>hello</p>" * 100)[:40], Content_Encoding="gzip")

    assert fetch(site.url("/page"), policy).body == b"<p>hello</p>"
    assert site.requests[0][1]["Accept-Encoding"] == "gzip"
    assert fetch(site.url("/empty"), policy).body == b""
    with pytest.raises(FetchFailed):
        fetch(site.url("/cut"), policy)
    with pytest.raises(FetchRefused) as refused:
        fetch(site.url("/bomb"), policy)
    assert "larger than 100,000 bytes" in refused.value.reason


def test_an_encoding_it_did_not_ask_for_is_refused(site: Any) -> None:
    site.routes["/br"] = answer(200, b"\x0b\x02\x80hello\x03", Content_Encoding="br")

    with pytest.raises(FetchRefused) as refused:
        fetch(site.url("/br"), LOCAL)

    assert "br" in refused.value.reason


@pytest.mark.parametrize(
    "url",
    [
        "ftp://site.example/file",
        "file:///etc/passwd",
        "gopher://site.example/",
        "javascript:alert(1)",
        "//site.example/",
        "http://",
        "http://site.example:99999/",
        "http://user:secret@site.example/",
        "http://site .example/",
        "http://site.example\r\nX-Injected: 1/",
    ],
)
def test_addresses_that_are_not_plain_http_are_refused(url: Any) -> None:
    dialler = Dialler()

    with pytest.raises(FetchRefused):
        fetch(url, DEPLOYED, resolve=resolver([PUBLIC]), connect=dialler)

    assert dialler.dialled == []


def test_a_conditional_request_answered_304_is_not_modified(site: Any) -> None:
    def conditional(request: http.server.BaseHTTPRequestHandler) -> None:
        if request.headers.get("If-None-Match") == '"v1"':
            answer(304, ETag='"v1"', Content_Length="0")(request)
        else:
            answer(200, b"changed", ETag='"v2"', Last_Modified="Tue, 01 Dec 2026 00:00:00 GMT")(request)

    site.routes["/page"] = conditional
    since = "Mon, 30 Nov 2026 00:00:00 GMT"

    unchanged = fetch(site.url("/page"), LOCAL, etag='"v1"', last_modified=since)
    changed = fetch(site.url("/page"), LOCAL, etag='"v0"')

    assert (unchanged.status, unchanged.not_modified, unchanged.body, unchanged.etag) == (304, True, b"", '"v1"')
    assert unchanged.last_modified == since
    assert site.requests[0][1]["If-Modified-Since"] == since
    assert (changed.status, changed.not_modified, changed.body, changed.etag) == (200, False, b"changed", '"v2"')
    assert changed.last_modified == "Tue, 01 Dec 2026 00:00:00 GMT"


def test_client_errors_come_back_and_server_errors_are_transient(site: Any) -> None:
    site.routes["/gone"] = answer(410, b"gone")
    site.routes["/busy"] = answer(503, b"later", Retry_After="30")
    site.routes["/slow-down"] = answer(429, b"later")

    assert fetch(site.url("/missing"), LOCAL).status == 404
    gone = fetch(site.url("/gone"), LOCAL)
    assert (gone.status, gone.body) == (410, b"")
    for path in ("/busy", "/slow-down"):
        with pytest.raises(FetchFailed):
            fetch(site.url(path), LOCAL)


def test_robots_headers_come_back_for_the_page_reader(site: Any) -> None:
    site.routes["/page"] = answer(200, b"<p>x</p>", X_Robots_Tag="noindex")

    assert fetch(site.url("/page"), LOCAL).x_robots_tag == "noindex"


def test_a_server_that_never_answers_fails_as_transient(site: Any) -> None:
    release = threading.Event()
    site.routes["/hang"] = lambda _request: release.wait(30) and None
    policy = FetchPolicy(user_agent="ParleyBot/1.0", allow_loopback=True, timeout=0.2)

    try:
        with pytest.raises(FetchFailed):
            fetch(site.url("/hang"), policy)
    finally:
        release.set()


def test_a_body_that_trickles_past_the_timeout_fails_as_transient(site: Any) -> None:
    # Given a server that sends a byte at a time, each within the timeout, for longer than the timeout in all
    stop = threading.Event()

    def trickle(request: http.server.BaseHTTPRequestHandler) -> None:
        request.send_response(200)
        request.send_header("Connection", "close")
        request.end_headers()
        while not stop.wait(0.05):
            request.wfile.write(b"x")
            request.wfile.flush()

    site.routes["/trickle"] = trickle
    policy = FetchPolicy(user_agent="ParleyBot/1.0", allow_loopback=True, timeout=0.3)

    try:
        with pytest.raises(FetchFailed):
            fetch(site.url("/trickle"), policy)
    finally:
        stop.set()


def test_a_refused_connection_fails_as_transient() -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]

    with pytest.raises(FetchFailed):
        fetch(f"http://127.0.0.1:{port}/", LOCAL)


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for site.test (and its key), trusted by the tests' client context only."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "site.test")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("site.test")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return folder / "cert.pem", folder / "key.pem"


def test_https_verifies_the_host_name_while_connecting_to_the_checked_address(certificate: Any) -> None:
    # Given an https site on 127.0.0.1 whose certificate names site.test, and a server recording the SNI it gets
    cert, key = certificate
    server_tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_tls.load_cert_chain(cert, key)
    names: list[str | None] = []

    def record_name(_socket: ssl.SSLObject, name: str | None, _context: ssl.SSLContext) -> None:
        names.append(name)

    server_tls.sni_callback = record_name
    client_tls = ssl.create_default_context(cafile=str(cert))
    with serving(server_tls) as site:
        site.routes["/"] = answer(200, b"secure")
        dialler = Dialler(port=site.port)

        # When site.test (resolving to a public address) is fetched over https
        page = fetch("https://site.test/", DEPLOYED, resolve=resolver([PUBLIC]), connect=dialler, tls=client_tls)

        # Then the checked address was dialled, and the host name was sent as SNI and verified
        assert page.body == b"secure"
        assert dialler.dialled == [(PUBLIC, 443)]
        assert names == ["site.test"]
        # And a name the certificate does not cover is refused
        with pytest.raises(FetchRefused) as refused:
            fetch("https://other.test/", DEPLOYED, resolve=resolver([PUBLIC]), connect=dialler, tls=client_tls)
        assert "certificate" in refused.value.reason


def test_only_the_local_stack_allows_loopback() -> None:
    # Settings read PARLEY_FETCH_ALLOW_LOOPBACK, off unless set
    assert Settings.from_env({}).crawl.allow_loopback is False
    assert Settings.from_env({"PARLEY_FETCH_ALLOW_LOOPBACK": "true"}).crawl.allow_loopback is True
    # and no function in template.yaml sets it, so a deployment refuses loopback
    template = load_template(ROOT / "template.yaml")
    environments = [template["Globals"]["Function"].get("Environment", {}).get("Variables", {})] + [
        resource.get("Properties", {}).get("Environment", {}).get("Variables", {})
        for resource in template["Resources"].values()
        if resource["Type"] == "AWS::Serverless::Function"
    ]
    assert all("PARLEY_FETCH_ALLOW_LOOPBACK" not in variables for variables in environments)
