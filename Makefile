# One command to run, one to test. Everything else is a detail of these two.
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
# aws-sam-cli pins its own boto3, older than the receiver's: it gets a venv of its own.
SAM    := .venv-sam/bin/sam
export SAM_CLI := $(abspath $(SAM))

.PHONY: run test lint clean bench

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

# Stamp files: reinstall only when a requirements file changes.
$(VENV)/.local: $(VENV)/bin/python requirements.txt requirements-local.txt pyproject.toml
	$(PY) -m pip install -q -r requirements-local.txt
	$(PY) -m pip install -q --no-deps -e .   # the `webhooks` command
	touch $@

$(VENV)/.dev: $(VENV)/.local requirements-dev.txt
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $@

$(SAM): requirements-sam.txt
	$(PYTHON) -m venv .venv-sam
	.venv-sam/bin/python -m pip install -q -r requirements-sam.txt
	touch $@

## run: the receiver on http://127.0.0.1:8000 with a local moto server, resources and worker
run: $(VENV)/.local
	$(PY) -m infra.local_stack

## test: the whole suite (unit, functional, e2e over real HTTP) with coverage
test: $(VENV)/.dev $(SAM)
	$(PY) -m pytest --cov --cov-report=term $(PYTEST_ARGS)

lint: $(VENV)/.dev
	$(PY) -m ruff check handler webhooks_cli infra bench tests webhook_sim simulation
	$(PY) -m ruff format --check handler webhooks_cli infra bench tests webhook_sim simulation
	$(PY) -m mypy

clean:
	rm -rf $(VENV) .venv-sam .pytest_cache .coverage .coverage.* htmlcov .aws-sam

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
