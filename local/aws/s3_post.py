"""Browser uploads to S3 (POST Object with a signed policy), checked as S3 checks them.

moto stores whatever a form POST carries: it checks no signature, no expiry and no policy condition. The local AWS
proxy (proxy.py) runs `check` first, so an upload bigger or smaller than the policy allows, for another key
or content type, with a changed policy or after the policy expired is refused with S3's status and error code.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from local.aws.sigv4 import ALGORITHM, SignedRequest, sign

# Form fields no condition has to cover (S3's list); `file` must come last, and fields after it are ignored.
UNCONDITIONED = {"policy", "x-amz-signature", "file"}
MALFORMED = "The body of your POST request is not well-formed multipart/form-data."


class PostRefused(Exception):
    """The upload is refused; `status` and `code` are S3's."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


@dataclass(frozen=True)
class FormUpload:
    bucket: str
    fields: Mapping[str, str]  # names lower-cased: S3 matches form field names case-insensitively
    file: bytes

    @property
    def key(self) -> str:
        return self.fields.get("key", "")


def is_form_upload(request: SignedRequest) -> bool:
    """A POST to a bucket (not to a key) with a multipart form: S3's browser upload."""
    path = request.raw_path.strip("/")
    content_type = (request.header("content-type") or "").lower()
    return (
        request.method == "POST" and bool(path) and "/" not in path and content_type.startswith("multipart/form-data")
    )


def parse(request: SignedRequest) -> FormUpload:
    """The form's fields up to the file, and the file's bytes."""
    boundary = ""
    for parameter in (request.header("content-type") or "").split(";")[1:]:
        name, _, value = parameter.strip().partition("=")
        if name.lower() == "boundary":
            boundary = value.strip('"')
    if not boundary:
        raise PostRefused(400, "MalformedPOSTRequest", MALFORMED)
    fields: dict[str, str] = {}
    for part in request.body.split(b"--" + boundary.encode())[1:]:
        if part.startswith(b"--"):
            break  # the closing delimiter
        head, separator, content = part.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        field = _field_name(head.decode("utf-8", "replace"))
        if not separator or field is None:
            raise PostRefused(400, "MalformedPOSTRequest", MALFORMED)
        content = content.removesuffix(b"\r\n")
        if field == "file":
            return FormUpload(request.raw_path.strip("/"), fields, content)
        fields[field] = content.decode("utf-8", "replace")
    raise PostRefused(400, "InvalidArgument", "POST requires exactly one file upload per request.")


def _field_name(head: str) -> str | None:
    for line in head.split("\r\n"):
        header, _, value = line.partition(":")
        if header.strip().lower() == "content-disposition":
            for parameter in value.split(";")[1:]:
                name, _, quoted = parameter.strip().partition("=")
                if name == "name":
                    return quoted.strip('"').lower()
    return None


def check(upload: FormUpload, secret_of: Callable[[str], str | None], now: datetime | None = None) -> str:
    """The access key id that signed `upload`'s policy, if S3 would store the upload; PostRefused otherwise."""
    policy_b64, signature = upload.fields.get("policy"), upload.fields.get("x-amz-signature")
    if not policy_b64 or not signature:
        raise PostRefused(403, "AccessDenied", "Access Denied")
    if upload.fields.get("x-amz-algorithm") != ALGORITHM:
        raise PostRefused(400, "InvalidArgument", "Only the AWS4-HMAC-SHA256 algorithm is supported here")
    credential = upload.fields.get("x-amz-credential", "").split("/")
    if len(credential) != 5 or credential[4] != "aws4_request":
        raise PostRefused(400, "InvalidArgument", "Invalid credential: the x-amz-credential field is malformed")
    secret = secret_of(credential[0])
    if secret is None:
        raise PostRefused(
            403, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records."
        )
    if not hmac.compare_digest(sign(secret, "/".join(credential[1:]), policy_b64), signature):
        raise PostRefused(
            403,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided. "
            "Check your key and signing method.",
        )
    policy = _policy(policy_b64)
    expiration = _expiration(policy)
    if (now or datetime.now(UTC)) > expiration:
        raise PostRefused(403, "AccessDenied", "Invalid according to Policy: Policy expired.")
    values = {**upload.fields, "bucket": upload.bucket}
    covered = set()
    length_range: tuple[int, int] | None = None
    for condition in policy.get("conditions", []):
        operator, name, expected = _condition(condition)
        if operator == "content-length-range":
            length_range = (int(name), int(expected))
            continue
        covered.add(name)
        actual = values.get(name)
        if actual is None or not (actual == expected if operator == "eq" else actual.startswith(expected)):
            raise PostRefused(
                403, "AccessDenied", f"Invalid according to Policy: Policy Condition failed: {json.dumps(condition)}"
            )
    extra = sorted(
        name for name in upload.fields if name not in covered | UNCONDITIONED and not name.startswith("x-ignore-")
    )
    if extra:
        raise PostRefused(403, "AccessDenied", f"Invalid according to Policy: Extra input fields: {', '.join(extra)}")
    if length_range is not None:
        smallest, largest = length_range
        if len(upload.file) > largest:
            raise PostRefused(400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size")
        if len(upload.file) < smallest:
            raise PostRefused(400, "EntityTooSmall", "Your proposed upload is smaller than the minimum allowed size")
    return credential[0]


def _policy(encoded: str) -> dict[str, Any]:
    try:
        policy = json.loads(base64.b64decode(encoded, validate=True))
    except (binascii.Error, ValueError) as error:
        raise PostRefused(400, "InvalidPolicyDocument", "Invalid Policy: Invalid JSON.") from error
    if not isinstance(policy, dict) or not isinstance(policy.get("conditions", []), list):
        raise PostRefused(400, "InvalidPolicyDocument", "Invalid Policy: Invalid JSON.")
    return policy


def _expiration(policy: Mapping[str, Any]) -> datetime:
    try:
        return datetime.strptime(str(policy["expiration"]), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except (KeyError, ValueError) as error:
        raise PostRefused(400, "InvalidPolicyDocument", "Invalid Policy: Invalid 'expiration' value.") from error


def _condition(condition: Any) -> tuple[str, str, str]:
    """(operator, field name, expected value); content-length-range gives (operator, min, max)."""
    if isinstance(condition, dict) and len(condition) == 1:
        ((name, value),) = condition.items()
        return "eq", str(name).lower(), str(value)
    if isinstance(condition, list) and len(condition) == 3:
        operator = str(condition[0]).lower()
        if operator == "content-length-range":
            return operator, str(int(condition[1])), str(int(condition[2]))
        if operator in ("eq", "starts-with") and str(condition[1]).startswith("$"):
            return operator, str(condition[1])[1:].lower(), str(condition[2])
    raise PostRefused(400, "InvalidPolicyDocument", f"Invalid Policy: Invalid Condition: {json.dumps(condition)}")
