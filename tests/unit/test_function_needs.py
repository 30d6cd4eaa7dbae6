"""Configuration says what a function needs: each function declares the stack's resources it uses (functions/*/app.py),
a cold start without one fails naming its variable, and template.yaml gives every function what it declares."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest
from parley.errors import ConfigurationError
from parley.observability import lambda_entry
from parley.settings import Resource, Settings, get_settings

from local.stack.stack import ROOT
from local.template import FunctionSpec

# Imports each function's module as Lambda does, with exactly the environment template.yaml gives that function (its
# resources standing for themselves by logical id), then again without each resource variable in turn: what it
# cannot start without.
PROBE = """
import importlib.util, json, os, sys
from parley.settings import ENV_PREFIX, Resource, get_settings

resources = {resource.variable for resource in Resource}
specs = json.loads(sys.stdin.read())
base = {name: value for name, value in os.environ.items() if not name.startswith(ENV_PREFIX)}


def starts(logical_id, spec, environment):
    os.environ.clear()
    os.environ.update({**base, **environment})
    get_settings.cache_clear()
    loaded = importlib.util.spec_from_file_location(f"app_{logical_id}", spec["module_path"])
    try:
        loaded.loader.exec_module(importlib.util.module_from_spec(loaded))
    except Exception as error:
        return f"{type(error).__name__}: {error}"
    return None


report = {}
for logical_id, spec in specs.items():
    environment = spec["environment"]
    report[logical_id] = {
        "starts": starts(logical_id, spec, environment),
        "needs": sorted(
            name
            for name in environment
            if name in resources and starts(logical_id, spec, {k: v for k, v in environment.items() if k != name})
        ),
    }
print(json.dumps(report))
"""


@pytest.fixture(scope="module")
def cold_starts(specs: dict[str, FunctionSpec]) -> dict[str, dict[str, Any]]:
    shown = {
        logical_id: {"module_path": str(spec.module_path), "environment": spec.environment}
        for logical_id, spec in specs.items()
    }
    result = subprocess.run(
        [sys.executable, "-c", PROBE], input=json.dumps(shown), capture_output=True, text=True, check=True, cwd=ROOT
    )
    report: dict[str, dict[str, Any]] = json.loads(result.stdout.splitlines()[-1])
    return report


def test_every_function_starts_with_the_environment_the_template_gives_it(
    cold_starts: dict[str, dict[str, Any]], specs: dict[str, FunctionSpec]
) -> None:
    # Given each function's module and its environment as template.yaml gives it (and nothing more)
    # When it is imported as Lambda's init phase does
    # Then every one starts
    assert set(cold_starts) == set(specs)
    assert {logical_id: report["starts"] for logical_id, report in cold_starts.items()} == dict.fromkeys(specs)


def test_a_function_cannot_start_without_the_resources_given_to_it_alone(
    cold_starts: dict[str, dict[str, Any]], specs: dict[str, FunctionSpec], template: dict[str, Any]
) -> None:
    # Given the resource variables the template gives a function of its own (beyond every function's globals)
    globals_ = set(template["Globals"]["Function"]["Environment"]["Variables"])
    resources = {resource.variable for resource in Resource}
    for logical_id, spec in specs.items():
        own = {name for name in spec.environment if name in resources} - globals_

        # When it starts without one of them, Then it fails at cold start: it declared it among its needs
        assert own <= set(cold_starts[logical_id]["needs"]), logical_id
    # And the functions that use the table say so (all but the web config, which writes to its bucket only)
    tableless = {logical_id for logical_id, report in cold_starts.items() if "PARLEY_TABLE_NAME" not in report["needs"]}
    assert tableless == {"WebConfigFunction"}


def test_a_missing_resource_fails_the_cold_start_naming_its_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a function's environment without the crawl queue it needs
    monkeypatch.delenv("PARLEY_CRAWL_QUEUE_URL", raising=False)
    monkeypatch.setenv("PARLEY_TABLE_NAME", "parley-table")
    get_settings.cache_clear()

    # When its entry point is made (Lambda's init phase), Then it fails with the variable's name
    with pytest.raises(ConfigurationError, match="PARLEY_CRAWL_QUEUE_URL"):
        lambda_entry(lambda event, context: None, needs=[Resource.TABLE, Resource.CRAWL_QUEUE])
    get_settings.cache_clear()


def test_every_variable_the_template_sets_is_a_setting(specs: dict[str, FunctionSpec]) -> None:
    # Given every PARLEY_ variable of every function's environment
    declared = {name for spec in specs.values() for name in spec.environment if name.startswith("PARLEY_")}

    # Then the settings read each one (a misspelt variable would be ignored silently)
    assert declared - Settings.variables() == set()
    assert {resource.variable for resource in Resource} <= Settings.variables()


@pytest.mark.parametrize("function", ["CrawlFunction", "IngestFunction", "ErasureFunction"])
def test_sqs_functions_load_powertools_batch_before_pydantic(function: str, specs: dict[str, FunctionSpec]) -> None:
    # Given a fresh interpreter with the function's environment, as Lambda's init phase
    spec = specs[function]
    probe = (
        f"import sys; sys.path.insert(0, {str(spec.task_root)!r}); import {spec.module}; "
        "from aws_lambda_powertools.utilities.batch import types; print(types.has_pydantic)"
    )
    environment = {**{name: value for name, value in os.environ.items() if not name.startswith("PARLEY_")}}

    # When the SQS function's module is imported
    result = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env={**environment, **spec.environment},
    )

    # Then Powertools' batch utility was loaded before pydantic, so it skipped its parser models (cold start)
    assert result.stdout.strip() == "False"
