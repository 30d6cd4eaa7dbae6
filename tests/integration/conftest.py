"""Handlers called with events from events/, against the template's resources created in in-process moto."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws
from parley.container import get_container
from parley.settings import get_settings

from local.provision import Provisioner
from local.runtime import LambdaContext, load_handler, merged_environment
from local.stack import ROOT
from local.template import REGION, functions, load_template, parameter_values

EVENTS = Path(ROOT, "events")


class Functions:
    """The template's handlers, callable with API Gateway events."""

    def __init__(self, handlers: dict[str, Callable[[dict[str, Any], Any], Any]], resources: dict[str, Any]) -> None:
        self.handlers = handlers
        self.resources = resources

    def call(
        self,
        function: str,
        method: str,
        path: str,
        *,
        body: Any = None,
        sub: str | None = None,
        headers: dict[str, str] | None = None,
        path_parameters: dict[str, str] | None = None,
    ) -> tuple[int, Any]:
        """Invoke `function` with an HTTP API event for route `path`; `sub` makes it an authorized request."""
        event = copy.deepcopy(
            json.loads((EVENTS / ("http_api_jwt.json" if sub else "http_api_public.json")).read_text())
        )
        event["routeKey"] = event["requestContext"]["routeKey"] = f"{method} {path}"
        event["rawPath"] = event["requestContext"]["http"]["path"] = path.format(**(path_parameters or {}))
        event["requestContext"]["http"]["method"] = method
        event["pathParameters"] = path_parameters or {}
        event["headers"].update(headers or {})
        if body is not None:
            event["headers"]["content-type"] = "application/json"
            event["body"] = json.dumps(body)
        if sub:
            event["requestContext"]["authorizer"]["jwt"]["claims"]["sub"] = sub
        response = self.handlers[function](event, LambdaContext(function, 1024, 29))
        payload = json.loads(response["body"]) if response.get("body") else None
        return response["statusCode"], payload


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for key in ("AWS_ENDPOINT_URL",):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_REGION", REGION)
    with mock_aws():
        yield


@pytest.fixture
def lambdas(aws: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[Functions]:
    template = load_template(ROOT / "template.yaml")
    provisioner = Provisioner(template, parameter_values(template), boto3.client)
    resources = provisioner.provision_all()
    specs = functions(template, provisioner.resolver, ROOT)
    for key, value in merged_environment(specs).items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    get_container.cache_clear()
    yield Functions({logical_id: load_handler(spec) for logical_id, spec in specs.items()}, resources)
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
        return body

    return _register
