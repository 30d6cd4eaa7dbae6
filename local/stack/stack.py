"""One local Parley: moto server, the resources of template.yaml, and the gateway in front of the handlers."""

from __future__ import annotations

import json
import logging
import math
import os
import secrets
import threading
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
from parley.settings import Settings
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route, WebSocketRoute, request_response
from starlette.types import ASGIApp, Receive, Scope, Send

from local.apigateway.http_api import ApiDocs, HttpGateway, LambdaAuthorizer
from local.apigateway.websocket_api import WebSocketGateway
from local.aws import moto_cognito, moto_dynamodb, moto_sqs
from local.aws.iam import IamUsage, Policies, function_policies
from local.aws.moto_server import GuardedMotoServer, with_headers
from local.aws.proxy import Access, AccessMap, AwsProxy, Refusal
from local.aws.sigv4 import SignedRequest
from local.cloudwatch.alarms import AlarmEvaluator, template_alarms
from local.cloudwatch.dashboards import OperatorPage, template_dashboards
from local.cloudwatch.metrics import ApiMetrics, FunctionMetrics, LocalSources, MetricClock, MetricStore, QueueMetrics
from local.fakes.openai import FakeOpenAI
from local.fakes.pinecone import FakePinecone
from local.faults import Faults
from local.lambdas.event_sources import (
    Scheduler,
    SqsPoller,
    SqsSource,
    schedule_sources,
    sqs_sources,
    visibility_entries,
)
from local.lambdas.runtime import LOCAL_CONCURRENCY, FunctionRuntime
from local.stack.provision import Provisioner
from local.stack.snapshot import Persistence, SavedState
from local.stack.web import WebFiles
from local.template import (
    ACCOUNT_ID,
    REGION,
    Resolver,
    TemplateError,
    functions,
    http_apis,
    http_authorizers,
    http_routes,
    load_template,
    parameter_values,
    websocket_api,
)

ROOT = Path(__file__).resolve().parents[2]
log = logging.getLogger("local")
# What the local stack passes for the template's parameters.
LOCAL_PARAMETERS = {
    # Failed ingest attempts come back after seconds, not the hour and a half used in AWS.
    "IngestVisibilityTimeout": "20",
    # Likewise a page whose crawl failed, or whose document was being indexed.
    "CrawlVisibilityTimeout": "20",
    # No key, still useful: extractive answers (set OPENAI_API_KEY, and OPENAI_BASE_URL for another
    # OpenAI-compatible server, to answer with a model).
    "LLMProvider": "openai" if os.environ.get("OPENAI_API_KEY") else "none",
    "OpenAIBaseUrl": os.environ.get("OPENAI_BASE_URL", ""),
}
# The embedded stand-ins for OpenAI embeddings and Pinecone (ARCHITECTURE.md §5). They cannot run in Lambda (the
# layer ships neither onnxruntime nor the model, and /var/task is read-only), so template.yaml does not offer
# them: only the local stack sets them, on the functions whose template environment declares the variable.
# `LocalStack(environment=...)` (`python -m local --env NAME=VALUE`) overrides them, e.g. PARLEY_EMBEDDER=openai
# and PARLEY_VECTOR_INDEX=pinecone with PARLEY_OPENAI_BASE_URL / PARLEY_PINECONE_INDEX_HOST at local/fakes/.
EMBEDDED_STAND_INS = {"PARLEY_EMBEDDER": "minilm", "PARLEY_VECTOR_INDEX": "local"}

# Every moto in this process (the stack's server, and the tests' mock_aws) isolates transactions as AWS does,
# revokes a deleted user's refresh tokens as Cognito does, and sends and delivers SQS messages without counting the
# queue's messages for each one.
moto_dynamodb.install()
moto_cognito.install()
moto_sqs.install()


def _client_options(endpoint: str) -> dict[str, str]:
    return {
        "endpoint_url": endpoint,
        "region_name": REGION,
        "aws_access_key_id": "local",
        "aws_secret_access_key": "local",
    }


def _secret_arn(secrets_manager: Any, name: str) -> str:
    """A secret's ARN (with the random suffix IAM statements match by `name-*`); a missing one as AWS names it."""
    try:
        return str(secrets_manager.describe_secret(SecretId=name)["ARN"])
    except secrets_manager.exceptions.ResourceNotFoundException:
        return f"arn:aws:secretsmanager:{REGION}:{ACCOUNT_ID}:secret:{name}-??????"


def _connections_arn(template: Mapping[str, Any], resolver: Resolver) -> str:
    """`arn:aws:execute-api:<region>:<account>:<api>/<stage>`: what ManageConnections statements name."""
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::ApiGatewayV2::Stage":
            stage = resolver.resolve(resource["Properties"])
            return f"arn:aws:execute-api:{REGION}:{ACCOUNT_ID}:{stage['ApiId']}/{stage['StageName']}"
    raise TemplateError("the WebSocket API has no AWS::ApiGatewayV2::Stage")


def _invisible_while_running(
    sqs: Any, source: SqsSource, visibility: int, function_timeout: float, invoke: Callable[[str, dict[str, Any]], Any]
) -> Callable[[str, dict[str, Any]], Any]:
    """`invoke` for `source`'s poller. In AWS a queue's visibility timeout is at least its function's timeout (the
    template says so), so a message is never delivered again while an invocation still works on it. The local stack
    shortens the timeout (`visibility`, seconds, so that a failed message comes back soon): while an invocation runs,
    its messages' visibility is renewed, and once it has failed they come back after the queue's timeout, as in AWS."""
    if visibility >= function_timeout:
        return invoke

    def renew(handles: list[str], done: threading.Event) -> None:
        batches = visibility_entries(handles, visibility)
        while not done.wait(max(0.5, visibility / 3)):
            for entries in batches:
                try:
                    sqs.change_message_visibility_batch(QueueUrl=source.queue_url, Entries=entries)
                except Exception:  # the stack is stopping; the messages come back when their timeout ends
                    log.exception("renewing the visibility of %s's messages failed", source.function)

    def run(function: str, event: dict[str, Any]) -> Any:
        done = threading.Event()
        handles = [record["receiptHandle"] for record in event["Records"]]
        threading.Thread(target=renew, args=(handles, done), name=f"visibility-{function}", daemon=True).start()
        try:
            return invoke(function, event)
        finally:
            done.set()

    return run


def _event_source_mapping(
    sqs: Any,
    source: SqsSource,
    function_timeout: float,
    invoke: Callable[[str, dict[str, Any]], Any],
    on_received: Callable[[str, int], None],
) -> SqsPoller:
    visibility = _visibility(sqs, source)
    return SqsPoller(
        source,
        sqs,
        _invisible_while_running(sqs, source, visibility, function_timeout, invoke),
        # As the event source mapping does: up to MaximumConcurrency batches at once.
        concurrency=min(source.maximum_concurrency or LOCAL_CONCURRENCY, LOCAL_CONCURRENCY),
        on_received=on_received,
        hold_seconds=_held_while_gathering(source, visibility, function_timeout),
    )


def _held_while_gathering(source: SqsSource, visibility: int, function_timeout: float) -> int | None:
    """The visibility `source`'s poller receives with, when the local stack shortened its queue's (`visibility`)
    below its function's timeout: the queue's own and the batching window. In AWS the queue's timeout (at least the
    function's) outlasts any window; received messages must not come back, counting receives towards the dead-letter
    queue, while their batch is still gathering."""
    return None if visibility >= function_timeout else visibility + math.ceil(source.window_seconds)


def _visibility(sqs: Any, source: SqsSource) -> int:
    attributes = sqs.get_queue_attributes(QueueUrl=source.queue_url, AttributeNames=["VisibilityTimeout"])
    return int(attributes["Attributes"]["VisibilityTimeout"])


def _http_only(http: ASGIApp, other: ASGIApp) -> ASGIApp:
    async def route(scope: Scope, receive: Receive, send: Send) -> None:
        await (http if scope["type"] == "http" else other)(scope, receive, send)

    return route


# The WebSocket management API's operations, by method.
MANAGEMENT_OPERATIONS = {"POST": "PostToConnection", "GET": "GetConnection", "DELETE": "DeleteConnection"}


class LocalStack:
    """Starts moto, provisions template.yaml into it, and builds the ASGI app that serves the APIs."""

    def __init__(
        self,
        root: Path = ROOT,
        *,
        host: str = "127.0.0.1",
        parameters: Mapping[str, str] | None = None,
        data_dir: Path | None = None,
        url: str = "http://127.0.0.1:8000",
        environment: Mapping[str, str] | None = None,
        template: Path | None = None,
        fakes: bool = False,
        faults: Mapping[str, Faults] | None = None,
        persistence: Persistence = "ephemeral",
        metric_minute: float = 60,
        iam_usage: Path | None = None,
    ) -> None:
        """`fakes`: OpenAI (embeddings and chat) and Pinecone are the local fakes of their HTTP APIs, reached by the
        real SDKs as in AWS, instead of the embedded stand-ins. `faults`: what fails, by target (local/faults.py);
        OpenAI and Pinecone faults need the fakes. `persistence`: whether the state saved in `data_dir` is
        restored at start and saved at stop (snapshot.py). `metric_minute`: how many seconds a CloudWatch
        minute lasts for the local metrics and alarms (local/cloudwatch/metrics.py); 60 unless a test needs periods to
        pass faster. `iam_usage`: a file where the stack writes which template statement allowed each kind of call
        (local/aws/iam.py's IamUsage)."""
        self.root = root
        self.iam_usage = iam_usage
        self.host = host
        # Where the stack will be served: the WebSocket management API is there too.
        self.url = url
        # Another template (a copy with a change, in tests) can stand in for the repository's; code stays at `root`.
        self.template = load_template(template or root / "template.yaml")
        declared = self.template.get("Parameters", {})
        unknown = sorted(set(parameters or {}) - set(declared))
        if unknown:
            raise TemplateError(f"the template has no parameter {', '.join(unknown)}")
        local = {name: value for name, value in LOCAL_PARAMETERS.items() if name in declared}
        self.parameters = parameter_values(self.template, {**local, **(parameters or {})})
        self.data_dir = data_dir or root / ".local-data"
        self.persistence = persistence
        self.saved_state = SavedState(self.data_dir)
        self.restored: dict[str, Any] | None = None  # the manifest of the snapshot restored at start, if any
        self._saves_at_stop = False
        # Variables set on every function, over the template's and the embedded stand-ins (`--env`).
        self.environment = dict(environment or {})
        self._moto = GuardedMotoServer(host)
        self.moto_url = ""
        self.resources: dict[str, dict[str, Any]] = {}
        self.runtime: FunctionRuntime | None = None
        self.pollers: list[SqsPoller] = []
        self.schedulers: list[Scheduler] = []
        self.proxy: AwsProxy | None = None
        self.policies = Policies([])
        # What the local stack measures, for the operator page and the alarms (`/_ops`).
        self.metrics = MetricStore(MetricClock(metric_minute))
        self.queue_metrics: QueueMetrics | None = None
        self.alarms: AlarmEvaluator | None = None
        self.faults = dict(faults or {})
        if not fakes and {"openai", "pinecone"} & set(self.faults):
            raise ValueError("OpenAI and Pinecone faults are injected by their fakes: start the stack with fakes")
        dimension = Settings().providers.embedding_space.dimension
        self.fakes = (
            (FakeOpenAI(faults=self.faults.get("openai")), FakePinecone(dimension, faults=self.faults.get("pinecone")))
            if fakes
            else None
        )

    def start(self) -> Starlette:
        """Bring up AWS stand-ins and handlers; returns the app to serve."""
        self._moto.start()
        host, port = self._moto.get_host_and_port()
        self.moto_url = f"http://{host}:{port}"
        # moto's state and the local index: both restored from the last snapshot, or both empty.
        self.restored = self.saved_state.open(self.persistence, self.fakes[1] if self.fakes else None)
        # From here on, what stop() finds is the state to keep (not before: a failed restore must not overwrite).
        self._saves_at_stop = self.persistence != "ephemeral"
        api_keys = {name: os.environ[name] for name in ("OPENAI_API_KEY", "PINECONE_API_KEY") if name in os.environ}
        if self.fakes:
            openai, pinecone = self.fakes
            openai.start()
            pinecone.start()
            api_keys = {"OPENAI_API_KEY": "sk-local-fake", "PINECONE_API_KEY": "pc-local-fake"}
            served = {"LLMProvider": "openai", "OpenAIBaseUrl": openai.base_url, "PineconeIndexHost": pinecone.url}
            self.parameters |= {name: value for name, value in served.items() if name in self.parameters}
        provisioner = Provisioner(self.template, self.parameters, self.aws_client)
        self.resources = provisioner.provision_all()
        # Functions reach AWS only through the proxy, each with its own key: what its template policy does not
        # allow fails here as it would in AWS. It is the stack's one AWS endpoint: moto answers nobody else.
        self.policies = Policies(function_policies(self.template, provisioner.resolver).values())
        secrets_manager = self.aws_client("secretsmanager")
        self.proxy = AwsProxy(
            self.moto_url,
            self.policies,
            AccessMap(partial(_secret_arn, secrets_manager)),
            faults={service: self.faults[service] for service in ("s3", "dynamodb") if service in self.faults},
            usage=IamUsage(self.iam_usage, self.policies) if self.iam_usage else None,
            upstream_headers=self._moto.headers,
            in_process=self._moto.answer,
        )
        self.proxy.start()
        specs = {
            logical_id: replace(spec, environment=self.function_environment(spec.environment))
            for logical_id, spec in functions(self.template, provisioner.resolver, self.root).items()
        }
        self._store_api_keys(specs, api_keys)
        sqs = self.aws_client("sqs")
        sources = sqs_sources(self.template, provisioner.resolver.resolve)
        crashes = {}
        if "ingest" in self.faults:
            # Ingest: the functions of queues that redeliver and dead-letter (not the dead-letter handler's).
            crashes = {
                source.function: self.faults["ingest"]
                for source in sources
                if "RedrivePolicy"
                in sqs.get_queue_attributes(QueueUrl=source.queue_url, AttributeNames=["RedrivePolicy"]).get(
                    "Attributes", {}
                )
            }
        # The template's alarms and dashboards are checked before anything runs, as CloudWatch refuses bad ones.
        metric_alarms, composites = template_alarms(self.template, provisioner.resolver)
        dashboards = template_dashboards(self.template, provisioner.resolver)
        physical = {logical_id: str(provisioner.resolver.resolve({"Ref": logical_id})) for logical_id in specs}
        self.runtime = FunctionRuntime(
            specs, self.function_aws_environment, crashes=crashes, observer=FunctionMetrics(self.metrics, physical)
        )
        queues = {
            attributes["QueueName"]: attributes["QueueUrl"]
            for attributes in self.resources.values()
            if "QueueName" in attributes
        }
        self.queue_metrics = QueueMetrics(self.metrics, sqs, queues)
        self.queue_metrics.start()
        for source in sources:
            timeout = specs[source.function].timeout
            poller = _event_source_mapping(sqs, source, timeout, self.runtime.invoke, self.queue_metrics.received)
            poller.start()
            self.pollers.append(poller)
        for schedule in schedule_sources(self.template, provisioner.resolver.resolve):
            scheduler = Scheduler(schedule, self.runtime.invoke)
            scheduler.start()
            self.schedulers.append(scheduler)
        apis = {name: provisioner.resolver.resolve(api) for name, api in http_apis(self.template).items()}
        authorizers = {
            name: LambdaAuthorizer(spec, self.runtime.invoke_async)
            for name, spec in http_authorizers(self.template).items()
        }
        # Tools and tests find the local AWS and the resources' physical ids here.
        (self.data_dir / "stack.json").write_text(
            json.dumps(
                {
                    # The proxy: every request signed and checked, as AWS checks it.
                    "aws_endpoint": self.proxy.url,
                    # The operator's key, which may do anything there (as an administrator's role may).
                    "operator": {
                        "access_key_id": self.policies.operator.access_key_id,
                        "secret_access_key": self.policies.operator.secret_access_key,
                    },
                    "resources": self.resources,
                    # The fakes' URLs with `fakes` (tests read what the functions stored there).
                    "fakes": {"openai": self.fakes[0].url, "pinecone": self.fakes[1].url} if self.fakes else {},
                    # Each function's local key, for tools that act as a function (never real credentials).
                    "credentials": {
                        function: {"access_key_id": key, "secret_access_key": secret}
                        for function, (key, secret) in self.policies.credentials().items()
                    },
                },
                indent=2,
            )
        )
        self.alarms = AlarmEvaluator(metric_alarms, composites, self.metrics)
        self.alarms.start()
        api_ids = {name: str(provisioner.resolver.resolve({"Ref": name})) for name in apis}
        operator_page = OperatorPage(dashboards, self.metrics, self.alarms, LocalSources(api_ids.values()))
        api_metrics = ApiMetrics(self.metrics, api_ids)
        return self._app(
            self.runtime, apis, authorizers, provisioner.resolver, operator_page=operator_page, api_metrics=api_metrics
        )

    def _app(
        self,
        runtime: FunctionRuntime,
        apis: Mapping[str, Mapping[str, Any]],
        authorizers: Mapping[str, LambdaAuthorizer],
        resolver: Resolver,
        *,
        operator_page: OperatorPage,
        api_metrics: ApiMetrics,
    ) -> Starlette:
        """The APIs of the template, the management API of its connections, the web front ends and the operator
        page, on one port."""
        gateway = HttpGateway(
            http_routes(self.template),
            authorizers,
            runtime.invoke_async,
            {name: api.get("CorsConfiguration", {}) for name, api in apis.items()},
            api_metrics,
        )
        # The operators' view, served locally only (in AWS: the CloudWatch console).
        routes: list[BaseRoute] = [
            *operator_page.routes(),
            Route("/_ops/aws-calls.json", self._aws_calls, methods=["GET"]),
        ]
        chat_api = websocket_api(self.template)
        if chat_api is not None:
            connections = _connections_arn(self.template, resolver)
            chat = WebSocketGateway(
                chat_api,
                runtime.invoke_async,
                urlsplit(self.url).netloc,
                partial(self._authorize_management, connections),
            )
            management = "/@connections/{connection_id:path}"
            routes += [
                Route(management, chat.post_to_connection, methods=["POST"]),
                Route(management, chat.get_connection, methods=["GET"]),
                Route(management, chat.delete_connection, methods=["DELETE"]),
                WebSocketRoute("/{path:path}", chat.serve),
            ]
        # The API's contract, for people and tools (served locally only; API Gateway serves the routes alone).
        docs = ApiDocs(self.root / "shared" / "openapi.json")
        routes += [Route("/openapi.json", docs.openapi, methods=["GET"]), Route("/docs", docs.docs, methods=["GET"])]
        websocket_url = urlsplit(self.url)._replace(scheme="wss" if self.url.startswith("https") else "ws").geturl()
        # Both HTTP APIs are served here (their paths do not overlap), so the visitors' API has the same URL.
        config = {"apiUrl": self.url, "publicApiUrl": self.url, "websocketUrl": websocket_url}
        routes += WebFiles(self.root / "web", config).routes()
        app = Starlette(routes=routes)
        # Every other HTTP request goes to the gateway, whatever its path: a route pattern would miss paths holding
        # characters its regex does not match (a decoded %0A), which API Gateway routes like any other.
        app.router.default = _http_only(request_response(gateway.__call__), app.router.default)
        return app

    def function_environment(self, declared: Mapping[str, str]) -> dict[str, str]:
        """A function's template environment with the settings only the local stack applies."""
        stand_ins = {} if self.fakes else EMBEDDED_STAND_INS
        environment = {**declared, **{name: value for name, value in stand_ins.items() if name in declared}}
        if "PARLEY_VECTOR_INDEX" in declared:
            environment["PARLEY_DATA_DIR"] = str(self.data_dir)
        if "PARLEY_USER_POOL_ID" in declared:
            # Cognito publishes a pool's signing keys under its issuer URL, unsigned; moto serves them under that path.
            pool = declared["PARLEY_USER_POOL_ID"]
            assert self.proxy is not None, "start() builds the proxy before the functions"
            environment["PARLEY_USER_POOL_KEYS_URL"] = f"{self.proxy.url}/{pool}/.well-known/jwks.json"
        if "PARLEY_WEBSOCKET_ENDPOINT" in declared:
            # Handlers post frames to the local gateway, which serves the management API at the stack's URL.
            environment["PARLEY_WEBSOCKET_ENDPOINT"] = self.url
        # Website sources may crawl a site served on this machine; AWS never gets this (parley/settings.py).
        environment["PARLEY_FETCH_ALLOW_LOOPBACK"] = "true"
        return {**environment, **self.environment}

    def function_aws_environment(self, logical_id: str) -> dict[str, str]:
        """The AWS endpoint and credentials function `logical_id` gets: its own key, at the IAM-checking proxy."""
        assert self.proxy is not None, "start() builds the proxy before the functions"
        key, secret = self.policies.credentials()[logical_id]
        return {
            "AWS_ENDPOINT_URL": self.proxy.url,
            "AWS_ACCESS_KEY_ID": key,
            "AWS_SECRET_ACCESS_KEY": secret,
            "AWS_SESSION_TOKEN": secrets.token_urlsafe(24),
        }

    def _authorize_management(self, connections: str, request: SignedRequest, connection_id: str) -> Refusal | None:
        """The WebSocket management API checks the caller's key and policy as execute-api does (and counts the calls
        it allows with the proxy's)."""
        assert self.proxy is not None
        resource = f"{connections}/{request.method}/@connections/{connection_id}"
        refusal = self.proxy.authorize(request, "execute-api", [Access("execute-api:ManageConnections", resource)])
        if refusal is None:
            operation = MANAGEMENT_OPERATIONS.get(request.method, request.method)
            self.proxy.calls.count(self.proxy.caller(request), f"execute-api:{operation}")
        return refusal

    async def _aws_calls(self, _: Request) -> Response:
        """The functions' AWS calls so far, by function and operation (local only: what `make bench` and the tests
        count a request's calls with)."""
        assert self.proxy is not None
        return JSONResponse(self.proxy.calls.snapshot(), headers={"Cache-Control": "no-store"})

    def _store_api_keys(self, specs: Mapping[str, Any], api_keys: Mapping[str, str]) -> None:
        """Put the OPENAI_API_KEY and PINECONE_API_KEY given (from the environment, or the fakes') where the
        functions look for them: Secrets Manager."""
        for variable, setting in (
            ("OPENAI_API_KEY", "PARLEY_OPENAI_API_KEY_SECRET"),
            ("PINECONE_API_KEY", "PARLEY_PINECONE_API_KEY_SECRET"),
        ):
            key = api_keys.get(variable)
            if not key:
                continue
            secrets_manager = self.aws_client("secretsmanager")
            for name in {spec.environment.get(setting) for spec in specs.values()} - {None}:
                try:
                    secrets_manager.create_secret(Name=name, SecretString=key)
                except secrets_manager.exceptions.ResourceExistsException:  # a restored state's
                    secrets_manager.put_secret_value(SecretId=name, SecretString=key)

    def aws_client(self, service: str) -> Any:
        """A boto3 client of moto itself (through its door), independent of the process environment: the stack's own
        calls (provisioning, event sources), which in AWS are the services' own, not the functions'."""
        client = boto3.client(service, **_client_options(self.moto_url))  # type: ignore[call-overload]
        return with_headers(client, self._moto.headers)

    def stop(self) -> None:
        if self.alarms:
            self.alarms.stop()
        if self.queue_metrics:
            self.queue_metrics.stop()
        for scheduler in self.schedulers:
            scheduler.stop()
        for poller in self.pollers:
            poller.stopped.set()
        if self.runtime:
            self.runtime.close()  # a batch in progress fails and returns to the queue, as a stopped Lambda's would
        for poller in self.pollers:
            poller.stop()
        if self.proxy:
            self.proxy.stop()
        for fake in self.fakes or ():
            fake.stop()
        self._moto.stop()
        if self._saves_at_stop:
            saved_at = datetime.now(UTC).isoformat(timespec="seconds")
            self.saved_state.save(self.fakes[1] if self.fakes else None, saved_at)
