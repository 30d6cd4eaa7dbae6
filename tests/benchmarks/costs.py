"""What 1,000 questions and 1,000 indexed pages cost at list prices, and what limits a deployment first at 10, 100
and 1,000 questions a second: computed from the AWS calls `tests/benchmarks/requests.py` counted and the latencies it
measured (its --json), with the template's memory sizes and throttles.

    python -m tests.benchmarks.costs figures.json

Approximations, said once: a DynamoDB call is charged as one request unit per item it reads or writes (items here are
under 1 KB, reads strongly consistent; a transaction's item costs two; a Query or BatchGetItem is counted as one unit
per call, which undercounts long pages); a function's duration is the request's local p50 (gateway included: an upper
bound on a quiet machine, noisy on a shared one). In this configuration (MiniLM, the local index, extractive answers)
nothing is paid to OpenAI or Pinecone; the lines for them price what the same counts would cost with them.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from parley.domain.model_prices import MODEL_PRICES

from local.stack.stack import ROOT
from local.template import http_routes, load_template

# US dollars, us-east-1 list prices as last read (2025-06; not re-checked offline: check before quoting).
PRICES_READ = "2025-06"
PRICES = {
    "lambda_gb_second": 0.0000166667,
    "lambda_request": 0.20 / 1e6,
    "http_api_request": 1.00 / 1e6,
    "websocket_message": 1.00 / 1e6,
    "dynamodb_read_unit": 0.125 / 1e6,  # on-demand, after the 2024-11 price cut
    "dynamodb_write_unit": 0.625 / 1e6,
    "sqs_request": 0.40 / 1e6,
    "s3_write_request": 0.005 / 1e3,  # PUT, COPY, POST, LIST
    "s3_read_request": 0.0004 / 1e3,  # GET and the rest
    "pinecone_read_unit": 16.0 / 1e6,  # serverless, standard plan
    "pinecone_write_unit": 4.0 / 1e6,
    "openai_embedding_token": 0.02 / 1e6,  # text-embedding-3-small
}
READS = {"GetItem": 1, "Query": 1, "BatchGetItem": 1, "Scan": 1}
WRITES = {"PutItem": 1, "UpdateItem": 1, "DeleteItem": 1, "BatchWriteItem": 1, "TransactWriteItems": 2}
S3_WRITES = {"PutObject", "CopyObject", "PostObject", "ListObjectsV2", "ListObjects", "CreateMultipartUpload"}
# What limits a deployment, by default (AWS account quotas, us-east-1; Pinecone and OpenAI by plan and tier).
LAMBDA_CONCURRENCY = 1000  # per account and region, unless raised
PARTITION_WRITE_UNITS = 1000  # a DynamoDB partition's writes a second: one item (a tenant's counter) is one partition
PARTITION_READ_UNITS = 3000


def call_cost(calls: Mapping[str, int]) -> float:
    """US dollars of one request's AWS calls (not its Lambda time nor its gateway request)."""
    dollars = 0.0
    for operation, count in calls.items():
        service, _, action = operation.partition(":")
        if service == "dynamodb":
            dollars += count * READS.get(action, 0) * PRICES["dynamodb_read_unit"]
            dollars += count * WRITES.get(action, 0) * PRICES["dynamodb_write_unit"]
        elif service == "sqs":
            dollars += count * PRICES["sqs_request"]
        elif service == "s3":
            dollars += count * PRICES["s3_write_request" if action in S3_WRITES else "s3_read_request"]
        elif service == "execute-api":
            dollars += count * PRICES["websocket_message"]
    return dollars


def lambda_cost(memory_mb: int, milliseconds: float) -> float:
    return memory_mb / 1024 * milliseconds / 1000 * PRICES["lambda_gb_second"] + PRICES["lambda_request"]


def memory_of(template: Mapping[str, Any]) -> dict[str, int]:
    default = int(template.get("Globals", {}).get("Function", {}).get("MemorySize", 128))
    return {
        logical_id: int(resource["Properties"].get("MemorySize", default))
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == "AWS::Serverless::Function"
    }


def route_function(template: Mapping[str, Any]) -> dict[str, str]:
    return {f"{route.method} {route.path}": route.function for route in http_routes(template)}


def throttle_of(template: Mapping[str, Any], function: str) -> float | None:
    """The requests a second the HTTP API serving `function`'s routes allows (its DefaultRouteSettings)."""
    apis = {route.function: route.api for route in http_routes(template)}
    api = template["Resources"].get(apis.get(function, ""), {})
    rate = api.get("Properties", {}).get("DefaultRouteSettings", {}).get("ThrottlingRateLimit")
    return float(rate) if rate is not None else None


def question_cost(row: Mapping[str, Any], memory_mb: int) -> float:
    return call_cost(row["calls"] or {}) + lambda_cost(memory_mb, row["p50_ms"]) + PRICES["http_api_request"]


def page_figures(figures: Mapping[str, Any]) -> tuple[int, dict[str, float]]:
    """Pages the ingested abstracts count as, and what their indexing cost, by item."""
    ingest = figures["ingest"]
    pages = int(ingest["pages"])
    calls: dict[str, int] = {}
    for operations in ingest["calls"].values():
        for operation, count in operations.items():
            calls[operation] = calls.get(operation, 0) + count
    memory = memory_of(load_template(ROOT / "template.yaml"))
    chunks = ingest["chunks"]
    # The ingest function's time is what the stack took per chunk (the whole run, embedding included: an upper bound).
    seconds = ingest["seconds"]
    items = {
        "AWS calls": call_cost(calls),
        "Lambda (ingest)": memory["IngestFunction"] / 1024 * seconds * PRICES["lambda_gb_second"],
        "Pinecone writes (if Pinecone)": chunks * PRICES["pinecone_write_unit"],
        "OpenAI embeddings (if OpenAI)": ingest["tokens"] * PRICES["openai_embedding_token"],
    }
    return pages, items


def report(figures: Mapping[str, Any]) -> None:
    template = load_template(ROOT / "template.yaml")
    memory, functions = memory_of(template), route_function(template)
    rows = {row["route"]: row for row in figures["routes"]}
    print(f"\ncost at list prices (read {PRICES_READ}, USD, us-east-1; see tests/benchmarks/costs.py's approximations)")
    for name, price in PRICES.items():
        print(f"  {name:28} {price:.10f}")
    print("  per 1,000 requests:")
    for route in ("POST /chatbots/{chatbot_id}/query", "POST /public/chatbots/{public_key}/query", "GET /chatbots"):
        if route in rows and rows[route]["calls"] is not None:
            function = functions[route]
            cost = question_cost(rows[route], memory[function])
            took = rows[route]["p50_ms"]
            print(f"    {route:48} ${cost * 1000:8.4f}  ({function}, {memory[function]} MB, {took:.0f} ms)")
    if "POST /chatbots/{chatbot_id}/query" in rows:
        # A question with Pinecone: one query (a read unit per 1 GB scanned, at least 5 with sparse-dense ) and,
        # with OpenAI, the question's embedding (about 15 tokens) and the model's tokens.
        model = MODEL_PRICES["gpt-4o-mini"]
        with_model = 5 * PRICES["pinecone_read_unit"] + 15 * PRICES["openai_embedding_token"]
        with_model += (1500 * model.input_per_million + 150 * model.output_per_million) / 1e6
        assumed = "5 read units, 1,500 prompt and 150 answer tokens"
        print(f"    + with Pinecone and gpt-4o-mini ({assumed}): ${with_model * 1000:.4f}")
    if "ingest" in figures:
        pages, items = page_figures(figures)
        print(f"  per 1,000 indexed pages ({pages} pages of SciFact abstracts measured):")
        for item, dollars in items.items():
            print(f"    {item:48} ${dollars / pages * 1000:8.4f}")
    capacity(template, rows, functions, memory)


def capacity(
    template: Mapping[str, Any], rows: Mapping[str, Any], functions: Mapping[str, str], memory: Mapping[str, int]
) -> None:
    route = "POST /chatbots/{chatbot_id}/query"
    if route not in rows or rows[route]["calls"] is None:
        return
    row, function = rows[route], functions[route]
    seconds = row["p50_ms"] / 1000
    writes = sum(count * WRITES.get(op.partition(":")[2], 0) for op, count in row["calls"].items())
    throttle = throttle_of(template, function)
    print(f"\ncapacity for owners' questions ({route}: {seconds * 1000:.0f} ms, {writes} write units each)")
    print(f"  {'questions/s':>12} {'Lambda envs':>12} {'gateway':>14} {'one tenant DynamoDB':>22}  limits first")
    for rate in (10, 100, 1000):
        environments = rate * seconds
        per_tenant = rate * writes
        limits = []
        if throttle is not None and rate > throttle:
            limits.append(f"the API's route throttle ({throttle:.0f}/s)")
        if environments > LAMBDA_CONCURRENCY:
            limits.append("Lambda concurrency")
        if per_tenant > PARTITION_WRITE_UNITS:
            limits.append("one tenant's counter items (a partition's 1,000 writes/s)")
        print(
            f"  {rate:>12} {environments:>12.0f} {f'{throttle:.0f}/s' if throttle else '-':>14} "
            f"{per_tenant:>15.0f} WRU/s  {', '.join(limits) or 'nothing here'}"
        )
    print("  (Pinecone serverless and OpenAI limit by plan and tier; a tenant's questions share its usage items.)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("figures", type=Path, help="tests.benchmarks.requests --json's file")
    args = parser.parse_args()
    figures = json.loads(args.figures.read_text())
    for label, measured in figures.items():
        if not label.startswith("before"):
            print(f"\n== {label}")
            report(measured)


if __name__ == "__main__":
    main()
