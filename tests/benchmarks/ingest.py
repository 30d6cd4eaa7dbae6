"""Ingest benchmarks.

1. Requests: indexing a document of about 1,000 chunks through the real OpenAI and Pinecone SDKs against the
   local fakes — how many embedding and upsert requests it takes, and the pipeline's own time around them; then
   SciFact abstracts in SQS batches as the ingest function takes them, requests per 1,000 chunks (the template's
   BatchSize against the 10 it was before).
2. Throughput: a generated 200-page PDF through the embedded default (MiniLM on onnxruntime, local index).

Both drive DocumentIndexer with the AWS side (DynamoDB, S3) in moto, in-process.
"""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import boto3
from moto import mock_aws
from parley.adapters.dynamo import keys
from parley.adapters.dynamo.chatbots import DynamoChatbotStore
from parley.adapters.dynamo.documents import DynamoDocumentStore
from parley.adapters.dynamo.lexicon import DynamoLexicon
from parley.adapters.dynamo.table import Table
from parley.adapters.dynamo.usage import DynamoUsageCounters
from parley.adapters.embedded.local_index import LocalVectorIndex
from parley.adapters.embedded.minilm import MiniLMEmbedder
from parley.adapters.openai_access import OpenAIAccess
from parley.adapters.openai_embedder import OpenAIEmbedder
from parley.adapters.pinecone_index import PineconeIndex
from parley.adapters.s3 import S3BlobStore
from parley.adapters.sqs import SqsErasureQueue
from parley.domain.chatbots import ChatbotCreate
from parley.domain.documents import DocumentCreate
from parley.ingest.chunking import ChunkPlan, chunk_blocks
from parley.ingest.extract import extract
from parley.ingest.uploads import ObjectCreated, Outcome
from parley.ports import DocumentEmbedder, VectorIndex
from parley.services.chatbots import ChatbotService
from parley.services.documents import DocumentService
from parley.services.indexer import DocumentIndexer
from parley.services.quotas import Quotas

from local.fakes.openai import FakeOpenAI
from local.fakes.pinecone import FakePinecone
from local.fakes.samples import pdf, prose
from local.stack.provision import Provisioner
from local.stack.stack import ROOT
from local.template import REGION, load_template, parameter_values
from local.tools import beir

TENANT = "b" * 32
# SciFact (BEIR), beside the repository as `make eval` expects it, or where PARLEY_BENCH_DATASET says.
DATASET = Path(os.environ.get("PARLEY_BENCH_DATASET", ROOT.parent / "shared" / "data" / "scifact"))


def _aws() -> tuple[Table, S3BlobStore, SqsErasureQueue]:
    template = load_template(ROOT / "template.yaml")
    resources = Provisioner(template, parameter_values(template), boto3.client).provision_all()
    return (
        Table(resources["Table"]["Ref"]),
        S3BlobStore(resources["DocumentsBucket"]["Ref"]),
        SqsErasureQueue(resources["ErasureQueue"]["Ref"]),
    )


@dataclass
class _Bench:
    """A chatbot on the largest plan in moto, and the indexer and uploads that ingest into `index`."""

    service: DocumentService
    indexer: DocumentIndexer
    blobs: S3BlobStore
    chatbot_id: str

    def upload(self, filename: str, content_type: str, data: bytes) -> ObjectCreated:
        """A document created and its file stored at its upload key, as the notification S3 would send names it."""
        _, ticket = self.service.create(
            TENANT, self.chatbot_id, DocumentCreate(filename=filename, content_type=content_type, size_bytes=len(data))
        )
        upload = ticket.fields["key"]
        etag = self.blobs.client.put_object(Bucket=self.blobs.bucket, Key=upload, Body=data)["ETag"].strip('"')
        return ObjectCreated(upload, len(data), etag, "1")


def _bench(embedder: DocumentEmbedder, index: VectorIndex) -> _Bench:
    table, blobs, erasures = _aws()
    chatbots, documents = DynamoChatbotStore(table), DynamoDocumentStore(table)
    quotas = Quotas(DynamoUsageCounters(table))
    table.put({"PK": keys.tenant(TENANT), "SK": keys.TENANT_SK})  # the tenant, as far as its plan needs one
    quotas.assign(TENANT, "business")  # the largest plan: what is measured is ingest, not the plan's limits
    chatbot = ChatbotService(chatbots, erasures, quotas=quotas).create(TENANT, ChatbotCreate(name="Bench"))
    lexicon = DynamoLexicon(table)
    service = DocumentService(documents, chatbots, blobs, index, lexicon, quotas=quotas, max_bytes=50_000_000)
    indexer = DocumentIndexer(
        documents, chatbots, blobs, embedder, index, lexicon=lexicon, quotas=quotas, max_bytes=50_000_000
    )
    return _Bench(service, indexer, blobs, chatbot.id)


def _index(
    embedder: DocumentEmbedder, index: VectorIndex, filename: str, content_type: str, data: bytes
) -> tuple[int, float]:
    """Upload `data` as a document and index it; returns (chunks, seconds)."""
    bench = _bench(embedder, index)
    event = bench.upload(filename, content_type, data)
    started = time.perf_counter()
    outcome = bench.indexer.index_object(event)
    elapsed = time.perf_counter() - started
    assert outcome.status == "indexed", outcome
    return outcome.chunks, elapsed


def scifact_requests(documents: int = 1500) -> None:
    """SciFact abstracts (one to a few chunks each) indexed as the ingest function takes them from a backlog: in SQS
    batches of the template's BatchSize, the documents of a batch read one after another and their chunks embedded
    and upserted together a group at a time; and, for comparison, in batches of 10 (BatchSize before issue 25's
    floor). Requests per 1,000 chunks, and documents and chunks a second in the same run (the fakes' own work and
    in-process moto included: compare the two lines, not with other runs)."""
    template = load_template(ROOT / "template.yaml")
    batch_size = int(
        template["Resources"]["IngestFunction"]["Properties"]["Events"]["Uploads"]["Properties"]["BatchSize"]
    )
    corpus = list(beir.load(DATASET, "test").corpus.items())[:documents]
    print(f"SciFact: {len(corpus)} abstracts through the OpenAI and Pinecone SDKs, fakes behind them")
    for size in (10, batch_size):
        openai_fake, pinecone_fake = FakeOpenAI().start(), FakePinecone(dimension=512).start()
        try:
            embedder = OpenAIEmbedder(OpenAIAccess(lambda: "sk-bench", openai_fake.base_url), max_retries=0)
            bench = _bench(embedder, PineconeIndex(lambda: "pc-bench", pinecone_fake.url, dimension=512))
            events = [bench.upload(f"{doc_id}.md", "text/markdown", text.encode()) for doc_id, text in corpus]
            chunks, invocations = 0, 0
            started = time.perf_counter()
            for start in range(0, len(events), size):
                invocations += 1
                for outcome in bench.indexer.index_objects([(event, False) for event in events[start : start + size]]):
                    assert isinstance(outcome, Outcome), outcome
                    assert outcome.status == "indexed", outcome
                    chunks += outcome.chunks
            elapsed = time.perf_counter() - started
            embeddings, upserts = openai_fake.requests["/v1/embeddings"], pinecone_fake.requests["/vectors/upsert"]
            label = "the template's BatchSize" if size == batch_size else "BatchSize before the floor"
            per_invocation = len(events) / invocations
            print(f"  in batches of {size} ({label}): {chunks} chunks, {per_invocation:.1f} documents an invocation")
            print(f"    embedding requests {embeddings:5d}  {embeddings * 1000 / chunks:7.1f} per 1,000 chunks")
            print(f"    upsert requests    {upserts:5d}  {upserts * 1000 / chunks:7.1f} per 1,000 chunks")
            print(f"    {len(events) / elapsed:.1f} documents/s, {chunks / elapsed:.1f} chunks/s")
        finally:
            openai_fake.stop()
            pinecone_fake.stop()


def requests_for_1000_chunks() -> None:
    # 1,000 chunks at the default plan (400 tokens, 60 overlap): about 2.6 paragraphs of 110 words each.
    paragraphs = 2600
    while True:
        text = "\n\n".join(prose(seed, 110) for seed in range(paragraphs)).encode()
        planned = len(chunk_blocks(extract(text, "text"), ChunkPlan()))
        if planned <= 1000:
            break
        paragraphs -= 1 + (planned - 1000) * 2
    openai_fake, pinecone_fake = FakeOpenAI().start(), FakePinecone(dimension=512).start()
    try:
        embedder = OpenAIEmbedder(OpenAIAccess(lambda: "sk-bench", openai_fake.base_url), max_retries=0)
        index = PineconeIndex(lambda: "pc-bench", pinecone_fake.url, dimension=512)
        chunks, elapsed = _index(embedder, index, "corpus.txt", "text/plain", text)
        index_calls = pinecone_fake.requests
        print(f"indexing {chunks} chunks (planned {planned}) through the OpenAI and Pinecone SDKs, fakes behind them")
        print(f"  embedding requests   {openai_fake.requests['/v1/embeddings']:5d}   (limit 4)")
        print(f"  upsert requests      {index_calls['/vectors/upsert']:5d}   (limit 10)")
        print(f"  other index requests {sum(index_calls.values()) - index_calls['/vectors/upsert']:5d}")
        print(f"  wall time            {elapsed:8.2f} s  ({chunks / elapsed:.0f} chunks/s with the fakes' own work)")
    finally:
        openai_fake.stop()
        pinecone_fake.stop()


def pdf_throughput(pages: int = 200) -> None:
    data = pdf([prose(page, 330) for page in range(pages)])
    with tempfile.TemporaryDirectory() as folder:
        embedder = MiniLMEmbedder()
        embedder.embed_query("warm up")  # loading the model is a cold start, not throughput
        index = LocalVectorIndex(Path(folder), embedder.model, embedder.dimension)
        chunks, elapsed = _index(embedder, index, "report.pdf", "application/pdf", data)
    print(f"{pages}-page PDF ({len(data) / 1e6:.1f} MB), embedded default (MiniLM int8 on onnxruntime, local index)")
    print(f"  {chunks} chunks in {elapsed:.1f} s = {chunks / elapsed:.1f} chunks/s, {pages / elapsed:.1f} pages/s")


def main() -> None:
    os.environ.update({"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_DEFAULT_REGION": REGION})
    os.environ.pop("AWS_ENDPOINT_URL", None)
    with mock_aws():
        requests_for_1000_chunks()
    with mock_aws():
        scifact_requests()
    with mock_aws():
        pdf_throughput()


if __name__ == "__main__":
    main()
