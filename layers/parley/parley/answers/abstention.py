"""Saying "not in the documents": whether any passage answers a question, and the answer when none does.

The signal is the best dense similarity among the retrieved passages. Lexical coverage was measured too and
separates worse: a short off-topic question ("What is the population of Brazil?") often shares its one or two
content words with some chunk of a large corpus, while its meaning does not come near any
(tests/benchmarks/calibrate_abstention.py prints both).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from parley.domain.passages import Passage

# The not-found answer in the languages a question can be told apart in by its function words.
NOT_FOUND = {
    "en": "I couldn't find this in this chatbot's documents.",
    "fr": "Je n'ai pas trouvé cette information dans les documents de ce chatbot.",
    "de": "Ich konnte dazu nichts in den Dokumenten dieses Chatbots finden.",
    "es": "No encontré esta información en los documentos de este chatbot.",
    "it": "Non ho trovato questa informazione nei documenti di questo chatbot.",
    "pt": "Não encontrei esta informação nos documentos deste chatbot.",
    "nl": "Ik kon dit niet vinden in de documenten van deze chatbot.",
}
_FUNCTION_WORDS = {
    "en": "the a an is are was what who how why when where which do does can i you of to in for on with",
    "fr": "le la les un une des est sont que qui quoi quel quelle comment pourquoi quand où je il elle vous de du à "
    "au aux avec pour",
    "de": "der die das ein eine ist sind was wer wie warum wann wo ich sie du von zu mit für auf nicht",
    "es": "el la los las un una es son qué quién cómo por cuándo dónde yo usted de del con para en",
    "it": "il lo la gli le un una è sono che chi come perché quando dove io lei di del con per non",
    "pt": "o a os as um uma é são que quem como por quando onde eu você de do da com para não",
    "nl": "de het een is zijn wat wie hoe waarom wanneer waar ik u je van met voor op niet",
}
_WORDS = {language: frozenset(words.split()) for language, words in _FUNCTION_WORDS.items()}
_TOKEN = re.compile(r"[^\W\d_]+")


def language_of(text: str) -> str:
    """The language whose function words the text uses most (English when none stands out)."""
    words = _TOKEN.findall(text.lower())
    counts = {language: sum(word in vocabulary for word in words) for language, vocabulary in _WORDS.items()}
    return max(counts, key=lambda language: (counts[language], language == "en"))


def not_found(question: str) -> str:
    return NOT_FOUND[language_of(question)]


def is_not_found(answer: str) -> bool:
    """Whether an answer is the not-found answer (in any of its languages), as a model is told to give it."""
    return _bare(answer) in _NOT_FOUND_BARE


def _bare(text: str) -> str:
    return " ".join(text.split()).strip(" \"'“”.").casefold()


_NOT_FOUND_BARE = frozenset(_bare(text) for text in NOT_FOUND.values())


def answerable(passages: Sequence[Passage], min_relevance: float) -> bool:
    """Whether any passage comes close enough to the question to answer it."""
    return any(passage.similarity >= min_relevance for passage in passages)
