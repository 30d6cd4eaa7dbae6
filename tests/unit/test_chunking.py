# ruff: noqa: RUF001 - text in many scripts is what these tests are about
from __future__ import annotations

import hashlib
import itertools
from typing import Any

import pytest
from parley.domain.chunking import MAX_CHUNK_BYTES
from parley.ingest.chunking import ChunkPlan, chunk_blocks
from parley.ingest.extract import Block
from parley.text.tokens import count_tokens

from local.fakes.samples import prose


def test_short_block_is_one_chunk_with_its_page_and_heading() -> None:
    chunks = chunk_blocks([Block("Llamas hum.", page=4, heading="Sounds")], ChunkPlan())

    assert len(chunks) == 1
    assert chunks[0].page == 4
    assert chunks[0].heading == "Sounds"
    assert chunks[0].text == "Sounds\nLlamas hum."


def test_chunks_respect_the_size_and_overlap() -> None:
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


def test_chunks_never_straddle_blocks() -> None:
    blocks = [Block(prose(1, 30), page=1), Block(prose(2, 30), page=2)]

    chunks = chunk_blocks(blocks, ChunkPlan(size=400, overlap=60))

    assert [chunk.page for chunk in chunks] == [1, 2]


def test_a_single_huge_sentence_is_still_cut() -> None:
    text = "word " * 5000

    chunks = chunk_blocks([Block(text)], ChunkPlan(size=200, overlap=0))

    assert all(chunk.tokens <= 200 for chunk in chunks)
    assert sum(len(chunk.text.split()) for chunk in chunks) == 5000


def test_every_word_survives_chunking() -> None:
    text = "\n\n".join(prose(seed, 90) for seed in range(10))

    chunks = chunk_blocks([Block(text)], ChunkPlan(size=120, overlap=0))

    assert " ".join(chunk.text.replace("\n", " ") for chunk in chunks).split() == text.split()


@pytest.mark.parametrize(("size", "overlap"), [(10, 0), (100, 50), (100, -1)])
def test_bad_plans_are_refused(size: Any, overlap: Any) -> None:
    with pytest.raises(ValueError):
        ChunkPlan(size=size, overlap=overlap)


def test_token_estimate_counts_words_and_punctuation_or_characters() -> None:
    assert count_tokens("a, b & c!") == 6  # six symbols in nine characters
    assert count_tokens("Llamas, alpacas & vicuñas!") == 7  # 26 characters / 4, rounded up


def _scifact_like(seed: int) -> str:
    """An abstract as SciFact's are: English prose with Greek letters, dashes, curly quotes and symbols."""
    return (
        "TGF-β signalling and NF-κB activation in γδ T cells – a cohort study\n\n"
        + prose(seed, 260)
        + " Mean age was 54 ± 7 years (range 31–78); “responders” had ≥2-fold higher IL-6 (p < 0.001).\n\n"
        + prose(seed + 1, 180)
    )


@pytest.mark.parametrize(
    ("size", "overlap", "count", "digest"),
    [
        # Computed with the chunker of main before issue 12 (the same holds for all 5,183 SciFact abstracts at
        # 400/60, the size `make eval` uses, and 200/0).
        (400, 60, 12, "a91791232b56c86816bfe24c74d7bbda36f40fdea154dd3f6790097e137c472b"),
        (200, 0, 22, "8d7dd7de1ab6c0df3cb70a428c71ecb51105cdd8442a98bfee4ac8e8d54acee0"),
        (100, 20, 60, "af2359fdf6c478f30429c1e60a29e172f208565c9801b51cd160252327d40e06"),
        (2000, 200, 3, "abea984d16c07ab1d00cd21a15a00433a1016ee8fa42fc7d483bf37c9c897350"),
    ],
)
def test_english_prose_chunks_exactly_as_before(size: Any, overlap: Any, count: Any, digest: Any) -> None:
    text = "\n\n".join(_scifact_like(seed) for seed in range(0, 12, 2))

    chunks = chunk_blocks([Block(text, heading="Abstracts")], ChunkPlan(size, overlap))

    assert len(chunks) == count
    assert hashlib.sha256("\0".join(chunk.text for chunk in chunks).encode()).hexdigest() == digest


def test_text_without_spaces_is_cut_by_characters_within_every_limit() -> None:
    text = "abcdefghij" * 20_000  # 200,000 characters, not one space

    chunks = chunk_blocks([Block(text)], ChunkPlan(size=400, overlap=0))

    assert len(chunks) > 100
    assert all(chunk.tokens <= 400 and len(chunk.text.encode()) <= MAX_CHUNK_BYTES for chunk in chunks)
    assert "".join(chunk.text.replace("\n", "") for chunk in chunks) == text


def test_cjk_counts_at_least_one_token_per_character() -> None:
    sentence = "東京は日本の首都です。人口は約千四百万人で、世界有数の大都市です！"

    assert count_tokens(sentence) >= len(sentence)
    assert count_tokens("ひらがなとカタカナ") >= 9
    assert count_tokens("한국어 문장입니다") >= 8


def test_a_cjk_document_is_cut_at_its_sentences_into_chunks_of_real_size() -> None:
    sentences = ["この章では、東京の歴史と文化について説明します。", "大阪の料理は有名です！", "京都には寺が多い。"]
    sentences *= 150

    chunks = chunk_blocks([Block("".join(sentences))], ChunkPlan(size=200, overlap=0))

    # Each character is a token, so a chunk of at most 200 tokens holds at most 200 characters
    assert len(chunks) >= 6600 // 200
    assert all(chunk.tokens <= 200 and len(chunk.text.replace("\n", "")) <= 200 for chunk in chunks)
    assert all(chunk.text.endswith(("。", "！")) for chunk in chunks)
    assert "".join(chunk.text.replace("\n", "") for chunk in chunks) == "".join(sentences)


def test_emoji_and_combining_marks_are_never_parted_from_their_character() -> None:
    family, thumbs, accented = "👨\u200d👩\u200d👧", "👍🏽", "e\u0301\u0302"
    text = (family + thumbs + accented) * 3000  # no space anywhere

    chunks = chunk_blocks([Block(text)], ChunkPlan(size=100, overlap=0))

    assert len(chunks) > 10
    assert all(chunk.tokens <= 100 and len(chunk.text.encode()) <= MAX_CHUNK_BYTES for chunk in chunks)
    assert "".join(chunk.text.replace("\n", "") for chunk in chunks) == text
    for chunk in chunks:
        assert chunk.text[0] not in "\u200d\u0301\u0302🏽"
        assert chunk.text[-1] != "\u200d"


def test_no_chunk_is_longer_than_the_byte_limit_whatever_its_script() -> None:
    # Letters of four UTF-8 bytes counted, as English is, one token per four characters.
    text = "𝐀𝐁𝐂𝐃" * 10_000

    chunks = chunk_blocks([Block(text)], ChunkPlan(size=2000, overlap=0))

    assert all(len(chunk.text.encode()) <= MAX_CHUNK_BYTES for chunk in chunks)
    assert "".join(chunk.text.replace("\n", "") for chunk in chunks) == text


def test_a_heading_too_long_to_open_every_chunk_opens_the_text_instead() -> None:
    heading = prose(3, 300)  # a paragraph styled as a heading

    chunks = chunk_blocks([Block(prose(4, 300), heading=heading)], ChunkPlan(size=200, overlap=20))

    assert all(chunk.tokens <= 200 for chunk in chunks)
    body = " ".join(chunk.text.split("\n", 1)[1] for chunk in chunks).split()
    assert " ".join(body).startswith(" ".join(heading.split()[:50]))
