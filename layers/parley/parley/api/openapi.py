"""The contract the web clients are generated from: the OpenAPI document of the whole HTTP API (from the routers every
function serves) and the JSON Schema of the WebSocket API's frames (parley.domain.frames).

`make openapi` writes them to shared/openapi.json and shared/websocket.schema.json; a test fails when a committed file
is not what the code describes.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from fastapi.openapi.utils import get_openapi

from parley.api import build_app
from parley.api.routes import (
    account,
    analytics,
    answers,
    api_keys,
    auth,
    chatbots,
    conversations,
    documents,
    exports,
    feedback,
    gaps,
    handoffs,
    health,
    public,
    sources,
    team,
    usage,
)
from parley.domain.frames import Frames

DESCRIPTION = (
    'Parley\'s public HTTP API (v1). Errors have the body `{"error": {"code", "message"}}`; requests API Gateway '
    'refuses itself (no valid token, no such route, throttling) have `{"message"}`. Lists come in pages: pass '
    "`next_cursor` back as `cursor` until it is null."
)
_FASTAPI_VALIDATION = "#/components/schemas/HTTPValidationError"


def _without_fastapi_validation_errors(document: dict[str, Any]) -> dict[str, Any]:
    """FastAPI documents a 422 of its own shape on every route with parameters; Parley's routes declare their 422
    (with Parley's error body) where input can be invalid, so the others go."""
    for operations in document["paths"].values():
        for operation in operations.values():
            response = operation.get("responses", {}).get("422", {})
            if response.get("content", {}).get("application/json", {}).get("schema") == {"$ref": _FASTAPI_VALIDATION}:
                del operation["responses"]["422"]
    schemas = document.get("components", {}).get("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    return document


def openapi_document() -> dict[str, Any]:
    app = build_app(
        health.router,
        auth.router,
        account.router,
        chatbots.router,
        documents.router,
        exports.router,
        answers.router,
        conversations.router,
        public.router,
        feedback.router,
        analytics.router,
        handoffs.router,
        gaps.router,
        api_keys.router,
        team.router,
        usage.router,
        sources.router,
    )
    document = get_openapi(title="Parley", version="1", description=DESCRIPTION, routes=app.routes)
    return _without_fastapi_validation_errors(document)


def websocket_schema() -> dict[str, Any]:
    schema = Frames.model_json_schema()
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}


def render(document: dict[str, Any]) -> str:
    """The document as committed: stable key order, one trailing newline."""
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    folder = Path(sys.argv[1])
    (folder / "openapi.json").write_text(render(openapi_document()))
    (folder / "websocket.schema.json").write_text(render(websocket_schema()))
