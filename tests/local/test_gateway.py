"""The gateway serves what the template declares, and authorizes as API Gateway runs a Lambda authorizer."""

from __future__ import annotations

import asyncio
import base64
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route
from starlette.testclient import TestClient

from local.__main__ import server_config
from local.apigateway.http_api import HttpGateway, LambdaAuthorizer, docs_page
from local.markdown import markdown_html
from local.stack.stack import LocalStack
from local.template import HttpAuthorizer, HttpRoute

ECHO_HANDLER = """
import json

def handler(event, context):
    return {
        "statusCode": 200,
        "headers": {"content-type": "application/json"},
        "body": json.dumps({"route": event["routeKey"], "params": event.get("pathParameters"),
                            "query": event.get("queryStringParameters"), "function": context.function_name,
                            "body": event.get("body"), "base64": event["isBase64Encoded"],
                            "source_ip": event["requestContext"]["http"]["sourceIp"]}),
    }
"""
# A JSON route as Parley's functions serve them: FastAPI under Mangum, with Parley's error handling.
WORDS_HANDLER = """
from fastapi import APIRouter
from pydantic import BaseModel
from parley.api import build_app
from parley.observability import lambda_entry

router = APIRouter()


class Word(BaseModel):
    word: str


@router.post("/words")
def add(body: Word) -> dict:
    return {"added": body.word}


handler = lambda_entry(build_app(router))
"""


def _template(routes: str) -> str:
    return textwrap.dedent(
        """
        AWSTemplateFormatVersion: "2010-09-09"
        Transform: AWS::Serverless-2016-10-31
        Resources:
          Api:
            Type: AWS::Serverless::HttpApi
          EchoFunction:
            Type: AWS::Serverless::Function
            Properties:
              CodeUri: echo/
              Handler: app.handler
              Runtime: python3.12
              Events:
        """
    ) + textwrap.indent(textwrap.dedent(routes), " " * 8)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "echo").mkdir()
    (tmp_path / "echo" / "app.py").write_text(ECHO_HANDLER)
    return tmp_path


def _serve(root: Path) -> Any:
    stack = LocalStack(root)
    return stack, TestClient(stack.start())


def test_route_added_to_the_template_is_served(project: Any) -> None:
    # Given a template with one route
    route = """
    Words:
      Type: HttpApi
      Properties:
        ApiId: !Ref Api
        Path: /words/{word}
        Method: GET
    """
    (project / "template.yaml").write_text(_template(route))
    stack, client = _serve(project)
    try:
        assert client.get("/letters/a").status_code == 404
    finally:
        stack.stop()

    # When a route is added to the template alone
    added = (
        route
        + """
    Letters:
      Type: HttpApi
      Properties:
        ApiId: !Ref Api
        Path: /letters/{letter}
        Method: GET
    """
    )
    (project / "template.yaml").write_text(_template(added))
    stack, client = _serve(project)
    try:
        response = client.get("/letters/b?x=1&x=2")
    finally:
        stack.stop()

    # Then the gateway serves it with the event API Gateway would send
    assert response.status_code == 200
    assert response.json() == {
        "route": "GET /letters/{letter}",
        "params": {"letter": "b"},
        "query": {"x": "1,2"},
        "function": "EchoFunction",
        "body": None,
        "base64": False,
        "source_ip": "testclient",
    }


BODIES_TEMPLATE = _template(
    """
    Echo:
      Type: HttpApi
      Properties:
        ApiId: !Ref Api
        Path: /echo
        Method: ANY
    """
) + textwrap.indent(
    textwrap.dedent(
        """
        WordsFunction:
          Type: AWS::Serverless::Function
          Properties:
            CodeUri: words/
            Handler: app.handler
            Runtime: python3.12
            Events:
              Words:
                Type: HttpApi
                Properties:
                  ApiId: !Ref Api
                  Path: /words
                  Method: POST
        """
    ),
    "  ",
)


@pytest.fixture(scope="module")
def bodies_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LocalStack, Starlette]]:
    root = tmp_path_factory.mktemp("bodies")
    for folder, handler in (("echo", ECHO_HANDLER), ("words", WORDS_HANDLER)):
        (root / folder).mkdir()
        (root / folder / "app.py").write_text(handler)
    (root / "template.yaml").write_text(BODIES_TEMPLATE)
    stack = LocalStack(root, data_dir=root / "data")
    app = stack.start()
    yield stack, app
    stack.stop()


@pytest.mark.parametrize(
    ("content_type", "data", "as_text"),
    [
        ("application/json", b'{"word": "llama"}', True),
        ("text/plain; charset=utf-8", "Lamas sind großartig".encode(), True),
        ("application/json", b'{"word": "\xff\xfe"}', False),  # claims to be text, is not UTF-8
        ("image/png", b"\x89PNG\r\n\x1a\n", False),
    ],
)
def test_body_reaches_the_function_as_text_or_base64_encoded(
    bodies_stack: Any, content_type: Any, data: Any, as_text: Any
) -> None:
    # When a body is posted
    _, app = bodies_stack
    response = TestClient(app).post("/echo", content=data, headers={"content-type": content_type})

    # Then the function gets text as it came, anything else base64-encoded with isBase64Encoded, as API Gateway does
    assert response.status_code == 200
    event = response.json()
    assert event["base64"] is not as_text
    assert event["body"] == (data.decode() if as_text else base64.b64encode(data).decode())


def test_a_body_that_is_not_utf8_to_a_json_route_is_a_client_error(bodies_stack: Any) -> None:
    _, app = bodies_stack
    client = TestClient(app)

    response = client.post("/words", content=b'{"word": "\xff\xfe"}', headers={"content-type": "application/json"})

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_request"
    assert client.post("/words", json={"word": "llama"}).json() == {"added": "llama"}


def test_forwarding_headers_do_not_change_the_source_ip(bodies_stack: Any) -> None:
    # Given the stack served as `make run` serves it
    _, app = bodies_stack
    server = uvicorn.Server(server_config(app, "127.0.0.1", 0))  # a port of its own, which no other process can take
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.05)
        port = server.servers[0].sockets[0].getsockname()[1]

        # When a client claims to forward for another address
        response = httpx.get(
            f"http://127.0.0.1:{port}/echo",
            headers={"x-forwarded-for": "203.0.113.7", "forwarded": "for=203.0.113.7", "x-real-ip": "203.0.113.7"},
        )
    finally:
        server.should_exit = True
        thread.join(timeout=10)

    # Then sourceIp is still the address the connection came from
    assert response.json()["source_ip"] == "127.0.0.1"


AUTHORIZER_HANDLER = """
calls = 0


def handler(event, context):
    global calls
    calls += 1
    token = event["headers"]["authorization"]
    return {"isAuthorized": token != "Bearer no", "context": {"calls": calls, "type": event["type"],
            "identity": event["identitySource"], "route_arn": event["routeArn"], "has_body": "body" in event}}
"""
CONTEXT_HANDLER = """
import json

def handler(event, context):
    return {"statusCode": 200, "body": json.dumps(event["requestContext"]["authorizer"])}
"""
AUTHORIZED_TEMPLATE = textwrap.dedent(
    """
    AWSTemplateFormatVersion: "2010-09-09"
    Transform: AWS::Serverless-2016-10-31
    Resources:
      Api:
        Type: AWS::Serverless::HttpApi
        Properties:
          Auth:
            DefaultAuthorizer: Gate
            Authorizers:
              Gate:
                FunctionArn: !GetAtt GateFunction.Arn
                AuthorizerPayloadFormatVersion: "2.0"
                EnableSimpleResponses: true
                Identity:
                  Headers: [Authorization]
                  ReauthorizeEvery: 300
      GateFunction:
        Type: AWS::Serverless::Function
        Properties:
          CodeUri: gate/
          Handler: app.handler
          Runtime: python3.12
      ContextFunction:
        Type: AWS::Serverless::Function
        Properties:
          CodeUri: context/
          Handler: app.handler
          Runtime: python3.12
          Events:
            Private:
              Type: HttpApi
              Properties:
                ApiId: !Ref Api
                Path: /private/{item}
                Method: POST
    """
)


def test_lambda_authorizer_of_the_template_runs_as_api_gateway_runs_it(tmp_path: Path) -> None:
    # Given a template whose API has a Lambda authorizer (payload 2.0, simple responses, cached 300 s)
    for folder, code in (("gate", AUTHORIZER_HANDLER), ("context", CONTEXT_HANDLER)):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "app.py").write_text(code)
    (tmp_path / "template.yaml").write_text(AUTHORIZED_TEMPLATE)
    stack, client = _serve(tmp_path)
    try:
        # When requests come without the identity header, refused by the function, and allowed (twice, then with
        # another header)
        missing = client.post("/private/a", json={"x": 1})
        refused = client.post("/private/a", headers={"authorization": "Bearer no"})
        first = client.post("/private/a", headers={"authorization": "Bearer yes"}, json={"x": 1})
        again = client.post("/private/b", headers={"authorization": "Bearer yes"})
        other = client.post("/private/a", headers={"authorization": "Bearer other"})
    finally:
        stack.stop()

    # Then no header is a 401 without a call, a refusal a 403, and the function's context reaches the route as
    # requestContext.authorizer.lambda; the answer is cached by the header (a second call only for another header)
    assert (missing.status_code, missing.json()) == (401, {"message": "Unauthorized"})
    assert (refused.status_code, refused.json()) == (403, {"message": "Forbidden"})
    assert first.status_code == 200
    context = first.json()["lambda"]
    assert context["calls"] == 2
    assert (context["type"], context["identity"], context["has_body"]) == ("REQUEST", ["Bearer yes"], False)
    assert context["route_arn"].endswith("/$default/POST/private/a")
    assert again.json()["lambda"]["calls"] == 2
    assert other.json()["lambda"]["calls"] == 3


class _Invocations:
    def __init__(self, *answers: object) -> None:
        self.answers = list(answers)
        self.events: list[dict[str, Any]] = []

    async def __call__(self, function: str, event: dict[str, Any]) -> object:
        self.events.append(event)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def _request_event(authorization: str) -> dict[str, Any]:
    return {
        "headers": {"authorization": authorization},
        "body": "{}",
        "isBase64Encoded": False,
        "requestContext": {"apiId": "local", "stage": "$default", "http": {"method": "GET", "path": "/x"}},
    }


def test_lambda_authorizer_answers_expire_after_the_ttl() -> None:
    # Given an authorizer cached for 300 s, on a clock the test moves
    now = [1000.0]
    invoke = _Invocations({"isAuthorized": True, "context": {"n": 1}}, {"isAuthorized": False})
    authorizer = LambdaAuthorizer(HttpAuthorizer("Gate", ("Authorization",), 300), invoke, clock=lambda: now[0])

    # When the same header comes within the TTL, and again after it
    first = asyncio.run(authorizer.authorize(_request_event("Bearer a")))
    now[0] += 299
    cached = asyncio.run(authorizer.authorize(_request_event("Bearer a")))
    now[0] += 2
    expired = asyncio.run(authorizer.authorize(_request_event("Bearer a")))

    # Then the function is asked again only once the answer expired
    assert first == cached == {"n": 1}
    assert isinstance(expired, Response)
    assert expired.status_code == 403
    assert len(invoke.events) == 2


@pytest.mark.parametrize("answer", [RuntimeError("crashed"), {"allow": True}, {"isAuthorized": "yes"}, None])
def test_lambda_authorizer_failure_or_malformed_answer_is_a_500(answer: Any) -> None:
    authorizer = LambdaAuthorizer(HttpAuthorizer("Gate", ("Authorization",), 0), _Invocations(answer))

    refused = asyncio.run(authorizer.authorize(_request_event("Bearer a")))

    assert isinstance(refused, Response)
    assert refused.status_code == 500


def test_each_api_answers_browsers_by_its_own_cors_configuration() -> None:
    # Given an owners' API open to the console's origin only and a visitors' API open to every origin
    async def invoke(function: str, event: dict[str, Any]) -> dict[str, Any]:
        return {"statusCode": 200, "body": function}

    gateway = HttpGateway(
        [
            HttpRoute("GET", "/chatbots", "Owners", None, api="OwnersApi"),
            HttpRoute("GET", "/public/chatbots/{key}", "Visitors", None, api="VisitorsApi"),
        ],
        {},
        invoke,
        {
            "OwnersApi": {
                "AllowOrigins": ["https://console.example"],
                "AllowMethods": ["GET"],
                "ExposeHeaders": ["content-disposition"],
            },
            "VisitorsApi": {"AllowOrigins": ["*"], "AllowMethods": ["GET", "POST"], "AllowHeaders": ["content-type"]},
        },
    )
    client = TestClient(Starlette(routes=[Route("/{path:path}", gateway.__call__, methods=["GET", "OPTIONS"])]))
    shop = {"Origin": "https://shop.example"}
    preflight = {**shop, "Access-Control-Request-Method": "GET"}

    # Then a customer's site may read the visitors' API, preflight included
    visitor = client.get("/public/chatbots/pk_1", headers=shop)
    assert (visitor.text, visitor.headers["access-control-allow-origin"]) == ("Visitors", "*")
    answered = client.options("/public/chatbots/pk_1", headers=preflight)
    assert answered.status_code == 204
    assert answered.headers["access-control-allow-methods"] == "GET,POST"
    # but not the owners' one, which only the console's origin may read
    assert "access-control-allow-origin" not in client.get("/chatbots", headers=shop).headers
    assert "access-control-allow-origin" not in client.options("/chatbots", headers=preflight).headers
    console = client.get("/chatbots", headers={"Origin": "https://console.example"})
    assert console.headers["access-control-allow-origin"] == "https://console.example"
    # and which lets it read the headers the configuration exposes (an export's file name), as API Gateway does
    assert console.headers["access-control-expose-headers"] == "content-disposition"
    assert "access-control-expose-headers" not in visitor.headers


def test_descriptions_markdown_is_rendered_and_its_text_escaped() -> None:
    html = markdown_html("Send `Bearer sk_…` **once**; see [the list](/openapi.json).\n\n<script>x</script>")

    assert html == (
        '<p>Send <code>Bearer sk_…</code> <strong>once</strong>; see <a href="/openapi.json">the list</a>.</p>'
        "<p>&lt;script&gt;x&lt;/script&gt;</p>"
    )


def _documented(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": {"$ref": "#/x/Refusal"}}}}


def test_the_docs_page_shows_a_bodys_fields_and_states_a_shared_error_meaning_once() -> None:
    # Given operations answering 400 with the same meaning, and 404 with a usual meaning but for one
    body = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Create"}}}}
    document = {
        "info": {"title": "Shop", "version": "1", "description": "Lists come in `pages`."},
        "paths": {
            "/things": {
                "post": {
                    "description": "Make a **thing**.",
                    "requestBody": body,
                    "responses": {"201": {"description": "Successful Response"}, "400": _documented("Bad input")},
                }
            },
            "/things/{id}": {
                "get": {"responses": {"400": _documented("Bad input"), "404": _documented("Not found")}},
                "put": {"responses": {"404": _documented("Not found")}},
                "delete": {"responses": {"404": _documented("No such `thing`")}},
            },
        },
        "components": {
            "schemas": {
                "Create": {
                    "type": "object",
                    "required": ["name"],
                    "properties": {
                        "name": {"type": "string", "minLength": 1, "maxLength": 100},
                        "size": {"anyOf": [{"type": "integer", "maximum": 9.0}, {"type": "null"}], "default": 3},
                    },
                }
            }
        },
    }

    # When the page is drawn
    page = docs_page(document)

    # Then the body's fields are listed with their types, presence, defaults and bounds; descriptions are rendered
    assert "<td><code>name</code></td><td><code>string</code></td><td>required</td><td>not empty; at most 100" in page
    assert "<td><code>size</code></td><td><code>integer | null</code></td><td>optional</td>" in page
    assert "default <code>3</code>; ≤ 9" in page
    assert "<p>Make a <strong>thing</strong>.</p>" in page
    assert "Lists come in <code>pages</code>." in page
    # And the usual meanings are written once (at the top), each operation linking its status there; the one 404 of
    # another meaning says it
    assert (page.count("Bad input"), page.count("Not found")) == (1, 1)
    assert page.count("<a href='#error-400'>400</a></li>") == 2
    assert page.count("<a href='#error-404'>404</a></li>") == 2
    assert "<a href='#error-404'>404</a>: No such <code>thing</code></li>" in page
