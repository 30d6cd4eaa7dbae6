"""AWS Signature Version 4, checked as AWS checks it: header-signed requests and presigned (query-signed) URLs.

moto accepts any signature; the local AWS proxy does not. A request whose method, path, query, signed headers or
(when signed) body differ from what was signed, or a presigned URL used after it expired, is refused.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import quote, unquote

ALGORITHM = "AWS4-HMAC-SHA256"
UNSIGNED = "UNSIGNED-PAYLOAD"
# AWS refuses header-signed requests whose X-Amz-Date is further than this from its clock.
ALLOWED_SKEW = timedelta(minutes=15)
MAX_PRESIGNED_SECONDS = 7 * 24 * 3600


class SignatureError(Exception):
    """The request is not validly signed; `code` is the error code AWS answers with."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class SignedRequest:
    method: str
    raw_path: str  # as sent, percent-encoding kept
    raw_query: str
    headers: Sequence[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        values = [value for key, value in self.headers if key.lower() == name]
        return ",".join(values) if values else None

    def query(self) -> list[tuple[str, str]]:
        pairs = []
        for part in self.raw_query.split("&") if self.raw_query else []:
            key, _, value = part.partition("=")
            pairs.append((unquote(key.replace("+", " ")), unquote(value.replace("+", " "))))
        return pairs


@dataclass(frozen=True)
class Signature:
    """Who signed a request and for which service: read from the Authorization header or the query."""

    access_key_id: str
    date: str
    region: str
    service: str
    signed_headers: tuple[str, ...]
    signature: str
    timestamp: str
    presigned_expires: int | None

    @property
    def scope(self) -> str:
        return f"{self.date}/{self.region}/{self.service}/aws4_request"


def read_signature(request: SignedRequest) -> Signature | None:
    """The request's SigV4 signature, or None for an anonymous request."""
    query = dict(request.query())
    if "X-Amz-Signature" in query:
        credential = query.get("X-Amz-Credential", "")
        signed, signature, timestamp = (
            query.get("X-Amz-SignedHeaders", ""),
            query["X-Amz-Signature"],
            query.get("X-Amz-Date", ""),
        )
        if query.get("X-Amz-Algorithm") != ALGORITHM:
            raise SignatureError("AuthorizationQueryParametersError", "X-Amz-Algorithm must be AWS4-HMAC-SHA256")
        try:
            expires: int | None = int(query.get("X-Amz-Expires", ""))
        except ValueError as error:
            raise SignatureError("AuthorizationQueryParametersError", "X-Amz-Expires must be a number") from error
    else:
        authorization = request.header("authorization")
        if not authorization:
            return None
        algorithm, _, rest = authorization.partition(" ")
        if algorithm != ALGORITHM:
            raise SignatureError("IncompleteSignature", f"unsupported authorization: {algorithm}")
        fields = dict(part.strip().partition("=")[::2] for part in rest.split(","))
        credential, signed, signature = (
            fields.get("Credential", ""),
            fields.get("SignedHeaders", ""),
            fields.get("Signature", ""),
        )
        timestamp = request.header("x-amz-date") or ""
        expires = None
    parts = credential.split("/")
    if len(parts) != 5 or parts[4] != "aws4_request" or not signature or not timestamp:
        raise SignatureError("IncompleteSignature", "the signature is incomplete")
    return Signature(parts[0], parts[1], parts[2], parts[3], tuple(signed.split(";")), signature, timestamp, expires)


def _encode(text: str) -> str:
    return quote(text, safe="-_.~")


def canonical_request(request: SignedRequest, signature: Signature) -> str:
    query = sorted((_encode(key), _encode(value)) for key, value in request.query() if key != "X-Amz-Signature")
    headers = []
    for name in signature.signed_headers:
        value = request.header(name)
        if value is None:
            raise SignatureError("SignatureDoesNotMatch", f"signed header {name} is missing")
        headers.append(f"{name}:{' '.join(value.split())}\n")
    if signature.presigned_expires is not None:
        payload = UNSIGNED
    else:
        payload = request.header("x-amz-content-sha256") or hashlib.sha256(request.body).hexdigest()
    # S3 signs the path as sent; the other services sign it URI-encoded once more.
    path = request.raw_path if signature.service == "s3" else quote(request.raw_path, safe="/~")
    return "\n".join(
        [
            request.method,
            path or "/",
            "&".join(f"{key}={value}" for key, value in query),
            "".join(headers),
            ";".join(signature.signed_headers),
            payload,
        ]
    )


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def sign(secret_access_key: str, scope: str, text: str) -> str:
    """The SigV4 signature of `text` with the key derived for `scope` (`date/region/service/aws4_request`)."""
    key = f"AWS4{secret_access_key}".encode()
    for part in scope.split("/"):
        key = _hmac(key, part)
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


def expected_signature(request: SignedRequest, signature: Signature, secret_access_key: str) -> str:
    canonical = canonical_request(request, signature)
    to_sign = "\n".join(
        [ALGORITHM, signature.timestamp, signature.scope, hashlib.sha256(canonical.encode()).hexdigest()]
    )
    return sign(secret_access_key, signature.scope, to_sign)


def verify(
    request: SignedRequest,
    signature: Signature,
    secret_access_key: str,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> None:
    """Raise SignatureError unless `request` carries a valid, current signature made with the secret key."""
    try:
        signed_at = datetime.strptime(signature.timestamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError as error:
        raise SignatureError("AccessDenied", "X-Amz-Date is not a valid timestamp") from error
    if signature.presigned_expires is not None:
        if not 0 < signature.presigned_expires <= MAX_PRESIGNED_SECONDS:
            raise SignatureError("AuthorizationQueryParametersError", "X-Amz-Expires must be 1 s to 7 days")
        if now() > signed_at + timedelta(seconds=signature.presigned_expires):
            raise SignatureError("AccessDenied", "Request has expired")
    elif abs(now() - signed_at) > ALLOWED_SKEW:
        raise SignatureError(
            "RequestTimeTooSkewed", "The difference between the request time and the current time is too large."
        )
    expected = expected_signature(request, signature, secret_access_key)
    if not hmac.compare_digest(expected, signature.signature):
        raise SignatureError(
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided. "
            "Check your key and signing method.",
        )
    claimed = request.header("x-amz-content-sha256")
    streamed = claimed is None or claimed == UNSIGNED or claimed.startswith("STREAMING-")
    if not streamed and signature.presigned_expires is None and claimed != hashlib.sha256(request.body).hexdigest():
        raise SignatureError(
            "XAmzContentSHA256Mismatch",
            "The provided 'x-amz-content-sha256' header does not match what was computed.",
        )
