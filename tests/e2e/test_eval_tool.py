"""`make eval` works on any BEIR-format folder (here a tiny one with ids that are not numbers), and on any answer set in
the committed one's format (here a tiny one)."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from local.fakes.samples import GUIDE
from local.stack.stack import ROOT
from local.tools import beir, squad
from local.tools.eval import off_topic_questions, run, run_answers

DOCUMENTS = {
    "doc/a": ("Llama husbandry", "Llamas hum when calm and eat hay."),
    "doc-b": ("Green tea", "Green tea is steeped at eighty degrees for two minutes."),
    "c:3": ("Volcanoes", "Basalt forms when lava cools quickly at the surface."),
    # Some public BEIR sets hold empty documents: skipped and counted, never a crash.
    "empty-1": ("", ""),
}
QUERIES = {"q1": "what do llamas eat", "q2": "tea steeping temperature", "q3": "how basalt forms"}


def tiny_beir_folder(folder: Path) -> Path:
    """A BEIR folder: corpus, queries and test judgements (with a header line)."""
    with (folder / "corpus.jsonl").open("w") as corpus:
        for id_, (title, text) in DOCUMENTS.items():
            corpus.write(json.dumps({"_id": id_, "title": title, "text": text}) + "\n")
    with (folder / "queries.jsonl").open("w") as queries:
        for id_, text in QUERIES.items():
            queries.write(json.dumps({"_id": id_, "text": text}) + "\n")
    (folder / "qrels").mkdir()
    (folder / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq1\tdoc/a\t1\nq2\tdoc-b\t1\nq3\tc:3\t1\n")
    return folder


def assert_every_query_finds_its_document_first(printed: str) -> None:
    row = next(line for line in printed.splitlines() if line.startswith("test "))
    queries, ndcg, recall, mrr = row.split()[1:5]
    assert (queries, ndcg, recall, mrr) == ("3", "1.000", "1.000", "1.000")
    assert "4 documents" in printed
    assert "0 failed, 1 empty (skipped), 0 refused" in printed
    # and the abstention table: the set's own questions are answered, off-topic ones are not
    rates = {
        line.split("  ")[0]: float(line.split()[-1].rstrip("%"))
        for line in printed.splitlines()
        if line.startswith(("test (answerable)", "off-topic (test)"))
    }
    assert rates["test (answerable)"] == 0.0
    assert rates["off-topic (test)"] >= 90.0


def test_eval_reports_metrics_on_a_tiny_beir_folder(
    base_url: str, data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dataset = beir.load(tiny_beir_folder(tmp_path), "test")

    # When it is evaluated through the running stack
    run(base_url, dataset.corpus, {"test": dataset}, workers=2, name="tiny", data_dir=data_dir)

    # Then every query finds its document first
    assert_every_query_finds_its_document_first(capsys.readouterr().out)


def test_eval_through_pinecone_runs_the_sdk_against_the_fake_and_ranks_alike(tmp_path: Path) -> None:
    # Given the same folder
    folder = tiny_beir_folder(tmp_path)

    # When `make eval STORE=pinecone ONLY=retrieval` evaluates it (its own stack, the functions on the Pinecone
    # adapter), keeping the operator page after the run as `make eval` does (the answers part, 210 questions of the
    # committed set, is left out: test_eval_reports_answers_on_a_tiny_answer_set runs it)
    operator_page = tmp_path / "operator-page.png"
    finished = subprocess.run(
        [
            *(sys.executable, "-m", "local.tools.eval", "--dataset", str(folder)),
            *("--split", "test", "--store", "pinecone", "--only", "retrieval"),
            f"--ops-screenshot={operator_page}",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    # Then the figures are the local index's, and the searches went to Pinecone: one query request each
    assert finished.returncode == 0, finished.stderr[-3000:]
    assert_every_query_finds_its_document_first(finished.stdout)
    assert "vector index: pinecone" in finished.stdout
    # And its ingest said how far it had got, as plain lines (its output is not a terminal), the last one at the end
    assert re.search(r"^ingest: 4 of 4 documents \(100%\), [\d.]+ documents/s, done in \d+ s$", finished.stdout, re.M)
    requests = ast.literal_eval(finished.stdout.split("Pinecone requests: ", 1)[1].split(" (")[0])
    # one per search: the warm-up, the three questions, then the abstention table's (the three, and the off-topic)
    assert requests["/query"] == 1 + 3 + 3 + len(off_topic_questions("test"))
    # And the operator page was taken in Chromium
    assert operator_page.read_bytes().startswith(b"\x89PNG")
    assert f"Operator page after the run: {operator_page}" in finished.stdout


def test_eval_reports_answers_on_a_tiny_answer_set(
    base_url: str, data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given the llama guide, two questions it answers and one it does not
    questions = [
        squad.Question("a1", "guide", "What do llamas eat?", ("grass and hay",)),
        squad.Question("a2", "guide", "What does a llama alarm call sound like?", ("a braying donkey",)),
        squad.Question("u1", "guide", "What's the weather in Paris tomorrow?", ()),
    ]
    answer_set = squad.AnswerSet("tiny answers", {"guide.md": GUIDE}, questions)

    # When it is asked through the running stack
    log = tmp_path / "answers.jsonl"
    run_answers(base_url, answer_set, data_dir=data_dir, log=log)

    # Then the answers table has its row: both answers hold their gold answer, and only the third abstained
    printed = capsys.readouterr().out
    row = next(line for line in printed.splitlines() if line.startswith("tiny answers "))
    assert row.removeprefix("tiny answers").split()[:4] == ["2+1", "100.0%", "0.0%", "100.0%"]
    assert "mode: {'extractive': 3}" in printed
    logged = [json.loads(line) for line in log.read_text().splitlines()]
    assert [(answer["id"], answer["holds"], answer["abstained"]) for answer in logged] == [
        ("a1", True, False),
        ("a2", True, False),
        ("u1", False, True),
    ]
