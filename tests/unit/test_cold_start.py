"""What a cold start loads, by behaviour (the time it takes is `make bench`'s): each function's init imports no SDK of
a model or an index, and loads nothing its first event may not use; under SnapStart, the snapshot is prepared
with the SDKs the function calls and nothing of one environment's own (credentials, clients, connections), and a
restored environment draws its own random numbers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from local.stack.stack import ROOT
from local.template import FunctionSpec

# SDKs of a model or an index, the embedded stand-ins' libraries, and the tracer's: never loaded by an init phase.
HEAVY = ("openai", "pinecone", "httpx", "numpy", "onnxruntime", "tokenizers", "aws_xray_sdk")
HTTP_API_FUNCTIONS = {"AuthFunction", "ChatbotsFunction", "ApiKeysFunction", "UploadFunction", "QueryFunction"}
# The functions whose events may call a model or the index (the others never import their SDKs).
MODEL_CALLERS = {"QueryFunction", "WsChatFunction", "IngestFunction"}

# Runs in a fresh interpreter, as Lambda's init phase: the function's module imported from its task root, then `STEP`
# (a statement), then the loaded modules and `RESULT` (a dict) printed as JSON. No connection may be opened.
PROBE = """
import importlib.util, json, socket, sys

def refuse(*args, **kwargs):
    raise AssertionError("a connection was opened")

socket.socket.connect = socket.create_connection = refuse
sys.path.insert(0, {task_root!r})
spec = importlib.util.spec_from_file_location("app", {module_path!r})
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
RESULT = {{}}
{step}
print(json.dumps({{"modules": sorted(sys.modules), **RESULT}}))
"""


def probe(spec: FunctionSpec, step: str = "", **environment: str) -> dict[str, Any]:
    """The function's init in a fresh interpreter with its template environment (as Lambda gives it: a region and
    the role's credentials), then `step`."""
    base = {name: value for name, value in os.environ.items() if not name.startswith(("PARLEY_", "AWS_"))}
    lambda_like = {
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "ASIA-ROLE",
        "AWS_SECRET_ACCESS_KEY": "role-secret",
    }
    code = PROBE.format(task_root=str(spec.task_root), module_path=str(spec.module_path), step=step)
    result = subprocess.run(
        [sys.executable, "-c", code],
        check=False,
        capture_output=True,
        text=True,
        cwd=spec.task_root,
        env={**base, **lambda_like, **spec.environment, **environment},
    )
    assert result.returncode == 0, result.stderr
    loaded: dict[str, Any] = json.loads(result.stdout.splitlines()[-1])
    return loaded


def packages(modules: list[str]) -> set[str]:
    return {module.split(".")[0] for module in modules}


def test_no_init_phase_imports_the_sdk_of_a_model_or_an_index(specs: dict[str, FunctionSpec]) -> None:
    for logical_id, spec in specs.items():
        # Given a function's module and its template environment, When Lambda's init phase imports it
        loaded = packages(probe(spec)["modules"])

        # Then neither the SDKs of a model or an index nor the embedded stand-ins' libraries are loaded: a function
        # imports them on the first call that uses them, and most never do
        assert loaded.isdisjoint(HEAVY), (logical_id, loaded & set(HEAVY))
        # And only the functions behind the HTTP APIs load the web framework
        assert ("fastapi" in loaded) == (logical_id in HTTP_API_FUNCTIONS), logical_id


def test_the_services_of_paths_that_do_not_search_load_no_model_nor_index(
    specs: dict[str, FunctionSpec], tmp_path: Path
) -> None:
    # Given the local stack's embedded embedder and index (whose libraries are the heaviest), and AWS's providers
    upload = specs["UploadFunction"]
    for providers in ({"PARLEY_EMBEDDER": "minilm", "PARLEY_VECTOR_INDEX": "local"}, {}):
        # When the upload function builds what its document and source routes use
        step = (
            "from parley.container import get_container\n"
            "container = get_container()\n"
            "container.documents, container.source_service, container.chatbots"
        )
        loaded = packages(probe(upload, step, PARLEY_DATA_DIR=str(tmp_path / "data"), **providers)["modules"])

        # Then neither the embedder nor the index (nor a model's SDK) is loaded: only deleting a document reaches
        # the index, and only then is it loaded
        assert loaded.isdisjoint(HEAVY), (providers, loaded & set(HEAVY))
    # And the local index's folder was not even opened
    assert not (tmp_path / "data").exists()


# Counts the routes FastAPI prepares on a request that matches none (its first request prepares every route).
FIRST_REQUEST = """
import fastapi.routing as routing
from parley import snapstart

def first_request_prepares(app):
    prepared = []
    prepare = routing._populate_api_route_state
    routing._populate_api_route_state = lambda *args, **kwargs: prepared.append(1) or prepare(*args, **kwargs)
    try:
        snapstart.route_once(app)
    finally:
        routing._populate_api_route_state = prepare
    return len(prepared)

apps = []
route_once = snapstart.route_once
snapstart.route_once = lambda app: apps.append(app) or route_once(app)
"""
BEFORE_SNAPSHOT = (
    FIRST_REQUEST
    + """
import random, boto3
from snapshot_restore_py import get_before_snapshot, get_after_restore
from parley.container import get_container
for hook, args, kwargs in get_before_snapshot():
    hook(*args, **kwargs)
snapstart.route_once = route_once
RESULT["apps"] = len(apps)
RESULT["routes_prepared_on_first_request"] = sum(first_request_prepares(app) for app in apps)
session = boto3.DEFAULT_SESSION._session
RESULT["credentials_resolved"] = session._credentials is not None
RESULT["container_built"] = get_container.cache_info().currsize
loader = session.get_component("data_loader")
RESULT["service_models"] = sorted({key[1] for key in loader._cache if key[:1] == ("load_service_model",)})
random.seed(7)
snapshot_draws = [random.random() for _ in range(3)]
random.seed(7)
for hook, args, kwargs in get_after_restore():
    hook(*args, **kwargs)
RESULT["restored_draws_differ"] = [random.random() for _ in range(3)] != snapshot_draws
RESULT["after_restore_hooks"] = len(get_after_restore())
"""
)


@pytest.mark.parametrize("function", sorted(HTTP_API_FUNCTIONS | MODEL_CALLERS))
def test_snapstart_hooks_load_the_sdks_a_function_calls_and_nothing_of_one_environment(
    function: str, specs: dict[str, FunctionSpec]
) -> None:
    # Given a function's init phase, as SnapStart runs it before taking the snapshot
    # When the runtime calls the hooks registered before the snapshot, then (in a restored environment) after it
    result = probe(specs[function], BEFORE_SNAPSHOT)
    loaded = packages(result["modules"])

    # Then the snapshot holds the AWS SDK, and the model's and index's SDKs only where the function calls them
    assert "boto3" in loaded
    # with the service models of the clients it makes: the table's, and Secrets Manager's for the providers' keys
    assert "dynamodb" in result["service_models"]
    assert ("secretsmanager" in result["service_models"]) == (function in MODEL_CALLERS)
    assert {"openai", "pinecone"} <= loaded if function in MODEL_CALLERS else loaded.isdisjoint({"openai", "pinecone"})
    # And nothing of one environment's own: no credentials resolved, no client or secret in the container, and no
    # connection opened (the probe refuses any)
    assert result["credentials_resolved"] is False
    assert result["container_built"] == 0
    # And an HTTP API app's routes are prepared: its first request after a restore prepares none
    assert result["apps"] == (1 if function in HTTP_API_FUNCTIONS else 0)
    assert result["routes_prepared_on_first_request"] == 0
    # And a restored environment reseeds its random generator (backoff jitter), once
    assert result["restored_draws_differ"] is True
    assert result["after_restore_hooks"] == 1


def test_snapstart_is_on_where_the_events_invoke_the_alias_it_applies_to(template: dict[str, Any]) -> None:
    resources = template["Resources"]
    runtime = template["Globals"]["Function"]["Runtime"]
    snapstarted = {
        logical_id
        for logical_id, resource in resources.items()
        if resource["Type"] == "AWS::Serverless::Function" and "SnapStart" in resource["Properties"]
    }
    # Given the functions a person waits for behind the HTTP APIs
    assert snapstarted == HTTP_API_FUNCTIONS
    # Then SnapStart for Python needs python3.12 or later
    assert tuple(map(int, runtime.removeprefix("python").split("."))) >= (3, 12)
    text = (ROOT / "template.yaml").read_text()
    for logical_id in snapstarted:
        properties = resources[logical_id]["Properties"]
        # And it applies to published versions, which AutoPublishAlias publishes and points its alias at: SAM makes
        # the function's HttpApi events invoke that alias
        assert properties["SnapStart"] == {"ApplyOn": "PublishedVersions"}
        assert properties["AutoPublishAlias"]
        assert {event["Type"] for event in properties["Events"].values()} == {"HttpApi"}
        # And nothing invokes it by its unqualified ARN, which would run $LATEST, without the snapshot
        assert f"{logical_id}.Arn" not in text, logical_id
        # And none of what SnapStart cannot have: provisioned concurrency, EFS, more than 512 MB of /tmp
        assert not {"ProvisionedConcurrencyConfig", "FileSystemConfigs", "EphemeralStorage"} & set(properties)


def test_without_the_snapshot_an_apps_first_request_prepares_its_routes(specs: dict[str, FunctionSpec]) -> None:
    # Given the chatbots function's init, without SnapStart's hooks
    step = FIRST_REQUEST + (
        "from snapshot_restore_py import get_before_snapshot\n"
        "hook, args, kwargs = get_before_snapshot()[0]\n"
        'RESULT["prepared"] = first_request_prepares(kwargs["app"])'
    )
    # When its app serves its first request, Then every route of its routers is prepared then (what the snapshot saves)
    assert probe(specs["ChatbotsFunction"], step)["prepared"] >= 6
