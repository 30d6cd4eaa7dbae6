"""One chunking rule for the API and ingest: every chunk setting the API takes ingests, every other is refused."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from parley.domain.chatbots import ChatbotCreate, ChatbotUpdate
from parley.domain.chunking import MAX_OVERLAP, MAX_SIZE, MIN_SIZE
from parley.errors import ValidationFailed
from parley.ingest.chunking import ChunkPlan, chunk_blocks
from parley.ingest.extract import Block
from parley.services.chatbots import ChatbotService
from pydantic import ValidationError

from local.fakes.samples import prose

if TYPE_CHECKING:
    from tests.unit.conftest import InMemoryChatbotStore


# Every size near the edges, and a stride through the middle that is prime to 2, so both parities are seen.
SIZES = sorted(
    {
        *range(MIN_SIZE - 2, MIN_SIZE + 15),
        *range(MIN_SIZE, MAX_SIZE + 1, 97),
        *range(MAX_SIZE - 3, MAX_SIZE + 3),
        399,
        400,
        401,
        401 + 2 * MAX_OVERLAP,
    }
)
BLOCKS = [
    Block("\n\n".join(prose(seed, 120) for seed in range(8)), page=1),
    Block(prose(9, 400), page=2, heading="A heading of a good many words, as long as headings in reports get"),
]


def _overlaps(size: int) -> list[int]:
    """Every overlap around 0, the half of `size` and the maximum."""
    half = size // 2
    return sorted({-1, 0, 1, 2, half - 2, half - 1, half, half + 1, MAX_OVERLAP - 1, MAX_OVERLAP, MAX_OVERLAP + 1})


def _api_takes(size: int, overlap: int) -> bool:
    try:
        ChatbotCreate(name="Bot", chunk_size=size, chunk_overlap=overlap)
    except ValidationError:
        return False
    return True


SETTINGS = [(size, overlap) for size in SIZES for overlap in _overlaps(size)]
TAKEN = [setting for setting in SETTINGS if _api_takes(*setting)]
REFUSED = [setting for setting in SETTINGS if not _api_takes(*setting)]


def test_the_sample_covers_both_sides_of_every_edge() -> None:
    assert (101, 50) in TAKEN  # the API and ingest used to disagree on this one
    assert {(100, 49), (MAX_SIZE, MAX_OVERLAP), (MIN_SIZE, 0)} <= set(TAKEN)
    assert {(100, 50), (101, 51), (MIN_SIZE - 1, 0), (MAX_SIZE + 1, 0), (MAX_SIZE, MAX_OVERLAP + 1)} <= set(REFUSED)
    assert (MIN_SIZE, -1) in REFUSED


def test_every_setting_the_api_takes_builds_a_plan_and_chunks_a_text() -> None:
    for size, overlap in TAKEN:
        # Given a chatbot's chunk settings the API accepted
        plan = ChunkPlan(size, overlap)

        # When a document is chunked with them
        chunks = chunk_blocks(BLOCKS, plan)

        # Then every block yields chunks, and those without a heading stay within the size
        assert {chunk.page for chunk in chunks} == {1, 2}, (size, overlap)
        assert all(chunk.text.strip() for chunk in chunks), (size, overlap)
        assert all(chunk.tokens <= size for chunk in chunks if chunk.page == 1), (size, overlap)


def test_every_setting_the_api_refuses_is_refused_by_ingest_too() -> None:
    for size, overlap in REFUSED:
        with pytest.raises(ValueError, match="chunk_"):
            ChunkPlan(size, overlap)


def test_a_refused_update_is_a_422_validation_error(
    chatbot_store: InMemoryChatbotStore, chatbots: ChatbotService
) -> None:
    # Given a chatbot with the default settings
    chatbot = chatbots.create("t1", ChatbotCreate(name="Bot"))
    for size, overlap in REFUSED:
        # When an update asks for a refused pair
        try:
            update = ChatbotUpdate(chunk_size=size, chunk_overlap=overlap)
        except ValidationError:
            continue  # out of the fields' ranges: the request body is refused (422) before the service runs
        with pytest.raises(ValidationFailed) as refused:
            chatbots.update("t1", chatbot.id, update)

        # Then it is a validation error, and the chatbot keeps its settings
        assert refused.value.status == 422
        kept = chatbot_store.get("t1", chatbot.id)
        assert kept is not None
        assert (kept.chunk_size, kept.chunk_overlap) == (400, 60)
