"""Runs the real Lambda handlers in-process, as the Lambda runtime would: one event at a time per worker."""

from __future__ import annotations

import asyncio
import importlib.util
import time
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from local.template import ACCOUNT_ID, REGION, FunctionSpec, TemplateError


@dataclass
class LambdaContext:
    """The attributes of the Lambda context object that handlers and Powertools read."""

    function_name: str
    memory_limit_in_mb: int
    timeout_seconds: int
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    started: float = field(default_factory=time.monotonic)

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{self.function_name}"

    @property
    def log_group_name(self) -> str:
        return f"/aws/lambda/{self.function_name}"

    @property
    def log_stream_name(self) -> str:
        return f"local/{self.aws_request_id}"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.timeout_seconds - (time.monotonic() - self.started)) * 1000))


def merged_environment(specs: Mapping[str, FunctionSpec]) -> dict[str, str]:
    """One process hosts every function, so their variables must agree where they overlap."""
    merged: dict[str, str] = {}
    for spec in specs.values():
        for key, value in spec.environment.items():
            if merged.setdefault(key, value) != value:
                raise TemplateError(f"{key} differs between functions; the local stack runs them in one process")
    return merged


def load_handler(spec: FunctionSpec) -> Callable[[dict[str, Any], Any], Any]:
    module_spec = importlib.util.spec_from_file_location(f"parley_function_{spec.logical_id}", spec.module_path)
    if module_spec is None or module_spec.loader is None:
        raise TemplateError(f"{spec.logical_id}: cannot load {spec.module_path}")
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return getattr(module, spec.handler_name)  # type: ignore[no-any-return]


def _worker_loop() -> None:
    # Mangum drives its ASGI app on the thread's event loop, as on a Lambda worker.
    asyncio.set_event_loop(asyncio.new_event_loop())


class FunctionRuntime:
    """Loads every handler up front (the Lambda init phase) and invokes them on worker threads."""

    def __init__(self, specs: Mapping[str, FunctionSpec], workers: int = 8) -> None:
        self.specs = dict(specs)
        self.handlers = {logical_id: load_handler(spec) for logical_id, spec in self.specs.items()}
        self._executor = ThreadPoolExecutor(max_workers=workers, initializer=_worker_loop, thread_name_prefix="lambda")

    def invoke(self, logical_id: str, event: dict[str, Any]) -> Any:
        """Call the function synchronously, as a RequestResponse invocation."""
        spec = self.specs[logical_id]
        context = LambdaContext(logical_id, spec.memory_mb, spec.timeout)
        return self.handlers[logical_id](event, context)

    async def invoke_async(self, logical_id: str, event: dict[str, Any]) -> Any:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self.invoke, logical_id, event)

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
