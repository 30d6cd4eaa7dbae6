"""Request-scoped dependencies: the verified caller, and the way routes ask for services."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from parley.container import Container, get_container
from parley.domain.accounts import Caller
from parley.domain.roles import Action, permits
from parley.errors import ChatbotNotFound, Forbidden, Unauthorized
from parley.services.accounts import resolve_caller


def _container() -> Container:
    return get_container()


ContainerDep = Annotated[Container, Depends(_container)]


def _authorizer_context(request: Request) -> dict[str, Any]:
    # The HTTP API's Lambda authorizer has verified the token or key; its context travels in the event.
    event = request.scope.get("aws.event") or {}
    context = event.get("requestContext", {}).get("authorizer", {}).get("lambda")
    if not context:
        raise Unauthorized("Missing or invalid token")
    return dict(context)


# Names the scheme in the OpenAPI document; API Gateway's authorizer has verified the token by the time a route runs.
_bearer = HTTPBearer(auto_error=False, description="A Cognito access token, or a tenant API key `sk_…`")


def _caller(
    request: Request,
    container: ContainerDep,
    _token: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)],
) -> Caller:
    context = _authorizer_context(request)
    # Read again for every request, whatever the authorizer's cached answer: a revoked key or a signed-out
    # session is refused at once.
    if context.get("api_key_id"):
        return container.api_keys.caller_of(bearer_token(request))
    return resolve_caller(container.account_store, context, now=int(time.time()))


def _source_ip(request: Request) -> str:
    """The client's address, as API Gateway saw it."""
    event = request.scope.get("aws.event") or {}
    return str(event.get("requestContext", {}).get("http", {}).get("sourceIp", "unknown"))


def bearer_token(request: Request) -> str:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("Missing bearer token")
    return token.strip()


def service(pick: Callable[[Container], Any]) -> Any:
    """A dependency on one of the container's services, e.g. `Annotated[AnswerService, service(lambda c: c.answers)]`.
    Each router declares its own, so a function imports only the services it serves."""

    def dependency(container: ContainerDep) -> Any:
        return pick(container)

    return Depends(dependency)


CurrentCaller = Annotated[Caller, Depends(_caller)]


def _person(caller: CurrentCaller) -> Caller:
    if caller.profile is None:
        raise Forbidden("This needs a person's sign-in, not an API key")
    return caller


# A signed-in person (their profile is at hand); API keys are refused.
Person = Annotated[Caller, Depends(_person)]


def allowed(action: Action) -> Any:
    """The caller, if their role (or API key) may do `action` (else 403), and if a key limited to one chatbot is
    not reaching for another (404, as for any chatbot that is not theirs). Every tenant route asks through this,
    e.g. `caller: Annotated[Caller, allowed("documents:manage")]`."""

    def dependency(request: Request, caller: CurrentCaller) -> Caller:
        if not permits(caller.principal, action):
            raise Forbidden("Your role does not allow this" if caller.api_key_id is None else "API keys cannot do this")
        chatbot_id = request.path_params.get("chatbot_id")
        if caller.chatbot_scope and chatbot_id is not None and chatbot_id != caller.chatbot_scope:
            raise ChatbotNotFound()
        return caller

    return Depends(dependency)


BearerToken = Annotated[str, Depends(bearer_token)]
SourceIp = Annotated[str, Depends(_source_ip)]
