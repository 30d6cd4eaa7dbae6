"""A question-answering set in SQuAD 2.0's terms (articles, questions with gold answers or none) and how an answer is
scored against it: whether it holds a gold answer, normalised as SQuAD's official evaluation script normalises.

The committed set is data/squad2/subset.json beside this file (its README says where it comes from and how it was
drawn): each article is one document, and its part (`tuning` or `held-out`) says which questions choose parameters
and which report.
"""

from __future__ import annotations

import json
import re
import string
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from parley.answers.abstention import NOT_FOUND

SUBSET = Path(__file__).with_name("data") / "squad2" / "subset.json"
PARTS = ("tuning", "held-out")

_REFERENCE = re.compile(r"\[\d+\]")
_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCTUATION = str.maketrans("", "", string.punctuation)


@dataclass(frozen=True)
class Question:
    id: str
    article: str
    text: str
    answers: tuple[str, ...]  # none: the article does not answer it

    @property
    def answerable(self) -> bool:
        return bool(self.answers)


@dataclass(frozen=True)
class AnswerSet:
    name: str
    documents: dict[str, str]  # file name → the article's text (its title, then its paragraphs)
    questions: list[Question]


def load(path: Path = SUBSET, part: str = "held-out") -> AnswerSet:
    """The articles and questions of one part (`tuning`, `held-out`, or `all`)."""
    data = json.loads(path.read_text())
    articles = [article for article in data["articles"] if part in ("all", article["part"])]
    titles = {article["title"] for article in articles}
    documents = {
        f"{article['title']}.txt": "\n\n".join([article["title"], *article["paragraphs"]]) for article in articles
    }
    questions = [
        Question(item["id"], item["article"], item["question"], tuple(item["answers"]))
        for item in data["questions"]
        if item["article"] in titles
    ]
    return AnswerSet(f"{path.parent.name} {part}", documents, questions)


def normalized(text: str) -> str:
    """Lower case, without punctuation, articles and extra white space (SQuAD's official normalisation)."""
    text = text.lower().translate(_PUNCTUATION)
    return " ".join(_ARTICLES.sub(" ", text).split())


def holds(answer: str, golds: Iterable[str]) -> bool:
    """Whether the answer (its [n] references left out) holds one of the gold answers as a run of whole words."""
    words = f" {normalized(_REFERENCE.sub(' ', answer))} "
    return any(gold and f" {gold} " in words for gold in map(normalized, golds))


def abstains(answer: str, answerable: bool) -> bool:
    """Whether an answer says the documents do not hold it: the API says so, or the text is the not-found answer."""
    return not answerable or normalized(answer) in {normalized(text) for text in NOT_FOUND.values()}
