"""`make eval` works on any BEIR-format folder: here a tiny one with ids that are not numbers."""

from __future__ import annotations

import json

from local import beir
from local.eval import run

DOCUMENTS = {
    "doc/a": ("Llama husbandry", "Llamas hum when calm and eat hay."),
    "doc-b": ("Green tea", "Green tea is steeped at eighty degrees for two minutes."),
    "c:3": ("Volcanoes", "Basalt forms when lava cools quickly at the surface."),
}
QUERIES = {"q1": "what do llamas eat", "q2": "tea steeping temperature", "q3": "how basalt forms"}


def test_eval_reports_metrics_on_a_tiny_beir_folder(base_url, tmp_path, capsys):
    # Given a BEIR folder: corpus, queries and test judgements (with a header line)
    with (tmp_path / "corpus.jsonl").open("w") as corpus:
        for id_, (title, text) in DOCUMENTS.items():
            corpus.write(json.dumps({"_id": id_, "title": title, "text": text}) + "\n")
    with (tmp_path / "queries.jsonl").open("w") as queries:
        for id_, text in QUERIES.items():
            queries.write(json.dumps({"_id": id_, "text": text}) + "\n")
    (tmp_path / "qrels").mkdir()
    (tmp_path / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq1\tdoc/a\t1\nq2\tdoc-b\t1\nq3\tc:3\t1\n")
    dataset = beir.load(tmp_path, "test")

    # When it is evaluated through the running stack
    run(base_url, dataset.corpus, {"test": dataset}, workers=2, name="tiny")

    # Then every query finds its document first
    printed = capsys.readouterr().out
    row = next(line for line in printed.splitlines() if line.startswith("test "))
    queries, ndcg, recall, mrr = row.split()[1:5]
    assert (queries, ndcg, recall, mrr) == ("3", "1.000", "1.000", "1.000")
    assert "3 documents" in printed
    assert "0 failed" in printed
