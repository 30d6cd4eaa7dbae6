from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
from parley.domain.chatbots import ChatbotCreate, ChatbotUpdate, SpendingLimits
from parley.domain.common import PageRequest
from parley.errors import NotFound, ValidationFailed
from parley.services.chatbots import ChatbotService, find_chatbot
from parley.services.quotas import Quotas

if TYPE_CHECKING:
    from tests.unit.conftest import InMemoryChatbotStore, RecordingErasureQueue


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


@pytest.fixture
def service(chatbot_store: InMemoryChatbotStore, erasures: RecordingErasureQueue, quotas: Quotas) -> ChatbotService:
    quotas.assign("t1", "business")  # room for the chatbots these tests make (plans: test_plans.py)
    return ChatbotService(chatbot_store, erasures, quotas=quotas, clock=Clock())


def test_create_applies_defaults_and_issues_a_public_key(service: Any) -> None:
    chatbot = service.create("t1", ChatbotCreate(name="Support"))

    assert chatbot.tenant_id == "t1"
    assert chatbot.visibility == "private"
    assert chatbot.top_k == 5
    assert chatbot.public_key.startswith("pk_")
    assert chatbot.created_at == chatbot.updated_at


def test_public_keys_are_unique(service: Any) -> None:
    keys = {service.create("t1", ChatbotCreate(name=f"bot {i}")).public_key for i in range(20)}

    assert len(keys) == 20


def test_update_changes_only_given_fields_and_bumps_updated_at(service: Any) -> None:
    chatbot = service.create("t1", ChatbotCreate(name="Support", temperature=0.5))

    updated = service.update("t1", chatbot.id, ChatbotUpdate(name="Help desk"))

    assert updated.name == "Help desk"
    assert updated.temperature == 0.5
    assert updated.updated_at > chatbot.updated_at
    assert updated.created_at == chatbot.created_at


def test_other_tenant_gets_not_found_for_every_operation(service: Any, erasures: RecordingErasureQueue) -> None:
    # Given a chatbot of tenant t1
    chatbot = service.create("t1", ChatbotCreate(name="Support"))

    # Then tenant t2 can neither see, change nor delete it
    with pytest.raises(NotFound):
        service.get("t2", chatbot.id)
    with pytest.raises(NotFound):
        service.update("t2", chatbot.id, ChatbotUpdate(name="Mine now"))
    with pytest.raises(NotFound):
        service.delete("t2", chatbot.id)
    assert erasures.requests == []
    assert service.list("t2", PageRequest()).items == []
    assert service.get("t1", chatbot.id).name == "Support"


def test_deleted_chatbot_shows_deleting_until_erased_and_its_erasure_is_asked_for(
    service: Any, chatbot_store: InMemoryChatbotStore, erasures: RecordingErasureQueue
) -> None:
    chatbot = service.create("t1", ChatbotCreate(name="Support"))
    assert chatbot.status == "active"

    service.delete("t1", chatbot.id)

    # Its owner sees it deleting; nothing else can use it, and another tenant still cannot see it
    assert service.get("t1", chatbot.id).status == "deleting"
    assert [(c.id, c.status) for c in service.list("t1", PageRequest()).items] == [(chatbot.id, "deleting")]
    with pytest.raises(NotFound):
        find_chatbot(chatbot_store, "t1", chatbot.id)
    with pytest.raises(NotFound):
        service.update("t1", chatbot.id, ChatbotUpdate(name="Back"))
    with pytest.raises(NotFound):
        service.get("t2", chatbot.id)
    with pytest.raises(NotFound):
        service.delete("t2", chatbot.id)
    assert [(r.tenant_id, r.chatbot_id) for r, _ in erasures.requests] == [("t1", chatbot.id)]
    # Deleting it again before the worker erased it asks again (the first request may have been lost)...
    service.delete("t1", chatbot.id)
    assert len(erasures.requests) == 2
    # ...and once it is erased, it is not found
    chatbot_store.erase("t1", chatbot.id)
    with pytest.raises(NotFound):
        service.get("t1", chatbot.id)
    with pytest.raises(NotFound):
        service.delete("t1", chatbot.id)
    assert service.list("t1", PageRequest()).items == []


def test_list_is_in_creation_order(service: Any) -> None:
    names = ["a", "b", "c"]
    for name in names:
        service.create("t1", ChatbotCreate(name=name))

    assert [chatbot.name for chatbot in service.list("t1", PageRequest()).items] == names


def test_chunk_overlap_must_stay_under_half_the_chunk_size(service: Any) -> None:
    chatbot = service.create("t1", ChatbotCreate(name="Support", chunk_size=400, chunk_overlap=60))

    with pytest.raises(ValidationFailed):
        service.update("t1", chatbot.id, ChatbotUpdate(chunk_size=100))
    assert service.update("t1", chatbot.id, ChatbotUpdate(chunk_size=200, chunk_overlap=0)).chunk_overlap == 0


def test_spending_limits_refuse_other_models_and_longer_answers_and_set_the_defaults(
    chatbot_store: InMemoryChatbotStore, erasures: RecordingErasureQueue, quotas: Quotas
) -> None:
    # (on a plan that narrows neither: the deployment's guard alone is tested here)
    quotas.assign("t1", "business")
    limits = SpendingLimits(models=("gpt-4.1-mini", "gpt-4o-mini"), max_tokens=300)
    service = ChatbotService(chatbot_store, erasures, quotas=quotas, limits=limits)

    created = service.create("t1", ChatbotCreate(name="Cheap"))
    with pytest.raises(ValidationFailed, match=r"'o1-pro' is not available; choose one of gpt-4.1-mini, gpt-4o-mini"):
        service.create("t1", ChatbotCreate(name="Dear", model_name="o1-pro"))
    with pytest.raises(ValidationFailed, match="max_tokens: at most 300"):
        service.update("t1", created.id, ChatbotUpdate(max_tokens=301))

    assert (created.model_name, created.max_tokens) == ("gpt-4.1-mini", 300)
    # A chatbot stored before the list narrowed calls the default model, within the cap
    legacy = created.model_copy(update={"model_name": "o1-pro", "max_tokens": 4096})
    assert (limits.model_for(legacy), limits.max_tokens_for(legacy)) == ("gpt-4.1-mini", 300)
