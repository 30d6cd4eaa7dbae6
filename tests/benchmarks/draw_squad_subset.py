"""Draw the committed answer set (local/tools/data/squad2/subset.json) from a copy of SQuAD 2.0's train-v2.0.json.

Articles alternate in file order between the tuning part and the held-out part (so no article, and no paragraph, is
in both); each article keeps PARAGRAPHS paragraphs drawn at random (in their order: the article abridged), and from
those paragraphs each article gives ANSWERABLE answerable questions and up to UNANSWERABLE unanswerable ones, drawn
at random. Everything is seeded: the same source file gives the same subset.

    python -m tests.benchmarks.draw_squad_subset path/to/train-v2.0.json [--articles 10]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
from pathlib import Path
from typing import Any

from local.tools.squad import SUBSET

PARAGRAPHS = 20
ANSWERABLE = 30
UNANSWERABLE = 60
SEED = 27


def draw(source: dict[str, Any], articles: int) -> dict[str, Any]:
    rng = random.Random(SEED)
    drawn_articles, questions = [], []
    for position, article in enumerate(source["data"][:articles]):
        title = article["title"].replace("_", " ")
        part = "tuning" if position % 2 == 0 else "held-out"
        paragraphs = article["paragraphs"]
        kept = sorted(rng.sample(range(len(paragraphs)), min(PARAGRAPHS, len(paragraphs))))
        drawn_articles.append({"title": title, "part": part, "paragraphs": [paragraphs[i]["context"] for i in kept]})
        pool = [(number, qa) for number, i in enumerate(kept) for qa in paragraphs[i]["qas"]]
        answerable = [item for item in pool if not item[1].get("is_impossible")]
        unanswerable = [item for item in pool if item[1].get("is_impossible")]
        chosen = rng.sample(answerable, min(ANSWERABLE, len(answerable)))
        chosen += rng.sample(unanswerable, min(UNANSWERABLE, len(unanswerable)))
        for number, qa in sorted(chosen, key=lambda item: (item[0], item[1]["id"])):
            questions.append(
                {
                    "id": qa["id"],
                    "article": title,
                    "paragraph": number,
                    "question": qa["question"].strip(),
                    # SQuAD's answers repeat; the scorer needs each once.
                    "answers": list(dict.fromkeys(answer["text"] for answer in qa["answers"])),
                }
            )
    return {"articles": drawn_articles, "questions": questions}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("source", type=Path, help="train-v2.0.json (SQuAD 2.0 train)")
    parser.add_argument("--articles", type=int, default=10, help="the first N articles of the file")
    args = parser.parse_args()
    data = args.source.read_bytes()
    subset = draw(json.loads(data), args.articles)
    SUBSET.parent.mkdir(parents=True, exist_ok=True)
    SUBSET.write_text(json.dumps(subset, indent=1, ensure_ascii=False) + "\n")
    counts = {
        part: (
            sum(article["part"] == part for article in subset["articles"]),
            sum(1 for q in subset["questions"] if _part(subset, q) == part and q["answers"]),
            sum(1 for q in subset["questions"] if _part(subset, q) == part and not q["answers"]),
        )
        for part in ("tuning", "held-out")
    }
    print(f"source sha256 {hashlib.sha256(data).hexdigest()}; (articles, answerable, unanswerable) per part: {counts}")


def _part(subset: dict[str, Any], question: dict[str, Any]) -> str:
    return str(next(article["part"] for article in subset["articles"] if article["title"] == question["article"]))


if __name__ == "__main__":
    main()
