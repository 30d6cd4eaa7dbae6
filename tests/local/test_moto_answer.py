"""The AWS proxy asks the stack's moto in its own process (GuardedMotoServer.answer): the answers are the ones moto's
port gives the same requests, S3 keys with any character and metadata names with underscores included, and the
door's key is still asked for on the port."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from local.aws.moto_server import GuardedMotoServer

# moto takes any signature; the credential's scope names the service.
SIGNED = "AWS4-HMAC-SHA256 Credential=local/20261207/us-east-1/{}/aws4_request, SignedHeaders=host, Signature=00"
KEY = "/answers/tenants/t/a%20b%2Bc/%C3%A9t%C3%A9%20%28draft%29.md"
S3 = [("Authorization", SIGNED.format("s3"))]
# Headers of an answer that differ between two answers to the same request.
UNIQUE = {"date", "server", "x-amz-request-id", "x-amzn-requestid", "x-amz-id-2", "last-modified", "connection"}


@pytest.fixture(scope="module")
def moto() -> Iterator[GuardedMotoServer]:
    server = GuardedMotoServer()
    server.start()
    yield server
    server.stop()


def _by_port(
    moto: GuardedMotoServer, method: str, target: str, headers: list[tuple[str, str]], body: bytes
) -> tuple[int, dict[str, str], bytes]:
    host, port = moto.get_host_and_port()
    response = httpx.request(
        method, f"http://{host}:{port}{target}", headers=[*headers, *moto.headers.items()], content=body
    )
    return response.status_code, dict(response.headers), b"" if method == "HEAD" else response.content


def _same(one: tuple[int, dict[str, str], bytes], other: tuple[int, dict[str, str], bytes]) -> None:
    def kept(headers: dict[str, str]) -> dict[str, str]:
        return {
            name.lower(): value for name, value in headers.items() if name.lower() not in UNIQUE | {"content-length"}
        }

    def body(content: bytes) -> bytes:
        return re.sub(rb"<RequestId>[^<]*</RequestId>", b"", content)

    assert one[0] == other[0]
    assert kept(one[1]) == kept(other[1])
    assert body(one[2]) == body(other[2])


def test_in_process_answers_are_the_ports(moto: GuardedMotoServer) -> None:
    def answer(
        method: str, target: str, headers: list[tuple[str, str]], body: bytes = b""
    ) -> tuple[int, dict[str, str], bytes]:
        status, answered, content = moto.answer(method, target, headers, body)
        return status, dict(answered), content

    # A bucket made in process, an object with an awkward key and metadata written through the port
    assert answer("PUT", "/answers", S3)[0] == 200
    metadata = [("x-amz-meta-draft_by", "ana"), ("x-amz-meta-kind", "notes"), ("Content-Type", "text/markdown")]
    assert _by_port(moto, "PUT", KEY, S3 + metadata, b"# Llamas hum")[0] == 200

    # Then reading it, its head, a listing by prefix and a missing key answer alike both ways
    for method, target in (
        ("GET", KEY),
        ("HEAD", KEY),
        ("GET", "/answers?list-type=2&prefix=tenants%2Ft%2Fa%20b"),
        ("GET", "/answers/tenants/t/absent.md"),
    ):
        _same(answer(method, target, S3), _by_port(moto, method, target, S3, b""))
    status, headers, content = answer("GET", KEY, S3)
    assert (status, content, headers["x-amz-meta-draft_by"]) == (200, b"# Llamas hum", "ana")

    # And a JSON service's call does too
    dynamodb = [
        ("Authorization", SIGNED.format("dynamodb")),
        ("X-Amz-Target", "DynamoDB_20120810.ListTables"),
        ("Content-Type", "application/x-amz-json-1.0"),
    ]
    _same(answer("POST", "/", dynamodb, b"{}"), _by_port(moto, "POST", "/", dynamodb, b"{}"))


def test_the_port_still_asks_for_the_doors_key(moto: GuardedMotoServer) -> None:
    host, port = moto.get_host_and_port()

    refused = httpx.get(f"http://{host}:{port}/answers", headers=dict(S3))

    assert (refused.status_code, "<Code>AccessDenied</Code>" in refused.text) == (403, True)
