"""Chatbot configuration, always within one tenant."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from parley.domain.chatbots import (
    DEFAULT_SPENDING_LIMITS,
    Chatbot,
    ChatbotCreate,
    ChatbotUpdate,
    SpendingLimits,
    new_public_key,
)
from parley.domain.chunking import check_chunking
from parley.domain.common import Page, PageRequest, new_id, timestamp, utcnow
from parley.domain.erasure import ErasureRequest
from parley.domain.plans import Plan
from parley.errors import ChatbotNotFound, PlanLimitReached, ValidationFailed
from parley.ports import ChatbotStore, ErasureQueue
from parley.services.quotas import Quotas


def find_chatbot(chatbots: ChatbotStore, tenant_id: str, chatbot_id: str) -> Chatbot:
    """The tenant's live chatbot, or ChatbotNotFound: every service that acts on a chatbot looks it up here."""
    chatbot = chatbots.get(tenant_id, chatbot_id)
    if chatbot is None:
        raise ChatbotNotFound()
    return chatbot


class ChatbotService:
    def __init__(
        self,
        chatbots: ChatbotStore,
        erasures: ErasureQueue,
        *,
        quotas: Quotas,
        limits: SpendingLimits = DEFAULT_SPENDING_LIMITS,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.chatbots = chatbots
        self.erasures = erasures
        self.quotas = quotas
        self.limits = limits
        self.clock = clock

    def _check_spending(self, plan: Plan, model_name: str | None, max_tokens: int | None) -> SpendingLimits:
        """The tenant's limits, if the choices are within them. What no plan would allow (the deployment refuses it)
        is invalid input, 422; what a larger plan would allow is a plan limit, 402, like every other."""
        try:
            self.limits.check(model_name, max_tokens)
        except ValueError as error:
            raise ValidationFailed(str(error)) from error
        limits = plan.narrow(self.limits)
        try:
            limits.check(model_name, max_tokens, under=f"your plan ({plan.title})")
        except ValueError as error:
            raise PlanLimitReached(f"Your plan ({plan.title}) does not allow this: {error}") from error
        return limits

    def create(self, tenant_id: str, request: ChatbotCreate) -> Chatbot:
        # Unchosen, the model and answer length are the plan's default and at most its cap.
        plan = self.quotas.plan(tenant_id)
        limits = plan.narrow(self.limits)
        chosen = request.model_fields_set
        model_name = request.model_name if "model_name" in chosen else limits.default_model
        max_tokens = request.max_tokens if "max_tokens" in chosen else min(request.max_tokens, limits.max_tokens)
        self._check_spending(plan, model_name, max_tokens)
        self.quotas.acquire(tenant_id, "chatbots", plan=plan)
        now = self.clock()
        chatbot = Chatbot(
            **{**request.model_dump(), "model_name": model_name, "max_tokens": max_tokens},
            id=new_id(),
            tenant_id=tenant_id,
            public_key=new_public_key(),
            created_at=now,
            updated_at=now,
        )
        try:
            self.chatbots.add(chatbot)
        except BaseException:
            self.quotas.release(tenant_id, "chatbots")
            raise
        return chatbot

    def list(self, tenant_id: str, page: PageRequest, *, scope: str | None = None) -> Page[Chatbot]:
        """One page of the tenant's chatbots; with `scope` (a key limited to one chatbot), that one only."""
        if scope is not None:
            chatbot = self.chatbots.get(tenant_id, scope, deleting=True)
            return Page([chatbot] if chatbot else [], None)
        return self.chatbots.list(tenant_id, page)

    def get(self, tenant_id: str, chatbot_id: str) -> Chatbot:
        """The chatbot as its owner sees it: a deleted one shows `deleting` until it is erased."""
        chatbot = self.chatbots.get(tenant_id, chatbot_id, deleting=True)
        if chatbot is None:
            raise ChatbotNotFound()
        return chatbot

    def update(self, tenant_id: str, chatbot_id: str, request: ChatbotUpdate) -> Chatbot:
        self._check_spending(self.quotas.plan(tenant_id), request.model_name, request.max_tokens)
        if request.chunk_size is not None or request.chunk_overlap is not None:
            current = find_chatbot(self.chatbots, tenant_id, chatbot_id)
            try:
                check_chunking(
                    current.chunk_size if request.chunk_size is None else request.chunk_size,
                    current.chunk_overlap if request.chunk_overlap is None else request.chunk_overlap,
                )
            except ValueError as error:
                raise ValidationFailed(str(error)) from error
        changes = {**request.model_dump(mode="json", exclude_unset=True), "updated_at": timestamp(self.clock())}
        chatbot = self.chatbots.update(tenant_id, chatbot_id, changes)
        if chatbot is None:
            raise ChatbotNotFound()
        return chatbot

    def delete(self, tenant_id: str, chatbot_id: str) -> None:
        """Mark the chatbot `deleting`: from now on it answers nothing but its owner's reads (its documents,
        questions, chat and public key are refused as if it did not exist); the erasure worker then deletes its
        documents, files, vectors, statistics and conversations, and the chatbot itself. Deleting it again before
        that asks again."""
        was = self.chatbots.soft_delete(tenant_id, chatbot_id, self.clock())
        if was is None:
            raise ChatbotNotFound()
        if was.deleted_at is None:  # deleted now, not again: its place on the plan is free
            self.quotas.release(tenant_id, "chatbots")
        self.erasures.request(ErasureRequest(tenant_id=tenant_id, chatbot_id=chatbot_id))
