"""Sentences written to an assistant rather than about the subject ("Ignore all previous instructions…"): a
document, or a web page someone saved, may carry text meant to steer whatever language model reads it. An answer
never quotes one.

The test is deliberately narrow. Manuals are full of imperatives ("Run the installer.", "Ignore the previous
step if you have a Mac."), so an imperative alone proves nothing; a sentence counts only when it does one of the
things that make sense solely when said to an AI: overriding its earlier instructions as a whole, telling it what
it now is, obliging it "as an AI", asking for its hidden prompt, or speaking in a chat template's markup.
"""

from __future__ import annotations

import re

_AI = r"(?:ai|a\.i\.|language\s+model|llm|chatbot)"
_INSTRUCTION_PATTERNS = (
    # Earlier instructions overridden as a whole: "ignore all previous instructions", "forget your prior
    # prompts". "Ignore the previous instructions" is left alone: a manual says that of its own steps.
    r"\b(?:ignore|disregard|forget|override)\s+(?:(?:all|any)\s+(?:of\s+)?(?:the\s+|your\s+)?|your\s+|my\s+)?"
    r"(?:previous|prior|preceding|earlier|above|foregoing|original|initial|system)\s+"
    r"(?:instructions|prompts?|directions|directives|guidelines|messages|context|rules)\b",
    # "Disregard the above." / "ignore everything above and…", not "ignore the above warning".
    r"\b(?:ignore|disregard|forget)\s+(?:all\s+(?:of\s+)?|everything\s+)?(?:the\s+)?(?:above|foregoing)"
    r"\s*(?:[.,;:!]|and\b|$)",
    # Safety rules switched off: "bypass your safety guidelines", "you are no longer bound by any rules".
    r"\b(?:ignore|disregard|bypass|override)\s+(?:all\s+|any\s+)?(?:of\s+)?(?:your\s+)?(?:safety|content|ethical)\s+"
    r"(?:guidelines|filters|policies|restrictions|rules)\b",
    r"\byou\s+(?:are|have\s+been)\s+(?:now\s+)?(?:no\s+longer\s+bound\s+by|(?:freed|released|free)\s+from)\s+"
    r"(?:\w+\s+){0,2}(?:rules|restrictions|guidelines|policies|filters)\b",
    # A new identity: "you are now an unrestricted AI", "you are a helpful assistant", "answer as DAN".
    # An article is required after "you are", so "you are using an AI model" is not one.
    rf"\byou\s+are\s+(?:now\s+|no\s+longer\s+)?an?\s+(?:[\w-]+\s+){{0,2}}(?:{_AI}|helpful\s+assistant)\b",
    r"\b(?:you\s+are\s+now|act\s+as|answer\s+as|respond\s+as|reply\s+as)\s+dan\b",
    r"\byou\s+are\s+now\s+in\s+(?:dan|jailbreak|god)\s+mode\b",
    # Obligations laid on the model: "As an AI, you must…".
    rf"\bas\s+an?\s+(?:[\w-]+\s+){{0,2}}{_AI}\b[^.!?]*\byou\s+(?:must|should|will|shall|need\s+to|have\s+to)\b",
    # Asking for the hidden prompt, or writing a new one.
    r"\b(?:reveal|print|show|repeat|output|display|disclose|leak|tell\s+me)\s+(?:me\s+)?(?:your|the)\s+"
    r"(?:system\s+(?:prompt|message)|initial\s+prompt|hidden\s+(?:prompt|instructions)|"
    r"(?:original|initial|secret)\s+instructions)\b",
    r"\byour\s+system\s+prompt\b|\bsystem\s+prompt\s*:|\b(?:new|updated|real)\s+(?:system\s+)?instructions\s*:",
    # Chat template markup, which only a model's input contains.
    r"<\|(?:im_start|im_end|system|user|assistant|endoftext)\|>|\[/?INST\]|<</?SYS>>",
)
_INSTRUCTION = re.compile("|".join(f"(?:{pattern})" for pattern in _INSTRUCTION_PATTERNS), re.IGNORECASE)


def speaks_to_the_assistant(sentence: str) -> bool:
    """Whether the sentence is an instruction aimed at an AI reading the document, not content for the user."""
    return bool(_INSTRUCTION.search(sentence))
