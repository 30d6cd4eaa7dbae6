"""Request-scoped dependencies: the verified caller and the services routes use."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request

from parley.container import Container, get_container
from parley.domain.accounts import Caller
from parley.errors import Unauthorized
from parley.services.accounts import AccountService, resolve_caller
from parley.services.answers import AnswerService
from parley.services.chatbots import ChatbotService
from parley.services.documents import DocumentService
from parley.services.public_chat import PublicChat


def _container() -> Container:
    return get_container()


ContainerDep = Annotated[Container, Depends(_container)]


def _jwt_claims(request: Request) -> dict[str, Any]:
    # API Gateway's JWT authorizer has verified the token; its claims travel in the event.
    event = request.scope.get("aws.event") or {}
    claims = event.get("requestContext", {}).get("authorizer", {}).get("jwt", {}).get("claims")
    if not claims:
        raise Unauthorized("Missing or invalid token")
    return dict(claims)


def _caller(request: Request, container: ContainerDep) -> Caller:
    return resolve_caller(container.account_store, _jwt_claims(request))


def bearer_token(request: Request) -> str:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("Missing bearer token")
    return token.strip()


def _accounts(container: ContainerDep) -> AccountService:
    return container.accounts


def _chatbots(container: ContainerDep) -> ChatbotService:
    return container.chatbots


def _documents(container: ContainerDep) -> DocumentService:
    return container.documents


def _answers(container: ContainerDep) -> AnswerService:
    return container.answers


def _public_chat(container: ContainerDep) -> PublicChat:
    return container.public_chat


CurrentCaller = Annotated[Caller, Depends(_caller)]
BearerToken = Annotated[str, Depends(bearer_token)]
AccountServiceDep = Annotated[AccountService, Depends(_accounts)]
ChatbotServiceDep = Annotated[ChatbotService, Depends(_chatbots)]
DocumentServiceDep = Annotated[DocumentService, Depends(_documents)]
AnswerServiceDep = Annotated[AnswerService, Depends(_answers)]
PublicChatDep = Annotated[PublicChat, Depends(_public_chat)]
