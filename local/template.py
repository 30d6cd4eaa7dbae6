"""template.yaml as the local stack sees it: parameters, conditions, intrinsic functions, functions and routes.

Only the intrinsics the template uses are understood; anything else fails loudly rather than guessing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

REGION = "us-east-1"
ACCOUNT_ID = "123456789012"
STACK_NAME = "parley-local"


class TemplateError(Exception):
    """template.yaml asks for something the local stack cannot stand in for."""


# libyaml's parser where PyYAML was built with it (8x faster on template.yaml than the pure-Python one, paid by every
# tool and test that loads it); the same safe constructors either way.
try:
    from yaml import CSafeLoader as _SafeLoader
except ImportError:  # pragma: no cover - PyYAML without libyaml
    from yaml import SafeLoader as _SafeLoader  # type: ignore[assignment]


class _CfnLoader(_SafeLoader):
    pass


def _intrinsic(loader: yaml.constructor.SafeConstructor, suffix: str, node: yaml.Node) -> dict[str, Any]:
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {"Ref" if suffix == "Ref" else f"Fn::{suffix}": value}


_CfnLoader.add_multi_constructor("!", _intrinsic)


def load_template(path: Path) -> dict[str, Any]:
    """The template as SAM's transform receives it: AWS::LanguageExtensions' loops expanded."""
    with path.open() as handle:
        template: dict[str, Any] = yaml.load(handle, Loader=_CfnLoader)  # noqa: S506 - SafeLoader plus CFN tags
    return expand_language_extensions(template)


LANGUAGE_EXTENSIONS = "AWS::LanguageExtensions"
_FOR_EACH = "Fn::ForEach::"


def expand_language_extensions(template: dict[str, Any]) -> dict[str, Any]:
    """Each `Fn::ForEach` loop replaced by its copies, as the AWS::LanguageExtensions transform does before SAM's.

    A loop (in Conditions, Resources at any depth, Outputs) is `[Identifier, [strings], {OutputKey: OutputValue}]`:
    for each string, the fragment with `${Identifier}` and `&{Identifier}` (non-alphanumerics dropped) replaced in
    every key and string and `Ref: Identifier` by the string; then `Ref` and `Fn::GetAtt` of a `Fn::Sub` that names
    a logical id become plain. Only literal collections are expanded here; a loop without the transform, before it in
    the Transform list, or producing a key twice is refused, as CloudFormation refuses it.
    """
    declared = template.get("Transform", [])
    transforms = [declared] if isinstance(declared, str) else list(declared)
    if LANGUAGE_EXTENSIONS not in transforms:
        if _has_loop(template):
            raise TemplateError(f"Fn::ForEach needs the {LANGUAGE_EXTENSIONS} transform")
        return template
    if transforms[0] != LANGUAGE_EXTENSIONS:
        raise TemplateError(f"{LANGUAGE_EXTENSIONS} must be the first transform (it runs before SAM's)")
    expanded = dict(template)
    for section in ("Conditions", "Resources", "Outputs"):
        if section in expanded:
            expanded[section] = _plain_references(_expand_loops(expanded[section], set(template.get("Parameters", {}))))
    if _has_loop(expanded):
        raise TemplateError("Fn::ForEach is allowed in Conditions, Resources and Outputs only")
    return expanded


def _has_loop(value: Any) -> bool:
    if isinstance(value, list):
        return any(_has_loop(item) for item in value)
    return isinstance(value, dict) and any(
        str(key).startswith(_FOR_EACH) or _has_loop(item) for key, item in value.items()
    )


def _expand_loops(value: Any, parameters: set[str]) -> Any:
    if isinstance(value, list):
        return [_expand_loops(item, parameters) for item in value]
    if not isinstance(value, dict):
        return value
    expanded: dict[str, Any] = {}
    for key, item in value.items():
        copies = _loop_copies(key, item, parameters) if key.startswith(_FOR_EACH) else {key: item}
        for name, copy in copies.items():
            if name in expanded:
                raise TemplateError(f"{key} produces {name}, which is already declared")
            expanded[name] = _expand_loops(copy, parameters)
    return expanded


def _loop_copies(key: str, loop: Any, parameters: set[str]) -> dict[str, Any]:
    if not (isinstance(loop, list) and len(loop) == 3 and isinstance(loop[0], str) and isinstance(loop[2], dict)):
        raise TemplateError(f"{key}: a loop is [identifier, collection, {{output key: output value}}]")
    identifier, collection, fragment = loop
    if not isinstance(collection, list) or not all(isinstance(item, str) for item in collection):
        raise TemplateError(f"{key}: the local stack expands a literal list of strings only")
    if identifier in parameters:
        raise TemplateError(f"{key}: the identifier {identifier} is a parameter's name")
    copies: dict[str, Any] = {}
    for item in collection:
        copy = _substitute(fragment, identifier, item)
        # Nested loops expand with their own items (their keys name both identifiers, so none collide).
        for name, value in _expand_loops(copy, parameters).items():
            if name in copies:
                raise TemplateError(f"{key} produces {name} twice")
            copies[name] = value
    return copies


def _substitute(value: Any, identifier: str, item: str) -> Any:
    if isinstance(value, str):
        alphanumeric = re.sub(r"[^A-Za-z0-9]", "", item)
        return value.replace(f"${{{identifier}}}", item).replace(f"&{{{identifier}}}", alphanumeric)
    if isinstance(value, list):
        return [_substitute(part, identifier, item) for part in value]
    if isinstance(value, dict):
        if value == {"Ref": identifier}:
            return item
        return {_substitute(key, identifier, item): _substitute(part, identifier, item) for key, part in value.items()}
    return value


def _plain_references(value: Any) -> Any:
    """`Ref: {Fn::Sub: Name}` and `Fn::GetAtt: [{Fn::Sub: Name}, Attribute]` as `Ref: Name`, `Fn::GetAtt: [Name, …]`."""
    if isinstance(value, list):
        return [_plain_references(item) for item in value]
    if not isinstance(value, dict):
        return value
    value = {key: _plain_references(item) for key, item in value.items()}
    if len(value) == 1:
        ((name, argument),) = value.items()
        if name == "Ref" and isinstance(argument, dict):
            return {"Ref": _logical_id(argument)}
        if name == "Fn::GetAtt" and isinstance(argument, list) and isinstance(argument[0], dict):
            return {"Fn::GetAtt": [_logical_id(argument[0]), *argument[1:]]}
    return value


def _logical_id(value: dict[str, Any]) -> str:
    text = value.get("Fn::Sub")
    if not isinstance(text, str) or "${" in text:
        raise TemplateError(
            f"the local stack resolves a Ref or Fn::GetAtt of a Fn::Sub of loop identifiers, not {value}"
        )
    return text


_NO_VALUE = object()
_SUB_VARIABLE = re.compile(r"\$\{([^}!][^}]*)\}")

# Resolves a resource's Ref (attribute None) or one of its attributes to its physical value.
ResourceLookup = Callable[[str, str | None], Any]


class Resolver:
    """Evaluates intrinsic functions against parameter values and provisioned resources."""

    def __init__(self, template: Mapping[str, Any], parameters: Mapping[str, Any], resources: ResourceLookup) -> None:
        self.template = template
        self.parameters = parameters
        self.resources = resources

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [item for item in (self.resolve(item) for item in value) if item is not _NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((name, argument),) = value.items()
            if name == "Ref" or name.startswith("Fn::") or name == "Condition":
                return self._intrinsic(name, argument)
        resolved = {key: self.resolve(item) for key, item in value.items()}
        return {key: item for key, item in resolved.items() if item is not _NO_VALUE}

    def condition(self, name: str) -> bool:
        return bool(self.resolve(self.template["Conditions"][name]))

    def _ref(self, name: str) -> Any:
        pseudo = {
            "AWS::Region": REGION,
            "AWS::AccountId": ACCOUNT_ID,
            "AWS::StackName": STACK_NAME,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::NoValue": _NO_VALUE,
        }
        if name in pseudo:
            return pseudo[name]
        if name in self.parameters:
            return self.parameters[name]
        return self.resources(name, None)

    def _intrinsic(self, name: str, argument: Any) -> Any:
        match name:
            case "Ref":
                return self._ref(argument)
            case "Fn::GetAtt":
                logical_id, attribute = self.resolve(argument)
                return self.resources(logical_id, attribute)
            case "Fn::Sub":
                text, variables = (argument, {}) if isinstance(argument, str) else argument
                variables = self.resolve(variables)
                return _SUB_VARIABLE.sub(lambda match: str(self._sub_variable(match.group(1), variables)), text)
            case "Fn::If":
                condition, when_true, when_false = argument
                return self.resolve(when_true if self.condition(condition) else when_false)
            case "Fn::Equals":
                left, right = self.resolve(argument)
                return str(left) == str(right)
            case "Fn::Not":
                return not self.resolve(argument[0])
            case "Fn::And":
                return all(self.resolve(argument))
            case "Fn::Or":
                return any(self.resolve(argument))
            case "Condition":
                return self.condition(argument)
            case "Fn::Join":
                delimiter, items = argument
                return delimiter.join(str(item) for item in self.resolve(items))
            case "Fn::Select":
                index, items = self.resolve(argument)
                return items[int(index)]
            case "Fn::Split":
                delimiter, text = self.resolve(argument)
                return text.split(delimiter)
            case "Fn::FindInMap":
                mapping, key, name = self.resolve(argument)
                try:
                    return self.template["Mappings"][mapping][key][name]
                except KeyError:
                    raise TemplateError(f"Fn::FindInMap: {mapping}.{key}.{name} is not in Mappings") from None
        raise TemplateError(f"the local stack does not understand {name}")

    def _sub_variable(self, name: str, variables: Mapping[str, Any]) -> Any:
        if name in variables:
            return variables[name]
        if "." in name and not name.startswith("AWS::"):
            logical_id, attribute = name.split(".", 1)
            return self.resources(logical_id, attribute)
        return self._ref(name)


def parameter_values(template: Mapping[str, Any], overrides: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Each parameter's default, or its override; list types become lists, as CloudFormation does."""
    values: dict[str, Any] = {}
    for name, spec in template.get("Parameters", {}).items():
        raw = (overrides or {}).get(name, spec.get("Default"))
        if raw is None:
            raise TemplateError(f"parameter {name} has no default; pass it to the local stack")
        values[name] = [item.strip() for item in str(raw).split(",")] if "List" in spec["Type"] else raw
    return values


@dataclass(frozen=True)
class HttpRoute:
    method: str
    path: str
    function: str
    authorizer: str | None  # None: a public route
    api: str = "HttpApi"  # the logical id of the HTTP API serving it (each API has its own CORS)


@dataclass(frozen=True)
class FunctionSpec:
    logical_id: str
    module_path: Path
    handler_name: str
    timeout: int
    memory_mb: int
    task_root: Path  # the CodeUri folder: what Lambda unpacks to /var/task and imports the handler from
    module: str  # the handler's module, importable from task_root
    environment: dict[str, str] = field(default_factory=dict)
    reserved_concurrency: int | None = None  # ReservedConcurrentExecutions


def _function_globals(template: Mapping[str, Any]) -> dict[str, Any]:
    return dict(template.get("Globals", {}).get("Function", {}))


def functions(template: Mapping[str, Any], resolver: Resolver, root: Path) -> dict[str, FunctionSpec]:
    """Every AWS::Serverless::Function, with Globals applied and its environment resolved."""
    defaults = _function_globals(template)
    specs = {}
    for logical_id, resource in template["Resources"].items():
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        props = resource["Properties"]
        module, _, handler_name = props.get("Handler", defaults.get("Handler", "")).rpartition(".")
        environment = {
            **defaults.get("Environment", {}).get("Variables", {}),
            **props.get("Environment", {}).get("Variables", {}),
        }
        reserved = resolver.resolve(props.get("ReservedConcurrentExecutions"))
        specs[logical_id] = FunctionSpec(
            logical_id=logical_id,
            module_path=root / props["CodeUri"] / f"{module.replace('.', '/')}.py",
            handler_name=handler_name,
            timeout=int(props.get("Timeout", defaults.get("Timeout", 3))),
            memory_mb=int(props.get("MemorySize", defaults.get("MemorySize", 128))),
            task_root=root / props["CodeUri"],
            module=module,
            environment={key: str(value) for key, value in resolver.resolve(environment).items()},
            reserved_concurrency=None if reserved is None else int(reserved),
        )
    return specs


def function_events(template: Mapping[str, Any], event_type: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """(function logical id, event properties) for every event of `event_type` (HttpApi, SQS, …) of every function."""
    for logical_id, resource in template["Resources"].items():
        if resource["Type"] == "AWS::Serverless::Function":
            for event in resource["Properties"].get("Events", {}).values():
                if event["Type"] == event_type:
                    yield logical_id, event.get("Properties", {})


def http_routes(template: Mapping[str, Any]) -> list[HttpRoute]:
    """Every HttpApi event of every function; routes without `Auth.Authorizer` use the API's default."""
    apis = http_apis(template)
    routes = []
    for logical_id, props in function_events(template, "HttpApi"):
        api_id = props.get("ApiId", {}).get("Ref")
        if api_id not in apis:
            raise TemplateError(f"{logical_id}: an HttpApi event must name its API (ApiId: !Ref <HttpApi>)")
        default = apis[api_id].get("Auth", {}).get("DefaultAuthorizer")
        authorizer = props.get("Auth", {}).get("Authorizer", default)
        routes.append(
            HttpRoute(
                method=props.get("Method", "ANY").upper(),
                path=props.get("Path", "$default"),
                function=logical_id,
                authorizer=None if authorizer in (None, "NONE") else authorizer,
                api=api_id,
            )
        )
    return routes


@dataclass(frozen=True)
class HttpAuthorizer:
    """An HTTP API's Lambda authorizer as SAM declares it (payload format 2.0, simple responses)."""

    function: str  # the authorizer function's logical id
    identity_headers: tuple[str, ...]  # the identity source: a request without one of them is refused (401)
    ttl_seconds: int  # ReauthorizeEvery: how long an answer is cached, by the identity source's values


def http_authorizers(template: Mapping[str, Any]) -> dict[str, HttpAuthorizer]:
    """Every authorizer of every HTTP API, by name (the name routes give in `Auth.Authorizer`)."""
    found = {}
    for api_id, props in http_apis(template).items():
        for name, config in props.get("Auth", {}).get("Authorizers", {}).items():
            arn = (
                config.get("FunctionArn", {}).get("Fn::GetAtt") if isinstance(config.get("FunctionArn"), dict) else None
            )
            if not arn or arn[1] != "Arn":
                raise TemplateError(f"{api_id}.{name}: the local stack runs Lambda authorizers (FunctionArn: !GetAtt)")
            if (
                str(config.get("AuthorizerPayloadFormatVersion")) != "2.0"
                or config.get("EnableSimpleResponses") is not True
            ):
                raise TemplateError(f"{api_id}.{name}: only payload format 2.0 with simple responses is stood in for")
            identity = config.get("Identity", {})
            found[name] = HttpAuthorizer(
                function=arn[0],
                identity_headers=tuple(identity.get("Headers", [])),
                # SAM's default for a Lambda authorizer of an HTTP API.
                ttl_seconds=int(identity.get("ReauthorizeEvery", 300)),
            )
    return found


def http_apis(template: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The properties of each HTTP API, by logical id (served together: their routes' paths must not overlap)."""
    return {
        logical_id: resource.get("Properties", {})
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == "AWS::Serverless::HttpApi"
    }


@dataclass(frozen=True)
class WebSocketApi:
    """The WebSocket API: route key → function, the $connect authorizer's function, how routes are chosen."""

    routes: dict[str, str]
    authorizer: str | None
    selection_key: str  # the body field named by `$request.body.<field>`


_SUB_REFERENCE = re.compile(r"\$\{([A-Za-z0-9]+)(?:\.Arn)?\}")


def _sub_reference(value: Any, what: str) -> str:
    """The logical id a `!Sub` string names, e.g. the function in a Lambda integration URI."""
    text = value.get("Fn::Sub") if isinstance(value, dict) else None
    found = _SUB_REFERENCE.findall(text) if isinstance(text, str) else []
    if len(found) != 1:
        raise TemplateError(f"cannot tell which resource {what} names: {value!r}")
    return str(found[0])


def websocket_api(template: Mapping[str, Any]) -> WebSocketApi | None:
    """The (one) AWS::ApiGatewayV2::Api of protocol WEBSOCKET, read from its routes and integrations."""
    resources = template["Resources"]
    apis = [
        (logical_id, resource["Properties"])
        for logical_id, resource in resources.items()
        if resource["Type"] == "AWS::ApiGatewayV2::Api" and resource["Properties"].get("ProtocolType") == "WEBSOCKET"
    ]
    if not apis:
        return None
    if len(apis) > 1:
        raise TemplateError(f"expected at most one WebSocket API, found {len(apis)}")
    ((api_id, api),) = apis
    expression = api.get("RouteSelectionExpression", "")
    if not expression.startswith("$request.body."):
        raise TemplateError(f"the local stack selects routes by a body field only, not {expression!r}")

    def function_of(uri_owner: str, key: str) -> str:
        return _sub_reference(resources[uri_owner]["Properties"][key], f"{uri_owner}.{key}")

    routes: dict[str, str] = {}
    authorizer = None
    for logical_id, resource in resources.items():
        props = resource.get("Properties", {})
        if resource["Type"] != "AWS::ApiGatewayV2::Route" or props.get("ApiId", {}).get("Ref") != api_id:
            continue
        integration = _sub_reference(props["Target"], f"{logical_id}.Target")
        routes[props["RouteKey"]] = function_of(integration, "IntegrationUri")
        if props["RouteKey"] == "$connect" and props.get("AuthorizationType") == "CUSTOM":
            authorizer = function_of(props["AuthorizerId"]["Ref"], "AuthorizerUri")
    return WebSocketApi(routes=routes, authorizer=authorizer, selection_key=expression.removeprefix("$request.body."))
