"""HTTP API: one FastAPI app per function, built from the routers that function serves."""

from __future__ import annotations

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from parley.domain.common import is_id
from parley.errors import INTERNAL_MESSAGE, ParleyError, RateLimited, error_body, validation_message
from parley.observability import logger, record_refusal

# The ids in a route's path that a request's log lines carry (its tenant is appended once the caller is known).
_LOGGED_PATH_IDS = ("chatbot_id", "document_id", "conversation_id")


def _log_path_ids(request: Request) -> None:
    logger.append_keys(
        **{name: value for name, value in request.path_params.items() if name in _LOGGED_PATH_IDS and is_id(value)}
    )


async def _parley_error(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, ParleyError)
    record_refusal(error)
    if error.status >= 500:
        logger.error("Request failed", extra={"code": error.code, "reason": error.message})
    headers = {"retry-after": str(error.retry_after)} if isinstance(error, RateLimited) else None
    return JSONResponse(error_body(error.code, error.public_message), status_code=error.status, headers=headers)


async def _validation_error(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    return JSONResponse(error_body("validation_error", validation_message(error.errors())), status_code=422)


async def _http_error(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, HTTPException)
    code = {401: "unauthorized", 404: "not_found", 405: "method_not_allowed"}.get(error.status_code, "bad_request")
    return JSONResponse(error_body(code, str(error.detail)), status_code=error.status_code, headers=error.headers)


async def _unexpected_error(_: Request, __: Exception) -> JSONResponse:
    logger.exception("Unhandled error")
    return JSONResponse(error_body("internal_error", INTERNAL_MESSAGE), status_code=500)


def build_app(*routers: APIRouter) -> FastAPI:
    """An app serving `routers`, with Parley's error shape for every failure."""
    app = FastAPI(
        title="Parley", docs_url=None, redoc_url=None, openapi_url=None, dependencies=[Depends(_log_path_ids)]
    )
    app.add_exception_handler(ParleyError, _parley_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)
    for router in routers:
        app.include_router(router)
    return app
