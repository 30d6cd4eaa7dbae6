"""The local stack derives everything from template.yaml; these pin how it reads it."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from local.lambdas.event_sources import Scheduler, ScheduleSource, schedule_sources, sqs_sources
from local.stack.stack import ROOT, LocalStack
from local.template import (
    REGION,
    HttpAuthorizer,
    Resolver,
    TemplateError,
    expand_language_extensions,
    functions,
    http_authorizers,
    http_routes,
    load_template,
    parameter_values,
    websocket_api,
)


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template(ROOT / "template.yaml")


def _resolver(template: Any, overrides: Any = None) -> Resolver:
    def resources(logical_id: str, attribute: str | None) -> str:
        return f"{logical_id}.{attribute or 'Ref'}"

    return Resolver(template, parameter_values(template, overrides), resources)


def test_intrinsics_resolve() -> None:
    template = {"Conditions": {"On": {"Fn::Equals": [{"Ref": "Flag"}, "true"]}}, "Resources": {}}
    resolver = Resolver(template, {"Flag": "true"}, lambda logical_id, attribute: f"{logical_id}/{attribute}")

    assert resolver.resolve({"Fn::Sub": "x-${AWS::Region}-${Pool}-${Pool.Arn}"}) == f"x-{REGION}-Pool/None-Pool/Arn"
    assert resolver.resolve({"Fn::If": ["On", "yes", "no"]}) == "yes"
    assert resolver.resolve({"Fn::GetAtt": ["Table", "Arn"]}) == "Table/Arn"
    assert resolver.resolve({"Fn::Join": ["-", ["a", {"Ref": "Flag"}]]}) == "a-true"
    assert resolver.resolve(["a", {"Ref": "AWS::NoValue"}]) == ["a"]
    assert resolver.resolve({"Key": {"Fn::If": ["On", {"Ref": "AWS::NoValue"}, 1]}}) == {}


def test_unknown_intrinsic_fails_loudly() -> None:
    resolver = Resolver({"Resources": {}}, {}, lambda logical_id, attribute: None)

    with pytest.raises(TemplateError):
        resolver.resolve({"Fn::Base64": "x"})


LOOPS: dict[str, Any] = {
    "Transform": ["AWS::LanguageExtensions", "AWS::Serverless-2016-10-31"],
    "Parameters": {"Stage": {"Type": "String", "Default": "dev"}},
    "Conditions": {
        "Fn::ForEach::Stages": [
            "Name",
            ["dev", "prod"],
            {"Is${Name}": {"Fn::Equals": [{"Ref": "Stage"}, {"Ref": "Name"}]}},
        ]
    },
    "Resources": {
        "AuthFunction": {"Type": "AWS::Serverless::Function", "Properties": {}},
        "QueryFunction": {"Type": "AWS::Serverless::Function", "Properties": {}},
        "Fn::ForEach::Alarms": [
            "Metric",
            ["Errors", "Throttles"],
            {
                "Function${Metric}Alarm": {
                    "Type": "AWS::CloudWatch::Alarm",
                    "Properties": {
                        "AlarmName": {"Fn::Sub": "${AWS::StackName}-${Metric}"},
                        "MetricName": {"Ref": "Metric"},
                        "Threshold": {"Ref": {"Fn::Sub": "${Metric}Threshold"}},
                        "Fn::ForEach::Arns": [
                            "Function",
                            ["Auth", "Query"],
                            {"&{Function}Arn": {"Fn::GetAtt": [{"Fn::Sub": "${Function}Function"}, "Arn"]}},
                        ],
                    },
                },
                "Fn::ForEach::Logs": [
                    "Function",
                    ["Auth-1", "Query.2"],
                    {"${Metric}&{Function}Log": {"Type": "AWS::Logs::LogGroup"}},
                ],
            },
        ],
    },
    "Outputs": {
        "Fn::ForEach::Names": [
            "Metric",
            ["Errors"],
            {"${Metric}Alarm": {"Value": {"Ref": {"Fn::Sub": "Function${Metric}Alarm"}}}},
        ]
    },
}


def test_language_extension_loops_expand_as_cloudformation_expands_them() -> None:
    # Given a template with loops in Conditions, Resources (nested, and inside a resource's properties) and Outputs
    # When the local stack reads it
    expanded = expand_language_extensions(LOOPS)

    # Then each loop is replaced by its copies, the identifier substituted in keys, strings and Refs
    assert expanded["Conditions"] == {
        "Isdev": {"Fn::Equals": [{"Ref": "Stage"}, "dev"]},
        "Isprod": {"Fn::Equals": [{"Ref": "Stage"}, "prod"]},
    }
    resources = expanded["Resources"]
    assert list(resources) == [
        "AuthFunction", "QueryFunction", "FunctionErrorsAlarm", "ErrorsAuth1Log", "ErrorsQuery2Log",
        "FunctionThrottlesAlarm", "ThrottlesAuth1Log", "ThrottlesQuery2Log",
    ]  # fmt: skip
    assert resources["FunctionThrottlesAlarm"]["Properties"] == {
        "AlarmName": {"Fn::Sub": "${AWS::StackName}-Throttles"},  # other variables are left to CloudFormation
        "MetricName": "Throttles",
        "Threshold": {"Ref": "ThrottlesThreshold"},  # a Ref or GetAtt of a Sub naming a logical id becomes plain
        "AuthArn": {"Fn::GetAtt": ["AuthFunction", "Arn"]},
        "QueryArn": {"Fn::GetAtt": ["QueryFunction", "Arn"]},
    }
    assert expanded["Outputs"] == {"ErrorsAlarm": {"Value": {"Ref": "FunctionErrorsAlarm"}}}
    assert "Fn::ForEach::Alarms" in LOOPS["Resources"]  # the template read is left as it was


@pytest.mark.parametrize(
    "change",
    [
        {"Transform": "AWS::Serverless-2016-10-31"},  # no transform to expand the loops
        {"Transform": ["AWS::Serverless-2016-10-31", "AWS::LanguageExtensions"]},  # SAM's would run first
        {"Resources": {"ErrorsAuth1Log": {}, **LOOPS["Resources"]}},  # a copy's key is declared already
        {"Resources": {"Fn::ForEach::L": ["Id", ["a", "a"], {"R${Id}": {}}]}},  # the same key twice
        {"Resources": {"Fn::ForEach::L": ["Id", {"Ref": "Names"}, {"R${Id}": {}}]}},  # not a literal list
        {"Resources": {"Fn::ForEach::L": ["Stage", ["a"], {"R${Stage}": {}}]}},  # the identifier is a parameter
        {"Resources": {"Fn::ForEach::L": ["Id", ["a"]]}},  # no fragment
        {"Globals": {"Function": {"Fn::ForEach::L": ["Id", ["a"], {"${Id}": 1}]}}},  # not a section loops expand in
        {"Outputs": {"O": {"Value": {"Ref": {"Fn::Sub": "${Stage}Alarm"}}}}},  # only loop identifiers resolve here
    ],
)
def test_a_loop_cloudformation_refuses_is_refused(change: dict[str, Any]) -> None:
    with pytest.raises(TemplateError):
        expand_language_extensions({**LOOPS, **change})


def test_find_in_map_reads_the_mappings() -> None:
    template = {"Mappings": {"Alarms": {"Errors": {"Name": "errors"}}}, "Resources": {}}
    resolver = Resolver(template, {"Metric": "Errors"}, lambda logical_id, attribute: None)

    assert resolver.resolve({"Fn::FindInMap": ["Alarms", {"Ref": "Metric"}, "Name"]}) == "errors"
    with pytest.raises(TemplateError, match=r"Alarms\.Errors\.Label"):
        resolver.resolve({"Fn::FindInMap": ["Alarms", "Errors", "Label"]})


def test_every_function_module_exists(template: Any) -> None:
    specs = functions(template, _resolver(template), ROOT)

    assert specs, "template.yaml declares no functions"
    for spec in specs.values():
        assert spec.module_path.is_file(), spec


def test_email_confirmation_parameter_switches_auto_confirm(template: Any) -> None:
    local = functions(template, _resolver(template), ROOT)["AuthFunction"]
    confirming = functions(template, _resolver(template, {"EmailConfirmation": "true"}), ROOT)["AuthFunction"]

    assert local.environment["PARLEY_AUTO_CONFIRM_USERS"] == "true"
    assert confirming.environment["PARLEY_AUTO_CONFIRM_USERS"] == "false"


def test_public_routes_are_exactly_the_contracts(template: Any) -> None:
    public = {(route.method, route.path) for route in http_routes(template) if route.authorizer is None}

    assert public == {
        ("GET", "/health"),
        ("POST", "/auth/register"),
        ("POST", "/auth/login"),
        ("POST", "/auth/refresh"),
        ("GET", "/public/chatbots/{public_key}"),
        ("POST", "/public/chatbots/{public_key}/query"),
        ("POST", "/public/chatbots/{public_key}/messages/{message_id}/feedback"),
    }


def test_every_other_route_of_the_http_api_runs_the_lambda_authorizer_of_the_template(template: Any) -> None:
    private = {route.authorizer for route in http_routes(template) if route.authorizer is not None}

    assert private == {"TokenOrKey"}
    assert http_authorizers(template) == {
        "TokenOrKey": HttpAuthorizer(
            function="HttpAuthorizerFunction", identity_headers=("Authorization",), ttl_seconds=300
        )
    }


def test_an_authorizer_the_local_stack_cannot_run_is_refused(template: Any) -> None:
    api = template["Resources"]["HttpApi"]["Properties"]
    jwt = {"JwtConfiguration": {"issuer": "https://issuer", "audience": ["a"]}}
    changed = {
        **template,
        "Resources": {
            "HttpApi": {
                **template["Resources"]["HttpApi"],
                "Properties": {**api, "Auth": {"DefaultAuthorizer": "Jwt", "Authorizers": {"Jwt": jwt}}},
            }
        },
    }

    with pytest.raises(TemplateError):
        http_authorizers(changed)


def test_websocket_routes_and_connect_authorizer_come_from_the_template(template: Any) -> None:
    api = websocket_api(template)

    assert api is not None
    assert api.routes == dict.fromkeys(
        [
            "$connect",
            "$disconnect",
            "sendMessage",
            "feedback",
            "requestPerson",
            "handoffStatus",
            "leaveContact",
            "$default",
        ],
        "WsChatFunction",
    )
    assert api.authorizer == "WsAuthorizerFunction"
    assert api.selection_key == "action"


def test_websocket_integration_naming_no_function_fails_loudly(template: Any) -> None:
    broken = {**template, "Resources": dict(template["Resources"])}
    integration = broken["Resources"]["WebSocketChatIntegration"]
    broken["Resources"]["WebSocketChatIntegration"] = {
        **integration,
        "Properties": {**integration["Properties"], "IntegrationUri": "arn:aws:lambda:somewhere"},
    }

    with pytest.raises(TemplateError, match="WebSocketChatIntegration"):
        websocket_api(broken)


def test_no_function_reads_environment_or_imports_sdks() -> None:
    for path in Path(ROOT, "functions").rglob("*.py"):
        source = path.read_text()
        for forbidden in ("os.environ", "import boto3", "import openai", "import pinecone", "from boto3"):
            assert forbidden not in source, f"{path} uses {forbidden}"


def test_only_settings_that_work_in_lambda_are_deployable(template: Any) -> None:
    # MiniLM is not in the layer and /var/task is read-only: neither embedded stand-in may be chosen in AWS.
    offered = {value for spec in template["Parameters"].values() for value in spec.get("AllowedValues", [])}
    variables = template["Globals"]["Function"]["Environment"]["Variables"]

    assert not offered & {"minilm", "local"}
    assert (variables["PARLEY_EMBEDDER"], variables["PARLEY_VECTOR_INDEX"]) == ("openai", "pinecone")


def test_local_stack_swaps_in_the_embedded_stand_ins_only_where_declared(tmp_path: Path) -> None:
    stack = LocalStack(data_dir=tmp_path, environment={"PARLEY_LOG_EXTRA": "1"})

    index_user = stack.function_environment({"PARLEY_EMBEDDER": "openai", "PARLEY_VECTOR_INDEX": "pinecone"})
    other = stack.function_environment({"PARLEY_TABLE_NAME": "t"})

    assert index_user == {
        "PARLEY_EMBEDDER": "minilm",
        "PARLEY_VECTOR_INDEX": "local",
        "PARLEY_DATA_DIR": str(tmp_path),
        "PARLEY_FETCH_ALLOW_LOOPBACK": "true",
        "PARLEY_LOG_EXTRA": "1",
    }
    assert other == {"PARLEY_TABLE_NAME": "t", "PARLEY_FETCH_ALLOW_LOOPBACK": "true", "PARLEY_LOG_EXTRA": "1"}


def test_sqs_event_source_reads_its_maximum_concurrency(template: Any) -> None:
    sources = {source.function: source for source in sqs_sources(template, _resolver(template).resolve)}

    assert sources["IngestFunction"].maximum_concurrency == 10
    assert sources["IngestDeadLetterFunction"].maximum_concurrency is None


def test_schedule_events_run_their_function_at_the_templates_rate(template: Any) -> None:
    # Given the template's scheduled sweep of expired upload tickets, and EventBridge Scheduler's of sources due
    sources = schedule_sources(template, _resolver(template).resolve)
    assert [(source.function, source.period_seconds) for source in sources] == [
        ("UploadExpiryFunction", 900),
        ("SourceSyncFunction", 3600),
    ]
    faster = schedule_sources(template, _resolver(template, {"SourceSyncSchedule": "rate(5 minutes)"}).resolve)
    assert ("SourceSyncFunction", 300) in [(source.function, source.period_seconds) for source in faster]
    # When a scheduler with a short period runs, Then it invokes the function with EventBridge's scheduled event
    invoked = threading.Event()
    calls: list[tuple[str, dict[str, Any]]] = []

    def invoke(function: str, event: dict[str, Any]) -> None:
        calls.append((function, event))
        invoked.set()

    scheduler = Scheduler(ScheduleSource("UploadExpiryFunction", "sweep", 0), invoke)
    scheduler.start()
    try:
        assert invoked.wait(10)
    finally:
        scheduler.stop()
    assert calls[0][0] == "UploadExpiryFunction"
    assert calls[0][1]["detail-type"] == "Scheduled Event"


def test_a_cron_schedule_is_refused_rather_than_ignored() -> None:
    template = {"Resources": {"F": {"Type": "AWS::Serverless::Function", "Properties": {
        "Events": {"Tick": {"Type": "Schedule", "Properties": {"Schedule": "cron(0 12 * * ? *)"}}}}}}}  # fmt: skip
    with pytest.raises(TemplateError):
        schedule_sources(template, lambda value: value)
