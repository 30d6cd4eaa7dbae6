"""The web config function as CloudFormation runs it: a custom resource event in, config.json written to the web
bucket (moto), and the outcome PUT to the event's ResponseURL, a failure included."""

from __future__ import annotations

import json
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any

import boto3
import pytest

from local.loopback import LoopbackServer

if TYPE_CHECKING:
    from tests.integration.conftest import Functions


API = "https://abc123.execute-api.us-east-1.amazonaws.com"
PUBLIC_API = "https://ghi789.execute-api.us-east-1.amazonaws.com"
WEBSOCKET = "wss://def456.execute-api.us-east-1.amazonaws.com/dev"


class CloudFormation(LoopbackServer):
    """Stands in for CloudFormation's presigned response URL: keeps what the function PUTs there."""

    def __init__(self) -> None:
        self.answers: list[dict[str, Any]] = []
        self.content_types: list[str | None] = []
        super().__init__(self._keep, ("PUT",))

    def _keep(self, request: BaseHTTPRequestHandler) -> None:
        body = request.rfile.read(int(request.headers["content-length"]))
        self.answers.append(json.loads(body))
        self.content_types.append(request.headers.get("content-type"))
        request.send_response(200)
        request.send_header("content-length", "0")
        request.end_headers()

    @property
    def response_url(self) -> str:
        return f"{self.url}/response?X-Amz-Signature=abc"


@pytest.fixture
def cloudformation() -> Iterator[CloudFormation]:
    with CloudFormation() as fake:
        yield fake


def _event(request_type: str, response_url: str, **properties: str) -> dict[str, Any]:
    event: dict[str, Any] = {
        "RequestType": request_type,
        "ResponseURL": response_url,
        "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/parley/guid",
        "RequestId": f"request-{request_type}",
        "LogicalResourceId": "WebConfig",
        "ResourceType": "Custom::WebConfig",
        "ResourceProperties": {"ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:web", **properties},
    }
    if request_type != "Create":
        event["PhysicalResourceId"] = "WebConfig-config.json"
    return event


def _config(lambdas: Any) -> tuple[dict[str, Any], str]:
    stored = boto3.client("s3").get_object(Bucket=lambdas.resources["WebBucket"]["Ref"], Key="config.json")
    return json.loads(stored["Body"].read()), stored["CacheControl"]


def test_create_writes_config_json_from_the_template_values_and_answers_success(
    lambdas: Functions, cloudformation: CloudFormation
) -> None:
    # When CloudFormation creates the resource
    lambdas.invoke(
        "WebConfigFunction",
        _event(
            "Create",
            cloudformation.response_url,
            ApiUrl=API,
            PublicApiUrl=PUBLIC_API,
            WebsocketUrl=WEBSOCKET,
            Region="us-east-1",
            UserPoolClientId="client123",
        ),
    )

    # Then config.json names the APIs in the front ends' names, uncached
    config, cache_control = _config(lambdas)
    assert config == {
        "apiUrl": API,
        "publicApiUrl": PUBLIC_API,
        "websocketUrl": WEBSOCKET,
        "region": "us-east-1",
        "userPoolClientId": "client123",
    }
    assert cache_control == "no-cache"
    # And CloudFormation heard of the success, for this request, with the content type its URL is signed for
    (answer,) = cloudformation.answers
    assert answer["Status"] == "SUCCESS"
    assert (answer["RequestId"], answer["LogicalResourceId"]) == ("request-Create", "WebConfig")
    assert answer["PhysicalResourceId"] == "WebConfig-config.json"
    assert cloudformation.content_types == [""]


def test_update_rewrites_it_and_delete_removes_it(lambdas: Functions, cloudformation: CloudFormation) -> None:
    urls = {"PublicApiUrl": PUBLIC_API, "WebsocketUrl": WEBSOCKET}
    lambdas.invoke("WebConfigFunction", _event("Create", cloudformation.response_url, ApiUrl=API, **urls))
    moved = "https://new.execute-api.us-east-1.amazonaws.com"

    lambdas.invoke("WebConfigFunction", _event("Update", cloudformation.response_url, ApiUrl=moved, **urls))
    assert _config(lambdas)[0] == {"apiUrl": moved, "publicApiUrl": PUBLIC_API, "websocketUrl": WEBSOCKET}

    lambdas.invoke("WebConfigFunction", _event("Delete", cloudformation.response_url))
    listed = boto3.client("s3").list_objects_v2(Bucket=lambdas.resources["WebBucket"]["Ref"])
    assert listed.get("KeyCount") == 0
    assert [answer["Status"] for answer in cloudformation.answers] == ["SUCCESS", "SUCCESS", "SUCCESS"]
    assert {answer["PhysicalResourceId"] for answer in cloudformation.answers} == {"WebConfig-config.json"}


def test_a_config_without_the_api_url_fails_the_deploy_with_a_reason(
    lambdas: Functions, cloudformation: CloudFormation
) -> None:
    lambdas.invoke(
        "WebConfigFunction",
        _event("Create", cloudformation.response_url, PublicApiUrl=PUBLIC_API, WebsocketUrl=WEBSOCKET),
    )

    (answer,) = cloudformation.answers
    assert answer["Status"] == "FAILED"
    assert "apiUrl" in answer["Reason"]
    assert boto3.client("s3").list_objects_v2(Bucket=lambdas.resources["WebBucket"]["Ref"]).get("KeyCount") == 0
