"""The stack's one AWS endpoint: every request is signed by a function's own key (or the operator's) and authorized
against that function's template policy before it reaches moto, which checks neither (and answers nobody else:
moto_server.py). An unsigned request, an unknown key or a wrong signature gets the service's own refusal; only what
AWS serves to anyone is served unsigned (a user pool's signing keys, browsers' preflights, presigned URLs and forms).

A refused request gets the error AWS gives (AccessDeniedException for the JSON services, AccessDenied for S3,
SignatureDoesNotMatch for a bad signature), naming the function, the action and the resource; refusals are also
logged, so a missing statement in template.yaml shows up in the stack's output. A browser upload (a form POST
with a signed policy) is checked as S3 checks it (s3_post.py), then stored as the PUT moto understands.
Browsers' preflights and the CORS headers of S3's answers follow the bucket's CORS rules (s3_cors.py).

Every call forwarded to moto is counted by the function that signed it and the service's operation (`calls`), as
AWS would bill it: `make bench` and the tests read how many calls a request makes.

With fault injection on (local/faults.py), a share of the functions' S3 and DynamoDB calls that IAM allows are
answered with the throttling and server errors those services return, before moto applies them.
"""

from __future__ import annotations

import http.client
import json
import logging
import re
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import quote, unquote, urlencode, urlsplit
from xml.sax.saxutils import escape, unescape

import boto3
from botocore.exceptions import ClientError

from local.aws import s3_cors, s3_post
from local.aws.iam import Decision, IamUsage, Policies, Policy
from local.aws.moto_server import with_headers
from local.aws.s3_post import is_form_upload
from local.aws.sigv4 import ALGORITHM, SignatureError, SignedRequest, read_signature, verify
from local.faults import Faults
from local.loopback import LoopbackServer
from local.template import ACCOUNT_ID, REGION

log = logging.getLogger("local")

# moto's answer to (method, path and query, headers, body): its status, headers and body.
Answer = Callable[[str, str, list[tuple[str, str]], bytes], tuple[int, list[tuple[str, str]], bytes]]

# JSON-protocol services and the X-Amz-Target prefix that names them.
JSON_TARGETS = {
    "DynamoDB_20120810": "dynamodb",
    "AmazonSQS": "sqs",
    "secretsmanager": "secretsmanager",
    "AWSCognitoIdentityProviderService": "cognito-idp",
}
# Cognito's user-facing operations are authorized by the user's own token, not by IAM.
COGNITO_WITHOUT_IAM = {
    "SignUp", "ConfirmSignUp", "InitiateAuth", "RespondToAuthChallenge", "GetUser", "GlobalSignOut", "RevokeToken",
    "ChangePassword", "ForgotPassword", "ConfirmForgotPassword", "ResendConfirmationCode", "DeleteUser",
    "UpdateUserAttributes", "VerifyUserAttribute", "GetUserAttributeVerificationCode",
}  # fmt: skip
DYNAMODB_TRANSACT = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
}
LIST_PARAMETERS = {"list-type", "prefix", "delimiter", "max-keys", "continuation-token", "start-after", "encoding-type"}
VERSION_LIST_PARAMETERS = {"versions", "key-marker", "version-id-marker"}
# Whatever the SDKs send: the proxy checks and forwards every method.
HTTP_METHODS = ("GET", "PUT", "POST", "DELETE", "HEAD", "PATCH", "OPTIONS")
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-connection", "expect"}
# How each service fails when it cannot take a call (status, error code, message), as the SDKs see it.
SERVICE_FAILURES = {
    "dynamodb": {
        "ProvisionedThroughputExceededException": (
            400,
            "The level of configured provisioned throughput for the table was exceeded.",
        ),
        "ThrottlingException": (400, "Throughput exceeds the current capacity of your table or index."),
        "InternalServerError": (500, "Internal server error"),
        "ServiceUnavailable": (503, "The service is currently unavailable or busy."),
    },
    "s3": {
        "SlowDown": (503, "Please reduce your request rate."),
        "InternalError": (500, "We encountered an internal error. Please try again."),
        "ServiceUnavailable": (503, "Service is unable to handle request."),
    },
}


# How each service refuses a request that is unsigned, signed with a key it does not know, or signed wrongly: (status,
# code, message). S3 answers 403s; DynamoDB, Secrets Manager and Cognito (the "coral" JSON services) answer 400s with
# codes of their own; SQS answers with AWS's common errors.
_SIGNATURE = (
    "The request signature we calculated does not match the signature you provided. Check your key and signing method."
)
_CORAL = {
    "missing": (400, "MissingAuthenticationTokenException", "Request is missing Authentication Token"),
    "unknown": (400, "UnrecognizedClientException", "The security token included in the request is invalid."),
    "signature": (400, "InvalidSignatureException", _SIGNATURE),
}
AUTHENTICATION_ERRORS = {
    "s3": {
        "missing": (403, "AccessDenied", "Access Denied"),
        "unknown": (403, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records."),
        "signature": (403, "SignatureDoesNotMatch", _SIGNATURE),
    },
    "sqs": {
        "missing": (403, "MissingAuthenticationToken", "Request is missing Authentication Token"),
        "unknown": (403, "InvalidClientTokenId", "The security token included in the request is invalid."),
        "signature": (403, "SignatureDoesNotMatch", _SIGNATURE),
    },
    "dynamodb": _CORAL,
    "secretsmanager": _CORAL,
    "cognito-idp": _CORAL,
    "execute-api": {
        "missing": (403, "MissingAuthenticationToken", "Missing Authentication Token"),
        "unknown": (403, "UnrecognizedClientException", "The security token included in the request is invalid."),
        "signature": (403, "SignatureDoesNotMatch", _SIGNATURE),
    },
}
# Cognito publishes each pool's signing keys at a public URL (pool ids hold an underscore, bucket names cannot).
COGNITO_KEYS = re.compile(r"^/[a-z]{2}(-[a-z]+)+-\d_[A-Za-z0-9]+/\.well-known/jwks\.json$")

# A response: status, headers, body.
Refusal = tuple[int, dict[str, str], bytes]


class NotUnderstood(Exception):
    """A request the proxy cannot map to an IAM action: refused, so nothing passes unchecked."""


@dataclass(frozen=True)
class Access:
    action: str
    resource: str


def _arn(service: str, resource: str) -> str:
    return f"arn:aws:{service}:{REGION}:{ACCOUNT_ID}:{resource}"


class AccessMap:
    """What IAM action on which resource a request to moto is; a few lookups need moto itself (secret ARNs)."""

    def __init__(self, secret_arn: Callable[[str], str]) -> None:
        self.secret_arn = secret_arn

    def json_request(self, service: str, operation: str, body: dict[str, Any]) -> list[Access]:
        if service == "dynamodb":
            return self._dynamodb(operation, body)
        if service == "sqs":
            name = str(body.get("QueueName") or str(body.get("QueueUrl", "")).rstrip("/").rsplit("/", 1)[-1])
            # SQS has no IAM action for a batch: SendMessageBatch needs sqs:SendMessage, and so on.
            return [Access(f"sqs:{operation.removesuffix('Batch')}", _arn("sqs", name))]
        if service == "secretsmanager":
            secret = str(body.get("SecretId") or body.get("Name") or "")
            resource = secret if secret.startswith("arn:") else self.secret_arn(secret)
            return [Access(f"secretsmanager:{operation}", resource)]
        if service == "cognito-idp":
            if operation in COGNITO_WITHOUT_IAM:
                return []
            return [Access(f"cognito-idp:{operation}", _arn("cognito-idp", f"userpool/{body.get('UserPoolId', '')}"))]
        raise NotUnderstood(f"{service}:{operation}")

    @staticmethod
    def _table(body: dict[str, Any]) -> str:
        resource = f"table/{body.get('TableName', '')}"
        if body.get("IndexName"):
            resource += f"/index/{body['IndexName']}"
        return _arn("dynamodb", resource)

    def _dynamodb(self, operation: str, body: dict[str, Any]) -> list[Access]:
        # A transaction is allowed when each of its parts is; there is no IAM action for the transaction itself.
        if operation == "TransactWriteItems":
            return [
                Access(f"dynamodb:{DYNAMODB_TRANSACT[kind]}", self._table(part))
                for item in body.get("TransactItems", [])
                for kind, part in item.items()
            ]
        if operation == "TransactGetItems":
            return [Access("dynamodb:GetItem", self._table(item["Get"])) for item in body.get("TransactItems", [])]
        if operation in ("BatchGetItem", "BatchWriteItem"):
            return [
                Access(f"dynamodb:{operation}", self._table({"TableName": t})) for t in body.get("RequestItems", {})
            ]
        return [Access(f"dynamodb:{operation}", self._table(body))]

    @staticmethod
    def s3_request(request: SignedRequest) -> list[Access]:
        method, query, body = request.method, dict(request.query()), request.body
        bucket, _, key = unquote(request.raw_path).lstrip("/").partition("/")
        if not bucket:
            if method == "GET":
                return [Access("s3:ListAllMyBuckets", "*")]
            raise NotUnderstood(f"S3 {method} /")
        if not key:
            if method in ("GET", "HEAD") and not set(query) - LIST_PARAMETERS:
                return [Access("s3:ListBucket", f"arn:aws:s3:::{bucket}")]
            if method == "GET" and "versions" in query and not set(query) - LIST_PARAMETERS - VERSION_LIST_PARAMETERS:
                return [Access("s3:ListBucketVersions", f"arn:aws:s3:::{bucket}")]
            if method == "POST" and "delete" in query:
                # A version's deletion (or a delete marker's) is DeleteObjectVersion; a key's alone, DeleteObject.
                objects = re.findall(r"<Object>(.*?)</Object>", body.decode(), re.DOTALL)
                return [
                    Access(
                        "s3:DeleteObjectVersion" if "<VersionId>" in part else "s3:DeleteObject",
                        f"arn:aws:s3:::{bucket}/{unescape(re.findall(r'<Key>(.*?)</Key>', part)[0])}",
                    )
                    for part in objects
                ]
            raise NotUnderstood(f"S3 {method} /{bucket}?{'&'.join(query)}")
        resource = f"arn:aws:s3:::{bucket}/{key}"
        if "versionId" in query and method in ("GET", "HEAD", "DELETE"):
            return [Access("s3:DeleteObjectVersion" if method == "DELETE" else "s3:GetObjectVersion", resource)]
        if "tagging" in query:
            action = {"GET": "s3:GetObjectTagging", "PUT": "s3:PutObjectTagging", "DELETE": "s3:DeleteObjectTagging"}
            return [Access(action[method], resource)]
        actions = {
            "GET": "s3:GetObject",
            "HEAD": "s3:GetObject",
            "PUT": "s3:PutObject",
            "POST": "s3:PutObject",  # multipart create/complete
            "DELETE": "s3:AbortMultipartUpload" if "uploadId" in query else "s3:DeleteObject",
        }
        if method not in actions:
            raise NotUnderstood(f"S3 {method} {request.raw_path}")
        source = _copy_source(request)
        if method == "PUT" and source is not None:
            # CopyObject reads its source and writes its destination; tags it sets are a PutObjectTagging.
            accesses = [
                Access("s3:GetObject", f"arn:aws:s3:::{source[0]}/{source[1]}"),
                Access("s3:PutObject", resource),
            ]
            if request.header("x-amz-tagging"):
                accesses.append(Access("s3:PutObjectTagging", resource))
            return accesses
        if request.header("x-amz-tagging") and (method == "PUT" or "uploads" in query):
            # Tags set with PutObject (or a multipart upload's start) need PutObjectTagging as well, as in AWS.
            return [Access("s3:PutObject", resource), Access("s3:PutObjectTagging", resource)]
        return [Access(actions[method], resource)]


class AwsProxy(LoopbackServer):
    """A threaded HTTP server in front of moto that only lets through what IAM would."""

    def __init__(
        self,
        upstream: str,
        policies: Policies,
        access: AccessMap,
        host: str = "127.0.0.1",
        *,
        faults: Mapping[str, Faults] | None = None,
        usage: IamUsage | None = None,
        upstream_headers: Mapping[str, str] | None = None,
        in_process: Answer | None = None,
    ) -> None:
        """`usage`: told of every call allowed, and which statement allowed it. `upstream_headers`: what every request
        to moto carries (the key of moto's door, moto_server.py). `in_process`: moto's answer computed in this
        process (GuardedMotoServer.answer), instead of a request to its port for each call."""
        self.upstream = urlsplit(upstream)
        self.in_process = in_process
        self.upstream_headers = dict(upstream_headers or {})
        # moto itself, unchecked: where the proxy reads buckets' CORS rules.
        self._moto_s3 = with_headers(
            boto3.client(
                "s3",
                endpoint_url=upstream,
                region_name=REGION,
                aws_access_key_id="local",
                aws_secret_access_key="local",
            ),
            self.upstream_headers,
        )
        self.policies = policies
        self.access = access
        self.usage = usage
        # By service (s3, dynamodb): the share of the functions' calls that fail.
        self.faults = dict(faults or {})
        # The calls let through to moto, by function and operation.
        self.calls = CallCounts()
        # Refusals are logged (`handle`); the rest is moto's business.
        super().__init__(self.handle, HTTP_METHODS, keep_alive=True, host=host, name="aws-proxy")

    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        body = _read_body(handler)
        path, _, raw_query = handler.path.partition("?")
        request = SignedRequest(handler.command, path, raw_query, list(handler.headers.items()), body)
        s3 = _service(request) == "s3"
        if s3 and request.method == "OPTIONS":
            self._reply(handler, *self.preflight(request))
            return
        if request.method == "GET" and COGNITO_KEYS.match(path):
            self._reply(handler, *self._forward(SignedRequest("GET", path, "", [], b"")))
            return
        if s3 and is_form_upload(request):
            status, headers, content = self.form_upload(request)
        else:
            refusal = self.check(request) or self.injected_failure(request) or self.copy_precondition(request)
            if refusal is None:
                self.calls.count(self.caller(request), operation_name(request))
            status, headers, content = refusal or self._forward(request)
        if s3:
            headers = {k: v for k, v in headers.items() if not k.lower().startswith("access-control-")}
            # S3 adds CORS headers only to a request with an Origin (a browser's): the functions' calls, which have
            # none, do not pay a read of the bucket's rules.
            if origin := request.header("origin"):
                headers |= s3_cors.response_headers(self.cors_rules(request), origin, request.method)
        self._reply(handler, status, headers, content, head=request.method == "HEAD")

    def caller(self, request: SignedRequest) -> str:
        """The function whose key signed `request` (checked by `check`: a call without one went unsigned)."""
        try:
            signature = read_signature(request)
        except SignatureError:
            signature = None
        policy = self.policies.by_access_key(signature.access_key_id) if signature else None
        return policy.function if policy else "(unsigned)"

    def preflight(self, request: SignedRequest) -> Refusal:
        """A browser's CORS preflight, answered from the bucket's rules as S3 answers it (unsigned)."""
        try:
            headers = s3_cors.preflight(self.cors_rules(request), {k.lower(): v for k, v in request.headers})
        except s3_cors.PreflightRefused as refused:
            return _error("s3", refused.status, refused.code, refused.message)
        return 200, headers, b""

    def cors_rules(self, request: SignedRequest) -> list[s3_cors.CorsRule] | None:
        """The CORS rules of the bucket `request` is for; None when it has none (or does not exist)."""
        bucket = unquote(request.raw_path).lstrip("/").partition("/")[0]
        if not bucket:
            return None
        try:
            rules = self._moto_s3.get_bucket_cors(Bucket=bucket)["CORSRules"]
        except ClientError:
            return None  # NoSuchCORSConfiguration, NoSuchBucket
        return [s3_cors.CorsRule.from_s3(rule) for rule in rules]

    def form_upload(self, request: SignedRequest) -> Refusal:
        """A browser upload: stored (as the PUT moto understands) only if its policy, signature and signer's IAM
        statements allow it, as S3 does."""

        def secret_of(access_key_id: str) -> str | None:
            policy = self.policies.by_access_key(access_key_id)
            return policy.secret_access_key if policy else None

        try:
            upload = s3_post.parse(request)
            signer = self.policies.by_access_key(s3_post.check(upload, secret_of))
        except s3_post.PostRefused as refused:
            return _error("s3", refused.status, refused.code, refused.message)
        assert signer is not None, "check() verified the signature with this key's secret"
        resource = f"arn:aws:s3:::{upload.bucket}/{upload.key}"
        tagging = upload.fields.get("tagging")
        for action in ("s3:PutObject", *(["s3:PutObjectTagging"] if tagging else [])):
            decision = self._decide(signer, action, resource)
            if not decision.allowed:
                return self._refuse("s3", "AccessDenied", decision.message)
        headers = [
            ("Content-Type", upload.fields.get("content-type", "binary/octet-stream")),
            # Checked above; moto only needs to see a signed request (an unsigned write over an object is anonymous).
            ("Authorization", f"{ALGORITHM} Credential={upload.fields['x-amz-credential']}, Signature=checked"),
        ]
        if tagging:
            tags = re.findall(r"<Tag><Key>(.*?)</Key><Value>(.*?)</Value></Tag>", tagging)
            headers.append(("x-amz-tagging", urlencode([(unescape(k), unescape(v)) for k, v in tags])))
        put = SignedRequest("PUT", f"/{upload.bucket}/{quote(upload.key)}", "", headers, upload.file)
        # The browser's call, on the signer's key: S3 bills it as a POST Object request.
        self.calls.count(signer.function, "s3:PostObject")
        status, stored, content = self._forward(put)
        if status != 200:
            return status, stored, content
        # S3 answers a form upload with 204 unless the form asks for 200 or 201.
        answer = {"200": 200, "201": 201}.get(upload.fields.get("success_action_status", ""), 204)
        kept = {"ETag": stored.get("ETag", ""), "Location": f"/{upload.bucket}/{quote(upload.key)}"}
        return answer, kept, b""

    def injected_failure(self, request: SignedRequest) -> Refusal | None:
        """A fault for a function's call (signed in its Authorization header; not a client's presigned upload),
        when fault injection picks this one."""
        service = _service(request)
        faults = self.faults.get(service)
        if faults is None or not request.header("authorization"):
            return None
        operation = (request.header("x-amz-target") or "").partition(".")[2] or f"{request.method} {request.raw_path}"
        code = faults.draw(list(SERVICE_FAILURES[service]), operation)
        if code is None:
            return None
        status, message = SERVICE_FAILURES[service][code]
        return _error(service, status, code, message)

    def copy_precondition(self, request: SignedRequest) -> Refusal | None:
        """S3's 412 for a CopyObject whose source no longer has the ETag it must match: moto ignores
        x-amz-copy-source-if-match and copies whatever is there."""
        source, expected = _copy_source(request), request.header("x-amz-copy-source-if-match")
        if request.method != "PUT" or source is None or expected is None:
            return None
        authorization = [(key, value) for key, value in request.headers if key.lower() == "authorization"]
        head = SignedRequest("HEAD", f"/{source[0]}/{quote(source[1])}", "", authorization, b"")
        status, headers, _ = self._forward(head)
        etag = next((value for key, value in headers.items() if key.lower() == "etag"), "")
        if status != 200 or etag.strip('"') == expected.strip('"'):
            return None  # a missing source is moto's to answer (NoSuchKey), as S3 does
        return _error("s3", 412, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold")

    def check(self, request: SignedRequest) -> Refusal | None:
        """None when the request may pass to moto; otherwise the error response AWS would give."""
        target = request.header("x-amz-target") or ""
        service = _service(request)
        try:
            if service == "s3":
                accesses = self.access.s3_request(request)
            else:
                accesses = self.access.json_request(service, target.split(".", 1)[1], json.loads(request.body or b"{}"))
        except (NotUnderstood, ValueError, KeyError) as error:
            return self._refuse(service, "AccessDenied", f"the local IAM check cannot authorize {error}")
        if not accesses:
            return None  # an operation AWS authorizes without IAM (Cognito's user-facing calls)
        return self.authorize(request, service, accesses)

    def authorize(self, request: SignedRequest, service: str, accesses: list[Access]) -> Refusal | None:
        """None when `request` is validly signed by a function whose policy allows every access."""
        refusals = AUTHENTICATION_ERRORS[service]
        try:
            signature = read_signature(request)
            if signature is None:
                return self._unauthenticated(service, *refusals["missing"])
            policy = self.policies.by_access_key(signature.access_key_id)
            if policy is None:
                return self._unauthenticated(service, *refusals["unknown"])
            verify(request, signature, policy.secret_access_key)
        except SignatureError as error:
            if error.code == "SignatureDoesNotMatch":
                return self._unauthenticated(service, *refusals["signature"])
            return _error(service, 403, error.code, error.message)
        for access in accesses:
            decision = self._decide(policy, access.action, access.resource)
            if not decision.allowed:
                return self._refuse(
                    service, "AccessDenied" if service == "s3" else "AccessDeniedException", decision.message
                )
        return None

    def _unauthenticated(self, service: str, status: int, code: str, message: str) -> Refusal:
        log.warning("AWS: %s refused a request: %s", service, code)
        return _error(service, status, code, message)

    def _decide(self, policy: Policy, action: str, resource: str) -> Decision:
        decision = policy.decide(action, resource)
        if decision.allowed and self.usage is not None and policy is not self.policies.operator:
            self.usage.record(policy.function, action, resource, decision)
        return decision

    def _refuse(self, service: str, code: str, message: str) -> Refusal:
        log.warning("IAM: %s", message)
        return _error(service, 403 if service in ("s3", "execute-api") else 400, code, message)

    def _forward(self, request: SignedRequest) -> Refusal:
        """moto's response to `request`."""
        url = request.raw_path + (f"?{request.raw_query}" if request.raw_query else "")
        headers = [(key, value) for key, value in request.headers if key.lower() not in HOP_BY_HOP]
        ask = self.in_process or self._over_http
        status, answered, content = ask(request.method, url, headers, request.body)
        kept = {key: value for key, value in answered if key.lower() not in HOP_BY_HOP}
        kept["Content-Length"] = str(len(content))
        return status, kept, content

    def _over_http(
        self, method: str, url: str, headers: list[tuple[str, str]], body: bytes
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        connection = http.client.HTTPConnection(self.upstream.netloc, timeout=120)
        try:
            connection.request(method, url, body=body or None, headers=dict(headers) | self.upstream_headers)
            response = connection.getresponse()
            return response.status, response.getheaders(), response.read()
        finally:
            connection.close()

    @staticmethod
    def _reply(
        handler: BaseHTTPRequestHandler, status: int, headers: dict[str, str], content: bytes, *, head: bool = False
    ) -> None:
        handler.send_response(status)
        for key, value in headers.items():
            if key.lower() != "content-length":
                handler.send_header(key, value)
        handler.send_header("Content-Length", headers.get("Content-Length", str(len(content))))
        handler.end_headers()
        if not head:
            handler.wfile.write(content)


class CallCounts:
    """How many calls of each operation (`service:Operation`) each function made, since the start."""

    def __init__(self) -> None:
        self._counts: dict[str, Counter[str]] = {}
        self._lock = threading.Lock()

    def count(self, function: str, operation: str) -> None:
        with self._lock:
            self._counts.setdefault(function, Counter())[operation] += 1

    def snapshot(self) -> dict[str, dict[str, int]]:
        with self._lock:
            return {function: dict(counts) for function, counts in self._counts.items()}


# S3's operations by method and the subresource a request names (the first that matches), for a request on an object.
S3_OBJECT_OPERATIONS = {
    "GET": (("tagging", "GetObjectTagging"), ("uploadId", "ListParts"), ("", "GetObject")),
    "HEAD": (("", "HeadObject"),),
    "PUT": (("tagging", "PutObjectTagging"), ("partNumber", "UploadPart"), ("", "PutObject")),
    "POST": (("uploads", "CreateMultipartUpload"), ("uploadId", "CompleteMultipartUpload"), ("", "PostObject")),
    "DELETE": (("tagging", "DeleteObjectTagging"), ("uploadId", "AbortMultipartUpload"), ("", "DeleteObject")),
}


def operation_name(request: SignedRequest) -> str:
    """The API operation a request is (`dynamodb:GetItem`, `s3:CopyObject`): what AWS bills one request for."""
    target = request.header("x-amz-target")
    if target and target.split(".")[0] in JSON_TARGETS:
        return f"{JSON_TARGETS[target.split('.')[0]]}:{target.partition('.')[2]}"
    method, query = request.method, {name for name, _ in request.query()}
    bucket, _, key = unquote(request.raw_path).lstrip("/").partition("/")
    if not bucket:
        return "s3:ListBuckets"
    if not key:
        if method == "POST" and "delete" in query:
            return "s3:DeleteObjects"
        if method == "GET" and query <= LIST_PARAMETERS:
            return "s3:ListObjectsV2" if "list-type" in query else "s3:ListObjects"
        return f"s3:{method} bucket?{'&'.join(sorted(query))}"
    if method == "PUT" and _copy_source(request) is not None:
        return "s3:UploadPartCopy" if "partNumber" in query else "s3:CopyObject"
    for subresource, operation in S3_OBJECT_OPERATIONS.get(method, ()):
        if not subresource or subresource in query:
            return f"s3:{operation}"
    return f"s3:{method}"


def _copy_source(request: SignedRequest) -> tuple[str, str] | None:
    """The bucket and key a CopyObject (or UploadPartCopy) request copies from."""
    header = request.header("x-amz-copy-source")
    if header is None:
        return None
    bucket, _, key = unquote(header.partition("?")[0]).lstrip("/").partition("/")
    return bucket, key


def _service(request: SignedRequest) -> str:
    """The AWS service a request is for: a JSON service named by its X-Amz-Target, else S3."""
    return JSON_TARGETS.get((request.header("x-amz-target") or "").split(".")[0], "s3")


def _read_body(handler: BaseHTTPRequestHandler) -> bytes:
    if "chunked" in (handler.headers.get("transfer-encoding") or "").lower():
        chunks = []
        while size := int(handler.rfile.readline().split(b";")[0].strip() or b"0", 16):
            chunks.append(handler.rfile.read(size))
            handler.rfile.readline()
        while handler.rfile.readline().strip():
            pass  # trailers
        return b"".join(chunks)
    length = int(handler.headers.get("content-length") or 0)
    return handler.rfile.read(length) if length else b""


def _error(service: str, status: int, code: str, message: str) -> Refusal:
    if service == "s3":  # S3 answers in XML
        request_id = uuid.uuid4().hex[:16].upper()
        xml = (
            f"<?xml version='1.0' encoding='UTF-8'?>\n<Error><Code>{code}</Code><Message>{escape(message)}</Message>"
            f"<RequestId>{request_id}</RequestId></Error>"
        )
        return status, {"Content-Type": "application/xml"}, xml.encode()
    body = json.dumps({"__type": code, "message": message, "Message": message}).encode()
    return status, {"Content-Type": "application/x-amz-json-1.0", "x-amzn-ErrorType": code}, body
