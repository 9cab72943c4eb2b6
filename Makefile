# One command to run, one to test. Everything else is a detail of these two.
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
# aws-sam-cli pins its own boto3, older than the receiver's: it gets a venv of its own.
SAM    := .venv-sam/bin/sam
export SAM_CLI := $(abspath $(SAM))
# infra/uv.sh and infra/venv.sh: which Python makes the venvs (and bootstraps uv if none is on PATH).
export BOOTSTRAP_PYTHON := $(PYTHON)

.PHONY: run test lint clean bench lock

# Installs come from the lock files (`make lock`), with uv, or pip when uv cannot be had
# (infra/venv.sh says which). Stamp files: reinstall only when a lock changes. A requirements
# file edited since its lock was compiled gets a warning (the install uses the lock as it is).
LOCK_CHECK = @$(PYTHON) infra/locks.py --check || true

$(VENV)/.local: requirements-local.lock pyproject.toml requirements.txt requirements-local.txt
	$(LOCK_CHECK)
	infra/venv.sh $(VENV) requirements-local.lock --editable   # + the `webhooks` command
	touch $@

$(VENV)/.dev: $(VENV)/.local requirements-dev.lock requirements-dev.txt
	$(LOCK_CHECK)
	infra/venv.sh $(VENV) requirements-dev.lock
	touch $@

$(SAM): requirements-sam.lock requirements-sam.txt
	$(LOCK_CHECK)
	infra/venv.sh .venv-sam requirements-sam.lock
	touch $@

## lock: recompile the lock files after editing a requirements*.txt (LOCK_ARGS=--upgrade: newest
## unpinned dependencies); tests/infra/test_locks.py fails while a lock is stale
lock:
	$(PYTHON) infra/locks.py $(LOCK_ARGS)

## run: the receiver on http://127.0.0.1:8000 with a local moto server, resources and worker
run: $(VENV)/.local
	$(PY) -m infra.local_stack

## test: the whole suite (unit, functional, e2e over real HTTP) with coverage, on TEST_WORKERS
## processes (pytest-xdist; tests/conftest.py groups those that must not run side by side)
TEST_WORKERS ?= 2
test: $(VENV)/.dev $(SAM)
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadgroup --cov --cov-report=term $(PYTEST_ARGS)

lint: $(VENV)/.dev
	$(PY) -m ruff check handler webhooks_cli infra bench tests webhook_sim simulation
	$(PY) -m ruff format --check handler webhooks_cli infra bench tests webhook_sim simulation
	$(PY) -m mypy

clean:
	rm -rf $(VENV) .venv-sam .tools infra/.build/lambda-site .pytest_cache .coverage .coverage.* htmlcov .aws-sam

## bench: cold start, warm invoke, ack latency, HTTP throughput, end to end (BENCH_ARGS=--quick)
bench: $(VENV)/.dev
	$(PY) -m bench $(BENCH_ARGS)

.PHONY: events sam-api sam-invoke

## events: sample Lambda events in events/, signed now with the demo secrets (they go stale)
events: $(VENV)/.local
	$(PY) -m infra.events --out events

## sam-api: sam local start-api against a moto server (Docker, image, resources set up; Ctrl-C stops)
sam-api: $(VENV)/.local $(SAM)
	SAM_CLI_TELEMETRY=0 $(PY) -m infra.sam_local api

## sam-invoke: sam local invoke EVENT=events/<name>.json [FUNCTION=...] (SQS events: WorkerFunction)
sam-invoke: $(VENV)/.local $(SAM)
	@test -n "$(EVENT)" || { echo "usage: make sam-invoke EVENT=events/github-valid.json" >&2; exit 2; }
	SAM_CLI_TELEMETRY=0 $(PY) -m infra.sam_local invoke $(EVENT) $(FUNCTION)

.PHONY: reliability
## reliability: faults, duplicates, fuzz, load, secrets (ARGS=--quick: < 2 min; ARGS="--minutes 30": the volume targets)
reliability: $(VENV)/.dev
	$(PY) -m infra.reliability $(ARGS)

.PHONY: simulate
## simulate: deterministic simulation of the delivery protocol on every core; stops at the first
## broken invariant, shrinks it, prints its trace and replay command (ARGS="--seeds 0-5000",
## "--minutes 30", "--seed 42", "--mutation lease-300", "--mutation-table"; no ARGS: 4 minutes)
simulate: $(VENV)/.dev
	$(PY) -m simulation $(ARGS)
