"""The web config function's Lambda entry point: the CloudFormation custom resource that writes config.json.

CloudFormation waits for an answer PUT to the event's presigned ResponseURL, so every outcome answers, a failure
with its reason (a stack never hangs for an hour on a crashed handler).
"""

from __future__ import annotations

import json
import urllib.request
from typing import Any

from pydantic import ValidationError

from parley.container import get_container
from parley.domain.web_config import WebConfig
from parley.observability import logger

# Powertools' correlation id for custom resource events.
CORRELATION_PATH = "RequestId"
# The template's property names (beside ServiceToken, which CloudFormation adds).
CONFIG_PROPERTIES = {
    "ApiUrl": "apiUrl",
    "PublicApiUrl": "publicApiUrl",
    "WebsocketUrl": "websocketUrl",
    "Region": "region",
    "UserPoolClientId": "userPoolClientId",
}


def web_config(event: dict[str, Any], _context: Any) -> None:
    """Create/Update: write config.json from the resource's properties; Delete: remove it."""
    publisher = get_container().web_config
    status, reason = "SUCCESS", ""
    try:
        if event["RequestType"] == "Delete":
            publisher.withdraw()
        else:
            properties = event.get("ResourceProperties", {})
            publisher.publish(
                WebConfig.model_validate(
                    {name: properties[key] for key, name in CONFIG_PROPERTIES.items() if key in properties}
                )
            )
    except ValidationError as error:
        status, reason = "FAILED", f"Invalid web config: {error.errors(include_url=False)}"
    except Exception as error:  # CloudFormation must hear of every failure
        logger.exception("Web config failed")
        status, reason = "FAILED", f"{type(error).__name__}: see the function's log"
    _answer(event, status, reason)


def _answer(event: dict[str, Any], status: str, reason: str) -> None:
    body = json.dumps(
        {
            "Status": status,
            "Reason": reason or status,
            # One config file per stack: the same id on every update, so no replacement deletes the file.
            "PhysicalResourceId": event.get("PhysicalResourceId") or f"{event['LogicalResourceId']}-config.json",
            "StackId": event["StackId"],
            "RequestId": event["RequestId"],
            "LogicalResourceId": event["LogicalResourceId"],
        }
    ).encode()
    # CloudFormation's presigned S3 URL, signed for an empty content type.
    url = event["ResponseURL"]
    request = urllib.request.Request(url, data=body, method="PUT", headers={"Content-Type": ""})  # noqa: S310
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        response.read()
