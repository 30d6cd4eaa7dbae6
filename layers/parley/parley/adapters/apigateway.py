"""Frames to WebSocket clients through the API Gateway management API (the local gateway serves it too)."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping
from functools import cached_property
from typing import Any

from parley.errors import StreamInterrupted


class ApiGatewayConnections:
    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint

    @cached_property
    def client(self) -> Any:
        import boto3

        return boto3.client("apigatewaymanagementapi", endpoint_url=self.endpoint)

    def send(self, connection_id: str, frame: Mapping[str, Any]) -> None:
        data = json.dumps(frame, separators=(",", ":"), ensure_ascii=False).encode()
        try:
            self.client.post_to_connection(ConnectionId=connection_id, Data=data)
        except self.client.exceptions.GoneException as error:
            raise StreamInterrupted(connection_id) from error

    def close(self, connection_id: str) -> None:
        with contextlib.suppress(self.client.exceptions.GoneException):
            self.client.delete_connection(ConnectionId=connection_id)
