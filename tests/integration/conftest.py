"""Handlers called with events from events/, against the template's resources created in in-process moto."""

from __future__ import annotations

import copy
import functools
import gzip
import importlib.util
import json
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlencode

import boto3
import moto.cognitoidp
import pytest
from parley.adapters.embedded.minilm import MiniLMEmbedder
from parley.adapters.openai_access import TimeBudget
from parley.adapters.openai_chat import OpenAIChat
from parley.adapters.s3 import UNINDEXED_TAG
from parley.container import get_container
from parley.domain.documents import FileType
from parley.settings import get_settings

from local.fakes.http_api import FakeHttpApi
from local.fakes.openai import FakeOpenAI
from local.fakes.pinecone import FakePinecone
from local.fakes.samples import GUIDE
from local.lambdas.event_sources import SqsPoller, sqs_sources
from local.lambdas.worker import Handler, LambdaContext
from local.stack.provision import Provisioner
from local.stack.snapshot import pickled_moto_state, restore_moto_state
from local.stack.stack import ROOT
from local.template import FunctionSpec, TemplateError, functions, load_template, parameter_values

T = TypeVar("T")
EVENTS = Path(ROOT, "events")
# The tag every presigned POST requires (parley/adapters/s3.py), as a PUT's Tagging header.
UNINDEXED = "=".join(UNINDEXED_TAG)


def merged_environment(specs: Mapping[str, FunctionSpec]) -> dict[str, str]:
    """These tests host every handler in one process, so the functions' variables must agree where they overlap
    (the local stack gives each function its own process and environment instead)."""
    merged: dict[str, str] = {}
    for spec in specs.values():
        for key, value in spec.environment.items():
            if merged.setdefault(key, value) != value:
                raise TemplateError(f"{key} differs between functions; these tests run them in one process")
    return merged


def load_handler(spec: FunctionSpec) -> Handler:
    """The handler, its module loaded by file under a name of its own (several functions have an `app.py`), once
    per session: a handler keeps nothing of a test (its services come from `get_container`, rebuilt for each)."""
    return _handler(spec.logical_id, spec.module_path, spec.handler_name)


@functools.cache
def _handler(logical_id: str, module_path: Path, handler_name: str) -> Handler:
    module_spec = importlib.util.spec_from_file_location(f"parley_function_{logical_id}", module_path)
    assert module_spec is not None, logical_id
    assert module_spec.loader is not None, logical_id
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return getattr(module, handler_name)  # type: ignore[no-any-return]


class WaitedTime:
    """A clock that moves only when something waits on it: a retry's backoff passes at once, and the budget it
    counts against is spent as it would be on the wall clock."""

    def __init__(self) -> None:
        self.now = time.monotonic()

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


@dataclass(frozen=True)
class WaitedTimeBudget(TimeBudget):
    """The model's time budget, its backoffs on `waited` time (the attempts themselves still time out for real)."""

    waited: WaitedTime = field(default_factory=WaitedTime)

    def run(
        self,
        attempt: Callable[[float], T],
        *,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], None] | None = None,
    ) -> T:
        return super().run(attempt, clock=clock or self.waited, sleep=sleep or self.waited.sleep)


class Functions:
    """The template's handlers, callable with API Gateway events."""

    def __init__(
        self,
        handlers: dict[str, Callable[[dict[str, Any], Any], Any]],
        resources: dict[str, Any],
        pollers: list[SqsPoller],
    ) -> None:
        self.handlers = handlers
        self.resources = resources
        self.pollers = pollers
        # The receipt handles of the messages the functions failed, per queue: invisible until `redeliver`.
        self.returned: dict[str, list[str]] = {}

    def upload(
        self, user: dict[str, Any], chatbot_id: str, filename: str, content_type: str, data: bytes
    ) -> dict[str, Any]:
        """Create a document as `user`, then store the file as its presigned POST would (in-process moto has no
        HTTP endpoint to post to: the policy's checks are local/aws/s3_post.py's, tested in tests/local/test_iam.py);
        returns the create response."""
        status, created = self.call(
            "UploadFunction",
            "POST",
            "/chatbots/{chatbot_id}/documents",
            sub=user["user"]["id"],
            body={"filename": filename, "content_type": content_type, "size_bytes": len(data)},
            path_parameters={"chatbot_id": chatbot_id},
        )
        assert status == 201, created
        bucket = self.resources["DocumentsBucket"]["Ref"]
        fields = created["upload"]["fields"]
        boto3.client("s3").put_object(
            Bucket=bucket, Key=fields["key"], Body=data, ContentType=fields["Content-Type"], Tagging=UNINDEXED
        )
        return dict(created)

    def chatbot(self, owner: dict[str, Any], *, guide: bool = False, **fields: Any) -> dict[str, Any]:
        """A chatbot `owner` creates (named Llamas unless `fields` name it); with `guide`, the llama guide is uploaded
        to it as a text file and indexed."""
        status, created = self.call(
            "ChatbotsFunction", "POST", "/chatbots", sub=owner["user"]["id"], body={"name": "Llamas", **fields}
        )
        assert status == 201, created
        if guide:
            self.upload(owner, created["id"], "guide.txt", "text/plain", GUIDE.encode())
            self.deliver()
        return dict(created)

    def ask(self, user: dict[str, Any], chatbot_id: str, question: str, **extra: Any) -> tuple[int, Any]:
        """`user` asks a chatbot through the REST API (`POST /chatbots/{id}/query`): the status and the answer."""
        return self.call(
            "QueryFunction",
            "POST",
            "/chatbots/{chatbot_id}/query",
            sub=user["user"]["id"],
            body={"question": question, **extra},
            path_parameters={"chatbot_id": chatbot_id},
        )

    def write(
        self,
        user: dict[str, Any],
        chatbot_id: str,
        filename: str,
        kind: FileType,
        data: bytes,
        *,
        source_id: str,
        url: str | None = None,
    ) -> str:
        """Store a document as a source writes it (a web page, a snippet, a Q&A pair), index it, and return its id."""
        tenant_id = user["tenant"]["id"]
        document = get_container().documents.write(
            tenant_id, chatbot_id, filename, kind, data, source_id=source_id, url=url
        )
        self.deliver()
        return document.id

    def invoke(self, function: str, event: dict[str, Any]) -> Any:
        return self.handlers[function](event, LambdaContext(function, 1024, 900))

    def deliver(self, rounds: int = 20, to: str | None = None) -> int:
        """Run the SQS event sources (only those of function `to`, if given) until a round over their queues finds
        nothing to receive, at most `rounds` rounds; returns how many messages they delivered. Messages not yet
        visible stay where they are: a failed one comes back after `redeliver`, a delayed one after its delay."""
        pollers = [poller for poller in self.pollers if to in (None, poller.source.function)]
        delivered = 0
        for _ in range(rounds):
            count = sum(poller.poll_once() for poller in pollers)
            if not count:
                break
            delivered += count
        return delivered

    def message_returned(self, queue_url: str, receipt_handles: list[str]) -> None:
        self.returned.setdefault(queue_url, []).extend(receipt_handles)

    def redeliver(self) -> int:
        """Make the messages the functions failed visible again, as their queues' visibility timeouts passing would
        (a test states that the time has passed rather than waiting for it); returns how many."""
        sqs = boto3.client("sqs")
        count = 0
        for queue_url, handles in self.returned.items():
            for handle in handles:
                sqs.change_message_visibility(QueueUrl=queue_url, ReceiptHandle=handle, VisibilityTimeout=0)
            count += len(handles)
        self.returned.clear()
        return count

    def respond(
        self,
        function: str,
        method: str,
        path: str,
        *,
        body: Any = None,
        sub: str | None = None,
        token: str | None = None,
        key: str | None = None,
        headers: dict[str, str] | None = None,
        path_parameters: dict[str, str] | None = None,
        query: dict[str, str] | None = None,
        source_ip: str | None = None,
    ) -> dict[str, Any]:
        """Invoke `function` with an HTTP API event for route `path` and return its raw response. `sub` makes it
        an authorized request of that user; `token` (an access token) or `key` (an API key) one that the HTTP API's
        Lambda authorizer is asked about first, as API Gateway does."""
        authorized = bool(sub or token or key)
        event = copy.deepcopy(
            json.loads((EVENTS / ("http_api_jwt.json" if authorized else "http_api_public.json")).read_text())
        )
        event["routeKey"] = event["requestContext"]["routeKey"] = f"{method} {path}"
        event["rawPath"] = event["requestContext"]["http"]["path"] = path.format(**(path_parameters or {}))
        event["requestContext"]["http"]["method"] = method
        event["pathParameters"] = path_parameters or {}
        if query:
            event["queryStringParameters"] = query
            event["rawQueryString"] = urlencode(query)
        event["headers"].update(headers or {})
        if source_ip:
            event["requestContext"]["http"]["sourceIp"] = source_ip
        if body is not None:
            event["headers"]["content-type"] = "application/json"
            event["body"] = json.dumps(body)
        if sub:
            context = event["requestContext"]["authorizer"]["lambda"]
            context["sub"], context["exp"] = sub, int(time.time()) + 3600
        if token or key:
            event["headers"]["authorization"] = f"Bearer {token or key}"
            refusal = self.authorize(event)
            if refusal is not None:
                return refusal
        return self.handlers[function](event, LambdaContext(function, 1024, 29))  # type: ignore[no-any-return]

    def authorize(self, event: dict[str, Any]) -> dict[str, Any] | None:
        """What API Gateway does before the route: the HTTP API's Lambda authorizer decides (a refusal is a 403),
        and its context travels in the event; returns the refusal, if any."""
        request = {key: value for key, value in event.items() if key not in ("body", "isBase64Encoded")}
        answer = self.invoke("HttpAuthorizerFunction", {**request, "type": "REQUEST"})
        if not answer["isAuthorized"]:
            return {"statusCode": 403, "body": json.dumps({"message": "Forbidden"})}
        event["requestContext"]["authorizer"] = {"lambda": answer["context"]}
        return None

    def call(self, function: str, method: str, path: str, **request: Any) -> tuple[int, Any]:
        """`respond`'s status and JSON body."""
        response = self.respond(function, method, path, **request)
        payload = json.loads(response["body"]) if response.get("body") else None
        return response["statusCode"], payload


@pytest.fixture(scope="session")
def template() -> dict[str, Any]:
    """template.yaml, parsed once: read it, never change it (a test that needs another template changes a deep
    copy)."""
    return load_template(ROOT / "template.yaml")


# The fakes and the keys server are started once per session (a server per test cost a start and a stop each); every
# test gets them reset, with nothing of an earlier test's requests, failures, routes or records.
@pytest.fixture(scope="session")
def _openai_server() -> Iterator[FakeOpenAI]:
    fake = FakeOpenAI().start()
    yield fake
    fake.stop()


@pytest.fixture(scope="session")
def _pinecone_server() -> Iterator[FakePinecone]:
    fake = FakePinecone(dimension=512).start()
    yield fake
    fake.stop()


@pytest.fixture
def openai_fake(_openai_server: FakeOpenAI) -> FakeOpenAI:
    _openai_server.reset()
    return _openai_server


@pytest.fixture
def pinecone_fake(_pinecone_server: FakePinecone, monkeypatch: pytest.MonkeyPatch) -> FakePinecone:
    # The Pinecone SDK keeps a retry budget and a concurrency gate per host for its whole process: the fake's host is
    # the same in every test now, so each test starts with them anew (as a fake of its own, on another port, did).
    from pinecone._internal import http_client
    from pinecone._internal.bulk import registry

    registry.get_registry()._reset()
    http_client.get_budget_registry()._reset()
    # Its retries back off on time.sleep (through this seam, which the SDK keeps for tests): here they pass at once.
    monkeypatch.setattr(http_client, "_retry_sleep", lambda _seconds: None)
    _pinecone_server.reset()
    return _pinecone_server


@pytest.fixture(scope="session")
def signing_keys() -> Iterator[str]:
    """The URL of the keys moto signs tokens with, served as Cognito publishes a pool's (in-process moto serves
    no URL of its own; its keys are the same in every test)."""
    keys = json.loads(
        gzip.decompress((Path(moto.cognitoidp.__file__).parent / "resources/jwks-public.json.gz").read_bytes())
    )
    server = FakeHttpApi()
    server.routes[("GET", "/.well-known/jwks.json")] = lambda _body, _query: (200, keys)
    server.start()
    yield f"{server.url}/.well-known/jwks.json"
    server.stop()


@pytest.fixture(scope="session")
def minilm() -> MiniLMEmbedder:
    """The embedded model, loaded once per session (at its first use) and shared: it keeps nothing of what it
    embedded."""
    return MiniLMEmbedder()


@pytest.fixture
def stack_parameters() -> dict[str, str]:
    """Template parameter overrides; a test module overrides this fixture to change them."""
    return {}


@pytest.fixture
def function_environment() -> dict[str, str]:
    """Variables set over the template's in every function; a test module overrides this fixture to change them."""
    return {}


# The template provisioned in moto once per set of parameters, as moto's state right after it (and the provisioner that
# names its resources): each test starts from a fresh copy of that state instead of provisioning again (seconds each).
_PROVISIONED: dict[tuple[tuple[str, str], ...], tuple[bytes, Provisioner, dict[str, dict[str, Any]]]] = {}


def _provisioned(template: dict[str, Any], parameters: dict[str, str]) -> tuple[Provisioner, dict[str, dict[str, Any]]]:
    """The template's resources in moto (inside `mock_aws`, which starts empty), and the provisioner that made them."""
    key = tuple(sorted(parameters.items()))
    if key in _PROVISIONED:
        state, provisioner, resources = _PROVISIONED[key]
        restore_moto_state(state)
        return provisioner, resources
    provisioner = Provisioner(template, parameter_values(template, parameters), boto3.client)
    resources = provisioner.provision_all()
    _PROVISIONED[key] = (pickled_moto_state(), provisioner, resources)
    return provisioner, resources


@pytest.fixture
def lambdas(
    aws: None,
    monkeypatch: pytest.MonkeyPatch,
    template: dict[str, Any],
    openai_fake: FakeOpenAI,
    pinecone_fake: FakePinecone,
    stack_parameters: dict[str, str],
    function_environment: dict[str, str],
    signing_keys: str,
    minilm: MiniLMEmbedder,
) -> Iterator[Functions]:
    """The template's resources in moto and its handlers, configured as in AWS (OpenAI and Pinecone, here
    their fakes, with the API keys in Secrets Manager)."""
    provisioner, resources = _provisioned(template, stack_parameters)
    specs = functions(template, provisioner.resolver, ROOT)
    environment = merged_environment(specs)
    secrets = boto3.client("secretsmanager")
    secrets.create_secret(Name=environment["PARLEY_OPENAI_API_KEY_SECRET"], SecretString="sk-test-openai")
    secrets.create_secret(Name=environment["PARLEY_PINECONE_API_KEY_SECRET"], SecretString="pc-test-pinecone")
    environment["PARLEY_OPENAI_BASE_URL"] = openai_fake.base_url
    environment["PARLEY_PINECONE_INDEX_HOST"] = pinecone_fake.url
    environment["PARLEY_USER_POOL_KEYS_URL"] = signing_keys
    environment.update(function_environment)
    for key, value in environment.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    get_container.cache_clear()
    container = get_container()
    if container.settings.providers.embedder == "minilm":
        container.embedder = minilm
    if isinstance(container.llm, OpenAIChat):
        budget = container.llm.budget
        container.llm.budget = WaitedTimeBudget(budget.total, budget.per_attempt, budget.least_attempt)
    # Rate limits count in fixed windows: a test straddling a window's end would see its count start again (on a
    # busy machine, test_connects_are_rate_limited_per_network let a third connect in), so each test keeps to one.
    started = time.time()
    container.rate_limiter.clock = lambda: started  # type: ignore[attr-defined]
    handlers = {logical_id: load_handler(spec) for logical_id, spec in specs.items()}
    functions_ = Functions(handlers, resources, [])
    sqs = boto3.client("sqs")
    # Tests drain the queues themselves (`deliver`): a receive that waited would only hold up an empty round, and
    # the batching window passes on a clock of its own.
    window = WaitedTime()
    functions_.pollers = [
        SqsPoller(
            source,
            sqs,
            functions_.invoke,
            on_returned=functions_.message_returned,
            wait_seconds=0,
            clock=window,
            sleep=window.sleep,
        )
        for source in sqs_sources(template, provisioner.resolver.resolve)
    ]
    yield functions_
    get_settings.cache_clear()
    get_container.cache_clear()


@pytest.fixture
def register(lambdas: Functions) -> Callable[..., dict[str, Any]]:
    """Register a new user (and tenant) through the auth handler."""

    def _register(email: str = "ada@example.com", password: str = "correct-horse-1", **extra: Any) -> dict[str, Any]:
        status, body = lambdas.call(
            "AuthFunction", "POST", "/auth/register", body={"email": email, "password": password, **extra}
        )
        assert status == 201, body
        return dict(body)

    return _register


@pytest.fixture
def owner(register: Callable[..., dict[str, Any]]) -> dict[str, Any]:
    """A registered user with a tenant of their own (the register response)."""
    return register("owner@example.com")
