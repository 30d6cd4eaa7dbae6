"""Logging, metrics and tracing, and the one wrapper that turns a Parley entry point into a Lambda handler."""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging import correlation_paths

from parley.settings import get_settings

Handler = Callable[[dict[str, Any], Any], Any]

logger = Logger()
metrics = Metrics(namespace="Parley")

# Reads publish no application metrics by design; Powertools would warn about it on every such request.
warnings.filterwarnings("ignore", message="No application metrics to publish")


def lambda_entry(target: Any, *, correlation_id_path: str = correlation_paths.API_GATEWAY_HTTP) -> Handler:
    """Wrap an ASGI app (through Mangum) or a plain `(event, context)` function with Powertools, once."""
    if inspect.iscoroutinefunction(type(target).__call__):
        from mangum import Mangum

        handler: Handler = Mangum(target, lifespan="off")
    else:
        handler = target
    if get_settings().tracing:
        # Loading the X-Ray SDK costs cold-start time, so only deployments that trace pay for it.
        from aws_lambda_powertools import Tracer

        handler = Tracer().capture_lambda_handler(handler)
    handler = metrics.log_metrics(handler, capture_cold_start_metric=True)
    return logger.inject_lambda_context(handler, correlation_id_path=correlation_id_path, clear_state=True)
