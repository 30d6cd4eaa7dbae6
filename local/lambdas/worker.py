"""One Lambda execution environment: `python -m local.lambdas.worker FD MODULE HANDLER REFUSED` (runtime.py starts it;
REFUSED: the top-level modules installed here that the function's layer does not ship, comma-separated).

As the Lambda runtime does, it imports the handler module once (the init phase), then runs one event at a time
for as long as it lives. Events and results travel as JSON over the inherited socket FD, never over stdout,
which (with stderr) stays the function's log stream. It times its init phase and each invocation, and sends the
figures with its answers: the runtime reports them as Lambda's REPORT line does.
"""

from __future__ import annotations

import importlib
import importlib.abc
import io
import json
import os
import resource
import signal
import sys
import time
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

Handler = Callable[[dict[str, Any], Any], Any]


@dataclass
class LambdaContext:
    """The attributes of the Lambda context object that handlers and Powertools read."""

    function_name: str
    memory_limit_in_mb: int
    timeout_seconds: float
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    region: str = "us-east-1"
    account_id: str = "123456789012"
    started: float = field(default_factory=time.monotonic)

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:{self.region}:{self.account_id}:function:{self.function_name}"

    @property
    def log_group_name(self) -> str:
        return f"/aws/lambda/{self.function_name}"

    @property
    def log_stream_name(self) -> str:
        return f"local/{self.aws_request_id}"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.timeout_seconds - (time.monotonic() - self.started)) * 1000))


def error_payload(error: BaseException) -> dict[str, Any]:
    """An exception as the Lambda runtime reports it to the invoker."""
    return {
        "errorType": type(error).__name__,
        "errorMessage": str(error),
        "stackTrace": traceback.format_exception(error),
    }


class OutsideLayer(importlib.abc.MetaPathFinder):
    """Refuses, as Lambda's missing files would, the modules of packages its layer does not ship (layer.py)."""

    def __init__(self, refused: frozenset[str]) -> None:
        self.refused = refused

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> None:  # noqa: ARG002 - the protocol
        if fullname.partition(".")[0] in self.refused:
            raise ModuleNotFoundError(f"No module named {fullname!r} (not in the function's layer)", name=fullname)


def load_handler(module: str, handler_name: str) -> Handler:
    """`module.handler_name`, imported as the Lambda runtime does: the task root first on sys.path."""
    task_root = os.environ.get("LAMBDA_TASK_ROOT", os.getcwd())
    sys.path.insert(0, task_root)
    return getattr(importlib.import_module(module), handler_name)  # type: ignore[no-any-return]


def max_memory_used_mb() -> int:
    """The process's peak resident memory so far, as Lambda's "Max Memory Used" (ru_maxrss is in KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


def serve(connection: Connection, handler: Handler) -> None:
    """Answer invocations until the runtime closes the connection."""
    name = os.environ["AWS_LAMBDA_FUNCTION_NAME"]
    memory = int(os.environ["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"])
    region = os.environ["AWS_REGION"]
    while True:
        try:
            request = json.loads(connection.recv_bytes())
        except EOFError:
            return
        context = LambdaContext(
            name, memory, request["timeout"], request["request_id"], region=region, account_id=request["account_id"]
        )
        started = time.perf_counter()
        try:
            outcome: dict[str, Any] = {"result": handler(request["event"], context)}
        except Exception as error:
            traceback.print_exception(error)
            outcome = {"error": error_payload(error)}
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
        figures = {"duration_ms": (time.perf_counter() - started) * 1000, "max_memory_used_mb": max_memory_used_mb()}
        try:
            payload = json.dumps({**outcome, **figures})
        except (TypeError, ValueError) as error:
            # A result that is not JSON fails the invocation (Lambda's Runtime.MarshalError), not the environment.
            traceback.print_exception(error)
            payload = json.dumps({"error": error_payload(error), **figures})
        connection.send_bytes(payload.encode())


def main() -> None:
    descriptor, module, handler_name, refused = sys.argv[1:5]
    sys.meta_path.insert(0, OutsideLayer(frozenset(refused.split(","))))
    # Lambda's log stream sees each line as it is written, even when the stack's output is a file.
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(line_buffering=True)
    # Nothing interrupts a Lambda environment from its terminal: the runtime (runtime.py) ends it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    connection = Connection(int(descriptor))
    try:
        started = time.perf_counter()
        try:
            handler = load_handler(module, handler_name)
        except Exception as error:
            # Lambda reports an init failure to the invocation that waited for it (Runtime.ImportModuleError).
            traceback.print_exception(error)
            connection.send_bytes(json.dumps({"init_error": error_payload(error)}).encode())
            sys.exit(1)
        init_duration_ms = (time.perf_counter() - started) * 1000
        connection.send_bytes(json.dumps({"ready": True, "init_duration_ms": init_duration_ms}).encode())
        serve(connection, handler)
    except (BrokenPipeError, ConnectionResetError):
        pass  # the runtime went away (the stack stopped): so does the environment
    # Ended by the runtime, an environment keeps nothing: it exits at once, its output flushed, without the
    # interpreter's teardown of what its init loaded (SDKs, the model, the index), which takes a second or more on a
    # busy machine, for each environment of a stopping stack.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
