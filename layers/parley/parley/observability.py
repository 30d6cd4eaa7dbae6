"""Logging, metrics and tracing, and the one wrapper that turns a Parley entry point into a Lambda handler."""

from __future__ import annotations

import inspect
import logging
import warnings
from collections.abc import Callable, Collection, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from aws_lambda_powertools import Logger, Metrics, single_metric
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit

from parley import snapstart
from parley.domain.conversations import AnswerMode, Rating, Usage
from parley.domain.model_prices import MODEL_PRICES, estimated_cost
from parley.errors import InvalidCredentials, ParleyError, RateLimited, Unauthorized
from parley.log_redaction import RedactingFormatter
from parley.settings import Resource, get_settings

Handler = Callable[[dict[str, Any], Any], Any]

NAMESPACE = "Parley"
# Every line names its function and request (inject_lambda_context); the work appends tenant_id, chatbot_id,
# conversation_id or document_id once it knows them, and each invocation starts without them (clear_state).
logger = Logger(logger_formatter=RedactingFormatter())
metrics = Metrics(namespace=NAMESPACE)

# Reads publish no application metrics by design; Powertools would warn about it on every such request.
warnings.filterwarnings("ignore", message="No application metrics to publish")

# How an answer ended, one class each: cut short, then "the documents do not cover it", then the model's fallback.
AnswerOutcome = Literal["llm", "extractive", "degraded", "abstained", "interrupted", "qa"]
# Why a document failed, in classes an operator can chart (its owner reads the reason itself, in words).
FailureClass = Literal["unreadable", "over_limit", "changed", "internal", "abandoned", "expired"]
# The model dimension of a model the price table does not know (a deployment may allow any).
OTHER_MODEL = "other"


@dataclass(frozen=True)
class MetricSpec:
    unit: MetricUnit
    # Each dimension (besides Powertools' `service`) with every value it may take: never a tenant, user or chatbot.
    dimensions: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


_MODELS = (*MODEL_PRICES, OTHER_MODEL)

# Every metric Parley publishes (namespace Parley). The dashboard in template.yaml shows each of them
# (tests/unit/test_dashboard.py); tenants and chatbots are properties of the records, searchable in the logs.
METRICS: dict[str, MetricSpec] = {
    "Answers": MetricSpec(MetricUnit.Count, {"mode": get_args(AnswerOutcome)}),
    "AnswerLatency": MetricSpec(MetricUnit.Milliseconds),
    "TimeToFirstToken": MetricSpec(MetricUnit.Milliseconds),
    "RetrievalLatency": MetricSpec(MetricUnit.Milliseconds),
    "ModelTokensIn": MetricSpec(MetricUnit.Count, {"model": _MODELS}),
    "ModelTokensOut": MetricSpec(MetricUnit.Count, {"model": _MODELS}),
    # US dollars, estimated from the price table (parley/domain/model_prices.py).
    "EstimatedModelCost": MetricSpec(MetricUnit.NoUnit, {"model": tuple(MODEL_PRICES)}),
    "DocumentsIndexed": MetricSpec(MetricUnit.Count),
    "ChunksIndexed": MetricSpec(MetricUnit.Count),
    "IngestDuration": MetricSpec(MetricUnit.Milliseconds),
    "IngestDurationPerChunk": MetricSpec(MetricUnit.Milliseconds),
    "DocumentsFailed": MetricSpec(MetricUnit.Count, {"reason": get_args(FailureClass)}),
    "RateLimitRefusals": MetricSpec(MetricUnit.Count),
    "AuthFailures": MetricSpec(MetricUnit.Count),
    "WebSocketConnections": MetricSpec(MetricUnit.Count),
    # Ratings given to answers (a changed rating counts again, under its new value).
    "Feedback": MetricSpec(MetricUnit.Count, {"rating": get_args(Rating)}),
    # Visitors asking for a person: whether a member was signed in to be asked.
    "Handoffs": MetricSpec(MetricUnit.Count, {"outcome": ("waiting", "nobody_online")}),
    "HandoffsTaken": MetricSpec(MetricUnit.Count),
    "TimeToFirstHumanReply": MetricSpec(MetricUnit.Milliseconds),
}
# Published by Powertools itself (`capture_cold_start_metric`), with this dimension naming the function.
COLD_START = ("ColdStart", "function_name")


def record(
    name: str, value: float = 1, *, tenant_id: str | None = None, chatbot_id: str | None = None, **dimensions: str
) -> None:
    """Publish one value of metric `name` as an EMF record of its own: with exactly its declared dimensions, and
    the tenant and chatbot as properties (one record each, so a batch of documents keeps each one's tenant)."""
    spec = METRICS[name]
    if set(dimensions) != set(spec.dimensions) or any(
        value_ not in spec.dimensions[dimension] for dimension, value_ in dimensions.items()
    ):
        raise ValueError(f"{name} takes the dimensions {dict(spec.dimensions)}, not {dimensions}")
    with single_metric(name=name, unit=spec.unit, value=value, namespace=NAMESPACE) as metric:
        for dimension, value_ in dimensions.items():
            metric.add_dimension(name=dimension, value=value_)
        for key, property_ in (("tenant_id", tenant_id), ("chatbot_id", chatbot_id)):
            if property_:
                metric.add_metadata(key=key, value=property_)


def model_dimension(model: str) -> str:
    """A model as the metrics name it: itself when priced, else `other` (the dimension's values stay fixed)."""
    return model if model in MODEL_PRICES else OTHER_MODEL


def record_model_use(model: str, usage: Usage, *, tenant_id: str, chatbot_id: str) -> None:
    """The tokens a model call took, and what they cost (estimated; models not in the price table are not)."""
    named = model_dimension(model)
    record("ModelTokensIn", usage.prompt_tokens, model=named, tenant_id=tenant_id, chatbot_id=chatbot_id)
    record("ModelTokensOut", usage.completion_tokens, model=named, tenant_id=tenant_id, chatbot_id=chatbot_id)
    cost = estimated_cost(model, usage)
    if cost is not None:
        record("EstimatedModelCost", cost, model=model, tenant_id=tenant_id, chatbot_id=chatbot_id)


def answer_outcome(mode: AnswerMode, *, degraded: bool, interrupted: bool, answerable: bool) -> AnswerOutcome:
    """The one class an answer is counted in."""
    if interrupted:
        return "interrupted"
    if not answerable:
        return "abstained"
    return "degraded" if degraded else mode


def record_refusal(error: ParleyError) -> None:
    """Count a request refused for its rate or its credentials. A rate-limit refusal is logged too, with the tenant
    the logger carries, for the rule that ranks tenants by refusals (template.yaml)."""
    if isinstance(error, RateLimited):
        logger.info("Request refused", extra={"code": error.code})
        record("RateLimitRefusals")
    elif isinstance(error, Unauthorized | InvalidCredentials):
        record("AuthFailures")


@contextmanager
def keys_of_one_record() -> Iterator[None]:
    """Log keys appended inside (the tenant, chatbot or document of one record of a batch) end with it: the next
    record, maybe another tenant's, starts with the invocation's keys only."""
    before = dict(logger.get_current_keys())
    try:
        yield
    finally:
        current = logger.get_current_keys()
        logger.remove_keys([key for key in current if key not in before])
        logger.append_keys(**{key: value for key, value in before.items() if current.get(key) != value})


def lambda_entry(
    target: Any,
    *,
    needs: Collection[Resource] = (),
    calls_models: bool = False,
    correlation_id_path: str = correlation_paths.API_GATEWAY_HTTP,
) -> Handler:
    """Wrap an ASGI app (through Mangum) or a plain `(event, context)` function with Powertools, once; a function
    whose environment lacks a resource it `needs` fails here, at cold start, naming the variables missing. Under
    SnapStart, the snapshot holds the SDKs of what it `needs` (and of the model and index, if it `calls_models`)."""
    settings = get_settings()
    settings.resources.check(needs)
    asgi = inspect.iscoroutinefunction(type(target).__call__)
    snapstart.register(settings, needs, models=calls_models, app=target if asgi else None)
    if asgi:
        from mangum import Mangum

        handler: Handler = Mangum(target, lifespan="off")
        # Mangum logs again, as plain text, an error the app has logged (`_unexpected_error`): through ours instead.
        mangum_log = logging.getLogger("mangum")
        mangum_log.handlers, mangum_log.propagate = [logger.registered_handler], False
    else:
        handler = target
    if settings.tracing:
        # Loading the X-Ray SDK costs cold-start time, so only deployments that trace pay for it.
        from aws_lambda_powertools import Tracer

        handler = Tracer().capture_lambda_handler(handler)
    handler = metrics.log_metrics(handler, capture_cold_start_metric=True)
    return logger.inject_lambda_context(handler, correlation_id_path=correlation_id_path, clear_state=True)
