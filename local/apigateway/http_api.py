"""The HTTP API as API Gateway serves it: routes and authorizers from template.yaml, payload format 2.0 events."""

from __future__ import annotations

import base64
import json
import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from local.cloudwatch.metrics import ApiMetrics
from local.markdown import markdown_html, markdown_inline
from local.template import ACCOUNT_ID, REGION, HttpAuthorizer, HttpRoute

log = logging.getLogger("local")

Invoke = Callable[[str, dict[str, Any]], Awaitable[Any]]


class LambdaAuthorizer:
    """Runs an HTTP API's Lambda authorizer as API Gateway does: no identity source → 401 without a call; else the
    function gets the payload 2.0 REQUEST event, its simple response {isAuthorized, context} is cached by the
    identity source's values for the template's TTL (refusals too), false → 403, anything malformed → 500."""

    def __init__(self, spec: HttpAuthorizer, invoke: Invoke, clock: Callable[[], float] = time.monotonic) -> None:
        self.spec = spec
        self.invoke = invoke
        self.clock = clock
        self._cache: dict[tuple[str, ...], tuple[float, dict[str, Any]]] = {}

    async def authorize(self, event: Mapping[str, Any]) -> Response | dict[str, Any]:
        """The context to hand to the integration, or the response that refuses the request."""
        headers = event.get("headers", {})
        identity = tuple(str(headers.get(name.lower(), "")) for name in self.spec.identity_headers)
        if not all(identity):
            return JSONResponse({"message": "Unauthorized"}, status_code=401)
        now = self.clock()
        cached = self._cache.get(identity)
        if cached is not None and cached[0] > now:
            answer = cached[1]
        else:
            try:
                answer = _simple_response(await self.invoke(self.spec.function, _authorizer_event(event, identity)))
            except Exception:
                log.exception("%s failed", self.spec.function)
                return JSONResponse({"message": "Internal Server Error"}, status_code=500)
            if self.spec.ttl_seconds:
                self._cache = {key: entry for key, entry in self._cache.items() if entry[0] > now}
                self._cache[identity] = (now + self.spec.ttl_seconds, answer)
        if not answer["isAuthorized"]:
            return JSONResponse({"message": "Forbidden"}, status_code=403)
        return dict(answer.get("context") or {})


def _authorizer_event(event: Mapping[str, Any], identity: Sequence[str]) -> dict[str, Any]:
    """The REQUEST authorizer's event (payload 2.0): the request's event without its body, with the route's ARN
    and the identity source's values."""
    context = event["requestContext"]
    route_arn = (
        f"arn:aws:execute-api:{REGION}:{ACCOUNT_ID}:{context['apiId']}/{context['stage']}/"
        f"{context['http']['method']}{context['http']['path']}"
    )
    kept = {key: value for key, value in event.items() if key not in ("body", "isBase64Encoded")}
    return {**kept, "type": "REQUEST", "routeArn": route_arn, "identitySource": list(identity)}


def _simple_response(answer: Any) -> dict[str, Any]:
    if not (isinstance(answer, dict) and isinstance(answer.get("isAuthorized"), bool)):
        raise ValueError(f"not a simple authorizer response: {answer!r}")
    if not isinstance(answer.get("context", {}), dict):
        raise ValueError("an authorizer's context must be an object")
    return answer


@dataclass(frozen=True)
class CompiledRoute:
    route: HttpRoute
    pattern: re.Pattern[str]
    specificity: tuple[int, int]

    @classmethod
    def of(cls, route: HttpRoute) -> CompiledRoute:
        parts = []
        for segment in route.path.strip("/").split("/"):
            if segment.startswith("{") and segment.endswith("+}"):
                parts.append(f"(?P<{segment[1:-2]}>.+)")
            elif segment.startswith("{") and segment.endswith("}"):
                parts.append(f"(?P<{segment[1:-1]}>[^/]+)")
            else:
                parts.append(re.escape(segment))
        literal = sum(1 for segment in route.path.split("/") if segment and not segment.startswith("{"))
        # API Gateway prefers the most specific route: more literal segments, then no greedy variable.
        return cls(route, re.compile("^/" + "/".join(parts) + "$"), (literal, "+}" not in route.path))


def _is_text(content_type: str) -> bool:
    return content_type.startswith("text/") or any(
        kind in content_type for kind in ("json", "xml", "javascript", "x-www-form-urlencoded")
    )


def _event_body(raw: bytes, content_type: str) -> tuple[str | None, bool]:
    """The event's body and isBase64Encoded: text as it came, anything else (or text that is not UTF-8)
    base64-encoded, as API Gateway passes it."""
    if not raw:
        return None, False
    if _is_text(content_type):
        try:
            return raw.decode(), False
        except UnicodeDecodeError:
            pass
    return base64.b64encode(raw).decode(), True


class HttpGateway:
    """Matches a request to a template route, authorizes it, and turns it into the Lambda proxy event. `cors`: each
    HTTP API's CorsConfiguration, by logical id (API Gateway answers a preflight itself, by the API of the path)."""

    def __init__(
        self,
        routes: Sequence[HttpRoute],
        authorizers: Mapping[str, LambdaAuthorizer],
        invoke: Invoke,
        cors: Mapping[str, Mapping[str, Any]] | None = None,
        metrics: ApiMetrics | None = None,
    ) -> None:
        self.routes = sorted((CompiledRoute.of(route) for route in routes), key=lambda r: r.specificity, reverse=True)
        self.authorizers = authorizers
        self.invoke = invoke
        self.cors = cors or {}
        self.metrics = metrics

    def _api(self, path: str) -> str | None:
        """The API whose routes hold `path` (any method)."""
        return next((compiled.route.api for compiled in self.routes if compiled.pattern.match(path)), None)

    def _cors(self, path: str) -> Mapping[str, Any]:
        """The CORS configuration of the API whose routes hold `path` (any method)."""
        api = self._api(path)
        return self.cors.get(api, {}) if api else {}

    def match(self, method: str, path: str) -> tuple[HttpRoute, dict[str, str]] | None:
        for compiled in self.routes:
            if compiled.route.method not in (method, "ANY"):
                continue
            found = compiled.pattern.match(path)
            if found:
                return compiled.route, found.groupdict()
        return None

    async def __call__(self, request: Request) -> Response:
        started = time.perf_counter()
        # API Gateway names each request; the function's logs carry it (correlation_id), and so does the response.
        request_id = uuid.uuid4().hex
        response = await self._respond(request, request_id)
        response.headers["apigw-requestid"] = request_id
        self._add_cors(request, response)
        latency_ms = (time.perf_counter() - started) * 1000
        # The path as sent, percent-encoded again: a decoded %0A must not start a line of its own in the log.
        path = quote(request.url.path, safe="/:@!$&'()*+,;=~")
        log.info("%s %s -> %s (%.0f ms)", request.method, path, response.status_code, latency_ms)
        route: HttpRoute | None = getattr(request.state, "route", None)
        # A path no route holds belongs to no API known here (each API has its own domain in AWS): not counted.
        api = route.api if route else self._api(request.url.path)
        if self.metrics and api:
            route_key = f"{route.method} {route.path}" if route else None
            integration_ms = getattr(request.state, "integration_ms", None)
            self.metrics.request(api, route_key, response.status_code, latency_ms, integration_ms)
        return response

    async def _respond(self, request: Request, request_id: str) -> Response:
        if (
            request.method == "OPTIONS"
            and self._cors(request.url.path)
            and "access-control-request-method" in request.headers
        ):
            return Response(status_code=204)
        matched = self.match(request.method, request.url.path)
        if matched is None:
            return JSONResponse({"message": "Not Found"}, status_code=404)
        route, path_parameters = matched
        request.state.route = route
        event = await self.event(request, route, path_parameters, request_id)
        if route.authorizer is not None:
            verdict = await self.authorizers[route.authorizer].authorize(event)
            if isinstance(verdict, Response):
                return verdict
            event["requestContext"]["authorizer"] = {"lambda": verdict}
        invoked = time.perf_counter()
        try:
            result = await self.invoke(route.function, event)
        except Exception:
            log.exception("%s raised", route.function)
            return JSONResponse({"message": "Internal Server Error"}, status_code=500)
        finally:
            request.state.integration_ms = (time.perf_counter() - invoked) * 1000
        return _http_response(result)

    async def event(
        self,
        request: Request,
        route: HttpRoute,
        path_parameters: dict[str, str],
        request_id: str,
    ) -> dict[str, Any]:
        """The API Gateway HTTP API payload format 2.0 event for this request."""
        raw = await request.body()
        headers: dict[str, str] = {}
        for key, value in request.headers.items():
            headers[key] = f"{headers[key]},{value}" if key in headers else value
        query: dict[str, str] = {}
        for key, value in request.query_params.multi_items():
            query[key] = f"{query[key]},{value}" if key in query else value
        body, encoded = _event_body(raw, headers.get("content-type", "application/json"))
        now = datetime.now(UTC)
        route_key = f"{route.method} {route.path}"
        event: dict[str, Any] = {
            "version": "2.0",
            "routeKey": route_key,
            "rawPath": request.url.path,
            "rawQueryString": request.url.query,
            "headers": headers,
            "requestContext": {
                "accountId": ACCOUNT_ID,
                "apiId": "local",
                "domainName": request.url.hostname or "localhost",
                "domainPrefix": (request.url.hostname or "localhost").split(".")[0],
                "http": {
                    "method": request.method,
                    "path": request.url.path,
                    "protocol": "HTTP/1.1",
                    "sourceIp": request.client.host if request.client else "127.0.0.1",
                    "userAgent": headers.get("user-agent", ""),
                },
                "requestId": request_id,
                "routeKey": route_key,
                "stage": "$default",
                "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
                "timeEpoch": int(now.timestamp() * 1000),
            },
            "isBase64Encoded": encoded,
        }
        if request.cookies:
            event["cookies"] = [f"{key}={value}" for key, value in request.cookies.items()]
        if query:
            event["queryStringParameters"] = query
        if path_parameters:
            event["pathParameters"] = path_parameters
        if body is not None:
            event["body"] = body
        return event

    def _add_cors(self, request: Request, response: Response) -> None:
        origin = request.headers.get("origin")
        cors = self._cors(request.url.path)
        allowed = cors.get("AllowOrigins", [])
        if not origin or not ("*" in allowed or origin in allowed):
            return
        response.headers["access-control-allow-origin"] = "*" if "*" in allowed else origin
        if cors.get("ExposeHeaders") and request.method != "OPTIONS":
            response.headers["access-control-expose-headers"] = ",".join(cors["ExposeHeaders"])
        if request.method == "OPTIONS":
            response.headers["access-control-allow-methods"] = ",".join(cors.get("AllowMethods", []))
            response.headers["access-control-allow-headers"] = ",".join(cors.get("AllowHeaders", []))
            response.headers["access-control-max-age"] = str(cors.get("MaxAge", 0))


def _http_response(result: Any) -> Response:
    """A Lambda result in payload format 2.0 as the HTTP response API Gateway would send."""
    if not (isinstance(result, dict) and "statusCode" in result):
        # Without a statusCode, API Gateway treats the whole result as a 200 JSON body.
        return JSONResponse(result)
    body = result.get("body") or ""
    content = base64.b64decode(body) if result.get("isBase64Encoded") else body.encode()
    response = Response(content=content, status_code=int(result["statusCode"]))
    for key, value in (result.get("headers") or {}).items():
        response.headers[key] = str(value)
    for key, values in (result.get("multiValueHeaders") or {}).items():
        for value in values:
            response.headers.append(key, str(value))
    for cookie in result.get("cookies") or []:
        response.headers.append("set-cookie", cookie)
    return response


class ApiDocs:
    """The API's contract as `make run` serves it: the committed shared/openapi.json at /openapi.json, and at /docs
    a plain page listing every operation (Swagger UI would need scripts from the internet)."""

    def __init__(self, document: Path) -> None:
        self.document = document

    async def openapi(self, _: Request) -> Response:
        return Response(self.document.read_bytes(), media_type="application/json")

    async def docs(self, _: Request) -> Response:
        return HTMLResponse(docs_page(json.loads(self.document.read_text())))


def _schema_name(schema: Mapping[str, Any]) -> str:
    """A schema as a reader names its type: a component's name, `string | null`, `list of X`, `"a" | "b"`."""
    if "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    if "const" in schema:
        return json.dumps(schema["const"])
    if "enum" in schema:
        return " | ".join(json.dumps(value) for value in schema["enum"])
    for union in ("anyOf", "oneOf"):
        if union in schema:
            return " | ".join(_schema_name(option) for option in schema[union])
    if schema.get("type") == "array":
        return f"list of {_schema_name(schema.get('items', {}))}"
    if schema.get("type") == "object" and isinstance(schema.get("additionalProperties"), Mapping):
        return f"map of {_schema_name(schema['additionalProperties'])}"
    return str(schema.get("type", "any"))


# A schema's constraints as a reader states them.
_CONSTRAINTS = (
    ("minLength", "at least {} characters"),
    ("maxLength", "at most {} characters"),
    ("minimum", "≥ {}"),
    ("exclusiveMinimum", "> {}"),
    ("maximum", "≤ {}"),
    ("exclusiveMaximum", "< {}"),
    ("minItems", "at least {} items"),
    ("maxItems", "at most {} items"),
    ("pattern", "matches <code>{}</code>"),
)


def _number(value: Any) -> str:
    """A bound as written: 1, not 1.0."""
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def _constraints(schema: Mapping[str, Any]) -> list[str]:
    options = [schema, *schema.get("anyOf", []), *schema.get("oneOf", [])]
    return [
        "not empty" if (key, option[key]) == ("minLength", 1) else template.format(escape(_number(option[key])))
        for option in options
        for key, template in _CONSTRAINTS
        if key in option
    ]


def _fields(schema: Mapping[str, Any], components: Mapping[str, Any]) -> str:
    """A request body's (or a response's) fields: a table of each field's name, type, whether it is required, its
    default and constraints; each variant of a union, under its own name."""
    if "$ref" in schema:
        name = _schema_name(schema)
        return _fields(components.get(name, {}), components)
    variants = schema.get("oneOf") or schema.get("anyOf")
    if variants:
        return "".join(
            f"<h4><code>{escape(_schema_name(variant))}</code></h4>" + _fields(variant, components)
            for variant in variants
            if variant.get("type") != "null"
        )
    properties: Mapping[str, Any] = schema.get("properties", {})
    if not properties:
        return ""
    required = set(schema.get("required", []))
    rows = []
    for name, field in properties.items():
        notes = _constraints(field)
        if "default" in field and field["default"] is not None:
            notes.insert(0, f"default <code>{escape(json.dumps(field['default']))}</code>")
        description = markdown_inline(field["description"]) + " " if field.get("description") else ""
        rows.append(
            f"<tr><td><code>{escape(name)}</code></td><td><code>{escape(_schema_name(field))}</code></td>"
            f"<td>{'required' if name in required else 'optional'}</td>"
            f"<td>{description}{'; '.join(notes)}</td></tr>"
        )
    return (
        "<div class='fields' role='region' tabindex='0' aria-label='Fields'><table><thead><tr>"
        "<th scope='col'>Field</th><th scope='col'>Type</th><th scope='col'>Presence</th><th scope='col'>Notes</th>"
        f"</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
    )


def _json_schema(part: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The JSON schema of a request body or response, if it has one."""
    schema = part.get("content", {}).get("application/json", {}).get("schema")
    return dict(schema) if schema else None


def _slug(method: str, path: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", f"{method} {path}".lower()).strip("-")


def _error_meanings(document: Mapping[str, Any]) -> dict[str, str]:
    """Each error status with the meaning most routes give it: stated once at the top, not under every route."""
    seen: dict[str, dict[str, int]] = {}
    for operations in document["paths"].values():
        for operation in operations.values():
            for status, response in operation.get("responses", {}).items():
                if status >= "400":
                    counts = seen.setdefault(status, {})
                    description = response.get("description", "")
                    counts[description] = counts.get(description, 0) + 1
    return {status: max(counts, key=counts.__getitem__) for status, counts in sorted(seen.items())}


def docs_page(document: Mapping[str, Any]) -> str:
    """Every operation of an OpenAPI document as one HTML page: its description, parameters, the fields of its body,
    its answer, and the errors it may give (their meanings stated once, at the top, where they are the same)."""
    components: Mapping[str, Any] = document.get("components", {}).get("schemas", {})
    errors = _error_meanings(document)
    contents, sections = [], []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            slug = _slug(method, path)
            title = f"{method.upper()} {path}"
            contents.append(f"<li><a href='#{slug}'><code>{escape(title)}</code></a></li>")
            parameters = "".join(
                f"<li><code>{escape(p['name'])}</code> ({escape(p['in'])}, {escape(_schema_name(p.get('schema', {})))}"
                f"{', required' if p.get('required') else ''}) "
                f"{markdown_inline(p.get('description', ''))}</li>"
                for p in operation.get("parameters", [])
            )
            body = _json_schema(operation.get("requestBody", {}))
            answers, refusals = [], []
            for status, response in operation.get("responses", {}).items():
                description = response.get("description", "")
                if status >= "400":
                    own = "" if description == errors.get(status) else f": {markdown_inline(description)}"
                    refusals.append(f"<li><a href='#error-{escape(status)}'>{escape(status)}</a>{own}</li>")
                    continue
                schema = _json_schema(response)
                shown = "" if description == "Successful Response" else markdown_html(description)
                answers.append(
                    f"<li><b>{escape(status)}</b>"
                    + (f" <code>{escape(_schema_name(schema))}</code>" if schema else "")
                    + shown
                    + (
                        f"<details><summary>Its fields</summary>{fields}</details>"
                        if schema and (fields := _fields(schema, components))
                        else ""
                    )
                    + "</li>"
                )
            lock = " <span class='lock'>(needs a token or API key)</span>" if operation.get("security") else ""
            sections.append(
                f"<section id='{slug}' aria-labelledby='{slug}-title'>"
                f"<h2 id='{slug}-title'><code>{escape(title)}</code>{lock}</h2>"
                + markdown_html(operation.get("description") or operation.get("summary", ""))
                + (f"<h3>Parameters</h3><ul>{parameters}</ul>" if parameters else "")
                + (
                    f"<h3>Body: <code>{escape(_schema_name(body))}</code></h3>{_fields(body, components)}"
                    if body
                    else ""
                )
                + f"<h3>Answer</h3><ul>{''.join(answers)}</ul>"
                + (f"<h3>Errors</h3><ul class='errors'>{''.join(refusals)}</ul>" if refusals else "")
                + "</section>"
            )
    info = document.get("info", {})
    name = escape(info.get("title", "API"))
    error_list = "".join(
        f"<dt id='error-{escape(status)}'>{escape(status)}</dt><dd>{markdown_html(meaning)}</dd>"
        for status, meaning in errors.items()
    )
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{name} API reference</title>"
        "<style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:auto;padding:1rem;line-height:1.45}"
        "section{border-top:1px solid #ccc}h2{font-size:1.1rem;overflow-wrap:anywhere}"
        "h3{font-size:.95rem;margin-bottom:.2rem}h4{font-size:.9rem;margin:.6rem 0 .2rem}"
        "code{background:#f1f3f5;padding:0 .2em;border-radius:3px;overflow-wrap:anywhere}"
        ".fields{overflow-x:auto}table{border-collapse:collapse}th,td{text-align:left;vertical-align:top;"
        "padding:.25rem .5rem;border-bottom:1px solid #ddd}dt{font-weight:700}.lock{font-size:.85rem;color:#444}"
        "ul.errors{display:flex;flex-wrap:wrap;gap:.25rem 1.25rem;list-style:none;padding:0}</style>"
        f"</head><body><main><h1>{name} API v{escape(str(info.get('version', '')))}</h1>"
        + markdown_html(info.get("description", ""))
        + "<p>The machine-readable document: <a href='/openapi.json'>/openapi.json</a>. Send a token or an API key as "
        "<code>Authorization: Bearer …</code>.</p>"
        + f"<nav aria-labelledby='operations'><h2 id='operations'>Operations</h2><ul>{''.join(contents)}</ul></nav>"
        + f"<section aria-labelledby='errors'><h2 id='errors'>Errors</h2><p>What each error status means; an "
        f"operation lists those it may give.</p><dl>{error_list}</dl></section>"
        + "".join(sections)
        + "</main></body></html>"
    )
