"""Lambda SnapStart (python3.12 and later): what a function loads before its snapshot, and what every environment
restored from that snapshot renews.

A snapshot is the init phase's memory, restored into each new environment instead of running the init again. So it
may hold what costs time and stays true anywhere: modules imported, the AWS SDK's service models and endpoint rules.
It must not hold what is one environment's own or expires: clients with their credentials, connections, fetched
secrets, and the random generator's state (every restored environment would draw the same jitter). Nothing here
builds a real client or fetches anything: the container stays empty until the first event, as without SnapStart.

The hooks run only where Lambda takes a snapshot (functions with `SnapStart: ApplyOn: PublishedVersions` in
template.yaml); elsewhere registering them costs nothing.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Collection, Mapping
from typing import Any

from parley.settings import Resource, Settings

# The AWS service each resource is reached through (a user pool's client id is not a service of its own).
SERVICES: Mapping[Resource, str] = {
    Resource.TABLE: "dynamodb",
    Resource.DOCUMENTS_BUCKET: "s3",
    Resource.WEB_BUCKET: "s3",
    Resource.ERASURE_QUEUE: "sqs",
    Resource.CRAWL_QUEUE: "sqs",
    Resource.USER_POOL: "cognito-idp",
    Resource.WEBSOCKET_API: "apigatewaymanagementapi",
}
# Placeholders for the clients built only to load their models into the SDK's caches, then dropped: explicit keys keep
# the default session from resolving (and the snapshot from keeping) the environment's real credentials.
_NO_CREDENTIALS = {"aws_access_key_id": "before-snapshot", "aws_secret_access_key": "before-snapshot"}


def provider_modules(settings: Settings) -> list[str]:
    """The SDK modules the configured model and index adapters import on their first call."""
    providers = settings.providers
    modules = []
    if providers.embedder == "openai" or providers.llm == "openai":
        # The client builds its resources on first use; these are the ones Parley calls.
        modules += ["openai", "openai.resources.embeddings", "openai.resources.chat.completions"]
    if providers.vector_index == "pinecone":
        modules += ["pinecone"]
    return modules


def services(needs: Collection[Resource], *, models: bool) -> list[str]:
    """The AWS services a function with these needs calls; with `models`, Secrets Manager too (the providers' keys)."""
    named = {SERVICES[resource] for resource in needs if resource in SERVICES}
    return sorted(named | ({"secretsmanager"} if models else set()))


def route_once(app: Any) -> None:
    """Send the app one request that matches no route: FastAPI prepares the routes of its routers on its first request
    (their parameters, bodies and responses analysed again for the app), and answers 404 without running any."""
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "https",
        "path": "/.before-snapshot",
        "raw_path": b"/.before-snapshot",
        "root_path": "",
        "query_string": b"",
        "headers": [],
        "client": None,
        "server": None,
    }

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(_message: dict[str, Any]) -> None:
        return None

    # A loop of its own, closed after: the event loop Mangum runs each invocation in is not touched.
    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(app(scope, receive, send))
    finally:
        loop.close()


def load_before_snapshot(settings: Settings, needs: Collection[Resource], *, models: bool, app: Any = None) -> None:
    """Import and load what the function's first event would: the SDK modules, and each AWS client's service model,
    endpoint rules and retry configuration (cached by boto3's default session, which the adapters' clients use), and
    an HTTP API app's prepared routes."""
    import importlib

    import boto3

    for module in ["boto3.dynamodb.types", *(provider_modules(settings) if models else [])]:
        importlib.import_module(module)
    if boto3.DEFAULT_SESSION is None:
        boto3.setup_default_session()
    session = boto3.DEFAULT_SESSION
    assert session is not None
    for service in services(needs, models=models):
        # The management API has no endpoint of its own: it is the WebSocket API's, a placeholder here.
        endpoint = {"endpoint_url": "https://example.invalid"} if service == "apigatewaymanagementapi" else {}
        session.client(service, **_NO_CREDENTIALS, **endpoint)  # type: ignore[call-overload]
    if app is not None:
        route_once(app)


def renew_after_restore() -> None:
    """A restored environment draws its own random numbers (backoff jitter), not the snapshot's sequence."""
    random.seed()


def register(settings: Settings, needs: Collection[Resource], *, models: bool, app: Any = None) -> bool:
    """Register this function's hooks with the runtime; False where the runtime has no SnapStart hooks."""
    try:
        from snapshot_restore_py import get_after_restore, register_after_restore, register_before_snapshot
    except ImportError:  # not Lambda's python3.12+ runtime, nor the local stack's environment
        return False
    register_before_snapshot(load_before_snapshot, settings, needs, models=models, app=app)
    if not any(hook is renew_after_restore for hook, _, _ in get_after_restore()):
        register_after_restore(renew_after_restore)
    return True
