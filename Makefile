# The two commands: `make run` (the whole platform, offline) and `make test` (everything CI checks).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SAM_VENV := .venv-sam
# SAM CLI pins its own boto3 and friends, so it lives in a virtualenv of its own.
SAM := SAM_CLI_TELEMETRY=0 $(SAM_VENV)/bin/sam
# checkov, the infrastructure scanner, pins its own boto3 and friends too. Offline: no guidelines are downloaded.
CHECKOV_VENV := .venv-checkov
CHECKOV := $(CHECKOV_VENV)/bin/checkov --skip-download --quiet --compact --framework cloudformation
export PIP_DISABLE_PIP_VERSION_CHECK := 1
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

DATASET ?= ../shared/data/scifact
SPLIT ?= test
# What fails in `make bench`'s fault run (local/faults.py).
FAULTS ?= openai=0.2,pinecone=0.1,s3=0.05,dynamodb=0.05,ingest=0.1
# The vector index `make eval` runs against: local (the embedded index) or pinecone (the SDK against its local fake).
STORE ?= local
# `make eval ONLY=retrieval` (SciFact) or `ONLY=answers` (the answer set's held-out part) runs one of the two.
ONLY ?=
# The in-process tiers (unit, integration) run on every core: each xdist worker has its own in-process moto and its
# fakes on ports of its own, and no test depends on another's order or state.
IN_PROCESS := -n auto
# The e2e tier on two workers, the tests of each shared local stack on one of them (tests/e2e/conftest.py groups them):
# each stack is a dozen processes, so more workers than cores only make them wait for each other.
E2E_WORKERS := -n 2 --dist loadgroup

.PHONY: install web chromium documents run test lint typecheck template openapi unit integration local e2e bench eval build deploy-web clean plan

$(VENV)/.installed: pyproject.toml layers/parley/pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit("Parley needs Python 3.11 or newer") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade "pip>=24"
	$(BIN)/pip install --quiet -e "layers/parley[local]" -e ".[dev]"
	@touch $@

$(SAM_VENV)/.installed:
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install --quiet --upgrade "pip>=24"
	$(SAM_VENV)/bin/pip install --quiet "aws-sam-cli>=1.120"
	@touch $@

$(CHECKOV_VENV)/.installed:
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet --upgrade "pip>=24"
	$(CHECKOV_VENV)/bin/pip install --quiet "checkov==3.3.30"
	@touch $@

install: $(VENV)/.installed

# Vite's oldest Node.js.
export NODE_20_19 := const [major, minor] = process.versions.node.split(".").map(Number); \
	process.exit(major > 20 || (major === 20 && minor >= 19) ? 0 : 1)
web/node_modules/.installed: web/package.json web/package-lock.json
	@node -e "$$NODE_20_19" 2>/dev/null && command -v npm >/dev/null || \
		{ echo "Parley's front ends need Node.js 20.19 or newer, with npm" >&2; exit 1; }
	cd web && npm ci --no-audit --no-fund
	@touch $@

# The front ends (console, widget) and the contract types they are checked against, built into web/*/dist, only when
# a file the build reads changed: the hashes of web/ (less its dependencies and outputs) and of the API contract in
# shared/ are kept beside the dependencies after each build (npm ci empties that folder: new dependencies build again).
WEB_STAMP := web/node_modules/.built
WEB_OUTPUTS := web/console/dist/index.html web/widget/dist/widget.js web/contract/api.d.ts web/contract/frames.d.ts
web: web/node_modules/.installed
	@sources=$$(find web shared/openapi.json shared/websocket.schema.json \( -name node_modules -o -name dist \
		-o -path web/contract/api.d.ts -o -path web/contract/frames.d.ts \) -prune -o -type f -print0 | \
		LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1); \
	if [ "$$sources" = "$$(cat $(WEB_STAMP) 2>/dev/null)" ] && ls $(WEB_OUTPUTS) >/dev/null 2>&1; then \
		echo "web: the front ends are built from these sources already"; \
	else \
		(cd web && npm run build) && echo "$$sources" > $(WEB_STAMP); \
	fi

# The browser tests drive Debian's Chromium (Playwright's own browser download cannot work offline).
chromium:
	@command -v chromium >/dev/null || { $(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends chromium; }

# Documents the e2e tier asks the questions of that users asked (tests/e2e/test_debian_documents.py), as Debian ships
# them: libtasn1's manual (a PDF) and the users-and-groups page.
DEBIAN_DOCUMENTS := /usr/share/doc/libtasn1-doc/libtasn1.pdf /usr/share/doc/base-passwd/users-and-groups.html
documents:
	@ls $(DEBIAN_DOCUMENTS) >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends libtasn1-doc base-passwd; }

# The state (accounts, chatbots, documents, conversations, index) is saved at stop and restored at the next start;
# `make run FRESH=1` starts empty.
run: install web
	$(BIN)/python -m local $(if $(FRESH),--fresh)

test: lint typecheck template web chromium documents
	cd web && npm test
	$(BIN)/pytest $(IN_PROCESS) tests/unit tests/integration tests/local
	$(BIN)/pytest $(E2E_WORKERS) tests/e2e

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy layers/parley/parley local tests

# Every checkov check is met, or skipped in the resource's own Metadata with the reason.
template: install $(SAM_VENV)/.installed $(CHECKOV_VENV)/.installed
	$(BIN)/cfn-lint template.yaml
	$(SAM) validate --lint --region us-east-1
	@# checkov exits 0 on a file it cannot parse (0 checks run): a parsing error fails here.
	@out=$$($(CHECKOV) --file template.yaml 2>&1); status=$$?; echo "$$out"; \
	if echo "$$out" | grep -q "Parsing errors"; then echo "checkov could not parse template.yaml"; exit 1; fi; \
	exit $$status

# The contract of the HTTP and WebSocket APIs, generated from the code (a test fails while a committed file is stale).
openapi: install
	@mkdir -p shared
	$(BIN)/python -m parley.api.openapi shared

# Plans, for operators (never an API route): `make plan` lists them, `make plan TENANT=<id>` shows a tenant's plan
# and usage, `make plan TENANT=<id> PLAN=pro` assigns one. Against `make run`'s stack, unless PARLEY_TABLE_NAME
# (with AWS credentials) names a deployed table.
plan: install
	$(BIN)/python -m $(if $(PARLEY_TABLE_NAME),parley.tools.plans,local.tools.plans) \
		$(if $(TENANT),$(if $(PLAN),assign $(TENANT) $(PLAN),show $(TENANT)),list)

unit integration local: install
	$(BIN)/pytest $(IN_PROCESS) tests/$@

e2e: install documents
	$(BIN)/pytest $(E2E_WORKERS) tests/$@

# BEFORE: checkouts (each with its own .venv) whose core routes are measured first, in the same run.
bench: install web
	$(BIN)/python -m tests.benchmarks.requests $(foreach checkout,$(BEFORE),--before $(checkout))
	$(BIN)/python -m tests.benchmarks.web_sizes
	$(BIN)/python -m tests.benchmarks.cold_start
	$(BIN)/python -m tests.benchmarks.authorizer
	$(BIN)/python -m tests.benchmarks.ingest
	$(BIN)/python -m tests.benchmarks.streaming
	$(BIN)/python -m tests.benchmarks.search
	$(BIN)/python -m tests.benchmarks.qa_threshold
	$(BIN)/python -m tests.benchmarks.gap_threshold
	$(BIN)/python -m tests.benchmarks.handoff
	$(BIN)/python -m tests.benchmarks.crawl
	$(BIN)/python -m tests.benchmarks.load
	$(BIN)/python -m tests.benchmarks.load --faults $(FAULTS)
	$(BIN)/python -m tests.benchmarks.contract

# Retrieval quality and speed through the running product, on any BEIR-format folder, then answer quality on the
# answer set's held-out part (local/tools/data/squad2); the operator page after the run is saved as
# tests/e2e/browser/artifacts/make_eval/operator-page.png.
eval: install chromium
	$(BIN)/python -m local.tools.eval --dataset $(DATASET) --split $(SPLIT) --store $(STORE) $(if $(ONLY),--only $(ONLY)) \
		--ops-screenshot tests/e2e/browser/artifacts/make_eval/operator-page.png

# Builds the deployable artifacts; the layer is built and precompiled with python3.12, the Lambda runtime's
# version (pyenv users: PYENV_VERSION=3.12.1 make build).
build: $(SAM_VENV)/.installed
	$(SAM) build

# After `sam deploy`: the front ends' builds into the stack's web bucket (config.json, written by the stack, is left
# alone), hashed assets cached for good, the entry files not; then CloudFront forgets its copies of those. Needs the
# AWS CLI and credentials; STACK= the stack's name (samconfig.toml: parley-dev, parley-prod).
STACK ?= parley-dev
deploy-web: web
	@output() { aws cloudformation describe-stacks --stack-name $(STACK) --output text \
		--query "Stacks[0].Outputs[?OutputKey=='$$1'].OutputValue"; }; \
	bucket=$$(output WebBucketName) && distribution=$$(output WebDistributionId) && \
	aws s3 sync web/console/dist/assets "s3://$$bucket/assets" --cache-control "public, max-age=31536000, immutable" && \
	aws s3 cp web/console/dist/index.html "s3://$$bucket/index.html" --cache-control no-cache && \
	{ [ ! -f web/widget/dist/widget.js ] || \
		aws s3 cp web/widget/dist/widget.js "s3://$$bucket/widget.js" --cache-control "public, max-age=300"; } && \
	aws cloudfront create-invalidation --distribution-id "$$distribution" --paths /index.html /widget.js

clean:
	rm -rf $(VENV) $(SAM_VENV) $(CHECKOV_VENV) .aws-sam .pytest_cache .mypy_cache .ruff_cache
