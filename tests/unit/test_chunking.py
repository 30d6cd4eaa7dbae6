from __future__ import annotations

import itertools

import pytest
from parley.ingest.chunking import ChunkPlan, chunk_blocks
from parley.ingest.extract import Block
from parley.text import count_tokens

from local.samples import prose


def test_short_block_is_one_chunk_with_its_page_and_heading():
    chunks = chunk_blocks([Block("Llamas hum.", page=4, heading="Sounds")], ChunkPlan())

    assert len(chunks) == 1
    assert chunks[0].page == 4
    assert chunks[0].heading == "Sounds"
    assert chunks[0].text == "Sounds\nLlamas hum."


def test_chunks_respect_the_size_and_overlap():
    plan = ChunkPlan(size=100, overlap=20)
    text = "\n\n".join(prose(seed, 60) for seed in range(20))

    chunks = chunk_blocks([Block(text, page=1)], plan)

    assert len(chunks) > 5
    assert all(chunk.tokens <= plan.size for chunk in chunks)

    # Each chunk opens with the end of the one before, so text cut at one edge is whole at the other.
    for before, after in itertools.pairwise(chunks):
        opening = after.text.split("\n")[0]
        assert opening in before.text
        assert 0 < count_tokens(opening) <= plan.overlap
    assert [chunk.no for chunk in chunks] == list(range(len(chunks)))


def test_chunks_never_straddle_blocks():
    blocks = [Block(prose(1, 30), page=1), Block(prose(2, 30), page=2)]

    chunks = chunk_blocks(blocks, ChunkPlan(size=400, overlap=60))

    assert [chunk.page for chunk in chunks] == [1, 2]


def test_a_single_huge_sentence_is_still_cut():
    text = "word " * 5000

    chunks = chunk_blocks([Block(text)], ChunkPlan(size=200, overlap=0))

    assert all(chunk.tokens <= 200 for chunk in chunks)
    assert sum(len(chunk.text.split()) for chunk in chunks) == 5000


def test_every_word_survives_chunking():
    text = "\n\n".join(prose(seed, 90) for seed in range(10))

    chunks = chunk_blocks([Block(text)], ChunkPlan(size=120, overlap=0))

    assert " ".join(chunk.text.replace("\n", " ") for chunk in chunks).split() == text.split()


@pytest.mark.parametrize(("size", "overlap"), [(10, 0), (100, 50), (100, -1)])
def test_bad_plans_are_refused(size, overlap):
    with pytest.raises(ValueError):
        ChunkPlan(size=size, overlap=overlap)


def test_token_estimate_counts_words_and_punctuation_or_characters():
    assert count_tokens("a, b & c!") == 6  # six symbols in nine characters
    assert count_tokens("Llamas, alpacas & vicuñas!") == 7  # 26 characters / 4, rounded up
