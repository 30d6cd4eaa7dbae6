"""shared/openapi.json is the routers' own description, current, with every error a route can answer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from parley.api.openapi import openapi_document, render, websocket_schema

from local.stack.stack import ROOT

COMMITTED = ROOT / "shared" / "openapi.json"
DOCUMENT = openapi_document()
OPERATIONS = [
    (method.upper(), path, operation)
    for path, operations in DOCUMENT["paths"].items()
    for method, operation in operations.items()
]
ERROR_SCHEMAS = {"#/components/schemas/ErrorBody", "#/components/schemas/Refusal"}


def test_the_committed_document_is_current() -> None:
    assert Path(COMMITTED).read_text() == render(DOCUMENT), "shared/openapi.json is stale: run `make openapi`"


def test_the_committed_websocket_schema_is_current() -> None:
    committed = ROOT / "shared" / "websocket.schema.json"

    assert committed.read_text() == render(websocket_schema()), (
        "shared/websocket.schema.json is stale: run `make openapi`"
    )


def test_every_route_of_the_template_is_documented() -> None:
    from local.template import http_routes, load_template

    routes = {(route.method, route.path) for route in http_routes(load_template(ROOT / "template.yaml"))}

    assert {(method, path) for method, path, _ in OPERATIONS} == routes


@pytest.mark.parametrize(("method", "path", "operation"), OPERATIONS, ids=[f"{m} {p}" for m, p, _ in OPERATIONS])
def test_each_route_documents_the_errors_it_can_answer(method: Any, path: Any, operation: Any) -> None:
    responses = operation["responses"]
    parameters = {parameter["name"]: parameter["in"] for parameter in operation.get("parameters", [])}
    errors = {status for status in responses if status.startswith("4")}

    if operation.get("security"):
        assert "401" in errors
    if any(where == "path" for where in parameters.values()):
        assert "404" in errors
    if "requestBody" in operation or any(where in ("query", "header") for where in parameters.values()):
        assert "422" in errors
    if "requestBody" in operation:
        assert "400" in errors  # a body that is not UTF-8 JSON
    if "cursor" in parameters:
        assert {"400", "422"} <= errors
        assert parameters["limit"] == "query"
    for status in errors:
        schema = responses[status]["content"]["application/json"]["schema"]
        assert schema["$ref"] in ERROR_SCHEMAS, status
    if "429" in errors:
        assert "Retry-After" in responses["429"]["headers"]


def test_every_unbounded_list_is_paged() -> None:
    lists = [
        (path, operation)
        for method, path, operation in OPERATIONS
        if method == "GET" and "200" in operation["responses"]
    ]
    for path, operation in lists:
        reference = operation["responses"]["200"]["content"]["application/json"]["schema"].get("$ref", "")
        properties = DOCUMENT["components"]["schemas"].get(reference.rsplit("/", 1)[-1], {}).get("properties", {})
        if any(value.get("type") == "array" and "maxItems" not in value for value in properties.values()):
            assert "next_cursor" in properties, path
            assert {"limit", "cursor"} <= {parameter["name"] for parameter in operation["parameters"]}, path
