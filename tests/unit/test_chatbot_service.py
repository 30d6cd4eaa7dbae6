from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from parley.domain.chatbots import ChatbotCreate, ChatbotUpdate
from parley.domain.common import PageRequest
from parley.errors import NotFound, ValidationFailed
from parley.services.chatbots import ChatbotService


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


@pytest.fixture
def service(chatbot_store) -> ChatbotService:
    return ChatbotService(chatbot_store, clock=Clock())


def test_create_applies_defaults_and_issues_a_public_key(service):
    chatbot = service.create("t1", ChatbotCreate(name="Support"))

    assert chatbot.tenant_id == "t1"
    assert chatbot.visibility == "private"
    assert chatbot.top_k == 5
    assert chatbot.public_key.startswith("pk_")
    assert chatbot.created_at == chatbot.updated_at


def test_public_keys_are_unique(service):
    keys = {service.create("t1", ChatbotCreate(name=f"bot {i}")).public_key for i in range(20)}

    assert len(keys) == 20


def test_update_changes_only_given_fields_and_bumps_updated_at(service):
    chatbot = service.create("t1", ChatbotCreate(name="Support", temperature=0.5))

    updated = service.update("t1", chatbot.id, ChatbotUpdate(name="Help desk"))

    assert updated.name == "Help desk"
    assert updated.temperature == 0.5
    assert updated.updated_at > chatbot.updated_at
    assert updated.created_at == chatbot.created_at


def test_other_tenant_gets_not_found_for_every_operation(service):
    # Given a chatbot of tenant t1
    chatbot = service.create("t1", ChatbotCreate(name="Support"))

    # Then tenant t2 can neither see, change nor delete it
    with pytest.raises(NotFound):
        service.get("t2", chatbot.id)
    with pytest.raises(NotFound):
        service.update("t2", chatbot.id, ChatbotUpdate(name="Mine now"))
    with pytest.raises(NotFound):
        service.delete("t2", chatbot.id)
    assert service.list("t2", PageRequest()).items == []
    assert service.get("t1", chatbot.id).name == "Support"


def test_deleted_chatbot_disappears(service):
    chatbot = service.create("t1", ChatbotCreate(name="Support"))

    service.delete("t1", chatbot.id)

    with pytest.raises(NotFound):
        service.get("t1", chatbot.id)
    with pytest.raises(NotFound):
        service.delete("t1", chatbot.id)
    assert service.list("t1", PageRequest()).items == []


def test_list_is_in_creation_order(service):
    names = ["a", "b", "c"]
    for name in names:
        service.create("t1", ChatbotCreate(name=name))

    assert [chatbot.name for chatbot in service.list("t1", PageRequest()).items] == names


def test_chunk_overlap_must_stay_under_half_the_chunk_size(service):
    chatbot = service.create("t1", ChatbotCreate(name="Support", chunk_size=400, chunk_overlap=60))

    with pytest.raises(ValidationFailed):
        service.update("t1", chatbot.id, ChatbotUpdate(chunk_size=100))
    assert service.update("t1", chatbot.id, ChatbotUpdate(chunk_size=200, chunk_overlap=0)).chunk_overlap == 0
