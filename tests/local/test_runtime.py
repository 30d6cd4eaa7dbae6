"""Each function runs as Lambda runs it: worker processes of its own, its own environment only, one event at a time."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from local.lambdas.runtime import RESPONSE_LIMIT_BYTES, FunctionError, FunctionRuntime
from local.template import FunctionSpec

HANDLERS = """
import os
import time

LOADED_AT = time.time()


def environment(event, context):
    return dict(os.environ)


def whoami(event, context):
    time.sleep(event.get("sleep", 0))
    return {"pid": os.getpid(), "loaded_at": LOADED_AT, "function": context.function_name}


def fail(event, context):
    raise ValueError("the llama refused")


def crash(event, context):
    os._exit(3)


def sized(event, context):
    return {"statusCode": 200, "body": "x" * event["bytes"]}


def imports(event, context):
    import importlib, sys

    outcome = {}
    for name in event["modules"]:
        try:
            importlib.import_module(name)
            outcome[name] = "imported"
        except ImportError as error:
            outcome[name] = str(error)
    return {"outcome": outcome, "loaded": sorted({module.split(".")[0] for module in sys.modules})}
"""
# A module whose interpreter teardown is slow (as the SDKs, the model and an index of thousands of chunks make it) and
# leaves a mark when it runs.
SLOW_TEARDOWN = """
import atexit
import os
import time


def torn_down():
    time.sleep(30)
    open(os.environ["TEARDOWN_MARK"], "w").close()


atexit.register(torn_down)


def pid(event, context):
    return os.getpid()
"""


def _spec(root: Path, logical_id: str, handler: str, **changes: Any) -> FunctionSpec:
    values = {
        "logical_id": logical_id,
        "module_path": root / "app.py",
        "handler_name": handler,
        "timeout": 10,
        "memory_mb": 256,
        "task_root": root,
        "module": "app",
        "environment": {},
        **changes,
    }
    return FunctionSpec(**values)


def _aws(logical_id: str) -> dict[str, str]:
    return {
        "AWS_ENDPOINT_URL": f"http://aws.test/{logical_id}",
        "AWS_ACCESS_KEY_ID": f"key-of-{logical_id}",
        "AWS_SECRET_ACCESS_KEY": "secret",
        "AWS_SESSION_TOKEN": "token",
    }


@pytest.fixture
def code(tmp_path: Path) -> Path:
    (tmp_path / "app.py").write_text(HANDLERS)
    return tmp_path


@pytest.fixture
def run(code: Path) -> Iterator[list[FunctionRuntime]]:
    started: list[FunctionRuntime] = []
    yield started
    for runtime in started:
        runtime.close()


def _runtime(run: list[FunctionRuntime], *specs: FunctionSpec, concurrency: int = 4) -> FunctionRuntime:
    runtime = FunctionRuntime({spec.logical_id: spec for spec in specs}, _aws, concurrency=concurrency)
    run.append(runtime)
    return runtime


def test_a_stopped_stack_ends_every_environment_at_once_without_their_teardown(
    code: Path, run: list[FunctionRuntime], tmp_path: Path
) -> None:
    # Given three functions, each with environments whose interpreter teardown would take 30 s
    (code / "slow.py").write_text(SLOW_TEARDOWN)
    mark = tmp_path / "torn-down"
    specs = [
        _spec(code, name, "pid", module="slow", module_path=code / "slow.py", environment={"TEARDOWN_MARK": str(mark)})
        for name in ("First", "Second", "Third")
    ]
    runtime = _runtime(run, *specs)
    for spec in specs:
        runtime.invoke(spec.logical_id, {})
    workers = [worker for pool in runtime.pools.values() for worker in pool._workers]

    # When the stack stops its functions
    runtime.close()

    # Then every environment exited by itself (none killed, as one still tearing down after the runtime's wait would
    # be), and none ran its teardown
    assert len(workers) >= 3
    assert [worker.process.returncode for worker in workers] == [0] * len(workers)
    assert not mark.exists()


def test_a_function_sees_only_its_own_environment(code: Any, run: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given two functions with variables of their own, and a variable in the stack's environment
    monkeypatch.setenv("STACK_ONLY", "leaked")
    runtime = _runtime(
        run,
        _spec(code, "First", "environment", environment={"PARLEY_COLOUR": "red"}),
        _spec(code, "Second", "environment", environment={"PARLEY_SHAPE": "round"}),
    )

    # When the first reads its environment
    environment = runtime.invoke("First", {})

    # Then it has its own variables, what Lambda sets and its own AWS credentials; nothing else
    assert environment["PARLEY_COLOUR"] == "red"
    assert "PARLEY_SHAPE" not in environment
    assert "STACK_ONLY" not in environment
    assert environment["AWS_LAMBDA_FUNCTION_NAME"] == "First"
    assert environment["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "256"
    assert environment["AWS_ENDPOINT_URL"] == "http://aws.test/First"
    assert environment["AWS_ACCESS_KEY_ID"] == "key-of-First"
    assert environment["LAMBDA_TASK_ROOT"] == str(code)
    assert environment["AWS_REGION"] == environment["AWS_DEFAULT_REGION"] == "us-east-1"
    lambda_sets = {
        *("AWS_REGION", "AWS_DEFAULT_REGION", "LAMBDA_TASK_ROOT", "TZ", "AWS_LAMBDA_INITIALIZATION_TYPE"),
        *("AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION"),
        "AWS_LAMBDA_LOG_GROUP_NAME",
    }
    assert set(environment) <= {"PATH", "HOME", "LANG", "PARLEY_COLOUR", *lambda_sets, *_aws("First")}


def test_lambda_variables_win_over_the_template(code: Any, run: Any) -> None:
    runtime = _runtime(run, _spec(code, "Fn", "environment", environment={"AWS_REGION": "eu-west-1"}))

    assert runtime.invoke("Fn", {})["AWS_REGION"] == "us-east-1"


def test_the_handler_is_loaded_once_per_worker(code: Any, run: Any) -> None:
    runtime = _runtime(run, _spec(code, "Fn", "whoami"))

    first, second = runtime.invoke("Fn", {}), runtime.invoke("Fn", {})

    assert first == second
    assert first["function"] == "Fn"


def test_a_handler_exception_reaches_the_caller_and_the_worker_lives_on(code: Any, run: Any) -> None:
    runtime = _runtime(run, _spec(code, "Fn", "fail"), _spec(code, "Who", "whoami"))

    with pytest.raises(FunctionError, match="the llama refused") as raised:
        runtime.invoke("Fn", {})

    assert raised.value.error_type == "ValueError"
    assert runtime.pools["Fn"].size == 1


def test_a_response_over_lambdas_6_mb_is_an_error_as_in_lambda(code: Any, run: Any) -> None:
    runtime = _runtime(run, _spec(code, "Fn", "sized"))

    # A body that fits with its envelope is answered; one byte more than Lambda allows is refused
    assert len(runtime.invoke("Fn", {"bytes": RESPONSE_LIMIT_BYTES - 100})["body"]) == RESPONSE_LIMIT_BYTES - 100
    with pytest.raises(FunctionError, match="exceeded maximum allowed payload size") as raised:
        runtime.invoke("Fn", {"bytes": RESPONSE_LIMIT_BYTES})

    assert raised.value.error_type == "Function.ResponseSizeTooLarge"


def test_a_crashed_worker_is_replaced(code: Any, run: Any) -> None:
    # Given a function whose handler kills its process
    runtime = _runtime(run, _spec(code, "Fn", "crash"))

    # When it is invoked
    with pytest.raises(FunctionError) as raised:
        runtime.invoke("Fn", {})

    # Then the caller gets an error, and a new environment is ready for the next event
    assert raised.value.error_type == "Runtime.ExitError"
    assert "status 3" in raised.value.message
    assert runtime.pools["Fn"].size == 1
    with pytest.raises(FunctionError, match="status 3"):
        runtime.invoke("Fn", {})


def test_an_event_past_the_timeout_kills_its_worker(code: Any, run: Any) -> None:
    # Given a function with a 1 s timeout
    runtime = _runtime(run, _spec(code, "Fn", "whoami", timeout=1))
    before = runtime.invoke("Fn", {})

    # When an event runs longer
    started = time.monotonic()
    with pytest.raises(FunctionError, match=r"Task timed out after 1\.00 seconds") as raised:
        runtime.invoke("Fn", {"sleep": 30})

    # Then it fails as a Lambda timeout, and the next event runs in a new environment
    assert raised.value.error_type == "Sandbox.Timedout"
    assert time.monotonic() - started < 5
    assert runtime.invoke("Fn", {})["pid"] != before["pid"]


def test_a_module_that_fails_to_import_is_an_init_error(code: Any, run: Any) -> None:
    (code / "broken.py").write_text("raise RuntimeError('no llamas here')\n")
    runtime = _runtime(run, _spec(code, "Fn", "handler", module="broken"))

    with pytest.raises(FunctionError, match="no llamas here") as raised:
        runtime.invoke("Fn", {})

    assert raised.value.error_type == "Runtime.ImportModuleError"


def test_concurrency_grows_on_demand_up_to_the_limit_and_workers_are_reused(code: Any, run: Any) -> None:
    # Given a function that may run in at most 3 environments
    runtime = _runtime(run, _spec(code, "Fn", "whoami", reserved_concurrency=3))
    assert runtime.pools["Fn"].size == 1

    # When 6 slow events arrive at once
    results: list[dict[str, Any]] = []

    def call() -> None:
        results.append(runtime.invoke("Fn", {"sleep": 0.5}))

    threads = [threading.Thread(target=call) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # Then 3 environments took them, one event at a time each, and stay for the next events
    assert len(results) == 6
    pids = {result["pid"] for result in results}
    assert len(pids) == 3
    assert runtime.pools["Fn"].size == 3
    assert runtime.invoke("Fn", {})["pid"] in pids


def test_closing_stops_every_worker(code: Any, run: Any) -> None:
    runtime = _runtime(run, _spec(code, "Fn", "whoami"), _spec(code, "Other", "whoami"))
    workers = [worker for pool in runtime.pools.values() for worker in pool._workers]

    runtime.close()

    assert all(worker.process.poll() is not None for worker in workers)
    with pytest.raises(FunctionError, match="stopping"):
        runtime.invoke("Fn", {})


def test_each_invocation_is_reported_with_init_duration_on_the_first_only(
    code: Any, run: Any, caplog: pytest.LogCaptureFixture
) -> None:
    # Given a function whose environment has not run an event yet
    runtime = _runtime(run, _spec(code, "Fn", "whoami"), _spec(code, "Failing", "fail"))

    # When it runs two events, and another function raises
    with caplog.at_level(logging.INFO, logger="local"):
        runtime.invoke("Fn", {"sleep": 0.2})
        runtime.invoke("Fn", {})
        with pytest.raises(FunctionError):
            runtime.invoke("Failing", {})

    # Then each invocation has a report: the handler's duration, and the init phase on the first one only
    first, second = runtime.reports("Fn")
    assert (first.init_duration_ms or 0) > 0
    assert second.init_duration_ms is None
    assert first.duration_ms >= 200 > second.duration_ms
    assert first.memory_size_mb == 256
    assert (first.max_memory_used_mb or 0) > 0
    (failed,) = runtime.reports("Failing")
    assert failed.status is None  # a handler's exception is an answer, not an environment failure
    # And each is logged as Lambda's REPORT line, in the function's own log
    lines = [(record.name, record.getMessage()) for record in caplog.records if "REPORT" in record.getMessage()]
    assert len(lines) == 3
    name, line = lines[0]
    assert name == "local.Fn"
    assert line.startswith(f"REPORT RequestId: {first.request_id}\tDuration: ")
    assert "\tMemory Size: 256 MB\tMax Memory Used: " in line
    assert line.endswith(f"\tInit Duration: {first.init_duration_ms:.2f} ms")
    assert "Init Duration" not in lines[1][1]


def test_a_timed_out_invocation_is_reported_with_its_status(code: Any, run: Any) -> None:
    runtime = _runtime(run, _spec(code, "Fn", "whoami", timeout=1))

    with pytest.raises(FunctionError):
        runtime.invoke("Fn", {"sleep": 30})

    (report,) = runtime.reports("Fn")
    assert report.status == "timeout"
    assert report.duration_ms >= 1000
    assert "\tStatus: timeout" in report.line


def test_recycle_sends_the_next_event_to_a_fresh_environment(code: Any, run: Any) -> None:
    # Given a function with a warm environment that has run an event
    runtime = _runtime(run, _spec(code, "Fn", "whoami"))
    before = runtime.invoke("Fn", {})
    old = next(iter(runtime.pools["Fn"]._workers))

    # When it is recycled
    runtime.recycle("Fn")

    # Then its environment is stopped and none is started ahead of the next event
    assert old.process.wait(timeout=5) is not None
    assert runtime.pools["Fn"].size == 0
    # And the next event runs in a new environment, whose report carries its init phase
    after = runtime.invoke("Fn", {})
    assert after["pid"] != before["pid"]
    assert runtime.reports("Fn")[-1].init_duration_ms is not None
    assert runtime.pools["Fn"].size == 1


def test_recycle_retires_a_busy_environment_when_its_event_ends(code: Any, run: Any) -> None:
    # Given an environment busy with a slow event
    runtime = _runtime(run, _spec(code, "Fn", "whoami"))
    results: list[dict[str, Any]] = []
    slow = threading.Thread(target=lambda: results.append(runtime.invoke("Fn", {"sleep": 0.5})))
    slow.start()
    deadline = time.monotonic() + 10
    while runtime.pools["Fn"]._idle:
        assert time.monotonic() < deadline, "the event never started"
        time.sleep(0.01)

    # When the function is recycled meanwhile
    runtime.recycle("Fn")

    # Then the event completes, and the next one does not reuse that environment
    slow.join()
    assert len(results) == 1
    assert runtime.invoke("Fn", {})["pid"] != results[0]["pid"]
    assert runtime.pools["Fn"].size == 1


def test_an_environment_imports_only_what_the_functions_layer_ships(code: Path, run: list[FunctionRuntime]) -> None:
    # Given a function whose environment runs on this interpreter, which also holds the tests' and tools' packages
    runtime = _runtime(run, _spec(code, "Imports", "imports"))

    # When it imports the layer's packages, and packages only the tests and tools use
    result = runtime.invoke(
        "Imports", {"modules": ["boto3", "httpx", "aws_xray_sdk", "snapshot_restore_py", "moto", "rich"]}
    )

    # Then the layer's (and the runtime's) import, the others are missing, as in Lambda
    outcome = result["outcome"]
    assert {name: outcome[name] for name in ("boto3", "httpx", "aws_xray_sdk", "snapshot_restore_py")} == dict.fromkeys(
        ("boto3", "httpx", "aws_xray_sdk", "snapshot_restore_py"), "imported"
    )
    assert "not in the function's layer" in outcome["moto"]
    assert "not in the function's layer" in outcome["rich"]
    # And a package that uses an optional one when installed does without it: httpx skips its command line
    assert {"rich", "pygments"}.isdisjoint(result["loaded"])
