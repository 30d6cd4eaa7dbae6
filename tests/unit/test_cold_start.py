"""What a cold start loads, by behaviour (the time it takes is `make bench`'s): each function's init imports no SDK of
a model or an index, and loads nothing its first event may not use."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from local.stack.stack import ROOT
from local.template import FunctionSpec, Resolver, functions, load_template, parameter_values

# SDKs of a model or an index, the embedded stand-ins' libraries, and the tracer's: never loaded by an init phase.
HEAVY = ("openai", "pinecone", "httpx", "numpy", "onnxruntime", "tokenizers", "aws_xray_sdk")
HTTP_API_FUNCTIONS = {"AuthFunction", "ChatbotsFunction", "ApiKeysFunction", "UploadFunction", "QueryFunction"}

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


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template(ROOT / "template.yaml")


@pytest.fixture(scope="module")
def specs(template: dict[str, Any]) -> dict[str, FunctionSpec]:
    resolver = Resolver(template, parameter_values(template), lambda logical_id, attribute: logical_id)
    return functions(template, resolver, ROOT)


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
