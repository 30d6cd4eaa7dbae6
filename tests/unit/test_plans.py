"""Plans: each limit refused with 402 naming it, given back on delete, monthly counts rolling over with the calendar
month, and one tenant's usage never counting against another's."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest
from parley.domain.chatbots import Answering, ChatbotCreate, ChatbotUpdate, SpendingLimits
from parley.domain.documents import DocumentCreate
from parley.domain.plans import PLANS, plan_named
from parley.errors import PlanLimitReached, ValidationFailed
from parley.ingest.uploads import ObjectCreated
from parley.services.documents import DocumentService
from parley.services.indexer import DocumentIndexer, pages_of
from parley.services.quotas import Quotas

from local.fakes.samples import pdf, prose

if TYPE_CHECKING:
    from tests.unit.conftest import (
        InMemoryBlobStore,
        InMemoryDocumentStore,
        InMemoryUsageCounters,
        InMemoryVectorIndex,
    )


FREE = PLANS["free"]
TENANT, OTHER = "a" * 32, "b" * 32


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def world(
    blobs: InMemoryBlobStore, chatbots: Any, document_service: DocumentService, document_indexer: DocumentIndexer
) -> Any:
    class World:
        chatbot = chatbots.create(TENANT, ChatbotCreate(name="Bot"))
        documents = document_service
        indexer = document_indexer

        def upload(self, filename: str, content_type: str, data: bytes) -> tuple[str, ObjectCreated]:
            document, ticket = self.documents.create(
                TENANT,
                self.chatbot.id,
                DocumentCreate(filename=filename, content_type=content_type, size_bytes=len(data)),
            )
            blobs.objects[ticket.fields["key"]] = data
            return document.id, ObjectCreated(ticket.fields["key"], len(data), f"etag-{len(data)}", "1")

        def ingest(self, filename: str, content_type: str, data: bytes) -> str:
            document_id, event = self.upload(filename, content_type, data)
            self.indexer.index_object(event)
            return document_id

    return World()


def test_new_tenants_are_on_the_free_plan_and_usage_starts_at_zero(quotas: Quotas) -> None:
    # Given a tenant nobody assigned a plan to, on 15 November
    quotas.clock = Clock(datetime(2026, 11, 15, 9, 30, tzinfo=UTC))

    # When its usage is read
    report = quotas.report(TENANT)

    # Then it is the free plan's limits, this calendar month, and nothing used
    assert report.plan == "free"
    assert report.limits == FREE.limits()
    assert set(report.usage.values()) == {0}
    assert report.period.start == datetime(2026, 11, 1, tzinfo=UTC)
    assert report.period.end == datetime(2026, 12, 1, tzinfo=UTC)


def test_chatbots_over_the_plan_are_refused_with_402_and_deleting_one_gives_its_place_back(
    chatbots: Any, quotas: Quotas
) -> None:
    # Given a tenant holding as many chatbots as the free plan allows
    made = [chatbots.create(TENANT, ChatbotCreate(name=f"Bot {n}")) for n in range(FREE.chatbots)]

    # When it creates one more
    with pytest.raises(PlanLimitReached) as refused:
        chatbots.create(TENANT, ChatbotCreate(name="One too many"))

    # Then it is refused, naming the plan and the limit, and nothing more is counted
    assert refused.value.status == 402
    assert refused.value.code == "plan_limit"
    assert str(refused.value) == f"Your plan (Free) allows {FREE.chatbots} chatbots"
    assert quotas.report(TENANT).usage["chatbots"] == FREE.chatbots

    # And deleting one (twice: the second asks for erasure again) frees exactly one place
    chatbots.delete(TENANT, made[0].id)
    chatbots.delete(TENANT, made[0].id)
    assert quotas.report(TENANT).usage["chatbots"] == FREE.chatbots - 1
    chatbots.create(TENANT, ChatbotCreate(name="Replacement"))
    with pytest.raises(PlanLimitReached):
        chatbots.create(TENANT, ChatbotCreate(name="Still too many"))


def test_another_tenants_usage_never_counts_against_yours(chatbots: Any, quotas: Quotas) -> None:
    # Given another tenant at its chatbot limit
    for n in range(FREE.chatbots):
        chatbots.create(OTHER, ChatbotCreate(name=f"Theirs {n}"))

    # When this tenant creates a chatbot
    mine = chatbots.create(TENANT, ChatbotCreate(name="Mine"))

    # Then it is created, and each tenant's usage is its own
    assert mine.tenant_id == TENANT
    assert quotas.report(TENANT).usage["chatbots"] == 1
    assert quotas.report(OTHER).usage["chatbots"] == FREE.chatbots


def test_a_model_the_plan_does_not_allow_is_402_and_one_the_deployment_refuses_is_422(
    chatbots: Any, quotas: Quotas
) -> None:
    # Given a free tenant (gpt-4o-mini, 512 tokens) on a deployment allowing two models and 1024 tokens
    chatbot = chatbots.create(TENANT, ChatbotCreate(name="Bot"))
    assert (chatbot.model_name, chatbot.max_tokens) == ("gpt-4o-mini", 512)

    # When it asks for a model or an answer length only a larger plan has, or for what no plan has
    with pytest.raises(PlanLimitReached, match=r"Your plan \(Free\) does not allow this: model_name: 'gpt-4.1-mini'"):
        chatbots.create(TENANT, ChatbotCreate(name="Dear", model_name="gpt-4.1-mini"))
    with pytest.raises(PlanLimitReached, match=r"max_tokens: at most 512 on your plan \(Free\)"):
        chatbots.update(TENANT, chatbot.id, ChatbotUpdate(max_tokens=1000))
    with pytest.raises(ValidationFailed, match="max_tokens: at most 1024 on this deployment"):
        chatbots.update(TENANT, chatbot.id, ChatbotUpdate(max_tokens=2000))

    # Then refused choices cost no chatbot, and on a larger plan the same choices are fine
    assert quotas.report(TENANT).usage["chatbots"] == 1
    quotas.assign(TENANT, "pro")
    assert (
        chatbots.update(TENANT, chatbot.id, ChatbotUpdate(model_name="gpt-4.1-mini", max_tokens=1000)).max_tokens
        == 1000
    )


def test_a_plan_only_narrows_the_deployments_spending_guard() -> None:
    # Given a deployment allowing one small model and 300 tokens
    ceiling = SpendingLimits(models=("gpt-4.1-mini",), max_tokens=300)

    # Then the largest plan cannot widen it, and a plan allowing none of its models keeps its default only
    assert PLANS["business"].narrow(ceiling) == ceiling
    assert FREE.narrow(ceiling) == SpendingLimits(models=("gpt-4.1-mini",), max_tokens=300)
    assert FREE.narrow(SpendingLimits(("gpt-4.1-mini", "gpt-4o-mini"), 1024)) == SpendingLimits(("gpt-4o-mini",), 512)


def test_without_a_model_answers_are_extractive_and_the_models_still_listed_by_the_plan() -> None:
    # Given a deployment allowing two models but with no language model configured
    answering = Answering(SpendingLimits(("gpt-4.1-mini", "gpt-4o-mini"), 1024), model_configured=False)

    # When the free plan's options are read
    options = FREE.answer_options(answering)

    # Then answers are quotes, and both models are listed in the deployment's order, the plan's one marked
    assert options.mode == "extractive"
    assert [(model.name, model.on_plan) for model in options.models] == [("gpt-4.1-mini", False), ("gpt-4o-mini", True)]
    assert (options.default_model, options.max_tokens) == ("gpt-4o-mini", 512)
    assert PLANS["pro"].answer_options(Answering(answering.limits, model_configured=True)).mode == "llm"


def test_documents_over_the_plan_are_refused_and_deleting_one_gives_its_place_back(
    world: Any, quotas: Quotas, usage_counters: InMemoryUsageCounters
) -> None:
    # Given a tenant one document short of its limit
    usage_counters.add(TENANT, "documents", FREE.documents - 1, FREE.documents)
    last, _ = world.upload("last.txt", "text/plain", b"the last one")

    # When it adds another
    with pytest.raises(PlanLimitReached, match=f"allows {FREE.documents} documents"):
        world.upload("extra.txt", "text/plain", b"one too many")

    # Then deleting one lets the next in
    world.documents.delete(TENANT, world.chatbot.id, last)
    assert quotas.report(TENANT).usage["documents"] == FREE.documents - 1
    world.upload("extra.txt", "text/plain", b"now it fits")


def test_stored_bytes_are_counted_when_indexed_and_given_back_when_deleted(
    world: Any, quotas: Quotas, document_store: InMemoryDocumentStore
) -> None:
    # Given a text file indexed
    data = prose(1, 200).encode()
    document_id = world.ingest("guide.txt", "text/plain", data)
    indexed = document_store.get(TENANT, world.chatbot.id, document_id)
    assert indexed is not None
    assert indexed.status == "indexed"
    assert quotas.report(TENANT).usage["stored_bytes"] == len(data)

    # When it is deleted
    world.documents.delete(TENANT, world.chatbot.id, document_id)

    # Then its bytes and its place are given back
    usage = quotas.report(TENANT).usage
    assert (usage["stored_bytes"], usage["documents"]) == (0, 0)


def test_a_file_over_the_stored_bytes_left_ends_failed_naming_the_limit(
    world: Any, quotas: Quotas, usage_counters: InMemoryUsageCounters, document_store: InMemoryDocumentStore
) -> None:
    # Given a tenant with 100 bytes of storage left
    usage_counters.add(TENANT, "stored_bytes", FREE.stored_bytes - 100, FREE.stored_bytes)

    # When a larger file is ingested
    document_id = world.ingest("guide.txt", "text/plain", prose(2, 200).encode())

    # Then the document ends failed with the plan's limit as its reason, and nothing more is counted
    document = document_store.get(TENANT, world.chatbot.id, document_id)
    assert document is not None
    assert document.status == "failed"
    assert document.error is not None
    assert document.error.startswith(f"Your plan (Free) allows {FREE.stored_bytes:,} bytes of stored documents")
    assert quotas.report(TENANT).usage["stored_bytes"] == FREE.stored_bytes - 100
    assert quotas.report(TENANT).usage["pages"] == 0


def test_a_pdf_over_the_pages_left_this_month_ends_failed_with_the_reset_date(
    world: Any,
    quotas: Quotas,
    usage_counters: InMemoryUsageCounters,
    document_store: InMemoryDocumentStore,
    vector_index: InMemoryVectorIndex,
) -> None:
    # Given a tenant with 2 pages left this month
    quotas.clock = Clock(datetime(2026, 11, 20, tzinfo=UTC))
    usage_counters.add(TENANT, "pages", FREE.pages - 2, FREE.pages, "2026-11")

    # When a 3-page PDF is ingested
    document_id = world.ingest("manual.pdf", "application/pdf", pdf([prose(n, 80) for n in range(3)]))

    # Then it ends failed (not lost), saying which limit, what remains, and when the count resets
    document = document_store.get(TENANT, world.chatbot.id, document_id)
    assert document is not None
    assert document.status == "failed"
    assert document.error == (
        f"Your plan (Free) allows {FREE.pages:,} pages indexed a month; 2 remain and this needs 3; "
        "the count resets on 2026-12-01T00:00:00Z"
    )
    assert not vector_index.ids(TENANT, document_id)
    assert quotas.report(TENANT).usage["pages"] == FREE.pages - 2


def test_pages_are_a_pdfs_pages_or_3000_characters_of_other_text() -> None:
    from parley.ingest.extract import Block

    assert pages_of([Block("a", page=1), Block("b", page=7)]) == 7
    assert pages_of([Block("x" * 3000), Block("y")]) == 2
    assert pages_of([Block("")]) == 1


def test_questions_a_month_roll_over_with_the_calendar_month(quotas: Quotas) -> None:
    # Given a tenant that used every question of November
    clock = Clock(datetime(2026, 11, 30, 23, 59, tzinfo=UTC))
    quotas.clock = clock
    for _ in range(FREE.questions):
        quotas.acquire(TENANT, "questions")

    # When it asks once more in November, then on 1 December
    with pytest.raises(PlanLimitReached) as refused:
        quotas.acquire(TENANT, "questions")
    clock.now = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)
    quotas.acquire(TENANT, "questions")

    # Then November refuses, naming the reset, and December starts a new count with no job run
    assert str(refused.value) == (
        f"Your plan (Free) allows {FREE.questions} questions a month; the count resets on 2026-12-01T00:00:00Z"
    )
    report = quotas.report(TENANT)
    assert report.usage["questions"] == 1
    assert report.period.start == datetime(2026, 12, 1, tzinfo=UTC)

    # And a November question given back in December goes back to November, not to December
    quotas.release(TENANT, "questions", counted_at=datetime(2026, 11, 30, 23, 59, tzinfo=UTC))
    assert quotas.report(TENANT).usage["questions"] == 1


@pytest.mark.parametrize("counter", ["members", "api_keys"])
def test_members_and_api_keys_are_counted_for_the_services_that_add_them(quotas: Quotas, counter: Any) -> None:
    # Given a tenant at the free plan's limit of members (or keys)
    for _ in range(FREE.limit(counter)):
        quotas.acquire(TENANT, counter)

    # When one more is added, then one is removed and another added
    with pytest.raises(PlanLimitReached, match=f"allows {FREE.limit(counter)} "):
        quotas.acquire(TENANT, counter)
    quotas.release(TENANT, counter)
    quotas.acquire(TENANT, counter)

    # Then the count never passed the limit
    assert quotas.report(TENANT).usage[counter] == FREE.limit(counter)


def test_an_operator_moves_a_tenant_to_a_larger_plan_and_unknown_plans_are_refused(quotas: Quotas) -> None:
    quotas.assign(TENANT, "business")

    assert quotas.report(TENANT).limits["questions"] == PLANS["business"].questions
    with pytest.raises(ValueError, match="'gold' is not a plan; choose one of free, pro, business"):
        plan_named("gold")


def test_a_tenant_above_a_smaller_plan_keeps_what_it_has_but_adds_nothing(chatbots: Any, quotas: Quotas) -> None:
    # Given a pro tenant with 7 chatbots, moved down to free (5)
    quotas.assign(TENANT, "pro")
    for n in range(7):
        chatbots.create(TENANT, ChatbotCreate(name=f"Bot {n}"))
    quotas.assign(TENANT, "free")

    # Then its chatbots stay counted, and another is refused
    assert quotas.report(TENANT).usage["chatbots"] == 7
    with pytest.raises(PlanLimitReached):
        chatbots.create(TENANT, ChatbotCreate(name="Bot 8"))
