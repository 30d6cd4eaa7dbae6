from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from fastapi.responses import JSONResponse

from parley.api.deps import allowed, service
from parley.api.params import ChatbotId, Days
from parley.api.responses import errors
from parley.domain.accounts import Caller
from parley.domain.conversations import Rating
from parley.domain.exports import CONTENT_TYPES, ExportFormat, ExportLink, ExportRequest
from parley.services.exports import ConversationExports

ExportsDep = Annotated[ConversationExports, service(lambda c: c.exports)]

Exporter = Annotated[Caller, allowed("conversations:export")]

# Registered before the conversation routes, whose `/conversations/{conversation_id}` would take `export` as an id.
router = APIRouter(prefix="/chatbots/{chatbot_id}", responses=errors(401, 403, 404))

_FILE = {"schema": {"type": "string"}}
_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The export itself (JSON Lines, or CSV with a header row), as an attachment; or, when it is "
        "too large to be a response, a JSON `ExportLink` to download it from within `expires_in` seconds",
        "content": {
            CONTENT_TYPES["jsonl"]: _FILE,
            CONTENT_TYPES["csv"]: _FILE,
            "application/json": {"schema": {"$ref": "#/components/schemas/ExportLink"}},
        },
    },
    **errors(422),
}


def _export_request(
    days: Days,
    format: Annotated[ExportFormat, Query(description="`jsonl` (one JSON object a line) or `csv`")] = "jsonl",
    feedback: Annotated[
        Rating | None, Query(description="Only the answers rated so, each after the question it answered")
    ] = None,
) -> ExportRequest:
    return ExportRequest(format, days, feedback)


ExportQuery = Annotated[ExportRequest, Depends(_export_request)]


@router.get("/conversations/export", response_model=ExportLink, responses=_RESPONSES)
def export_conversations(
    chatbot_id: ChatbotId, caller: Exporter, request: ExportQuery, exports: ExportsDep
) -> Response:
    """The chatbot's conversations started in a range of UTC days (a year at most), one line or row per message:
    who started it, role, text, cited files, answer mode, degraded, answerable, latency, tokens, feedback and time.
    CSV cells a spreadsheet would run as a formula start with an apostrophe."""
    export = exports.export(caller.tenant_id, chatbot_id, request)
    if isinstance(export, ExportLink):
        return JSONResponse(export.model_dump())
    disposition = f'attachment; filename="{export.filename}"'
    return Response(export.body, media_type=export.content_type, headers={"Content-Disposition": disposition})
