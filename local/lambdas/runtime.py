"""Runs each function of template.yaml as Lambda runs it: in execution environments of its own.

An execution environment is a worker process (worker.py) started with only that function's environment:
its resolved template variables, the variables the Lambda runtime sets, and the AWS endpoint and credentials the
stack hands out for that function. It imports the handler once (the init phase) and runs one event at a time.
Each function has a pool that starts with one environment, grows on demand up to the function's concurrency
and reuses idle environments; one that crashes or times out is discarded and replaced. Every invocation ends with
a report, logged as Lambda's REPORT line (Init Duration on an environment's first invocation only) and kept per
function for tools and benchmarks. With fault injection on (local/faults.py), a share of a function's invocations
lose their environment part-way, killed as one that runs out of memory is.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import subprocess
import sys
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from multiprocessing import Pipe
from typing import IO, Any, Protocol

from local.faults import Faults
from local.lambdas.layer import outside_layer
from local.template import ACCOUNT_ID, REGION, FunctionSpec

log = logging.getLogger("local")

# One machine runs the whole stack: no function gets more environments than this, whatever AWS would allow. More
# busy environments than cores only adds contention (measured with ingest on 2 cores: 4 were slower than 2).
LOCAL_CONCURRENCY = max(2, min(4, os.cpu_count() or 2))
# How long stopping environments are given to exit, all together, before those still running are killed.
STOP_SECONDS = 2.0
# Lambda gives the init phase 10 s; a cold local machine starting every function at once needs longer.
INIT_TIMEOUT_SECONDS = 60
# What a synchronous invocation may answer, serialized (Lambda's limit: a larger result is an error, and API Gateway
# answers 500).
RESPONSE_LIMIT_BYTES = 6 * 1024 * 1024
# What the stack's own environment passes on: what a Python process needs to start, nothing more.
PROCESS_VARIABLES = ("PATH", "HOME", "LANG")
# Reports kept per function (the latest ones): enough for a benchmark, bounded for a long `make run`.
REPORTS_KEPT = 1000
# An injected crash kills the environment this far into an invocation at most (seconds, drawn uniformly): a small
# document's ingest takes about that long, so most crashes strike mid-way.
CRASH_WITHIN_SECONDS = 1.0

# The AWS endpoint and credentials a function's environment gets (AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID,
# AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), by logical id: the stack decides what each function may reach.
AwsEnvironment = Callable[[str], Mapping[str, str]]


class FunctionObserver(Protocol):
    """What the stack records of each function as Lambda's service does: its invocations (the AWS/Lambda metrics)
    and each line of its output (its log stream, where EMF metrics are)."""

    def invocation(self, function: str, duration_ms: float, *, failed: bool, concurrent: int) -> None: ...

    def output(self, function: str, line: bytes) -> None: ...


class FunctionError(Exception):
    """The invocation failed as Lambda reports it to a synchronous invoker: the handler raised, the environment
    crashed, or the function timed out."""

    def __init__(self, function: str, error_type: str, message: str) -> None:
        super().__init__(f"{function}: {error_type}: {message}")
        self.function = function
        self.error_type = error_type
        self.message = message


@dataclass(frozen=True)
class InvocationReport:
    """What Lambda's REPORT line says about one invocation."""

    function: str
    request_id: str
    duration_ms: float
    memory_size_mb: int
    # The environment's init phase (the handler import), on its first invocation only.
    init_duration_ms: float | None = None
    # Peak memory of the environment; unknown when it crashed or timed out.
    max_memory_used_mb: int | None = None
    # "timeout" or "error" when the environment did not answer (a handler's exception is not a status).
    status: str | None = None

    @property
    def line(self) -> str:
        """The report as CloudWatch shows it."""
        fields = [
            f"REPORT RequestId: {self.request_id}",
            f"Duration: {self.duration_ms:.2f} ms",
            f"Memory Size: {self.memory_size_mb} MB",
        ]
        if self.max_memory_used_mb is not None:
            fields.append(f"Max Memory Used: {self.max_memory_used_mb} MB")
        if self.init_duration_ms is not None:
            fields.append(f"Init Duration: {self.init_duration_ms:.2f} ms")
        if self.status:
            fields.append(f"Status: {self.status}")
        return "\t".join(fields)


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

    def __init__(
        self,
        spec: FunctionSpec,
        environment: Mapping[str, str],
        on_report: Callable[[InvocationReport], None],
        on_output: Callable[[bytes], None] | None = None,
    ) -> None:
        self.spec = spec
        self._on_report = on_report
        # Set when init ends; handed to the first invocation's report, as Lambda reports it once.
        self._init_duration_ms: float | None = None
        # The report of the latest invocation (one at a time runs in an environment).
        self.last_report: InvocationReport | None = None
        self._connection, theirs = Pipe()
        try:
            # Stderr is inherited and stdout relayed: the function's logs appear in the stack's output, as in its
            # log group, and `on_output` reads each line of stdout as CloudWatch Logs does (EMF metrics).
            self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
                [
                    sys.executable,
                    "-m",
                    "local.lambdas.worker",
                    str(theirs.fileno()),
                    spec.module,
                    spec.handler_name,
                    ",".join(sorted(outside_layer())),
                ],
                cwd=spec.task_root,
                env=dict(environment),
                pass_fds=(theirs.fileno(),),
                stdout=subprocess.PIPE,
            )
        finally:
            theirs.close()
        assert self.process.stdout is not None
        threading.Thread(
            target=_relay, args=(self.process.stdout, on_output), name=f"output-{spec.logical_id}", daemon=True
        ).start()
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
        self._init_duration_ms = message.get("init_duration_ms")
        self._ready = True

    def invoke(self, event: dict[str, Any], *, crash_after: float | None = None) -> Any:
        """Run one event; raises FunctionError for a handler error, a crash or a timeout (which kills the worker).
        With `crash_after`, the environment is killed that many seconds in, if the event is still running."""
        self.wait_ready()
        request_id = str(uuid.uuid4())
        request = {"event": event, "request_id": request_id, "timeout": self.spec.timeout, "account_id": ACCOUNT_ID}
        started = time.perf_counter()
        crash = None if crash_after is None else threading.Timer(crash_after, self._crash, (request_id,))
        try:
            self._connection.send_bytes(json.dumps(request).encode())
            if crash:
                crash.start()
            reply = self._receive(self.spec.timeout)
        except (EOFError, OSError):
            self.process.wait()
            self._report(request_id, (time.perf_counter() - started) * 1000, status="error")
            raise FunctionError(self.spec.logical_id, "Runtime.ExitError", self._exit_message()) from None
        finally:
            if crash:
                crash.cancel()
        if reply is None:
            self.kill()
            self._report(request_id, (time.perf_counter() - started) * 1000, status="timeout")
            message = f"Task timed out after {self.spec.timeout:.2f} seconds"
            raise FunctionError(self.spec.logical_id, "Sandbox.Timedout", message)
        self._report(request_id, reply["duration_ms"], max_memory_used_mb=reply["max_memory_used_mb"])
        if "error" in reply:
            error = reply["error"]
            raise FunctionError(self.spec.logical_id, error["errorType"], error["errorMessage"])
        size = len(json.dumps(reply["result"]).encode())
        if size > RESPONSE_LIMIT_BYTES:
            limit = f"maximum allowed payload size ({RESPONSE_LIMIT_BYTES} bytes)"
            message = f"Response payload size ({size} bytes) exceeded {limit}."
            raise FunctionError(self.spec.logical_id, "Function.ResponseSizeTooLarge", message)
        return reply["result"]

    def _report(
        self, request_id: str, duration_ms: float, *, max_memory_used_mb: int | None = None, status: str | None = None
    ) -> None:
        init_duration_ms, self._init_duration_ms = self._init_duration_ms, None
        self.last_report = InvocationReport(
            self.spec.logical_id,
            request_id,
            duration_ms,
            self.spec.memory_mb,
            init_duration_ms=init_duration_ms,
            max_memory_used_mb=max_memory_used_mb,
            status=status,
        )
        self._on_report(self.last_report)

    def _crash(self, request_id: str) -> None:
        log.warning("FAULT: %s environment killed during request %s", self.spec.logical_id, request_id)
        self.process.kill()

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


def _relay(stdout: IO[bytes], on_output: Callable[[bytes], None] | None) -> None:
    """Copy a worker's stdout to the stack's, line by line, handing each line to `on_output`, until it closes."""
    for line in iter(stdout.readline, b""):
        sys.stdout.write(line.decode(errors="replace"))
        sys.stdout.flush()
        if on_output:
            on_output(line)
    stdout.close()


def _wait_ended(workers: list[Worker], limit_seconds: float = STOP_SECONDS) -> None:
    """Give stopping workers `limit_seconds` in all to exit, then kill those that did not."""
    deadline = time.monotonic() + limit_seconds
    for worker in workers:
        try:
            worker.process.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            worker.process.kill()
            worker.process.wait()


class FunctionPool:
    """The execution environments of one function: reused when idle, more started while all are busy."""

    def __init__(
        self,
        spec: FunctionSpec,
        environment: Mapping[str, str],
        limit: int,
        *,
        crashes: Faults | None = None,
        observer: FunctionObserver | None = None,
    ) -> None:
        self.spec = spec
        self.environment = dict(environment)
        self.limit = limit
        self.crashes = crashes
        self.observer = observer
        self._idle: list[Worker] = []
        self._workers: set[Worker] = set()
        # Busy environments that `recycle` retired: they end when their event does.
        self._retired: set[Worker] = set()
        self._changed = threading.Condition()
        self._closed = False
        self._reports: deque[InvocationReport] = deque(maxlen=REPORTS_KEPT)
        # The function's log group: its REPORT lines (the function's own output is its worker's stdout).
        self._log = logging.getLogger(f"local.{spec.logical_id}")

    @property
    def size(self) -> int:
        """How many environments exist (busy, idle or starting)."""
        with self._changed:
            return len(self._workers)

    @property
    def reports(self) -> list[InvocationReport]:
        """The latest invocations' reports, oldest first."""
        with self._changed:
            return list(self._reports)

    def _record(self, report: InvocationReport) -> None:
        with self._changed:
            self._reports.append(report)
        self._log.info(report.line)

    def _start(self) -> Worker:
        observer = self.observer
        on_output = partial(observer.output, self.spec.logical_id) if observer else None
        worker = Worker(self.spec, self.environment, self._record, on_output)
        self._workers.add(worker)
        return worker

    def warm(self) -> None:
        """Start one environment ahead of the first event; its init runs while the stack starts."""
        with self._changed:
            if not self._workers and not self._closed:
                self._idle.append(self._start())

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
                    return self._start()
                self._changed.wait()

    def release(self, worker: Worker) -> None:
        with self._changed:
            retired = worker in self._retired
            self._retired.discard(worker)
            if worker.alive and not self._closed and not retired:
                self._idle.append(worker)
            else:
                self._workers.discard(worker)
            self._changed.notify()
        if retired:
            worker.stop()
            _wait_ended([worker])
        elif not worker.alive:
            # The environment is gone (crash, timeout); keep one ready for the next event, as Lambda would.
            self.warm()

    def invoke(self, event: dict[str, Any]) -> Any:
        worker = self.acquire()
        with self._changed:
            concurrent = len(self._workers) - len(self._idle)  # environments busy with an event (or starting)
        crash_after = None
        if self.crashes and self.crashes.draw(["crash"], self.spec.logical_id):
            crash_after = self.crashes.fraction() * CRASH_WITHIN_SECONDS
        failed = True
        try:
            result = worker.invoke(event, crash_after=crash_after)
            failed = False
            return result
        finally:
            report = worker.last_report
            self.release(worker)
            if self.observer and report:
                self.observer.invocation(self.spec.logical_id, report.duration_ms, failed=failed, concurrent=concurrent)

    def recycle(self) -> None:
        """Retire every environment, so that the next event starts a fresh one (a cold start): idle ones stop now,
        busy ones when their event ends; none is started in their place."""
        with self._changed:
            idle = list(self._idle)
            self._idle.clear()
            self._workers.difference_update(idle)
            self._retired.update(self._workers)
            self._changed.notify_all()
        for worker in idle:
            worker.stop()
        _wait_ended(idle)

    def close(self) -> list[Worker]:
        """Stop every environment: idle ones end when their connection closes, busy ones are killed. Returns them
        without waiting, so that a stack stopping many functions waits for all their environments at once."""
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
        return workers


class FunctionRuntime:
    """Every function of the template in worker processes of its own; `invoke` is a RequestResponse call."""

    def __init__(
        self,
        specs: Mapping[str, FunctionSpec],
        aws_environment: AwsEnvironment,
        *,
        concurrency: int = LOCAL_CONCURRENCY,
        crashes: Mapping[str, Faults] | None = None,
        observer: FunctionObserver | None = None,
    ) -> None:
        """`crashes`: by logical id, the share of the function's invocations whose environment is killed;
        `observer`: told of every invocation and every line of output."""
        self.specs = dict(specs)
        self.pools = {
            logical_id: FunctionPool(
                spec,
                lambda_environment(spec, aws_environment(logical_id)),
                min(spec.reserved_concurrency or concurrency, concurrency),
                crashes=(crashes or {}).get(logical_id),
                observer=observer,
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

    def recycle(self, logical_id: str) -> None:
        """Force the function's next invocation onto a fresh environment (benchmarks measure cold starts so)."""
        self.pools[logical_id].recycle()

    def reports(self, logical_id: str) -> list[InvocationReport]:
        """The function's latest invocation reports, oldest first."""
        return self.pools[logical_id].reports

    async def invoke_async(self, logical_id: str, event: dict[str, Any]) -> Any:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self.invoke, logical_id, event)

    def close(self) -> None:
        """Stop every worker: all are told at once, then given STOP_SECONDS in all (not each) to exit."""
        _wait_ended([worker for pool in self.pools.values() for worker in pool.close()])
        self._executor.shutdown(wait=False, cancel_futures=True)
