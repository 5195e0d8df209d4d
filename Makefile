# OpenPVZ — `make run` starts the demo, `make test` proves it. `make help` lists every target.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000

.DEFAULT_GOAL := help

.PHONY: help
help: ## List the targets
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  \033[1m%-10s\033[0m %s\n", $$1, $$2}'

$(VENV)/bin/python:
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is needed ($(PYTHON) not found)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(VENV)/.installed-run: pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install -q -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install -q -e ".[dev]"
	@touch $@ $(VENV)/.installed-run

.PHONY: install
install: $(VENV)/.installed-dev ## Create .venv and install the project with its development tools

.PHONY: run
run: $(VENV)/.installed-run ## Migrate, load the demo network and serve it at http://127.0.0.1:8000 with the job worker
	@PORT=$(PORT) scripts/run.sh

.PHONY: test
test: $(VENV)/.installed-dev ## Lint, types, migrations, OpenAPI drift, then the suite on SQLite and on PostgreSQL
	@scripts/test.sh

.PHONY: lint
lint: $(VENV)/.installed-dev ## ruff, mypy, the import layers, the migration check and the OpenAPI drift check
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports
	$(PY) -m pvz makemigrations --check --dry-run
	$(PY) -m pvz export_openapi --check

.PHONY: fmt
fmt: $(VENV)/.installed-dev ## Format and auto-fix the code
	$(VENV)/bin/ruff check --fix src tests bench
	$(VENV)/bin/ruff format src tests bench

.PHONY: migrate
migrate: $(VENV)/.installed-run ## Apply database migrations
	$(PY) -m pvz migrate

.PHONY: messages
messages: $(VENV)/.installed-dev ## Update the English catalogue from the Russian source strings and compile it
	@command -v msgfmt >/dev/null || { echo "gettext is needed: apt-get install gettext"; exit 1; }
	cd src/pvz && ../../$(PY) -m pvz makemessages -l en --no-obsolete && ../../$(PY) -m pvz compilemessages -l en

.PHONY: openapi
openapi: $(VENV)/.installed-run ## Regenerate docs/api/openapi.json from the code
	$(PY) -m pvz export_openapi

.PHONY: clean
clean: ## Remove the local database, media and collected static files (keeps .venv)
	rm -rf var/pvz.sqlite3* var/media var/staticfiles test-artifacts
