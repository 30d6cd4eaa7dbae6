"""What a language model is given to answer from: the prompt files shipped with the package (read once), the
model's input built from them, and the token budgets that decide how much history and how many passages fit."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache
from importlib.resources import files

from parley.answers.abstention import not_found
from parley.domain.chatbots import Chatbot
from parley.domain.conversations import Message
from parley.domain.passages import Passage
from parley.ports import ChatMessage
from parley.text.tokens import count_tokens

# The tokens the conversation so far and the sources may take in the model's input.
HISTORY_TOKENS = 1500
CONTEXT_TOKENS = 3000
# The messages of the conversation a follow-up is rewritten from.
CONDENSED_MESSAGES = 6

# A source may not close the fence it is quoted in.
_FENCE = re.compile(r"</?\s*sources\s*>", re.IGNORECASE)


@cache
def prompt(name: str) -> str:
    return files("parley").joinpath("prompts", f"{name}.txt").read_text(encoding="utf-8").strip()


def model_input(
    chatbot: Chatbot, history: Sequence[Message], question: str, sources: Sequence[Passage]
) -> list[ChatMessage]:
    """The model's input, each part in its place: the tenant's prompt and the grounding rules in the system
    message; the sources, fenced and labelled as untrusted material, with the question in the user's turn. A
    document's text therefore never speaks with the system's voice."""
    # The not-found answer is given word for word, so an answer that is nothing else is known for one (`answerable`).
    rules = prompt("answer").format(not_found=not_found(question))
    system = (chatbot.system_prompt or prompt("default_system")) + "\n\n" + rules
    asked = prompt("question").format(sources=_numbered(sources), question=question)
    return [
        ChatMessage("system", system),
        *(ChatMessage(message.role, message.content) for message in history),
        ChatMessage("user", asked),
    ]


def condense_input(history: Sequence[Message], question: str) -> list[ChatMessage]:
    """The request that rewrites a follow-up as a question that can be searched on its own."""
    transcript = "\n".join(f"{message.role.title()}: {message.content}" for message in history[-CONDENSED_MESSAGES:])
    return [ChatMessage("user", prompt("condense").format(history=transcript, question=question))]


def within_budget(messages: Sequence[Message], budget: int = HISTORY_TOKENS) -> list[Message]:
    """The most recent messages whose tokens fit in `budget`, oldest first."""
    kept: list[Message] = []
    for message in reversed(messages):
        budget -= count_tokens(message.content)
        if budget < 0:
            break
        kept.insert(0, message)
    return kept


def packed(passages: Sequence[Passage], budget: int = CONTEXT_TOKENS) -> list[Passage]:
    """The best passages that fit in the context budget, in rank order."""
    kept: list[Passage] = []
    for passage in passages:
        budget -= count_tokens(passage.text)
        if budget < 0 and kept:
            break
        kept.append(passage)
    return kept


def _numbered(sources: Sequence[Passage]) -> str:
    blocks = []
    for number, passage in enumerate(sources, start=1):
        where = f"{passage.filename}" + (f", page {passage.page}" if passage.page else "")
        blocks.append(f"[{number}] ({where})\n{_FENCE.sub('(sources)', passage.text)}")
    return "\n\n".join(blocks)
