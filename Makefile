# One command to run, one to test. Everything else is a detail of these two.
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
# aws-sam-cli pins its own boto3, older than the receiver's: it gets a venv of its own.
SAM    := .venv-sam/bin/sam
export SAM_CLI := $(abspath $(SAM))

.PHONY: run test lint clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

# Stamp files: reinstall only when a requirements file changes.
$(VENV)/.local: $(VENV)/bin/python requirements.txt requirements-local.txt
	$(PY) -m pip install -q -r requirements-local.txt
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
	$(PY) -m ruff check handler infra tests
	$(PY) -m ruff format --check handler infra tests
	$(PY) -m mypy

clean:
	rm -rf $(VENV) .venv-sam .pytest_cache .coverage .coverage.* htmlcov .aws-sam
