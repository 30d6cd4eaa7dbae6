"""Local stacks in child processes, reached over real HTTP, shared by the whole run: one per configuration, each started
the first time a test asks for it and stopped after the last e2e test. Every test registers tenants of its own, so
tests never see each other's data on a shared stack.

- `plain_stack` (`base_url`): the stack as `make run` starts it (no model key: extractive answers; MiniLM and the
  local index), with the test limits below and a small bound on an export's inline size (beyond it, a link).
- `model_stack`: the same with an OpenAI key, the chat model being `model`, a fake in this process whose answers
  stream a word every 20 ms (tests script it), and a visitor limit of 3 messages a minute.
- `instrumented_stack`: embeddings and chat through `instrumented_model` (a fake the tests count and break), vectors
  in `instrumented_index` (Pinecone's fake), a CloudWatch minute of 2 s for `/_ops`'s alarms, and a crawl that looks
  again at its pages every second.

Every test stack retries a failed SQS message after 5 s (the template's visibility timeouts as parameters; `make run`
uses 20 s) and fixes the time its per-minute and sign-in limits read (`PARLEY_LIMITS_FIXED_TIME`), so that a burst
never straddles two windows.

When they stop, each stack's log (and the log of any stack a test started itself) is read for what must never be
logged, and, when the whole e2e tier ran and passed, the IAM statements the stacks' calls used are checked against
template.yaml's: a failure of either is an error in the teardown of the last e2e test.
"""

from __future__ import annotations

import fcntl
import json
import re
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from parley.settings import Providers

from local.fakes.openai import FakeOpenAI
from local.fakes.pinecone import FakePinecone
from local.stack.process import Stack, chatbot_with_document, refused_calls, running_stack

E2E = Path(__file__).parent
# Failed ingest and crawl messages come back after 5 s (the template's minimum) instead of `make run`'s 20; an upload
# waits 1 s (the least a batch of more than 10 may) for others to share its ingest invocation, not the template's 5:
# most tests upload one file and wait for it.
TEST_PARAMETERS = {
    "IngestVisibilityTimeout": "5",
    "CrawlVisibilityTimeout": "5",
    "IngestBatchingWindowSeconds": "1",
}
# Every test reaches the stack from 127.0.0.1: one address's failed sign-ins (the API contract pass makes many) must
# not lock the others out. The per-e-mail limit stays the deployment's.
TEST_LIMITS = {"PARLEY_SIGN_IN_FAILURES_PER_ADDRESS": "100000"}
VISITOR_LIMIT = 3
# What no log line may hold, whatever the test: a JWT, or an API key of the fakes.
JWT = re.compile(r"eyJ[\w-]+\.eyJ[\w-]+")
FAKE_KEYS = re.compile(r"(sk|pc)-local[\w-]*")
# The local gateway's line for each request (local/apigateway/http_api.py): method, path, status, latency.
ACCESS_LINE = re.compile(r"^\S+ \S+ local INFO [A-Z]+ /\S* -> \d{3} \(\d+ ms\)$", re.MULTILINE)


@dataclass
class Run:
    """What the session's stacks share: a folder for their logs and IAM usage, and the secrets tests made that no
    log may hold. The shared stacks are stopped, and their logs and IAM usage checked, once the last e2e test has run
    (`close`), not at the end of the session: the tests after them need the machine."""

    session: pytest.Session
    basetemp: Path
    folder: Path
    secrets: list[str] = field(default_factory=list)
    stacks: ExitStack = field(default_factory=ExitStack)
    # The names of the stacks it started (the shared ones, and those a test file starts through `running`).
    started: set[str] = field(default_factory=set)
    closed: bool = False

    @contextmanager
    def running(self, name: str, **options: Any) -> Iterator[Stack]:
        """A test stack (`start_stack`'s options) for the span of a `with` block, logging into the run's folder."""
        data_dir, log = self.folder / name, self.folder / f"{name}.log"
        usage = [f"--iam-usage={self.folder / f'{name}.iam.jsonl'}"]
        self.started.add(name)
        fixed = {"PARLEY_LIMITS_FIXED_TIME": str(int(time.time())), **TEST_LIMITS}
        with running_stack(
            data_dir,
            log,
            parameters={**TEST_PARAMETERS, **options.pop("parameters", {})},
            function_env={**fixed, **options.pop("function_env", {})},
            options=usage + options.pop("options", []),
            **options,
        ) as url:
            yield Stack(url, data_dir, log)

    def start(self, name: str, **options: Any) -> Stack:
        """A shared test stack, running until the run closes (`name`: its fixture's, less `_stack`)."""
        return self.stacks.enter_context(self.running(name, **options))

    def close(self) -> None:
        """Stop the shared stacks, then read every stack's whole log for what must never be logged and, after a whole
        e2e run that passed, check that each IAM statement of the template allowed some call."""
        if self.closed:
            return
        self.closed = True
        self.stacks.close()
        problems = leaks(self.basetemp, self.secrets) + self.statement_coverage()
        assert not problems, "\n".join(problems)

    def statement_coverage(self) -> list[str]:
        """After a whole e2e run that passed, each template statement no stack's call needed. With pytest-xdist every
        worker runs some stacks: each notes in a ledger beside the workers' folders which it ran and how many of its
        tests failed, and the worker that stops the last of the stacks the run needs checks them all."""
        config = self.session.config
        if not whole_tier_selected(config):
            return []
        shared = self.basetemp.parent if hasattr(config, "workerinput") else self.basetemp
        with (shared / "e2e-stacks.lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            ledger = shared / "e2e-stacks.jsonl"
            with ledger.open("a") as out:
                out.write(json.dumps({"started": sorted(self.started), "failed": self.session.testsfailed}) + "\n")
            entries = [json.loads(line) for line in ledger.read_text().splitlines()]
        started = {name for entry in entries for name in entry["started"]}
        if sum(entry["failed"] for entry in entries) or not config.stash.get(NEEDED, set()) <= started:
            return []  # a test failed (it says why), or another worker still runs stacks (it checks)
        return unexercised_statements(sorted(shared.glob("**/*.iam.jsonl")))


RUN = pytest.StashKey[Run]()


@pytest.fixture(scope="session")
def e2e_run(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[Run]:
    run = Run(request.session, tmp_path_factory.getbasetemp(), tmp_path_factory.mktemp("stacks"))
    request.config.stash[RUN] = run
    yield run
    run.close()


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    """After the last e2e test the shared stacks stop and are checked; a problem is an error of that test's teardown.
    (A pytest-xdist worker may run other folders' tests between e2e tests: there, they stop when the session ends.)"""
    run = item.config.stash.get(RUN, None)
    last = nextitem is None or (E2E not in nextitem.path.parents and not hasattr(item.config, "workerinput"))
    if run is not None and last:
        run.close()


def leaks(folder: Path, secrets: list[str]) -> list[str]:
    """What the logs of every stack of the run hold that no log may: the shared stacks log into a folder of the run's
    temporary folder (`folder`), a stack a test starts itself into the test's own folder there."""
    found = []
    for log in sorted([*folder.glob("*/*.log"), *folder.glob("*.log")]):
        text, where = log.read_text(errors="replace"), log.relative_to(folder)
        leaked = [secret[:24] for secret in secrets if secret in text]
        if leaked:
            found.append(f"{where} holds {leaked}")
        # A request's path is what its client sent (schemathesis draws strings from the code, keys included): the
        # gateway's access lines are left out of the search for tokens and keys the stack holds.
        held = ACCESS_LINE.sub("", text)
        for kind, pattern in (("a JWT", JWT), ("an API key", FAKE_KEYS)):
            if match := pattern.search(held):
                found.append(f"{where} holds {kind}: {match.group(0)[:24]}…")
    return found


def whole_tier_selected(config: pytest.Config) -> bool:
    """Whether every e2e test was selected: only then is a statement no test needed worth naming."""
    for argument in config.args:
        path, _, node = argument.partition("::")
        if node or not E2E.resolve().is_relative_to(Path(path).resolve()):
            return False
    options = config.option.keyword or config.option.markexpr or config.getoption("deselect")
    return not options and not config.stash.get(DESELECTED, False)


DESELECTED = pytest.StashKey[bool]()
# The stacks the selected e2e tests use, by name (plain, model, instrumented, faulty).
NEEDED = pytest.StashKey[set[str]]()
# The fixtures of the stacks tests share (each test's group is the first it uses).
SHARED = ("plain_stack", "model_stack", "instrumented_stack", "faulty_stack", "deferring_stack")


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Notes which stacks the e2e tests need. With pytest-xdist (`--dist loadgroup`), the tests of one stack run on
    one worker, so that no configuration is started twice; a test that starts stacks of its own is a group of its own
    file."""
    grouped = config.pluginmanager.hasplugin("xdist")
    needed = config.stash.setdefault(NEEDED, set())
    for item in items:
        if E2E in item.path.parents:
            stack = next((name for name in SHARED if name in getattr(item, "fixturenames", ())), None)
            needed |= {stack.removesuffix("_stack")} if stack else set()
            if grouped:
                _group(item, stack or item.path.stem)


def _group(item: pytest.Item, name: str) -> None:
    """Put `item` in xdist group `name`. pytest-xdist (3.8) names a test's group in its id (`…@name`), which it can
    no longer change under pytest 9 (ids are `NodeId`s): the id is given its group here, as xdist would."""
    item.add_marker(pytest.mark.xdist_group(name))
    grouping = hasattr(item.config, "workerinput") and item.config.getoption("loadgroup", False)
    if grouping and "@" not in item.nodeid and hasattr(item, "_id"):
        from _pytest.nodeid import NodeId

        item._id = NodeId.parse(f"{item.nodeid}@{name}")


# Actions of template statements that no e2e path makes, by function, and why. The schedules' and the deploy's
# handlers run in integration tests against moto, where no IAM check stands in front of them: their statements are
# proven by nothing but review. (A schedule may fire in a long run; that is not an error.)
SCHEDULED_SYNC = "runs on SourceSyncSchedule (an hour; test_crawl.py::test_the_schedule_syncs_sources_that_are_due)"
EXPIRY_SWEEP = "runs every 15 minutes (test_documents_handlers.py::test_tickets_unused_past_their_expiry_end_failed…)"
DEPLOY_ONLY = "a custom resource run at deploy; the local stack serves config.json itself (test_web_config.py)"
NOT_EXERCISED: dict[tuple[str, str], str] = {
    ("SourceSyncFunction", "dynamodb:Query"): SCHEDULED_SYNC,
    ("SourceSyncFunction", "dynamodb:UpdateItem"): SCHEDULED_SYNC,
    ("SourceSyncFunction", "sqs:SendMessage"): SCHEDULED_SYNC,
    ("UploadExpiryFunction", "dynamodb:Query"): EXPIRY_SWEEP,
    ("UploadExpiryFunction", "dynamodb:UpdateItem"): EXPIRY_SWEEP,
    ("WebConfigFunction", "s3:PutObject"): DEPLOY_ONLY,
    ("WebConfigFunction", "s3:DeleteObject"): DEPLOY_ONLY,
}


def unexercised_statements(usage_files: Iterable[Path]) -> list[str]:
    """Each action of each Allow statement of template.yaml that allowed none of the stacks' calls (local/aws/iam.py's
    IamUsage): the e2e tier would not notice its removal. Every statement must be needed by a path the tier runs,
    so that removing it fails that path (the proxy refuses the call, and the test names function and action)."""
    statements: dict[tuple[str, int], dict[str, Any]] = {}
    used: set[tuple[str, int, str]] = set()
    for usage in usage_files:
        for line in map(json.loads, usage.read_text().splitlines()):
            if "effect" in line:
                statements[(line["function"], line["statement"])] = line
            else:
                used.add((line["function"], line["statement"], line["pattern"]))
    problems = []
    for (function, number), statement in sorted(statements.items()):
        if statement["effect"] != "Allow" or statement["sam"]:
            continue
        for pattern in statement["actions"]:
            exercised = (function, number, pattern) in used
            if not exercised and (function, pattern) not in NOT_EXERCISED:
                resources = ", ".join(statement["resources"])
                problems.append(f"{function} is allowed {pattern} on {resources}, but no e2e test made such a call")
    return problems


def pytest_deselected(items: list[pytest.Item]) -> None:
    if items:
        items[0].config.stash[DESELECTED] = True


@pytest.fixture(scope="session")
def model() -> Iterator[FakeOpenAI]:
    """The model of `model_stack`: a fake of OpenAI's API whose answers stream a word every 20 ms."""
    fake = FakeOpenAI(token_delay=0.02).start()
    yield fake
    fake.stop()


@pytest.fixture(scope="session")
def instrumented_model() -> Iterator[FakeOpenAI]:
    """The embeddings and chat model of `instrumented_stack`: a fake of OpenAI's API that counts every request."""
    fake = FakeOpenAI(token_delay=0.02).start()
    yield fake
    fake.stop()


@pytest.fixture(scope="session")
def plain_stack(e2e_run: Run) -> Stack:
    """The stack as `make run` starts it. Exports of three questions and answers
    are over its inline bound (a link), one question and answer under it."""
    export = {"PARLEY_EXPORT_INLINE_MAX_BYTES": "1200"}
    return e2e_run.start("plain", function_env=export)


@pytest.fixture(scope="session")
def model_stack(e2e_run: Run, model: FakeOpenAI) -> Stack:
    """`make run` with an OpenAI key in the environment: answers come from the (fake) model, streamed. One network
    (127.0.0.1) opens every test's connections and sends every visitor's messages, so only the visitor limit is low."""
    limits = {
        "PARLEY_VISITOR_MESSAGES_PER_MINUTE": str(VISITOR_LIMIT),
        "PARLEY_NETWORK_MESSAGES_PER_MINUTE": "1000",
        "PARLEY_CONNECTIONS_PER_MINUTE": "1000",
    }
    env = {"OPENAI_API_KEY": "sk-local-test", "OPENAI_BASE_URL": model.base_url}
    return e2e_run.start("model", env=env, function_env=limits)


@pytest.fixture(scope="session")
def instrumented_index() -> Iterator[FakePinecone]:
    """The vector index of `instrumented_stack`: a fake of Pinecone's API (OpenAI's embedding space)."""
    fake = FakePinecone(Providers(embedder="openai").embedding_space.dimension).start()
    yield fake
    fake.stop()


@pytest.fixture(scope="session")
def instrumented_stack(e2e_run: Run, instrumented_model: FakeOpenAI, instrumented_index: FakePinecone) -> Stack:
    """Embeddings, chat and vectors through the SDKs of OpenAI and Pinecone against fakes in this process, as in AWS;
    metrics and alarms whose minute lasts 2 s, and a crawl that looks again at its documents every second."""
    return e2e_run.start(
        "instrumented",
        env={
            "OPENAI_API_KEY": "sk-local-test",
            "OPENAI_BASE_URL": instrumented_model.base_url,
            "PINECONE_API_KEY": "pc-local-test",
        },
        function_env={
            "PARLEY_EMBEDDER": "openai",
            "PARLEY_VECTOR_INDEX": "pinecone",
            "PARLEY_PINECONE_INDEX_HOST": instrumented_index.url,
            "PARLEY_CRAWL_SETTLE_SECONDS": "1",
        },
        options=["--metric-minute=2"],
    )


STACKS = ("plain_stack", "model_stack", "instrumented_stack")


@pytest.fixture(autouse=True)
def no_aws_call_refused(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every function holds the permissions its work needs: an AWS call the template's IAM statements do not allow
    fails the test that caused it, naming function, action and resource."""
    if request.node.get_closest_marker("refusals_expected"):
        yield
        return
    logs = [request.getfixturevalue(name).log for name in STACKS if name in request.fixturenames]
    assert not (logs and request.getfixturevalue("e2e_run").closed), "the shared stacks have stopped: run e2e together"
    starts = {log: log.stat().st_size if log.exists() else 0 for log in logs}
    yield
    refused = []
    for log, start in starts.items():
        with log.open("rb") as output:
            output.seek(start)
            refused += refused_calls(output.read().decode(errors="replace"))
    assert not refused, "AWS refused calls of the functions:\n" + "\n".join(refused)


@pytest.fixture(scope="session")
def base_url(plain_stack: Stack) -> str:
    return plain_stack.url


@pytest.fixture(scope="session")
def data_dir(plain_stack: Stack) -> Path:
    return plain_stack.data_dir


@pytest.fixture(scope="session")
def stack_log(plain_stack: Stack) -> Path:
    return plain_stack.log


@pytest.fixture(scope="session")
def local_aws(plain_stack: Stack) -> dict[str, Any]:
    """The plain stack's moto endpoint and resources (from the stack.json it writes)."""
    return plain_stack.aws


@pytest.fixture(scope="session")
def log_secrets(e2e_run: Run) -> list[str]:
    """Add to it what no stack's log may hold: it is looked for in every log when the shared stacks stop."""
    return e2e_run.secrets


@pytest.fixture
def log_leaks(e2e_run: Run) -> Callable[[], list[str]]:
    """What the logs of the run hold so far that no log may (as checked when the shared stacks stop)."""
    return lambda: leaks(e2e_run.basetemp, e2e_run.secrets)


@pytest.fixture
def api(base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=30) as client:
        yield client


@pytest.fixture
def new_account(api: httpx.Client) -> Callable[[], dict[str, Any]]:
    """Register a fresh user with their own tenant; returns the register response."""

    def _new() -> dict[str, Any]:
        email = f"user-{uuid.uuid4().hex[:10]}@example.com"
        response = api.post("/auth/register", json={"email": email, "password": "correct-horse-1"})
        assert response.status_code == 201, response.text
        return {**response.json(), "email": email, "password": "correct-horse-1"}

    return _new


@pytest.fixture(scope="session", name="chatbot_with_document")
def chatbot_with_document_fixture() -> Callable[..., tuple[dict[str, Any], dict[str, Any]]]:
    """`(base_url, filename, text, **chatbot fields)` → (owner's register response, chatbot), document indexed."""
    return chatbot_with_document
