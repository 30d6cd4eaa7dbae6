"""Runs each function of template.yaml as Lambda runs it: in execution environments of its own.

An execution environment is a worker process (local/worker.py) started with only that function's environment:
its resolved template variables, the variables the Lambda runtime sets, and the AWS endpoint and credentials the
stack hands out for that function. It imports the handler once (the init phase) and runs one event at a time.
Each function has a pool that starts with one environment, grows on demand up to the function's concurrency
and reuses idle environments; one that crashes or times out is discarded and replaced.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import subprocess
import sys
import threading
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from multiprocessing import Pipe
from typing import Any

from local.template import ACCOUNT_ID, REGION, FunctionSpec

log = logging.getLogger("local")

# One machine runs the whole stack: no function gets more environments than this, whatever AWS would allow. More
# busy environments than cores only adds contention (measured with ingest on 2 cores: 4 were slower than 2).
LOCAL_CONCURRENCY = max(2, min(4, os.cpu_count() or 2))
# Lambda gives the init phase 10 s; a cold local machine starting every function at once needs longer.
INIT_TIMEOUT_SECONDS = 60
# What the stack's own environment passes on: what a Python process needs to start, nothing more.
PROCESS_VARIABLES = ("PATH", "HOME", "LANG")

# The AWS endpoint and credentials a function's environment gets (AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID,
# AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), by logical id: the stack decides what each function may reach.
AwsEnvironment = Callable[[str], Mapping[str, str]]


class FunctionError(Exception):
    """The invocation failed as Lambda reports it to a synchronous invoker: the handler raised, the environment
    crashed, or the function timed out."""

    def __init__(self, function: str, error_type: str, message: str) -> None:
        super().__init__(f"{function}: {error_type}: {message}")
        self.function = function
        self.error_type = error_type
        self.message = message


def lambda_environment(spec: FunctionSpec, aws: Mapping[str, str]) -> dict[str, str]:
    """Everything a function's process sees: its own variables, then what Lambda sets (which wins, as in AWS)."""
    inherited = {name: os.environ[name] for name in PROCESS_VARIABLES if name in os.environ}
    return {
        **inherited,
        **spec.environment,
        "AWS_LAMBDA_FUNCTION_NAME": spec.logical_id,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_mb),
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{spec.logical_id}",
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "LAMBDA_TASK_ROOT": str(spec.task_root),
        "TZ": ":UTC",
        **aws,
    }


class Worker:
    """One execution environment: a process that has imported (or is importing) the function's handler."""

    def __init__(self, spec: FunctionSpec, environment: Mapping[str, str]) -> None:
        self.spec = spec
        self._connection, theirs = Pipe()
        try:
            # Output is inherited: the function's logs appear in the stack's output, as in its log group.
            self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
                [sys.executable, "-m", "local.worker", str(theirs.fileno()), spec.module, spec.handler_name],
                cwd=spec.task_root,
                env=dict(environment),
                pass_fds=(theirs.fileno(),),
            )
        finally:
            theirs.close()
        self._ready = False

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def _receive(self, timeout: float) -> dict[str, Any] | None:
        """The worker's next message; None when it did not answer in time."""
        if not self._connection.poll(timeout):
            return None
        message: dict[str, Any] = json.loads(self._connection.recv_bytes())
        return message

    def wait_ready(self) -> None:
        """Block until the init phase is over; raises FunctionError if it failed."""
        if self._ready:
            return
        try:
            message = self._receive(INIT_TIMEOUT_SECONDS)
        except (EOFError, OSError):
            message = {"init_error": {"errorType": "Runtime.ExitError", "errorMessage": self._exit_message()}}
        if message is None:
            self.kill()
            raise FunctionError(self.spec.logical_id, "Sandbox.Timedout", "init did not finish in time")
        if "init_error" in message:
            self.kill()
            error = message["init_error"]
            raise FunctionError(self.spec.logical_id, "Runtime.ImportModuleError", error["errorMessage"])
        self._ready = True

    def invoke(self, event: dict[str, Any]) -> Any:
        """Run one event; raises FunctionError for a handler error, a crash or a timeout (which kills the worker)."""
        self.wait_ready()
        request = {
            "event": event,
            "request_id": str(uuid.uuid4()),
            "timeout": self.spec.timeout,
            "account_id": ACCOUNT_ID,
        }
        try:
            self._connection.send_bytes(json.dumps(request).encode())
            reply = self._receive(self.spec.timeout)
        except (EOFError, OSError):
            self.process.wait()
            raise FunctionError(self.spec.logical_id, "Runtime.ExitError", self._exit_message()) from None
        if reply is None:
            self.kill()
            message = f"Task timed out after {self.spec.timeout:.2f} seconds"
            raise FunctionError(self.spec.logical_id, "Sandbox.Timedout", message)
        if "error" in reply:
            error = reply["error"]
            raise FunctionError(self.spec.logical_id, error["errorType"], error["errorMessage"])
        return reply["result"]

    def _exit_message(self) -> str:
        try:
            code = self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            return "the execution environment stopped answering"
        return f"the execution environment exited with status {code}"

    def stop(self) -> None:
        """Ask the worker to end (it exits when its connection closes)."""
        self._connection.close()

    def kill(self) -> None:
        self._connection.close()
        self.process.kill()
        self.process.wait()


class FunctionPool:
    """The execution environments of one function: reused when idle, more started while all are busy."""

    def __init__(self, spec: FunctionSpec, environment: Mapping[str, str], limit: int) -> None:
        self.spec = spec
        self.environment = dict(environment)
        self.limit = limit
        self._idle: list[Worker] = []
        self._workers: set[Worker] = set()
        self._changed = threading.Condition()
        self._closed = False

    @property
    def size(self) -> int:
        """How many environments exist (busy, idle or starting)."""
        with self._changed:
            return len(self._workers)

    def warm(self) -> None:
        """Start one environment ahead of the first event; its init runs while the stack starts."""
        with self._changed:
            if not self._workers and not self._closed:
                worker = Worker(self.spec, self.environment)
                self._workers.add(worker)
                self._idle.append(worker)

    def acquire(self) -> Worker:
        with self._changed:
            while True:
                if self._closed:
                    raise FunctionError(self.spec.logical_id, "Local.Stopped", "the local stack is stopping")
                while self._idle:
                    worker = self._idle.pop()
                    if worker.alive:
                        return worker
                    self._workers.discard(worker)  # died while idle: callers never see it
                if len(self._workers) < self.limit:
                    worker = Worker(self.spec, self.environment)
                    self._workers.add(worker)
                    return worker
                self._changed.wait()

    def release(self, worker: Worker) -> None:
        with self._changed:
            if worker.alive and not self._closed:
                self._idle.append(worker)
            else:
                self._workers.discard(worker)
            self._changed.notify()
        if not worker.alive:
            # The environment is gone (crash, timeout); keep one ready for the next event, as Lambda would.
            self.warm()

    def invoke(self, event: dict[str, Any]) -> Any:
        worker = self.acquire()
        try:
            return worker.invoke(event)
        finally:
            self.release(worker)

    def close(self) -> None:
        """Stop every environment: idle ones end when their connection closes, busy ones are killed."""
        with self._changed:
            self._closed = True
            workers, idle = list(self._workers), list(self._idle)
            self._workers.clear()
            self._idle.clear()
            self._changed.notify_all()
        for worker in workers:
            if worker in idle:
                worker.stop()
            else:
                worker.process.kill()  # its invoker sees the environment exit
        for worker in workers:
            try:
                worker.process.wait(timeout=2)
            except subprocess.TimeoutExpired:
                worker.process.kill()
                worker.process.wait()


class FunctionRuntime:
    """Every function of the template in worker processes of its own; `invoke` is a RequestResponse call."""

    def __init__(
        self,
        specs: Mapping[str, FunctionSpec],
        aws_environment: AwsEnvironment,
        *,
        concurrency: int = LOCAL_CONCURRENCY,
    ) -> None:
        self.specs = dict(specs)
        self.pools = {
            logical_id: FunctionPool(
                spec,
                lambda_environment(spec, aws_environment(logical_id)),
                min(spec.reserved_concurrency or concurrency, concurrency),
            )
            for logical_id, spec in self.specs.items()
        }
        # Threads only wait on workers here, so one per possible environment is enough.
        self._executor = ThreadPoolExecutor(
            max_workers=max(1, sum(pool.limit for pool in self.pools.values())), thread_name_prefix="invoke"
        )
        for pool in self.pools.values():
            pool.warm()

    def invoke(self, logical_id: str, event: dict[str, Any]) -> Any:
        """Call the function synchronously; a failed invocation raises FunctionError."""
        return self.pools[logical_id].invoke(event)

    async def invoke_async(self, logical_id: str, event: dict[str, Any]) -> Any:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self.invoke, logical_id, event)

    def close(self) -> None:
        """Stop every worker."""
        for pool in self.pools.values():
            pool.close()
        self._executor.shutdown(wait=False, cancel_futures=True)
