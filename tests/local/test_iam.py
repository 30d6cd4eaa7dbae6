"""The local AWS proxy: each function's calls are signed with its own key and allowed only by its template policy."""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import boto3
import httpx
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from moto.server import ThreadedMotoServer
from parley.adapters.s3 import S3BlobStore, S3ExportFiles
from parley.errors import ObjectChanged

from local.aws import s3_post
from local.aws.iam import Policies, function_policies
from local.aws.moto_server import GuardedMotoServer, with_headers
from local.aws.proxy import AccessMap, AwsProxy
from local.aws.sigv4 import SignatureError, SignedRequest, read_signature, verify
from local.stack.provision import Provisioner
from local.stack.stack import ROOT
from local.template import REGION, load_template, parameter_values

CONSOLE = "https://console.example.com"


class Stack:
    def __init__(self, moto_url: str, proxy: AwsProxy, provisioner: Provisioner, policies: Policies) -> None:
        self.moto_url = moto_url
        self.proxy = proxy
        self.resources = provisioner.created
        self.credentials = policies.credentials()

    def client(self, function: str, service: str, **options: Any) -> Any:
        """A boto3 client signed with `function`'s own key, through the proxy."""
        key, secret = self.credentials[function]
        return boto3.client(  # type: ignore[call-overload]
            service,
            endpoint_url=self.proxy.url,
            region_name=REGION,
            aws_access_key_id=key,
            aws_secret_access_key=secret,
            **options,
        )

    def table(self) -> str:
        return str(self.resources["Table"]["Ref"])

    def bucket(self) -> str:
        return str(self.resources["DocumentsBucket"]["Ref"])


def _admin(url: str, service: str) -> Any:
    return boto3.client(  # type: ignore[call-overload]
        service, endpoint_url=url, region_name=REGION, aws_access_key_id="admin", aws_secret_access_key="admin"
    )


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    host, port = moto.get_host_and_port()
    url = f"http://{host}:{port}"
    template = load_template(ROOT / "template.yaml")
    # The documents bucket's CORS rules allow the console's origin alone, as a prod deployment's do.
    parameters = parameter_values(template, {"CorsAllowedOrigins": CONSOLE})
    provisioner = Provisioner(template, parameters, lambda service: _admin(url, service))
    provisioner.provision_all()
    _admin(url, "secretsmanager").create_secret(Name="parley/openai-api-key", SecretString="sk-local")
    policies = Policies(function_policies(template, provisioner.resolver).values())
    secrets = _admin(url, "secretsmanager")
    proxy = AwsProxy(url, policies, AccessMap(lambda name: secrets.describe_secret(SecretId=name)["ARN"])).start()
    try:
        yield Stack(url, proxy, provisioner, policies)
    finally:
        proxy.stop()
        moto.stop()


def _denied(error: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    return error.value.response["Error"]["Code"], str(error.value)


def test_a_function_may_do_what_its_statements_allow(stack: Stack) -> None:
    # Given the chatbots function's credentials
    dynamodb = stack.client("ChatbotsFunction", "dynamodb")
    # When it writes and reads an item, Then the table answers
    dynamodb.put_item(TableName=stack.table(), Item={"PK": {"S": "TENANT#t"}, "SK": {"S": "CHATBOT#c"}})
    item = dynamodb.get_item(TableName=stack.table(), Key={"PK": {"S": "TENANT#t"}, "SK": {"S": "CHATBOT#c"}})
    assert item["Item"]["SK"]["S"] == "CHATBOT#c"


def test_an_action_without_a_statement_is_denied_naming_function_action_and_resource(stack: Stack) -> None:
    dynamodb = stack.client("ChatbotsFunction", "dynamodb")
    with pytest.raises(ClientError) as error:
        dynamodb.delete_item(TableName=stack.table(), Key={"PK": {"S": "TENANT#t"}, "SK": {"S": "CHATBOT#c"}})
    code, message = _denied(error)
    assert code == "AccessDeniedException"
    assert "ChatbotsFunction" in message
    assert "dynamodb:DeleteItem" in message
    assert f"table/{stack.table()}" in message


def test_an_sqs_batch_call_is_authorized_by_its_single_message_action_as_in_aws(stack: Stack) -> None:
    # Given the ingest function, allowed sqs:GetQueueUrl and sqs:SendMessage on its own queue (to send back what it
    # had no time for)
    sqs = stack.client("IngestFunction", "sqs")
    queue = sqs.get_queue_url(QueueName=str(stack.resources["IngestQueue"]["QueueName"]))["QueueUrl"]
    entries = [{"Id": "1", "MessageBody": "{}"}, {"Id": "2", "MessageBody": "{}"}]
    # When it sends a batch, Then SQS takes it: there is no sqs:SendMessageBatch action to grant
    sent = sqs.send_message_batch(QueueUrl=queue, Entries=entries)
    assert [entry["Id"] for entry in sent["Successful"]] == ["1", "2"]
    # and a function without sqs:SendMessage on that queue is refused, named by the single message's action
    with pytest.raises(ClientError) as error:
        stack.client("ChatbotsFunction", "sqs").send_message_batch(QueueUrl=queue, Entries=entries)
    assert "perform: sqs:SendMessage on resource" in _denied(error)[1]


def test_a_query_on_an_index_needs_the_index_in_the_resource(stack: Stack) -> None:
    # The chatbots function is granted the table, not its GSI1.
    dynamodb = stack.client("ChatbotsFunction", "dynamodb")
    with pytest.raises(ClientError) as error:
        dynamodb.query(
            TableName=stack.table(),
            IndexName="GSI1",
            KeyConditionExpression="GSI1PK = :k",
            ExpressionAttributeValues={":k": {"S": "x"}},
        )
    assert "index/GSI1" in _denied(error)[1]
    # The query function is granted it.
    stack.client("QueryFunction", "dynamodb").query(
        TableName=stack.table(),
        IndexName="GSI1",
        KeyConditionExpression="GSI1PK = :k",
        ExpressionAttributeValues={":k": {"S": "x"}},
    )


def test_each_part_of_a_transaction_is_authorized(stack: Stack) -> None:
    # The dead-letter function may update but not put; a transaction holding a put is refused whole.
    dynamodb = stack.client("IngestDeadLetterFunction", "dynamodb")
    key = {"PK": {"S": "TENANT#t"}, "SK": {"S": "DOC#d"}}
    with pytest.raises(ClientError) as error:
        dynamodb.transact_write_items(
            TransactItems=[
                {"Update": {"TableName": stack.table(), "Key": key, "UpdateExpression": "SET a = :a",
                            "ExpressionAttributeValues": {":a": {"S": "1"}}}},
                {"Put": {"TableName": stack.table(), "Item": {**key, "SK": {"S": "DOC#e"}}}},
            ]
        )  # fmt: skip
    assert "dynamodb:PutItem" in _denied(error)[1]


def test_secrets_are_readable_only_by_functions_granted_them(stack: Stack) -> None:
    assert (
        stack.client("QueryFunction", "secretsmanager").get_secret_value(SecretId="parley/openai-api-key")[
            "SecretString"
        ]
        == "sk-local"
    )
    with pytest.raises(ClientError) as error:
        stack.client("IngestDeadLetterFunction", "secretsmanager").get_secret_value(SecretId="parley/openai-api-key")
    code, message = _denied(error)
    assert code == "AccessDeniedException"
    assert "secretsmanager:GetSecretValue" in message
    assert "IngestDeadLetterFunction" in message


def test_the_dead_letter_function_reads_the_index_key_it_deletes_vectors_with(stack: Stack) -> None:
    # (and not the OpenAI key, above: it embeds nothing)
    _admin(stack.moto_url, "secretsmanager").create_secret(Name="parley/pinecone-api-key", SecretString="pc-local")

    secret = stack.client("IngestDeadLetterFunction", "secretsmanager").get_secret_value(
        SecretId="parley/pinecone-api-key"
    )

    assert secret["SecretString"] == "pc-local"


def test_cognito_user_calls_need_no_iam_but_admin_calls_do(stack: Stack) -> None:
    pool = stack.resources["UserPool"]["Ref"]
    client_id = stack.resources["UserPoolClient"]["Ref"]
    cognito = stack.client("ChatbotsFunction", "cognito-idp")
    # Given a user signed up through a function with no Cognito statement at all
    cognito.sign_up(ClientId=client_id, Username="ada@example.com", Password="correct-horse-1")
    # Then an admin call by that function is denied, and by the auth function (granted it) allowed
    with pytest.raises(ClientError) as error:
        cognito.admin_confirm_sign_up(UserPoolId=pool, Username="ada@example.com")
    assert "cognito-idp:AdminConfirmSignUp" in _denied(error)[1]
    stack.client("AuthFunction", "cognito-idp").admin_confirm_sign_up(UserPoolId=pool, Username="ada@example.com")


def _status(error: pytest.ExceptionInfo[ClientError]) -> tuple[int, str]:
    return error.value.response["ResponseMetadata"]["HTTPStatusCode"], error.value.response["Error"]["Code"]


# DynamoDB refuses a bad signature with 400 InvalidSignatureException (S3 with 403 SignatureDoesNotMatch).
@pytest.mark.parametrize(
    ("service", "expected"), [("dynamodb", (400, "InvalidSignatureException")), ("s3", (403, "SignatureDoesNotMatch"))]
)
def test_a_wrong_secret_key_is_refused(stack: Stack, service: str, expected: tuple[int, str]) -> None:
    key, _ = stack.credentials["QueryFunction"]
    client = boto3.client(  # type: ignore[call-overload]
        service,
        endpoint_url=stack.proxy.url,
        region_name=REGION,
        aws_access_key_id=key,
        aws_secret_access_key="not-the-secret",
    )
    read = (
        partial(client.scan, TableName=stack.table())
        if service == "dynamodb"
        else partial(client.get_object, Bucket=stack.bucket(), Key="tenants/t/chatbots/c/documents/d/notes.md")
    )
    with pytest.raises(ClientError) as error:
        read()
    assert _status(error) == expected


@pytest.mark.parametrize(
    ("service", "expected"), [("dynamodb", (400, "UnrecognizedClientException")), ("s3", (403, "InvalidAccessKeyId"))]
)
def test_an_unknown_access_key_is_refused(stack: Stack, service: str, expected: tuple[int, str]) -> None:
    # Any key that is not a function's (or the operator's) reads and writes nothing
    client = boto3.client(  # type: ignore[call-overload]
        service, endpoint_url=stack.proxy.url, region_name=REGION, aws_access_key_id="x", aws_secret_access_key="y"
    )
    write = (
        partial(client.put_item, TableName=stack.table(), Item={"PK": {"S": "TENANT#t"}, "SK": {"S": "X"}})
        if service == "dynamodb"
        else partial(client.put_object, Bucket=stack.bucket(), Key="uploads/t/c/x", Body=b"x")
    )
    with pytest.raises(ClientError) as error:
        write()
    assert _status(error) == expected


def test_an_unsigned_dynamodb_request_is_refused_as_dynamodb_does(stack: Stack) -> None:
    response = httpx.post(
        stack.proxy.url,
        content=json.dumps({"TableName": stack.table()}),
        headers={"x-amz-target": "DynamoDB_20120810.Scan", "content-type": "application/x-amz-json-1.0"},
    )

    assert response.status_code == 400
    assert response.json()["__type"] == "MissingAuthenticationTokenException"


def test_an_unsigned_put_into_the_documents_bucket_is_refused(stack: Stack) -> None:
    key = "uploads/t/c/d/anonymous.md"

    response = httpx.put(f"{stack.proxy.url}/{stack.bucket()}/{key}", content=b"# Anonymous")

    assert response.status_code == 403
    assert "<Code>AccessDenied</Code>" in response.text
    assert _admin(stack.moto_url, "s3").list_objects_v2(Bucket=stack.bucket(), Prefix=key).get("KeyCount", 0) == 0


def test_an_anonymous_form_post_is_refused(stack: Stack) -> None:
    # A browser form with a key and a file, but no policy or signature: S3 takes it only into a public bucket.
    key = "uploads/t/c/d/anonymous-form.md"

    response = httpx.post(
        f"{stack.proxy.url}/{stack.bucket()}", data={"key": key}, files={"file": ("a.md", b"# Anonymous")}
    )

    assert response.status_code == 403
    assert "<Code>AccessDenied</Code>" in response.text
    assert _admin(stack.moto_url, "s3").list_objects_v2(Bucket=stack.bucket(), Prefix=key).get("KeyCount", 0) == 0


def _presigned_put(stack: Stack, key: str, content_type: str, expires: int = 300) -> str:
    s3 = stack.client("UploadFunction", "s3", config=Config(signature_version="s3v4"))
    return str(
        s3.generate_presigned_url(
            "put_object",
            Params={"Bucket": stack.bucket(), "Key": key, "ContentType": content_type},
            ExpiresIn=expires,
        )
    )


def test_a_presigned_put_works_as_signed(stack: Stack) -> None:
    url = _presigned_put(stack, "uploads/t/c/d/a.md", "text/markdown")
    response = httpx.put(url, content=b"# Llamas", headers={"content-type": "text/markdown"})
    assert response.status_code == 200, response.text
    stored = _admin(stack.moto_url, "s3").get_object(Bucket=stack.bucket(), Key="uploads/t/c/d/a.md")
    assert stored["Body"].read() == b"# Llamas"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ("content-type", "SignatureDoesNotMatch"),
        ("key", "SignatureDoesNotMatch"),
        ("signature", "SignatureDoesNotMatch"),
        ("expiry", "SignatureDoesNotMatch"),
        ("no-signature", "AccessDenied"),
    ],
)
def test_a_presigned_put_used_otherwise_than_signed_is_refused(stack: Stack, change: str, expected: str) -> None:
    # Given a URL signed for one key and content type
    url = _presigned_put(stack, "uploads/t/c/d/b.md", "text/markdown")
    headers = {"content-type": "text/markdown"}
    # When it is used with another content type, for another key, with another signature or a longer life, or
    # without its signature
    if change == "content-type":
        headers = {"content-type": "application/pdf"}
    elif change == "key":
        url = url.replace("/b.md?", "/evil.md?")
    elif change == "signature":
        signature = url.rsplit("X-Amz-Signature=", 1)[1]
        url = url.replace(signature, "0" * len(signature))
    elif change == "expiry":
        url = url.replace("X-Amz-Expires=300", "X-Amz-Expires=604800")
    else:
        url = url.split("?")[0]
    response = httpx.put(url, content=b"payload", headers=headers)
    # Then S3 refuses it, as AWS does
    assert response.status_code == 403
    assert f"<Code>{expected}</Code>" in response.text


def test_a_presigned_url_expires() -> None:
    # Given a request presigned at some moment for 60 s
    signed_at = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
    query = (
        "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AK%2F20261129%2Fus-east-1%2Fs3%2Faws4_request"
        "&X-Amz-Date=20261129T120000Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Signature=00"
    )
    request = SignedRequest("PUT", "/bucket/key", query, [("host", "127.0.0.1")], b"")
    signature = read_signature(request)
    assert signature is not None
    # When it is used 61 s later, Then it is refused as expired (before its signature is even looked at)
    with pytest.raises(SignatureError) as error:
        verify(request, signature, "secret", now=lambda: signed_at + timedelta(seconds=61))
    assert error.value.message == "Request has expired"
    # While 59 s later only the (made-up) signature is wrong
    with pytest.raises(SignatureError) as error:
        verify(request, signature, "secret", now=lambda: signed_at + timedelta(seconds=59))
    assert error.value.code == "SignatureDoesNotMatch"


def _preflight(stack: Stack, origin: str, method: str = "POST", headers: str | None = None) -> httpx.Response:
    asked = {"origin": origin, "access-control-request-method": method}
    if headers is not None:
        asked["access-control-request-headers"] = headers
    return httpx.options(f"{stack.proxy.url}/{stack.bucket()}", headers=asked)


def test_a_browser_preflight_for_an_upload_from_the_console_is_allowed_by_the_bucket_cors(stack: Stack) -> None:
    # XMLHttpRequest with upload progress always sends a preflight, even for a form POST.
    response = _preflight(stack, CONSOLE, headers="content-type")

    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == CONSOLE
    assert response.headers["access-control-allow-methods"] == "POST"
    assert response.headers["access-control-allow-headers"] == "content-type"


@pytest.mark.parametrize(
    ("origin", "method", "headers"),
    [
        ("https://evil.example", "POST", None),  # an origin the rules do not name
        (CONSOLE, "PUT", None),  # a method they do not allow (moto answered 200)
        (CONSOLE, "POST", "x-custom"),  # a header they do not allow
    ],
)
def test_a_preflight_the_bucket_cors_does_not_allow_is_refused_as_s3_does(
    stack: Stack, origin: str, method: str, headers: str | None
) -> None:
    response = _preflight(stack, origin, method, headers)

    assert response.status_code == 403
    assert "<Code>AccessForbidden</Code>" in response.text
    assert "access-control-allow-origin" not in response.headers


def test_a_preflight_to_a_bucket_without_cors_rules_is_refused(stack: Stack) -> None:
    # Given a bucket with no CORS configuration (moto answered its preflights 200)
    _admin(stack.moto_url, "s3").create_bucket(Bucket="no-cors")

    response = httpx.options(
        f"{stack.proxy.url}/no-cors", headers={"origin": CONSOLE, "access-control-request-method": "POST"}
    )

    assert response.status_code == 403
    assert "CORS is not enabled for this bucket" in response.text


def _presigned_post(stack: Stack, key: str, size: int, function: str = "UploadFunction") -> dict[str, Any]:
    """A browser upload form as the upload function makes it (parley/adapters/s3.py), signed with `function`'s key."""
    s3 = stack.client(function, "s3", config=Config(signature_version="s3v4"))
    blobs = S3BlobStore(stack.bucket())
    blobs.__dict__["client"] = s3  # the adapter's own code, with this function's credentials
    url, fields = blobs.upload_form(key, "text/markdown", size, 300)
    return {"url": url, "fields": fields}


def _post(form: dict[str, Any], data: bytes, origin: str | None = None, **changes: str) -> httpx.Response:
    fields = {**form["fields"], **changes}
    headers = {"origin": origin} if origin else {}
    return httpx.post(form["url"], data=fields, files={"file": ("a.md", data, "text/markdown")}, headers=headers)


def test_a_browser_upload_from_the_console_can_read_the_answer(stack: Stack) -> None:
    form = _presigned_post(stack, "uploads/t/c/console", 8)

    stored = _post(form, b"# Llamas", origin=CONSOLE)
    refused = _post(form, b"# Llamas and more", origin=CONSOLE)

    assert stored.status_code == 204
    assert stored.headers["access-control-allow-origin"] == CONSOLE
    assert stored.headers["access-control-expose-headers"] == "ETag"
    # S3's refusal is readable too, so the console can show its message
    assert refused.status_code == 400
    assert refused.headers["access-control-allow-origin"] == CONSOLE


def test_a_browser_upload_from_another_origin_gets_no_cors_headers(stack: Stack) -> None:
    # S3 carries the request out, but without the headers the browser withholds the answer from the page.
    form = _presigned_post(stack, "uploads/t/c/other", 8)

    response = _post(form, b"# Llamas", origin="https://evil.example")

    assert response.status_code == 204
    assert not [name for name in response.headers if name.lower().startswith("access-control-")]


def test_a_presigned_post_stores_the_file_as_signed(stack: Stack) -> None:
    form = _presigned_post(stack, "uploads/t/c/d/post.md", 8)

    response = _post(form, b"# Llamas")

    assert response.status_code == 204, response.text
    admin = _admin(stack.moto_url, "s3")
    stored = admin.get_object(Bucket=stack.bucket(), Key="uploads/t/c/d/post.md")
    assert (stored["Body"].read(), stored["ContentType"]) == (b"# Llamas", "text/markdown")
    tags = admin.get_object_tagging(Bucket=stack.bucket(), Key="uploads/t/c/d/post.md")["TagSet"]
    assert tags == [{"Key": "parley-upload", "Value": "unindexed"}]


@pytest.mark.parametrize(
    ("data", "changes", "status", "code"),
    [
        (b"# Llamas and more", {}, 400, "EntityTooLarge"),
        (b"# Llama", {}, 400, "EntityTooSmall"),
        (b"# Llamas", {"key": "uploads/t/c/d/other.md"}, 403, "AccessDenied"),
        (b"# Llamas", {"Content-Type": "text/html"}, 403, "AccessDenied"),
        (b"# Llamas", {"x-amz-meta-extra": "1"}, 403, "AccessDenied"),
        (b"# Llamas", {"policy": "tampered"}, 403, "SignatureDoesNotMatch"),
        (b"# Llamas", {"x-amz-signature": "0" * 64}, 403, "SignatureDoesNotMatch"),
        (
            b"# Llamas",
            {"x-amz-credential": "AKIAUNKNOWN/20261129/us-east-1/s3/aws4_request"},
            403,
            "InvalidAccessKeyId",
        ),
    ],
    ids=[
        "oversized",
        "undersized",
        "another-key",
        "another-type",
        "extra-field",
        "tampered-policy",
        "wrong-signature",
        "unknown-key",
    ],
)
def test_a_presigned_post_used_otherwise_than_signed_is_refused_as_s3_does(
    stack: Stack, data: bytes, changes: dict[str, str], status: int, code: str
) -> None:
    # Given a form for 8 bytes of Markdown at one key
    key = "uploads/t/c/d/refused.md"
    form = _presigned_post(stack, key, 8)
    if changes.get("policy") == "tampered":  # a policy that allows 1 GB, with the original signature
        policy = json.loads(base64.b64decode(form["fields"]["policy"]))
        policy["conditions"] = [c for c in policy["conditions"] if "content-length-range" not in c]
        policy["conditions"].append(["content-length-range", 1, 1_000_000_000])
        changes = {"policy": base64.b64encode(json.dumps(policy).encode()).decode()}
    # When the upload breaks it
    response = _post(form, data, **changes)
    # Then S3's status and code come back, and nothing is stored
    assert response.status_code == status, response.text
    assert f"<Code>{code}</Code>" in response.text
    listed = _admin(stack.moto_url, "s3").list_objects_v2(Bucket=stack.bucket(), Prefix=key)
    assert listed.get("KeyCount", 0) == 0


def test_a_presigned_post_by_a_function_without_put_object_is_refused(stack: Stack) -> None:
    form = _presigned_post(stack, "uploads/t/c/d/q.md", 8, function="QueryFunction")

    response = _post(form, b"# Llamas")

    assert response.status_code == 403
    assert "<Code>AccessDenied</Code>" in response.text
    assert "s3:PutObject" in response.text


def test_a_presigned_post_expires(stack: Stack) -> None:
    # Given a form valid for 300 s, checked as the proxy checks it
    form = _presigned_post(stack, "uploads/t/c/d/late.md", 8)
    policy = json.loads(base64.b64decode(form["fields"]["policy"]))
    expiration = datetime.strptime(policy["expiration"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    request = httpx.Request("POST", form["url"], data=form["fields"], files={"file": ("a.md", b"# Llamas")})
    body = request.read()
    upload = s3_post.parse(
        SignedRequest("POST", request.url.raw_path.decode(), "", list(request.headers.items()), body)
    )
    policies = stack.proxy.policies

    def secret_of(key: str) -> str | None:
        policy = policies.by_access_key(key)
        return policy.secret_access_key if policy else None

    # When it is used a second before it expires, Then it passes; a second after, S3's refusal
    assert policies.by_access_key(s3_post.check(upload, secret_of, now=expiration - timedelta(seconds=1)))
    with pytest.raises(s3_post.PostRefused) as refused:
        s3_post.check(upload, secret_of, now=expiration + timedelta(seconds=1))
    assert (refused.value.status, refused.value.code) == (403, "AccessDenied")
    assert refused.value.message == "Invalid according to Policy: Policy expired."


def test_a_presigned_post_may_be_sent_again_before_it_expires_as_in_s3(stack: Stack) -> None:
    # S3 stores each upload a valid form carries: one upload per ticket is ingest's rule, not the bucket's.
    key = "uploads/t/c/d/twice.md"
    form = _presigned_post(stack, key, 8)

    assert _post(form, b"# Llamas").status_code == 204
    assert _post(form, b"# Alpaca").status_code == 204

    assert _admin(stack.moto_url, "s3").get_object(Bucket=stack.bucket(), Key=key)["Body"].read() == b"# Alpaca"


def test_the_upload_function_cannot_sign_an_upload_onto_a_documents_file(stack: Stack) -> None:
    # Uploads land under uploads/ only; a form for a document's file under tenants/ is refused by IAM, as in AWS.
    form = _presigned_post(stack, "tenants/t/chatbots/c/documents/d/file.md", 8)

    response = _post(form, b"# Llamas")

    assert response.status_code == 403
    assert "<Code>AccessDenied</Code>" in response.text
    assert "s3:PutObject" in response.text


def _ingest_blobs(stack: Stack) -> S3BlobStore:
    """The ingest function's blob store: the adapter's own code with that function's credentials."""
    blobs = S3BlobStore(stack.bucket())
    blobs.__dict__["client"] = stack.client("IngestFunction", "s3")
    return blobs


def test_ingest_keeps_an_upload_as_an_untagged_copy_at_the_documents_key(stack: Stack) -> None:
    # Given an upload stored as its form stores it: tagged, under uploads/
    admin = _admin(stack.moto_url, "s3")
    upload, file = "uploads/t/c/kept", "tenants/t/chatbots/c/documents/kept/notes.md"
    etag = admin.put_object(Bucket=stack.bucket(), Key=upload, Body=b"# Llamas", Tagging="parley-upload=unindexed")[
        "ETag"
    ]

    # When ingest keeps it, signed with its own key through the proxy
    _ingest_blobs(stack).keep(upload, etag.strip('"'), file)

    # Then the document's key holds the same bytes, without the tag the bucket expires uploads by
    assert admin.get_object(Bucket=stack.bucket(), Key=file)["Body"].read() == b"# Llamas"
    assert admin.get_object_tagging(Bucket=stack.bucket(), Key=file)["TagSet"] == []


def test_a_copy_needs_get_object_on_its_source_as_in_aws(stack: Stack) -> None:
    # The upload function may write uploads (PutObject on uploads/*) but not read them: a copy reads its source.
    admin = _admin(stack.moto_url, "s3")
    admin.put_object(Bucket=stack.bucket(), Key="uploads/t/c/source", Body=b"# Llamas")
    s3 = stack.client("UploadFunction", "s3")

    with pytest.raises(ClientError) as error:
        s3.copy_object(
            Bucket=stack.bucket(),
            Key="uploads/t/c/copy",
            CopySource={"Bucket": stack.bucket(), "Key": "uploads/t/c/source"},
        )

    code, message = _denied(error)
    assert code == "AccessDenied"
    assert f"s3:GetObject on resource: arn:aws:s3:::{stack.bucket()}/uploads/t/c/source" in message
    assert admin.list_objects_v2(Bucket=stack.bucket(), Prefix="uploads/t/c/copy").get("KeyCount", 0) == 0


def test_a_copy_of_a_replaced_upload_is_refused_as_s3_does(stack: Stack) -> None:
    # Given an upload read at one version, then replaced by a second upload with the same ticket
    admin = _admin(stack.moto_url, "s3")
    upload, file = "uploads/t/c/replaced", "tenants/t/chatbots/c/documents/replaced/notes.md"
    first = admin.put_object(Bucket=stack.bucket(), Key=upload, Body=b"# Llamas")["ETag"].strip('"')
    admin.put_object(Bucket=stack.bucket(), Key=upload, Body=b"# Alpaca")

    # When ingest keeps the version it read, Then S3's 412 comes back as ObjectChanged and nothing is copied
    with pytest.raises(ObjectChanged):
        _ingest_blobs(stack).keep(upload, first, file)
    assert admin.list_objects_v2(Bucket=stack.bucket(), Prefix=file).get("KeyCount", 0) == 0


def test_a_put_that_sets_tags_needs_put_object_tagging_as_in_aws(stack: Stack) -> None:
    # Ingest may write documents' files (PutObject on tenants/*), but not tag them: AWS asks PutObjectTagging too.
    s3 = stack.client("IngestFunction", "s3")
    key = "tenants/t/chatbots/c/documents/tagged/notes.md"

    with pytest.raises(ClientError) as error:
        s3.put_object(Bucket=stack.bucket(), Key=key, Body=b"# Llamas", Tagging="parley-export=expiring")

    code, message = _denied(error)
    assert code == "AccessDenied"
    assert "s3:PutObjectTagging" in message
    s3.put_object(Bucket=stack.bucket(), Key=key, Body=b"# Llamas")


def _export_files(stack: Stack) -> S3ExportFiles:
    """The query function's export files: the adapter's own code with that function's credentials."""
    files = S3ExportFiles(stack.bucket())
    files.__dict__["client"] = stack.client("QueryFunction", "s3", config=Config(signature_version="s3v4"))
    return files


def test_the_query_function_writes_a_tagged_export_and_its_link_downloads_it(stack: Stack) -> None:
    # Given an export written by the query function, signed with its own key
    files, key = _export_files(stack), "tenants/t/chatbots/c/exports/e.csv"
    files.store(key, io.BytesIO(b"a,b\r\n"), "text/csv; charset=utf-8", "export.csv")

    # When its link is followed without any credentials
    response = httpx.get(files.link(key, 60))

    # Then the file comes back as an attachment, and it carries the tag the bucket expires exports by
    assert response.status_code == 200, response.text
    assert response.content == b"a,b\r\n"
    assert response.headers["content-disposition"] == 'attachment; filename="export.csv"'
    tags = _admin(stack.moto_url, "s3").get_object_tagging(Bucket=stack.bucket(), Key=key)["TagSet"]
    assert tags == [{"Key": "parley-export", "Value": "expiring"}]


def test_the_query_function_cannot_write_an_export_onto_a_documents_file(stack: Stack) -> None:
    with pytest.raises(ClientError) as error:
        _export_files(stack).store(
            "tenants/t/chatbots/c/documents/d/notes.md", io.BytesIO(b"x"), "text/plain", "notes.md"
        )
    assert "s3:PutObject" in _denied(error)[1]


def test_moto_answers_only_requests_that_carry_its_doors_key() -> None:
    # The stack's moto sits behind the proxy: anyone else on the machine who finds its port gets AccessDenied, even
    # with a valid-looking signature (moto would check none).
    moto = GuardedMotoServer()
    moto.start()
    try:
        host, port = moto.get_host_and_port()
        url = f"http://{host}:{port}"
        with pytest.raises(ClientError) as refused:
            _admin(url, "s3").list_buckets()
        allowed = with_headers(_admin(url, "dynamodb"), moto.headers).list_tables()
        unsigned = httpx.put(f"{url}/bucket/key", content=b"x")
    finally:
        moto.stop()

    assert _status(refused) == (403, "AccessDenied")
    assert allowed["ResponseMetadata"]["HTTPStatusCode"] == 200  # (moto's backends are the process's: any tables)
    assert (unsigned.status_code, "<Code>AccessDenied</Code>" in unsigned.text) == (403, True)


def test_a_user_pools_signing_keys_are_public_as_cognitos_are(stack: Stack) -> None:
    pool = stack.resources["UserPool"]["Ref"]

    response = httpx.get(f"{stack.proxy.url}/{pool}/.well-known/jwks.json")

    assert response.status_code == 200
    assert [key["kid"] for key in response.json()["keys"]]
    # and nothing else of the pool's is reached that way
    assert httpx.get(f"{stack.proxy.url}/{pool}/users").status_code == 403


def test_erasure_deletes_every_version_of_a_versioned_bucket_and_needs_the_version_actions(stack: Stack) -> None:
    # Given a documents' file written twice then deleted, in the versioned documents bucket: three entries remain
    admin, prefix = _admin(stack.moto_url, "s3"), "tenants/erased/chatbots/c/"
    for body in (b"# Llamas", b"# Llamas, again"):
        admin.put_object(Bucket=stack.bucket(), Key=f"{prefix}documents/d/notes.md", Body=body)
    admin.delete_object(Bucket=stack.bucket(), Key=f"{prefix}documents/d/notes.md")
    listed = admin.list_object_versions(Bucket=stack.bucket(), Prefix=prefix)
    assert (len(listed["Versions"]), len(listed["DeleteMarkers"])) == (2, 1)
    # When a function granted only DeleteObject (the dead-letter function) tries, Then the versions stay
    dead_letters = S3BlobStore(stack.bucket())
    dead_letters.__dict__["client"] = stack.client("IngestDeadLetterFunction", "s3")
    with pytest.raises(ClientError) as error:
        dead_letters.delete_prefix(prefix)
    assert "s3:ListBucketVersions" in _denied(error)[1]
    # When the erasure function deletes the prefix, signed with its own key through the proxy
    erasure = S3BlobStore(stack.bucket())
    erasure.__dict__["client"] = stack.client("ErasureFunction", "s3")
    erasure.delete_prefix(prefix)
    # Then no version and no delete marker is left to restore
    listed = admin.list_object_versions(Bucket=stack.bucket(), Prefix=prefix)
    assert (listed.get("Versions", []), listed.get("DeleteMarkers", [])) == ([], [])


def test_the_proxy_counts_each_call_it_lets_through_by_function_and_operation(stack: Stack) -> None:
    # Given the ingest function's clients, and the counts so far
    dynamodb, s3 = stack.client("IngestFunction", "dynamodb"), stack.client("IngestFunction", "s3")
    before = stack.proxy.calls.snapshot().get("IngestFunction", {})
    key = {"PK": {"S": "TENANT#t"}, "SK": {"S": "DOC#counted"}}

    # When it makes calls of four operations (one of them twice), and one its policy refuses
    dynamodb.put_item(TableName=stack.table(), Item=key)
    dynamodb.get_item(TableName=stack.table(), Key=key)
    dynamodb.get_item(TableName=stack.table(), Key=key)
    _admin(stack.moto_url, "s3").put_object(Bucket=stack.bucket(), Key="uploads/t/c/counted", Body=b"# A")
    s3.get_object(Bucket=stack.bucket(), Key="uploads/t/c/counted")
    s3.copy_object(
        Bucket=stack.bucket(),
        Key="tenants/t/chatbots/c/documents/counted/a.md",
        CopySource={"Bucket": stack.bucket(), "Key": "uploads/t/c/counted"},
    )
    with pytest.raises(ClientError):
        dynamodb.delete_table(TableName=stack.table())

    # Then each call moto answered is counted once, under the operation AWS bills, and the refused one is not
    after = stack.proxy.calls.snapshot()["IngestFunction"]
    made = {operation: count - before.get(operation, 0) for operation, count in after.items()}
    assert {operation: count for operation, count in made.items() if count} == {
        "dynamodb:PutItem": 1,
        "dynamodb:GetItem": 2,
        "s3:GetObject": 1,
        "s3:CopyObject": 1,
    }
